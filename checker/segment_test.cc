#include "checker/segment.h"

#include "gtest/gtest.h"

namespace dcp::checker {
namespace {

TEST(Digest, HexChecksumsAreDecodedExactly) {
  Digest d = Digest::Of("0123456789ABCDEF0123456789abcdef");
  EXPECT_EQ(d.format, Digest::kHex128);
  EXPECT_EQ(d.hi, 0x0123456789abcdefULL);
  EXPECT_EQ(d.ToString(), "0123456789abcdef0123456789abcdef");
  Digest e = Digest::Of("00000000000000ff");
  EXPECT_EQ(e.format, Digest::kHex64);
  EXPECT_EQ(e.ToString(), "00000000000000ff");
  EXPECT_NE(Digest::Of("00000000000000ff"), Digest::Of("00000000000000fe"));
}

TEST(Digest, OtherTextIsHashed) {
  Digest a = Digest::Of("not hex at all");
  EXPECT_EQ(a.format, Digest::kHashed);
  EXPECT_EQ(a, Digest::Of("not hex at all"));
  EXPECT_NE(a, Digest::Of("not hex at alL"));
  EXPECT_EQ(a.ToString()[0], '~');
  EXPECT_EQ(Digest::Of("").format, Digest::kNone);
  // 32 characters that are not all hex are hashed, not truncated.
  EXPECT_EQ(Digest::Of("0123456789abcdef0123456789abcdeg").format, Digest::kHashed);
}

TEST(Origin, GtidsAndPositionsRoundTrip) {
  Interner in;
  for (const char* text :
       {"3e11fa47-71ca-11e1-9e33-c80aa9429562:123", "0-11-4567", "mysql-bin.000003:1234",
        "no-number", "", "007", "12345678901234567890123"}) {
    Origin o = Origin::Of(text, in);
    EXPECT_EQ(o.ToString(in), text);
  }
  Origin a = Origin::Of("uuid:1", in);
  Origin b = Origin::Of("uuid:2", in);
  EXPECT_EQ(a.prefix, b.prefix);
  EXPECT_EQ(b.number, 2u);
}

TEST(Interner, CapsEntries) {
  Interner in(4);
  EXPECT_EQ(in.Intern("a"), 2u);
  EXPECT_EQ(in.Intern("b"), 3u);
  EXPECT_EQ(in.Intern("c"), 1u);  // full: "?"
  EXPECT_EQ(in.Get(1), "?");
  EXPECT_EQ(in.Intern("a"), 2u);
}

TEST(Segment, ChainsChangesPerKeyInOrder) {
  Interner in;
  Segment seg;
  auto row = [](std::string key, std::string sum, bool deleted = false) {
    RowChange r;
    r.key = std::move(key);
    r.checksum = std::move(sum);
    r.deleted = deleted;
    r.origin = "0-1-5";
    r.timestamp = 77;
    return r;
  };
  seg.Append(row("t:1", "0000000000000001"), in);
  seg.Append(row("t:2", "0000000000000002"), in);
  seg.Append(row("t:1", "0000000000000003"), in);
  seg.Append(row("t:1", "", true), in);
  EXPECT_EQ(seg.changes(), 4u);
  EXPECT_EQ(seg.keys(), 2u);
  auto k1 = seg.Find("t:1");
  ASSERT_TRUE(k1.has_value());
  EXPECT_EQ(seg.ChainLength(k1->first), 3u);
  EXPECT_EQ(seg.KeyOf(k1->second), "t:1");
  Image last = seg.ImageOf(k1->second);
  EXPECT_EQ(last.state, Image::kDeleted);
  EXPECT_EQ(last.origin.ToString(in), "0-1-5");
  EXPECT_EQ(last.timestamp, 77u);
  Image first = seg.ImageOf(k1->first);
  EXPECT_EQ(first.state, Image::kPresent);
  EXPECT_EQ(first.digest.ToString(), "0000000000000001");
  EXPECT_FALSE(seg.Find("t:3").has_value());
  seg.Shrink();
  EXPECT_GT(seg.MemoryBytes(), 0u);
}

}  // namespace
}  // namespace dcp::checker
