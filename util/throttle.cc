#include "util/throttle.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "util/log.h"
#include "util/progress.h"

namespace dcp {
namespace {

constexpr absl::Duration kStillThrottledEvery = absl::Seconds(30);

std::string Value(double v, const std::string& unit) {
  return absl::StrCat(absl::StrFormat("%g", v), unit);
}

}  // namespace

Throttle::Throttle(std::vector<ThrottleCheck> checks, Clock* clock, absl::Duration poll)
    : checks_(std::move(checks)), clock_(clock), poll_(poll) {}

absl::StatusOr<std::string> Throttle::Over() {
  std::string reasons;
  for (const ThrottleCheck& c : checks_) {
    absl::StatusOr<std::optional<double>> v = c.read();
    std::string reason;
    if (!v.ok()) {
      if (!absl::IsUnavailable(v.status())) {
        return absl::Status(v.status().code(), absl::StrCat(c.name, ": ", v.status().message()));
      }
      reason = absl::StrCat(c.name, " cannot be read (", v.status().message(), ")");
    } else if (!v->has_value()) {
      reason = absl::StrCat(c.name, " is unknown (replication stopped?), max ",
                            Value(c.max, c.unit));
    } else if (**v > c.max) {
      reason = absl::StrCat(c.name, " ", Value(**v, c.unit), " > max ", Value(c.max, c.unit));
    }
    if (!reason.empty()) absl::StrAppend(&reasons, reasons.empty() ? "" : "; ", reason);
  }
  return reasons;
}

absl::Status Throttle::Wait(const std::function<bool()>& cancelled) {
  if (checks_.empty()) return absl::OkStatus();
  absl::MutexLock lock(&mu_);
  const absl::Time start = clock_->Now();
  if (start - last_ok_ < poll_) return absl::OkStatus();
  absl::Time last_said = start;
  bool paused = false;
  for (;;) {
    absl::StatusOr<std::string> over = Over();
    if (!over.ok()) return over.status();
    const absl::Time now = clock_->Now();
    if (over->empty()) {
      last_ok_ = now;
      if (paused) {
        stats_.paused += now - start;
        DCP_LOG(INFO) << "throttle: resumed after " << FormatHms(now - start)
                      << " paused: every limit is met again";
      }
      return absl::OkStatus();
    }
    if (!paused) {
      paused = true;
      ++stats_.pauses;
      DCP_LOG(WARNING) << "throttle: throttled (paused): " << *over;
    } else if (now - last_said >= kStillThrottledEvery) {
      last_said = now;
      DCP_LOG(WARNING) << "throttle: still throttled after " << FormatHms(now - start) << ": "
                       << *over;
    }
    if (cancelled && cancelled()) return absl::CancelledError("cancelled while throttled");
    clock_->SleepFor(poll_);
  }
}

Throttle::Stats Throttle::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

}  // namespace dcp
