#include "daemon/history.h"

namespace dcp::daemon {

void History::Add(const std::string& series, absl::Time time, std::optional<double> value) {
  absl::MutexLock lock(&mu_);
  std::deque<Point>& points = series_[series];
  points.push_back({time, value});
  while (!points.empty() && points.front().time < time - span_) points.pop_front();
}

std::vector<History::Point> History::Get(const std::string& series) const {
  absl::MutexLock lock(&mu_);
  auto it = series_.find(series);
  if (it == series_.end()) return {};
  return std::vector<Point>(it->second.begin(), it->second.end());
}

std::optional<double> History::Rate(const std::string& series, absl::Duration window) const {
  absl::MutexLock lock(&mu_);
  auto it = series_.find(series);
  if (it == series_.end() || it->second.size() < 2) return std::nullopt;
  const Point& last = it->second.back();
  // The oldest sample within the window (or the oldest there is).
  const Point* first = &it->second.front();
  for (const Point& p : it->second) {
    if (p.time >= last.time - window) {
      first = &p;
      break;
    }
  }
  if (first == &last || !first->value || !last.value) return std::nullopt;
  const double seconds = absl::ToDoubleSeconds(last.time - first->time);
  if (seconds <= 0) return std::nullopt;
  return (*last.value - *first->value) / seconds;
}

}  // namespace dcp::daemon
