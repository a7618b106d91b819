#include "daemon/daemon.h"
#include "gmock/gmock.h"
#include "nlohmann/json.hpp"
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

// Whether `m` holds the sample line `line` (a whole line).
bool HasLine(const std::string& m, const std::string& line) {
  return m.find("\n" + line + "\n") != std::string::npos || m.rfind(line + "\n", 0) == 0;
}

TEST(StatusTest, MetricsCarryEveryFamilyWithBoundedLabels) {
  StatusSnapshot s = Sample();
  s.collectors[0].binlog_file = "mysql-bin.000012";
  s.collectors[0].binlog_position = 1234;
  TagStatus dst;
  dst.stats.tag = "dst";
  dst.lag = absl::Milliseconds(1500);
  s.tags.push_back(dst);
  s.targets[0].stats.windows_same = 4;
  s.version = "0.1.0";
  s.revision = "abc123";
  s.process = ProcessStats{1.7e9, 2.5, 30 << 20, 100 << 20, 12, 1024};
  Histogram h(Histogram::LatencyBounds());
  h.Observe(0.002);
  h.Observe(3);
  s.detection_seconds = h.Get();
  const std::string m = RenderMetrics(s);
  EXPECT_TRUE(HasLine(m, "dcp_build_info{version=\"0.1.0\",revision=\"abc123\"} 1"));
  EXPECT_TRUE(HasLine(m, "dcp_collector_connected{collector=\"source\",type=\"mysql\"} 1"));
  EXPECT_TRUE(HasLine(m, "dcp_collector_reconnects_total{collector=\"source\",type=\"mysql\"} 1"));
  EXPECT_THAT(m, HasSubstr("collector=\"re\\\"plica\""));
  // The position as two gauges, never as a label.
  EXPECT_TRUE(HasLine(m, "dcp_collector_binlog_file_number{collector=\"source\"} 12"));
  EXPECT_TRUE(HasLine(m, "dcp_collector_binlog_position_bytes{collector=\"source\"} 1234"));
  EXPECT_THAT(m, Not(HasSubstr("position=")));
  EXPECT_TRUE(HasLine(m, "dcp_tag_last_barrier{tag=\"src\"} 9"));
  EXPECT_TRUE(HasLine(m, "dcp_target_windows_total{target=\"dst\",result=\"same\"} 4"));
  EXPECT_TRUE(HasLine(m, "dcp_target_windows_total{target=\"dst\",result=\"diff\"} 1"));
  EXPECT_TRUE(HasLine(m, "dcp_tag_lag_seconds{tag=\"dst\"} 1.5"));  // the one lag family
  EXPECT_THAT(m, Not(HasSubstr("replication_lag")));
  EXPECT_TRUE(HasLine(m, "dcp_alarms_total{kind=\"diff\"} 1"));
  EXPECT_TRUE(HasLine(m, "dcp_alarms_total{kind=\"timeout\"} 0"));
  EXPECT_TRUE(
      HasLine(m, "dcp_alarm_sink_delivered_total{sink=\"webhook\",type=\"webhook\"} 1"));
  EXPECT_TRUE(HasLine(m, "process_resident_memory_bytes 31457280"));
  EXPECT_TRUE(HasLine(m, "process_open_fds 12"));
  EXPECT_TRUE(HasLine(m, "# TYPE dcp_detection_latency_seconds histogram"));
  EXPECT_TRUE(HasLine(m, "dcp_detection_latency_seconds_bucket{le=\"0.0025\"} 1"));
  EXPECT_TRUE(HasLine(m, "dcp_detection_latency_seconds_bucket{le=\"5\"} 2"));
  EXPECT_TRUE(HasLine(m, "dcp_detection_latency_seconds_bucket{le=\"+Inf\"} 2"));
  EXPECT_TRUE(HasLine(m, "dcp_detection_latency_seconds_count 2"));
}

// Counters past a million keep every digit (absl's default double formatting would print
// 1234567 as "1.23457e+06"), in /metrics and in /status.
TEST(StatusTest, LargeCountersKeepEveryDigit) {
  StatusSnapshot s = Sample();
  s.collectors[0].rows = 1234567;
  s.collectors[0].events = 9007199254740000;
  s.tags[0].lag = absl::Milliseconds(1234567);
  const std::string m = RenderMetrics(s);
  EXPECT_TRUE(HasLine(m, "dcp_collector_rows_total{collector=\"source\",type=\"mysql\"} 1234567"));
  EXPECT_THAT(m, HasSubstr("{collector=\"source\",type=\"mysql\"} 9007199254740000\n"));
  EXPECT_TRUE(HasLine(m, "dcp_tag_lag_seconds{tag=\"src\"} 1234.567"));
  EXPECT_THAT(m, Not(HasSubstr("e+")));
  const std::string j = RenderStatusJson(s);
  EXPECT_THAT(j, HasSubstr("\"rows\":1234567"));
  EXPECT_THAT(j, Not(HasSubstr("e+")));
}

// /status is JSON with arrays where there are lists (tags, alarms, keys).
TEST(StatusTest, StatusJsonHasProperArrays) {
  StatusSnapshot s = Sample();
  s.collectors[0].tags = {"src", "src2"};
  alarm::Alarm a;
  a.kind = alarm::AlarmKind::kDiff;
  a.sequence = 7;
  a.source_tag = "src";
  a.target_tag = "dst";
  alarm::KeyDiff k;
  k.key = "[\"shop.orders\",\"n:3\"]";
  a.keys = {k};
  a.total_keys = 1;
  s.alarms.recent = {a};
  s.targets[0].last_alarm = a;
  const nlohmann::json j = nlohmann::json::parse(RenderStatusJson(s));
  EXPECT_EQ(j["collectors"][0]["tags"], nlohmann::json::array({"src", "src2"}));
  EXPECT_EQ(j["recent_alarms"][0]["sequence"], 7);
  EXPECT_EQ(j["recent_alarms"][0]["keys"][0], "[\"shop.orders\",\"n:3\"]");
  EXPECT_EQ(j["targets"][0]["last_alarm"]["kind"], "diff");
}

// The status page: each target's state, a sparkline of its lag, collectors, recent alarms;
// text is escaped.
TEST(StatusTest, StatusPageShowsStatesAndEscapes) {
  StatusSnapshot s = Sample();
  s.targets[0].stats.in_timeout = true;
  TargetStatus ok;
  ok.stats.tag = "<dst2>";
  for (int i = 0; i < 60; ++i) {
    ok.lag_history.push_back({s.now - absl::Seconds(60 - i), i % 10 * 0.1});
  }
  s.targets.push_back(ok);
  const std::string page = RenderStatusPage(s);
  EXPECT_THAT(page, HasSubstr("data-target=\"dst\" data-state=\"timeout\""));
  EXPECT_THAT(page, HasSubstr("data-target=\"&lt;dst2&gt;\" data-state=\"ok\""));
  EXPECT_THAT(page, HasSubstr("data-points=\"60\""));
  EXPECT_THAT(page, HasSubstr("<polyline points="));
  EXPECT_THAT(page, HasSubstr("not ready: "));
  EXPECT_THAT(page, Not(HasSubstr("<dst2>")));
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
