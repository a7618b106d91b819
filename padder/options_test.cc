#include "padder/options.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "padder/engine.h"

namespace dcp::padder {
namespace {

using ::testing::HasSubstr;

TEST(PadderConfig, GravityKeysAndExtensions) {
  auto o = ParseConfigText(R"(
[padder]
binlog-list = ["/b/mysql-bin.000001", "/b/mysql-bin.000002"]
enable-delete = true
conflict-policy = "override"
batch-size = 50
checkpoint-file = "/tmp/cp"
exclude-tables = ["shop.tmp_*"]
schema-rename = { shop = "shop_copy" }
[padder.mysql.target]
host = "10.0.0.2"
username = "u"
password = "p"
port = 3307
schema = "shop"
[padder.mysql.start-position]
binlog-name = "mysql-bin.000001"
binlog-pos = 1234
[padder.mysql.stop-position]
binlog-name = "mysql-bin.000002"
binlog-pos = 99
[padder.mysql.gtid-range]
start = "0-1-5"
stop = "0-1-9"
)",
                           "padder.toml");
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->binlog_files.size(), 2u);
  EXPECT_TRUE(o->enable_delete);
  EXPECT_EQ(o->policy, ConflictPolicy::kOverride);
  EXPECT_EQ(o->batch_size, 50);
  EXPECT_EQ(o->target.host, "10.0.0.2");
  EXPECT_EQ(o->target.port, 3307);
  EXPECT_EQ(o->target.password, "p");
  EXPECT_EQ(o->include, std::vector<std::string>{"shop.*"});
  EXPECT_EQ(o->exclude, std::vector<std::string>{"shop.tmp_*"});
  EXPECT_EQ(o->rename.at("shop"), "shop_copy");
  EXPECT_EQ(o->start_file, "mysql-bin.000001");
  EXPECT_EQ(o->start_position, 1234u);
  EXPECT_EQ(o->stop_file, "mysql-bin.000002");
  EXPECT_EQ(*o->stop_position, 99u);
  EXPECT_EQ(o->gtid_start, "0-1-5");
  EXPECT_EQ(o->gtid_stop, "0-1-9");
  EXPECT_FALSE(o->source.has_value());
}

TEST(PadderConfig, ErrorsNameFileLineAndKey) {
  auto bad = ParseConfigText(
      "[padder]\nbinlog-list = [\"f\"]\nconflict-policy = \"maybe\"\n"
      "[padder.mysql.target]\nhost = \"h\"\n",
      "p.toml");
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(bad.status()));
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("p.toml:3:"));
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("padder.conflict-policy"));
  auto no_source = ParseConfigText("[padder]\n[padder.mysql.target]\nhost = \"h\"\n", "p.toml");
  EXPECT_FALSE(no_source.ok());
  auto live = ParseConfigText(
      "[padder]\n[padder.mysql.target]\nhost = \"h\"\n[padder.mysql.source]\nhost = \"s\"\n",
      "p.toml");
  ASSERT_FALSE(live.ok());
  EXPECT_THAT(std::string(live.status().message()), HasSubstr("server-id"));
  auto syntax = ParseConfigText("[padder\n", "p.toml");
  EXPECT_THAT(std::string(syntax.status().message()), HasSubstr("p.toml:1:"));
}

TEST(PadderCheckpoint, RoundTripAndCorruption) {
  Checkpoint c{{"mysql-bin.000003", 4567}, "0-1-9,1-2-3", 42};
  auto back = Checkpoint::Parse(c.Serialize());
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->position, c.position);
  EXPECT_EQ(back->gtid, c.gtid);
  EXPECT_EQ(back->transactions, 42u);
  EXPECT_TRUE(absl::IsDataLoss(Checkpoint::Parse("file=x\n").status()));
  EXPECT_TRUE(absl::IsDataLoss(Checkpoint::Parse("file=x\nposition=abc\n").status()));
}

TEST(PadderGtid, ParseAndPrint) {
  auto p = ParseGtidPosition("0-1-5, 2-7-100");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(GtidPositionToString(*p), "0-1-5,2-7-100");
  EXPECT_FALSE(ParseGtidPosition("0-1").ok());
  EXPECT_FALSE(ParseGtidPosition("a-b-c").ok());
}

TEST(PadderStats, RatiosAndJson) {
  Stats s;
  s.write_events = 10;
  s.conflicts = 5;
  s.unknown_rows = 2;
  EXPECT_DOUBLE_EQ(s.ConflictRatio(), 0.5);
  EXPECT_DOUBLE_EQ(s.UnknownRatio(), 0.2);
  EXPECT_THAT(s.ToJson(), HasSubstr("\"WriteEventCount\": 10"));
  EXPECT_DOUBLE_EQ(Stats().ConflictRatio(), 0.0);
}

}  // namespace
}  // namespace dcp::padder
