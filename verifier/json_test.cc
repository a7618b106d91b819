#include "verifier/json.h"

#include "gtest/gtest.h"

namespace dcp::verifier {
namespace {

TEST(Json, Strings) {
  EXPECT_EQ(JsonString("a\"b\\c\n"), "\"a\\\"b\\\\c\\n\"");
  EXPECT_EQ(JsonString("h\xc3\xa9"), "\"h\xc3\xa9\"");
  EXPECT_EQ(JsonString(std::string("\x00\xff", 2)), "{\"hex\":\"00ff\"}");
  EXPECT_EQ(JsonValue(std::nullopt), "null");
  EXPECT_EQ(DisplayValue(std::nullopt), "NULL");
  EXPECT_EQ(DisplayValue(std::string("\x01", 1)), "0x01");
  EXPECT_EQ(DisplayValue(std::string("")), "");
}

}  // namespace
}  // namespace dcp::verifier
