#include "collector/encoding.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/json.h"

namespace dcp::collector::encoding {
namespace {

TEST(Encoding, NumbersHaveOneSpellingAcrossTypes) {
  EXPECT_EQ(Integer(42), "n:42");
  EXPECT_EQ(Unsigned(18446744073709551615u), "n:18446744073709551615");
  EXPECT_EQ(Integer(-9223372036854775807 - 1), "n:-9223372036854775808");
  EXPECT_EQ(*Decimal("42"), Integer(42));          // INT vs DECIMAL(10,0)
  EXPECT_EQ(*Decimal("42.000"), Integer(42));      // DECIMAL scale
  EXPECT_EQ(*Decimal("-001.500"), "n:-1.5");
  EXPECT_EQ(*Decimal("-0.00"), "n:0");
  EXPECT_EQ(*Decimal(".5"), "n:0.5");
  EXPECT_EQ(*Decimal("12345678901234567890123456789.123456789"),
            "n:12345678901234567890123456789.123456789");
  EXPECT_FALSE(Decimal("1e5").ok());
  EXPECT_FALSE(Decimal("").ok());
  EXPECT_FALSE(Decimal("-").ok());
  EXPECT_FALSE(Decimal("1.2.3").ok());
}

TEST(Encoding, FloatsUseShortestRoundTripText) {
  EXPECT_EQ(Float(1.1f), "n:1.1");
  EXPECT_EQ(Double(1.1), "n:1.1");  // FLOAT vs DOUBLE holding 1.1
  EXPECT_EQ(Double(1.0), Integer(1));
  EXPECT_EQ(Double(-0.0), "n:0");
  EXPECT_EQ(Double(1e20), "n:100000000000000000000");
  EXPECT_EQ(Double(0.000123), "n:0.000123");
  EXPECT_NE(Double(0.1), Double(0.10000000000000002));  // a real difference stays one
  EXPECT_EQ(Float(3.4028235e38f), "n:340282350000000000000000000000000000000");
}

TEST(Encoding, TextCharPaddingAndBinary) {
  EXPECT_EQ(Char("ab  "), Text("ab"));
  EXPECT_NE(Text("ab  "), Text("ab"));  // VARCHAR keeps trailing spaces
  EXPECT_NE(Text(""), Binary(""));
  EXPECT_EQ(Binary(std::string("\x00\xff", 2)), "b:AP8=");
}

TEST(Encoding, Temporals) {
  EXPECT_EQ(*Date("2024-02-29"), "t:2024-02-29");
  EXPECT_EQ(*Date("0000-00-00"), "t:0000-00-00");
  EXPECT_FALSE(Date("2024-2-29").ok());
  EXPECT_EQ(*DateTime("2024-01-02 03:04:05.500000"), "t:2024-01-02 03:04:05.5");
  EXPECT_EQ(*DateTime("2024-01-02T03:04:05.5"), "t:2024-01-02 03:04:05.5");  // DATETIME(1)
  EXPECT_EQ(*DateTime("2024-01-02 03:04:05.000"), "t:2024-01-02 03:04:05");
  EXPECT_NE(*DateTime("2024-01-02 03:04:05.000001"), *DateTime("2024-01-02 03:04:05"));
  EXPECT_FALSE(DateTime("2024-01-02").ok());
  EXPECT_FALSE(DateTime("2024-01-02 03:04:05.1234567").ok());
  EXPECT_EQ(*Time("-838:59:59.000000"), "t:-838:59:59");
  EXPECT_EQ(*Time("001:02:03"), "t:01:02:03");
  EXPECT_EQ(*Time("-00:00:00.0"), "t:00:00:00");
  EXPECT_EQ(*Time("-00:00:00.1"), "t:-00:00:00.1");
  EXPECT_FALSE(Time("1:2:3").ok());
}

TEST(Encoding, JsonKeyOrderAndSpacingDoNotMatter) {
  EXPECT_EQ(*Json(R"({"b": [1, 2.0, "x"], "a": {"d": null, "c": true}})"),
            R"(j:{"a":{"c":true,"d":null},"b":[1,2,"x"]})");
  EXPECT_EQ(*Json(R"({"a":1,"b":2})"), *Json(R"({ "b" : 2 , "a" : 1 })"));
  EXPECT_NE(*Json(R"({"a":1})"), *Json(R"({"a":"1"})"));
  EXPECT_EQ(*Json("\"caf\\u00e9\""), "j:\"caf\xc3\xa9\"");
  EXPECT_FALSE(Json("{bad").ok());
}

TEST(Encoding, ContentIsOrderIndependentAndCaseInsensitive) {
  const std::string a = Content({{"id", Integer(1)}, {"Name", Text("x")}, {"note", std::nullopt}});
  const std::string b = Content({{"note", std::nullopt}, {"name", Text("x")}, {"ID", Integer(1)}});
  EXPECT_EQ(a, b);
  EXPECT_EQ(a, R"({"id":"n:1","name":"s:x","note":null})");
  // NULL differs from the empty string.
  EXPECT_NE(Content({{"note", std::nullopt}}), Content({{"note", Text("")}}));
  EXPECT_NE(Checksum(a), Checksum(Content({{"id", Integer(1)}, {"name", Text("y")}})));
}

TEST(Encoding, KeyIncludesTableAndValuesInOrder) {
  EXPECT_EQ(Key("shop.orders", {Integer(7), Text("a\"b")}), R"(["shop.orders","n:7","s:a\"b"])");
  EXPECT_NE(Key("shop.orders", {Integer(7)}), Key("shop.items", {Integer(7)}));
  EXPECT_NE(Key("t.t", {Integer(1), Integer(2)}), Key("t.t", {Integer(2), Integer(1)}));
}

TEST(Encoding, ChecksumIsXxh3With32HexDigits) {
  const std::string c = Checksum("");
  EXPECT_EQ(c.size(), 32u);
  EXPECT_EQ(c.find_first_not_of("0123456789abcdef"), std::string::npos);
  // XXH3-128 of the empty input: 99aa06d3014798d86001c324468d497f (xxhsum -H2 /dev/null).
  EXPECT_EQ(c, "99aa06d3014798d86001c324468d497f");
  EXPECT_EQ(Checksum("abc"), Checksum("abc"));
}

TEST(Encoding, JsonStringsEscapeAndRepairEncoding) {
  std::string out;
  json::AppendString(std::string("a\"\\\n\x01", 5), &out);
  EXPECT_EQ(out, R"("a\"\\\n\u0001")");
  out.clear();
  json::AppendString("\xf0\x9f\x98\x80", &out);  // 4-byte UTF-8 kept
  EXPECT_EQ(out, "\"\xf0\x9f\x98\x80\"");
  out.clear();
  json::AppendString("caf\xe9", &out);  // latin1 e-acute read as U+00E9
  EXPECT_EQ(out, "\"caf\xc3\xa9\"");
  EXPECT_EQ(Content({{"c", Text("caf\xe9")}}), Content({{"c", Text("caf\xc3\xa9")}}));
}

}  // namespace
}  // namespace dcp::collector::encoding
