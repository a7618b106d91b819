#include "mysql/binlog/json_binary.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dcp::mysql::binlog {
namespace {

std::string Quoted(absl::string_view s) {
  std::string out = "x";
  const bool ok = AppendJsonStringIfUtf8(s, &out);
  EXPECT_TRUE(ok) << s;
  std::string reference = "x";
  AppendJsonString(s, &reference);
  EXPECT_EQ(out, reference);
  return out.substr(1);
}

TEST(JsonString, EscapesAcrossWordBoundaries) {
  EXPECT_EQ(Quoted(""), "\"\"");
  EXPECT_EQ(Quoted("abcdefgh"), "\"abcdefgh\"");
  EXPECT_EQ(Quoted("abcdefg\"ijklmnop\\q"), "\"abcdefg\\\"ijklmnop\\\\q\"");
  EXPECT_EQ(Quoted(std::string("1234567\x01" "89\n\t\r", 13)), "\"1234567\\u000189\\n\\t\\r\"");
  EXPECT_EQ(Quoted("κόσμε 😀 日本語 padding-to-cross-words"),
            "\"κόσμε 😀 日本語 padding-to-cross-words\"");
  EXPECT_EQ(Quoted(std::string("\0", 1)), "\"\\u0000\"");
}

TEST(JsonString, RejectsInvalidUtf8WithoutOutput) {
  for (const std::string& bad :
       {std::string("\xff"), std::string("abcdefgh\x80"), std::string("\xc3"),
        std::string("\xc0\xaf"),         // overlong
        std::string("\xed\xa0\x80"),     // surrogate
        std::string("\xf4\x90\x80\x80"), // beyond U+10FFFF
        std::string("ok \xe2\x82 bad")}) {
    std::string out = "keep";
    EXPECT_FALSE(AppendJsonStringIfUtf8(bad, &out));
    EXPECT_EQ(out, "keep");
    EXPECT_FALSE(IsValidUtf8(bad));
  }
}

TEST(BinaryJson, EmptyIsNullAndGarbageIsDataLoss) {
  std::string out;
  ASSERT_TRUE(AppendJsonFromBinary("", &out).ok());
  EXPECT_EQ(out, "null");
  out.clear();
  EXPECT_EQ(AppendJsonFromBinary(std::string("\x0e", 1), &out).code(),
            absl::StatusCode::kDataLoss);  // unknown type
  // A small object claiming 5 elements in 4 bytes.
  EXPECT_EQ(AppendJsonFromBinary(std::string("\x00\x05\x00\x04\x00", 5), &out).code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(AppendJsonDiff(std::string("\x07", 1), &out).code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace dcp::mysql::binlog
