// JsonLinesSink: appends one JSON document per alarm (docs/alarms.md) to a file, or stdout.
//
// Lines are written whole: a write that fails part-way (a full disk) is cut back off the
// file, so the log never holds a torn line; the alarm stays in a bounded backlog, is retried
// before the next alarm and by Flush(), and the failure is logged, counted and shown in
// stats(). Writes are buffered by the kernel only (no fsync): Emit() never waits on a disk.
// Thread-safe.
#ifndef DCP_ALARM_JSON_LINES_SINK_H_
#define DCP_ALARM_JSON_LINES_SINK_H_

#include <cstdint>
#include <deque>
#include <utility>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "alarm/alarm.h"

namespace dcp::alarm {

class JsonLinesSink final : public AlarmSink {
 public:
  // Alarms kept in memory while the file cannot be written; beyond it the oldest are dropped
  // (counted as errors).
  static constexpr size_t kMaxBacklog = 10'000;

  // `path` "-" means stdout. kUnavailable when the file cannot be opened.
  static absl::StatusOr<std::unique_ptr<JsonLinesSink>> Open(const std::string& path);
  ~JsonLinesSink() override;

  void Emit(const Alarm& alarm) override;
  bool Flush(absl::Duration timeout) override;
  // Reopens the file (after log rotation); no-op for stdout.
  absl::Status Reopen() override;
  SinkStats stats() const override;

 private:
  JsonLinesSink(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  // Writes the backlog in order; stops at the first failure.
  void WriteBacklog() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // One whole line, or nothing (a partial write is truncated away).
  absl::Status WriteLine(const std::string& line) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string path_;
  mutable absl::Mutex mu_;
  int fd_ ABSL_GUARDED_BY(mu_);
  uint64_t sequence_ ABSL_GUARDED_BY(mu_) = 0;
  // Lines not written yet, with when their alarm was raised.
  std::deque<std::pair<std::string, absl::Time>> backlog_ ABSL_GUARDED_BY(mu_);
  Histogram delivery_{Histogram::LatencyBounds()};
  SinkStats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dcp::alarm

#endif  // DCP_ALARM_JSON_LINES_SINK_H_
