#include "mysql/binlog/tool.h"

#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dcp::mysql::binlog {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kStdData[] = "/usr/share/mysql/mysql-test/std_data/";

absl::StatusOr<ToolOptions> Parse(std::vector<std::string> args) {
  args.insert(args.begin(), "binlog");
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  return ParseToolArgs(static_cast<int>(argv.size()), argv.data());
}

// Runs the tool into a temp file and returns the output.
std::string RunBinlog(std::vector<std::string> args, absl::Status* status = nullptr) {
  auto options = Parse(std::move(args));
  EXPECT_TRUE(options.ok()) << options.status();
  std::unique_ptr<FILE, int (*)(FILE*)> f(tmpfile(), fclose);
  const absl::Status s = RunTool(*options, f.get());
  if (status != nullptr) {
    *status = s;
  } else {
    EXPECT_TRUE(s.ok()) << s;
  }
  std::fflush(f.get());
  std::rewind(f.get());
  std::string out;
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), f.get())) > 0) out.append(buf, n);
  return out;
}

std::vector<std::string> Lines(const std::string& s) {
  return absl::StrSplit(s, '\n', absl::SkipEmpty());
}

TEST(ToolArgs, Errors) {
  EXPECT_EQ(Parse({}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Parse({"--file"}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Parse({"--file", "a", "--start-position", "x"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Parse({"--file", "a", "--bogus"}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Parse({"--file", "a", "--dsn", "mysql://x@y"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  auto ok = Parse({"--file", "a", "b", "--tables", "db.*,x.y", "--stop-position", "100"});
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->files, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(ok->table_globs, (std::vector<std::string>{"db.*", "x.y"}));
  EXPECT_EQ(ok->stop_position, 100u);
}

TEST(Tool, JsonLinesOfAMySql80Binlog) {
  const std::string file = absl::StrCat(kStdData, "mdev35643_mysql_80_binlog.000001");
  const std::vector<std::string> lines = Lines(RunBinlog({"--file", file}));
  ASSERT_EQ(lines.size(), 106u);
  EXPECT_EQ(lines[0],
            "{\"pos\":\"mdev35643_mysql_80_binlog.000001:627\",\"gtid\":null,\"ts\":1734117024,"
            "\"op\":\"insert\",\"db\":\"test\",\"table\":\"t1\",\"after\":{\"@1\":1,\"@2\":0,"
            "\"@3\":\"\"}}");
  EXPECT_THAT(lines[105], HasSubstr("\"op\":\"update\",\"db\":\"test\",\"table\":\"t2\""));
  // --tables filters by db.table glob.
  EXPECT_EQ(Lines(RunBinlog({"--file", file, "--tables", "test.t2"})).size(), 1u);
  EXPECT_EQ(Lines(RunBinlog({"--file", file, "--tables", "*.t?"})).size(), 106u);
  EXPECT_EQ(Lines(RunBinlog({"--file", file, "--tables", "other.*"})).size(), 0u);
  // --stats.
  EXPECT_EQ(RunBinlog({"--file", file, "--stats"}),
            "{\"db\":\"test\",\"table\":\"t1\",\"row_events\":105,\"insert\":105,\"update\":0,"
            "\"delete\":0}\n"
            "{\"db\":\"test\",\"table\":\"t2\",\"row_events\":1,\"insert\":0,\"update\":1,"
            "\"delete\":0}\n");
  // --start-position/--stop-position: only the first insert (event at 627, next GTID at 700).
  const std::vector<std::string> window =
      Lines(RunBinlog({"--file", file, "--start-position", "572", "--stop-position", "913"}));
  ASSERT_EQ(window.size(), 1u);
  EXPECT_THAT(window[0], StartsWith("{\"pos\":\"mdev35643_mysql_80_binlog.000001:627\""));
}

TEST(Tool, EveryLineIsJson) {
  // Checked by an independent parser: Python's json module.
  const std::string file = absl::StrCat(kStdData, "mdev6020-mysql-bin.000001");
  const std::string out = RunBinlog({"--file", file});
  const std::string result = absl::StrCat(::testing::TempDir(), "/dcp-binlog-json-", getpid());
  std::unique_ptr<FILE, int (*)(FILE*)> py(
      popen(absl::StrCat("/usr/bin/python3 -c 'import json,sys\n"
                         "n=0\n"
                         "for l in sys.stdin:\n"
                         "  d=json.loads(l); n+=1\n"
                         "  assert d[\"op\"] in (\"insert\",\"update\",\"delete\")\n"
                         "print(n)' > ",
                         result)
                .c_str(),
            "w"),
      pclose);
  ASSERT_NE(py, nullptr);
  fwrite(out.data(), 1, out.size(), py.get());
  ASSERT_EQ(pclose(py.release()), 0);
  FILE* r = fopen(result.c_str(), "r");
  ASSERT_NE(r, nullptr);
  char buf[32] = {};
  ASSERT_NE(fgets(buf, sizeof(buf), r), nullptr);
  fclose(r);
  std::remove(result.c_str());
  EXPECT_EQ(std::stoul(buf), Lines(out).size());
  EXPECT_GT(Lines(out).size(), 3000u);
}

TEST(Tool, ErrorsCarryOffsets) {
  absl::Status s;
  RunBinlog({"--file", absl::StrCat(kStdData, "corrupt-relay-bin.000624")}, &s);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(s.message()), HasSubstr("offset 91204"));
}

}  // namespace
}  // namespace dcp::mysql::binlog
