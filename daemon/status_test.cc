#include "daemon/daemon.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dcp::daemon {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

StatusSnapshot Sample() {
  StatusSnapshot s;
  s.started = absl::FromUnixSeconds(1'700'000'000);
  s.now = s.started + absl::Seconds(42);
  CollectorStatus c;
  c.name = "source";
  c.type = "mysql";
  c.connected = true;
  c.events = 10;
  c.rows = 7;
  c.reconnects = 1;
  c.position = "bin.000001:1234";
  s.collectors.push_back(c);
  c.name = "re\"plica";
  s.collectors.push_back(c);
  TagStatus tag;
  tag.stats.tag = "src";
  tag.stats.last_barrier = 9;
  s.tags.push_back(tag);
  TargetStatus t;
  t.stats.tag = "dst";
  t.stats.windows_compared = 5;
  t.stats.windows_diff = 1;
  t.lag = absl::Milliseconds(1500);
  s.targets.push_back(t);
  s.alarms.raised["diff"] = 1;
  alarm::SinkStats webhook;
  webhook.delivered = 1;
  s.alarms.sinks.push_back({"webhook", "webhook", webhook});
  return s;
}

TEST(StatusTest, MetricsCarryEveryFamilyWithLabels) {
  const std::string m = RenderMetrics(Sample());
  EXPECT_THAT(m, HasSubstr("dcp_collector_connected{collector=\"source\",type=\"mysql\"} 1\n"));
  EXPECT_THAT(m,
              HasSubstr("dcp_collector_reconnects_total{collector=\"source\",type=\"mysql\"} 1"));
  EXPECT_THAT(m, HasSubstr("collector=\"re\\\"plica\""));
  EXPECT_THAT(m, HasSubstr("position=\"bin.000001:1234\""));
  EXPECT_THAT(m, HasSubstr("dcp_tag_last_barrier{tag=\"src\"} 9\n"));
  EXPECT_THAT(m, HasSubstr("dcp_target_windows_compared_total{target=\"dst\"} 5\n"));
  EXPECT_THAT(m, HasSubstr("dcp_target_replication_lag_seconds{target=\"dst\"} 1.5\n"));
  EXPECT_THAT(m, HasSubstr("dcp_alarms_total{kind=\"diff\"} 1\n"));
  EXPECT_THAT(m, HasSubstr("dcp_alarms_total{kind=\"timeout\"} 0\n"));
  EXPECT_THAT(m,
              HasSubstr("dcp_alarm_sink_delivered_total{sink=\"webhook\",type=\"webhook\"} 1\n"));
  EXPECT_THAT(m, HasSubstr("# TYPE dcp_target_windows_compared_total counter\n"));
}

// Counters past a million keep every digit (absl's default double formatting would print
// 1234567 as "1.23457e+06"), in /metrics and in /status.
TEST(StatusTest, LargeCountersKeepEveryDigit) {
  StatusSnapshot s = Sample();
  s.collectors[0].rows = 1234567;
  s.collectors[0].events = 9007199254740000;
  s.targets[0].lag = absl::Milliseconds(1234567);
  const std::string m = RenderMetrics(s);
  EXPECT_THAT(m,
              HasSubstr("dcp_collector_rows_total{collector=\"source\",type=\"mysql\"} 1234567\n"));
  EXPECT_THAT(m, HasSubstr("{collector=\"source\",type=\"mysql\"} 9007199254740000\n"));
  EXPECT_THAT(m, HasSubstr("dcp_target_replication_lag_seconds{target=\"dst\"} 1234.567\n"));
  EXPECT_THAT(m, Not(HasSubstr("e+")));
  const std::string j = RenderStatusJson(s);
  EXPECT_THAT(j, HasSubstr("\"rows\":1234567"));
  EXPECT_THAT(j, Not(HasSubstr("e+")));
}

TEST(StatusTest, HealthNeedsConnectedCollectorsAndNoTimeout) {
  StatusSnapshot s = Sample();
  EXPECT_TRUE(Health(s).first);
  s.collectors[0].connected = false;
  s.targets[0].stats.in_timeout = true;
  auto [ok, reason] = Health(s);
  EXPECT_FALSE(ok);
  EXPECT_THAT(reason, HasSubstr("collector 'source' not connected"));
  EXPECT_THAT(reason, HasSubstr("target 'dst' in timeout"));
  const std::string json = RenderStatusJson(s);
  EXPECT_THAT(json, HasSubstr("\"healthy\":false"));
  EXPECT_THAT(json, HasSubstr("\"replication_lag_seconds\":1.5"));
  EXPECT_THAT(json, HasSubstr("\"name\":\"re\\\"plica\""));
  EXPECT_THAT(json, Not(HasSubstr("password")));
}

}  // namespace
}  // namespace dcp::daemon

namespace dcp::daemon {
namespace {

// /livez: only a stuck tick loop; a target in Timeout or a lost collector is /readyz's.
TEST(StatusTest, LivenessIgnoresTimeoutsButNotAStuckLoop) {
  StatusSnapshot s;
  s.started = absl::FromUnixSeconds(1'700'000'000);
  s.now = s.started + absl::Seconds(100);
  s.last_tick = s.now - absl::Seconds(1);
  TargetStatus t;
  t.stats.tag = "dst";
  t.stats.in_timeout = true;
  s.targets.push_back(t);
  EXPECT_FALSE(Health(s).first);
  EXPECT_TRUE(Liveness(s).first);
  s.last_tick = s.now - absl::Minutes(5);
  auto [live, reason] = Liveness(s);
  EXPECT_FALSE(live);
  EXPECT_THAT(reason, ::testing::HasSubstr("tick loop has not run for 5m"));
}

}  // namespace
}  // namespace dcp::daemon
