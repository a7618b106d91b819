// Value: one decoded column value of a row image.
//
// A small trivially-copyable value type. Strings, blobs, DECIMAL digits and JSON documents
// are views into the event buffer they were decoded from (or into the decoder's buffer for
// decompressed events): a Value is valid only until the decoder decodes the next event.
// Conversions to text (ToString/AppendText) allocate only into the caller's string.
#ifndef DCP_MYSQL_BINLOG_VALUE_H_
#define DCP_MYSQL_BINLOG_VALUE_H_

#include <charconv>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mysql/binlog/types.h"

namespace dcp::mysql::binlog {

// The calendar/clock parts of DATE, TIME, DATETIME and TIMESTAMP values.
struct Temporal {
  uint16_t year = 0;
  uint8_t month = 0;
  uint8_t day = 0;
  uint32_t hour = 0;  // TIME: 0..838 (and beyond for TIME2's 10-bit field)
  uint8_t minute = 0;
  uint8_t second = 0;
  uint32_t microsecond = 0;
  bool negative = false;  // TIME only
};

enum class ValueKind : uint8_t {
  kAbsent,  // column not present in this image (MINIMAL/NOBLOB images)
  kNull,
  kInt,        // i
  kUint,       // u
  kFloat,      // f
  kDouble,     // d
  kDecimal,    // bytes: the binary DECIMAL; precision, scale
  kYear,       // u: 0 or 1901..2155
  kDate,       // temporal
  kTime,       // temporal (hour/minute/second/microsecond, negative)
  kDateTime,   // temporal
  kTimestamp,  // u: seconds since the epoch; temporal.microsecond
  kString,     // bytes; charset (0: unknown)
  kBlob,       // bytes: BLOB/TEXT (TEXT when charset is known and not binary)
  kEnum,       // u: 1-based index (0: the empty error value)
  kSet,        // u: bitmask
  kBit,        // u
  kJson,       // bytes: MySQL binary JSON
  kJsonDiff,   // bytes: MySQL partial-JSON diff vector (PARTIAL_UPDATE_ROWS after images)
  kGeometry,   // bytes: SRID (4 bytes) + WKB
  kVector,     // bytes: packed little-endian floats
};

struct Value {
  ValueKind kind = ValueKind::kAbsent;
  ColumnType type = ColumnType::kNull;  // the column's binlog type
  uint8_t precision = 0;                // DECIMAL precision; fsp of temporal types
  uint8_t scale = 0;                    // DECIMAL scale
  uint16_t charset = 0;                 // collation id from TABLE_MAP metadata; 63 = binary
  union {
    int64_t i;
    uint64_t u;
    float f;
    double d;
  };
  Temporal temporal;
  absl::string_view bytes;

  Value() : u(0) {}
  bool is_null() const { return kind == ValueKind::kNull; }
};

// Appends the value as MySQL prints it in a result set: integers in decimal, DECIMAL exactly
// with its scale ("-0.50"), temporal values as "YYYY-MM-DD hh:mm:ss[.ffffff]" with the
// column's fractional digits (TIMESTAMP in UTC), YEAR as 4 digits, BIT as its integer value,
// ENUM as its index, SET as its bitmask, strings/blobs raw, JSON as JSON text. Fails with
// kDataLoss only for corrupt DECIMAL or JSON bytes. kAbsent/kNull append nothing.
absl::Status AppendText(const Value& v, std::string* out);
absl::StatusOr<std::string> ToText(const Value& v);

// Binary DECIMAL(precision, scale) to its exact decimal string.
absl::Status AppendDecimal(absl::string_view bin, int precision, int scale, std::string* out);
// The size in bytes of a binary DECIMAL(precision, scale); 0 if precision/scale are invalid.
int DecimalBinarySize(int precision, int scale);

// Appends "YYYY-MM-DD", "[-]hh:mm:ss" or "YYYY-MM-DD hh:mm:ss", with `fsp` fractional digits.
void AppendDate(const Temporal& t, std::string* out);
void AppendTime(const Temporal& t, int fsp, std::string* out);
void AppendDateTime(const Temporal& t, int fsp, std::string* out);
// Seconds since the epoch to UTC calendar parts.
Temporal TemporalFromUnix(uint64_t seconds, uint32_t microsecond);

// The fields of the integer part (no fraction, no sign) of MySQL's packed temporal forms, as
// TIME2 and DATETIME2 row images and JSON opaque temporal values store them:
// TIME: hour << 12 | minute << 6 | second (hour 10 bits);
// DATETIME, DATE: ((year * 13 + month) << 5 | day) << 17 | hour << 12 | minute << 6 | second.
inline Temporal TimeFromPacked(uint64_t intpart) {
  Temporal t;
  t.hour = static_cast<uint32_t>((intpart >> 12) % (1 << 10));
  t.minute = static_cast<uint8_t>((intpart >> 6) % (1 << 6));
  t.second = static_cast<uint8_t>(intpart % (1 << 6));
  return t;
}
inline Temporal DateTimeFromPacked(uint64_t intpart) {
  const uint64_t ymd = intpart >> 17, ym = ymd >> 5, hms = intpart % (1 << 17);
  Temporal t;
  t.day = static_cast<uint8_t>(ymd % (1 << 5));
  t.month = static_cast<uint8_t>(ym % 13);
  t.year = static_cast<uint16_t>(ym / 13);
  t.second = static_cast<uint8_t>(hms % (1 << 6));
  t.minute = static_cast<uint8_t>((hms >> 6) % (1 << 6));
  t.hour = static_cast<uint32_t>(hms >> 12);
  return t;
}

// Appends the shortest decimal form of an integer or floating-point number (std::to_chars).
template <typename T>
void AppendNumber(T v, std::string* out) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out->append(buf, r.ptr - buf);
}

}  // namespace dcp::mysql::binlog

#endif  // DCP_MYSQL_BINLOG_VALUE_H_
