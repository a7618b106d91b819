#include "padder/repair.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "padder/json_value.h"

namespace dcp::padder {
namespace {

TEST(PadderJson, ParsesAndRejects) {
  auto v = JsonValue::Parse(R"({"a": [1, -2.5e3, "x\u00e9\ud83d\ude00\n", true, null], "b": {}})");
  ASSERT_TRUE(v.ok()) << v.status();
  const JsonValue* a = v->Find("a");
  ASSERT_NE(a, nullptr);
  ASSERT_EQ(a->array.size(), 5u);
  EXPECT_EQ(a->array[1].text, "-2.5e3");
  EXPECT_EQ(a->array[2].text, "xé😀\n");
  EXPECT_TRUE(a->array[3].boolean);
  EXPECT_TRUE(a->array[4].is_null());
  for (const char* bad : {"", "{", "[1,]", "{\"a\" 1}", "\"abc", "[1] x", "\"\\u12\"", "nul"}) {
    EXPECT_TRUE(absl::IsInvalidArgument(JsonValue::Parse(bad).status())) << bad;
  }
  EXPECT_FALSE(JsonValue::Parse(std::string(200, '[')).ok());  // too deep, no crash
}

TEST(PadderRepairReport, VerifierReportKeys) {
  auto t = ParseRepairReport(R"({"identical":false,"tables":[
{"source_table":"s.t","target_table":"d.t","status":"different","key_columns":["a","b"],
 "differences":[{"kind":"missing","key":{"a":"1","b":"x"},"columns":[]},
                {"kind":"extra","key":{"a":"2","b":{"hex":"00ff"}},"columns":[]}]},
{"source_table":"s.u","target_table":"s.u","key_columns":["id"],"differences":[]}]})");
  ASSERT_TRUE(t.ok()) << t.status();
  ASSERT_EQ(t->size(), 1u);
  EXPECT_EQ((*t)[0].source_table, "s.t");
  EXPECT_EQ((*t)[0].target_table, "d.t");
  EXPECT_EQ((*t)[0].keys,
            (std::vector<std::vector<std::string>>{{"1", "x"}, {"2", std::string("\0\xff", 2)}}));
}

TEST(PadderRepairReport, AlarmDocumentsAsJsonLines) {
  auto t = ParseRepairReport(
      "{\"kind\":\"diff\",\"keys\":[{\"key\":\"shop.o:42\",\"table\":\"shop.o\"},"
      "{\"key\":\"shop.o:\\\"a,b\\\",7\",\"table\":\"shop.o\"}]}\n"
      "{\"kind\":\"timeout\",\"message\":\"x\"}\n");
  ASSERT_TRUE(t.ok()) << t.status();
  ASSERT_EQ(t->size(), 1u);
  EXPECT_TRUE((*t)[0].target_table.empty());
  EXPECT_EQ((*t)[0].keys, (std::vector<std::vector<std::string>>{{"42"}, {"a,b", "7"}}));
  EXPECT_FALSE(ParseRepairReport("[1]").ok());
  EXPECT_FALSE(
      ParseRepairReport("{\"kind\":\"diff\",\"keys\":[{\"key\":\"x:1\",\"table\":\"y\"}]}").ok());
}

}  // namespace
}  // namespace dcp::padder
