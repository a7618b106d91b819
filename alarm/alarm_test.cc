#include "alarm/alarm.h"

#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "alarm/json_lines_sink.h"
#include "alarm/sequence.h"
#include "alarm/sinks.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace dcp::alarm {
namespace {

using ::testing::HasSubstr;

std::string TempPath() {
  char tmpl[] = "/tmp/dcp-alarm-log-XXXXXX";
  int fd = mkstemp(tmpl);
  if (fd >= 0) close(fd);
  return tmpl;
}

std::vector<std::string> Lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

Alarm Timeout(int i) {
  Alarm a;
  a.kind = AlarmKind::kTimeout;
  a.source_tag = "src";
  a.target_tag = "dst";
  a.waited = absl::Seconds(12);
  a.message = absl::StrCat("alarm ", i, " ", std::string(100, 'x'));
  return a;
}

TEST(JsonLinesSink, AppendsOneDocumentPerLine) {
  const std::string path = TempPath();
  {
    auto sink = JsonLinesSink::Open(path);
    ASSERT_TRUE(sink.ok()) << sink.status();
    Alarm a = Timeout(1);
    (*sink)->Emit(a);
    a.kind = AlarmKind::kRecovered;
    (*sink)->Emit(a);
    // Log rotation: the old file is renamed, Reopen() starts a new one.
    ASSERT_EQ(std::rename(path.c_str(), (path + ".1").c_str()), 0);
    ASSERT_TRUE((*sink)->Reopen().ok());
    (*sink)->Emit(a);
    EXPECT_EQ((*sink)->stats().delivered, 3u);
    EXPECT_EQ((*sink)->stats().errors, 0u);
  }
  const auto rotated = Lines(path + ".1");
  ASSERT_EQ(rotated.size(), 2u);
  EXPECT_THAT(rotated[0], HasSubstr("{\"sequence\":1,\"kind\":\"timeout\""));
  EXPECT_THAT(rotated[0], HasSubstr("\"waited_seconds\":12"));
  EXPECT_THAT(rotated[1], HasSubstr("{\"sequence\":2,\"kind\":\"recovered\""));
  const auto current = Lines(path);
  ASSERT_EQ(current.size(), 1u);
  EXPECT_THAT(current[0], HasSubstr("{\"sequence\":3,\"kind\":\"recovered\""));
  std::remove(path.c_str());
  std::remove((path + ".1").c_str());
  EXPECT_FALSE(JsonLinesSink::Open("/nonexistent-dir/x.jsonl").ok());
}

// A file that cannot grow (RLIMIT_FSIZE, as a full disk): the write that crosses the limit is
// cut back, later alarms wait in memory, errors are counted, and once the file can grow again
// every line is a whole JSON document, in order, none lost.
TEST(JsonLinesSink, FullDiskLeavesNoTornLineAndLosesNothing) {
  const std::string path = TempPath();
  auto sink = JsonLinesSink::Open(path);
  ASSERT_TRUE(sink.ok());
  struct rlimit old;
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &old), 0);
  signal(SIGXFSZ, SIG_IGN);
  struct rlimit tight = old;
  tight.rlim_cur = 1000;  // room for a few alarms; the next one is cut part-way
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &tight), 0);
  for (int i = 1; i <= 20; ++i) (*sink)->Emit(Timeout(i));
  const SinkStats stuck = (*sink)->stats();
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &old), 0);
  EXPECT_GT(stuck.errors, 0u);
  EXPECT_GT(stuck.pending, 0u);
  EXPECT_EQ(stuck.delivered + stuck.pending, 20u);
  EXPECT_THAT(stuck.last_error, HasSubstr("cannot write alarm log"));
  for (const std::string& line : Lines(path)) {
    EXPECT_TRUE(nlohmann::json::accept(line)) << line;  // nothing torn while full
  }
  EXPECT_TRUE((*sink)->Flush(absl::Seconds(1)));
  const auto lines = Lines(path);
  ASSERT_EQ(lines.size(), 20u);
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(nlohmann::json::accept(lines[i])) << lines[i];
    EXPECT_EQ(nlohmann::json::parse(lines[i])["sequence"], i + 1);
  }
  EXPECT_EQ((*sink)->stats().pending, 0u);
  std::remove(path.c_str());
}

// Keys and row contents may hold any bytes (binary keys, latin1 text): the document is always
// valid JSON, UTF-8 is kept, other bytes read as Latin-1 (util/json.h).
TEST(AlarmJson, DocumentIsValidJsonWhateverTheBytes) {
  Alarm a;
  a.kind = AlarmKind::kDiff;
  a.source_tag = "src";
  a.target_tag = "dst";
  KeyDiff k;
  k.key = std::string("[\"t\",\"\xff\x00\xc3\"]", 11);
  k.table = "caf\xc3\xa9";
  k.source.seen = true;
  k.source.content = "a\"b\\c\n\x01 \xed\xa0\x80";
  a.keys.push_back(k);
  a.total_keys = 1;
  const std::string json = a.ToJson(7, /*slack_text=*/true);
  ASSERT_TRUE(nlohmann::json::accept(json)) << json;
  const nlohmann::json doc = nlohmann::json::parse(json);
  EXPECT_EQ(doc["sequence"], 7);
  EXPECT_EQ(doc["keys"][0]["table"], "caf\xc3\xa9");
  EXPECT_EQ(doc["keys"][0]["key"], std::string("[\"t\",\"\xc3\xbf\x00\xc3\x83\"]", 13));
  EXPECT_EQ(doc["keys"][0]["source"]["content"], "a\"b\\c\n\x01 \xc3\xad\xc2\xa0\xc2\x80");
  EXPECT_THAT(doc["text"].get<std::string>(), HasSubstr("DIFF src->dst"));
}

TEST(SinkRegistry, KnowsItsKindsAndValidates) {
  ASSERT_NE(FindSinkKind("log"), nullptr);
  ASSERT_NE(FindSinkKind("webhook"), nullptr);
  EXPECT_EQ(FindSinkKind("carrier-pigeon"), nullptr);
  SinkConfig c;
  c.type = "carrier-pigeon";
  EXPECT_THAT(std::string(ValidateSink(c).message()), HasSubstr("known: log, webhook"));
  c.type = "webhook";
  c.strings["url"] = "ftp://x";
  EXPECT_THAT(std::string(ValidateSink(c).message()), HasSubstr("url"));
  c.strings["url"] = "https://hooks.example/x";
  EXPECT_TRUE(ValidateSink(c).ok());
  c.lists["kinds"] = {"diff", "gossip"};
  EXPECT_THAT(std::string(ValidateSink(c).message()), HasSubstr("gossip"));
}

TEST(SinkRegistry, KindsFilterPassesOnlyTheListedKinds) {
  const std::string path = TempPath();
  SinkConfig c;
  c.type = "log";
  c.name = "log";
  c.strings["path"] = path;
  c.lists["kinds"] = {"diff", "recovered"};
  auto sink = CreateSink(c, SinkContext{"/tmp"});
  ASSERT_TRUE(sink.ok()) << sink.status();
  for (AlarmKind k : {AlarmKind::kDiff, AlarmKind::kTimeout, AlarmKind::kRecovered, AlarmKind::kGap,
                      AlarmKind::kOverflow}) {
    Alarm a;
    a.kind = k;
    (*sink)->Emit(a);
  }
  const auto lines = Lines(path);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_THAT(lines[0], HasSubstr("\"kind\":\"diff\""));
  EXPECT_THAT(lines[1], HasSubstr("\"kind\":\"recovered\""));
  std::remove(path.c_str());
}

}  // namespace
}  // namespace dcp::alarm

namespace dcp::alarm {
namespace {

TEST(AlarmSequence, NeverRepeatsAcrossRestartsAndCrashes) {
  const std::string path = TempPath() + "-seq";
  std::vector<uint64_t> seen;
  {
    auto seq = AlarmSequence::Open(path, /*block=*/10);
    ASSERT_TRUE(seq.ok()) << seq.status();
    for (int i = 0; i < 25; ++i) seen.push_back((*seq)->Next());  // crosses two blocks
    EXPECT_TRUE((*seq)->Reserve().ok());
  }  // a crash: nothing saved beyond the reservations
  {
    auto seq = AlarmSequence::Open(path, 10);
    ASSERT_TRUE(seq.ok()) << seq.status();
    for (int i = 0; i < 5; ++i) seen.push_back((*seq)->Next());
  }
  for (size_t i = 0; i < 25; ++i) EXPECT_EQ(seen[i], i + 1);
  for (size_t i = 1; i < seen.size(); ++i) EXPECT_GT(seen[i], seen[i - 1]);
  std::ofstream(path) << "garbage";
  EXPECT_EQ(AlarmSequence::Open(path, 10).status().code(), absl::StatusCode::kDataLoss);
  std::remove(path.c_str());
}

TEST(AlarmJson, IncidentKeysTieAlarmsOfOneDivergence) {
  Alarm timeout;
  timeout.kind = AlarmKind::kTimeout;
  timeout.source_tag = "src";
  timeout.target_tag = "dst";
  Alarm recovered = timeout;
  recovered.kind = AlarmKind::kRecovered;
  EXPECT_EQ(timeout.IncidentKey(), "timeout:src->dst");
  EXPECT_EQ(recovered.IncidentKey(), timeout.IncidentKey());
  Alarm diff = timeout;
  diff.kind = AlarmKind::kDiff;
  KeyDiff a, b;
  a.key = "[\"shop.orders\",\"n:1\"]";
  b.key = "[\"shop.orders\",\"n:2\"]";
  diff.keys = {a};
  diff.total_keys = 1;
  EXPECT_EQ(diff.IncidentKey(), "diff:src->dst:[\"shop.orders\",\"n:1\"]");
  diff.keys = {b, a};
  diff.total_keys = 2;
  Alarm again = diff;
  again.keys = {a, b};  // the same divergence, raised again (another window, a restart)
  EXPECT_EQ(diff.IncidentKey(), again.IncidentKey());
  again.total_keys = 3;
  EXPECT_NE(diff.IncidentKey(), again.IncidentKey());
  EXPECT_THAT(diff.ToJson(9), HasSubstr("\"incident_key\":\"diff:src->dst:2-keys-"));
}

}  // namespace
}  // namespace dcp::alarm

namespace dcp::alarm {
namespace {

// --- severity and instance ------------------------------------------------------------------

TEST(Severity, DefaultsPerKindAndOverrides) {
  EXPECT_EQ(DefaultSeverity(AlarmKind::kDiff), Severity::kCritical);
  EXPECT_EQ(DefaultSeverity(AlarmKind::kTimeout), Severity::kWarning);
  EXPECT_EQ(DefaultSeverity(AlarmKind::kGap), Severity::kWarning);
  EXPECT_EQ(DefaultSeverity(AlarmKind::kOverflow), Severity::kWarning);
  EXPECT_EQ(DefaultSeverity(AlarmKind::kRecovered), Severity::kInfo);
  SeverityTable table;
  for (AlarmKind k : kAllAlarmKinds) EXPECT_EQ(table.For(k), DefaultSeverity(k));
  table.Set(AlarmKind::kGap, Severity::kInfo);
  table.Set(AlarmKind::kDiff, Severity::kWarning);
  EXPECT_EQ(table.For(AlarmKind::kGap), Severity::kInfo);
  EXPECT_EQ(table.For(AlarmKind::kDiff), Severity::kWarning);
  EXPECT_EQ(table.For(AlarmKind::kTimeout), Severity::kWarning);
  EXPECT_LT(Severity::kInfo, Severity::kWarning);
  EXPECT_LT(Severity::kWarning, Severity::kCritical);
  for (Severity s : {Severity::kInfo, Severity::kWarning, Severity::kCritical}) {
    EXPECT_EQ(ParseSeverity(SeverityName(s)), s);
  }
  EXPECT_EQ(ParseSeverity("error"), std::nullopt);  // PagerDuty's, not dcp's
  EXPECT_EQ(ParseSeverity("Critical"), std::nullopt);
  for (AlarmKind k : kAllAlarmKinds) EXPECT_EQ(ParseAlarmKind(AlarmKindName(k)), k);
  EXPECT_EQ(ParseAlarmKind("gossip"), std::nullopt);
}

// The daemon stamps severity and instance; the document carries them (docs/alarms.md), and
// leaves them out of an alarm nobody stamped.
TEST(AlarmJson, SeverityAndInstanceAreStampedIntoTheDocument) {
  SeverityTable table;
  table.Set(AlarmKind::kTimeout, Severity::kCritical);
  MemorySink memory;
  StampingSink stamping(AlarmSettings{table, "checker-eu-1", ""}, &memory);
  Alarm a = Timeout(1);
  stamping.Emit(a);
  a.kind = AlarmKind::kRecovered;
  stamping.Emit(a);
  const std::vector<Alarm> got = memory.Take();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].severity, Severity::kCritical);
  EXPECT_EQ(got[1].severity, Severity::kInfo);
  const nlohmann::json doc = nlohmann::json::parse(got[0].ToJson(7));
  EXPECT_EQ(doc["severity"], "critical");
  EXPECT_EQ(doc["instance"], "checker-eu-1");
  EXPECT_EQ(doc["incident_key"], "timeout:src->dst");
  EXPECT_EQ(doc["sequence"], 7);
  const nlohmann::json bare = nlohmann::json::parse(Timeout(1).ToJson());
  EXPECT_FALSE(bare.contains("severity"));
  EXPECT_FALSE(bare.contains("instance"));
  EXPECT_EQ(Timeout(1).EffectiveSeverity(), Severity::kWarning);
}

// A log sink behind the registry's filters; returns the kinds written, in order.
std::vector<std::string> KindsThrough(SinkConfig c, const SeverityTable& table,
                                      const std::vector<AlarmKind>& kinds, bool stamp) {
  const std::string path = TempPath();
  c.type = "log";
  c.name = "log";
  c.strings["path"] = path;
  auto sink = CreateSink(c, SinkContext("/tmp", AlarmSettings{table, "i", ""}));
  EXPECT_TRUE(sink.ok()) << sink.status();
  if (!sink.ok()) return {};
  StampingSink stamping(AlarmSettings{table, "i", ""}, sink->get());
  for (AlarmKind k : kinds) {
    Alarm a = Timeout(0);
    a.kind = k;
    stamp ? stamping.Emit(a) : (*sink)->Emit(a);
  }
  std::vector<std::string> out;
  for (const std::string& line : Lines(path)) {
    out.push_back(nlohmann::json::parse(line)["kind"].get<std::string>());
  }
  std::remove(path.c_str());
  return out;
}

TEST(SinkRegistry, MinSeverityFilterAndRecoveredFollowsItsTimeout) {
  const std::vector<AlarmKind> all(kAllAlarmKinds.begin(), kAllAlarmKinds.end());
  using V = std::vector<std::string>;
  SinkConfig warning;
  warning.strings["min-severity"] = "warning";
  // recovered (info) passes: its timeout (warning) does.
  EXPECT_EQ(KindsThrough(warning, SeverityTable(), all, true),
            (V{"diff", "timeout", "recovered", "gap", "overflow"}));
  SinkConfig critical;
  critical.strings["min-severity"] = "critical";
  EXPECT_EQ(KindsThrough(critical, SeverityTable(), all, true), (V{"diff"}));
  // Overrides count, stamped or not (an unstamped alarm takes the context's table).
  SeverityTable table;
  table.Set(AlarmKind::kGap, Severity::kCritical);
  table.Set(AlarmKind::kTimeout, Severity::kCritical);
  for (bool stamp : {true, false}) {
    EXPECT_EQ(KindsThrough(critical, table, all, stamp), (V{"diff", "timeout", "recovered", "gap"}))
        << stamp;
  }
  SinkConfig info;
  info.strings["min-severity"] = "info";
  EXPECT_EQ(KindsThrough(info, SeverityTable(), all, true).size(), all.size());
  // kinds and min-severity together; a Recovered goes where its Timeout goes.
  SinkConfig timeouts;
  timeouts.lists["kinds"] = {"timeout"};
  EXPECT_EQ(KindsThrough(timeouts, SeverityTable(), all, true), (V{"timeout", "recovered"}));
  timeouts.strings["min-severity"] = "critical";
  EXPECT_EQ(KindsThrough(timeouts, SeverityTable(), all, true), V{});
  SinkConfig diffs;
  diffs.lists["kinds"] = {"diff"};
  diffs.strings["min-severity"] = "warning";
  EXPECT_EQ(KindsThrough(diffs, SeverityTable(), all, true), (V{"diff"}));
}

TEST(SinkRegistry, MinSeverityIsValidated) {
  SinkConfig c;
  c.type = "log";
  c.name = "log";
  c.strings["path"] = "x";
  c.strings["min-severity"] = "error";
  EXPECT_THAT(std::string(ValidateSink(c).message()),
              HasSubstr("min-severity: expected \"info\", \"warning\" or \"critical\""));
  c.strings["min-severity"] = "warning";
  EXPECT_TRUE(ValidateSink(c).ok());
}

}  // namespace
}  // namespace dcp::alarm
