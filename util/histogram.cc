#include "util/histogram.h"

#include <algorithm>

namespace dcp {

Histogram::Histogram(std::vector<double> bounds) {
  data_.bounds = std::move(bounds);
  data_.counts.assign(data_.bounds.size() + 1, 0);
}

void Histogram::Observe(double value) {
  absl::MutexLock lock(&mu_);
  const size_t i = static_cast<size_t>(
      std::lower_bound(data_.bounds.begin(), data_.bounds.end(), value) - data_.bounds.begin());
  ++data_.counts[i];
  data_.sum += value;
  ++data_.count;
}

Histogram::Snapshot Histogram::Get() const {
  absl::MutexLock lock(&mu_);
  return data_;
}

std::vector<double> Histogram::LatencyBounds() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
          2.5,   5,      10,    30,   60,    120,  300, 600};
}

}  // namespace dcp
