#include "daemon/config.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "daemon/toml_reader.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dcp::daemon {
namespace {

using ::testing::HasSubstr;

constexpr char kMinimal[] = R"(
[[collector]]
name = "source"
dsn = "mysql://dcp:pw@127.0.0.1:3306"
server-id = 1001
  [[collector.tag]]
  name = "src"
  tables = ["shop.*"]

[[collector]]
name = "replica"
type = "mysql"
dsn = "mysql://dcp:pw@127.0.0.1:3307"
server-id = 1002
  [[collector.tag]]
  name = "dst"
  tables = ["shop.*"]

[checker]
source-tag = "src"
target-tags = ["dst"]
)";

std::string ErrorOf(const std::string& text) {
  auto c = ParseConfig(text, "t.toml");
  if (c.ok()) return "OK";
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument) << c.status();
  return std::string(c.status().message());
}

TEST(Config, ExampleFileParses) {
  setenv("DCP_SOURCE_PASSWORD", "src-secret", 1);
  setenv("DCP_REPLICA_PASSWORD", "replica-secret", 1);
  const std::string path = std::string(std::getenv("DCP_SOURCE_DIR")) + "/examples/dcp.toml";
  auto c = LoadConfig(path);
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_TRUE(c->barrier.has_value());
  EXPECT_EQ(c->barrier->options.interval, absl::Seconds(2));
  EXPECT_EQ(c->barrier->dsn.password, "src-secret");
  ASSERT_EQ(c->collectors.size(), 3u);
  ASSERT_NE(c->collectors[1].mysql(), nullptr);
  EXPECT_EQ(c->collectors[1].mysql()->dsn.port, 3307);
  EXPECT_EQ(c->collectors[1].mysql()->dsn.password, "replica-secret");
  EXPECT_NE(c->collectors[2].grpc(), nullptr);
  EXPECT_EQ(c->checker.target_tags, (std::vector<std::string>{"dst", "dst2"}));
  EXPECT_EQ(c->checker.timeout, absl::Seconds(10));
  ASSERT_EQ(c->alarm.sinks.size(), 3u);
  EXPECT_EQ(c->alarm.sinks[1].type, "webhook");
  EXPECT_EQ(c->alarm.sinks[1].String("url"), "http://127.0.0.1:9000/hook");
  EXPECT_EQ(c->alarm.sinks[2].type, "alertmanager");
  EXPECT_EQ(c->alarm.sinks[2].String("min-severity"), "warning");
  EXPECT_EQ(c->alarm.settings.instance, "checker-1");
  EXPECT_EQ(c->alarm.settings.severities.For(alarm::AlarmKind::kGap), alarm::Severity::kInfo);
  EXPECT_EQ(c->alarm.settings.status_url, "http://127.0.0.1:8080/status");
  // Secrets never show in the summary.
  EXPECT_THAT(c->ToString(), ::testing::Not(HasSubstr("secret")));
}

TEST(Config, MinimalDefaults) {
  auto c = ParseConfig(kMinimal, "t.toml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->checker.mode, checker::Mode::kState);
  EXPECT_EQ(c->checker.tolerance, 2);
  EXPECT_EQ(c->http.listen, "127.0.0.1:8080");
  EXPECT_EQ(c->state.dir, "./dcp-state");
  EXPECT_FALSE(c->barrier.has_value());
  EXPECT_THAT(ConfigWarnings(*c), ::testing::Contains(HasSubstr("no [barrier]")));
}

TEST(Config, UnknownKeyNamesFileLineAndKey) {
  std::string text = kMinimal;
  text += "mdoe = \"state\"\n";  // a typo in [checker]
  EXPECT_EQ(ErrorOf(text),
            "t.toml:22:1: checker.mdoe: unknown key (known here: source-tag, target-tags, mode, "
            "tolerance, timeout, max-buffered-changes, max-sample-keys)");
}

TEST(Config, WrongType) {
  std::string text = kMinimal;
  text += "tolerance = \"two\"\n";
  EXPECT_THAT(ErrorOf(text), HasSubstr("checker.tolerance: expected an integer, got a string"));
  EXPECT_THAT(ErrorOf(std::string(kMinimal) + "timeout = 10\n"),
              HasSubstr("checker.timeout: expected a duration from 1s to 24h"));
}

TEST(Config, TagUsedButNeverProduced) {
  std::string text = kMinimal;
  text.replace(text.find("[\"dst\"]"), 7, "[\"dst\", \"nope\"]");
  EXPECT_THAT(ErrorOf(text), HasSubstr("checker.target-tags: tag \"nope\" is used but no "
                                       "collector produces it (produced: dst, src)"));
}

TEST(Config, SourceTagAlsoTarget) {
  std::string text = kMinimal;
  text.replace(text.find("[\"dst\"]"), 7, "[\"dst\", \"src\"]");
  EXPECT_THAT(ErrorOf(text), HasSubstr("\"src\" is the source tag"));
}

TEST(Config, DuplicateServerId) {
  std::string text = kMinimal;
  text.replace(text.find("1002"), 4, "1001");
  EXPECT_THAT(ErrorOf(text),
              HasSubstr("collector[2].server-id: duplicate server id 1001 (also collector[1])"));
}

TEST(Config, UnreadableSecretFile) {
  std::string text = kMinimal;
  text.replace(text.find("dsn = \"mysql://dcp:pw@127.0.0.1:3307\""), 37,
               "dsn = \"mysql://dcp@127.0.0.1:3307\"\npassword-file = \"/nonexistent/pw\"");
  EXPECT_THAT(ErrorOf(text), HasSubstr("collector[2].password-file: cannot read secret file "
                                       "/nonexistent/pw"));
}

TEST(Config, SecretFromFileIsTrimmedAndNotLogged) {
  const std::string file = ::testing::TempDir() + "/pw";
  std::ofstream(file) << "file-secret\n";
  std::string text = kMinimal;
  text.replace(text.find("dsn = \"mysql://dcp:pw@127.0.0.1:3307\""), 37,
               "dsn = \"mysql://dcp@127.0.0.1:3307\"\npassword-file = \"" + file + "\"");
  auto c = ParseConfig(text, "t.toml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->collectors[1].mysql()->dsn.password, "file-secret");
  EXPECT_THAT(c->ToString(), ::testing::Not(HasSubstr("file-secret")));
}

TEST(Config, SyntaxErrorHasPosition) {
  EXPECT_THAT(ErrorOf("[checker\nsource-tag = 1"), ::testing::StartsWith("t.toml:1:"));
}

TEST(Config, BadValues) {
  EXPECT_THAT(ErrorOf(std::string(kMinimal) + "mode = \"fast\"\n"),
              HasSubstr("expected \"state\" or \"sequence\""));
  std::string bad_dsn = kMinimal;
  bad_dsn.replace(bad_dsn.find("mysql://dcp:pw@127.0.0.1:3306"), 29, "postgres://x");
  EXPECT_THAT(ErrorOf(bad_dsn), HasSubstr("collector[1].dsn: DSN must start with mysql://"));
  std::string dup_name = kMinimal;
  dup_name.replace(dup_name.find("\"replica\""), 9, "\"source\"");
  EXPECT_THAT(ErrorOf(dup_name), HasSubstr("duplicate collector name \"source\""));
  EXPECT_THAT(ErrorOf(std::string(kMinimal) + "[http]\nlisten = \"nowhere\"\n"),
              HasSubstr("http.listen: expected host:port"));
  std::string no_tags = kMinimal;
  no_tags += "[[collector]]\nname = \"g\"\ntype = \"grpc\"\nlisten = \"127.0.0.1:0\"\n";
  EXPECT_THAT(ErrorOf(no_tags), HasSubstr("collector[3].tags: a grpc collector needs the tags"));
}

}  // namespace
}  // namespace dcp::daemon

namespace dcp::daemon {
namespace {

// [[alarm.sink]] tables: typed against the sink kind's options (alarm/sinks.h), with
// file:line:key errors; the older [alarm] keys become sinks named "log" and "webhook".
TEST(Config, AlarmSinkTables) {
  setenv("DCP_TEST_HOOK_SECRET", "hook-secret", 1);
  std::string text = kMinimal;
  text += R"(
[alarm]
log = "alarms.jsonl"

[[alarm.sink]]
type = "webhook"
url = "https://hooks.example/services/T0/B0/XYZ"
secret-env = "DCP_TEST_HOOK_SECRET"
timeout = "2s"
kinds = ["diff", "timeout", "recovered"]

[[alarm.sink]]
type = "log"
name = "diffs-only"
path = "/tmp/diffs.jsonl"
kinds = ["diff"]
)";
  auto c = ParseConfig(text, "t.toml");
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->alarm.sinks.size(), 3u);
  EXPECT_EQ(c->alarm.sinks[0].name, "log");
  EXPECT_EQ(c->alarm.sinks[0].String("path"), "alarms.jsonl");
  const alarm::SinkConfig& hook = c->alarm.sinks[1];
  EXPECT_EQ(hook.name, "webhook");
  EXPECT_EQ(hook.String("secret"), "hook-secret");
  EXPECT_EQ(hook.Duration("timeout", absl::ZeroDuration()), absl::Seconds(2));
  EXPECT_EQ(hook.List("kinds"), (std::vector<std::string>{"diff", "timeout", "recovered"}));
  EXPECT_EQ(c->alarm.sinks[2].name, "diffs-only");
  EXPECT_THAT(c->ToString(), ::testing::Not(HasSubstr("hook-secret")));
  EXPECT_THAT(c->ToString(), ::testing::Not(HasSubstr("XYZ")));

  std::string typo = kMinimal;
  typo += "[[alarm.sink]]\ntype = \"webhook\"\nurl = \"https://h/x\"\nsecret = \"inline\"\n";
  EXPECT_THAT(ErrorOf(typo), HasSubstr("alarm.sink[1].secret: unknown key (known here: type, "
                                       "name, kinds, min-severity, url, secret-env, secret-file, "
                                       "timeout, slack-text)"));
  std::string unknown = kMinimal;
  unknown += "[[alarm.sink]]\ntype = \"pigeon\"\n";
  EXPECT_THAT(ErrorOf(unknown), HasSubstr("alarm.sink[1].type: type: unknown sink type"));
  std::string bad_url = kMinimal;
  bad_url += "[[alarm.sink]]\ntype = \"webhook\"\nurl = \"ftp://h/x\"\n";
  EXPECT_THAT(ErrorOf(bad_url), HasSubstr("alarm.sink[1].url: expected an http:// or https://"));
  std::string bad_kind = kMinimal;
  bad_kind += "[[alarm.sink]]\ntype = \"log\"\npath = \"x\"\nkinds = [\"gossip\"]\n";
  EXPECT_THAT(ErrorOf(bad_kind), HasSubstr("alarm.sink[1].kinds: unknown alarm kind \"gossip\""));
  std::string missing = kMinimal;
  missing += "[[alarm.sink]]\ntype = \"log\"\n";
  EXPECT_THAT(ErrorOf(missing), HasSubstr("alarm.sink[1].path: missing"));
  std::string twice = kMinimal;
  twice +=
      "[[alarm.sink]]\ntype = \"log\"\nname = \"a\"\npath = \"x\"\n"
      "[[alarm.sink]]\ntype = \"log\"\nname = \"a\"\npath = \"y\"\n";
  EXPECT_THAT(ErrorOf(twice), HasSubstr("duplicate sink name \"a\""));
}

}  // namespace
}  // namespace dcp::daemon

namespace dcp::daemon {
namespace {

// Hostile shapes are refused before the TOML parser sees them (a 150,000-level key once
// overflowed its stack).
TEST(Config, DeepKeysAndNestingAreRefusedBeforeParsing) {
  std::string deep_key = std::string(kMinimal) + "[x]\n";
  for (int i = 0; i < 150000; ++i) deep_key += "a.";
  deep_key += "a = 1\n";
  EXPECT_THAT(ErrorOf(deep_key), HasSubstr("a key more than 64 levels deep"));
  std::string deep_header = std::string(kMinimal) + "[";
  for (int i = 0; i < 150000; ++i) deep_header += "a.";
  deep_header += "a]\n";
  EXPECT_THAT(ErrorOf(deep_header), HasSubstr("levels deep"));
  std::string deep_array = std::string(kMinimal) + "[x]\ny = " + std::string(100000, '[') +
                           std::string(100000, ']') + "\n";
  EXPECT_THAT(ErrorOf(deep_array), HasSubstr("nested more than 32 levels deep"));
  // Dots and brackets inside strings and comments do not count.
  std::string fine = std::string(kMinimal) + "# " + std::string(500, '.') + " [[[[\n";
  EXPECT_EQ(ErrorOf(fine), "OK");
  EXPECT_THAT(ErrorOf(std::string(kMaxConfigBytes + 1, '#')), HasSubstr("larger than"));
}

TEST(Config, DurationsAndCountsHaveBounds) {
  std::string tiny = kMinimal;
  tiny += "[barrier]\ndsn = \"mysql://dcp:pw@127.0.0.1:3306\"\ninterval = \"1ns\"\n";
  EXPECT_THAT(ErrorOf(tiny), HasSubstr("barrier.interval: expected a duration from 100ms to 1h"));
  std::string huge = kMinimal;
  huge.replace(huge.find("target-tags"), 11, "timeout = \"99999999999h\"\ntarget-tags");
  EXPECT_THAT(ErrorOf(huge), HasSubstr("checker.timeout: expected a duration from 1s to 24h"));
  std::string cap = kMinimal;
  cap += "max-buffered-changes = 99999999999\n";
  EXPECT_THAT(ErrorOf(cap), HasSubstr("max-buffered-changes: expected 1000..1000000000"));
}

TEST(Config, EmptySecretsAreRefusedAsDcpRunWould) {
  const std::string file = ::testing::TempDir() + "/empty-token";
  std::ofstream(file) << "\n";
  std::string text = kMinimal;
  text +=
      "[[collector]]\nname = \"pushed\"\ntype = \"grpc\"\nlisten = \"127.0.0.1:0\"\n"
      "tags = [\"dst2\"]\ntoken-file = \"" +
      file + "\"\n";
  EXPECT_THAT(ErrorOf(text),
              HasSubstr("collector[3].token-file: secret file " + file + " is empty"));
  setenv("DCP_TEST_EMPTY", "", 1);
  std::string env = kMinimal;
  env += "[collect]\ntarget = \"h:1\"\ntoken-env = \"DCP_TEST_EMPTY\"\n";
  EXPECT_THAT(ErrorOf(env), HasSubstr("environment variable DCP_TEST_EMPTY is empty"));
}

TEST(Config, OpenGrpcListenNeedsTokenOrTlsOrAnExplicitKey) {
  std::string open = kMinimal;
  open +=
      "[[collector]]\nname = \"pushed\"\ntype = \"grpc\"\nlisten = \"0.0.0.0:7000\"\n"
      "tags = [\"dst2\"]\n";
  EXPECT_THAT(ErrorOf(open), HasSubstr("collector[3].listen: \"0.0.0.0:7000\" is reachable "
                                       "from other hosts but needs neither a token nor TLS"));
  EXPECT_EQ(ErrorOf(open + "allow-insecure = true\n"), "OK");
  setenv("DCP_TEST_TOKEN", "t0k3n", 1);
  EXPECT_EQ(ErrorOf(open + "token-env = \"DCP_TEST_TOKEN\"\n"), "OK");
  std::string loopback = kMinimal;
  loopback +=
      "[[collector]]\nname = \"pushed\"\ntype = \"grpc\"\nlisten = \"[::1]:7000\"\n"
      "tags = [\"dst2\"]\n";
  EXPECT_EQ(ErrorOf(loopback), "OK");
  std::string http = kMinimal;
  http += "[http]\nlisten = \"0.0.0.0:8080\"\n";
  auto c = ParseConfig(http, "t.toml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_THAT(ConfigWarnings(*c), ::testing::Contains(HasSubstr("readable by anyone")));
}

}  // namespace
}  // namespace dcp::daemon

namespace dcp::daemon {
namespace {

// [alarm] severity, instance, status-url: the settings every sink shares.
TEST(Config, AlarmSeverityInstanceAndStatusUrl) {
  auto defaults = ParseConfig(kMinimal, "t.toml");
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  char host[256] = {};
  ASSERT_EQ(gethostname(host, sizeof(host) - 1), 0);
  EXPECT_EQ(defaults->alarm.settings.instance, host);
  EXPECT_EQ(defaults->alarm.settings.status_url, "");
  for (alarm::AlarmKind k : alarm::kAllAlarmKinds) {
    EXPECT_EQ(defaults->alarm.settings.severities.For(k), alarm::DefaultSeverity(k));
  }
  std::string text = kMinimal;
  text += R"(
[alarm]
severity = { diff = "warning", gap = "info", timeout = "critical" }
instance = "checker-eu-1"
status-url = "http://dcp.example:8080/status"
)";
  auto c = ParseConfig(text, "t.toml");
  ASSERT_TRUE(c.ok()) << c.status();
  const alarm::AlarmSettings& s = c->alarm.settings;
  EXPECT_EQ(s.severities.For(alarm::AlarmKind::kDiff), alarm::Severity::kWarning);
  EXPECT_EQ(s.severities.For(alarm::AlarmKind::kGap), alarm::Severity::kInfo);
  EXPECT_EQ(s.severities.For(alarm::AlarmKind::kTimeout), alarm::Severity::kCritical);
  EXPECT_EQ(s.severities.For(alarm::AlarmKind::kOverflow), alarm::Severity::kWarning);
  EXPECT_EQ(s.instance, "checker-eu-1");
  EXPECT_EQ(s.status_url, "http://dcp.example:8080/status");
  EXPECT_THAT(c->ToString(),
              HasSubstr("alarm{instance=checker-eu-1 diff=warning timeout=critical"));
  // The table form works as well.
  auto table =
      ParseConfig(std::string(kMinimal) + "[alarm.severity]\nrecovered = \"warning\"\n", "t.toml");
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_EQ(table->alarm.settings.severities.For(alarm::AlarmKind::kRecovered),
            alarm::Severity::kWarning);

  const std::string alarm = std::string(kMinimal) + "[alarm]\n";
  EXPECT_THAT(ErrorOf(alarm + "severity = { gossip = \"info\" }\n"),
              HasSubstr("t.toml:23:23: alarm.severity.gossip: unknown alarm kind"));
  EXPECT_THAT(ErrorOf(alarm + "severity = { diff = \"error\" }\n"),
              HasSubstr("alarm.severity.diff: expected \"critical\", \"warning\" or \"info\""));
  EXPECT_THAT(ErrorOf(alarm + "severity = { diff = 3 }\n"),
              HasSubstr("alarm.severity.diff: expected"));
  EXPECT_THAT(ErrorOf(alarm + "severity = \"critical\"\n"), HasSubstr("alarm.severity"));
  EXPECT_THAT(ErrorOf(alarm + "instance = \"\"\n"), HasSubstr("alarm.instance: must not be empty"));
  EXPECT_THAT(ErrorOf(alarm + "status-url = \"dcp.example:8080\"\n"),
              HasSubstr("alarm.status-url: expected an http:// or https:// URL"));
  EXPECT_THAT(ErrorOf(alarm + "instnace = \"x\"\n"), HasSubstr("alarm.instnace: unknown key"));
}

// The Alertmanager, PagerDuty and Slack kinds: their options, secrets kept out of ToString,
// min-severity checked.
TEST(Config, AlertmanagerPagerDutyAndSlackSinks) {
  setenv("DCP_TEST_PD_KEY", "pd-routing-key-0123456789abcdef", 1);
  setenv("DCP_TEST_SLACK_URL", "https://hooks.slack.com/services/T0/B0/SLACKSECRET", 1);
  std::string text = kMinimal;
  text += R"(
[[alarm.sink]]
type = "alertmanager"
url = "http://127.0.0.1:9093"
kinds = ["diff", "timeout"]
min-severity = "warning"
ends-after = "2h"
timeout-ends-after = "72h"

[[alarm.sink]]
type = "pagerduty"
routing-key-env = "DCP_TEST_PD_KEY"
min-severity = "critical"

[[alarm.sink]]
type = "slack"
url-env = "DCP_TEST_SLACK_URL"

[[alarm.sink]]
type = "slack"
name = "team-channel"
url = "https://hooks.slack.com/services/T1/B1/INLINE"
)";
  auto c = ParseConfig(text, "t.toml");
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->alarm.sinks.size(), 4u);
  const alarm::SinkConfig& am = c->alarm.sinks[0];
  EXPECT_EQ(am.name, "alertmanager");
  EXPECT_EQ(am.String("min-severity"), "warning");
  EXPECT_EQ(am.Duration("ends-after", absl::ZeroDuration()), absl::Hours(2));
  EXPECT_EQ(am.Duration("timeout-ends-after", absl::ZeroDuration()), absl::Hours(72));
  EXPECT_EQ(c->alarm.sinks[1].String("routing-key"), "pd-routing-key-0123456789abcdef");
  EXPECT_EQ(c->alarm.sinks[2].String("url"), "https://hooks.slack.com/services/T0/B0/SLACKSECRET");
  EXPECT_EQ(c->alarm.sinks[3].String("url"), "https://hooks.slack.com/services/T1/B1/INLINE");
  const std::string summary = c->ToString();
  EXPECT_THAT(summary, HasSubstr("sink{pagerduty pagerduty}"));
  EXPECT_THAT(summary, ::testing::Not(HasSubstr("pd-routing-key")));
  EXPECT_THAT(summary, ::testing::Not(HasSubstr("SLACKSECRET")));
  EXPECT_THAT(summary, ::testing::Not(HasSubstr("INLINE")));

  const std::string sink = std::string(kMinimal) + "[[alarm.sink]]\n";
  EXPECT_THAT(ErrorOf(sink + "type = \"pagerduty\"\n"),
              HasSubstr("alarm.sink[1].routing-key: missing"));
  EXPECT_THAT(ErrorOf(sink + "type = \"pagerduty\"\nrouting-key = \"inline\"\n"),
              HasSubstr("alarm.sink[1].routing-key: missing: the integration's routing key "
                        "(routing-key-env or routing-key-file; a secret is never inline)"));
  EXPECT_THAT(ErrorOf(sink + "type = \"pagerduty\"\nrouting-key-env = \"DCP_TEST_PD_KEY\"\n" +
                      "key = \"x\"\n"),
              HasSubstr("alarm.sink[1].key: unknown key (known here: type, name, kinds, "
                        "min-severity, routing-key-env, routing-key-file, url, timeout)"));
  EXPECT_THAT(
      ErrorOf(sink + "type = \"slack\"\nurl = \"https://h/x\"\nurl-env = \"DCP_TEST_SLACK_URL\"\n"),
      HasSubstr("alarm.sink[1].url: give only one of url, url-env, url-file"));
  EXPECT_THAT(ErrorOf(sink + "type = \"alertmanager\"\nurl = \"h:9093\"\n"),
              HasSubstr("alarm.sink[1].url: expected an http:// or https:// URL"));
  EXPECT_THAT(ErrorOf(sink + "type = \"alertmanager\"\nurl = \"http://h\"\nends-after = \"10s\"\n"),
              HasSubstr("alarm.sink[1].ends-after"));
  EXPECT_THAT(
      ErrorOf(sink + "type = \"alertmanager\"\nurl = \"http://h\"\nends-after = \"721h\"\n"),
      HasSubstr("alarm.sink[1].ends-after"));
  EXPECT_THAT(ErrorOf(sink + "type = \"alertmanager\"\nurl = \"http://h\"\ntimeout = \"1h\"\n"),
              HasSubstr("alarm.sink[1].timeout"));
  EXPECT_THAT(
      ErrorOf(sink + "type = \"log\"\npath = \"x\"\nmin-severity = \"error\"\n"),
      HasSubstr("alarm.sink[1].min-severity: expected \"info\", \"warning\" or \"critical\""));
}

}  // namespace
}  // namespace dcp::daemon
