#include "daemon/config.h"

#include <cstdlib>
#include <fstream>

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
  EXPECT_EQ(c->barrier->interval, absl::Seconds(2));
  EXPECT_EQ(c->barrier->dsn.password, "src-secret");
  ASSERT_EQ(c->collectors.size(), 3u);
  EXPECT_EQ(c->collectors[1].dsn.port, 3307);
  EXPECT_EQ(c->collectors[1].dsn.password, "replica-secret");
  EXPECT_EQ(c->collectors[2].type, CollectorConfig::Type::kGrpc);
  EXPECT_EQ(c->checker.target_tags, (std::vector<std::string>{"dst", "dst2"}));
  EXPECT_EQ(c->checker.timeout, absl::Seconds(10));
  EXPECT_EQ(c->alarm.webhook, "http://127.0.0.1:9000/hook");
  // Secrets never show in the summary.
  EXPECT_THAT(c->ToString(), ::testing::Not(HasSubstr("secret")));
}

TEST(Config, MinimalDefaults) {
  auto c = ParseConfig(kMinimal, "t.toml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->checker.mode, CheckerConfig::Mode::kState);
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
              HasSubstr("checker.timeout: expected a positive duration string"));
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
  EXPECT_EQ(c->collectors[1].dsn.password, "file-secret");
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
