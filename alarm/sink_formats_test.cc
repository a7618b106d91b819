// The Alertmanager, PagerDuty and Slack dialects: their documents checked by parsing (order
// of members does not matter), their limits, their secrets, and their delivery against the
// test receiver (alarm/test_http_receiver.h) through the shared HTTP machinery.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "alarm/alertmanager_sink.h"
#include "alarm/pagerduty_sink.h"
#include "alarm/sinks.h"
#include "alarm/slack_sink.h"
#include "alarm/test_http_receiver.h"
#include "alarm/text.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "util/json.h"
#include "util/log.h"

namespace dcp::alarm {
namespace {

using ::nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::Receiver;
using testing::Request;

const absl::Time kRaised = absl::FromUnixSeconds(1795297203) + absl::Milliseconds(120);

Alarm DiffAlarm() {
  Alarm a;
  a.kind = AlarmKind::kDiff;
  a.time = kRaised;
  a.source_tag = "src";
  a.target_tag = "dst";
  a.from_barrier = 41;
  a.to_barrier = 44;
  a.mode = "state";
  a.message = "1 key differs between 'src' and 'dst'";
  a.total_keys = 1;
  KeyDiff k;
  k.key = "shop.orders:42";
  k.table = "shop.orders";
  k.kind = KeyDiffKind::kDifferent;
  k.source = {true, false, "9e107d9d372bb6826bd81d3542a419d6", "0-11-1234", 1795290001, 1, {}};
  k.target = {true, false, "e4d909c290d0fb1ca068ffaddf22cbd0", "0-12-98", 1795290002, 1, {}};
  a.keys.push_back(k);
  a.severity = Severity::kCritical;
  a.instance = "checker-eu-1";
  return a;
}

Alarm TimeoutAlarm() {
  Alarm a;
  a.kind = AlarmKind::kTimeout;
  a.time = kRaised;
  a.source_tag = "src";
  a.target_tag = "dst";
  a.from_barrier = 45;
  a.to_barrier = 46;
  a.message = "'dst' has not delivered barrier 46 for 12s";
  a.waited = absl::Seconds(12);
  a.severity = Severity::kWarning;
  a.instance = "checker-eu-1";
  return a;
}

Alarm RecoveredAlarm() {
  Alarm a = TimeoutAlarm();
  a.kind = AlarmKind::kRecovered;
  a.time = kRaised + absl::Minutes(1);
  a.message = "'dst' caught up";
  a.waited = absl::Seconds(72);
  a.severity = Severity::kInfo;
  return a;
}

std::string TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = absl::StrCat(base ? base : "/tmp", "/dcp-sink-formats-test-XXXXXX");
  char* dir = mkdtemp(tmpl.data());
  return dir ? std::string(dir) : std::string();
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Every file under `dir`, concatenated.
std::string ReadTree(const std::string& dir) {
  std::string all;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) all += ReadFile(e.path().string());
  }
  return all;
}

// --- text helpers -----------------------------------------------------------------------

TEST(AlarmText, TruncateKeepsCharactersWholeAndBoundedKeysStable) {
  EXPECT_EQ(Truncate("short", 10), "short");
  EXPECT_EQ(Truncate("h\xc3\xa9llo w\xc3\xb6rld", 5), "h...");  // never half an é
  EXPECT_TRUE(
      dcp::json::IsValidUtf8(Truncate(std::string(100, 'x') + "\xe2\x82\xac\xe2\x82\xac", 102)));
  EXPECT_EQ(Truncate(std::string(50, 'y'), 10).size(), 10u);
  EXPECT_EQ(BoundedKey("timeout:src->dst", 255), "timeout:src->dst");
  const std::string long_a = "diff:src->dst:" + std::string(400, 'k') + "a";
  const std::string long_b = "diff:src->dst:" + std::string(400, 'k') + "b";
  EXPECT_LE(BoundedKey(long_a, 255).size(), 255u);
  EXPECT_EQ(BoundedKey(long_a, 255), BoundedKey(long_a, 255));
  EXPECT_NE(BoundedKey(long_a, 255), BoundedKey(long_b, 255));
  EXPECT_EQ(Rfc3339(kRaised), "2026-11-21T21:40:03.120Z");
}

// --- alertmanager -------------------------------------------------------------------------

TEST(AlertmanagerFormat, DiffAlertIsLabelledForRoutingAndEndsAfterAnHour) {
  AlertmanagerOptions o;
  o.status_url = "http://dcp.example:8080/";
  const std::string body = AlertmanagerFormat(o).Body(DiffAlarm(), 17);
  const json alerts = json::parse(body);
  ASSERT_TRUE(alerts.is_array());
  ASSERT_EQ(alerts.size(), 1u);
  const json& a = alerts[0];
  EXPECT_EQ(a["labels"], json({{"alertname", "DcpDiff"},
                               {"kind", "diff"},
                               {"severity", "critical"},
                               {"instance", "checker-eu-1"},
                               {"source_tag", "src"},
                               {"target_tag", "dst"},
                               {"incident_key", "diff:src->dst:shop.orders:42"}}));
  EXPECT_EQ(a["annotations"]["summary"], DiffAlarm().Summary());
  const std::string description = a["annotations"]["description"];
  EXPECT_THAT(description, HasSubstr("1 key differs between 'src' and 'dst'"));
  EXPECT_THAT(description, HasSubstr("pair src->dst, barriers [41,44)"));
  EXPECT_THAT(description, HasSubstr("1 key differs in shop.orders; mode state"));
  EXPECT_EQ(a["annotations"]["keys"],
            "shop.orders:42: different (source: row 9e107d9d at 0-11-1234; target: row e4d909c2 "
            "at 0-12-98)");
  EXPECT_EQ(a["annotations"]["sequence"], "17");
  EXPECT_EQ(a["startsAt"], "2026-11-21T21:40:03.120Z");
  EXPECT_EQ(a["endsAt"], "2026-11-21T22:40:03.120Z");
  EXPECT_EQ(a["generatorURL"], "http://dcp.example:8080/");
  // Without a status URL there is no generatorURL at all (Alertmanager wants a URL there).
  EXPECT_FALSE(
      json::parse(AlertmanagerFormat({}).Body(DiffAlarm(), 1))[0].contains("generatorURL"));
}

// A Recovered must carry exactly the labels of its Timeout, whatever its own severity, so
// that Alertmanager resolves that alert rather than opening another.
TEST(AlertmanagerFormat, RecoveredResolvesItsTimeoutsAlert) {
  AlertmanagerOptions o;
  o.severities.Set(AlarmKind::kTimeout, Severity::kCritical);
  const AlertmanagerFormat format(o);
  Alarm timeout = TimeoutAlarm();
  timeout.severity = Severity::kCritical;  // as the daemon stamps it with that table
  const json t = json::parse(format.Body(timeout, 5))[0];
  const json r = json::parse(format.Body(RecoveredAlarm(), 6))[0];
  EXPECT_EQ(t["labels"]["alertname"], "DcpTimeout");
  EXPECT_EQ(t["labels"]["severity"], "critical");
  EXPECT_EQ(r["labels"], t["labels"]);
  EXPECT_EQ(t["startsAt"], "2026-11-21T21:40:03.120Z");
  EXPECT_EQ(t["endsAt"], "2026-11-22T21:40:03.120Z");  // 24 h unless recovered
  EXPECT_EQ(r["startsAt"], "2026-11-21T21:41:03.120Z");
  EXPECT_EQ(r["endsAt"], "2026-11-21T21:41:03.120Z");  // resolved at the Recovered
  EXPECT_EQ(r["annotations"]["summary"], RecoveredAlarm().Summary());
  EXPECT_THAT(std::string(t["annotations"]["description"]), HasSubstr("waited 12s"));
}

TEST(AlertmanagerFormat, LeavesOutEmptyLabelsAndBuildsTheApiUrl) {
  Alarm gap;
  gap.kind = AlarmKind::kGap;
  gap.time = kRaised;
  gap.source_tag = "mystery";
  gap.message = "changes with an unknown tag";
  const json a = json::parse(AlertmanagerFormat({}).Body(gap, 0))[0];
  EXPECT_EQ(a["labels"], json({{"alertname", "DcpGap"},
                               {"kind", "gap"},
                               {"severity", "warning"},
                               {"source_tag", "mystery"},
                               {"incident_key", "gap:mystery->:?-?"}}));
  EXPECT_FALSE(a["annotations"].contains("sequence"));
  EXPECT_FALSE(a["annotations"].contains("keys"));
  EXPECT_EQ(AlertmanagerAlertsUrl("http://127.0.0.1:9093"), "http://127.0.0.1:9093/api/v2/alerts");
  EXPECT_EQ(AlertmanagerAlertsUrl("http://127.0.0.1:9093/"), "http://127.0.0.1:9093/api/v2/alerts");
  EXPECT_EQ(AlertmanagerAlertsUrl("https://h/am"), "https://h/am/api/v2/alerts");
  EXPECT_EQ(AlertmanagerAlertsUrl("https://h/am/api/v2/alerts"), "https://h/am/api/v2/alerts");
}

// An alert delivered late (Alertmanager was down) still arrives active for its whole period;
// a resolution stays a resolution.
TEST(AlertmanagerFormat, LateDeliveryKeepsTheAlertActiveForItsPeriod) {
  AlertmanagerOptions o;
  o.ends_after = absl::Hours(2);
  const AlertmanagerFormat format(o);
  const std::string diff = format.Body(DiffAlarm(), 1);
  EXPECT_EQ(format.RequestBody(diff, kRaised), diff);
  const json late = json::parse(format.RequestBody(diff, kRaised + absl::Hours(3)));
  EXPECT_EQ(late[0]["endsAt"], "2026-11-22T02:40:03.120Z");
  EXPECT_EQ(late[0]["startsAt"], "2026-11-21T21:40:03.120Z");
  EXPECT_EQ(late[0]["labels"], json::parse(diff)[0]["labels"]);
  const std::string resolve = format.Body(RecoveredAlarm(), 2);
  EXPECT_EQ(format.RequestBody(resolve, kRaised + absl::Hours(3)), resolve);
  EXPECT_EQ(format.RequestBody("not json", kRaised), "not json");
}

// --- pagerduty ----------------------------------------------------------------------------

TEST(PagerDutyFormat, TriggerCarriesTheAlarmAndTheRoutingKeyOnlyOnTheWire) {
  const PagerDutyFormat format("R0UT1NGKEY-0123456789abcdef01234", "http://dcp.example:8080/");
  const Alarm diff = DiffAlarm();
  const std::string document = format.Body(diff, 17);
  EXPECT_THAT(document, Not(HasSubstr("R0UT1NGKEY")));
  EXPECT_THAT(document, Not(HasSubstr("routing_key")));
  const json event = json::parse(format.RequestBody(document, kRaised));
  EXPECT_EQ(event["routing_key"], "R0UT1NGKEY-0123456789abcdef01234");
  EXPECT_EQ(event["event_action"], "trigger");
  EXPECT_EQ(event["dedup_key"], "diff:src->dst:shop.orders:42");
  const json& p = event["payload"];
  EXPECT_EQ(p["summary"], diff.Summary());
  EXPECT_EQ(p["source"], "checker-eu-1");
  EXPECT_EQ(p["severity"], "critical");
  EXPECT_EQ(p["timestamp"], "2026-11-21T21:40:03.120Z");
  EXPECT_EQ(p["class"], "diff");
  EXPECT_EQ(p["group"], "src");
  EXPECT_EQ(p["component"], "dst");
  EXPECT_EQ(p["custom_details"], json::parse(diff.ToJson(17)));
  EXPECT_EQ(event["client_url"], "http://dcp.example:8080/");
  EXPECT_EQ(event["links"],
            json::parse(R"([{"href":"http://dcp.example:8080/","text":"dcp status"}])"));
  // Without the document's own keys the rest of the event is the same.
  json without = event;
  without.erase("routing_key");
  EXPECT_EQ(without, json::parse(document));
  // dcp's severities are PagerDuty's, minus "error".
  Alarm gap = TimeoutAlarm();
  gap.kind = AlarmKind::kGap;
  gap.severity = Severity::kInfo;
  EXPECT_EQ(json::parse(format.Body(gap, 1))["payload"]["severity"], "info");
  EXPECT_EQ(json::parse(format.Body(TimeoutAlarm(), 1))["payload"]["severity"], "warning");
}

TEST(PagerDutyFormat, RecoveredResolvesTheTimeoutsIncident) {
  const PagerDutyFormat format("key", "");
  const json trigger = json::parse(format.Body(TimeoutAlarm(), 5));
  const json resolve = json::parse(format.Body(RecoveredAlarm(), 6));
  EXPECT_EQ(trigger["event_action"], "trigger");
  EXPECT_EQ(resolve, json({{"event_action", "resolve"}, {"dedup_key", "timeout:src->dst"}}));
  EXPECT_EQ(trigger["dedup_key"], resolve["dedup_key"]);
  EXPECT_FALSE(trigger.contains("links"));
  Alarm unstamped = TimeoutAlarm();
  unstamped.instance.clear();
  EXPECT_EQ(json::parse(format.Body(unstamped, 1))["payload"]["source"], "dcp");
}

// PagerDuty refuses a dedup_key over 255 characters, a summary over 1024 and an event over
// 512 KB: a huge Diff still makes a valid event, with fewer sample keys but the true total.
TEST(PagerDutyFormat, StaysWithinPagerDutysLimits) {
  Alarm big = DiffAlarm();
  big.keys.clear();
  for (int i = 0; i < 2000; ++i) {
    KeyDiff k = DiffAlarm().keys[0];
    k.key = absl::StrCat("shop.orders:", std::string(300, 'k'), i);
    k.target.content = std::string(2000, 'c');
    big.keys.push_back(k);
  }
  big.total_keys = 5000;
  big.message = std::string(5000, 'm');
  const PagerDutyFormat format("key", "");
  const std::string body = format.RequestBody(format.Body(big, 3), kRaised);
  EXPECT_LT(body.size(), 512u * 1024);
  const json event = json::parse(body);
  EXPECT_LE(std::string(event["dedup_key"]).size(), 255u);
  EXPECT_LE(std::string(event["payload"]["summary"]).size(), 1024u);
  const json& details = event["payload"]["custom_details"];
  EXPECT_EQ(details["total_keys"], 5000);
  EXPECT_GT(details["keys"].size(), 0u);
  EXPECT_LT(details["keys"].size(), 2000u);
  // One long key: the dedup key is bounded and stable, so its resolve would match.
  Alarm one = DiffAlarm();
  one.keys[0].key = std::string(1000, 'z');
  const json a = json::parse(format.Body(one, 1));
  EXPECT_LE(std::string(a["dedup_key"]).size(), 255u);
  EXPECT_EQ(a["dedup_key"], json::parse(format.Body(one, 2))["dedup_key"]);
}

// --- slack --------------------------------------------------------------------------------

TEST(SlackFormat, DiffMessageHasHeaderTablesKeysBarriersAndStatusLink) {
  const Alarm diff = DiffAlarm();
  const json m = json::parse(SlackFormat("http://dcp.example:8080/").Body(diff, 17));
  EXPECT_EQ(m["text"], ":red_circle: [critical] " + SlackEscape(diff.Summary()));  // mrkdwn
  const json& blocks = m["blocks"];
  ASSERT_EQ(blocks.size(), 4u);
  EXPECT_EQ(blocks[0]["type"], "header");
  EXPECT_EQ(blocks[0]["text"]["type"], "plain_text");
  EXPECT_EQ(blocks[0]["text"]["text"], ":red_circle: DIFF src->dst");
  EXPECT_EQ(blocks[1]["type"], "section");
  std::vector<std::string> fields;
  for (const json& f : blocks[1]["fields"]) fields.push_back(f["text"]);
  EXPECT_EQ(fields, (std::vector<std::string>{"*Severity*\ncritical", "*Instance*\nchecker-eu-1",
                                              "*Barriers*\n[41,44)", "*Tables*\nshop.orders",
                                              "*Keys differing*\n1"}));
  EXPECT_EQ(blocks[2]["text"]["text"],
            "1 key differs between 'src' and 'dst'\n"
            "• `shop.orders:42` different: source row 9e107d9d at 0-11-1234; target row "
            "e4d909c2 at 0-12-98");
  EXPECT_EQ(blocks[3]["type"], "context");
  EXPECT_EQ(blocks[3]["elements"][0]["text"],
            "incident diff:src-&gt;dst:shop.orders:42 · alarm #17 · "
            "<http://dcp.example:8080/|dcp status>");
  const json recovered = json::parse(SlackFormat("").Body(RecoveredAlarm(), 6));
  EXPECT_EQ(recovered["blocks"][0]["text"]["text"], ":white_check_mark: RECOVERED src->dst");
  EXPECT_THAT(recovered["blocks"][1].dump(), HasSubstr("*Waited*\\n1m12s"));
  EXPECT_THAT(recovered["blocks"].back().dump(), Not(HasSubstr("dcp status")));
}

// Keys are data: they must not mention anyone, break a code span, or push a block past
// Slack's limits (Slack refuses the whole message then).
TEST(SlackFormat, EscapesMarkupAndStaysWithinLimits) {
  Alarm diff = DiffAlarm();
  diff.source_tag = std::string(200, 's');
  diff.keys.clear();
  for (int i = 0; i < 500; ++i) {
    KeyDiff k = DiffAlarm().keys[0];
    k.key = absl::StrCat("<!channel> `x` & ", std::string(400, 'k'), i);
    k.table = absl::StrCat("t", i);
    diff.keys.push_back(k);
  }
  diff.total_keys = 700;
  const std::string body = SlackFormat("").Body(diff, 1);
  EXPECT_THAT(body, Not(HasSubstr("<!channel>")));
  const json m = json::parse(body);
  const json& blocks = m["blocks"];
  EXPECT_LE(std::string(blocks[0]["text"]["text"]).size(), 150u);
  for (const json& f : blocks[1]["fields"]) EXPECT_LE(std::string(f["text"]).size(), 2000u);
  const std::string detail = blocks[2]["text"]["text"];
  EXPECT_LE(detail.size(), 3000u);
  EXPECT_THAT(detail, HasSubstr("&lt;!channel&gt; 'x' &amp; "));
  EXPECT_THAT(detail, HasSubstr("… and 690 more"));
  EXPECT_THAT(std::string(blocks[1]["fields"][3]["text"]), HasSubstr("and 490 more"));
  EXPECT_EQ(SlackEscape("a<b>&c"), "a&lt;b&gt;&amp;c");
}

// --- delivery through the registry and the HTTP machinery ---------------------------------

class SinkDeliveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TempDir();
    ASSERT_FALSE(dir_.empty());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

// As in the daemon: stamped, then the registry's sink. A PagerDuty stub sees the Timeout's
// trigger, then its resolve, with one dedup_key.
TEST_F(SinkDeliveryTest, PagerDutyStubSeesTriggerThenResolveWithOneDedupKey) {
  Receiver receiver;
  ASSERT_TRUE(receiver.ok());
  SinkConfig c;
  c.type = c.name = "pagerduty";
  c.strings["routing-key"] = "R0UT1NGKEY-0123456789abcdef01234";
  c.strings["url"] = absl::StrCat("http://127.0.0.1:", receiver.port(), "/v2/enqueue");
  AlarmSettings settings;
  settings.instance = "checker-eu-1";
  auto sink = CreateSink(c, SinkContext(dir_, settings));
  ASSERT_TRUE(sink.ok()) << sink.status();
  StampingSink stamping(settings, sink->get());
  Alarm timeout = TimeoutAlarm(), recovered = RecoveredAlarm();
  timeout.severity.reset();
  recovered.severity.reset();
  stamping.Emit(timeout);
  stamping.Emit(recovered);
  ASSERT_TRUE((*sink)->Flush(absl::Seconds(20)));
  const std::vector<Request> got = receiver.accepted();
  ASSERT_EQ(got.size(), 2u);
  const json trigger = json::parse(got[0].body), resolve = json::parse(got[1].body);
  EXPECT_EQ(got[0].target, "/v2/enqueue");
  EXPECT_EQ(got[0].headers.at("content-type"), "application/json");
  EXPECT_EQ(trigger["event_action"], "trigger");
  EXPECT_EQ(resolve["event_action"], "resolve");
  EXPECT_EQ(trigger["dedup_key"], "timeout:src->dst");
  EXPECT_EQ(resolve["dedup_key"], trigger["dedup_key"]);
  EXPECT_EQ(trigger["routing_key"], "R0UT1NGKEY-0123456789abcdef01234");
  EXPECT_EQ(resolve["routing_key"], trigger["routing_key"]);
  EXPECT_EQ(trigger["payload"]["severity"], "warning");
  EXPECT_EQ(trigger["payload"]["source"], "checker-eu-1");
  EXPECT_EQ(trigger["payload"]["custom_details"]["severity"], "warning");
  EXPECT_EQ(trigger["payload"]["custom_details"]["instance"], "checker-eu-1");
  EXPECT_EQ((*sink)->stats().delivered, 2u);
}

// PagerDuty's 429 means "later": retried, never dead-lettered (max_attempts 1 would
// dead-letter a permanent refusal at once).
TEST_F(SinkDeliveryTest, PagerDutyThrottlingIsRetried) {
  Receiver receiver;
  ASSERT_TRUE(receiver.ok());
  receiver.set_mode(Receiver::Mode::kThrottle429);
  PagerDutyOptions o;
  o.url = receiver.url();
  o.spool_dir = dir_ + "/pd";
  o.routing_key = "key";
  o.initial_backoff = absl::Milliseconds(20);
  o.max_backoff = absl::Milliseconds(100);
  o.max_attempts = 1;
  auto sink = StartPagerDutySink(o);
  ASSERT_TRUE(sink.ok()) << sink.status();
  (*sink)->Emit(TimeoutAlarm());
  ASSERT_TRUE(receiver.WaitForRequests(2, absl::Seconds(20)));
  receiver.set_mode(Receiver::Mode::kOk);
  ASSERT_TRUE((*sink)->Flush(absl::Seconds(20)));
  EXPECT_EQ((*sink)->dead_letters(), 0u);
  EXPECT_EQ((*sink)->stats().delivered, 1u);
  EXPECT_GE((*sink)->stats().failed_attempts, 1u);
}

// Alertmanager answers 400 to an alert it cannot take: dead-lettered after 3 tries, the next
// alert delivered; the request goes to /api/v2/alerts.
TEST_F(SinkDeliveryTest, AlertmanagerMalformedAlertIsDeadLetteredAndTheNextDelivered) {
  Receiver receiver;
  ASSERT_TRUE(receiver.ok());
  receiver.refuse_bodies_with("DcpGap", Receiver::Mode::kBadRequest400);
  AlertmanagerOptions o;
  o.url = absl::StrCat("http://127.0.0.1:", receiver.port());
  o.spool_dir = dir_ + "/am";
  o.initial_backoff = absl::Milliseconds(20);
  auto sink = StartAlertmanagerSink(o);
  ASSERT_TRUE(sink.ok()) << sink.status();
  Alarm gap = TimeoutAlarm();
  gap.kind = AlarmKind::kGap;
  (*sink)->Emit(gap);
  (*sink)->Emit(DiffAlarm());
  ASSERT_TRUE((*sink)->Flush(absl::Seconds(20)));
  EXPECT_EQ((*sink)->dead_letters(), 1u);
  const std::vector<Request> got = receiver.accepted();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].target, "/api/v2/alerts");
  EXPECT_EQ(json::parse(got[0].body)[0]["labels"]["alertname"], "DcpDiff");
  EXPECT_EQ(receiver.requests().size(), 4u);  // 3 refusals, 1 delivery
  EXPECT_THAT(ReadFile(o.spool_dir + "/dead-letter.jsonl"), HasSubstr("DcpGap"));
}

// The routing key and the Slack URL's path and query are secrets: they reach the receiver
// and nowhere else (log, spool, dead letters, errors), whatever fails.
TEST_F(SinkDeliveryTest, SecretsNeverReachLogsSpoolsOrErrors) {
  const std::string log = dir_ + "/dcp.log";
  ASSERT_TRUE(SetLogFile(log.c_str()));
  Receiver receiver;
  ASSERT_TRUE(receiver.ok());
  receiver.refuse_bodies_with("\"class\":\"gap\"", Receiver::Mode::kBadRequest400);
  receiver.set_mode(Receiver::Mode::kFail503);
  const std::string routing_key = "PDSECRET0123456789abcdef01234567";
  const std::string slack_path = "/services/T000/B000/SLACKSECRET?token=QUERYSECRET";
  AlarmSettings settings;
  settings.instance = "checker-eu-1";
  SinkConfig pd;
  pd.type = pd.name = "pagerduty";
  pd.strings["routing-key"] = routing_key;
  pd.strings["url"] = receiver.url();
  SinkConfig slack;
  slack.type = slack.name = "slack";
  slack.strings["url"] = absl::StrCat("http://127.0.0.1:", receiver.port(), slack_path);
  auto pd_sink = CreateSink(pd, SinkContext(dir_ + "/state", settings));
  auto slack_sink = CreateSink(slack, SinkContext(dir_ + "/state", settings));
  ASSERT_TRUE(pd_sink.ok()) << pd_sink.status();
  ASSERT_TRUE(slack_sink.ok()) << slack_sink.status();
  Alarm gap = TimeoutAlarm();
  gap.kind = AlarmKind::kGap;
  for (AlarmSink* s : {pd_sink->get(), slack_sink->get()}) {
    s->Emit(gap);
    s->Emit(TimeoutAlarm());
  }
  ASSERT_TRUE(receiver.WaitForRequests(2, absl::Seconds(20)));  // failing (503) and logged
  receiver.set_mode(Receiver::Mode::kOk);
  ASSERT_TRUE((*pd_sink)->Flush(absl::Seconds(30)));
  ASSERT_TRUE((*slack_sink)->Flush(absl::Seconds(30)));
  ASSERT_TRUE(SetLogFile(""));
  // The secrets did reach the receiver.
  bool key_sent = false, path_used = false;
  for (const Request& r : receiver.accepted()) {
    key_sent |= r.body.find(routing_key) != std::string::npos;
    path_used |= r.target == slack_path;
  }
  EXPECT_TRUE(key_sent);
  EXPECT_TRUE(path_used);
  const std::string logged = ReadFile(log);
  EXPECT_THAT(logged, HasSubstr("refused 3 times"));  // the PagerDuty gap was dead-lettered
  EXPECT_THAT(logged, HasSubstr(absl::StrCat("http://127.0.0.1:", receiver.port())));
  const std::string on_disk = ReadTree(dir_ + "/state");
  EXPECT_THAT(on_disk, HasSubstr("\"class\":\"gap\""));  // the dead letter is there
  for (const std::string& secret :
       {routing_key, std::string("SLACKSECRET"), std::string("QUERYSECRET")}) {
    EXPECT_THAT(logged, Not(HasSubstr(secret)));
    EXPECT_THAT(on_disk, Not(HasSubstr(secret)));
    EXPECT_THAT((*pd_sink)->stats().last_error, Not(HasSubstr(secret)));
    EXPECT_THAT((*slack_sink)->stats().last_error, Not(HasSubstr(secret)));
  }
}

}  // namespace
}  // namespace dcp::alarm
