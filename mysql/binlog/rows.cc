#include "mysql/binlog/rows.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "util/status_macros.h"

namespace dcp::mysql::binlog {
namespace {

int64_t SignExtend(uint64_t v, int bits) {
  const uint64_t m = 1ull << (bits - 1);
  return static_cast<int64_t>((v ^ m) - m);
}

void SetInt(const ColumnDef& col, uint64_t raw, int bytes, Value& v) {
  if (col.is_unsigned.value_or(false)) {
    v.kind = ValueKind::kUint;
    v.u = raw;
  } else {
    v.kind = ValueKind::kInt;
    v.i = SignExtend(raw, bytes * 8);
  }
}

// The fractional part of TIME2/DATETIME2/TIMESTAMP2: (fsp + 1) / 2 big-endian bytes.
absl::StatusOr<uint32_t> ReadFraction(Cursor& c, int fsp) {
  switch (fsp) {
    case 0:
      return 0u;
    case 1:
    case 2: {
      ASSIGN_OR_RETURN(uint64_t f, c.UintBe(1, "fraction"));
      return static_cast<uint32_t>(f * 10000);
    }
    case 3:
    case 4: {
      ASSIGN_OR_RETURN(uint64_t f, c.UintBe(2, "fraction"));
      return static_cast<uint32_t>(f * 100);
    }
    case 5:
    case 6: {
      ASSIGN_OR_RETURN(uint64_t f, c.UintBe(3, "fraction"));
      return static_cast<uint32_t>(f);
    }
  }
  return c.Corrupt(absl::StrCat("fractional seconds precision ", fsp));
}

// TIME2: ((intpart << 24) + fraction) + 2^47 in 3 + (fsp + 1) / 2 big-endian bytes, the
// fraction in units of its precision. Negative times are stored with a borrowed fraction.
absl::StatusOr<int64_t> ReadPackedTime2(Cursor& c, int fsp) {
  if (fsp < 0 || fsp > 6) return c.Corrupt(absl::StrCat("TIME2 precision ", fsp));
  if (fsp >= 5) {
    ASSIGN_OR_RETURN(uint64_t all, c.UintBe(6, "TIME2"));
    return static_cast<int64_t>(all) - 0x800000000000LL;
  }
  ASSIGN_OR_RETURN(uint64_t ip, c.UintBe(3, "TIME2"));
  int64_t intpart = static_cast<int64_t>(ip) - 0x800000;
  if (fsp == 0) return intpart * (1LL << 24);
  const size_t frac_bytes = (fsp + 1) / 2;  // 1 or 2
  ASSIGN_OR_RETURN(uint64_t fb, c.UintBe(frac_bytes, "TIME2 fraction"));
  int64_t frac = static_cast<int64_t>(fb);
  if (intpart < 0 && frac != 0) {
    ++intpart;
    frac -= int64_t{1} << (8 * frac_bytes);
  }
  return intpart * (1LL << 24) + frac * (frac_bytes == 1 ? 10000 : 100);
}

absl::Status DecodeTime2(Cursor& c, int fsp, Value& v) {
  ASSIGN_OR_RETURN(int64_t packed, ReadPackedTime2(c, fsp));
  const bool negative = packed < 0;
  if (negative) packed = -packed;
  v.temporal = TimeFromPacked(static_cast<uint64_t>(packed >> 24));
  v.temporal.negative = negative;
  v.temporal.microsecond = static_cast<uint32_t>(packed % (1LL << 24));
  v.kind = ValueKind::kTime;
  v.precision = static_cast<uint8_t>(fsp);
  return absl::OkStatus();
}

absl::Status DecodeString(Cursor& c, size_t len_bytes, Value& v, ValueKind kind) {
  ASSIGN_OR_RETURN(uint64_t len, c.UintLe(len_bytes, "string length"));
  ASSIGN_OR_RETURN(v.bytes, c.Bytes(len, "string"));
  v.kind = kind;
  return absl::OkStatus();
}

// FLOAT, DOUBLE: IEEE 754, little-endian.
absl::Status DecodeFloat(ColumnType type, Cursor& c, Value& v) {
  if (type == ColumnType::kFloat) {
    ASSIGN_OR_RETURN(uint32_t x, c.U32("FLOAT"));
    std::memcpy(&v.f, &x, 4);
    v.kind = ValueKind::kFloat;
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(uint64_t x, c.U64("DOUBLE"));
  std::memcpy(&v.d, &x, 8);
  v.kind = ValueKind::kDouble;
  return absl::OkStatus();
}

// DECIMAL: the binary digits, kept as bytes with the column's precision and scale.
absl::Status DecodeDecimal(const ColumnDef& col, Cursor& c, Value& v) {
  v.precision = static_cast<uint8_t>(col.meta >> 8);
  v.scale = static_cast<uint8_t>(col.meta & 0xff);
  ASSIGN_OR_RETURN(v.bytes, c.Bytes(DecimalBinarySize(v.precision, v.scale), "DECIMAL"));
  v.kind = ValueKind::kDecimal;
  return absl::OkStatus();
}

// YEAR: one byte, years since 1900 (0: the zero year).
absl::Status DecodeYear(Cursor& c, Value& v) {
  ASSIGN_OR_RETURN(uint8_t x, c.U8("YEAR"));
  v.kind = ValueKind::kYear;
  v.u = x == 0 ? 0 : 1900 + x;
  return absl::OkStatus();
}

// DATE, NEWDATE: three bytes, day | month << 5 | year << 9.
absl::Status DecodeDate(Cursor& c, Value& v) {
  ASSIGN_OR_RETURN(uint32_t x, c.U24("DATE"));
  v.temporal = Temporal();
  v.temporal.day = x & 31;
  v.temporal.month = (x >> 5) & 15;
  v.temporal.year = static_cast<uint16_t>(x >> 9);
  v.kind = ValueKind::kDate;
  return absl::OkStatus();
}

// The old TIME: three bytes, signed hhmmss in decimal.
absl::Status DecodeTime(Cursor& c, Value& v) {
  ASSIGN_OR_RETURN(uint32_t x, c.U24("TIME"));
  int32_t hms = static_cast<int32_t>(SignExtend(x, 24));
  v.temporal = Temporal();
  if (hms < 0) {
    v.temporal.negative = true;
    hms = -hms;
  }
  v.temporal.hour = static_cast<uint32_t>(hms / 10000);
  v.temporal.minute = static_cast<uint8_t>(hms / 100 % 100);
  v.temporal.second = static_cast<uint8_t>(hms % 100);
  v.precision = 0;
  v.kind = ValueKind::kTime;
  return absl::OkStatus();
}

// The old DATETIME: eight bytes, YYYYMMDDhhmmss in decimal.
absl::Status DecodeDateTime(Cursor& c, Value& v) {
  ASSIGN_OR_RETURN(uint64_t x, c.U64("DATETIME"));
  const uint64_t date = x / 1000000, time = x % 1000000;
  v.temporal = Temporal();
  v.temporal.year = static_cast<uint16_t>(date / 10000);
  v.temporal.month = static_cast<uint8_t>(date / 100 % 100);
  v.temporal.day = static_cast<uint8_t>(date % 100);
  v.temporal.hour = static_cast<uint32_t>(time / 10000);
  v.temporal.minute = static_cast<uint8_t>(time / 100 % 100);
  v.temporal.second = static_cast<uint8_t>(time % 100);
  v.precision = 0;
  v.kind = ValueKind::kDateTime;
  return absl::OkStatus();
}

// The old TIMESTAMP: four bytes of seconds since the epoch.
absl::Status DecodeTimestamp(Cursor& c, Value& v) {
  ASSIGN_OR_RETURN(uint32_t x, c.U32("TIMESTAMP"));
  v.u = x;
  v.temporal = Temporal();
  v.precision = 0;
  v.kind = ValueKind::kTimestamp;
  return absl::OkStatus();
}

// TIMESTAMP2: four big-endian bytes of seconds, then the fraction.
absl::Status DecodeTimestamp2(Cursor& c, int fsp, Value& v) {
  ASSIGN_OR_RETURN(uint64_t secs, c.UintBe(4, "TIMESTAMP2"));
  ASSIGN_OR_RETURN(uint32_t frac, ReadFraction(c, fsp));
  v.u = secs;
  v.temporal = Temporal();
  v.temporal.microsecond = frac;
  v.precision = static_cast<uint8_t>(fsp);
  v.kind = ValueKind::kTimestamp;
  return absl::OkStatus();
}

// DATETIME2: five big-endian bytes (offset by 2^39) of packed date and time, then the
// fraction.
absl::Status DecodeDateTime2(Cursor& c, int fsp, Value& v) {
  ASSIGN_OR_RETURN(uint64_t raw, c.UintBe(5, "DATETIME2"));
  ASSIGN_OR_RETURN(uint32_t frac, ReadFraction(c, fsp));
  const int64_t intpart = static_cast<int64_t>(raw) - 0x8000000000LL;
  v.temporal = DateTimeFromPacked(static_cast<uint64_t>(intpart < 0 ? -intpart : intpart));
  v.temporal.microsecond = frac;
  v.precision = static_cast<uint8_t>(fsp);
  v.kind = ValueKind::kDateTime;
  return absl::OkStatus();
}

// BIT: (bits + 7) / 8 big-endian bytes.
absl::Status DecodeBit(const ColumnDef& col, Cursor& c, Value& v) {
  // Metadata bytes are (bits % 8, bytes), kept as meta = byte0 << 8 | byte1.
  const int bits = (col.meta >> 8) + (col.meta & 0xff) * 8;
  ASSIGN_OR_RETURN(uint64_t x, c.UintBe((bits + 7) / 8, "BIT"));
  v.u = x;
  v.kind = ValueKind::kBit;
  return absl::OkStatus();
}

// The binlog type STRING: ENUM (1 or 2 bytes of index), SET (1-8 bytes of bitmask) or CHAR
// (a string with a 1- or 2-byte length), by the real type from the metadata.
absl::Status DecodeStringType(const ColumnDef& col, Cursor& c, Value& v) {
  if (col.real_type == ColumnType::kEnum) {
    const size_t n = col.meta & 0xff;
    if (n != 1 && n != 2) return c.Corrupt(absl::StrCat("ENUM size ", n));
    ASSIGN_OR_RETURN(v.u, c.UintLe(n, "ENUM"));
    v.kind = ValueKind::kEnum;
    return absl::OkStatus();
  }
  if (col.real_type == ColumnType::kSet) {
    const size_t n = col.meta & 0xff;
    if (n < 1 || n > 8) return c.Corrupt(absl::StrCat("SET size ", n));
    ASSIGN_OR_RETURN(v.u, c.UintLe(n, "SET"));
    v.kind = ValueKind::kSet;
    return absl::OkStatus();
  }
  v.charset = col.charset;
  return DecodeString(c, col.max_length > 255 ? 2 : 1, v, ValueKind::kString);
}

}  // namespace

absl::Status DecodeValue(const ColumnDef& col, Cursor& c, Value& v) {
  v.type = col.type;
  switch (col.type) {
    case ColumnType::kTiny: {
      ASSIGN_OR_RETURN(uint8_t x, c.U8("TINYINT"));
      SetInt(col, x, 1, v);
      return absl::OkStatus();
    }
    case ColumnType::kShort: {
      ASSIGN_OR_RETURN(uint16_t x, c.U16("SMALLINT"));
      SetInt(col, x, 2, v);
      return absl::OkStatus();
    }
    case ColumnType::kInt24: {
      ASSIGN_OR_RETURN(uint32_t x, c.U24("MEDIUMINT"));
      SetInt(col, x, 3, v);
      return absl::OkStatus();
    }
    case ColumnType::kLong: {
      ASSIGN_OR_RETURN(uint32_t x, c.U32("INT"));
      SetInt(col, x, 4, v);
      return absl::OkStatus();
    }
    case ColumnType::kLongLong: {
      ASSIGN_OR_RETURN(uint64_t x, c.U64("BIGINT"));
      SetInt(col, x, 8, v);
      return absl::OkStatus();
    }
    case ColumnType::kFloat:
    case ColumnType::kDouble:
      return DecodeFloat(col.type, c, v);
    case ColumnType::kNewDecimal:
      return DecodeDecimal(col, c, v);
    case ColumnType::kYear:
      return DecodeYear(c, v);
    case ColumnType::kDate:
    case ColumnType::kNewDate:
      return DecodeDate(c, v);
    case ColumnType::kTime:
      return DecodeTime(c, v);
    case ColumnType::kDateTime:
      return DecodeDateTime(c, v);
    case ColumnType::kTimestamp:
      return DecodeTimestamp(c, v);
    case ColumnType::kTimestamp2:
      return DecodeTimestamp2(c, col.meta, v);
    case ColumnType::kDateTime2:
      return DecodeDateTime2(c, col.meta, v);
    case ColumnType::kTime2:
      return DecodeTime2(c, col.meta, v);
    case ColumnType::kVarchar:
    case ColumnType::kVarString:
      v.charset = col.charset;
      return DecodeString(c, col.max_length > 255 ? 2 : 1, v, ValueKind::kString);
    case ColumnType::kBit:
      return DecodeBit(col, c, v);
    case ColumnType::kEnum:
    case ColumnType::kSet:
    case ColumnType::kString:
      return DecodeStringType(col, c, v);
    case ColumnType::kBlob:
    case ColumnType::kTinyBlob:
    case ColumnType::kMediumBlob:
    case ColumnType::kLongBlob:
      v.charset = col.charset;
      return DecodeString(c, col.meta, v, ValueKind::kBlob);
    case ColumnType::kGeometry:
      return DecodeString(c, col.meta, v, ValueKind::kGeometry);
    case ColumnType::kJson:
      return DecodeString(c, col.meta, v, ValueKind::kJson);
    case ColumnType::kVector:
      return DecodeString(c, col.meta, v, ValueKind::kVector);
    default:
      return absl::UnimplementedError(
          absl::StrCat("column type ", ColumnTypeName(col.type), " (", static_cast<int>(col.type),
                       ") in a row image at offset ", c.absolute_offset()));
  }
}

absl::Status RowIterator::ReadImage(absl::string_view present, bool after_image,
                                    std::vector<Value>& image) {
  const auto& columns = event_.table->columns;
  const size_t n = columns.size();
  image.resize(n);
  // PARTIAL_UPDATE_ROWS after images start with binlog_row_value_options and, with
  // PARTIAL_JSON_UPDATES, a bitmap with one bit per JSON column of the table.
  absl::string_view partial_bits;
  if (event_.partial_json && after_image) {
    ASSIGN_OR_RETURN(uint64_t value_options, cursor_.PackedInt("row value options"));
    if (value_options & 1) {
      size_t json_columns = 0;
      for (const ColumnDef& col : columns) json_columns += col.type == ColumnType::kJson;
      ASSIGN_OR_RETURN(partial_bits, cursor_.Bytes((json_columns + 7) / 8, "partial JSON bitmap"));
    }
  }
  size_t json_index = 0;
  size_t present_count = 0;
  for (size_t i = 0; i < n; ++i)
    present_count += (static_cast<uint8_t>(present[i / 8]) >> (i % 8)) & 1;
  ASSIGN_OR_RETURN(absl::string_view nulls, cursor_.Bytes((present_count + 7) / 8, "null bitmap"));
  size_t k = 0;  // index among present columns
  for (size_t i = 0; i < n; ++i) {
    Value& v = image[i];
    bool partial = false;
    if (!partial_bits.empty() && columns[i].type == ColumnType::kJson) {
      partial = (static_cast<uint8_t>(partial_bits[json_index / 8]) >> (json_index % 8)) & 1;
      ++json_index;
    }
    if (!((static_cast<uint8_t>(present[i / 8]) >> (i % 8)) & 1)) {
      v.kind = ValueKind::kAbsent;
      v.type = columns[i].type;
      continue;
    }
    const bool is_null = (static_cast<uint8_t>(nulls[k / 8]) >> (k % 8)) & 1;
    ++k;
    if (is_null) {
      v.kind = ValueKind::kNull;
      v.type = columns[i].type;
      continue;
    }
    RETURN_IF_ERROR(DecodeValue(columns[i], cursor_, v));
    if (partial) v.kind = ValueKind::kJsonDiff;
  }
  return absl::OkStatus();
}

absl::Status RowIterator::Next(RowChange& change) {
  if (event_.table == nullptr) return cursor_.Corrupt("rows without a table");
  if (event_.pre_ga) {
    return absl::UnimplementedError(absl::StrCat(
        "row images of a MySQL 5.1 preview's PRE_GA rows event at offset ",
        cursor_.absolute_offset(), " depend on the table's record layout and are not decoded"));
  }
  const size_t start = cursor_.position();
  RETURN_IF_ERROR(NextImages(change));
  // A row image without columns consumes no bytes; the rest of the event could never be
  // consumed (servers never write one).
  if (cursor_.position() == start) return cursor_.Corrupt("row image with no columns");
  return absl::OkStatus();
}

absl::Status RowIterator::NextImages(RowChange& change) {
  change.op = event_.op;
  switch (event_.op) {
    case RowOp::kInsert:
      change.before.clear();
      return ReadImage(event_.present_before, /*after_image=*/true, change.after);
    case RowOp::kDelete:
      change.after.clear();
      return ReadImage(event_.present_before, /*after_image=*/false, change.before);
    case RowOp::kUpdate:
      RETURN_IF_ERROR(ReadImage(event_.present_before, /*after_image=*/false, change.before));
      return ReadImage(event_.present_after, /*after_image=*/true, change.after);
  }
  return absl::OkStatus();
}

}  // namespace dcp::mysql::binlog
