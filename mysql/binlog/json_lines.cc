#include "mysql/binlog/json_lines.h"

#include <cmath>
#include <cstring>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "mysql/binlog/json_binary.h"
#include "util/json.h"
#include "util/status_macros.h"

namespace dcp::mysql::binlog {
namespace {

constexpr uint64_t kMaxExactDouble = 1ull << 53;
constexpr uint16_t kBinaryCollation = 63;

// An integer as a JSON number, or as a string when it is `beyond_double` (beyond ±2^53,
// where readers that parse numbers as doubles would round it).
template <typename T>
void AppendInteger(T v, bool beyond_double, std::string* out) {
  if (beyond_double) out->push_back('"');
  AppendNumber(v, out);
  if (beyond_double) out->push_back('"');
}

void AppendBase64(absl::string_view bytes, std::string* out) {
  out->append("{\"base64\":\"");
  out->append(absl::Base64Escape(bytes));
  out->append("\"}");
}

void AppendQuotedText(const Value& v, std::string* out) {
  out->push_back('"');
  // AppendText cannot fail for temporal kinds.
  (void)AppendText(v, out);
  out->push_back('"');
}

// FLOAT, DOUBLE: a number; NaN and the infinities, which JSON has no numbers for, as strings.
template <typename F>
void AppendFloat(F f, std::string* out) {
  if (!std::isfinite(f)) {
    out->append(f != f ? "\"NaN\"" : (f > 0 ? "\"Infinity\"" : "\"-Infinity\""));
  } else {
    AppendNumber(f, out);
  }
}

// CHAR, VARCHAR, TEXT, BINARY, BLOB: a string when the bytes are text in UTF-8, else base64.
void AppendStringOrBase64(const ColumnDef& col, const Value& v, std::string* out) {
  if (v.kind == ValueKind::kString && col.real_type == ColumnType::kString &&
      v.charset == kBinaryCollation && v.bytes.size() < col.max_length) {
    // BINARY(N) is logged without its trailing zero bytes; SELECT returns N bytes.
    std::string padded(v.bytes);
    padded.resize(col.max_length, '\0');
    AppendBase64(padded, out);
    return;
  }
  if (v.charset == kBinaryCollation || !json::AppendStringIfUtf8(v.bytes, out)) {
    AppendBase64(v.bytes, out);
  }
}

// ENUM: the member's string when the table map has them, else the index.
void AppendEnum(const ColumnDef& col, uint64_t index, std::string* out) {
  if (index >= 1 && index <= col.enum_values.size()) {
    json::AppendString(col.enum_values[index - 1], out);
  } else if (index == 0 && !col.enum_values.empty()) {
    out->append("\"\"");
  } else {
    AppendNumber(index, out);
  }
}

// SET: the members joined with ',' when the table map has them, else the bitmask.
void AppendSet(const ColumnDef& col, uint64_t bits, std::string* out) {
  if (col.enum_values.empty()) {
    AppendNumber(bits, out);
    return;
  }
  std::string s;
  for (size_t i = 0; i < col.enum_values.size() && i < 64; ++i) {
    if ((bits >> i) & 1) {
      if (!s.empty()) s.push_back(',');
      s.append(col.enum_values[i]);
    }
  }
  json::AppendString(s, out);
}

// VECTOR: an array of the little-endian float32s (null for the non-finite ones).
absl::Status AppendVector(absl::string_view bytes, std::string* out) {
  if (bytes.size() % 4 != 0) return absl::DataLossError("VECTOR length not a multiple of 4");
  out->push_back('[');
  for (size_t i = 0; i < bytes.size(); i += 4) {
    float f;
    std::memcpy(&f, bytes.data() + i, 4);
    if (i > 0) out->push_back(',');
    if (std::isfinite(f)) {
      AppendNumber(f, out);
    } else {
      out->append("null");
    }
  }
  out->push_back(']');
  return absl::OkStatus();
}

}  // namespace

absl::Status AppendValueJson(const ColumnDef& col, const Value& v, std::string* out) {
  switch (v.kind) {
    case ValueKind::kAbsent:
    case ValueKind::kNull:
      out->append("null");
      return absl::OkStatus();
    case ValueKind::kInt:
      AppendInteger(v.i,
                    v.i > static_cast<int64_t>(kMaxExactDouble) ||
                        v.i < -static_cast<int64_t>(kMaxExactDouble),
                    out);
      return absl::OkStatus();
    case ValueKind::kUint:
    case ValueKind::kBit:
      AppendInteger(v.u, v.u > kMaxExactDouble, out);
      return absl::OkStatus();
    case ValueKind::kYear:
      AppendNumber(v.u, out);
      return absl::OkStatus();
    case ValueKind::kFloat:
      AppendFloat(v.f, out);
      return absl::OkStatus();
    case ValueKind::kDouble:
      AppendFloat(v.d, out);
      return absl::OkStatus();
    case ValueKind::kDecimal:
      out->push_back('"');
      RETURN_IF_ERROR(AppendDecimal(v.bytes, v.precision, v.scale, out));
      out->push_back('"');
      return absl::OkStatus();
    case ValueKind::kDate:
    case ValueKind::kTime:
    case ValueKind::kDateTime:
    case ValueKind::kTimestamp:
      AppendQuotedText(v, out);
      return absl::OkStatus();
    case ValueKind::kString:
    case ValueKind::kBlob:
      AppendStringOrBase64(col, v, out);
      return absl::OkStatus();
    case ValueKind::kGeometry:
      AppendBase64(v.bytes, out);
      return absl::OkStatus();
    case ValueKind::kEnum:
      AppendEnum(col, v.u, out);
      return absl::OkStatus();
    case ValueKind::kSet:
      AppendSet(col, v.u, out);
      return absl::OkStatus();
    case ValueKind::kJson:
      return AppendJsonFromBinary(v.bytes, out);
    case ValueKind::kJsonDiff:
      return AppendJsonDiff(v.bytes, out);
    case ValueKind::kVector:
      return AppendVector(v.bytes, out);
  }
  return absl::OkStatus();
}

namespace {

absl::Status AppendImage(const TableMap& table, const std::vector<Value>& image, std::string* out) {
  out->push_back('{');
  bool first = true;
  for (size_t i = 0; i < image.size(); ++i) {
    if (image[i].kind == ValueKind::kAbsent) continue;
    if (!first) out->push_back(',');
    first = false;
    const ColumnDef& col = table.columns[i];
    if (!col.name.empty()) {
      json::AppendString(col.name, out);
    } else {
      out->append("\"@");
      AppendNumber(i + 1, out);
      out->push_back('"');
    }
    out->push_back(':');
    RETURN_IF_ERROR(AppendValueJson(col, image[i], out));
  }
  out->push_back('}');
  return absl::OkStatus();
}

}  // namespace

absl::Status AppendRowJson(const RowContext& ctx, const RowChange& change, std::string* out) {
  out->append("{\"pos\":\"");
  out->append(ctx.file.data(), ctx.file.size());  // binlog names are plain ASCII
  out->push_back(':');
  AppendNumber(ctx.offset, out);
  out->push_back('"');
  out->append(",\"gtid\":");
  if (ctx.gtid.empty()) {
    out->append("null");
  } else {
    json::AppendString(ctx.gtid, out);
  }
  out->append(",\"ts\":");
  AppendNumber(ctx.timestamp, out);
  out->append(",\"op\":");
  switch (change.op) {
    case RowOp::kInsert:
      out->append("\"insert\"");
      break;
    case RowOp::kUpdate:
      out->append("\"update\"");
      break;
    case RowOp::kDelete:
      out->append("\"delete\"");
      break;
  }
  out->append(",\"db\":");
  json::AppendString(ctx.table->schema, out);
  out->append(",\"table\":");
  json::AppendString(ctx.table->table, out);
  if (change.op != RowOp::kInsert) {
    out->append(",\"before\":");
    RETURN_IF_ERROR(AppendImage(*ctx.table, change.before, out));
  }
  if (change.op != RowOp::kDelete) {
    out->append(",\"after\":");
    RETURN_IF_ERROR(AppendImage(*ctx.table, change.after, out));
  }
  out->append("}\n");
  return absl::OkStatus();
}

}  // namespace dcp::mysql::binlog
