#include <thread>

#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/status_macros.h"
#include "util/url.h"
#include "util/histogram.h"
#include "util/process_stats.h"

namespace dcp {
namespace {

absl::StatusOr<int> Half(int v) {
  if (v % 2 != 0) return absl::InvalidArgumentError("odd");
  return v / 2;
}

absl::StatusOr<int> Quarter(int v) {
  ASSIGN_OR_RETURN(int h, Half(v));
  ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

absl::Status CheckEven(int v) {
  RETURN_IF_ERROR(Half(v).status());
  return absl::OkStatus();
}

TEST(StatusMacros, PropagateErrorsAndValues) {
  EXPECT_EQ(*Quarter(8), 2);
  EXPECT_EQ(Quarter(6).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(CheckEven(4).ok());
  EXPECT_EQ(CheckEven(3).code(), absl::StatusCode::kInvalidArgument);
}

TEST(FakeClock, SleepWakesWhenAdvanced) {
  FakeClock clock;
  const absl::Time start = clock.Now();
  std::thread sleeper([&] { clock.SleepFor(absl::Seconds(5)); });
  clock.AwaitSleepers(1);
  clock.Advance(absl::Seconds(2));
  EXPECT_EQ(clock.Now() - start, absl::Seconds(2));
  clock.Advance(absl::Seconds(3));
  sleeper.join();
  EXPECT_EQ(clock.Now() - start, absl::Seconds(5));
}

TEST(FakeClock, AwaitSleepersForGivesUpWithoutSleepers) {
  FakeClock clock;
  EXPECT_FALSE(clock.AwaitSleepersFor(1, absl::Milliseconds(20)));
  std::thread sleeper([&] { clock.SleepFor(absl::Seconds(1)); });
  EXPECT_TRUE(clock.AwaitSleepersFor(1, absl::Minutes(1)));
  clock.Advance(absl::Seconds(1));
  sleeper.join();
}

TEST(Log, RateLimitedSiteLogsOnce) {
  std::atomic<int64_t> last{0};
  EXPECT_TRUE(log_internal::ShouldLogEvery(&last, int64_t{10} * 1000000000));
  EXPECT_FALSE(log_internal::ShouldLogEvery(&last, int64_t{10} * 1000000000));
  DCP_LOG(INFO) << "log line from a test";
}

}  // namespace
}  // namespace dcp

#include "util/glob.h"

namespace dcp {
namespace {

TEST(Glob, Matches) {
  EXPECT_TRUE(GlobMatch("shop.*", "shop.orders"));
  EXPECT_TRUE(GlobMatch("shop.*", "shop."));
  EXPECT_FALSE(GlobMatch("shop.*", "shop_v2.orders"));
  EXPECT_TRUE(GlobMatch("*.orders", "a.orders"));
  EXPECT_TRUE(GlobMatch("s?op.*s", "shop.orders"));
  EXPECT_FALSE(GlobMatch("s?op.*s", "shop.order"));
  EXPECT_TRUE(GlobMatch("*", ""));
  EXPECT_FALSE(GlobMatch("", "x"));
  EXPECT_FALSE(GlobMatch("Shop.*", "shop.x"));
}

TEST(Glob, CaptureAndSubstitute) {
  auto caps = GlobCapture("shop_v2.*", "shop_v2.orders");
  ASSERT_TRUE(caps.has_value());
  EXPECT_EQ(*caps, std::vector<std::string>{"orders"});
  EXPECT_EQ(GlobSubstitute("shop.*", *caps), "shop.orders");
  auto two = GlobCapture("*_v2.t_*", "shop_v2.t_items");
  ASSERT_TRUE(two.has_value());
  EXPECT_EQ(GlobSubstitute("*.*", *two), "shop.items");
  EXPECT_FALSE(GlobCapture("a.*", "b.c").has_value());
  EXPECT_EQ(GlobSubstitute("fixed.name", {"x"}), "fixed.name");
}

}  // namespace
}  // namespace dcp

#include "util/atomic_file.h"

namespace dcp {
namespace {

TEST(AtomicFile, WriteReplaceAndRead) {
  const std::string path = ::testing::TempDir() + "/atomic_file_test";
  std::remove(path.c_str());
  auto missing = ReadFileIfExists(path);
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
  ASSERT_TRUE(WriteFileAtomically(path, "first").ok());
  ASSERT_TRUE(WriteFileAtomically(path, "second").ok());
  auto got = ReadFileIfExists(path);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->value_or(""), "second");
  EXPECT_FALSE(WriteFileAtomically("/nonexistent-dir/x", "y").ok());
}

}  // namespace
}  // namespace dcp

namespace dcp {
namespace {

TEST(UrlForLogs, KeepsOnlySchemeHostAndPort) {
  EXPECT_EQ(UrlForLogs("https://hooks.slack.com/services/T000/B000/SLACKTOKEN"),
            "https://hooks.slack.com");
  EXPECT_EQ(UrlForLogs("http://user:secret@h.example:8443/x?token=abc#f"), "http://h.example:8443");
  EXPECT_EQ(UrlForLogs("http://127.0.0.1:9093?token=x"), "http://127.0.0.1:9093");
  EXPECT_EQ(UrlForLogs("http://[::1]:80/a"), "http://[::1]:80");
  EXPECT_EQ(UrlForLogs("no url here"), "(url)");
  EXPECT_EQ(UrlForLogs("http://"), "(url)");
}

}  // namespace
}  // namespace dcp

namespace dcp {
namespace {

TEST(Histogram, CountsIntoTheFirstBucketThatHoldsTheValue) {
  Histogram h({0.1, 1, 10});
  for (double v : {0.05, 0.1, 0.5, 1.0, 5.0, 100.0}) h.Observe(v);
  const Histogram::Snapshot s = h.Get();
  EXPECT_EQ(s.counts, (std::vector<uint64_t>{2, 2, 1, 1}));  // le=0.1 holds 0.1 (<=)
  EXPECT_EQ(s.count, 6u);
  EXPECT_DOUBLE_EQ(s.sum, 106.65);
}

}  // namespace
}  // namespace dcp

namespace dcp {
namespace {

TEST(ProcessStats, ReadsThisProcess) {
  auto s = ReadProcessStats();
  ASSERT_TRUE(s.has_value());
  EXPECT_GT(s->resident_bytes, 1u << 20);
  EXPECT_GE(s->virtual_bytes, s->resident_bytes);
  EXPECT_GT(s->open_fds, 2u);
  EXPECT_GE(s->max_fds, s->open_fds);
  const double now = absl::ToUnixSeconds(absl::Now());
  EXPECT_LE(s->start_time_seconds, now + 1);
  EXPECT_GT(s->start_time_seconds, now - 3600);
  EXPECT_GE(s->cpu_seconds, 0);
}

}  // namespace
}  // namespace dcp
