#include "alarm/sequence.h"

#include <optional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "util/atomic_file.h"
#include "util/status_macros.h"

namespace dcp::alarm {

absl::StatusOr<std::unique_ptr<AlarmSequence>> AlarmSequence::Open(std::string path,
                                                                   uint64_t block) {
  ASSIGN_OR_RETURN(std::optional<std::string> saved, ReadFileIfExists(path));
  std::unique_ptr<AlarmSequence> s(new AlarmSequence(std::move(path), block == 0 ? 1 : block));
  absl::MutexLock lock(&s->mu_);
  if (saved) {
    uint64_t limit = 0;
    if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(*saved), &limit) || limit == 0) {
      return absl::DataLossError(absl::StrCat(s->path_, ": not an alarm sequence number"));
    }
    // Everything below the saved limit may have been handed out before a crash.
    s->next_ = s->limit_ = limit;
  }
  RETURN_IF_ERROR(s->ReserveLocked());
  return s;
}

absl::Status AlarmSequence::ReserveLocked() {
  const uint64_t limit = next_ + block_;
  absl::Status s = WriteFileAtomically(path_, absl::StrCat(limit, "\n"));
  if (s.ok()) {
    limit_ = limit;
  } else {
    failure_ = s;
  }
  return s;
}

uint64_t AlarmSequence::Next() {
  absl::MutexLock lock(&mu_);
  if (next_ >= limit_) ReserveLocked().IgnoreError();  // a burst used the whole block
  return next_++;
}

absl::Status AlarmSequence::Reserve() {
  absl::MutexLock lock(&mu_);
  absl::Status earlier = std::exchange(failure_, absl::OkStatus());
  if (limit_ - std::min(limit_, next_) < block_ / 2) RETURN_IF_ERROR(ReserveLocked());
  return earlier;
}

}  // namespace dcp::alarm
