#include "mysql/gtid.h"

#include <string>
#include <vector>

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
  for (const char* bad :
       {"x:1", "3e11fa47-71ca-11e1-9e33-c80aa9429562", "3e11fa47-71ca-11e1-9e33-c80aa9429562:0",
        "3e11fa47-71ca-11e1-9e33-c80aa9429562:5-3", "3e11fa47-71ca-11e1-9e33-c80aa9429562:1,,",
        // Tags without intervals, and things that are no tags.
        "3e11fa47-71ca-11e1-9e33-c80aa9429562:tag", "3e11fa47-71ca-11e1-9e33-c80aa9429562:1:tag",
        "3e11fa47-71ca-11e1-9e33-c80aa9429562:t1:t2:1",
        "3e11fa47-71ca-11e1-9e33-c80aa9429562:bad-tag:1",
        "3e11fa47-71ca-11e1-9e33-c80aa9429562:_tag_:1:",
        "3e11fa47-71ca-11e1-9e33-c80aa9429562:a23456789012345678901234567890123:1"}) {
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
                               std::string(
                                   "\x00\x00\x00\x00\x00\x01\x00\x02\x00\x03\x00\x00"
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

TEST(GtidTag, Normalize) {
  EXPECT_EQ(*NormalizeGtidTag("MyTag_1"), "mytag_1");
  EXPECT_EQ(*NormalizeGtidTag("_"), "_");
  EXPECT_EQ(*NormalizeGtidTag(std::string(32, 'z')), std::string(32, 'z'));
  for (const std::string& bad : std::vector<std::string>{"", "1a", "a-b", " a", "a ",
                                                         std::string(33, 'z'), "\xc3\xa4", "a:b"}) {
    EXPECT_EQ(NormalizeGtidTag(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(Gtid, ParseFormat) {
  auto g = Gtid::Parse(absl::StrCat(" ", kA, ":MyTag:42 "));
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_EQ(g->tsid.tag, "mytag");
  EXPECT_EQ(g->gno, 42);
  EXPECT_EQ(g->ToString(), absl::StrCat(kA, ":mytag:42"));
  EXPECT_EQ(Gtid::Parse(absl::StrCat(kA, ":7"))->ToString(), absl::StrCat(kA, ":7"));
  for (const std::string& bad :
       {absl::StrCat(kA, ":0"), absl::StrCat(kA, ":t:1-2"), absl::StrCat(kA, ":1tag:1"),
        absl::StrCat(kA, ":a:b:1"), absl::StrCat(kA, ":9223372036854775807"), std::string(kA)}) {
    EXPECT_FALSE(Gtid::Parse(bad).ok()) << bad;
  }
}

// MySQL 8.3 syntax: after a uuid, intervals and "tag:intervals" groups.
TEST(GtidSet, TaggedParseFormatContainsAdd) {
  auto s = GtidSet::Parse("3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5:MyTag:1-3:7");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->ToString(), absl::StrCat(kA, ":1-5:mytag:1-3:7"));
  EXPECT_TRUE(s->tagged());
  const Uuid a = *Uuid::Parse(kA);
  EXPECT_TRUE(s->Contains(a, 5));   // untagged
  EXPECT_FALSE(s->Contains(a, 7));  // 7 is only tagged
  EXPECT_TRUE(s->Contains(*Gtid::Parse(absl::StrCat(kA, ":mytag:7"))));
  EXPECT_FALSE(s->Contains(*Gtid::Parse(absl::StrCat(kA, ":mytag:5"))));
  EXPECT_FALSE(s->Contains(*Gtid::Parse(absl::StrCat(kA, ":other:1"))));
  // Tags order after the untagged intervals and ascending, whatever the input order; uuids
  // ascending; repeated uuids and tags merge.
  auto t = GtidSet::Parse(absl::StrCat(kA, ":zz:4:aa:2,\n", kB, ":x:1, ", kA, ":mytag:4-6:9"));
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->ToString(), absl::StrCat(kB, ":x:1,", kA, ":aa:2:mytag:4-6:9:zz:4"));
  EXPECT_EQ(*GtidSet::Parse(t->ToString()), *t);
  EXPECT_FALSE(s->Contains(*t));
  s->Add(*t);
  EXPECT_TRUE(s->Contains(*t));
  EXPECT_EQ(s->ToString(), absl::StrCat(kB, ":x:1,", kA, ":1-5:aa:2:mytag:1-7:9:zz:4"));
  s->Add(*Gtid::Parse(absl::StrCat(kA, ":mytag:8")));
  EXPECT_EQ(s->ToString(), absl::StrCat(kB, ":x:1,", kA, ":1-5:aa:2:mytag:1-9:zz:4"));
  EXPECT_FALSE(GtidSet::Parse(absl::StrCat(kA, ":1"))->tagged());
}

// MySQL 8.3's tagged binary form (Gtid_set::encode with Gtid_format::tagged, sql/
// rpl_gtid_set.cc encode_nsids_format; Tsid::encode_tsid; Tag::encode_tag): the u64 tsid
// count is (1 << 56) | (n << 8) | 1; each tsid's uuid is followed by its tag as a
// serialization-library varint length (length << 1 for lengths below 128) and its
// characters, the untagged tsid with length 0.
TEST(GtidSet, TaggedBinaryEncoding) {
  GtidSet s = *GtidSet::Parse(absl::StrCat(kB, ":1-5:mytag:1-3:7"));
  const std::string uuid("\x00\x00\x00\x00\x00\x01\x00\x02\x00\x03\x00\x00\x00\x00\x00\x04", 16);
  const std::string expected =
      std::string("\x01\x02\0\0\0\0\0\x01", 8) +                 // format 1, 2 tsids, format 1
      uuid + std::string("\x00", 1) +                            // untagged: tag length 0
      std::string("\x01\0\0\0\0\0\0\0", 8) +                     // 1 interval
      std::string("\x01\0\0\0\0\0\0\0\x06\0\0\0\0\0\0\0", 16) +  // [1, 6)
      uuid + "\nmytag" +                      // tag length 5 << 1 (0x0a, '\n'), "mytag"
      std::string("\x02\0\0\0\0\0\0\0", 8) +  // 2 intervals
      std::string("\x01\0\0\0\0\0\0\0\x04\0\0\0\0\0\0\0", 16) +  // [1, 4)
      std::string("\x07\0\0\0\0\0\0\0\x08\0\0\0\0\0\0\0", 16);   // [7, 8)
  EXPECT_EQ(s.Encode(), expected);
  auto back = GtidSet::Decode(expected);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, s);
  EXPECT_EQ(GtidSet::Decode(back->Encode())->ToString(), s.ToString());
  // Every truncation is kDataLoss.
  for (size_t n = 0; n < expected.size(); ++n) {
    EXPECT_EQ(GtidSet::Decode(expected.substr(0, n)).status().code(), absl::StatusCode::kDataLoss)
        << n;
  }
  // A tag length in the 2-byte varint form (5: 5 << 2 | 0b01, 0) is the same set.
  std::string long_len = expected;
  long_len.replace(long_len.find("\nmytag"), 1, std::string("\x15\x00", 2));
  EXPECT_EQ(*GtidSet::Decode(long_len), s);
  // Upper case on the wire is normalized.
  std::string upper = expected;
  upper.replace(upper.find("mytag"), 5, "MYTAG");
  EXPECT_EQ(*GtidSet::Decode(upper), s);
  // Corrupt: an unknown format 2, a tag that is no tag, a tag of 33 characters.
  std::string format2 = expected;
  format2[7] = '\x02';
  EXPECT_EQ(GtidSet::Decode(format2).status().code(), absl::StatusCode::kDataLoss);
  std::string bad_tag = expected;
  bad_tag.replace(bad_tag.find("mytag"), 5, "my-ag");
  EXPECT_EQ(GtidSet::Decode(bad_tag).status().code(), absl::StatusCode::kDataLoss);
  std::string long_tag = expected;
  long_tag.replace(long_tag.find("\nmytag"), 6,
                   std::string(1, static_cast<char>(33 << 1)) + std::string(33, 'a'));
  EXPECT_EQ(GtidSet::Decode(long_tag).status().code(), absl::StatusCode::kDataLoss);
  // The same bytes read as untagged (format 0) are not a valid set either.
  std::string as_untagged = expected;
  as_untagged[7] = '\0';
  EXPECT_EQ(GtidSet::Decode(as_untagged).status().code(), absl::StatusCode::kDataLoss);
}

TEST(GtidSet, UntaggedEncodingIsUnchangedWithManyUuids) {
  // The untagged format: the plain count, no tag bytes; 3 uuids.
  GtidSet s =
      *GtidSet::Parse(absl::StrCat(kA, ":1,", kB, ":2,", "ffffffff-ffff-ffff-ffff-ffffffffffff:3"));
  const std::string e = s.Encode();
  ASSERT_EQ(e.size(), 8 + 3 * (16 + 8 + 16));
  EXPECT_EQ(e.substr(0, 8), std::string("\x03\0\0\0\0\0\0\0", 8));
  EXPECT_EQ(*GtidSet::Decode(e), s);
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

TEST(GtidSet, SubtractAndIntersect) {
  const std::string u = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
  const std::string v = "4e11fa47-71ca-11e1-9e33-c80aa9429562";
  auto a = GtidSet::Parse(u + ":1-10:15-20," + v + ":1-5:t:1-3");
  auto b = GtidSet::Parse(u + ":3-4:7-16:30," + v + ":t:2");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->Subtract(*b).ToString(), u + ":1-2:5-6:17-20," + v + ":1-5:t:1:3");
  EXPECT_EQ(a->Intersect(*b).ToString(), u + ":3-4:7-10:15-16," + v + ":t:2");
  EXPECT_EQ(b->Subtract(*a).ToString(), u + ":11-14:30");
  EXPECT_TRUE(a->Subtract(*a).empty());
  EXPECT_EQ(a->Subtract(GtidSet()), *a);
  EXPECT_EQ(a->size(), 10u + 6u + 5u + 3u);
  EXPECT_EQ(a->Subtract(*b).size(), 2u + 2u + 4u + 5u + 2u);
  // A set minus what a server executed is what the server lacks; the rest is common.
  GtidSet lacks = a->Subtract(*b);
  GtidSet common = a->Intersect(*b);
  GtidSet both = lacks;
  both.Add(common);
  EXPECT_EQ(both, *a);
}

TEST(MariaGtidState, ContainsPerDomainAndServer) {
  // Server 3 took over domain 0 at 101 after replicating server 1 up to 100.
  auto s = MariaGtidState::Parse("0-1-100,0-3-107,1-2-7");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->ToString(), "0-1-100,0-3-107,1-2-7");
  EXPECT_TRUE(s->Contains(*MariaGtid::Parse("0-1-100")));
  EXPECT_FALSE(s->Contains(*MariaGtid::Parse("0-1-101")));  // lost with server 1
  EXPECT_TRUE(s->Contains(*MariaGtid::Parse("0-3-104")));
  EXPECT_FALSE(s->Contains(*MariaGtid::Parse("0-2-5")));
  EXPECT_TRUE(s->Contains(*MariaGtidPosition::Parse("0-1-99,1-2-7")));
  EXPECT_FALSE(s->Contains(*MariaGtidPosition::Parse("0-1-105,1-2-7")));
  EXPECT_FALSE(s->Contains(*MariaGtidPosition::Parse("0-3-1,2-1-1")));
  EXPECT_TRUE(s->Contains(MariaGtidPosition()));
  EXPECT_EQ(s->Get(0, 1)->sequence, 100u);
  EXPECT_FALSE(s->Get(0, 2).has_value());
  EXPECT_FALSE(MariaGtidState::Parse("0-1-1,0-1-2").ok());
  EXPECT_TRUE(MariaGtidState::Parse("0-1-1,0-2-2").ok());
}

}  // namespace
}  // namespace dcp::mysql
