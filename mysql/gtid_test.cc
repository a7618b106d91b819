#include "mysql/gtid.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dcp::mysql {
namespace {

constexpr char kA[] = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
constexpr char kB[] = "00000000-0001-0002-0003-000000000004";

TEST(Uuid, ParseAndFormat) {
  auto u = Uuid::Parse("3E11FA4771CA11E19E33C80AA9429562");
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_EQ(u->ToString(), kA);
  EXPECT_EQ(*Uuid::Parse(kA), *u);
  EXPECT_FALSE(Uuid::Parse("3e11fa47-71ca-11e1-9e33-c80aa942956").ok());
  EXPECT_FALSE(Uuid::Parse("3e11fa47-71ca-11e1-9e33-c80aa942956g").ok());
  EXPECT_FALSE(Uuid::Parse("").ok());
}

TEST(GtidSet, ParseMergesAndFormatsCanonically) {
  // As MySQL prints @@gtid_executed: newlines after commas, unsorted input intervals.
  auto s = GtidSet::Parse(absl::StrCat(kA, ":7:1-3:4-5:9-10,\n", kB, ":2"));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->ToString(), absl::StrCat(kB, ":2,", kA, ":1-5:7:9-10"));
  EXPECT_TRUE(GtidSet::Parse("")->empty());
  EXPECT_EQ(GtidSet::Parse(s->ToString())->ToString(), s->ToString());
}

TEST(GtidSet, ParseErrors) {
  for (const char* bad : {"x:1", "3e11fa47-71ca-11e1-9e33-c80aa9429562",
                          "3e11fa47-71ca-11e1-9e33-c80aa9429562:0",
                          "3e11fa47-71ca-11e1-9e33-c80aa9429562:5-3",
                          "3e11fa47-71ca-11e1-9e33-c80aa9429562:tag:1",
                          "3e11fa47-71ca-11e1-9e33-c80aa9429562:1,,"}) {
    EXPECT_EQ(GtidSet::Parse(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(GtidSet, ContainsAndAdd) {
  GtidSet s = *GtidSet::Parse(absl::StrCat(kA, ":1-5:7"));
  const Uuid a = *Uuid::Parse(kA), b = *Uuid::Parse(kB);
  EXPECT_TRUE(s.Contains(a, 1));
  EXPECT_TRUE(s.Contains(a, 5));
  EXPECT_FALSE(s.Contains(a, 6));
  EXPECT_TRUE(s.Contains(a, 7));
  EXPECT_FALSE(s.Contains(a, 8));
  EXPECT_FALSE(s.Contains(b, 1));
  s.Add(a, 6);  // joins 1-5 and 7
  EXPECT_EQ(s.ToString(), absl::StrCat(kA, ":1-7"));
  s.Add(b, 10);
  EXPECT_TRUE(s.Contains(*GtidSet::Parse(absl::StrCat(kA, ":2-4,", kB, ":10"))));
  EXPECT_FALSE(s.Contains(*GtidSet::Parse(absl::StrCat(kA, ":2-8"))));
  EXPECT_FALSE(s.Contains(*GtidSet::Parse(absl::StrCat(kB, ":9"))));
  GtidSet other = *GtidSet::Parse(absl::StrCat(kA, ":8-9:20"));
  s.Add(other);
  EXPECT_EQ(s.ToString(), absl::StrCat(kB, ":10,", kA, ":1-9:20"));
  EXPECT_TRUE(s.Contains(other));
}

// The binary form of PREVIOUS_GTIDS (libbinlogevents' Previous_gtids_event, MySQL's
// Gtid_set::encode): n_sids u64, then per sid the 16 uuid bytes, n_intervals u64 and
// [start, end) pairs as i64, all little-endian.
TEST(GtidSet, BinaryEncoding) {
  GtidSet s = *GtidSet::Parse(absl::StrCat(kB, ":1-5:7"));
  const std::string expected = std::string("\x01\0\0\0\0\0\0\0", 8) +
                               std::string("\x00\x00\x00\x00\x00\x01\x00\x02\x00\x03\x00\x00"
                                           "\x00\x00\x00\x04",
                                           16) +
                               std::string("\x02\0\0\0\0\0\0\0", 8) +
                               std::string("\x01\0\0\0\0\0\0\0\x06\0\0\0\0\0\0\0", 16) +
                               std::string("\x07\0\0\0\0\0\0\0\x08\0\0\0\0\0\0\0", 16);
  EXPECT_EQ(s.Encode(), expected);
  auto back = GtidSet::Decode(expected);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, s);
  // The empty set as in the MySQL 8.0 fixtures' PREVIOUS_GTIDS events (8 zero bytes).
  EXPECT_TRUE(GtidSet::Decode(std::string(8, '\0'))->empty());
  // Corrupt encodings.
  EXPECT_EQ(GtidSet::Decode(expected.substr(0, 40)).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(GtidSet::Decode(std::string("\xff\xff\xff\xff\xff\xff\xff\xff", 8)).status().code(),
            absl::StatusCode::kDataLoss);
  std::string empty_interval = expected;
  empty_interval[40] = '\x01';  // [1, 1)
  EXPECT_EQ(GtidSet::Decode(empty_interval).status().code(), absl::StatusCode::kDataLoss);
}

TEST(MariaGtid, ParseFormat) {
  auto g = MariaGtid::Parse("0-1-100");
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->domain_id, 0u);
  EXPECT_EQ(g->server_id, 1u);
  EXPECT_EQ(g->sequence, 100u);
  EXPECT_EQ(g->ToString(), "0-1-100");
  for (const char* bad : {"", "0-1", "0-1-2-3", "a-1-2", "0--1-2", "0-1-+2", "-1-2-3"}) {
    EXPECT_FALSE(MariaGtid::Parse(bad).ok()) << bad;
  }
}

TEST(MariaGtidPosition, ListsAndUpdates) {
  auto p = MariaGtidPosition::Parse("1-2-7,0-1-100");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->ToString(), "0-1-100,1-2-7");
  EXPECT_TRUE(p->Contains(*MariaGtid::Parse("0-5-99")));
  EXPECT_FALSE(p->Contains(*MariaGtid::Parse("0-1-101")));
  EXPECT_FALSE(p->Contains(*MariaGtid::Parse("2-1-1")));
  p->Update(*MariaGtid::Parse("0-3-101"));
  EXPECT_EQ(p->ToString(), "0-3-101,1-2-7");
  EXPECT_EQ(p->Get(1)->sequence, 7u);
  EXPECT_FALSE(p->Get(5).has_value());
  EXPECT_FALSE(MariaGtidPosition::Parse("0-1-1,0-2-2").ok());
  EXPECT_TRUE(MariaGtidPosition::Parse("")->empty());
}

}  // namespace
}  // namespace dcp::mysql
