// Progress of a long job (verifier data, padder, padder repair) for a person at a terminal or
// reading a log: per item (a table, a binlog file, a GTID domain) and overall, the amount done
// and expected, the rate, the percentage and the ETA (h:mm:ss).
//
//   --progress=auto|tty|log|none[,INTERVAL]
//   tty:  one line redrawn in place ('\r') with a bar, at most every INTERVAL (default 250ms)
//   log:  one newline-terminated log line every INTERVAL (default 10s), through the logger
//         (so a JSON object under --log-format=json); never a '\r'
//   auto: tty when stderr is a terminal and the log format is text, else log
//
//   ProgressReporter progress(spec, "rows", clock);
//   size_t t = progress.AddItem("shop.orders", 1'000'000);
//   progress.Advance(t, 5000);  // from any thread
//   progress.MaybeReport();     // cheap unless INTERVAL has passed since the last report
//   progress.Finish();
//
// Time comes from the injected clock. Thread-safe.
#ifndef DCP_UTIL_PROGRESS_H_
#define DCP_UTIL_PROGRESS_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "util/clock.h"

namespace dcp {

struct ProgressSpec {
  enum class Mode { kNone, kTty, kLog };
  Mode mode = Mode::kNone;
  absl::Duration interval = absl::Seconds(10);
};

// Parses the --progress value. `stderr_is_tty` decides "auto" (with the log format).
absl::StatusOr<ProgressSpec> ParseProgressSpec(absl::string_view text, bool stderr_is_tty);

// "h:mm:ss" ("0:00:05", "27:46:40").
std::string FormatHms(absl::Duration d);

class ProgressReporter {
 public:
  // Receives each report: the line without newline or '\r'; `final` for the last one.
  using Writer = std::function<void(const std::string& line, bool final)>;

  // `unit` names what is counted ("rows", "bytes", "keys"). With a null writer, the mode's
  // own: the logger (log) or stderr (tty).
  ProgressReporter(ProgressSpec spec, std::string unit, Clock* clock, Writer writer = nullptr);

  bool enabled() const { return spec_.mode != ProgressSpec::Mode::kNone; }

  // A new item expecting `total` units (0: unknown). Returns its id for the calls below.
  size_t AddItem(const std::string& name, uint64_t total) ABSL_LOCKS_EXCLUDED(mu_);
  void SetTotal(size_t item, uint64_t total) ABSL_LOCKS_EXCLUDED(mu_);
  // `units` more done (the item starts its clock at its first progress).
  void Advance(size_t item, uint64_t units) ABSL_LOCKS_EXCLUDED(mu_);
  // Done so far, absolute (for positions: a file offset, a GTID sequence).
  void SetDone(size_t item, uint64_t done) ABSL_LOCKS_EXCLUDED(mu_);
  // Counted as already done before this run (resumed): excluded from the rate.
  void SetAlreadyDone(size_t item, uint64_t done) ABSL_LOCKS_EXCLUDED(mu_);
  // The item is complete: its total becomes what was done.
  void FinishItem(size_t item) ABSL_LOCKS_EXCLUDED(mu_);

  // Whether a report is due (INTERVAL passed since the last one); cheap.
  bool Due() const ABSL_LOCKS_EXCLUDED(mu_);
  // Reports when due.
  void MaybeReport() ABSL_LOCKS_EXCLUDED(mu_);
  // The last report (also in tty mode, where it ends the line). Idempotent.
  void Finish() ABSL_LOCKS_EXCLUDED(mu_);

  // Calls MaybeReport() until `done` is notified, waking at most every 250 ms of real time
  // (what is reported, and when, follows the injected clock). For a reporter thread.
  void RunUntil(absl::Notification* done);

  // The text of a report now: overall, then the items in progress.
  std::string Line() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Item {
    std::string name;
    uint64_t total = 0;
    uint64_t done = 0;
    uint64_t already = 0;  // done before this run
    bool started = false;
    bool finished = false;
    absl::Time start;
  };
  std::string LineLocked(absl::Time now) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::string Overall(absl::Time now) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Report(bool final) ABSL_LOCKS_EXCLUDED(mu_);
  void Start(Item& item) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const ProgressSpec spec_;
  const std::string unit_;
  Clock* const clock_;
  Writer writer_;
  mutable absl::Mutex mu_;
  std::vector<Item> items_ ABSL_GUARDED_BY(mu_);
  absl::Time start_ ABSL_GUARDED_BY(mu_);
  absl::Time last_report_ ABSL_GUARDED_BY(mu_);
  // (time, done this run) samples of the last minute, for the recent rate.
  mutable std::deque<std::pair<absl::Time, uint64_t>> samples_ ABSL_GUARDED_BY(mu_);
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace dcp

#endif  // DCP_UTIL_PROGRESS_H_
