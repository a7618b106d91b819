// LagTracker: replication lag per target from the barrier heartbeat.
//
// The barrier writer reports when each barrier offset committed on the source
// (OnWritten); collectors report when that offset arrived in a target's stream (OnArrived).
// The lag of a target is arrival - commit of the last barrier it delivered; CurrentLag() also
// accounts for a target that has stopped delivering: it is at least now - commit of the
// oldest barrier written after the last one the target delivered.
//
// Thread-safe. Keeps the commit times of the last `max_entries` barriers.
#ifndef DCP_BARRIER_LAG_H_
#define DCP_BARRIER_LAG_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace dcp::barrier {

class LagTracker {
 public:
  explicit LagTracker(size_t max_entries = 4096) : max_entries_(max_entries) {}

  void OnWritten(uint64_t offset, absl::Time committed) ABSL_LOCKS_EXCLUDED(mu_);
  // Returns the measured lag when the offset's commit time is known (it may be unknown for
  // barriers written before this process started, or evicted).
  std::optional<absl::Duration> OnArrived(const std::string& tag, uint64_t offset,
                                          absl::Time arrival) ABSL_LOCKS_EXCLUDED(mu_);
  // The last measured lag of `tag`.
  std::optional<absl::Duration> LastLag(const std::string& tag) const ABSL_LOCKS_EXCLUDED(mu_);
  // The lag of `tag` as of `now`, including time spent waiting for a barrier not yet arrived.
  std::optional<absl::Duration> CurrentLag(const std::string& tag, absl::Time now) const
      ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct TagLag {
    uint64_t last_offset = 0;
    absl::Duration lag;
  };
  const size_t max_entries_;
  mutable absl::Mutex mu_;
  std::map<uint64_t, absl::Time> written_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, TagLag> tags_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dcp::barrier

#endif  // DCP_BARRIER_LAG_H_
