#include "mysql/binlog/json_binary.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dcp::mysql::binlog {
namespace {

// Strings, object keys and diff paths are escaped by util/json.h: control characters in
// their short forms where JSON has one, DEL as it is, bytes that are not UTF-8 as their
// Latin-1 characters.
TEST(BinaryJson, StringsKeysAndPathsUseTheProjectEscaper) {
  std::string out;
  // A string value: type 0x0c, one-byte length, the bytes.
  ASSERT_TRUE(AppendJsonFromBinary(std::string("\x0c\x06\"\b\f\x01\x7f\xff", 8), &out).ok());
  EXPECT_EQ(out, "\"\\\"\\b\\f\\u0001\x7f\xc3\xbf\"");
  // A small object {"\t": true}: count 1, size 12, key entry (offset 11, length 1), value
  // entry (literal true inlined), then the key.
  out.clear();
  ASSERT_TRUE(AppendJsonFromBinary(std::string("\x00\x01\x00\x0c\x00\x0b\x00\x01\x00"
                                               "\x04\x01\x00\t",
                                               13),
                                   &out)
                  .ok());
  EXPECT_EQ(out, "{\"\\t\": true}");
  // A remove diff of the path "$\n".
  out.clear();
  ASSERT_TRUE(AppendJsonDiff(std::string("\x02\x02$\n", 4), &out).ok());
  EXPECT_EQ(out, "{\"json_diff\":[{\"op\":\"remove\",\"path\":\"$\\n\"}]}");
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
