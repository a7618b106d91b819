// AlarmSequence: alarm delivery numbers that never repeat, across restarts and crashes.
//
// The daemon numbers every alarm once (Alarm::sequence), before it reaches the sinks, so the
// log, the webhook and every receiver see the same number for the same alarm. Numbers are
// handed out from blocks reserved in a state file (`<state dir>/alarm-sequence`, the first
// number not yet reserved, written atomically and fsync'ed): after a crash the next run
// starts after the whole reserved block, so a number may be skipped but is never reused.
// Reserve() refills the block ahead of need, off the checker's path (the daemon calls it
// every tick); Next() reserves synchronously only when a burst used the whole block.
//
// Thread-safe.
#ifndef DCP_ALARM_SEQUENCE_H_
#define DCP_ALARM_SEQUENCE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace dcp::alarm {

class AlarmSequence {
 public:
  // Reads (or creates) the state file and reserves the first block. kDataLoss when the file
  // holds something else than a number; the errors of util/atomic_file.h otherwise.
  static absl::StatusOr<std::unique_ptr<AlarmSequence>> Open(std::string path,
                                                             uint64_t block = 1000);

  // The next number (1, 2, ... for a new file). If a reservation fails, numbers go on in
  // memory and the failure is reported by the next Reserve().
  uint64_t Next();
  // Keeps at least half a block reserved ahead of Next(); writes the file when needed.
  absl::Status Reserve();

 private:
  AlarmSequence(std::string path, uint64_t block) : path_(std::move(path)), block_(block) {}
  absl::Status ReserveLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string path_;
  const uint64_t block_;
  absl::Mutex mu_;
  uint64_t next_ ABSL_GUARDED_BY(mu_) = 1;
  uint64_t limit_ ABSL_GUARDED_BY(mu_) = 1;  // numbers below it are reserved on disk
  absl::Status failure_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dcp::alarm

#endif  // DCP_ALARM_SEQUENCE_H_
