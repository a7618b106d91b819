#include "checker/change.h"

#include "gtest/gtest.h"
#include "proto/dcp.pb.h"

namespace dcp::checker {
namespace {

TEST(FromProto, Barrier) {
  ::dcp::Message m;
  m.set_tag("src");
  m.set_barrier(42);
  auto c = FromProto(m, 7);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(*c, Change::MakeBarrier("src", 42, 7));
}

TEST(FromProto, PayloadCarriesKeyChecksumOriginAndTime) {
  ::dcp::Message m;
  m.set_id("0-1-99");
  m.set_tag("dst");
  m.set_timestamp(1700000000);
  m.set_checksum("0123456789abcdef");
  m.mutable_payload()->set_id("shop.orders:1");
  m.mutable_payload()->set_content("UPDATE [1,\"apple\"]");
  auto c = FromProto(m, 3, /*keep_content=*/true);
  ASSERT_TRUE(c.ok()) << c.status();
  const auto& row = std::get<RowChange>(c->body);
  EXPECT_EQ(row.key, "shop.orders:1");
  EXPECT_EQ(row.checksum, "0123456789abcdef");
  EXPECT_FALSE(row.deleted);
  EXPECT_EQ(row.origin, "0-1-99");
  EXPECT_EQ(row.timestamp, 1700000000u);
  EXPECT_EQ(row.content, "UPDATE [1,\"apple\"]");
  EXPECT_EQ(c->seq, 3u);
  auto no_content = FromProto(m);
  EXPECT_FALSE(std::get<RowChange>(no_content->body).content.has_value());
}

TEST(FromProto, DeleteIsMarkedAndItsChecksumIgnored) {
  ::dcp::Message m;
  m.set_tag("dst");
  m.set_checksum("ffff");
  m.mutable_payload()->set_id("shop.orders:1");
  m.mutable_payload()->set_content("DELETE [1,\"apple\"]");
  auto c = FromProto(m);
  ASSERT_TRUE(c.ok());
  const auto& row = std::get<RowChange>(c->body);
  EXPECT_TRUE(row.deleted);
  EXPECT_EQ(row.checksum, "");
  EXPECT_TRUE(IsDeleteContent("DELETE"));
  EXPECT_FALSE(IsDeleteContent("DELETED [1]"));
  EXPECT_FALSE(IsDeleteContent("INSERT [1]"));
}

TEST(FromProto, RejectsBadMessages) {
  ::dcp::Message m;
  m.set_barrier(1);
  EXPECT_EQ(FromProto(m).status().code(), absl::StatusCode::kInvalidArgument);  // no tag
  m.set_tag("t");
  m.clear_barrier();
  EXPECT_EQ(FromProto(m).status().code(), absl::StatusCode::kInvalidArgument);  // no body
  m.mutable_payload()->set_content("INSERT []");
  EXPECT_EQ(FromProto(m).status().code(), absl::StatusCode::kInvalidArgument);  // no key
}

}  // namespace
}  // namespace dcp::checker
