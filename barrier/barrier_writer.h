// BarrierWriter: keeps a barrier row on the source moving, so that every collector's stream is
// cut into the same windows, and reports when each barrier committed (a heartbeat for lag).
//
// At (re)connection it runs gravity's setup, idempotently:
//   CREATE DATABASE IF NOT EXISTS drc
//   CREATE TABLE IF NOT EXISTS drc.barrier (id int(11) unsigned NOT NULL AUTO_INCREMENT,
//     `offset` BIGINT unsigned NOT NULL DEFAULT 0, ts timestamp NOT NULL DEFAULT
//     CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP, PRIMARY KEY (id)) ENGINE=InnoDB
//     DEFAULT CHARSET=utf8
//   INSERT IGNORE INTO drc.barrier (id, `offset`) VALUES (<id>, 0)
// and reads the row's offset. Then every `interval` it bumps its own row with a compare-and-
// set, `UPDATE drc.barrier SET offset = N+1 WHERE id = <id> AND offset = N`, so that a bump
// retried after a lost connection never bumps twice: the offsets in the binlog are always
// consecutive. Offsets never go backwards: a row found behind the highest offset written (a
// new primary that never received the last bumps) is moved above it in one bump. A failed bump is logged (rate-limited) and retried after reconnecting with
// exponential backoff; it is never skipped. Several checkers share a source with distinct ids.
//
// Thread-compatible: RunOnce() from one thread; Run()/Stop() may be called from different
// threads; stats() is thread-safe.
#ifndef DCP_BARRIER_BARRIER_WRITER_H_
#define DCP_BARRIER_BARRIER_WRITER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "mysql/dsn.h"
#include "util/clock.h"

namespace dcp::barrier {

// The few SQL calls the writer needs; implemented over mysql::Connection and by test fakes.
class SqlSession {
 public:
  virtual ~SqlSession() = default;
  // Returns the number of affected rows.
  virtual absl::StatusOr<uint64_t> Execute(absl::string_view sql) = 0;
  // The first column of the first row; kNotFound when there is no row.
  virtual absl::StatusOr<std::optional<std::string>> QueryValue(absl::string_view sql) = 0;
};

class SqlConnector {
 public:
  virtual ~SqlConnector() = default;
  virtual absl::StatusOr<std::unique_ptr<SqlSession>> Connect() = 0;
  // Whether the server of the last Connect() is still the one to write to (see
  // NewTopologyConnector); called every BarrierOptions::recheck. An error drops the session.
  virtual absl::Status Verify() { return absl::OkStatus(); }
  // The server of the last successful Connect(), for logs ("" when unknown).
  virtual std::string Server() const { return ""; }
};

// Connects with mysql::Connection to `dsn`.
std::unique_ptr<SqlConnector> NewMysqlConnector(mysql::Dsn dsn);

// Connects to the one writable server (read_only and super_read_only off) among `candidates`,
// the servers of one replication topology: none writable is kUnavailable (a failover in
// progress: retry), two or more is kFailedPrecondition "split brain: ..." (write to neither:
// the barrier would order the windows of two histories). Verify() re-checks that the
// connected server is the only writable one. With one candidate it connects without checks.
std::unique_ptr<SqlConnector> NewTopologyConnector(std::vector<mysql::Dsn> candidates);

struct BarrierOptions {
  uint32_t id = 1;
  absl::Duration interval = absl::Seconds(2);
  // Offsets continue above this (the last barrier delivered before a restart): after a
  // failover the new primary's row may lag what the old one had written.
  uint64_t floor = 0;
  // How often SqlConnector::Verify() runs while connected (0: never).
  absl::Duration recheck = absl::ZeroDuration();
  absl::Duration initial_backoff = absl::Milliseconds(500);
  absl::Duration max_backoff = absl::Seconds(30);

  absl::Status Validate() const;  // kInvalidArgument
};

// A barrier committed on the source.
struct BarrierEvent {
  uint64_t offset = 0;
  absl::Time committed;
  // The commit was confirmed only after a reconnect: `committed` is an upper bound.
  bool confirmed_late = false;
};

class BarrierWriter {
 public:
  struct Stats {
    uint64_t bumps = 0;
    uint64_t failures = 0;  // failed connects, setups and bumps
    uint64_t connects = 0;
    std::optional<uint64_t> offset;  // last committed
    bool connected = false;
    // The last failure (empty after a success), e.g. a missing privilege: for /status.
    absl::Status last_error;
  };

  // `connector` and `clock` must outlive the writer. `on_barrier` (may be empty) is called
  // from the writer's thread for every committed barrier, in offset order.
  BarrierWriter(BarrierOptions options, SqlConnector* connector, Clock* clock,
                std::function<void(const BarrierEvent&)> on_barrier = {});

  // Connects if needed and bumps once. Returns how long to wait before the next call: the
  // interval after a bump, the current backoff after a failure.
  absl::Duration RunOnce();
  // Calls RunOnce() and waits, until Stop().
  void Run();
  // Makes Run() return within ~100 ms of clock time.
  void Stop() { stop_.store(true); }

  Stats stats() const;

 private:
  absl::Status Setup();
  absl::Duration Fail(absl::string_view what, const absl::Status& status);
  void Report(uint64_t offset, bool confirmed_late);

  const BarrierOptions options_;
  SqlConnector* const connector_;
  Clock* const clock_;
  std::function<void(const BarrierEvent&)> on_barrier_;
  std::unique_ptr<SqlSession> session_;
  std::optional<uint64_t> offset_;   // the row's offset as last read or written
  std::optional<uint64_t> pending_;  // a bump whose outcome is unknown
  // The highest offset written or read: the next bump goes above it even when the row (on a
  // new primary) is behind, so that offsets never go backwards across a failover.
  uint64_t high_water_ = 0;
  absl::Time verified_at_ = absl::InfinitePast();
  absl::Duration backoff_;
  std::atomic<bool> stop_{false};
  mutable absl::Mutex mu_;
  Stats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dcp::barrier

#endif  // DCP_BARRIER_BARRIER_WRITER_H_
