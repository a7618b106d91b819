#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "padder/repair_report.h"

namespace dcp::padder {
namespace {

using ::testing::HasSubstr;

TEST(PadderRepairReport, VerifierReportKeys) {
  auto t = ParseRepairReport(R"({"identical":false,"tables":[
{"source_table":"s.t","target_table":"d.t","status":"different","key_columns":["a","b"],
 "differences":[{"kind":"missing","key":{"a":"1","b":"x"},"columns":[]},
                {"kind":"extra","key":{"a":"2","b":{"hex":"00ff"}},"columns":[]},
                {"kind":"extra","key":{"a":3,"b":"it's"},"columns":[]}]},
{"source_table":"s.u","target_table":"s.u","key_columns":["id"],"differences":[]}]})");
  ASSERT_TRUE(t.ok()) << t.status();
  ASSERT_EQ(t->size(), 1u);
  EXPECT_EQ((*t)[0].source_table, "s.t");
  EXPECT_EQ((*t)[0].target_table, "d.t");
  EXPECT_EQ((*t)[0].keys, (std::vector<std::vector<std::string>>{
                              {"1", "x"}, {"2", std::string("\0\xff", 2)}, {"3", "it's"}}));
}

TEST(PadderRepairReport, AlarmDocumentsAsJsonLines) {
  auto t = ParseRepairReport(
      "{\"kind\":\"diff\",\"keys\":[{\"key\":\"shop.o:42\",\"table\":\"shop.o\"},"
      "{\"key\":\"shop.o:\\\"a,b\\\",7\",\"table\":\"shop.o\"}]}\n"
      "\n"
      "{\"kind\":\"timeout\",\"message\":\"x\"}\n");
  ASSERT_TRUE(t.ok()) << t.status();
  ASSERT_EQ(t->size(), 1u);
  EXPECT_TRUE((*t)[0].target_table.empty());
  EXPECT_EQ((*t)[0].keys, (std::vector<std::vector<std::string>>{{"42"}, {"a,b", "7"}}));
  EXPECT_FALSE(ParseRepairReport("[1]").ok());
  EXPECT_FALSE(
      ParseRepairReport("{\"kind\":\"diff\",\"keys\":[{\"key\":\"x:1\",\"table\":\"y\"}]}").ok());
}

TEST(PadderRepairReport, ErrorsSayWhatAndWhere) {
  // A verifier report cut short: corrupt, and where it ends.
  auto t = ParseRepairReport("{\"identical\":false,\"tables\":[\n{\"source_table\":\"s.t\",");
  EXPECT_TRUE(absl::IsDataLoss(t.status())) << t.status();
  EXPECT_THAT(t.status().message(), HasSubstr("line 2, column"));
  // JSON lines with a bad third line: that line.
  t = ParseRepairReport("{\"kind\":\"diff\",\"keys\":[]}\n{\"kind\":\"diff\"}\n{\"kind\": x}\n");
  EXPECT_TRUE(absl::IsInvalidArgument(t.status())) << t.status();
  EXPECT_THAT(t.status().message(), HasSubstr("line 3, column 10"));
  // Not UTF-8.
  EXPECT_TRUE(absl::IsDataLoss(ParseRepairReport("{\"kind\":\"d\xff\"}").status()));
  // Shapes that are JSON but no report.
  for (const char* bad : {
           "{\"tables\":[{\"source_table\":\"s.t\",\"target_table\":\"s.t\","
           "\"differences\":[{\"key\":{\"id\":\"1\"}}]}]}",  // no key_columns
           "{\"tables\":[{\"source_table\":\"s.t\",\"target_table\":\"s.t\",\"key_columns\":"
           "[\"id\"],\"differences\":[{\"key\":{\"id\":1.5}}]}]}",  // a fractional key
           "{\"tables\":[{\"source_table\":\"s.t\",\"target_table\":\"s.t\",\"key_columns\":"
           "[\"id\"],\"differences\":[{\"key\":{\"id\":{\"hex\":\"0g\"}}}]}]}",
           "{\"tables\":[{\"source_table\":\"s.t\",\"target_table\":\"s.t\",\"key_columns\":"
           "[\"id\"],\"differences\":[{\"key\":{\"other\":\"1\"}}]}]}",
           "\"a string\"",
           "{\"something\":1}",
       }) {
    EXPECT_TRUE(absl::IsInvalidArgument(ParseRepairReport(bad).status())) << bad;
  }
}

}  // namespace
}  // namespace dcp::padder
