#include "mysql/binlog/cursor.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dcp::mysql::binlog {
namespace {

using ::testing::HasSubstr;

TEST(Cursor, ReadsLittleAndBigEndian) {
  const std::string bytes("\x01\x02\x03\x04\x05\x06\x07\x08\x09", 9);
  Cursor c(bytes, 100);
  EXPECT_EQ(*c.U16(), 0x0201);
  EXPECT_EQ(*c.UintBe(3), 0x030405u);
  EXPECT_EQ(*c.U32(), 0x09080706u);
  EXPECT_TRUE(c.empty());
  EXPECT_EQ(c.absolute_offset(), 109u);
}

TEST(Cursor, TruncationIsDataLossWithOffset) {
  const std::string bytes("\x01\x02\x03", 3);
  Cursor c(bytes, 1000);
  ASSERT_TRUE(c.U8().ok());
  auto v = c.U32("thing");
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(v.status().message(), HasSubstr("offset 1001"));
  EXPECT_THAT(v.status().message(), HasSubstr("thing"));
  // A failed read consumes nothing.
  EXPECT_EQ(c.position(), 1u);
  EXPECT_FALSE(c.Bytes(3).ok());
  EXPECT_FALSE(c.Skip(~0ull).ok());
  EXPECT_FALSE(c.Sub(1ull << 40).ok());
}

TEST(Cursor, PackedIntegers) {
  // The MySQL length-encoded integer forms: 1, 3, 4 and 9 bytes.
  const std::string bytes("\xfa\xfc\x34\x12\xfd\x56\x34\x12\xfe\x01\x00\x00\x00\x00\x00\x00\x80",
                          17);
  Cursor c(bytes);
  EXPECT_EQ(*c.PackedInt(), 250u);
  EXPECT_EQ(*c.PackedInt(), 0x1234u);
  EXPECT_EQ(*c.PackedInt(), 0x123456u);
  EXPECT_EQ(*c.PackedInt(), 0x8000000000000001ull);
  EXPECT_TRUE(c.empty());
}

TEST(Cursor, BadOrShortPackedIntegers) {
  EXPECT_EQ(Cursor(std::string("\xfb", 1)).PackedInt().status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(Cursor(std::string("\xff", 1)).PackedInt().status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(Cursor(std::string("\xfe\x01\x02", 3)).PackedInt().status().code(),
            absl::StatusCode::kDataLoss);
  // A packed string whose length exceeds the buffer.
  EXPECT_EQ(Cursor(std::string("\x05"
                               "abc",
                               4))
                .PackedString()
                .status()
                .code(),
            absl::StatusCode::kDataLoss);
}

// The examples of libs/mysql/serialization/readme.md ("Variable-length integers"), written
// there big-endian: 65535 unsigned is 00000111 11111111 11111011, signed 65535 is
// 00001111 11111111 11110011, -65535 is 00001111 11111111 11101011 and -65536 is
// 00001111 11111111 11111011.
TEST(Cursor, SerialVarintsOfTheFormatDescription) {
  EXPECT_EQ(*Cursor(std::string("\xfb\xff\x07", 3)).SerialVarUint(), 65535u);
  EXPECT_EQ(*Cursor(std::string("\xf3\xff\x0f", 3)).SerialVarInt(), 65535);
  EXPECT_EQ(*Cursor(std::string("\xeb\xff\x0f", 3)).SerialVarInt(), -65535);
  EXPECT_EQ(*Cursor(std::string("\xfb\xff\x0f", 3)).SerialVarInt(), -65536);
}

TEST(Cursor, SerialVarintLengths) {
  // One byte: value << 1.
  EXPECT_EQ(*Cursor(std::string("\x00", 1)).SerialVarUint(), 0u);
  EXPECT_EQ(*Cursor(std::string("\xfe", 1)).SerialVarUint(), 127u);
  // Eight bytes: 0x7f then 7 value bytes (56 bits).
  EXPECT_EQ(*Cursor(std::string("\x7f\xff\xff\xff\xff\xff\xff\xff", 8)).SerialVarUint(),
            (uint64_t{1} << 56) - 1);
  // Nine bytes: 0xff then the whole 64-bit value.
  EXPECT_EQ(*Cursor(std::string("\xff\x01\x00\x00\x00\x00\x00\x00\x01", 9)).SerialVarUint(),
            (uint64_t{1} << 56) + 1);
  EXPECT_EQ(*Cursor(std::string(9, '\xff')).SerialVarUint(), UINT64_MAX);
  EXPECT_EQ(*Cursor(std::string(9, '\xff')).SerialVarInt(), INT64_MIN);
  EXPECT_EQ(*Cursor(std::string("\xff\xfe\xff\xff\xff\xff\xff\xff\xff", 9)).SerialVarInt(),
            INT64_MAX);
  // A cursor moves past exactly the varint.
  const std::string bytes("\xb1\x04\x02", 3);  // the cursor views it: keep it alive
  Cursor c(bytes);
  EXPECT_EQ(*c.SerialVarUint(), 300u);
  EXPECT_EQ(*c.SerialVarUint(), 1u);
  EXPECT_TRUE(c.empty());
  // Truncated: the first byte announces more bytes than there are.
  auto t = Cursor(std::string("\xfb\xff", 2), 70).SerialVarUint("x");
  EXPECT_EQ(t.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(t.status().message()), ::testing::HasSubstr("offset 70"));
  EXPECT_EQ(Cursor(std::string(8, '\xff')).SerialVarUint().status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(Cursor(absl::string_view()).SerialVarInt().status().code(),
            absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace dcp::mysql::binlog
