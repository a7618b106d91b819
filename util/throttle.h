// Throttle: makes a bulk job (verifier data, padder, padder repair) wait while the servers
// are too busy, as pt-table-checksum's --max-lag / --max-load and gh-ost's throttling do.
//
// Each Check reads one value (a replica's lag in seconds, a status variable) and has a
// maximum. Wait(), called between chunks or batches, returns at once while every reading is
// at or under its maximum (readings are taken at most once per `poll`, whoever calls), and
// otherwise sleeps `poll` at a time until they all are, logging the pause with its reason
// and the resume with the time paused. A reading that is unknown (replication stopped: no
// Seconds_Behind_Master) counts as over the limit; so does a probe that cannot reach its
// server (kUnavailable), which is retried. Other probe errors (a status variable that does
// not exist, a server that is no replica) end the wait with that error.
//
//   Throttle throttle({{"lag of replica 10.0.0.2:3306", 2.0, "s", probe}}, clock);
//   RETURN_IF_ERROR(throttle.Wait());
//
// Time comes from the injected clock. Thread-safe: concurrent callers wait together.
#ifndef DCP_UTIL_THROTTLE_H_
#define DCP_UTIL_THROTTLE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "util/clock.h"

namespace dcp {

struct ThrottleCheck {
  std::string name;  // what is read, for the log: "lag of 127.0.0.1:3307"
  double max = 0;    // over this the job waits
  std::string unit;  // "s" or empty
  // The current value; std::nullopt when unknown (counts as over the limit).
  std::function<absl::StatusOr<std::optional<double>>()> read;
};

class Throttle {
 public:
  explicit Throttle(std::vector<ThrottleCheck> checks, Clock* clock = Clock::Real(),
                    absl::Duration poll = absl::Seconds(1));

  bool enabled() const { return !checks_.empty(); }

  // Returns when every reading is within its limit (see above), or when `cancelled` says so
  // (kCancelled). `cancelled` is called once per poll while paused, so a caller without a
  // progress thread can report its (stalled) progress there too.
  absl::Status Wait(const std::function<bool()>& cancelled = nullptr) ABSL_LOCKS_EXCLUDED(mu_);

  struct Stats {
    uint64_t pauses = 0;
    absl::Duration paused;
  };
  Stats stats() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  // Reads every check: the reason to wait (empty: none), or a probe error.
  absl::StatusOr<std::string> Over() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::vector<ThrottleCheck> checks_;
  Clock* const clock_;
  const absl::Duration poll_;
  mutable absl::Mutex mu_;
  absl::Time last_ok_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  Stats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dcp

#endif  // DCP_UTIL_THROTTLE_H_
