#include "verifier/chunk_sql.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "mysql/sql_literal.h"

namespace dcp::verifier {
namespace {

using mysql::QuoteIdentifier;

bool IsCharacter(const mysql::ColumnSchema& c) { return c.charset.has_value(); }

// Key values as the server printed them (utf8mb4 text, or the bytes of a binary column), in a
// form that reads the same under every sql_mode (mysql/sql_literal.h) and compares in the key
// column's collation, as a quoted literal on the utf8mb4 connection did.
std::string KeyLiteral(absl::string_view value, bool binary) {
  return mysql::StringLiteral(value, binary);
}

std::string Where(const TablePlan& plan, const std::string& range) {
  if (plan.where.empty()) return range;
  return absl::StrCat("(", range, ") AND (", plan.where, ")");
}

std::string From(const TablePlan& plan, const std::string& table) {
  if (plan.key_index.empty()) return table;
  return absl::StrCat(table, " FORCE INDEX (", QuoteIdentifier(plan.key_index), ")");
}

std::string OrderBy(const TablePlan& plan) {
  if (plan.key_columns.empty()) return "";
  std::vector<std::string> cols;
  for (const std::string& k : plan.key_columns) cols.push_back(QuoteIdentifier(k));
  return absl::StrCat(" ORDER BY ", absl::StrJoin(cols, ", "));
}

// (k1 op1 v1) OR (k1 = v1 AND k2 op v2) ... with the last comparison `last_op`.
std::string Compare(const TablePlan& plan, const KeyValue& v, const char* op, const char* last_op) {
  std::vector<std::string> terms;
  const size_t n = plan.key_columns.size();
  for (size_t i = 0; i < n; ++i) {
    std::vector<std::string> parts;
    for (size_t j = 0; j < i; ++j) {
      parts.push_back(absl::StrCat(QuoteIdentifier(plan.key_columns[j]), " = ",
                                   KeyLiteral(v[j], plan.key_binary[j])));
    }
    parts.push_back(absl::StrCat(QuoteIdentifier(plan.key_columns[i]), " ",
                                 i + 1 == n ? last_op : op, " ",
                                 KeyLiteral(v[i], plan.key_binary[i])));
    terms.push_back(absl::StrCat("(", absl::StrJoin(parts, " AND "), ")"));
  }
  return absl::StrCat("(", absl::StrJoin(terms, " OR "), ")");
}

}  // namespace

std::string NormalizedExpr(const mysql::ColumnSchema& s, const mysql::ColumnSchema& t) {
  const std::string c = QuoteIdentifier(s.name);
  if (s.IsBit() || t.IsBit()) return absl::StrCat("CAST(", c, " AS UNSIGNED)");
  if (s.data_type == "float" || t.data_type == "float") {
    return absl::StrCat("CAST(", c, " AS DOUBLE)");
  }
  if (s.IsDecimal() && t.IsDecimal() && s.Scale() != t.Scale()) {
    return absl::StrCat("CAST(", c, " AS DECIMAL(65,", std::max(s.Scale(), t.Scale()), "))");
  }
  if (s.IsTemporal() && t.IsTemporal() && s.Scale() != t.Scale()) {
    const char* type = s.data_type == "time" ? "TIME" : "DATETIME";
    return absl::StrCat("CAST(", c, " AS ", type, "(", std::max(s.Scale(), t.Scale()), "))");
  }
  if (IsCharacter(s) && IsCharacter(t) && s.charset != t.charset) {
    return absl::StrCat("CONVERT(", c, " USING utf8mb4)");
  }
  return c;
}

std::string RangePredicate(const TablePlan& plan, const std::optional<KeyValue>& lower,
                           const std::optional<KeyValue>& upper) {
  std::vector<std::string> parts;
  if (lower) parts.push_back(Compare(plan, *lower, ">", ">"));
  if (upper) parts.push_back(Compare(plan, *upper, "<", "<="));
  if (parts.empty()) return "1";
  return absl::StrJoin(parts, " AND ");
}

bool MayContainSeparator(const mysql::ColumnSchema& s, const mysql::ColumnSchema& t) {
  // The normalisations that print digits or convert to utf8mb4 (NormalizedExpr).
  if (s.IsBit() || t.IsBit() || s.data_type == "float" || t.data_type == "float") return false;
  if (IsCharacter(s) && IsCharacter(t) && s.charset != t.charset) return false;
  auto free = [](const mysql::ColumnSchema& c) {
    if (c.IsInteger() || c.IsDecimal() || c.IsFloat() || c.IsTemporal()) return true;
    return c.charset && (*c.charset == "utf8mb4" || *c.charset == "utf8mb3" ||
                         *c.charset == "utf8" || *c.charset == "ascii");
  };
  return !free(s) || !free(t);
}

std::string RowHashExpr(const TablePlan& plan) {
  std::vector<std::string> values;
  std::vector<std::string> lengths;
  std::vector<std::string> nulls;
  for (const ComparedColumn& c : plan.columns) {
    values.push_back(c.expr);
    if (c.delimited) lengths.push_back(absl::StrCat("LENGTH(", c.expr, ")"));
    if (c.nullable) nulls.push_back(absl::StrCat("ISNULL(", QuoteIdentifier(c.name), ")"));
  }
  values.insert(values.end(), lengths.begin(), lengths.end());
  if (!nulls.empty()) values.push_back(absl::StrCat("CONCAT(", absl::StrJoin(nulls, ", "), ")"));
  return absl::StrCat("SHA2(CONCAT_WS(CAST(X'FF' AS BINARY), ", absl::StrJoin(values, ", "),
                      "), 256)");
}

std::string ChecksumSql(const TablePlan& plan, const std::string& table,
                        const std::optional<KeyValue>& lower,
                        const std::optional<KeyValue>& upper) {
  // The variable is read only within the expression that sets it, after it: a variable set in
  // one aggregate and read in another was read before it was set (the previous row's value)
  // on MariaDB 10.11.
  const std::string row_value =
      plan.crc32c
          ? absl::StrCat("(CRC32(@dcp_h := ", RowHashExpr(plan), ") << 32) | CRC32C(@dcp_h)")
          : absl::StrCat("(CRC32(LEFT(@dcp_h := CAST(", RowHashExpr(plan),
                         " AS BINARY), 32)) << 32) | CRC32(RIGHT(@dcp_h, 32))");
  // Keyed rows are distinct, so XOR, the cheaper fold, cancels nothing; without a key a row
  // may be there twice.
  const std::string fold = plan.key_columns.empty()
                               ? absl::StrCat("COALESCE(SUM(", row_value, "), 0)")
                               : absl::StrCat("BIT_XOR(", row_value, ")");
  return absl::StrCat("SELECT COUNT(*), ", fold, " FROM ", From(plan, table), " WHERE ",
                      Where(plan, RangePredicate(plan, lower, upper)));
}

std::string RowHashesSql(const TablePlan& plan, const std::string& table,
                         const std::optional<KeyValue>& lower,
                         const std::optional<KeyValue>& upper) {
  std::vector<std::string> exprs;
  for (size_t i = 0; i < plan.key_columns.size(); ++i) exprs.push_back(plan.columns[i].expr);
  exprs.push_back(RowHashExpr(plan));
  return absl::StrCat("SELECT ", absl::StrJoin(exprs, ", "), " FROM ", From(plan, table), " WHERE ",
                      Where(plan, RangePredicate(plan, lower, upper)), OrderBy(plan));
}

std::string BoundarySql(const TablePlan& plan, const std::string& table,
                        const std::optional<KeyValue>& lower, const std::optional<KeyValue>& upper,
                        uint64_t offset) {
  std::vector<std::string> cols;
  for (const std::string& k : plan.key_columns) cols.push_back(QuoteIdentifier(k));
  return absl::StrCat("SELECT ", absl::StrJoin(cols, ", "), " FROM ", From(plan, table), " WHERE ",
                      Where(plan, RangePredicate(plan, lower, upper)), OrderBy(plan),
                      " LIMIT 1 OFFSET ", offset);
}

namespace {
std::string SelectList(const TablePlan& plan, const std::vector<std::string>& extra) {
  std::vector<std::string> exprs;
  for (const ComparedColumn& c : plan.columns) exprs.push_back(c.expr);
  exprs.insert(exprs.end(), extra.begin(), extra.end());
  return absl::StrJoin(exprs, ", ");
}
}  // namespace

std::string FetchRowsSql(const TablePlan& plan, const std::string& table,
                         const std::optional<KeyValue>& lower, const std::optional<KeyValue>& upper,
                         const std::vector<std::string>& extra) {
  return absl::StrCat("SELECT ", SelectList(plan, extra), " FROM ", From(plan, table), " WHERE ",
                      Where(plan, RangePredicate(plan, lower, upper)), OrderBy(plan));
}

std::string FetchKeysSql(const TablePlan& plan, const std::string& table,
                         const std::vector<KeyValue>& keys, const std::vector<std::string>& extra) {
  std::vector<std::string> terms;
  for (const KeyValue& k : keys) {
    std::vector<std::string> parts;
    for (size_t i = 0; i < plan.key_columns.size(); ++i) {
      parts.push_back(absl::StrCat(QuoteIdentifier(plan.key_columns[i]), " = ",
                                   KeyLiteral(k[i], plan.key_binary[i])));
    }
    terms.push_back(absl::StrCat("(", absl::StrJoin(parts, " AND "), ")"));
  }
  if (terms.empty()) terms.push_back("0");
  return absl::StrCat("SELECT ", SelectList(plan, extra), " FROM ", table, " WHERE ",
                      Where(plan, absl::StrJoin(terms, " OR ")), OrderBy(plan));
}

}  // namespace dcp::verifier
