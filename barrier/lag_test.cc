#include "barrier/lag.h"

#include "gtest/gtest.h"

namespace dcp::barrier {
namespace {

TEST(LagTracker, MeasuresArrivalMinusCommitPerTarget) {
  LagTracker lag;
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  lag.OnWritten(1, t0);
  lag.OnWritten(2, t0 + absl::Seconds(2));
  EXPECT_EQ(lag.OnArrived("src", 1, t0 + absl::Milliseconds(10)), absl::Milliseconds(10));
  EXPECT_EQ(lag.OnArrived("dst", 1, t0 + absl::Seconds(3)), absl::Seconds(3));
  EXPECT_EQ(lag.LastLag("dst"), absl::Seconds(3));
  EXPECT_EQ(lag.OnArrived("dst", 2, t0 + absl::Seconds(3)), absl::Seconds(1));
  EXPECT_EQ(lag.LastLag("dst"), absl::Seconds(1));
  EXPECT_FALSE(lag.OnArrived("dst", 99, t0).has_value());  // unknown commit time
  EXPECT_FALSE(lag.LastLag("nobody").has_value());
}

TEST(LagTracker, CurrentLagGrowsWhileATargetIsStopped) {
  LagTracker lag;
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  lag.OnWritten(1, t0);
  lag.OnArrived("dst", 1, t0 + absl::Seconds(1));
  lag.OnWritten(2, t0 + absl::Seconds(2));
  lag.OnWritten(3, t0 + absl::Seconds(4));
  // dst has not delivered 2: it is at least 30 s - 2 s behind.
  EXPECT_EQ(lag.CurrentLag("dst", t0 + absl::Seconds(30)), absl::Seconds(28));
  EXPECT_EQ(lag.CurrentLag("new", t0 + absl::Seconds(30)), absl::Seconds(30));
}

TEST(LagTracker, KeepsBoundedHistory) {
  LagTracker lag(2);
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  for (uint64_t i = 1; i <= 5; ++i) lag.OnWritten(i, t0 + absl::Seconds(i));
  EXPECT_FALSE(lag.OnArrived("dst", 3, t0 + absl::Seconds(9)).has_value());
  EXPECT_EQ(lag.OnArrived("dst", 5, t0 + absl::Seconds(9)), absl::Seconds(4));
}

}  // namespace
}  // namespace dcp::barrier
