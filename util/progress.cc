#include "util/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "util/log.h"

namespace dcp {
namespace {

constexpr size_t kItemsShown = 3;
constexpr absl::Duration kRateWindow = absl::Seconds(60);

std::string Percent(uint64_t done, uint64_t total, bool finished) {
  if (total == 0) return finished ? "100.0%" : "?%";
  double p = 100.0 * static_cast<double>(done) / static_cast<double>(total);
  // An estimate may be short: never claim 100% before the end.
  if (!finished) p = std::min(p, 99.9);
  return absl::StrFormat("%.1f%%", p);
}

std::string Eta(uint64_t done, uint64_t total, double rate) {
  if (total == 0 || rate <= 0) return done >= total && total > 0 ? "0:00:00" : "?";
  if (done >= total) return "0:00:00";
  return FormatHms(absl::Seconds(static_cast<double>(total - done) / rate));
}

void WriteLog(const std::string& line, bool final) {
  DCP_LOG(INFO) << (final ? "progress: finished: " : "progress: ") << line;
}

int TerminalWidth() {
  int columns = 0;
  if (const char* c = std::getenv("COLUMNS"); c != nullptr && absl::SimpleAtoi(c, &columns)) {
    return std::max(columns, 40);
  }
  return 100;
}

std::string Bar(double fraction) {
  constexpr int kWidth = 20;
  const int full = static_cast<int>(std::clamp(fraction, 0.0, 1.0) * kWidth);
  return absl::StrCat("[", std::string(full, '#'), std::string(kWidth - full, '.'), "] ");
}

}  // namespace

std::string FormatHms(absl::Duration d) {
  int64_t s = absl::ToInt64Seconds(d);
  if (s < 0) s = 0;
  return absl::StrFormat("%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60);
}

absl::StatusOr<ProgressSpec> ParseProgressSpec(absl::string_view text, bool stderr_is_tty) {
  std::vector<absl::string_view> parts = absl::StrSplit(text, absl::MaxSplits(',', 1));
  ProgressSpec spec;
  const absl::string_view mode = parts[0];
  if (mode == "auto" || mode.empty()) {
    const bool tty = stderr_is_tty && GetLogFormat() == LogFormat::kText;
    spec.mode = tty ? ProgressSpec::Mode::kTty : ProgressSpec::Mode::kLog;
  } else if (mode == "tty") {
    spec.mode = ProgressSpec::Mode::kTty;
  } else if (mode == "log") {
    spec.mode = ProgressSpec::Mode::kLog;
  } else if (mode == "none" || mode == "off") {
    spec.mode = ProgressSpec::Mode::kNone;
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "--progress: '", mode, "' is not one of auto, tty, log, none (optionally ,INTERVAL)"));
  }
  spec.interval = spec.mode == ProgressSpec::Mode::kTty ? absl::Milliseconds(250)
                                                        : absl::Seconds(10);
  if (parts.size() == 2) {
    absl::Duration d;
    double secs = 0;
    if (absl::SimpleAtod(parts[1], &secs)) {
      d = absl::Seconds(secs);
    } else if (!absl::ParseDuration(parts[1], &d)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--progress: not an interval: '", parts[1], "' (e.g. log,30s)"));
    }
    if (d < absl::Milliseconds(100)) {
      return absl::InvalidArgumentError("--progress: the interval must be at least 100ms");
    }
    spec.interval = d;
  }
  return spec;
}

ProgressReporter::ProgressReporter(ProgressSpec spec, std::string unit, Clock* clock, Writer writer)
    : spec_(spec), unit_(std::move(unit)), clock_(clock), writer_(std::move(writer)) {
  if (!writer_) {
    if (spec_.mode == ProgressSpec::Mode::kLog) {
      writer_ = WriteLog;
    } else {
      const int width = TerminalWidth();
      writer_ = [width](const std::string& line, bool final) {
        const std::string shown = line.substr(0, static_cast<size_t>(width - 1));
        std::fprintf(stderr, "\r%s\x1b[K%s", shown.c_str(), final ? "\n" : "");
        std::fflush(stderr);
      };
    }
  }
  absl::MutexLock lock(&mu_);
  start_ = clock_->Now();
  last_report_ = start_;
}

size_t ProgressReporter::AddItem(const std::string& name, uint64_t total) {
  absl::MutexLock lock(&mu_);
  Item item;
  item.name = name;
  item.total = total;
  items_.push_back(std::move(item));
  return items_.size() - 1;
}

void ProgressReporter::Start(Item& item) {
  if (item.started) return;
  item.started = true;
  item.start = clock_->Now();
}

void ProgressReporter::SetTotal(size_t item, uint64_t total) {
  absl::MutexLock lock(&mu_);
  items_[item].total = total;
}

void ProgressReporter::Advance(size_t item, uint64_t units) {
  absl::MutexLock lock(&mu_);
  Start(items_[item]);
  items_[item].done += units;
}

void ProgressReporter::SetDone(size_t item, uint64_t done) {
  absl::MutexLock lock(&mu_);
  Start(items_[item]);
  items_[item].done = std::max(done, items_[item].already);
}

void ProgressReporter::SetAlreadyDone(size_t item, uint64_t done) {
  absl::MutexLock lock(&mu_);
  items_[item].already = done;
  items_[item].done = std::max(items_[item].done, done);
}

void ProgressReporter::FinishItem(size_t item) {
  absl::MutexLock lock(&mu_);
  Item& i = items_[item];
  Start(i);
  i.finished = true;
  i.total = i.done;
}

bool ProgressReporter::Due() const {
  if (!enabled()) return false;
  const absl::Time now = clock_->Now();
  absl::MutexLock lock(&mu_);
  return !finished_ && now - last_report_ >= spec_.interval;
}

void ProgressReporter::MaybeReport() {
  if (Due()) Report(false);
}

void ProgressReporter::Finish() {
  {
    absl::MutexLock lock(&mu_);
    if (finished_ || !enabled()) return;
  }
  Report(true);
}

void ProgressReporter::RunUntil(absl::Notification* done) {
  const absl::Duration tick = std::min(spec_.interval, absl::Milliseconds(250));
  while (!done->WaitForNotificationWithTimeout(tick)) MaybeReport();
}

void ProgressReporter::Report(bool final) {
  std::string line;
  {
    absl::MutexLock lock(&mu_);
    if (finished_) return;
    const absl::Time now = clock_->Now();
    line = LineLocked(now);
    last_report_ = now;
    finished_ = final;
    if (spec_.mode == ProgressSpec::Mode::kTty) {
      uint64_t done = 0, total = 0;
      for (const Item& i : items_) {
        done += i.done;
        total += std::max(i.total, i.done);
      }
      const double fraction =
          final ? 1.0 : total == 0 ? 0 : static_cast<double>(done) / static_cast<double>(total);
      line = Bar(fraction) + line;
    }
  }
  writer_(line, final);
}

std::string ProgressReporter::Line() const {
  absl::MutexLock lock(&mu_);
  return LineLocked(clock_->Now());
}

std::string ProgressReporter::Overall(absl::Time now) const {
  uint64_t done = 0, total = 0, run = 0;
  size_t finished = 0;
  bool unknown = false;  // an unfinished item without a total: no overall percent or ETA
  for (const Item& i : items_) {
    done += i.done;
    total += std::max(i.total, i.done);
    run += i.done - std::min(i.done, i.already);
    finished += i.finished;
    unknown = unknown || (i.total == 0 && !i.finished);
  }
  // The recent rate: over the oldest sample of the last minute, else since the start.
  samples_.emplace_back(now, run);
  // The anchor is the newest sample at least a window old (or the oldest there is).
  while (samples_.size() > 1 && now - samples_[1].first >= kRateWindow) samples_.pop_front();
  double rate = 0;
  const auto [t0, run0] = samples_.front();
  if (now - t0 >= absl::Seconds(1)) {
    rate = static_cast<double>(run - run0) / absl::ToDoubleSeconds(now - t0);
  } else if (now - start_ > absl::ZeroDuration()) {
    rate = static_cast<double>(run) / absl::ToDoubleSeconds(now - start_);
  }
  const bool all_finished = finished == items_.size();
  const uint64_t shown_total = unknown ? 0 : total;
  std::string s = absl::StrFormat(
      "%s %d/%s %s, %.0f %s/s, elapsed %s, ETA %s", Percent(done, shown_total, all_finished), done,
      unknown ? "?" : absl::StrCat(total), unit_, rate, unit_, FormatHms(now - start_),
      all_finished ? "0:00:00" : Eta(done, shown_total, rate));
  if (items_.size() > 1) absl::StrAppend(&s, ", ", finished, "/", items_.size(), " done");
  return s;
}

std::string ProgressReporter::LineLocked(absl::Time now) const {
  std::string s = Overall(now);
  size_t shown = 0, more = 0;
  for (const Item& i : items_) {
    if (!i.started || i.finished) continue;
    if (shown == kItemsShown) {
      ++more;
      continue;
    }
    ++shown;
    const uint64_t total = i.total == 0 ? 0 : std::max(i.total, i.done);
    const uint64_t run = i.done - std::min(i.done, i.already);
    const double secs = absl::ToDoubleSeconds(now - i.start);
    const double rate = secs > 0 ? static_cast<double>(run) / secs : 0;
    absl::StrAppend(&s, shown == 1 ? " | " : "; ", i.name, " ", Percent(i.done, total, false),
                    " ", i.done, "/", total == 0 ? "?" : absl::StrCat(total), " ETA ",
                    Eta(i.done, total, rate));
  }
  if (more > 0) absl::StrAppend(&s, "; +", more, " more");
  return s;
}

}  // namespace dcp
