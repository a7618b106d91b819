#include "util/cli.h"

#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "util/log.h"
#include "util/url.h"

namespace dcp::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// A tool with one subcommand, as the real ones are built.
struct Tool {
  CommonFlags common;
  std::string target;
  std::string chunk_time;
  std::unique_ptr<CLI::App> app;
  CLI::App* data = nullptr;

  Tool() {
    app = NewApp("tool", "a test tool", &common);
    data = AddCommand(*app, "data", "compare data", &common);
    data->add_option("--target", target, "the target")->required();
    data->add_option("--chunk-time", chunk_time, "time per chunk");
    AddCommand(*app, "schema", "compare schemas", &common);
  }

  struct Result {
    std::optional<int> code;
    std::string out, err;
  };
  Result Run(const std::vector<std::string>& args) {
    std::ostringstream out, err;
    Result r;
    r.code = Parse(*app, args, common, out, err);
    r.out = out.str();
    r.err = err.str();
    SetLogFormat(LogFormat::kText);
    return r;
  }
};

TEST(Cli, HelpOnEveryCommandExitsZeroWithUsage) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"--help"}, {"-h"}, {"data", "--help"}, {"schema", "-h"}}) {
    Tool t;
    Tool::Result r = t.Run(args);
    ASSERT_TRUE(r.code.has_value());
    EXPECT_EQ(*r.code, 0);
    EXPECT_THAT(r.out, HasSubstr("Usage:"));
    EXPECT_EQ(r.err, "");
  }
  Tool t;
  EXPECT_THAT(t.Run({"data", "--help"}).out, HasSubstr("--chunk-time"));
}

TEST(Cli, UnknownFlagExitsTwoWithSuggestion) {
  Tool t;
  Tool::Result r = t.Run({"data", "--target", "x", "--chunk-tim", "1s"});
  ASSERT_TRUE(r.code.has_value());
  EXPECT_EQ(*r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("tool data: unknown option '--chunk-tim'; did you mean '--chunk-time'?"));
}

TEST(Cli, UnknownCommandGetsSuggestion) {
  Tool t;
  Tool::Result r = t.Run({"dat", "--target", "x"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("unknown command 'dat'; did you mean 'data'?"));
}

TEST(Cli, NothingCloseGetsNoSuggestion) {
  Tool t;
  Tool::Result r = t.Run({"data", "--target", "x", "--zzzzzzzz"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("unknown option '--zzzzzzzz'"));
  EXPECT_THAT(r.err, Not(HasSubstr("did you mean")));
}

TEST(Cli, MissingRequiredIsUsageError) {
  Tool t;
  EXPECT_EQ(t.Run({"data"}).code, 2);
}

TEST(Cli, ParsesAndGoesOn) {
  Tool t;
  Tool::Result r = t.Run({"data", "--target", "x", "--chunk-time=2s", "--log-level", "debug"});
  EXPECT_FALSE(r.code.has_value()) << r.err;
  EXPECT_EQ(t.target, "x");
  EXPECT_EQ(t.chunk_time, "2s");
  EXPECT_EQ(MinLogLevel(), LogLevel::kDebug);
  SetMinLogLevel(LogLevel::kInfo);
}

TEST(Cli, BadLogLevelIsUsageError) {
  Tool t;
  Tool::Result r = t.Run({"data", "--target", "x", "--log-level", "loud"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("--log-level must be"));
}

TEST(Cli, VersionHasRevision) {
  Tool t;
  Tool::Result r = t.Run({"--version"});
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("tool "));
  EXPECT_THAT(r.out, HasSubstr("(revision "));
}

TEST(Cli, UsageErrorIsJsonUnderJsonFormat) {
  Tool t;
  Tool::Result r = t.Run({"data", "--log-format=json", "--target", "x", "--bogus"});
  EXPECT_EQ(r.code, 2);
  const nlohmann::json j = nlohmann::json::parse(r.err);
  EXPECT_EQ(j["level"], "error");
  EXPECT_EQ(j["program"], "tool data");
  EXPECT_THAT(j["msg"].get<std::string>(), HasSubstr("--bogus"));
}

TEST(Cli, ErrorsNeverEchoAPassword) {
  Tool t;
  Tool::Result r = t.Run({"data", "--target", "x", "mysql://u:hunter2@h:3306"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, Not(HasSubstr("hunter2")));
  EXPECT_THAT(r.err, HasSubstr("mysql://u:***@h:3306"));
}

TEST(Cli, Suggest) {
  EXPECT_EQ(Suggest("--chunk-tim", {"--chunk-time", "--columns"}), "--chunk-time");
  EXPECT_EQ(Suggest("--tabels", {"--tables", "--target"}), "--tables");
  EXPECT_EQ(Suggest("--paral", {"--parallel", "--progress"}), "--parallel");
  EXPECT_EQ(Suggest("--xyz", {"--parallel", "--progress"}), "");
}

TEST(Cli, CommandPaths) {
  Tool t;
  EXPECT_EQ(CommandPaths(*t.app),
            (std::vector<std::vector<std::string>>{{}, {"data"}, {"schema"}}));
}

TEST(Cli, BashCompletionListsCommandsAndFlags) {
  Tool t;
  const std::string script = BashCompletion(*t.app);
  EXPECT_THAT(script, HasSubstr("complete -F _dcp_complete_tool tool"));
  EXPECT_THAT(script, HasSubstr("commands=\"data schema\""));
  EXPECT_THAT(script, HasSubstr("--chunk-time"));
}

TEST(Cli, ParseDuration) {
  EXPECT_EQ(*ParseDuration("--max-lag", "2s"), absl::Seconds(2));
  EXPECT_EQ(*ParseDuration("--max-lag", "1.5"), absl::Milliseconds(1500));
  EXPECT_EQ(*ParseDuration("--max-lag", "1m30s"), absl::Seconds(90));
  EXPECT_FALSE(ParseDuration("--max-lag", "soon").ok());
  EXPECT_FALSE(ParseDuration("--max-lag", "-1s").ok());
}

TEST(Cli, ScrubPasswordsInArgv) {
  std::string a0 = "verifier", a1 = "--source", a2 = "mysql://u:s3cret@h:1/db?x=1",
              a3 = "mysql://u@h";
  char* argv[] = {a0.data(), a1.data(), a2.data(), a3.data()};
  EXPECT_EQ(ScrubPasswordsInArgv(4, argv), 1);
  EXPECT_EQ(std::string(argv[2]), "mysql://u:xxxxxx@h:1/db?x=1");
  EXPECT_EQ(std::string(argv[3]), "mysql://u@h");
}

TEST(Url, RedactPasswords) {
  EXPECT_EQ(RedactUrlPasswords("a mysql://u:p@ss@h:1/x?y and http://v:w@z"),
            "a mysql://u:***@h:1/x?y and http://v:***@z");
  EXPECT_EQ(RedactUrlPasswords("mysql://u@h no password"), "mysql://u@h no password");
}

}  // namespace
}  // namespace dcp::cli
