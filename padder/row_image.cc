#include "padder/row_image.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "mysql/binlog/value.h"
#include "util/json.h"
#include "util/status_macros.h"
#include "verifier/json.h"

namespace dcp::padder {
namespace {

namespace bl = ::dcp::mysql::binlog;
using mysql::Param;
using verifier::ValueJson;

// A decoded value as a typed parameter, normalized for the target column.
absl::StatusOr<std::optional<Param>> ToParam(const bl::ColumnDef& col, const bl::Value& v,
                                             const TableInfo& t, size_t idx) {
  Param p;
  switch (v.kind) {
    case bl::ValueKind::kAbsent:
      return std::nullopt;
    case bl::ValueKind::kNull:
      return Param::Null();
    case bl::ValueKind::kInt:
      if (t.unsigned_bits[idx] > 0) {
        const int bits = t.unsigned_bits[idx];
        const uint64_t mask = bits == 64 ? ~uint64_t{0} : ((uint64_t{1} << bits) - 1);
        return Param::Uint(static_cast<uint64_t>(v.i) & mask);
      }
      return Param::Int(v.i);
    case bl::ValueKind::kUint:
    case bl::ValueKind::kYear:
    case bl::ValueKind::kEnum:
    case bl::ValueKind::kSet:
    case bl::ValueKind::kBit:
      return Param::Uint(v.u);
    case bl::ValueKind::kFloat:
      return Param::Float(v.f);
    case bl::ValueKind::kDouble:
      return Param::Double(v.d);
    case bl::ValueKind::kDecimal: {
      std::string s;
      RETURN_IF_ERROR(bl::AppendDecimal(v.bytes, v.precision, v.scale, &s));
      return Param::Decimal(std::move(s));
    }
    case bl::ValueKind::kDate:
    case bl::ValueKind::kTime:
    case bl::ValueKind::kDateTime:
    case bl::ValueKind::kTimestamp: {
      bl::Temporal tm = v.temporal;
      p.kind = Param::Kind::kDateTime;
      if (v.kind == bl::ValueKind::kDate) p.kind = Param::Kind::kDate;
      if (v.kind == bl::ValueKind::kTime) p.kind = Param::Kind::kTime;
      if (v.kind == bl::ValueKind::kTimestamp) {
        // 0 is the zero TIMESTAMP; anything else is seconds since the epoch, sent in UTC.
        tm = v.u == 0 && v.temporal.microsecond == 0
                 ? bl::Temporal()
                 : bl::TemporalFromUnix(v.u, v.temporal.microsecond);
      }
      p.year = tm.year;
      p.month = tm.month;
      p.day = tm.day;
      p.hour = tm.hour;
      p.minute = tm.minute;
      p.second = tm.second;
      p.microsecond = tm.microsecond;
      p.negative = tm.negative;
      return p;
    }
    case bl::ValueKind::kString:
    case bl::ValueKind::kBlob:
    case bl::ValueKind::kGeometry:
    case bl::ValueKind::kVector: {
      std::string bytes(v.bytes);
      // BINARY(N) and UUID values are logged without their trailing zero bytes.
      if (t.pad_to[idx] > 0 && bytes.size() < static_cast<size_t>(t.pad_to[idx])) {
        bytes.resize(t.pad_to[idx], '\0');
      }
      return Param::Bytes(std::move(bytes));
    }
    case bl::ValueKind::kJson: {
      std::string s;
      RETURN_IF_ERROR(bl::AppendText(v, &s));
      return Param::Text(std::move(s));
    }
    case bl::ValueKind::kJsonDiff:
      return absl::UnimplementedError(
          absl::StrCat("column ", col.name,
                       ": partial JSON updates (binlog_row_value_options="
                       "PARTIAL_JSON) cannot be replayed"));
  }
  return std::nullopt;
}

std::string ParamJson(const Param& p) {
  switch (p.kind) {
    case Param::Kind::kNull:
      return "null";
    case Param::Kind::kInt:
    case Param::Kind::kUint:
    case Param::Kind::kFloat:
    case Param::Kind::kDouble:
      return p.ToString();
    default:
      return ValueJson(p.ToString());
  }
}

}  // namespace

std::string ImageJson(const TableInfo& t, const Image& image, bool key_only) {
  std::vector<std::string> parts;
  auto add = [&](size_t k) {
    if (k >= image.size() || !image[k].has_value()) return;
    parts.push_back(absl::StrCat(json::Quote(t.columns[k]), ":", ParamJson(*image[k])));
  };
  if (key_only && !t.key.empty()) {
    for (size_t k : t.key) add(k);
  } else {
    for (size_t k = 0; k < image.size() && k < t.columns.size(); ++k) add(k);
  }
  return absl::StrCat("{", absl::StrJoin(parts, ","), "}");
}

absl::StatusOr<Image> ConvertRow(const bl::TableMap& map, const std::vector<bl::Value>& values,
                                 const TableInfo& info) {
  Image image;
  if (values.empty()) return image;
  image.resize(info.columns.size());
  for (size_t i = 0; i < values.size() && i < info.columns.size(); ++i) {
    ASSIGN_OR_RETURN(image[i], ToParam(map.columns[i], values[i], info, i));
  }
  return image;
}

}  // namespace dcp::padder
