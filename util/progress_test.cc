#include "util/progress.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/clock.h"
#include "util/log.h"

namespace dcp {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

struct Captured {
  std::vector<std::string> lines;
  std::vector<bool> finals;
  ProgressReporter::Writer writer() {
    return [this](const std::string& line, bool final) {
      lines.push_back(line);
      finals.push_back(final);
    };
  }
};

ProgressSpec Log(absl::Duration interval) {
  ProgressSpec s;
  s.mode = ProgressSpec::Mode::kLog;
  s.interval = interval;
  return s;
}

TEST(ProgressSpec, Parses) {
  auto s = ParseProgressSpec("log,1s", false);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->mode, ProgressSpec::Mode::kLog);
  EXPECT_EQ(s->interval, absl::Seconds(1));
  EXPECT_EQ(ParseProgressSpec("log", true)->interval, absl::Seconds(10));
  EXPECT_EQ(ParseProgressSpec("tty", false)->mode, ProgressSpec::Mode::kTty);
  EXPECT_EQ(ParseProgressSpec("auto", true)->mode, ProgressSpec::Mode::kTty);
  EXPECT_EQ(ParseProgressSpec("auto", false)->mode, ProgressSpec::Mode::kLog);
  EXPECT_EQ(ParseProgressSpec("none", true)->mode, ProgressSpec::Mode::kNone);
  EXPECT_EQ(ParseProgressSpec("auto,2m", false)->interval, absl::Minutes(2));
  EXPECT_FALSE(ParseProgressSpec("loud", false).ok());
  EXPECT_FALSE(ParseProgressSpec("log,soon", false).ok());
  EXPECT_FALSE(ParseProgressSpec("log,1ms", false).ok());
  // A JSON log is never drawn over: auto picks log lines even on a terminal.
  SetLogFormat(LogFormat::kJson);
  EXPECT_EQ(ParseProgressSpec("auto", true)->mode, ProgressSpec::Mode::kLog);
  SetLogFormat(LogFormat::kText);
}

TEST(FormatHms, HoursMinutesSeconds) {
  EXPECT_EQ(FormatHms(absl::Seconds(5)), "0:00:05");
  EXPECT_EQ(FormatHms(absl::Seconds(3725)), "1:02:05");
  EXPECT_EQ(FormatHms(absl::Hours(27) + absl::Minutes(46) + absl::Seconds(40)), "27:46:40");
  EXPECT_EQ(FormatHms(absl::Seconds(-3)), "0:00:00");
}

TEST(Progress, ReportsOncePerIntervalWithPercentRateAndEta) {
  FakeClock clock;
  Captured out;
  ProgressReporter p(Log(absl::Seconds(1)), "rows", &clock, out.writer());
  const size_t a = p.AddItem("shop.orders", 1000);
  const size_t b = p.AddItem("shop.items", 3000);
  p.Advance(a, 100);
  p.MaybeReport();
  EXPECT_TRUE(out.lines.empty());  // not due yet
  clock.Advance(absl::Seconds(1));
  p.Advance(a, 100);
  p.MaybeReport();
  p.MaybeReport();  // once per interval
  ASSERT_EQ(out.lines.size(), 1u);
  // 200 of 4000 in 1 s: 200 rows/s, 3800 left: 19 s.
  EXPECT_EQ(out.lines[0],
            "5.0% 200/4000 rows, 200 rows/s, elapsed 0:00:01, ETA 0:00:19, 0/2 done | "
            "shop.orders 20.0% 200/1000 ETA 0:00:04");
  clock.Advance(absl::Seconds(1));
  p.FinishItem(a);  // it had 1000 expected but only 200: the estimate was long
  p.Advance(b, 1800);
  p.MaybeReport();
  ASSERT_EQ(out.lines.size(), 2u);
  EXPECT_THAT(out.lines[1], HasSubstr("1/2 done | shop.items 60.0% 1800/3000"));
  EXPECT_THAT(out.lines[1], HasSubstr("2000/3200 rows"));
  p.Finish();
  p.Finish();
  ASSERT_EQ(out.lines.size(), 3u);
  EXPECT_THAT(out.finals, ElementsAre(false, false, true));
  for (const std::string& l : out.lines) EXPECT_THAT(l, Not(HasSubstr("\r")));
}

TEST(Progress, EtaCoversEveryItemNotOnlyTheCurrentOne) {
  FakeClock clock;
  Captured out;
  ProgressReporter p(Log(absl::Seconds(10)), "bytes", &clock, out.writer());
  // Three binlog files of 1000 bytes: 500 bytes/s through the first means 5 s overall left.
  const size_t f1 = p.AddItem("binlog.000001", 1000);
  p.AddItem("binlog.000002", 1000);
  p.AddItem("binlog.000003", 1000);
  clock.Advance(absl::Seconds(1));
  p.SetDone(f1, 500);
  EXPECT_THAT(p.Line(), HasSubstr("ETA 0:00:05"));
  EXPECT_THAT(p.Line(), HasSubstr("16.7% 500/3000 bytes"));
}

TEST(Progress, RateIsRecentAfterAPause) {
  FakeClock clock;
  Captured out;
  ProgressReporter p(Log(absl::Seconds(1)), "rows", &clock, out.writer());
  const size_t a = p.AddItem("t", 1000000);
  p.Advance(a, 1000);
  clock.Advance(absl::Seconds(1));
  p.MaybeReport();
  clock.Advance(absl::Minutes(10));  // throttled: nothing done
  p.MaybeReport();
  EXPECT_THAT(out.lines.back(), HasSubstr(" 0 rows/s"));
  EXPECT_THAT(out.lines.back(), HasSubstr("ETA ?"));
  p.Advance(a, 6000);
  clock.Advance(absl::Seconds(2));
  p.MaybeReport();
  // The last report was 2 s ago and the one before 10 min: the window holds both, but the
  // rate is no longer zero.
  EXPECT_THAT(out.lines.back(), Not(HasSubstr(" 0 rows/s")));
}

TEST(Progress, ResumedWorkIsNotCountedInTheRate) {
  FakeClock clock;
  Captured out;
  ProgressReporter p(Log(absl::Seconds(1)), "rows", &clock, out.writer());
  const size_t a = p.AddItem("t", 10000);
  p.SetAlreadyDone(a, 9000);
  clock.Advance(absl::Seconds(1));
  p.Advance(a, 100);
  EXPECT_THAT(p.Line(), HasSubstr("91.0% 9100/10000 rows, 100 rows/s"));
  EXPECT_THAT(p.Line(), HasSubstr("ETA 0:00:09"));
}

TEST(Progress, UnknownTotals) {
  FakeClock clock;
  ProgressReporter p(Log(absl::Seconds(1)), "events", &clock, [](const std::string&, bool) {});
  const size_t a = p.AddItem("live", 0);
  clock.Advance(absl::Seconds(1));
  p.Advance(a, 50);
  EXPECT_THAT(p.Line(), HasSubstr("?% 50/? events"));
}

TEST(Progress, NothingToDoEndsAtHundredPercentWithoutEta) {
  FakeClock clock;
  Captured out;
  // padder repair of a report without differences: no items at all.
  ProgressReporter none(Log(absl::Seconds(1)), "keys", &clock, out.writer());
  clock.Advance(absl::Seconds(1));
  none.Finish();
  // verifier data over empty tables: every item finished with nothing done.
  ProgressReporter empty(Log(absl::Seconds(1)), "rows", &clock, out.writer());
  empty.FinishItem(empty.AddItem("a", 0));
  empty.FinishItem(empty.AddItem("b", 0));
  clock.Advance(absl::Seconds(1));
  empty.Finish();
  ASSERT_EQ(out.lines.size(), 2u);
  EXPECT_EQ(out.lines[0], "100.0% 0/0 keys, 0 keys/s, elapsed 0:00:01, ETA 0:00:00");
  EXPECT_EQ(out.lines[1], "100.0% 0/0 rows, 0 rows/s, elapsed 0:00:01, ETA 0:00:00, 2/2 done");
}

TEST(Progress, TtyDrawsABar) {
  FakeClock clock;
  Captured out;
  ProgressSpec spec;
  spec.mode = ProgressSpec::Mode::kTty;
  spec.interval = absl::Milliseconds(250);
  ProgressReporter p(spec, "rows", &clock, out.writer());
  const size_t a = p.AddItem("t", 100);
  p.Advance(a, 50);
  clock.Advance(absl::Seconds(1));
  p.MaybeReport();
  ASSERT_EQ(out.lines.size(), 1u);
  EXPECT_THAT(out.lines[0], HasSubstr("[##########..........] 50.0%"));
}

TEST(Progress, NoneReportsNothing) {
  FakeClock clock;
  Captured out;
  ProgressReporter p(ProgressSpec{}, "rows", &clock, out.writer());
  p.Advance(p.AddItem("t", 10), 5);
  clock.Advance(absl::Hours(1));
  p.MaybeReport();
  p.Finish();
  EXPECT_TRUE(out.lines.empty());
}

}  // namespace
}  // namespace dcp
