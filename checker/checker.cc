#include "checker/checker.h"

#include <chrono>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "util/log.h"

namespace dcp::checker {

using alarm::Alarm;
using alarm::AlarmKind;
using alarm::KeyDiff;
using alarm::KeyDiffKind;
namespace {

constexpr size_t kMaxUnknownTagsReported = 100;

std::string OptionalBarrier(const std::optional<uint64_t>& b) {
  return b ? absl::StrCat(*b) : std::string("none");
}

bool SameRecord(const Segment::Record& a, const Segment::Record& b) {
  const bool a_deleted = a.flags & 1;
  const bool b_deleted = b.flags & 1;
  if (a_deleted || b_deleted) return a_deleted == b_deleted;
  return a.digest_hi == b.digest_hi && a.digest_lo == b.digest_lo &&
         (a.flags >> 2) == (b.flags >> 2);
}

}  // namespace

absl::StatusOr<Mode> ParseMode(absl::string_view text) {
  if (text == "state") return Mode::kState;
  if (text == "sequence") return Mode::kSequence;
  return absl::InvalidArgumentError(
      absl::StrCat("checker mode '", text, "' is not \"state\" or \"sequence\""));
}

absl::string_view ModeName(Mode mode) { return mode == Mode::kState ? "state" : "sequence"; }

absl::Status CheckerOptions::Validate() const {
  if (source_tag.empty()) return absl::InvalidArgumentError("checker: source tag is empty");
  if (target_tags.empty()) return absl::InvalidArgumentError("checker: no target tags");
  for (size_t i = 0; i < target_tags.size(); ++i) {
    if (target_tags[i].empty()) return absl::InvalidArgumentError("checker: empty target tag");
    if (target_tags[i] == source_tag) {
      return absl::InvalidArgumentError(
          absl::StrCat("checker: tag '", source_tag, "' is both the source and a target"));
    }
    for (size_t j = 0; j < i; ++j) {
      if (target_tags[j] == target_tags[i]) {
        return absl::InvalidArgumentError(
            absl::StrCat("checker: target tag '", target_tags[i], "' is listed twice"));
      }
    }
  }
  if (tolerance < 0) return absl::InvalidArgumentError("checker: tolerance must be >= 0");
  if (timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("checker: timeout must be positive");
  }
  if (max_buffered_changes == 0 || max_suspects == 0) {
    return absl::InvalidArgumentError("checker: caps must be positive");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Checker>> Checker::Create(CheckerOptions options, Clock* clock,
                                                         alarm::AlarmSink* sink) {
  if (auto s = options.Validate(); !s.ok()) return s;
  if (clock == nullptr || sink == nullptr) {
    return absl::InvalidArgumentError("checker: clock and sink are required");
  }
  return std::unique_ptr<Checker>(new Checker(std::move(options), clock, sink));
}

Checker::Checker(CheckerOptions options, Clock* clock, alarm::AlarmSink* sink)
    : options_(std::move(options)), clock_(clock), sink_(sink) {
  absl::MutexLock lock(&mu_);
  TagState source;
  source.name = options_.source_tag;
  source.is_source = true;
  source.stats.tag = source.name;
  tags_.push_back(std::move(source));
  for (size_t i = 0; i < options_.target_tags.size(); ++i) {
    TagState t;
    t.name = options_.target_tags[i];
    t.target_index = static_cast<int>(i);
    t.stats.tag = t.name;
    tags_.push_back(std::move(t));
    TargetState ts;
    ts.tag = options_.target_tags[i];
    ts.stats.tag = ts.tag;
    targets_.push_back(std::move(ts));
  }
}

Checker::TagState* Checker::FindTag(absl::string_view tag) {
  for (TagState& t : tags_) {
    if (t.name == tag) return &t;
  }
  return nullptr;
}

Alarm Checker::NewAlarm(AlarmKind kind, const std::string& target_tag) {
  Alarm a;
  a.kind = kind;
  a.time = clock_->Now();
  a.source_tag = options_.source_tag;
  a.target_tag = target_tag;
  return a;
}

void Checker::Raise(Alarm alarm) { sink_->Emit(alarm); }

absl::Status Checker::Add(const Change& change) {
  absl::MutexLock lock(&mu_);
  TagState* tag = FindTag(change.tag);
  if (tag == nullptr) {
    ++unknown_tag_messages_;
    if (unknown_tags_.size() < kMaxUnknownTagsReported && unknown_tags_.insert(change.tag).second) {
      Alarm a = NewAlarm(AlarmKind::kGap, "");
      a.message = absl::StrCat("messages for unknown tag '", change.tag,
                               "' are ignored: it is neither the source nor a target");
      Raise(std::move(a));
    }
    return absl::InvalidArgumentError(absl::StrCat("unknown tag '", change.tag, "'"));
  }
  if (const auto* row = std::get_if<RowChange>(&change.body)) {
    OnRow(*tag, *row, change.seq);
  } else if (const auto* barrier = std::get_if<Barrier>(&change.body)) {
    if (options_.on_barrier) options_.on_barrier(tag->name, barrier->offset, clock_->Now());
    OnBarrier(*tag, barrier->offset);
  } else {
    OnReconnect(*tag, std::get<Reconnect>(change.body).cause);
  }
  return absl::OkStatus();
}

void Checker::Tick() {
  absl::MutexLock lock(&mu_);
  const absl::Time now = clock_->Now();
  for (TargetState& t : targets_) CheckTimeout(t, now);
}

void Checker::OpenWindow(TagState& tag) {
  tag.open = std::make_unique<Segment>(options_.keep_content);
  tag.open_gap_cause.clear();
  tag.open_overflowed = false;
}

void Checker::OnRow(TagState& tag, const RowChange& row, uint64_t seq) {
  if (seq != 0) {
    if (seq <= tag.last_seq) {
      ++tag.stats.duplicates;
      return;
    }
    tag.last_seq = seq;
  }
  ++tag.stats.changes;
  if (!tag.last_barrier) {
    ++tag.stats.dropped_before_first_barrier;
    return;
  }
  if (tag.resync_until) {
    ++tag.stats.dropped_in_resync;
    return;
  }
  if (!tag.open_gap_cause.empty() || tag.open_overflowed) return;
  tag.open->Append(row, origins_);
  if (tag.open->changes() > options_.max_buffered_changes) {
    // Free the memory now; the window is reported as an Overflow when it closes.
    tag.open = std::make_unique<Segment>(options_.keep_content);
    tag.open_overflowed = true;
  }
}

void Checker::OnReconnect(TagState& tag, const std::string& cause) {
  if (!tag.last_barrier || tag.resync_until) return;
  tag.open = std::make_unique<Segment>(options_.keep_content);
  tag.open_overflowed = false;
  tag.open_gap_cause = absl::StrCat("collector of tag '", tag.name, "' reconnected (", cause,
                                    "): its changes in this window may be incomplete");
}

void Checker::OnBarrier(TagState& tag, uint64_t b) {
  ++tag.stats.barriers;
  if (!tag.last_barrier) {
    tag.first_barrier = b;
    tag.last_barrier = b;
    OpenWindow(tag);
    if (tag.stats.dropped_before_first_barrier > 0) {
      auto report = [&](const std::string& target) {
        Alarm a = NewAlarm(AlarmKind::kGap, target);
        a.to_barrier = b;
        a.message =
            absl::StrCat(tag.stats.dropped_before_first_barrier, " changes of tag '", tag.name,
                         "' arrived before its first barrier ", b, " and were not checked");
        Raise(std::move(a));
      };
      if (tag.is_source) {
        for (TargetState& t : targets_) {
          ++t.stats.gaps;
          report(t.tag);
        }
      } else {
        ++targets_[tag.target_index].stats.gaps;
        report(tag.name);
      }
    }
    return;
  }
  if (tag.resync_until) {
    const uint64_t r = *tag.resync_until;
    if (b < r) return;  // the collector is still replaying what was already seen
    tag.resync_until.reset();
    tag.last_barrier = r;
    OpenWindow(tag);
    if (b == r) return;
    // Barrier r never came back: the changes after it were ignored, so [r, b) is unchecked.
    tag.open_gap_cause = absl::StrCat("tag '", tag.name, "' resumed at barrier ", b,
                                      " without barrier ", r, " coming back");
  }
  const uint64_t a = *tag.last_barrier;
  if (b == a) {
    if (tag.open->changes() == 0 && tag.open_gap_cause.empty() && !tag.open_overflowed) {
      ++tag.stats.duplicates;  // a harmless resend
      return;
    }
    const size_t discarded = tag.open->changes();
    OpenWindow(tag);
    auto report = [&](const std::string& target) {
      Alarm alarm = NewAlarm(AlarmKind::kGap, target);
      alarm.from_barrier = a;
      alarm.to_barrier = a + 1;
      alarm.message =
          absl::StrCat("duplicate barrier ", a, " on tag '", tag.name, "' after ", discarded,
                       " changes: the window was restarted at the duplicate");
      Raise(std::move(alarm));
    };
    if (tag.is_source) {
      for (TargetState& t : targets_) {
        ++t.stats.gaps;
        report(t.tag);
      }
    } else {
      ++targets_[tag.target_index].stats.gaps;
      report(tag.name);
    }
    return;
  }
  if (b < a) {
    tag.open.reset();
    tag.resync_until = a;
    auto report = [&](const std::string& target) {
      Alarm alarm = NewAlarm(AlarmKind::kGap, target);
      alarm.from_barrier = b;
      alarm.to_barrier = a;
      alarm.message = absl::StrCat("out-of-order barrier ", b, " after ", a, " on tag '", tag.name,
                                   "': changes are ignored until barrier ", a,
                                   " arrives again, then checking resumes");
      Raise(std::move(alarm));
    };
    if (tag.is_source) {
      for (TargetState& t : targets_) {
        ++t.stats.gaps;
        report(t.tag);
      }
    } else {
      ++targets_[tag.target_index].stats.gaps;
      report(tag.name);
    }
    return;
  }
  std::string cause;
  if (b != a + 1) {
    cause = absl::StrCat("barrier jump from ", a, " to ", b, " on tag '", tag.name,
                         "': the barriers in between were never seen");
  }
  CloseWindow(tag, a, b, std::move(cause));
  tag.last_barrier = b;
  OpenWindow(tag);
}

void Checker::CloseWindow(TagState& tag, uint64_t from, uint64_t to, std::string gap_cause) {
  const absl::Time now = clock_->Now();
  Window w;
  w.from = from;
  w.to = to;
  w.closed_at = now;
  if (gap_cause.empty()) gap_cause = tag.open_gap_cause;
  std::vector<TargetState*> affected;
  if (tag.is_source) {
    for (TargetState& t : targets_) affected.push_back(&t);
  } else {
    affected.push_back(&targets_[tag.target_index]);
  }
  if (tag.open_overflowed) {
    w.dropped_by_overflow = true;
    for (TargetState* t : affected) {
      ++t->stats.overflows;
      Alarm a = NewAlarm(AlarmKind::kOverflow, t->tag);
      a.from_barrier = from;
      a.to_barrier = to;
      a.message =
          absl::StrCat("window [", from, ",", to, ") of tag '", tag.name, "' had more than ",
                       options_.max_buffered_changes, " changes and was not checked");
      Raise(std::move(a));
    }
  } else if (!gap_cause.empty()) {
    for (TargetState* t : affected) {
      ++t->stats.gaps;
      Alarm a = NewAlarm(AlarmKind::kGap, t->tag);
      a.from_barrier = from;
      a.to_barrier = to;
      a.message = gap_cause;
      Raise(std::move(a));
    }
  } else {
    tag.open->Shrink();
    w.segment = std::shared_ptr<const Segment>(std::move(tag.open));
  }
  tag.open.reset();
  for (TargetState* t : affected) {
    if (tag.is_source) {
      t->source_windows.push_back(w);
    } else {
      t->target_windows.push_back(w);
    }
    t->buffered += w.changes();
    Match(*t);
    EnforceCap(*t);
    CheckTimeout(*t, now);
  }
}

void Checker::EnforceCap(TargetState& t) {
  auto first_buffered = [](std::deque<Window>& q) -> size_t {
    for (size_t i = 0; i < q.size(); ++i) {
      if (q[i].segment) return i;
    }
    return q.size();
  };
  while (t.buffered > options_.max_buffered_changes) {
    const size_t si = first_buffered(t.source_windows);
    const size_t ti = first_buffered(t.target_windows);
    std::deque<Window>* queue = nullptr;
    size_t index = 0;
    if (si < t.source_windows.size()) {
      queue = &t.source_windows;
      index = si;
    }
    if (ti < t.target_windows.size() &&
        (queue == nullptr || t.target_windows[ti].from < t.source_windows[si].from)) {
      queue = &t.target_windows;
      index = ti;
    }
    if (queue == nullptr) break;
    {
      Window& w = (*queue)[index];
      t.buffered -= w.changes();
      w.segment.reset();
      w.dropped_by_overflow = true;
    }
    if (index > 0 && (*queue)[index - 1].dropped_by_overflow &&
        (*queue)[index - 1].to == (*queue)[index].from) {
      // Merge with the dropped predecessor so that a long outage costs one entry, not one
      // per window. (Erasing invalidates references: re-index afterwards.)
      (*queue)[index - 1].to = (*queue)[index].to;
      queue->erase(queue->begin() + static_cast<std::ptrdiff_t>(index));
      --index;
    }
    const Window* victim = &(*queue)[index];
    ++t.stats.overflows;
    if (!t.overflow_range) {
      t.overflow_range = std::make_pair(victim->from, victim->to);
      Alarm a = NewAlarm(AlarmKind::kOverflow, t.tag);
      a.from_barrier = victim->from;
      a.to_barrier = victim->to;
      a.message = absl::StrCat("more than ", options_.max_buffered_changes,
                               " changes buffered for target '", t.tag,
                               "': dropping the oldest windows unchecked, starting with [",
                               victim->from, ",", victim->to, ")");
      Raise(std::move(a));
    } else {
      t.overflow_range->first = std::min(t.overflow_range->first, victim->from);
      t.overflow_range->second = std::max(t.overflow_range->second, victim->to);
    }
  }
}

void Checker::PopSkipped(TargetState& t, const Window& w) {
  if (!t.suspects.empty()) {
    t.stats.suspects_dropped += t.suspects.size();
    t.suspects.clear();
  }
}

void Checker::Match(TargetState& t) {
  const TagState& target_tag = tags_[1 + (&t - targets_.data())];
  const TagState& source_tag = tags_[0];
  while (!t.source_windows.empty() && !t.target_windows.empty()) {
    Window& s = t.source_windows.front();
    Window& g = t.target_windows.front();
    if (s.from == g.from && s.to == g.to) {
      if (s.segment && g.segment) {
        Compare(t, s, g);
      } else {
        PopSkipped(t, s.segment ? g : s);
      }
      t.buffered -= s.changes() + g.changes();
      t.checked_to = std::max(t.checked_to.value_or(0), t.source_windows.front().to);
      t.stats.last_done_barrier = s.to;
      t.source_windows.pop_front();
      t.target_windows.pop_front();
      continue;
    }
    if (s.to <= g.from) {
      // The target will never deliver this range.
      if (s.segment && target_tag.first_barrier && s.to > *target_tag.first_barrier) {
        ++t.stats.gaps;
        Alarm a = NewAlarm(AlarmKind::kGap, t.tag);
        a.from_barrier = s.from;
        a.to_barrier = s.to;
        a.message =
            absl::StrCat("target '", t.tag, "' delivered no window [", s.from, ",", s.to, ")");
        Raise(std::move(a));
      }
      if (!s.segment) PopSkipped(t, s);
      t.buffered -= s.changes();
      t.checked_to = std::max(t.checked_to.value_or(0), t.source_windows.front().to);
      t.source_windows.pop_front();
      continue;
    }
    if (g.to <= s.from) {
      if (g.segment && source_tag.first_barrier && g.to > *source_tag.first_barrier) {
        ++t.stats.gaps;
        Alarm a = NewAlarm(AlarmKind::kGap, t.tag);
        a.from_barrier = g.from;
        a.to_barrier = g.to;
        a.message = absl::StrCat("source delivered no window [", g.from, ",", g.to, ")");
        Raise(std::move(a));
      }
      if (!g.segment) PopSkipped(t, g);
      t.buffered -= g.changes();
      t.target_windows.pop_front();
      continue;
    }
    // Overlapping windows of different ranges: one side skipped a range that is already
    // reported (a jump or an overflow); drop what falls inside it.
    const bool pop_s = s.to <= g.to;
    const bool pop_g = g.to <= s.to;
    PopSkipped(t, s);
    t.stats.last_done_barrier = std::min(s.to, g.to);
    if (pop_s) {
      t.buffered -= s.changes();
      t.checked_to = std::max(t.checked_to.value_or(0), t.source_windows.front().to);
      t.source_windows.pop_front();
    }
    if (pop_g) {
      t.buffered -= t.target_windows.front().changes();
      t.target_windows.pop_front();
    }
  }
  if (t.overflow_range) {
    bool still_dropped = false;
    for (const Window& w : t.source_windows) still_dropped |= w.dropped_by_overflow;
    for (const Window& w : t.target_windows) still_dropped |= w.dropped_by_overflow;
    if (!still_dropped) {
      Alarm a = NewAlarm(AlarmKind::kOverflow, t.tag);
      a.from_barrier = t.overflow_range->first;
      a.to_barrier = t.overflow_range->second;
      a.message = absl::StrCat("target '", t.tag, "' caught up; windows between barriers ",
                               t.overflow_range->first, " and ", t.overflow_range->second,
                               " were dropped unchecked (memory cap)");
      Raise(std::move(a));
      t.overflow_range.reset();
    }
  }
}

void Checker::CheckTimeout(TargetState& t, absl::Time now) {
  // Age of the oldest source window the target has not delivered yet.
  const absl::Duration age =
      t.source_windows.empty() ? absl::ZeroDuration() : now - t.source_windows.front().closed_at;
  const bool late = age > options_.timeout;
  // Hysteresis: a target catching up from a long stop delivers its backlog window by window;
  // if it counted as recovered while still about `timeout` behind, the next window would
  // raise a second Timeout a moment later. It has recovered once it is within half of it.
  const bool caught_up = age <= options_.timeout / 2;
  if (late && !t.in_timeout) {
    const Window& w = t.source_windows.front();
    t.in_timeout = true;
    t.late_since = w.closed_at;
    ++t.stats.timeouts;
    const TagState& target_tag = tags_[1 + (&t - targets_.data())];
    Alarm a = NewAlarm(AlarmKind::kTimeout, t.tag);
    a.from_barrier = w.from;
    a.to_barrier = w.to;
    a.waited = now - w.closed_at;
    a.message = absl::StrCat("target '", t.tag, "' has not delivered window [", w.from, ",", w.to,
                             ") within ", absl::FormatDuration(options_.timeout),
                             "; its last barrier is ", OptionalBarrier(target_tag.last_barrier));
    Raise(std::move(a));
  } else if (caught_up && t.in_timeout) {
    t.in_timeout = false;
    ++t.stats.recovered;
    const TagState& target_tag = tags_[1 + (&t - targets_.data())];
    Alarm a = NewAlarm(AlarmKind::kRecovered, t.tag);
    a.to_barrier = target_tag.last_barrier;
    a.waited = now - t.late_since;
    a.message = absl::StrCat("target '", t.tag, "' caught up (barrier ",
                             OptionalBarrier(target_tag.last_barrier), ")");
    Raise(std::move(a));
  }
}

alarm::SideImage Checker::Side(const Image& image) const {
  alarm::SideImage s;
  if (image.state == Image::kUnknown) return s;
  s.seen = true;
  s.deleted = image.state == Image::kDeleted;
  if (!s.deleted) s.checksum = image.digest.ToString();
  s.origin = image.origin.ToString(origins_);
  s.timestamp = image.timestamp;
  s.changes = image.changes;
  s.content = image.content;
  return s;
}

KeyDiff Checker::MakeKeyDiff(absl::string_view key, const Image& source,
                             const Image& target) const {
  KeyDiff d;
  d.key = std::string(key);
  d.table = alarm::TableOfKey(key);
  if (source.state == Image::kUnknown) {
    d.kind = KeyDiffKind::kTargetOnlyChange;
  } else if (target.state == Image::kUnknown) {
    d.kind = KeyDiffKind::kNotAppliedOnTarget;
  } else if (source.state == Image::kPresent && target.state == Image::kDeleted) {
    d.kind = KeyDiffKind::kMissingOnTarget;
  } else if (source.state == Image::kDeleted && target.state == Image::kPresent) {
    d.kind = KeyDiffKind::kExtraOnTarget;
  } else {
    d.kind = KeyDiffKind::kDifferent;
  }
  d.source = Side(source);
  d.target = Side(target);
  return d;
}

void Checker::DiffSample::Add(KeyDiff diff) {
  ++total_;
  keys_.push_back(std::move(diff));
  if (keys_.size() >= 2 * cap_ + 16) Trim();
}

void Checker::DiffSample::Trim() {
  auto by_key = [](const KeyDiff& a, const KeyDiff& b) { return a.key < b.key; };
  if (keys_.size() > cap_) {
    std::nth_element(keys_.begin(), keys_.begin() + static_cast<std::ptrdiff_t>(cap_), keys_.end(),
                     by_key);
    keys_.resize(cap_);
  }
  std::sort(keys_.begin(), keys_.end(), by_key);
}

std::vector<KeyDiff> Checker::DiffSample::Take() {
  Trim();
  return std::move(keys_);
}

void Checker::Compare(TargetState& t, const Window& source, const Window& target) {
  ++t.stats.windows_compared;
  DiffSample diffs(options_.max_sample_keys);
  uint64_t diff_from = source.from;
  const auto started = std::chrono::steady_clock::now();
  if (options_.mode == Mode::kState) {
    CompareState(t, source, target, diffs, diff_from);
  } else {
    CompareSequence(t, source, target, diffs);
  }
  compare_seconds_.Observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  const uint64_t total = diffs.total();
  if (total == 0) {
    ++t.stats.windows_same;
    return;
  }
  ++t.stats.windows_diff;
  t.stats.diff_keys += total;
  Alarm a = NewAlarm(AlarmKind::kDiff, t.tag);
  a.from_barrier = diff_from;
  a.to_barrier = source.to;
  a.mode = std::string(ModeName(options_.mode));
  a.total_keys = total;
  a.keys = diffs.Take();
  a.message = absl::StrCat(total, total == 1 ? " key differs" : " keys differ", " between '",
                           options_.source_tag, "' and '", t.tag, "'");
  uint64_t earliest = 0;
  for (const KeyDiff& k : a.keys) {
    for (const alarm::SideImage* side : {&k.source, &k.target}) {
      if (side->seen && side->timestamp != 0 && (earliest == 0 || side->timestamp < earliest)) {
        earliest = side->timestamp;
      }
    }
  }
  if (earliest != 0 && absl::ToUnixSeconds(a.time) >= static_cast<int64_t>(earliest)) {
    detection_seconds_.Observe(absl::ToDoubleSeconds(a.time - absl::FromUnixSeconds(earliest)));
  }
  Raise(std::move(a));
}

void Checker::CompareState(TargetState& t, const Window& source, const Window& target,
                           DiffSample& diffs, uint64_t& diff_from) {
  const Segment& S = *source.segment;
  const Segment& G = *target.segment;
  const uint64_t w = source.to;
  const size_t history = static_cast<size_t>(options_.tolerance) + 2;
  auto image = [](const Segment& seg, uint32_t first, uint32_t last) {
    Image img = seg.ImageOf(last);
    img.changes = seg.ChainLength(first);
    return img;
  };
  auto new_suspect = [&](absl::string_view key, Image src, Image tgt) {
    if (t.suspects.size() >= options_.max_suspects) {
      diffs.Add(MakeKeyDiff(key, src, tgt));
      return;
    }
    Suspect s;
    s.first_from = source.from;
    s.first_to = w;
    if (src.state != Image::kUnknown) s.source.emplace_back(w, std::move(src));
    s.target = std::move(tgt);
    t.suspects.emplace(std::string(key), std::move(s));
  };

  S.ForEachKey([&](uint32_t first, uint32_t last) {
    absl::string_view key = S.KeyOf(first);
    auto tg = G.Find(key);
    if (!t.suspects.empty()) {
      auto it = t.suspects.find(key);
      if (it != t.suspects.end()) {
        Suspect& sus = it->second;
        if (sus.reported) {
          // A new source change re-arms a key already reported.
          sus.reported = false;
          sus.first_from = source.from;
          sus.first_to = w;
        }
        sus.source.emplace_back(w, image(S, first, last));
        if (sus.source.size() > history) sus.source.erase(sus.source.begin());
        if (tg) sus.target = image(G, tg->first, tg->second);
        return;
      }
    }
    if (tg && SameRecord(S.record(last), G.record(tg->second))) return;
    new_suspect(key, image(S, first, last), tg ? image(G, tg->first, tg->second) : Image{});
  });
  G.ForEachKey([&](uint32_t first, uint32_t last) {
    absl::string_view key = G.KeyOf(first);
    if (S.Find(key)) return;
    auto it = t.suspects.find(key);
    if (it != t.suspects.end()) {
      it->second.target = image(G, first, last);
      return;
    }
    new_suspect(key, Image{}, image(G, first, last));
  });

  const uint64_t tolerance = static_cast<uint64_t>(options_.tolerance);
  for (auto it = t.suspects.begin(); it != t.suspects.end();) {
    Suspect& sus = it->second;
    const Image unknown;
    const Image& src = sus.source.empty() ? unknown : sus.source.back().second;
    if (src.state != Image::kUnknown && sus.target.state != Image::kUnknown &&
        src.SameRow(sus.target)) {
      if (!sus.reported) ++t.stats.suspects_cleared;
      t.suspects.erase(it++);
      continue;
    }
    if (sus.reported) {
      ++it;
      continue;
    }
    uint64_t lag = w - sus.first_to;
    if (sus.target.state != Image::kUnknown) {
      for (size_t i = sus.source.size(); i-- > 1;) {
        if (sus.source[i - 1].second.SameRow(sus.target)) {
          // The target shows the image the source had until window sus.source[i].first.
          lag = w - sus.source[i].first;
          break;
        }
      }
    }
    if (lag >= tolerance) {
      diffs.Add(MakeKeyDiff(it->first, src, sus.target));
      diff_from = std::min(diff_from, sus.first_from);
      sus.reported = true;
      ++it;
      continue;
    }
    ++it;
  }
}

void Checker::CompareSequence(TargetState& t, const Window& source, const Window& target,
                              DiffSample& diffs) {
  const Segment& S = *source.segment;
  const Segment& G = *target.segment;
  auto image = [](const Segment& seg, uint32_t first, uint32_t last) {
    Image img = seg.ImageOf(last);
    img.changes = seg.ChainLength(first);
    return img;
  };
  S.ForEachKey([&](uint32_t first, uint32_t last) {
    absl::string_view key = S.KeyOf(first);
    auto tg = G.Find(key);
    if (tg) {
      uint32_t i = first;
      uint32_t j = tg->first;
      while (i != Segment::kNone && j != Segment::kNone && SameRecord(S.record(i), G.record(j))) {
        i = S.record(i).next;
        j = G.record(j).next;
      }
      if (i == Segment::kNone && j == Segment::kNone) return;
    }
    KeyDiff d =
        MakeKeyDiff(key, image(S, first, last), tg ? image(G, tg->first, tg->second) : Image{});
    if (tg) d.kind = KeyDiffKind::kSequenceDiffers;
    diffs.Add(std::move(d));
  });
  G.ForEachKey([&](uint32_t first, uint32_t last) {
    absl::string_view key = G.KeyOf(first);
    if (S.Find(key)) return;
    diffs.Add(MakeKeyDiff(key, Image{}, image(G, first, last)));
  });
}

CheckerStats Checker::Stats() const {
  absl::MutexLock lock(&mu_);
  CheckerStats out;
  for (const TagState& tag : tags_) {
    TagStats s = tag.stats;
    s.last_barrier = tag.last_barrier;
    s.open_window_changes = tag.open ? tag.open->changes() : 0;
    out.tags.push_back(std::move(s));
  }
  for (const TargetState& t : targets_) {
    TargetStats s = t.stats;
    s.suspects = t.suspects.size();
    s.buffered_changes = t.buffered;
    s.pending_source_windows = t.source_windows.size();
    s.pending_target_windows = t.target_windows.size();
    s.in_timeout = t.in_timeout;
    s.checked_to = t.checked_to;
    out.targets.push_back(std::move(s));
  }
  out.unknown_tag_messages = unknown_tag_messages_;
  out.compare_seconds = compare_seconds_.Get();
  out.detection_seconds = detection_seconds_.Get();
  return out;
}

std::optional<uint64_t> Checker::ResumeBarrier() const {
  absl::MutexLock lock(&mu_);
  std::optional<uint64_t> out;
  for (const TargetState& t : targets_) {
    if (!t.checked_to) return std::nullopt;
    uint64_t b = *t.checked_to;
    for (const auto& [key, suspect] : t.suspects) {
      // A reported suspect needs no re-reading: its Diff was sent.
      if (!suspect.reported) b = std::min(b, suspect.first_from);
    }
    out = out ? std::min(*out, b) : b;
  }
  return out;
}

size_t Checker::MemoryBytes() const {
  absl::MutexLock lock(&mu_);
  absl::flat_hash_set<const Segment*> seen;
  size_t n = origins_.MemoryBytes();
  for (const TagState& tag : tags_) {
    if (tag.open) n += tag.open->MemoryBytes();
  }
  for (const TargetState& t : targets_) {
    for (const auto* q : {&t.source_windows, &t.target_windows}) {
      for (const Window& w : *q) {
        n += sizeof(Window);
        if (w.segment && seen.insert(w.segment.get()).second) n += w.segment->MemoryBytes();
      }
    }
    n += t.suspects.bucket_count() * (sizeof(std::string) + sizeof(Suspect) + 1);
  }
  return n;
}

}  // namespace dcp::checker
