// MysqlSource: the Collector for type "mysql": a MysqlCollector reading a server's live binlog
// as a replica, on its own thread, with the daemon's resume-by-window bookkeeping.
// Built by BuildCollector() (collector/builder.h), which validates the server first.
//
// At every (re)connection it probes its candidate servers and chooses one
// (collector/topology.h): the same server resumes at its file:offset, another one at the
// GTID position (a failover, a re-pointed DSN). A switch is logged with both servers and the
// GTID, counted and timed (CollectorStatus); the new server is validated like the first. A
// source collector (BuildContext::source_tags) remembers the keys of its last delivered
// transactions (DeliveredLog) and, when it continues on a server that lacks some of them,
// reports them once through BuildContext::on_failover_loss.
#ifndef DCP_COLLECTOR_MYSQL_SOURCE_H_
#define DCP_COLLECTOR_MYSQL_SOURCE_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "collector/builder.h"
#include "collector/collector.h"
#include "collector/config.h"
#include "collector/delivered_log.h"
#include "collector/mysql_collector.h"
#include "collector/server_check.h"
#include "collector/topology.h"

namespace dcp::collector {

// kSource when the collector produces one of the context's source tags.
CollectorRole RoleOf(const MysqlSourceConfig& config, const BuildContext& context);

class MysqlSource final : public Collector {
 public:
  // `server` is what the server check found; `start` where to begin without a checkpoint
  // and `from` how it was chosen (for the log line).
  MysqlSource(std::string name, MysqlSourceConfig config, ServerInfo server,
              const BuildContext& context, StartPoint start, std::string from);
  // A MysqlCollector's SourceFactory (public for tests): chooses a server for `from` and
  // opens its binlog stream.
  absl::StatusOr<std::unique_ptr<mysql::binlog::RawEventSource>> Open(const StartPoint& from);
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
  // The server Open() chose and the start point on it; kUnavailable to retry later.
  struct Chosen {
    size_t index = 0;
    ServerProbe probe;
    StartPoint start;
    std::vector<std::string> lost;
    bool lost_complete = true;
  };
  absl::StatusOr<Chosen> Choose(const StartPoint& from);
  absl::Status ValidateSwitch(size_t index);
  void ReportLoss(const Chosen& chosen, const StartPoint& from);
  void NoteServer(const Chosen& chosen, const StartPoint& from);
  std::string ServerName(size_t index, uint32_t server_id) const;
  size_t current_index() const;

  const std::string name_;
  const MysqlSourceConfig config_;
  const std::vector<mysql::Dsn> candidates_;
  const CollectorRole role_;
  const std::function<void(const FailoverLoss&)> on_loss_;
  const ServerInfo server_;
  const bool by_window_;
  const std::string checkpoint_path_;
  Clock* const clock_;
  const std::string from_;
  std::unique_ptr<ConnectionSchemaSource> schemas_;
  std::unique_ptr<MysqlCollector> collector_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;

  // Open()'s state (the collector's thread).
  DeliveredLog delivered_;
  std::optional<absl::Time> loss_seen_since_;
  std::optional<absl::Time> stream_lost_at_;
  uint32_t validated_server_id_ = 0;  // the last server that passed the server check

  mutable absl::Mutex mu_;
  // The place before each delivered barrier (resume by window), oldest first.
  std::map<uint64_t, StartPoint> barrier_positions_ ABSL_GUARDED_BY(mu_);
  absl::Status failure_ ABSL_GUARDED_BY(mu_);
  size_t current_ ABSL_GUARDED_BY(mu_) = 0;  // the candidate read from
  uint32_t current_server_id_ ABSL_GUARDED_BY(mu_) = 0;
  std::string waiting_ ABSL_GUARDED_BY(mu_);
  uint64_t server_changes_ ABSL_GUARDED_BY(mu_) = 0;
  std::string last_change_ ABSL_GUARDED_BY(mu_);
  std::optional<double> last_change_gap_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dcp::collector

#endif  // DCP_COLLECTOR_MYSQL_SOURCE_H_
