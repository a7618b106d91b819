// History: what the status page draws over time: per target its replication lag, per
// collector its delivered-change count, sampled once per tick and kept for an hour in ring
// buffers (3,600 samples at the default 1 s tick, a few tens of KB per series).
//
// Thread-safe.
#ifndef DCP_DAEMON_HISTORY_H_
#define DCP_DAEMON_HISTORY_H_

#include <cstddef>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace dcp::daemon {

class History {
 public:
  struct Point {
    absl::Time time;
    std::optional<double> value;  // unknown (no lag measured yet) is kept as a hole
  };

  explicit History(absl::Duration span = absl::Hours(1)) : span_(span) {}

  // Appends a sample to `series` and drops samples older than the span.
  void Add(const std::string& series, absl::Time time, std::optional<double> value);
  // The samples of `series`, oldest first.
  std::vector<Point> Get(const std::string& series) const;
  // (value now - value `window` ago) / seconds between them, from the samples; std::nullopt
  // without two samples.
  std::optional<double> Rate(const std::string& series, absl::Duration window) const;

 private:
  const absl::Duration span_;
  mutable absl::Mutex mu_;
  std::map<std::string, std::deque<Point>> series_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dcp::daemon

#endif  // DCP_DAEMON_HISTORY_H_
