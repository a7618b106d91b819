// MysqlSource: the Collector for type "mysql": a MysqlCollector reading a server's live binlog
// as a replica, on its own thread, with the daemon's resume-by-window bookkeeping.
// Built by BuildCollector() (collector/builder.h), which validates the server first.
#ifndef DCP_COLLECTOR_MYSQL_SOURCE_H_
#define DCP_COLLECTOR_MYSQL_SOURCE_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "collector/builder.h"
#include "collector/collector.h"
#include "collector/config.h"
#include "collector/mysql_collector.h"
#include "collector/server_check.h"

namespace dcp::collector {

class MysqlSource final : public Collector {
 public:
  // `server` is what the server check found; `start` where to begin without a checkpoint
  // and `from` how it was chosen (for the log line).
  MysqlSource(std::string name, MysqlSourceConfig config, ServerInfo server,
              const BuildContext& context, StartPoint start, std::string from);
  ~MysqlSource() override;

  absl::Status Start() override;
  void Stop() override;
  CollectorStatus Status() const override;
  absl::Status Failure() const override;
  std::vector<std::string> Tags() const override;

  bool Resumable() const override { return by_window_; }
  std::vector<uint64_t> KnownBarriers() const override;
  bool KnowsBarrier(uint64_t offset) const override;
  absl::Status SaveCheckpointAt(uint64_t offset) override;

 private:
  const std::string name_;
  const MysqlSourceConfig config_;
  const ServerInfo server_;
  const bool by_window_;
  const std::string checkpoint_path_;
  Clock* const clock_;
  const std::string from_;
  std::unique_ptr<ConnectionSchemaSource> schemas_;
  std::unique_ptr<MysqlCollector> collector_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;

  mutable absl::Mutex mu_;
  // The place before each delivered barrier (resume by window), oldest first.
  std::map<uint64_t, StartPoint> barrier_positions_ ABSL_GUARDED_BY(mu_);
  absl::Status failure_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dcp::collector

#endif  // DCP_COLLECTOR_MYSQL_SOURCE_H_
