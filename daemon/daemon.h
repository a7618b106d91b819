// The dcp daemon: wires the barrier writer, the collectors, the checker, the alarm sinks and
// the HTTP endpoints described by a Config (docs/config.md, docs/operations.md).
//
//   barrier writer ──(commit times)─────────────────────────────────┐
//   collector (mysql) ─┐                                             v
//   collector (mysql) ─┼─ CheckerSink (in the collector's thread) ─> Checker ─> alarm sinks
//   collector (grpc) ──┘                                    (on_barrier) └─> LagTracker
//
// Start():
//   1. the alarm sinks and the checker are created; then every collector is built
//      (collector::BuildCollector: a MySQL collector's server is validated, and its start
//      chosen: checkpoint, configured start, or the server's current end) before any starts;
//      a bad server is an error naming the collector and the fix;
//   2. changes reach the checker in each collector's own thread, in binlog (or acceptance)
//      order, with increasing seq;
//   3. every `tick` the checker's timeouts are evaluated and checkpoints persisted.
//
// A lost binlog stream is not a Gap: the collector drops the partial transaction and resumes
// exactly after the last delivered one, so the window stays complete; the outage is logged
// and counted (dcp_collector_reconnects_total).
//
// Resume (no window unchecked after a restart, clean or kill -9): binlog collectors are
// built to checkpoint by window (collector::Collector's resume calls); they remember the
// position before each barrier they deliver. When Checker::ResumeBarrier() reaches R, the
// position before barrier R of every such collector is saved (atomically). After a restart
// each collector re-reads from there, so the new checker sees barrier R first on every tag
// and compares every window from R on again. What can be delivered twice, and why it raises
// no false alarm: the windows between R and the crash are compared a second time from
// complete streams (an equal result); a Diff whose key was first seen at or after R may be
// sent again (the receiver can tell by its window and key); alarms already spooled by an
// HTTP sink are sent once (alarm/http_sink.h).
//
// Thread-safety: Start() once; Stop(), ReopenLogs(), Snapshot() from any thread.
#ifndef DCP_DAEMON_DAEMON_H_
#define DCP_DAEMON_DAEMON_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "alarm/alarm.h"
#include "checker/checker.h"
#include "collector/collector.h"
#include "daemon/config.h"
#include "daemon/history.h"
#include "util/clock.h"
#include "util/histogram.h"
#include "util/process_stats.h"

namespace dcp::daemon {

struct Options {
  Config config;
  // The daemon's own log file (util/log.h), reopened on SIGHUP; empty: stderr.
  std::string log_file;
  absl::Duration tick = absl::Seconds(1);
  Clock* clock = Clock::Real();
};

// What /metrics, /status and /healthz show: a consistent copy taken under no lock for long.
using CollectorStatus = collector::CollectorStatus;

struct TargetStatus {
  checker::TargetStats stats;
  std::optional<absl::Duration> lag;  // replication lag from the barrier heartbeat
  std::vector<History::Point> lag_history;  // seconds, the last hour, oldest first
  std::optional<alarm::Alarm> last_alarm;   // the latest alarm about this target
};

struct TagStatus {
  checker::TagStats stats;
  std::optional<absl::Duration> lag;
};

struct SinkStatus {
  std::string name;
  std::string type;
  alarm::SinkStats stats;
};

struct AlarmCounts {
  std::map<std::string, uint64_t> raised;  // by kind name ("diff", "timeout", ...)
  std::vector<SinkStatus> sinks;           // configured order
  std::vector<alarm::Alarm> recent;        // the latest kRecentAlarms, newest first
};
inline constexpr size_t kRecentAlarms = 20;

struct StatusSnapshot {
  absl::Time now;
  absl::Time started;
  absl::Time last_tick;  // when the tick loop last ran (started, before the first)
  std::string version;
  std::string revision;
  std::optional<ProcessStats> process;
  Histogram::Snapshot compare_seconds;    // checker::CheckerStats
  Histogram::Snapshot detection_seconds;  // checker::CheckerStats
  std::map<std::string, double> collector_rates;  // changes/s over the last minute, by name
  std::vector<CollectorStatus> collectors;
  std::vector<TagStatus> tags;
  std::vector<TargetStatus> targets;
  AlarmCounts alarms;
  bool barrier = false;
  uint64_t barrier_bumps = 0;
  uint64_t barrier_failures = 0;
  std::optional<uint64_t> barrier_offset;
  bool barrier_connected = false;
  std::optional<uint64_t> checkpoint_barrier;  // the barrier collectors resume before
};

// Prometheus text exposition format (version 0.0.4).
std::string RenderMetrics(const StatusSnapshot& s);
// One JSON document (for scripts; docs/operations.md).
std::string RenderStatusJson(const StatusSnapshot& s);
// The status page at "/": one HTML document for a person, no external assets, refreshing
// itself (docs/operations.md).
std::string RenderStatusPage(const StatusSnapshot& s);
// Readiness (/readyz, and /healthz): every collector is connected and no target is in
// Timeout; else the reasons.
std::pair<bool, std::string> Health(const StatusSnapshot& s);
// Liveness (/livez): the daemon's loops turn: its tick ran within the last kLivenessWindow.
// A lagging replica or a lost server does not make dcp unlive (a restart would not help).
inline constexpr absl::Duration kLivenessWindow = absl::Seconds(30);
std::pair<bool, std::string> Liveness(const StatusSnapshot& s);

class Daemon {
 public:
  // Validates servers, opens sinks, starts every component. Errors: kInvalidArgument for
  // options that cannot work, the server check's code for a bad server, kUnavailable when a
  // listen address cannot be bound. Nothing keeps running after an error.
  static absl::StatusOr<std::unique_ptr<Daemon>> Start(Options options);
  ~Daemon();  // Stop()s
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Stops collectors, compares what is complete, persists checkpoints, flushes alarms (HTTP
  // sinks get up to a few seconds; undelivered alarms stay spooled). Idempotent.
  void Stop();
  // Reopens the alarm log and the daemon's log file (SIGHUP).
  void ReopenLogs();
  StatusSnapshot Snapshot() const;
  // Why dcp cannot go on, or OK: a collector stopped at a position no server can resume
  // (kFailedPrecondition, e.g. its binlogs were purged, or the servers are of another
  // topology). RunUntilSignal() stops and returns it (`dcp run` exits 2).
  absl::Status Fatal() const;
  // The bound HTTP port, 0 without an HTTP server.
  int http_port() const;

  class Impl;

 private:
  explicit Daemon(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Runs the daemon until SIGINT or SIGTERM (SIGHUP reopens logs): blocks those signals in the
// calling thread before any thread starts, then waits for them. Returns Start()'s error,
// Fatal() once it is set (after stopping), or OK after a clean stop.
absl::Status RunUntilSignal(Options options);

}  // namespace dcp::daemon

#endif  // DCP_DAEMON_DAEMON_H_
