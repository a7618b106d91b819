#include "collector/row_encoder.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "util/status_macros.h"
#include "util/json.h"

namespace dcp::collector {

using mysql::binlog::ColumnType;
using mysql::binlog::Value;
using mysql::binlog::ValueKind;

namespace {

// Width in bytes of an integer binlog type, for re-reading a signed value as unsigned when
// the binlog carried no signedness metadata.
int IntegerWidth(ColumnType t) {
  switch (t) {
    case ColumnType::kTiny: return 1;
    case ColumnType::kShort: return 2;
    case ColumnType::kInt24: return 3;
    case ColumnType::kLong: return 4;
    case ColumnType::kLongLong: return 8;
    default: return 0;
  }
}

// Whether a binlog column type can hold a column of information_schema DATA_TYPE `dt`.
bool Compatible(ColumnType t, const std::string& dt) {
  switch (t) {
    case ColumnType::kTiny: return dt == "tinyint" || dt == "bool" || dt == "boolean";
    case ColumnType::kShort: return dt == "smallint";
    case ColumnType::kInt24: return dt == "mediumint";
    case ColumnType::kLong: return dt == "int" || dt == "integer";
    case ColumnType::kLongLong: return dt == "bigint";
    case ColumnType::kFloat: return dt == "float";
    case ColumnType::kDouble: return dt == "double" || dt == "real" || dt == "double precision";
    case ColumnType::kNewDecimal:
    case ColumnType::kDecimal: return dt == "decimal" || dt == "numeric";
    case ColumnType::kYear: return dt == "year";
    case ColumnType::kDate:
    case ColumnType::kNewDate: return dt == "date";
    case ColumnType::kTime:
    case ColumnType::kTime2: return dt == "time";
    case ColumnType::kDateTime:
    case ColumnType::kDateTime2: return dt == "datetime";
    case ColumnType::kTimestamp:
    case ColumnType::kTimestamp2: return dt == "timestamp";
    case ColumnType::kBit: return dt == "bit";
    case ColumnType::kJson: return dt == "json";
    case ColumnType::kVector: return dt == "vector";
    case ColumnType::kGeometry:
      return dt == "geometry" || dt == "point" || dt == "linestring" || dt == "polygon" ||
             dt == "multipoint" || dt == "multilinestring" || dt == "multipolygon" ||
             dt == "geometrycollection" || dt == "geomcollection";
    case ColumnType::kVarchar:
    case ColumnType::kVarString:
      return dt == "varchar" || dt == "varbinary" || dt == "inet6" || dt == "inet4";
    case ColumnType::kString:
    case ColumnType::kEnum:
    case ColumnType::kSet:
      return dt == "char" || dt == "binary" || dt == "enum" || dt == "set" || dt == "uuid" ||
             dt == "inet6" || dt == "inet4";
    case ColumnType::kBlob:
    case ColumnType::kTinyBlob:
    case ColumnType::kMediumBlob:
    case ColumnType::kLongBlob:
      // MariaDB reports JSON columns as longtext.
      return absl::EndsWith(dt, "blob") || absl::EndsWith(dt, "text") || dt == "json";
    default: return false;
  }
}

std::string ValueText(const Value& v) {
  std::string out;
  // Only DECIMAL and JSON can fail, and those paths check the status themselves.
  mysql::binlog::AppendText(v, &out).IgnoreError();
  return out;
}

}  // namespace

std::vector<std::string> ParseEnumLabels(absl::string_view column_type) {
  std::vector<std::string> labels;
  size_t open = column_type.find('(');
  if (open == absl::string_view::npos) return labels;
  size_t i = open + 1;
  while (i < column_type.size() && column_type[i] == '\'') {
    std::string label;
    ++i;
    while (i < column_type.size()) {
      if (column_type[i] == '\'') {
        if (i + 1 < column_type.size() && column_type[i + 1] == '\'') {
          label.push_back('\'');
          i += 2;
          continue;
        }
        ++i;
        break;
      }
      if (column_type[i] == '\\' && i + 1 < column_type.size()) ++i;
      label.push_back(column_type[i++]);
    }
    labels.push_back(std::move(label));
    if (i < column_type.size() && column_type[i] == ',') ++i;
  }
  return labels;
}

absl::StatusOr<std::vector<std::string>> MariaDbJsonColumns(mysql::Connection& conn,
                                                            absl::string_view schema,
                                                            absl::string_view table) {
  std::vector<std::string> out;
  if (!conn.IsMariaDb()) return out;
  ASSIGN_OR_RETURN(mysql::ResultSet rs,
                   conn.Query(absl::StrCat("SELECT CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS"
                                           " WHERE CONSTRAINT_SCHEMA = ", conn.Quote(schema),
                                           " AND TABLE_NAME = ", conn.Quote(table))));
  for (const mysql::Row& row : rs.rows) {
    // The clause MariaDB generates for a JSON column is exactly json_valid(`col`).
    const std::string clause = row[0].value_or("");
    constexpr absl::string_view kPrefix = "json_valid(`";
    if (absl::StartsWith(clause, kPrefix) && absl::EndsWith(clause, "`)")) {
      out.push_back(clause.substr(kPrefix.size(), clause.size() - kPrefix.size() - 2));
    }
  }
  return out;
}

absl::StatusOr<TableEncoder> TableEncoder::Create(const mysql::TableSchema& schema,
                                                  const TagRule& rule,
                                                  const std::vector<std::string>& json_columns) {
  TableEncoder e;
  e.table_ = schema.QualifiedName();
  e.compared_name_ = TagMatcher::ComparedName(rule, schema.schema, schema.name);
  for (const mysql::ColumnSchema& c : schema.columns) {
    Column col;
    col.name = absl::AsciiStrToLower(c.name);
    col.data_type = c.data_type;
    for (const std::string& j : json_columns) {
      if (absl::EqualsIgnoreCase(j, c.name)) col.data_type = "json";
    }
    col.is_unsigned = absl::StrContains(c.column_type, "unsigned");
    col.binary = c.IsBinary() || c.charset.value_or("") == "binary";
    col.ignored = TagMatcher::IgnoresColumn(rule, schema.schema, schema.name, c.name);
    if (c.data_type == "enum" || c.data_type == "set") col.labels = ParseEnumLabels(c.column_type);
    col.text = col.binary                  ? Column::Text::kBinary
               : col.data_type == "json" ? Column::Text::kJson
               : col.data_type == "char" ? Column::Text::kChar
                                         : Column::Text::kText;
    e.columns_.push_back(std::move(col));
  }
  std::vector<std::string> key_names;
  if (auto over = TagMatcher::KeyColumns(rule, schema.schema, schema.name)) {
    key_names = *over;
  } else if (auto key = schema.RowKey()) {
    key_names = key->ColumnNames();
  } else {
    return absl::FailedPreconditionError(absl::StrCat(
        e.table_, " has no primary key and no unique NOT NULL key: give its key columns with "
                  "key-columns = { \"", e.table_, "\" = [\"col\", ...] } in the tag"));
  }
  for (const std::string& k : key_names) {
    const std::string lower = absl::AsciiStrToLower(k);
    size_t idx = e.columns_.size();
    for (size_t i = 0; i < e.columns_.size(); ++i) {
      if (e.columns_[i].name == lower) idx = i;
    }
    if (idx == e.columns_.size()) {
      return absl::FailedPreconditionError(
          absl::StrCat(e.table_, ": key column ", k, " does not exist"));
    }
    e.key_.push_back(idx);
  }
  std::vector<size_t> order;
  for (size_t i = 0; i < e.columns_.size(); ++i) {
    if (!e.columns_[i].ignored) order.push_back(i);
  }
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return e.columns_[a].name < e.columns_[b].name;
  });
  for (size_t i : order) {
    std::string prefix(e.content_.empty() ? "{" : ",");
    json::AppendString(e.columns_[i].name, &prefix);
    prefix.push_back(':');
    e.content_.emplace_back(i, std::move(prefix));
  }
  e.key_prefix_ = "[";
  json::AppendString(e.compared_name_, &e.key_prefix_);
  return e;
}

absl::Status TableEncoder::CheckTableMap(const mysql::binlog::TableMap& map) const {
  if (map.columns.size() != columns_.size()) {
    return absl::FailedPreconditionError(absl::StrCat(
        table_, ": the binlog has ", map.columns.size(), " columns but the schema read has ",
        columns_.size(), " (a DDL the collector has not seen yet?)"));
  }
  for (size_t i = 0; i < columns_.size(); ++i) {
    const auto& mc = map.columns[i];
    const ColumnType t = mc.real_type != ColumnType::kNull ? mc.real_type : mc.type;
    if (!Compatible(t, columns_[i].data_type) && !Compatible(mc.type, columns_[i].data_type)) {
      return absl::FailedPreconditionError(absl::StrCat(
          table_, ": column ", i + 1, " (", columns_[i].name, ") is ",
          columns_[i].data_type, " in the schema read but ",
          mysql::binlog::ColumnTypeName(t), " in the binlog"));
    }
    if (!mc.name.empty() && absl::AsciiStrToLower(mc.name) != columns_[i].name) {
      return absl::FailedPreconditionError(absl::StrCat(table_, ": column ", i + 1, " is ",
                                                        mc.name, " in the binlog but ",
                                                        columns_[i].name, " in the schema read"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<encoding::Value> TableEncoder::CanonicalValue(const std::vector<Value>& image,
                                                             size_t index) const {
  if (index >= image.size() || index >= columns_.size()) {
    return absl::FailedPreconditionError(
        absl::StrCat(table_, ": row image has ", image.size(), " columns, schema ",
                     columns_.size()));
  }
  const Value& v = image[index];
  const Column& col = columns_[index];
  switch (v.kind) {
    case ValueKind::kAbsent:
      return absl::FailedPreconditionError(absl::StrCat(
          table_, ".", col.name,
          " is missing from the row image: the server must log FULL row images "
          "(binlog_row_image=FULL)"));
    case ValueKind::kNull:
      return std::nullopt;
    case ValueKind::kInt: {
      const int width = IntegerWidth(v.type);
      if (col.is_unsigned && v.i < 0 && width > 0 && width < 8) {
        return encoding::Unsigned(static_cast<uint64_t>(v.i + (int64_t{1} << (8 * width))));
      }
      if (col.is_unsigned && v.i < 0 && width == 8) {
        return encoding::Unsigned(static_cast<uint64_t>(v.i));
      }
      return encoding::Integer(v.i);
    }
    case ValueKind::kUint:
    case ValueKind::kYear:
    case ValueKind::kBit:
      return encoding::Unsigned(v.u);
    case ValueKind::kFloat:
      return encoding::Float(v.f);
    case ValueKind::kDouble:
      return encoding::Double(v.d);
    case ValueKind::kDecimal: {
      std::string text;
      RETURN_IF_ERROR(mysql::binlog::AppendText(v, &text));
      return encoding::Decimal(text);
    }
    case ValueKind::kDate:
      return encoding::Date(ValueText(v));
    case ValueKind::kTime:
      return encoding::Time(ValueText(v));
    case ValueKind::kDateTime:
    case ValueKind::kTimestamp:
      return encoding::DateTime(ValueText(v));
    case ValueKind::kString:
    case ValueKind::kBlob:
      switch (col.text) {
        case Column::Text::kBinary:
          return encoding::Binary(v.bytes);
        case Column::Text::kChar:
          return encoding::Char(v.bytes);
        case Column::Text::kJson:
          return encoding::Json(v.bytes);  // MariaDB: JSON is text
        case Column::Text::kText:
          break;
      }
      return encoding::Text(v.bytes);
    case ValueKind::kEnum: {
      if (v.u == 0) return encoding::Text("");
      if (v.u > col.labels.size()) {
        return absl::FailedPreconditionError(absl::StrCat(
            table_, ".", col.name, ": ENUM index ", v.u, " beyond the ", col.labels.size(),
            " labels of the schema read (a DDL the collector has not seen yet?)"));
      }
      return encoding::Text(col.labels[v.u - 1]);
    }
    case ValueKind::kSet: {
      std::vector<absl::string_view> parts;
      for (size_t bit = 0; bit < 64; ++bit) {
        if ((v.u >> bit) & 1) {
          if (bit >= col.labels.size()) {
            return absl::FailedPreconditionError(absl::StrCat(
                table_, ".", col.name, ": SET bit ", bit, " beyond the schema's labels"));
          }
          parts.push_back(col.labels[bit]);
        }
      }
      return encoding::Text(absl::StrJoin(parts, ","));
    }
    case ValueKind::kJson: {
      std::string text;
      RETURN_IF_ERROR(mysql::binlog::AppendText(v, &text));
      return encoding::Json(text);
    }
    case ValueKind::kGeometry:
    case ValueKind::kVector:
      return encoding::Binary(v.bytes);
    case ValueKind::kJsonDiff:
      return absl::FailedPreconditionError(absl::StrCat(
          table_, ".", col.name,
          " is logged as a partial JSON update; dcp needs whole values: SET GLOBAL "
          "binlog_row_value_options = ''"));
  }
  return absl::InternalError("unhandled value kind");
}

absl::Status TableEncoder::AppendCanonical(const std::vector<Value>& image, size_t index,
                                           std::string* out) const {
  if (index < image.size() && index < columns_.size()) {
    const Value& v = image[index];
    const Column& col = columns_[index];
    switch (v.kind) {
      case ValueKind::kNull:
        out->append("null");
        return absl::OkStatus();
      case ValueKind::kUint:
      case ValueKind::kYear:
      case ValueKind::kBit:
        absl::StrAppend(out, "\"n:", v.u, "\"");
        return absl::OkStatus();
      case ValueKind::kInt:
        if (!col.is_unsigned || v.i >= 0) {
          absl::StrAppend(out, "\"n:", v.i, "\"");
          return absl::OkStatus();
        }
        break;
      case ValueKind::kString:
      case ValueKind::kBlob:
        if (col.text == Column::Text::kText || col.text == Column::Text::kChar) {
          absl::string_view text = v.bytes;
          if (col.text == Column::Text::kChar) {
            while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
          }
          out->append("\"s:");
          json::AppendEscaped(text, out);
          out->push_back('"');
          return absl::OkStatus();
        }
        break;
      default:
        break;
    }
  }
  ASSIGN_OR_RETURN(encoding::Value canonical, CanonicalValue(image, index));
  if (canonical) {
    json::AppendString(*canonical, out);
  } else {
    out->append("null");
  }
  return absl::OkStatus();
}

absl::Status TableEncoder::KeyInto(const std::vector<Value>& image, std::string* out) const {
  out->assign(key_prefix_);
  for (size_t idx : key_) {
    out->push_back(',');
    RETURN_IF_ERROR(AppendCanonical(image, idx, out));
  }
  out->push_back(']');
  return absl::OkStatus();
}

absl::StatusOr<std::string> TableEncoder::Key(const std::vector<Value>& image) const {
  std::string out;
  RETURN_IF_ERROR(KeyInto(image, &out));
  return out;
}

absl::Status TableEncoder::EncodeRowInto(const std::vector<Value>& image, std::string* key,
                                         std::string* content, std::string* checksum) const {
  RETURN_IF_ERROR(KeyInto(image, key));
  content->clear();
  content->reserve(64 + 32 * content_.size());
  for (const auto& [idx, prefix] : content_) {
    content->append(prefix);
    RETURN_IF_ERROR(AppendCanonical(image, idx, content));
  }
  content->append(content_.empty() ? "{}" : "}");
  *checksum = encoding::Checksum(*content);
  return absl::OkStatus();
}

absl::StatusOr<EncodedRow> TableEncoder::EncodeRow(const std::vector<Value>& image) const {
  EncodedRow row;
  RETURN_IF_ERROR(EncodeRowInto(image, &row.key, &row.content, &row.checksum));
  return row;
}

absl::StatusOr<EncodedRow> TableEncoder::EncodeDelete(const std::vector<Value>& image) const {
  EncodedRow row;
  ASSIGN_OR_RETURN(row.key, Key(image));
  row.content = encoding::kDeleteContent;
  row.checksum = encoding::Checksum(row.content);
  return row;
}

}  // namespace dcp::collector
