#include "padder/repair.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "mysql/connection.h"
#include "mysql/schema.h"
#include "mysql/sql_literal.h"
#include "mysql/statement.h"
#include "util/progress.h"
#include "util/status_macros.h"

namespace dcp::padder {
namespace {

using mysql::Param;
using mysql::QuoteIdentifier;

std::pair<std::string, std::string> SplitName(const std::string& qualified) {
  const size_t dot = qualified.find('.');
  if (dot == std::string::npos) return {"", qualified};
  return {qualified.substr(0, dot), qualified.substr(dot + 1)};
}

std::string QuotedName(const std::string& qualified) {
  const auto [db, table] = SplitName(qualified);
  return absl::StrCat(QuoteIdentifier(db), ".", QuoteIdentifier(table));
}

// A parameter as --dry-run prints it: a literal that reads the same under every sql_mode.
std::string Literal(const Param& p) {
  switch (p.kind) {
    case Param::Kind::kNull:
      return "NULL";
    case Param::Kind::kBytes:
      return mysql::HexLiteral(p.s);
    default:
      return mysql::Utf8mb4Literal(p.ToString());
  }
}

// `sql` with each parameter mark replaced by its parameter's literal. A `?` inside a quoted
// identifier is a character of the name (a doubled backtick toggles twice).
std::string WithLiterals(const std::string& sql, const std::vector<Param>& params) {
  std::string text;
  size_t p = 0;
  bool in_identifier = false;
  for (const char c : sql) {
    if (c == '`') in_identifier = !in_identifier;
    if (c == '?' && !in_identifier && p < params.size()) {
      text += Literal(params[p++]);
    } else {
      text.push_back(c);
    }
  }
  return text;
}

// How one table is read on the source and written on the target.
struct TableSql {
  std::string source;  // `db`.`table`
  std::string target;
  std::vector<const mysql::ColumnSchema*> columns;  // written: all but generated ones
  std::vector<std::string> select;  // per column: how it is read (FLOAT through DOUBLE)
  std::vector<size_t> key_pos;      // per key column: its index in `columns`
  std::vector<bool> key_binary;     // per key column: a binary type
  std::string quoted_columns;       // "`a`, `b`"
  std::string quoted_keys;          // "`k1`, `k2`"
};

absl::StatusOr<TableSql> PlanTable(const mysql::TableSchema& schema, const RepairTable& t) {
  TableSql s;
  s.source = QuotedName(t.source_table);
  s.target = QuotedName(t.target_table);
  std::vector<std::string> qcols, qkeys;
  for (const mysql::ColumnSchema& c : schema.columns) {
    if (c.generation_expression.has_value()) continue;
    s.columns.push_back(&c);
    qcols.push_back(QuoteIdentifier(c.name));
    // FLOAT is read as DOUBLE so that its value survives the text protocol exactly.
    s.select.push_back(c.data_type == "float"
                           ? absl::StrCat("CAST(", QuoteIdentifier(c.name), " AS DOUBLE)")
                           : QuoteIdentifier(c.name));
  }
  for (const std::string& k : t.key_columns) {
    const auto it = std::find_if(s.columns.begin(), s.columns.end(),
                                 [&](const mysql::ColumnSchema* c) { return c->name == k; });
    if (it == s.columns.end()) {
      return absl::FailedPreconditionError(
          absl::StrCat("table ", t.source_table, ": key column ", k, " not found"));
    }
    s.key_pos.push_back(static_cast<size_t>(it - s.columns.begin()));
    s.key_binary.push_back((*it)->IsBinary());
    qkeys.push_back(QuoteIdentifier(k));
  }
  s.quoted_columns = absl::StrJoin(qcols, ", ");
  s.quoted_keys = absl::StrJoin(qkeys, ", ");
  return s;
}

// The statements of one batch, with their parameters (empty: nothing to do).
struct BatchSql {
  std::string replace_sql, delete_sql;
  std::vector<Param> replace_params, delete_params;
  size_t replaced = 0, deleted = 0;
};

// Reads the source's rows of keys[begin, end) and makes the statements: REPLACE of the rows
// found, DELETE of the keys the source no longer has (keys compared as the source prints them).
absl::StatusOr<BatchSql> ReadBatch(mysql::Connection& source, const TableSql& s,
                                   const std::vector<std::vector<std::string>>& keys) {
  std::vector<std::string> tuples;
  for (const std::vector<std::string>& key : keys) {
    std::vector<std::string> literals;
    for (size_t i = 0; i < key.size(); ++i) {
      literals.push_back(mysql::StringLiteral(key[i], s.key_binary[i]));
    }
    tuples.push_back(absl::StrCat("(", absl::StrJoin(literals, ", "), ")"));
  }
  ASSIGN_OR_RETURN(mysql::ResultSet rs,
                   source.Query(absl::StrCat("SELECT ", absl::StrJoin(s.select, ", "), " FROM ",
                                             s.source, " WHERE (", s.quoted_keys, ") IN (",
                                             absl::StrJoin(tuples, ", "), ")")));
  std::map<std::vector<std::string>, const mysql::Row*> found;
  for (const mysql::Row& row : rs.rows) {
    std::vector<std::string> key;
    for (size_t p : s.key_pos) key.push_back(row[p].value_or(""));
    found[key] = &row;
  }
  BatchSql b;
  std::vector<std::string> replace_rows, delete_rows;
  const std::string row_marks =
      absl::StrCat("(", absl::StrJoin(std::vector<std::string>(s.columns.size(), "?"), ", "), ")");
  for (const mysql::Row& row : rs.rows) {
    for (size_t i = 0; i < s.columns.size(); ++i) {
      if (!row[i].has_value()) {
        b.replace_params.push_back(Param::Null());
      } else if (s.columns[i]->IsBinary() || s.columns[i]->IsBit()) {
        b.replace_params.push_back(Param::Bytes(*row[i]));
      } else {
        b.replace_params.push_back(Param::Text(*row[i]));
      }
    }
    replace_rows.push_back(row_marks);
  }
  const std::string key_marks =
      absl::StrCat("(", absl::StrJoin(std::vector<std::string>(s.key_pos.size(), "?"), ", "), ")");
  for (const std::vector<std::string>& key : keys) {
    if (found.count(key) > 0) continue;  // a key the SELECT did not return is gone
    for (size_t i = 0; i < key.size(); ++i) {
      b.delete_params.push_back(s.key_binary[i] ? Param::Bytes(key[i]) : Param::Text(key[i]));
    }
    delete_rows.push_back(key_marks);
  }
  b.replaced = replace_rows.size();
  b.deleted = delete_rows.size();
  if (b.replaced > 0) {
    b.replace_sql = absl::StrCat("REPLACE INTO ", s.target, " (", s.quoted_columns, ") VALUES ",
                                 absl::StrJoin(replace_rows, ", "));
  }
  if (b.deleted > 0) {
    b.delete_sql = absl::StrCat("DELETE FROM ", s.target, " WHERE (", s.quoted_keys, ") IN (",
                                absl::StrJoin(delete_rows, ", "), ")");
  }
  return b;
}

// Runs the batch's statements in one target transaction.
absl::Status ApplyBatch(mysql::Connection& target, const BatchSql& b) {
  RETURN_IF_ERROR(target.Execute("START TRANSACTION"));
  if (!b.replace_sql.empty()) {
    ASSIGN_OR_RETURN(mysql::Statement st, mysql::Statement::Prepare(target, b.replace_sql));
    RETURN_IF_ERROR(st.Execute(b.replace_params));
  }
  if (!b.delete_sql.empty()) {
    ASSIGN_OR_RETURN(mysql::Statement st, mysql::Statement::Prepare(target, b.delete_sql));
    RETURN_IF_ERROR(st.Execute(b.delete_params));
  }
  return target.Execute("COMMIT");
}

absl::StatusOr<std::vector<RepairTable>> ReadReport(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseRepairReport(ss.str());
}

// Fills in what the report left to the source: the target name (schema renamed) and the key
// columns (the source's row key).
absl::Status Complete(const RepairOptions& options, const mysql::TableSchema& schema,
                      RepairTable& t) {
  if (t.target_table.empty()) {
    const auto [sdb, stable] = SplitName(t.source_table);
    const auto r = options.rename.find(sdb);
    t.target_table = absl::StrCat(r == options.rename.end() ? sdb : r->second, ".", stable);
  }
  if (t.key_columns.empty()) {
    std::optional<mysql::IndexSchema> key = schema.RowKey();
    if (!key.has_value()) {
      return absl::FailedPreconditionError(
          absl::StrCat("table ", t.source_table, " has no primary or unique NOT NULL key"));
    }
    t.key_columns = key->ColumnNames();
  }
  return absl::OkStatus();
}

absl::Status RepairTableKeys(const RepairOptions& options, mysql::Connection& source,
                             mysql::Connection* target, RepairTable& t, ProgressReporter& progress,
                             size_t item, std::ostream& out) {
  const auto [sdb, stable] = SplitName(t.source_table);
  ASSIGN_OR_RETURN(mysql::TableSchema schema, mysql::ReadTableSchema(source, sdb, stable));
  RETURN_IF_ERROR(Complete(options, schema, t));
  ASSIGN_OR_RETURN(TableSql sql, PlanTable(schema, t));
  const size_t batch = static_cast<size_t>(std::max(1, options.batch_size));
  uint64_t replaced = 0, deleted = 0;
  for (size_t begin = 0; begin < t.keys.size(); begin += batch) {
    const std::vector<std::vector<std::string>> keys(
        t.keys.begin() + begin, t.keys.begin() + std::min(t.keys.size(), begin + batch));
    if (options.throttle != nullptr) {
      RETURN_IF_ERROR(options.throttle->Wait([&progress] {
        progress.MaybeReport();  // paused: the lines go on, one per interval
        return false;
      }));
    }
    ASSIGN_OR_RETURN(BatchSql b, ReadBatch(source, sql, keys));
    if (target == nullptr) {
      if (b.replaced > 0) out << WithLiterals(b.replace_sql, b.replace_params) << ";\n";
      if (b.deleted > 0) out << WithLiterals(b.delete_sql, b.delete_params) << ";\n";
    } else {
      RETURN_IF_ERROR(ApplyBatch(*target, b));
    }
    replaced += b.replaced;
    deleted += b.deleted;
    progress.Advance(item, keys.size());
    progress.MaybeReport();
  }
  progress.FinishItem(item);
  out << (target == nullptr ? "-- " : "") << t.source_table << " -> " << t.target_table << ": "
      << t.keys.size() << " keys, " << replaced << " replaced, " << deleted << " deleted"
      << (target == nullptr ? " (dry run)" : "") << "\n";
  return absl::OkStatus();
}

}  // namespace

absl::Status RunRepair(const RepairOptions& options, std::ostream& out) {
  ASSIGN_OR_RETURN(std::vector<RepairTable> tables, ReadReport(options.report_file));
  ASSIGN_OR_RETURN(mysql::Connection source, mysql::Connection::Open(options.source));
  RETURN_IF_ERROR(source.Execute("SET SESSION sql_mode = ''"));
  std::optional<mysql::Connection> target;
  if (!options.dry_run) {
    ASSIGN_OR_RETURN(target, mysql::Connection::Open(options.target));
    RETURN_IF_ERROR(target->Execute("SET SESSION sql_mode = ''"));
    RETURN_IF_ERROR(target->Execute("SET SESSION foreign_key_checks = 0"));
  } else {
    out << "-- padder repair --dry-run: values are hex literals, read alike under every\n"
        << "-- sql_mode; the SET statements change the session and are not undone at the end.\n"
        << "SET SESSION sql_mode = '';\nSET NAMES utf8mb4;\nSET time_zone = '+00:00';\n";
  }
  ProgressReporter progress(options.progress, "keys", options.clock);
  std::vector<size_t> items;
  for (const RepairTable& t : tables) items.push_back(progress.AddItem(t.source_table, t.keys.size()));
  for (size_t i = 0; i < tables.size(); ++i) {
    const absl::Status s = RepairTableKeys(options, source, target.has_value() ? &*target : nullptr,
                                           tables[i], progress, items[i], out);
    if (!s.ok()) {
      progress.Finish();
      return s;
    }
  }
  progress.Finish();
  return absl::OkStatus();
}

}  // namespace dcp::padder
