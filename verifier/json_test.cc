#include "verifier/json.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace dcp::verifier {
namespace {

TEST(Json, ValuesAsStringsOrHex) {
  EXPECT_EQ(ValueJson("a\"b\\c\n\t"), "\"a\\\"b\\\\c\\n\\t\"");
  EXPECT_EQ(ValueJson("h\xc3\xa9"), "\"h\xc3\xa9\"");
  EXPECT_EQ(ValueJson(std::string("\x00\xff", 2)), "{\"hex\":\"00ff\"}");
  EXPECT_EQ(ValueJson("a\x7f"), "{\"hex\":\"617f\"}");           // DEL is not printable
  EXPECT_EQ(ValueJson("\xc0\xaf"), "{\"hex\":\"c0af\"}");        // overlong '/'
  EXPECT_EQ(ValueJson("\xed\xa0\x80"), "{\"hex\":\"eda080\"}");  // a surrogate
  EXPECT_EQ(ValueOrNullJson(std::nullopt), "null");
  EXPECT_EQ(ValueOrNullJson(std::string("x")), "\"x\"");
  EXPECT_EQ(DisplayValue(std::nullopt), "NULL");
  EXPECT_EQ(DisplayValue(std::string("\x01", 1)), "0x01");
  EXPECT_EQ(DisplayValue(std::string("")), "");
}

TEST(Json, ValueRoundTrip) {
  std::string every_byte;
  for (int b = 0; b < 256; ++b) every_byte.push_back(static_cast<char>(b));
  for (const std::string& v :
       std::vector<std::string>{"", "plain", "x'); DROP TABLE t; --", "\xf0\x9f\x98\x80 \\ \" \r\n",
                                every_byte, std::string(3, '\0')}) {
    auto doc = ParseJson(ValueJson(v));
    ASSERT_TRUE(doc.ok()) << doc.status();
    auto back = ValueFromJson(*doc);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(*back, v);
  }
}

TEST(Json, ValueFromJsonRejects) {
  EXPECT_EQ(*ValueFromJson(nlohmann::json::parse("42")), "42");
  EXPECT_EQ(*ValueFromJson(nlohmann::json::parse("-7")), "-7");
  EXPECT_EQ(*ValueFromJson(nlohmann::json::parse("{\"hex\":\"00FF\"}")), std::string("\0\xff", 2));
  for (const char* bad : {"1.50", "1e3", "true", "null", "[\"a\"]", "{\"hex\":\"0\"}",
                          "{\"hex\":\"zz\"}", "{\"hex\":1}", "{\"hex\":\"00\",\"x\":1}", "{}"}) {
    EXPECT_TRUE(absl::IsInvalidArgument(ValueFromJson(nlohmann::json::parse(bad)).status())) << bad;
  }
}

TEST(Json, ParseErrorsSayWhere) {
  auto ok = ParseJson(R"({"a": [1, -2.5e3, "x\u00e9\ud83d\ude00\n", true, null], "b": {}})");
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ((*ok)["a"][2], "x\xc3\xa9\xf0\x9f\x98\x80\n");

  auto bad = ParseJson("{\"a\":\n  tru}");
  EXPECT_TRUE(absl::IsInvalidArgument(bad.status())) << bad.status();
  EXPECT_EQ(bad.status().message(),
            "line 2, column 6: syntax error while parsing value - invalid literal");
  bad = ParseJson("[1,]", /*first_line=*/7);
  EXPECT_EQ(bad.status().message(),
            "line 7, column 4: syntax error while parsing value - unexpected ']'; expected '[', "
            "'{', or a literal");
  for (const char* s : {"", "  \n", "[1,]", "{\"a\" 1}", "[1] x", "\"\\u12\"", "{}\n{}"}) {
    EXPECT_TRUE(absl::IsInvalidArgument(ParseJson(s).status())) << s;
  }
  // The text ends inside the document, or is not UTF-8: corrupt rather than wrong.
  for (const char* s :
       {"{", "\"abc", "nul", "[1, 2\n", "{\"tables\":[{\"source_table\":\"a.b\"", "\"a\xff\""}) {
    EXPECT_TRUE(absl::IsDataLoss(ParseJson(s).status())) << s << ": " << ParseJson(s).status();
  }
}

TEST(Json, DeepNestingNeitherCrashesNorFails) {
  const size_t depth = 100000;
  auto deep = ParseJson(std::string(depth, '[') + std::string(depth, ']'));
  EXPECT_TRUE(deep.ok()) << deep.status();
  EXPECT_TRUE(absl::IsDataLoss(ParseJson(std::string(depth, '[')).status()));
}

}  // namespace
}  // namespace dcp::verifier
