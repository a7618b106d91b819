#include "collector/wire.h"

#include "gtest/gtest.h"
#include "proto/dcp.pb.h"

namespace dcp::collector {

using checker::Change;
using checker::RowChange;
using checker::Barrier;
namespace {

TEST(FromProto, Barrier) {
  Message m;
  m.set_tag("src");
  m.set_barrier(42);
  auto c = FromProto(m, 7);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(std::get<Barrier>(c->body).offset, 42u);
  EXPECT_EQ(c->seq, 7u);
  EXPECT_EQ(c->tag, "src");
}

TEST(FromProto, PayloadCarriesKeyChecksumOriginAndTime) {
  Message m;
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
  Message m;
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
  Message m;
  m.set_barrier(1);
  EXPECT_EQ(FromProto(m).status().code(), absl::StatusCode::kInvalidArgument);  // no tag
  m.set_tag("t");
  m.clear_barrier();
  EXPECT_EQ(FromProto(m).status().code(), absl::StatusCode::kInvalidArgument);  // no body
  m.mutable_payload()->set_content("INSERT []");
  EXPECT_EQ(FromProto(m).status().code(), absl::StatusCode::kInvalidArgument);  // no key
}

// ToProto then FromProto keeps everything the wire carries; a delete goes as "DELETE".
TEST(ToProto, RoundTrips) {
  Change row = Change::MakeRow("src", "[\"shop.orders\",\"1\"]", "00ff", "0-1-7", 1700000000);
  std::get<RowChange>(row.body).content = "{\"id\":\"1\"}";
  Change del = Change::MakeDelete("src", "[\"shop.orders\",\"2\"]", "0-1-8", 1700000001);
  Change barrier = Change::MakeBarrier("src", 9);
  std::get<Barrier>(barrier.body).origin = "0-1-9";
  std::get<Barrier>(barrier.body).timestamp = 1700000002;
  for (const Change& c : {row, del, barrier}) {
    auto m = ToProto(c);
    ASSERT_TRUE(m.ok()) << m.status();
    auto back = FromProto(*m, 0, /*keep_content=*/true);
    ASSERT_TRUE(back.ok()) << back.status();
    if (const auto* r = std::get_if<RowChange>(&c.body); r != nullptr && r->deleted) {
      EXPECT_EQ(m->payload().content(), "DELETE");
      EXPECT_TRUE(std::get<RowChange>(back->body).deleted);
      EXPECT_EQ(std::get<RowChange>(back->body).key, r->key);
      continue;
    }
    EXPECT_EQ(*back, c);
  }
  Change reconnect;
  reconnect.tag = "src";
  reconnect.body = checker::Reconnect{"lost"};
  EXPECT_EQ(ToProto(reconnect).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace dcp::collector
