#include "mysql/binlog/json_binary.h"

#include <cstdint>
#include <cstring>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "mysql/binlog/cursor.h"
#include "mysql/binlog/value.h"
#include "util/json.h"
#include "util/status_macros.h"

namespace dcp::mysql::binlog {
namespace {

enum JsonType : uint8_t {
  kSmallObject = 0x00,
  kLargeObject = 0x01,
  kSmallArray = 0x02,
  kLargeArray = 0x03,
  kLiteral = 0x04,
  kInt16 = 0x05,
  kUint16 = 0x06,
  kInt32 = 0x07,
  kUint32 = 0x08,
  kInt64 = 0x09,
  kUint64 = 0x0a,
  kDouble = 0x0b,
  kString = 0x0c,
  kOpaque = 0x0f,
};

constexpr int kMaxDepth = 150;

absl::Status Corrupt(absl::string_view what) {
  return absl::DataLossError(absl::StrCat("corrupt binary JSON: ", what));
}

// The variable-length length: 7 bits per byte, low groups first, at most 5 bytes.
absl::StatusOr<uint32_t> ReadVarLength(Cursor& c) {
  uint64_t len = 0;
  for (int i = 0; i < 5; ++i) {
    ASSIGN_OR_RETURN(uint8_t b, c.U8("JSON length"));
    len |= static_cast<uint64_t>(b & 0x7f) << (7 * i);
    if ((b & 0x80) == 0) {
      if (len > UINT32_MAX) return Corrupt("length too large");
      return static_cast<uint32_t>(len);
    }
  }
  return Corrupt("length longer than 5 bytes");
}

void AppendPackedTemporal(uint8_t field_type, int64_t packed, std::string* out) {
  const bool negative = packed < 0;
  const uint64_t magnitude =
      negative ? 0 - static_cast<uint64_t>(packed) : static_cast<uint64_t>(packed);
  const uint64_t intpart = magnitude >> 24;
  const bool time = field_type == static_cast<uint8_t>(ColumnType::kTime);
  Temporal t = time ? TimeFromPacked(intpart) : DateTimeFromPacked(intpart);
  t.negative = negative;
  t.microsecond = static_cast<uint32_t>(magnitude % (1 << 24));
  out->push_back('"');
  if (time) {
    AppendTime(t, 6, out);
  } else if (field_type == static_cast<uint8_t>(ColumnType::kDate)) {
    AppendDate(t, out);
  } else {
    AppendDateTime(t, 6, out);
  }
  out->push_back('"');
}

class JsonPrinter {
 public:
  explicit JsonPrinter(std::string* out) : out_(out) {}

  // A value of `type` whose data starts at `data` (the rest of the enclosing buffer).
  absl::Status Value(uint8_t type, absl::string_view data, int depth) {
    if (depth > kMaxDepth) return Corrupt("nesting too deep");
    Cursor c(data);
    switch (type) {
      case kSmallObject:
      case kLargeObject:
        return Container(data, /*large=*/type == kLargeObject, /*object=*/true, depth);
      case kSmallArray:
      case kLargeArray:
        return Container(data, /*large=*/type == kLargeArray, /*object=*/false, depth);
      case kLiteral: {
        ASSIGN_OR_RETURN(uint8_t lit, c.U8("JSON literal"));
        return Literal(lit);
      }
      case kInt16:
        return Integer<int16_t>(c, "JSON int16");
      case kUint16:
        return Integer<uint16_t>(c, "JSON uint16");
      case kInt32:
        return Integer<int32_t>(c, "JSON int32");
      case kUint32:
        return Integer<uint32_t>(c, "JSON uint32");
      case kInt64:
        return Integer<int64_t>(c, "JSON int64");
      case kUint64:
        return Integer<uint64_t>(c, "JSON uint64");
      case kDouble: {
        ASSIGN_OR_RETURN(uint64_t bits, c.U64("JSON double"));
        double d;
        std::memcpy(&d, &bits, sizeof(d));
        const size_t start = out_->size();
        AppendNumber(d, out_);
        // MySQL prints integral doubles with ".0" (e.g. 3.0); keep them recognisably doubles.
        if (out_->find_first_of(".eEn", start) == std::string::npos) out_->append(".0");
        return absl::OkStatus();
      }
      case kString: {
        ASSIGN_OR_RETURN(uint32_t len, ReadVarLength(c));
        ASSIGN_OR_RETURN(absl::string_view s, c.Bytes(len, "JSON string"));
        json::AppendString(s, out_);
        return absl::OkStatus();
      }
      case kOpaque: {
        ASSIGN_OR_RETURN(uint8_t field_type, c.U8("JSON opaque type"));
        ASSIGN_OR_RETURN(uint32_t len, ReadVarLength(c));
        ASSIGN_OR_RETURN(absl::string_view s, c.Bytes(len, "JSON opaque"));
        return Opaque(field_type, s);
      }
      default:
        return Corrupt(absl::StrCat("unknown value type ", type));
    }
  }

 private:
  absl::Status Literal(uint8_t lit) {
    switch (lit) {
      case 0:
        out_->append("null");
        return absl::OkStatus();
      case 1:
        out_->append("true");
        return absl::OkStatus();
      case 2:
        out_->append("false");
        return absl::OkStatus();
    }
    return Corrupt(absl::StrCat("unknown literal ", lit));
  }
  // An integer of type T, stored in sizeof(T) little-endian bytes.
  template <typename T>
  absl::Status Integer(Cursor& c, absl::string_view what) {
    ASSIGN_OR_RETURN(uint64_t raw, c.UintLe(sizeof(T), what));
    AppendNumber(static_cast<T>(raw), out_);
    return absl::OkStatus();
  }

  absl::Status Opaque(uint8_t field_type, absl::string_view s) {
    Cursor c(s);
    switch (static_cast<ColumnType>(field_type)) {
      case ColumnType::kNewDecimal: {
        ASSIGN_OR_RETURN(uint8_t precision, c.U8("JSON decimal precision"));
        ASSIGN_OR_RETURN(uint8_t scale, c.U8("JSON decimal scale"));
        const int size = DecimalBinarySize(precision, scale);
        if (size == 0) return Corrupt("bad decimal precision/scale");
        ASSIGN_OR_RETURN(absl::string_view bin, c.Bytes(size, "JSON decimal"));
        return AppendDecimal(bin, precision, scale, out_);
      }
      case ColumnType::kDate:
      case ColumnType::kTime:
      case ColumnType::kDateTime:
      case ColumnType::kTimestamp: {
        ASSIGN_OR_RETURN(uint64_t packed, c.U64("JSON temporal"));
        AppendPackedTemporal(field_type, static_cast<int64_t>(packed), out_);
        return absl::OkStatus();
      }
      default:
        absl::StrAppend(out_, "\"base64:type", field_type, ":", absl::Base64Escape(s), "\"");
        return absl::OkStatus();
    }
  }

  absl::Status Container(absl::string_view data, bool large, bool object, int depth) {
    Cursor c(data);
    const size_t offset_size = large ? 4 : 2;
    ASSIGN_OR_RETURN(uint64_t count, c.UintLe(offset_size, "JSON element count"));
    ASSIGN_OR_RETURN(uint64_t size, c.UintLe(offset_size, "JSON container size"));
    if (size > data.size()) return Corrupt("container larger than its buffer");
    data = data.substr(0, size);
    const size_t key_entry = offset_size + 2;
    const size_t value_entry = 1 + offset_size;
    const uint64_t header = 2 * offset_size + count * ((object ? key_entry : 0) + value_entry);
    if (count > size || header > size) return Corrupt("element count exceeds container size");
    const size_t values_at = 2 * offset_size + (object ? count * key_entry : 0);
    out_->push_back(object ? '{' : '[');
    for (uint64_t i = 0; i < count; ++i) {
      if (i > 0) out_->append(", ");
      if (object) {
        Cursor k(data.substr(2 * offset_size + i * key_entry));
        ASSIGN_OR_RETURN(uint64_t key_offset, k.UintLe(offset_size, "JSON key offset"));
        ASSIGN_OR_RETURN(uint16_t key_len, k.U16("JSON key length"));
        if (key_offset > size || key_len > size - key_offset) return Corrupt("key out of range");
        json::AppendString(data.substr(key_offset, key_len), out_);
        out_->append(": ");
      }
      Cursor v(data.substr(values_at + i * value_entry));
      ASSIGN_OR_RETURN(uint8_t type, v.U8("JSON value type"));
      const bool inlined = type == kLiteral || type == kInt16 || type == kUint16 ||
                           (large && (type == kInt32 || type == kUint32));
      if (inlined) {
        RETURN_IF_ERROR(
            Value(type, data.substr(values_at + i * value_entry + 1, offset_size), depth + 1));
      } else {
        ASSIGN_OR_RETURN(uint64_t value_offset, v.UintLe(offset_size, "JSON value offset"));
        if (value_offset >= size) return Corrupt("value offset out of range");
        RETURN_IF_ERROR(Value(type, data.substr(value_offset), depth + 1));
      }
    }
    out_->push_back(object ? '}' : ']');
    return absl::OkStatus();
  }

  std::string* out_;
};

}  // namespace

absl::Status AppendJsonFromBinary(absl::string_view bin, std::string* out) {
  if (bin.empty()) {
    out->append("null");
    return absl::OkStatus();
  }
  JsonPrinter p(out);
  return p.Value(static_cast<uint8_t>(bin[0]), bin.substr(1), 0);
}

absl::Status AppendJsonDiff(absl::string_view diffs, std::string* out) {
  Cursor c(diffs);
  out->append("{\"json_diff\":[");
  bool first = true;
  while (!c.empty()) {
    ASSIGN_OR_RETURN(uint8_t op, c.U8("JSON diff operation"));
    if (op > 2) return Corrupt(absl::StrCat("unknown JSON diff operation ", op));
    ASSIGN_OR_RETURN(absl::string_view path, c.PackedString("JSON diff path"));
    if (!first) out->push_back(',');
    first = false;
    static constexpr const char* kOps[] = {"replace", "insert", "remove"};
    absl::StrAppend(out, "{\"op\":\"", kOps[op], "\",\"path\":");
    json::AppendString(path, out);
    if (op != 2) {
      ASSIGN_OR_RETURN(absl::string_view value, c.PackedString("JSON diff value"));
      out->append(",\"value\":");
      RETURN_IF_ERROR(AppendJsonFromBinary(value, out));
    }
    out->push_back('}');
  }
  out->append("]}");
  return absl::OkStatus();
}

}  // namespace dcp::mysql::binlog
