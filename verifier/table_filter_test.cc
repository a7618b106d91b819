#include "verifier/table_filter.h"

#include "gtest/gtest.h"

namespace dcp::verifier {
namespace {

TEST(TableFilter, GlobsAndExcludes) {
  auto f = TableFilter::Create({"shop.*", "audit_log"}, {"shop.tmp_*"}, {});
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(f->Selected({"shop", "orders"}));
  EXPECT_FALSE(f->Selected({"shop", "tmp_x"}));
  EXPECT_TRUE(f->Selected({"other", "audit_log"}));
  EXPECT_FALSE(f->Selected({"other", "orders"}));
  auto all = TableFilter::Create({}, {}, {});
  EXPECT_TRUE(all->Selected({"any", "thing"}));
}

TEST(TableFilter, MapsAndInverse) {
  auto f = TableFilter::Create({}, {}, {"shop.orders=shop.orders_v2", "shop.*=copy.*", "a=b"});
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->Map({"shop", "orders"}), (mysql::TableName{"shop", "orders_v2"}));
  EXPECT_EQ(f->Map({"shop", "items"}), (mysql::TableName{"copy", "items"}));
  EXPECT_EQ(f->Map({"a", "t"}), (mysql::TableName{"b", "t"}));
  EXPECT_EQ(f->Map({"z", "t"}), (mysql::TableName{"z", "t"}));
  EXPECT_EQ(f->Unmap({"copy", "items"}), (mysql::TableName{"shop", "items"}));
  EXPECT_EQ(f->Unmap({"shop", "orders_v2"}), (mysql::TableName{"shop", "orders"}));
  EXPECT_EQ(f->Unmap({"b", "t"}), (mysql::TableName{"a", "t"}));
  // shop.items is sent to copy.items, so a target shop.items has no source.
  EXPECT_EQ(f->Unmap({"shop", "items"}), std::nullopt);
}

TEST(TableFilter, BadMap) {
  EXPECT_FALSE(TableFilter::Create({}, {}, {"noequals"}).ok());
  EXPECT_FALSE(TableFilter::Create({}, {}, {"a.=b.c"}).ok());
}

}  // namespace
}  // namespace dcp::verifier
