#include "util/json.h"

#include <cstdio>
#include <fstream>
#include <random>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "util/log.h"

namespace dcp::json {
namespace {

TEST(Json, EscapesQuotesBackslashesAndControls) {
  EXPECT_EQ(Quote("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(Quote(std::string("\n\r\t\b\f\x01\x1f", 7)), R"("\n\r\t\b\f\u0001\u001f")");
  EXPECT_EQ(Quote(std::string("\0", 1)), R"("\u0000")");
  EXPECT_EQ(Quote("\x7f"), "\"\x7f\"");  // DEL is legal in JSON strings
  EXPECT_EQ(Quote(""), "\"\"");
}

TEST(Json, CopiesUtf8AndReadsOtherBytesAsLatin1) {
  EXPECT_EQ(Quote("h\xc3\xa9 \xf0\x9f\x98\x80"), "\"h\xc3\xa9 \xf0\x9f\x98\x80\"");
  EXPECT_EQ(Quote("\xff"), "\"\xc3\xbf\"");              // U+00FF
  EXPECT_EQ(Quote("\xc0\xaf"), "\"\xc3\x80\xc2\xaf\"");  // overlong '/': two Latin-1 chars
  EXPECT_EQ(Quote("\xed\xa0\x80"), "\"\xc3\xad\xc2\xa0\xc2\x80\"");  // a surrogate
  EXPECT_EQ(Quote("\xe2\x82"), "\"\xc3\xa2\xc2\x82\"");              // cut short
}

TEST(Json, IsValidUtf8) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain ascii"));
  EXPECT_TRUE(IsValidUtf8("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf"));
  EXPECT_FALSE(IsValidUtf8("\xc3"));
  EXPECT_FALSE(IsValidUtf8("\xc1\xbf"));          // overlong
  EXPECT_FALSE(IsValidUtf8("\xe0\x80\xaf"));      // overlong
  EXPECT_FALSE(IsValidUtf8("\xed\xbf\xbf"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xf5\x80\x80\x80"));
  EXPECT_FALSE(IsValidUtf8("a\x80"));
}

TEST(Json, StrictFormRefusesNonUtf8AndLeavesTheOutputAlone) {
  std::string out = "x";
  EXPECT_TRUE(AppendStringIfUtf8("caf\xc3\xa9\n", &out));
  EXPECT_EQ(out, "x\"caf\xc3\xa9\\n\"");
  out = "x";
  EXPECT_FALSE(AppendStringIfUtf8("long enough prefix \xff", &out));
  EXPECT_EQ(out, "x");
}

// Random bytes: the output always parses as JSON; valid UTF-8 round-trips exactly; the
// strict form succeeds exactly when the input is valid UTF-8.
TEST(Json, RandomBytesAlwaysGiveValidJson) {
  std::mt19937 rng(7);
  for (int i = 0; i < 20000; ++i) {
    std::string s(rng() % 40, '\0');
    const bool ascii_heavy = i % 2 == 0;
    for (char& c : s) c = static_cast<char>(ascii_heavy && rng() % 4 ? 0x20 + rng() % 0x60 : rng());
    const std::string quoted = Quote(s);
    nlohmann::json parsed;
    ASSERT_NO_THROW(parsed = nlohmann::json::parse(quoted)) << quoted;
    std::string strict;
    const bool valid = IsValidUtf8(s);
    EXPECT_EQ(AppendStringIfUtf8(s, &strict), valid);
    if (valid) {
      EXPECT_EQ(parsed.get<std::string>(), s);
      EXPECT_EQ(strict, quoted);
    }
  }
}

}  // namespace
}  // namespace dcp::json

namespace dcp {
namespace {

// --log-format=json: each message, multi-line or not, is one JSON object on one line.
TEST(LogJson, EveryLineIsOneObject) {
  const std::string path = ::testing::TempDir() + "/dcp-log-json-test.log";
  std::remove(path.c_str());
  ASSERT_TRUE(SetLogFile(path.c_str()));
  SetLogFormat(LogFormat::kJson);
  SetLogProgram("tester");
  DCP_LOG(INFO) << "first \"quoted\"\nsecond line\tand a tab";
  DCP_LOG(WARNING) << "bytes \xff\x01";
  LogUser(LogLevel::kError, "a user message");
  SetLogFormat(LogFormat::kText);
  DCP_LOG(INFO) << "text again";
  ASSERT_TRUE(SetLogFile(nullptr));
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 4u);
  for (int i = 0; i < 3; ++i) {
    const nlohmann::json j = nlohmann::json::parse(lines[i]);
    EXPECT_EQ(j["program"], "tester");
    EXPECT_TRUE(j.contains("ts"));
  }
  const nlohmann::json first = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(first["level"], "info");
  EXPECT_EQ(first["msg"], "first \"quoted\"\nsecond line\tand a tab");
  EXPECT_THAT(first["src"].get<std::string>(), ::testing::StartsWith("json_test.cc:"));
  EXPECT_EQ(nlohmann::json::parse(lines[1])["level"], "warning");
  EXPECT_EQ(nlohmann::json::parse(lines[2])["msg"], "a user message");
  EXPECT_EQ(nlohmann::json::parse(lines[2])["level"], "error");
  EXPECT_THAT(lines[3], ::testing::HasSubstr(" I json_test.cc:"));
  std::remove(path.c_str());
}

}  // namespace
}  // namespace dcp
