#include "mysql/binlog/value.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dcp::mysql::binlog {
namespace {

std::string Decimal(const std::string& bin, int precision, int scale) {
  std::string out;
  const absl::Status s = AppendDecimal(bin, precision, scale, &out);
  EXPECT_TRUE(s.ok()) << s;
  return out;
}

// The example of MySQL's strings/decimal.c (decimal2bin comment): DECIMAL(14,4)
// 1234567890.1234 is 81 0D FB 38 D2 04 D2, and its negation is every byte inverted.
TEST(Decimal, MySqlDocumentedExample) {
  EXPECT_EQ(DecimalBinarySize(14, 4), 7);
  EXPECT_EQ(Decimal(std::string("\x81\x0d\xfb\x38\xd2\x04\xd2", 7), 14, 4), "1234567890.1234");
  EXPECT_EQ(Decimal(std::string("\x7e\xf2\x04\xc7\x2d\xfb\x2d", 7), 14, 4), "-1234567890.1234");
}

TEST(Decimal, SmallValuesAndZero) {
  // DECIMAL(10,2): intg 8 (4 bytes), frac 2 (1 byte). 1.50 = 80 00 00 01 32.
  EXPECT_EQ(Decimal(std::string("\x80\x00\x00\x01\x32", 5), 10, 2), "1.50");
  EXPECT_EQ(Decimal(std::string("\x80\x00\x00\x00\x00", 5), 10, 2), "0.00");
  // -0.25: 0.25 is 80 00 00 00 19, inverted.
  EXPECT_EQ(Decimal(std::string("\x7f\xff\xff\xff\xe6", 5), 10, 2), "-0.25");
}

TEST(Decimal, CorruptOrWrongSize) {
  std::string out;
  EXPECT_EQ(AppendDecimal("\x80", 10, 2, &out).code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(AppendDecimal(std::string("\x80\x00\x00\x00\xff", 5), 10, 2, &out).code(),
            absl::StatusCode::kDataLoss);  // 255 is not a 2-digit group
  EXPECT_EQ(DecimalBinarySize(70, 2), 0);
  EXPECT_EQ(DecimalBinarySize(5, 6), 0);
}

TEST(Temporal, Formatting) {
  Temporal t;
  t.year = 2024;
  t.month = 2;
  t.day = 29;
  t.hour = 23;
  t.minute = 5;
  t.second = 9;
  t.microsecond = 123400;
  std::string s;
  AppendDateTime(t, 4, &s);
  EXPECT_EQ(s, "2024-02-29 23:05:09.1234");
  s.clear();
  Temporal time;
  time.negative = true;
  time.hour = 838;
  time.minute = 59;
  time.second = 59;
  AppendTime(time, 0, &s);
  EXPECT_EQ(s, "-838:59:59");
}

TEST(Temporal, FromUnix) {
  std::string s;
  AppendDateTime(TemporalFromUnix(0, 0), 0, &s);
  EXPECT_EQ(s, "0000-00-00 00:00:00");
  s.clear();
  AppendDateTime(TemporalFromUnix(2147483647, 999999), 6, &s);
  EXPECT_EQ(s, "2038-01-19 03:14:07.999999");
  s.clear();
  AppendDateTime(TemporalFromUnix(951782400, 0), 0, &s);  // a leap day
  EXPECT_EQ(s, "2000-02-29 00:00:00");
}

}  // namespace
}  // namespace dcp::mysql::binlog

#include "mysql/binlog/rows.h"

namespace dcp::mysql::binlog {
namespace {

// Corrupt input found by the fuzzer: a rows event whose present-columns bitmap is empty
// makes every row zero bytes long; iterating must fail instead of looping forever.
TEST(RowIterator, ZeroByteRowImageIsCorrupt) {
  TableMap table;
  table.schema = "s";
  table.table = "t";
  table.columns.resize(1);
  table.columns[0].type = ColumnType::kLong;
  RowsEvent rows;
  rows.op = RowOp::kInsert;
  rows.table = &table;
  rows.column_count = 1;
  rows.present_before = absl::string_view("\x00", 1);
  rows.rows = "abcd";
  RowIterator it(rows);
  RowChange change;
  ASSERT_FALSE(it.done());
  absl::Status s = it.Next(change);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
}

}  // namespace
}  // namespace dcp::mysql::binlog
