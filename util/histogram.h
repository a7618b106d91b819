// Histogram: a Prometheus-style distribution of observed values (durations in seconds):
// fixed bucket upper bounds, a sum and a count. Rendered by the daemon's /metrics as a
// histogram family (cumulative `_bucket{le=...}`, `_sum`, `_count`).
//
// Thread-safe (a mutex): meant for per-window and per-alarm observations, not per change.
#ifndef DCP_UTIL_HISTOGRAM_H_
#define DCP_UTIL_HISTOGRAM_H_

#include <cstdint>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace dcp {

class Histogram {
 public:
  struct Snapshot {
    std::vector<double> bounds;    // ascending upper bounds, +Inf implied after the last
    std::vector<uint64_t> counts;  // per bucket (not cumulative); bounds.size() + 1 entries
    double sum = 0;
    uint64_t count = 0;
  };

  // `bounds` ascending.
  explicit Histogram(std::vector<double> bounds);
  void Observe(double value);
  Snapshot Get() const;

  // Seconds from 1 ms to 10 min, roughly three per decade: for latencies.
  static std::vector<double> LatencyBounds();

 private:
  mutable absl::Mutex mu_;
  Snapshot data_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dcp

#endif  // DCP_UTIL_HISTOGRAM_H_
