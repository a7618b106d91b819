// Checker: compares a source tag's changes with each target tag's, window by window.
//
// Barriers split every tag's stream into windows: the changes between barrier N and N+1 form
// window [N, N+1). When a source window and a target's window of the same range are both
// complete they are compared (docs/checker.md):
//   - state mode (default): per key, the final image (checksum or deleted) must be equal. A
//     key that differs becomes a *suspect* and is re-checked at each following window against
//     the latest images; it is cleared silently when they become equal (or when the target's
//     image is a source image that was current at most `tolerance` windows ago: a late but
//     consistent pipeline), and reported in a Diff when it is still unexplained `tolerance`
//     windows after it was first seen.
//   - sequence mode (gravity's strict mode): per key, the ordered list of changes (by binlog
//     order) must be equal; any difference is a Diff at once.
// Each target has its own queues, timeouts and suspects: a slow or stopped target never
// delays another. A source window not matched by a target within `timeout` raises one
// Timeout per episode and a Recovered when the target catches up (its oldest undelivered
// window is at most timeout/2 old: hysteresis, so a target catching up at the threshold does
// not flap); late windows are still compared. Barrier anomalies (payload before the first barrier,
// duplicate or out-of-order barrier, barrier jump, collector reconnect) resynchronise the tag and
// raise a Gap with the cause; an unknown tag is rejected (kInvalidArgument) and reported once.
// Buffered changes per target are capped: beyond `max_buffered_changes` the oldest window is
// dropped and an Overflow says which barrier range went unchecked.
//
// Thread-safe: Add() and Tick() may be called from any thread (one mutex). Alarms are
// emitted to the sink while the checker's lock is held, in the order they are raised.
#ifndef DCP_CHECKER_CHECKER_H_
#define DCP_CHECKER_CHECKER_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "alarm/alarm.h"
#include "checker/change.h"
#include "checker/segment.h"
#include "util/clock.h"
#include "util/histogram.h"

namespace dcp::checker {

enum class Mode { kState, kSequence };
absl::StatusOr<Mode> ParseMode(absl::string_view text);  // "state" | "sequence"
absl::string_view ModeName(Mode mode);

struct CheckerOptions {
  std::string source_tag;
  std::vector<std::string> target_tags;
  Mode mode = Mode::kState;
  // State mode: windows a differing key may stay unexplained before it is a Diff.
  int tolerance = 2;
  absl::Duration timeout = absl::Seconds(10);
  // Per target: changes buffered in complete windows waiting for comparison (source windows
  // pending for this target plus the target's own). Also caps one tag's open window.
  size_t max_buffered_changes = 1'000'000;
  // Per target: suspects kept in state mode; beyond it new differing keys are reported at once.
  size_t max_suspects = 1'000'000;
  // Keys listed in one Diff alarm (the total is always given).
  size_t max_sample_keys = 20;
  // Keep row contents (RowChange::content) to show them in Diff alarms; costs memory.
  bool keep_content = false;
  // Called (under the checker's lock; must be quick) for every barrier a tag delivers, with
  // the checker clock's time: feed it to barrier::LagTracker::OnArrived for lag per target.
  std::function<void(const std::string& tag, uint64_t offset, absl::Time arrival)> on_barrier;

  // kInvalidArgument naming the problem: empty tags, source also a target, duplicate target,
  // negative tolerance, non-positive timeout, zero caps.
  absl::Status Validate() const;
};

struct TargetStats {
  std::string tag;
  uint64_t windows_compared = 0;
  uint64_t windows_same = 0;
  uint64_t windows_diff = 0;
  uint64_t diff_keys = 0;
  uint64_t timeouts = 0;
  uint64_t recovered = 0;
  uint64_t gaps = 0;
  uint64_t overflows = 0;         // windows dropped because of the cap
  uint64_t suspects = 0;          // current
  uint64_t suspects_cleared = 0;  // cleared silently (late but consistent)
  uint64_t suspects_dropped = 0;  // dropped because a window in between went unchecked
  uint64_t buffered_changes = 0;  // current
  uint64_t pending_source_windows = 0;
  uint64_t pending_target_windows = 0;
  bool in_timeout = false;
  // The end barrier of the last source window compared (or reported unchecked).
  std::optional<uint64_t> checked_to;
  // The end barrier of the last window this target is done with (compared or skipped): the
  // daemon's resume point for the checker.
  std::optional<uint64_t> last_done_barrier;
};

struct TagStats {
  std::string tag;
  std::optional<uint64_t> last_barrier;
  uint64_t changes = 0;
  uint64_t barriers = 0;
  uint64_t dropped_before_first_barrier = 0;
  uint64_t dropped_in_resync = 0;
  uint64_t duplicates = 0;
  uint64_t open_window_changes = 0;
};

struct CheckerStats {
  std::vector<TagStats> tags;  // source first, then targets in configuration order
  std::vector<TargetStats> targets;
  uint64_t unknown_tag_messages = 0;
  // Seconds spent comparing one window pair (processing time).
  Histogram::Snapshot compare_seconds;
  // Diff alarms: from the commit of the earliest differing change in the alarm's sample (its
  // binlog timestamp, whole seconds) to the alarm.
  Histogram::Snapshot detection_seconds;
};

class Checker {
 public:
  // `clock` and `sink` must outlive the checker.
  static absl::StatusOr<std::unique_ptr<Checker>> Create(CheckerOptions options, Clock* clock,
                                                         alarm::AlarmSink* sink);

  // Consumes one change in its tag's order. kInvalidArgument for an unknown tag (the change
  // is ignored); every other anomaly is handled and reported through the sink.
  absl::Status Add(const Change& change) ABSL_LOCKS_EXCLUDED(mu_);

  // Evaluates timeouts against the clock; call periodically (e.g. every second).
  void Tick() ABSL_LOCKS_EXCLUDED(mu_);

  CheckerStats Stats() const ABSL_LOCKS_EXCLUDED(mu_);
  // For restarts: the highest barrier R such that a checker fed every tag's stream again from
  // barrier R on would raise every alarm this one still could, i.e. every target's windows
  // before R are compared (or reported unchecked) and no unreported suspect was first seen
  // before R. std::nullopt until every target has completed a window. Never decreases while
  // suspects are only added at or after it.
  std::optional<uint64_t> ResumeBarrier() const ABSL_LOCKS_EXCLUDED(mu_);
  // Approximate bytes held by buffered windows, suspects and interned origins.
  size_t MemoryBytes() const ABSL_LOCKS_EXCLUDED(mu_);

  const CheckerOptions& options() const { return options_; }

 private:
  struct Window {
    uint64_t from = 0;
    uint64_t to = 0;
    // null: the window is skipped (a Gap or Overflow already reported it)
    std::shared_ptr<const Segment> segment;
    absl::Time closed_at;
    bool dropped_by_overflow = false;
    size_t changes() const { return segment ? segment->changes() : 0; }
  };

  struct TagState {
    std::string name;
    bool is_source = false;
    int target_index = -1;
    std::optional<uint64_t> first_barrier;
    std::optional<uint64_t> last_barrier;
    std::unique_ptr<Segment> open;
    // The open window can't be checked: why (reconnect, cap). Empty: it can.
    std::string open_gap_cause;
    bool open_overflowed = false;
    // After an out-of-order barrier: changes are ignored until this barrier comes back.
    std::optional<uint64_t> resync_until;
    uint64_t last_seq = 0;
    TagStats stats;
  };

  struct Suspect {
    uint64_t first_from = 0;  // window where the key first differed
    uint64_t first_to = 0;
    Image target;           // kUnknown: target never changed it since
    bool reported = false;  // already in a Diff; kept to recognise a late convergence
    // Source images in order, each with the end barrier of the window it was current from.
    std::vector<std::pair<uint64_t, Image>> source;
  };

  struct TargetState {
    std::string tag;
    std::deque<Window> source_windows;
    std::deque<Window> target_windows;
    size_t buffered = 0;
    bool in_timeout = false;
    absl::Time late_since;
    std::optional<std::pair<uint64_t, uint64_t>> overflow_range;  // current episode
    // The end barrier of the last source window this target is done with.
    std::optional<uint64_t> checked_to;
    absl::flat_hash_map<std::string, Suspect> suspects;
    TargetStats stats;
  };

  // The differing keys of one comparison: counts them all, keeps the `cap` smallest keys.
  class DiffSample {
   public:
    explicit DiffSample(size_t cap) : cap_(cap) {}
    void Add(alarm::KeyDiff diff);
    uint64_t total() const { return total_; }
    std::vector<alarm::KeyDiff> Take();  // sorted by key

   private:
    void Trim();
    size_t cap_;
    uint64_t total_ = 0;
    std::vector<alarm::KeyDiff> keys_;
  };

  Checker(CheckerOptions options, Clock* clock, alarm::AlarmSink* sink);

  TagState* FindTag(absl::string_view tag) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void OnRow(TagState& tag, const RowChange& row, uint64_t seq) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void OnBarrier(TagState& tag, uint64_t offset) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void OnReconnect(TagState& tag, const std::string& cause) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Closes the tag's open window as [from, to); `gap_cause` non-empty makes it a skipped
  // window reported as a Gap.
  void CloseWindow(TagState& tag, uint64_t from, uint64_t to, std::string gap_cause)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void OpenWindow(TagState& tag) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EnforceCap(TargetState& t) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Match(TargetState& t) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void CheckTimeout(TargetState& t, absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void PopSkipped(TargetState& t, const Window& w) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Compare(TargetState& t, const Window& source, const Window& target)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void CompareState(TargetState& t, const Window& source, const Window& target, DiffSample& diffs,
                    uint64_t& diff_from) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void CompareSequence(TargetState& t, const Window& source, const Window& target,
                       DiffSample& diffs) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  alarm::SideImage Side(const Image& image) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  alarm::KeyDiff MakeKeyDiff(absl::string_view key, const Image& source, const Image& target) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Raise(alarm::Alarm alarm) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  alarm::Alarm NewAlarm(alarm::AlarmKind kind, const std::string& target_tag)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const CheckerOptions options_;
  Clock* const clock_;
  alarm::AlarmSink* const sink_;
  Histogram compare_seconds_{Histogram::LatencyBounds()};
  Histogram detection_seconds_{Histogram::LatencyBounds()};

  mutable absl::Mutex mu_;
  std::vector<TagState> tags_ ABSL_GUARDED_BY(mu_);  // [0] is the source
  std::vector<TargetState> targets_ ABSL_GUARDED_BY(mu_);
  Interner origins_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<std::string> unknown_tags_ ABSL_GUARDED_BY(mu_);
  uint64_t unknown_tag_messages_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace dcp::checker

#endif  // DCP_CHECKER_CHECKER_H_
