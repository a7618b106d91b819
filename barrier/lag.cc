#include "barrier/lag.h"

#include <algorithm>

namespace dcp::barrier {

void LagTracker::OnWritten(uint64_t offset, absl::Time committed) {
  absl::MutexLock lock(&mu_);
  written_[offset] = committed;
  while (written_.size() > max_entries_) written_.erase(written_.begin());
}

std::optional<absl::Duration> LagTracker::OnArrived(const std::string& tag, uint64_t offset,
                                                    absl::Time arrival) {
  absl::MutexLock lock(&mu_);
  auto it = written_.find(offset);
  if (it == written_.end()) return std::nullopt;
  // Clock skew between writer and collector can't make lag negative.
  const absl::Duration lag = std::max(arrival - it->second, absl::ZeroDuration());
  TagLag& t = tags_[tag];
  if (offset >= t.last_offset) {
    t.last_offset = offset;
    t.lag = lag;
  }
  return lag;
}

std::optional<absl::Duration> LagTracker::LastLag(const std::string& tag) const {
  absl::MutexLock lock(&mu_);
  auto it = tags_.find(tag);
  if (it == tags_.end()) return std::nullopt;
  return it->second.lag;
}

std::optional<absl::Duration> LagTracker::CurrentLag(const std::string& tag, absl::Time now) const {
  absl::MutexLock lock(&mu_);
  auto it = tags_.find(tag);
  if (it == tags_.end()) {
    if (written_.empty()) return std::nullopt;
    // Nothing arrived yet: at least as old as the oldest barrier we know of.
    return std::max(now - written_.begin()->second, absl::ZeroDuration());
  }
  absl::Duration lag = it->second.lag;
  auto next = written_.upper_bound(it->second.last_offset);
  if (next != written_.end()) lag = std::max(lag, now - next->second);
  return lag;
}

}  // namespace dcp::barrier
