#include "verifier/data_plan.h"

#include <climits>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "util/status_macros.h"

namespace dcp::verifier {
namespace {

using mysql::ColumnSchema;
using mysql::TableSchema;

std::string Name(const mysql::TableName& n) { return absl::StrCat(n.first, ".", n.second); }

std::string QualifiedQuoted(const mysql::TableName& n) {
  return absl::StrCat(mysql::QuoteIdentifier(n.first), ".", mysql::QuoteIdentifier(n.second));
}

bool InList(const std::vector<std::string>& list, const std::string& name) {
  for (const std::string& l : list) {
    if (absl::EqualsIgnoreCase(l, name)) return true;
  }
  return false;
}

// The key columns lead the compared columns; they are never nullable.
void AddKeyColumns(const mysql::IndexSchema& key, const TableSchema& ss, const TableSchema& ts,
                   TableSetup& t) {
  t.plan.key_index = key.name;
  for (const std::string& k : key.ColumnNames()) {
    const ColumnSchema* sc = ss.FindColumn(k);
    const ColumnSchema& tc = *ts.FindColumn(k);
    t.plan.key_columns.push_back(sc->name);
    t.plan.key_binary.push_back(sc->IsBinary());
    t.plan.columns.push_back(ComparedColumn{sc->name, NormalizedExpr(*sc, tc), sc->IsBinary(),
                                            false, MayContainSeparator(*sc, tc)});
  }
}

void AddFixColumn(const ColumnSchema& sc, TableSetup& t) {
  const char kind = sc.IsBinary() ? 'x' : sc.IsBit() ? 'n' : 's';
  const std::string q = mysql::QuoteIdentifier(sc.name);
  t.result.fix_columns.push_back(sc.name);
  t.result.fix_kinds.push_back(kind);
  t.fix_exprs.push_back(kind == 'x'               ? absl::StrCat("HEX(", q, ")")
                        : kind == 'n'             ? absl::StrCat("CAST(", q, " AS UNSIGNED)")
                        : sc.data_type == "float" ? absl::StrCat("CAST(", q, " AS DOUBLE)")
                                                  : q);
}

// Columns on one side only are listed; the others are written by fix SQL (unless generated)
// and compared (unless a key column, already there, or deselected).
void AddColumns(const TableSchema& ss, const TableSchema& ts, const DataOptions& options,
                TableSetup& t) {
  for (const ColumnSchema& tc : ts.columns) {
    if (ss.FindColumn(tc.name) == nullptr) t.result.one_side_columns.push_back(tc.name);
  }
  for (const ColumnSchema& sc : ss.columns) {
    const ColumnSchema* tc = ts.FindColumn(sc.name);
    if (tc == nullptr) {
      t.result.one_side_columns.push_back(sc.name);
      continue;
    }
    if (!sc.generation_expression) AddFixColumn(sc, t);
    if (InList(t.plan.key_columns, sc.name)) continue;
    if (!options.columns.empty() && !InList(options.columns, sc.name)) continue;
    if (InList(options.ignore_columns, sc.name)) continue;
    t.plan.columns.push_back(ComparedColumn{sc.name, NormalizedExpr(sc, *tc), sc.IsBinary(),
                                            sc.nullable || tc->nullable,
                                            MayContainSeparator(sc, *tc)});
  }
}

}  // namespace

TableSetup PlanTable(const TablePair& pair, const TableSchema& ss, const TableSchema& ts,
                     const DataOptions& options, bool crc32c) {
  TableSetup t;
  t.result.source_table = Name(pair.source);
  t.result.target_table = Name(pair.target);
  t.plan.source_table = QualifiedQuoted(pair.source);
  t.plan.target_table = QualifiedQuoted(pair.target);
  t.plan.where = options.where;
  t.plan.crc32c = crc32c;
  t.estimated_rows = ss.estimated_rows;
  const std::optional<mysql::IndexSchema> key = ss.RowKey();
  if (key) {
    for (const std::string& k : key->ColumnNames()) {
      if (ts.FindColumn(k) == nullptr) {
        t.result.error = absl::StrCat("key column ", k, " is missing on the target");
      }
    }
    if (!t.result.error.empty()) return t;
    AddKeyColumns(*key, ss, ts, t);
  } else if (!options.allow_full_scan) {
    t.result.error =
        "no primary key and no unique key over NOT NULL columns; use --full-scan to compare "
        "it as a whole";
    return t;
  } else {
    t.full_scan = true;
  }
  AddColumns(ss, ts, options, t);
  for (const ComparedColumn& c : t.plan.columns) t.result.compared_columns.push_back(c.name);
  t.result.key_columns = t.plan.key_columns;
  t.result.key_binary = t.plan.key_binary;
  return t;
}

absl::StatusOr<std::optional<std::pair<int64_t, int64_t>>> IntKeyRange(mysql::Connection& source,
                                                                       const TablePlan& plan,
                                                                       const TableSchema& schema) {
  if (plan.key_columns.size() != 1 || !schema.FindColumn(plan.key_columns[0])->IsInteger()) {
    return std::nullopt;
  }
  const std::string k = mysql::QuoteIdentifier(plan.key_columns[0]);
  ASSIGN_OR_RETURN(mysql::ResultSet mm, source.Query(absl::StrCat("SELECT MIN(", k, "), MAX(", k,
                                                                  ") FROM ", plan.source_table)));
  int64_t min_key = 0, max_key = 0;
  if (mm.rows.size() == 1 && mm.rows[0][0] && mm.rows[0][1] &&
      absl::SimpleAtoi(*mm.rows[0][0], &min_key) && absl::SimpleAtoi(*mm.rows[0][1], &max_key) &&
      min_key > INT64_MIN + 1 && max_key < INT64_MAX / 2) {
    return std::make_pair(min_key, max_key);
  }
  return std::nullopt;
}

}  // namespace dcp::verifier
