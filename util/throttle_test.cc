#include "util/throttle.h"

#include <atomic>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/clock.h"

namespace dcp {
namespace {

// A probe whose value the test sets; counts its reads.
struct FakeProbe {
  absl::Mutex mu;
  absl::StatusOr<std::optional<double>> value = std::optional<double>(0.0);
  int reads = 0;
  std::function<absl::StatusOr<std::optional<double>>()> read() {
    return [this]() -> absl::StatusOr<std::optional<double>> {
      absl::MutexLock lock(&mu);
      ++reads;
      return value;
    };
  }
  void Set(absl::StatusOr<std::optional<double>> v) {
    absl::MutexLock lock(&mu);
    value = std::move(v);
  }
  int Reads() {
    absl::MutexLock lock(&mu);
    return reads;
  }
};

TEST(Throttle, PassesUnderTheLimitAndReadsAtMostOncePerPoll) {
  FakeClock clock;
  FakeProbe lag;
  Throttle t({{"lag of r1", 2.0, "s", lag.read()}}, &clock, absl::Seconds(1));
  EXPECT_TRUE(t.Wait().ok());
  EXPECT_TRUE(t.Wait().ok());
  EXPECT_EQ(lag.Reads(), 1);
  clock.Advance(absl::Seconds(1));
  EXPECT_TRUE(t.Wait().ok());
  EXPECT_EQ(lag.Reads(), 2);
  EXPECT_EQ(t.stats().pauses, 0u);
}

TEST(Throttle, WaitsWhileOverTheLimitThenResumes) {
  FakeClock clock;
  FakeProbe lag;
  lag.Set(std::optional<double>(5.0));
  Throttle t({{"lag of r1", 2.0, "s", lag.read()}}, &clock, absl::Seconds(1));
  std::atomic<bool> returned{false};
  std::thread worker([&] {
    EXPECT_TRUE(t.Wait().ok());
    returned = true;
  });
  // It sleeps poll after poll while the lag is over 2 s.
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(clock.AwaitSleepersFor(1, absl::Seconds(10)));
    EXPECT_FALSE(returned.load());
    clock.Advance(absl::Seconds(1));
  }
  // Changed while the worker sleeps, so that it reads the new value after the next tick.
  ASSERT_TRUE(clock.AwaitSleepersFor(1, absl::Seconds(10)));
  lag.Set(std::optional<double>(1.0));
  clock.Advance(absl::Seconds(1));
  worker.join();
  EXPECT_TRUE(returned.load());
  EXPECT_EQ(t.stats().pauses, 1u);
  EXPECT_EQ(t.stats().paused, absl::Seconds(6));
}

TEST(Throttle, UnknownLagThrottles) {
  FakeClock clock;
  FakeProbe lag;
  lag.Set(std::optional<double>());  // Seconds_Behind_Master NULL: the SQL thread stopped
  Throttle t({{"lag of r1", 2.0, "s", lag.read()}}, &clock, absl::Seconds(1));
  // Asked whether to give up only when throttled.
  const absl::Status s = t.Wait([] { return true; });
  EXPECT_TRUE(absl::IsCancelled(s)) << s;
  EXPECT_EQ(t.stats().pauses, 1u);
}

TEST(Throttle, UnreachableProbeWaitsOtherErrorsFail) {
  FakeClock clock;
  FakeProbe load;
  load.Set(absl::UnavailableError("lost connection"));
  Throttle t({{"Threads_running on s", 25, "", load.read()}}, &clock, absl::Seconds(1));
  EXPECT_TRUE(absl::IsCancelled(t.Wait([] { return true; })));
  load.Set(absl::InvalidArgumentError("no status variable Threads_runing"));
  const absl::Status s = t.Wait();
  EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
  EXPECT_THAT(std::string(s.message()), ::testing::HasSubstr("Threads_running on s"));
}

TEST(Throttle, EveryCheckMustPass) {
  FakeClock clock;
  FakeProbe a, b;
  b.Set(std::optional<double>(30));
  Throttle t({{"lag", 2, "s", a.read()}, {"Threads_running", 25, "", b.read()}}, &clock,
             absl::Seconds(1));
  EXPECT_TRUE(absl::IsCancelled(t.Wait([] { return true; })));
  b.Set(std::optional<double>(25));  // at the limit is within it
  EXPECT_TRUE(t.Wait().ok());
}

TEST(Throttle, NoChecksNeverWaits) {
  FakeClock clock;
  Throttle t({}, &clock);
  EXPECT_FALSE(t.enabled());
  EXPECT_TRUE(t.Wait().ok());
}

}  // namespace
}  // namespace dcp
