// BuildCollector: one place that turns a CollectorConfig into a running-ready Collector, used
// by `dcp run` (daemon/daemon.h) and `dcp collect` (daemon/collect.h) alike, so that both
// validate servers, name checkpoints and choose where to start the same way.
//
// Where a MySQL collector starts, in this order: its checkpoint in the state directory; the
// configured start-gtid / start-position; the server's current end (SHOW MASTER STATUS at
// build time), so that history written before dcp was started is not compared.
#ifndef DCP_COLLECTOR_BUILDER_H_
#define DCP_COLLECTOR_BUILDER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "collector/collector.h"
#include "collector/config.h"
#include "collector/message_sink.h"
#include "util/clock.h"

namespace dcp::collector {

struct BuildContext {
  MessageSink* sink = nullptr;  // not owned; must outlive the collector
  std::string state_dir;        // checkpoints live here
  uint64_t barrier_id = 1;      // the drc.barrier row this deployment bumps
  Clock* clock = Clock::Real();
  // How binlog collectors checkpoint:
  //   kByWindow: the daemon saves checkpoints once windows are compared (Collector's resume
  //              calls); file <state_dir>/collector-<name>.json;
  //   kByTransaction: the collector saves its own after delivered transactions and barriers
  //              (`dcp collect`, whose sink is remote); file <state_dir>/collect-<name>.checkpoint.
  enum class Checkpoints { kByWindow, kByTransaction };
  Checkpoints checkpoints = Checkpoints::kByWindow;
  // kByTransaction with a sink that numbers changes (MysqlCollector::Options).
  std::function<std::map<std::string, uint64_t>()> checkpoint_seqs;
  std::function<void(const std::map<std::string, uint64_t>&)> restore_seqs;
  // Pass row contents to the sink (the wire carries them; the local checker does not need them).
  bool keep_content = false;
  // Tags compared as the source: a collector producing one of them follows the writable
  // server of its candidates and detects failover loss (collector/topology.h).
  std::set<std::string> source_tags;
  // Called (from the collector's thread) when a source collector continues on a server that
  // lacks transactions it delivered.
  std::function<void(const FailoverLoss&)> on_failover_loss;
};

// Builds (does not start) the collector. A MySQL collector's server is connected to and
// validated here (collector/server_check.h), so that a daemon can check every server before
// it starts anything. Errors name the collector: kInvalidArgument (bad options, a corrupt or
// foreign checkpoint), the server check's codes (kUnavailable, kFailedPrecondition).
absl::StatusOr<std::unique_ptr<Collector>> BuildCollector(const CollectorConfig& config,
                                                          const BuildContext& context);

// The checkpoint file of a binlog collector named `name` under `context`.
std::string CheckpointPath(const std::string& name, const BuildContext& context);

}  // namespace dcp::collector

#endif  // DCP_COLLECTOR_BUILDER_H_
