#include "verifier/gravity_mode.h"

#include <map>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dcp::verifier {
namespace {

TEST(GravityConfig, ParsesGravityKeys) {
  auto c = GravityConfig::Parse(R"(
source-table = "orders_*"
target-table = "orders_*"
shading = true
col-name = "id"
col-type = "int"
parallel = 4
[source]
host = "10.0.0.1"
port = 3307
username = "u"
password = "p"
schema = "shop"
[target]
host = "10.0.0.2"
username = "u"
schema = "shop2"
)");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->source.host, "10.0.0.1");
  EXPECT_EQ(c->source.port, 3307);
  EXPECT_EQ(c->source.password, std::optional<std::string>("p"));
  EXPECT_EQ(c->source.database, "shop");
  EXPECT_EQ(c->target.port, 3306);
  EXPECT_EQ(c->target.database, "shop2");
  EXPECT_TRUE(c->shading);
  EXPECT_EQ(c->parallel, 4);
}

TEST(GravityConfig, Errors) {
  EXPECT_EQ(GravityConfig::Parse("source = [").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(GravityConfig::Parse("col-name = \"id\"\n[source]\nschema=\"a\"\n[target]\n"
                                    "schema=\"b\"\n")
                   .ok());  // no source-table
  EXPECT_FALSE(GravityConfig::Parse("source-table=\"t\"\ncol-name=\"id\"\ncol-type=\"float\"\n"
                                    "[source]\nschema=\"a\"\n[target]\nschema=\"b\"\n")
                   .ok());
}

// Counts from explicit key sets.
RangeCounter Counter(std::vector<int64_t> source, std::vector<int64_t> target, int* calls) {
  return [=](int64_t lo, int64_t hi) -> absl::StatusOr<std::pair<int64_t, int64_t>> {
    ++*calls;
    int64_t s = 0, t = 0;
    for (int64_t k : source) s += (k >= lo && k <= hi);
    for (int64_t k : target) t += (k >= lo && k <= hi);
    return std::make_pair(s, t);
  };
}

TEST(BisectCounts, FindsSmallRangesThatDiffer) {
  std::vector<int64_t> source, target;
  for (int64_t i = 1; i <= 10000; ++i) {
    source.push_back(i);
    if (i != 4321 && i != 4322) target.push_back(i);
  }
  target.push_back(20000);  // outside the source's range
  int calls = 0;
  auto ranges = BisectCounts(1, 20000, Counter(source, target, &calls));
  ASSERT_TRUE(ranges.ok());
  ASSERT_EQ(ranges->size(), 2u);
  EXPECT_LE((*ranges)[0].lo, 4321);
  EXPECT_GE((*ranges)[0].hi, 4322);
  // Stopped by gravity's rule: narrower than 10, or both counts under 20.
  EXPECT_TRUE((*ranges)[0].hi - (*ranges)[0].lo < 10 ||
              ((*ranges)[0].source < 20 && (*ranges)[0].target < 20));
  EXPECT_EQ((*ranges)[0].target - (*ranges)[0].source, -2);
  EXPECT_EQ((*ranges)[1].target - (*ranges)[1].source, 1);
  EXPECT_LT(calls, 80);
}

TEST(BisectCounts, EqualCountsReportNothing) {
  int calls = 0;
  auto ranges = BisectCounts(1, 100, Counter({1, 2, 3}, {1, 2, 3}, &calls));
  ASSERT_TRUE(ranges.ok());
  EXPECT_TRUE(ranges->empty());
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace dcp::verifier
