#include "collector/tags.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dcp::collector {
namespace {

TagMatcher Matcher() {
  TagRule shop;
  shop.name = "src";
  shop.tables = {"shop.*", "billing.invoices"};
  shop.ignore_columns = {"shop.orders.Updated_At", "*.*.etl_*"};
  shop.key_columns = {{"shop.log", {"day", "seq"}}};
  TagRule v2;
  v2.name = "dst";
  v2.tables = {"shop_v2.*"};
  v2.rename = {{"shop_v2.*", "shop.*"}};
  return TagMatcher({shop, v2});
}

TEST(Tags, MatchByGlob) {
  TagMatcher m = Matcher();
  ASSERT_EQ(m.Match("shop", "orders").size(), 1u);
  EXPECT_EQ(m.Match("shop", "orders")[0]->name, "src");
  EXPECT_EQ(m.Match("billing", "invoices").size(), 1u);
  EXPECT_TRUE(m.Match("billing", "payments").empty());
  ASSERT_EQ(m.Match("shop_v2", "orders").size(), 1u);
  EXPECT_EQ(m.Match("shop_v2", "orders")[0]->name, "dst");
}

TEST(Tags, RenameMapsTargetToSourceName) {
  TagMatcher m = Matcher();
  EXPECT_EQ(TagMatcher::ComparedName(m.rules()[1], "shop_v2", "orders"), "shop.orders");
  EXPECT_EQ(TagMatcher::ComparedName(m.rules()[0], "shop", "orders"), "shop.orders");
}

TEST(Tags, IgnoredColumnsAreCaseInsensitiveOnTheColumn) {
  TagMatcher m = Matcher();
  const TagRule& r = m.rules()[0];
  EXPECT_TRUE(TagMatcher::IgnoresColumn(r, "shop", "orders", "updated_at"));
  EXPECT_TRUE(TagMatcher::IgnoresColumn(r, "shop", "orders", "UPDATED_AT"));
  EXPECT_TRUE(TagMatcher::IgnoresColumn(r, "shop", "items", "etl_batch"));
  EXPECT_FALSE(TagMatcher::IgnoresColumn(r, "shop", "items", "updated_at"));
  EXPECT_FALSE(TagMatcher::IgnoresColumn(m.rules()[1], "shop_v2", "orders", "updated_at"));
}

TEST(Tags, KeyOverridesAndUnmatchedGlobs) {
  TagMatcher m = Matcher();
  EXPECT_EQ(TagMatcher::KeyColumns(m.rules()[0], "shop", "log"),
            (std::vector<std::string>{"day", "seq"}));
  EXPECT_FALSE(TagMatcher::KeyColumns(m.rules()[0], "shop", "orders").has_value());
  EXPECT_EQ(m.UnmatchedGlobs({"shop.orders", "shop_v2.orders"}),
            std::vector<std::string>{"src: billing.invoices"});
}

}  // namespace
}  // namespace dcp::collector
