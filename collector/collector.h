// Collector: the boundary every source of changes implements (a MySQL/MariaDB binlog reader,
// a gRPC server that pushers stream to, or a kind yet to come), so that the daemon and `dcp
// collect` start, stop, watch and resume them without knowing their kind.
//
// A collector delivers checker::Changes (row changes, barriers, reconnects) to the
// MessageSink it was built with, in order per tag, from its own threads. Adding a kind: a
// config struct in collector/config.h, a class implementing this interface, and one case in
// BuildCollector() (collector/builder.h); docs/development.md has the walk-through.
#ifndef DCP_COLLECTOR_COLLECTOR_H_
#define DCP_COLLECTOR_COLLECTOR_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace dcp::collector {

// What /metrics and /status show of a collector. Counters are since the collector started.
struct CollectorStatus {
  std::string name;
  std::string type;     // "mysql" | "grpc"
  std::string address;  // host:port read from, or the address listened on
  std::vector<std::string> tags;
  bool connected = false;
  uint64_t events = 0;
  uint64_t rows = 0;
  uint64_t messages = 0;  // changes delivered to the sink
  uint64_t barriers = 0;
  uint64_t reconnects = 0;
  uint64_t rejected = 0;  // pushed messages answered with an error code
  std::string position;   // where a restart would resume (binlog readers), else empty
  std::string binlog_file;  // binlog readers: the file and offset of that position
  uint64_t binlog_position = 0;
  std::string error;      // why the collector stopped, when it did
  // Binlog readers over a list of candidate servers (collector/topology.h).
  uint32_t server_id = 0;        // the server read from (0: none yet)
  std::string waiting;           // why no server is read from right now, e.g. split brain
  uint64_t server_changes = 0;   // switches to another server
  std::string last_server_change;                    // "A (id 1) -> C (id 3) at GTID ..."
  std::optional<double> last_server_change_gap_seconds;  // stream lost to streaming again
};

// Transactions a source collector delivered that the server it continues on never received:
// the old primary had them and a failover lost them (collector/topology.h). Reported once per
// failover, through BuildContext::on_failover_loss.
struct FailoverLoss {
  std::string collector;
  std::vector<std::string> tags;
  std::string from;        // "host:port (server id N)"
  std::string to;
  std::string resumed_at;  // the GTID position the collector continued from
  std::vector<std::string> gtids;  // lost GTIDs (MariaDB one per transaction, MySQL a set)
  bool gtids_complete = true;
  struct Key {
    std::string tag;
    std::string key;  // table and key values, as in checker::RowChange::key
    std::string gtid;
  };
  std::vector<Key> keys;  // the rows those transactions changed, as far as remembered
  bool keys_complete = true;
};

// Thread-safety: Start() and Stop() from one controlling thread; Status() and the resume
// calls from any thread.
class Collector {
 public:
  virtual ~Collector() = default;

  // Begins delivering, in background threads. Errors: the collector cannot run at all (e.g.
  // kUnavailable: the listen address cannot be bound); nothing runs then.
  virtual absl::Status Start() = 0;
  // Stops delivering; when it returns the sink receives nothing more. Idempotent; also what
  // the destructor does.
  virtual void Stop() = 0;
  virtual CollectorStatus Status() const = 0;
  // OK while it runs or after a clean stop; the error that stopped it otherwise (its code
  // kept, e.g. kUnauthenticated from a remote that refused the token).
  virtual absl::Status Failure() const { return absl::OkStatus(); }
  virtual std::vector<std::string> Tags() const = 0;

  // Resume by window (binlog readers in the daemon). A resumable collector remembers, for each
  // barrier it delivered, where the transaction holding it began; once every window up to a
  // barrier is compared, the daemon has each resumable collector save that place, so that a
  // restart re-reads from a barrier all checker windows start at (daemon/daemon.h).
  virtual bool Resumable() const { return false; }
  // The barriers whose place is known, ascending.
  virtual std::vector<uint64_t> KnownBarriers() const { return {}; }
  // Whether the place before barrier `offset` is known.
  virtual bool KnowsBarrier(uint64_t offset) const { return false; }
  // Saves the place before barrier `offset` as the checkpoint and forgets older barriers.
  virtual absl::Status SaveCheckpointAt(uint64_t offset) {
    return absl::UnimplementedError("this collector does not resume by checkpoint");
  }
};

}  // namespace dcp::collector

#endif  // DCP_COLLECTOR_COLLECTOR_H_
