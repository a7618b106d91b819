#include "padder/mysql_target.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "util/status_macros.h"

namespace dcp::padder {
namespace {

using mysql::Param;
using mysql::QuoteIdentifier;

int UnsignedBits(const mysql::ColumnSchema& c) {
  if (!absl::StrContains(c.column_type, "unsigned")) return 0;
  if (c.data_type == "tinyint") return 8;
  if (c.data_type == "smallint") return 16;
  if (c.data_type == "mediumint") return 24;
  if (c.data_type == "int") return 32;
  if (c.data_type == "bigint") return 64;
  return 0;
}

int PadTo(const mysql::ColumnSchema& c) {
  if (c.data_type == "uuid" || c.data_type == "inet6") return 16;
  if (c.data_type == "binary") {
    // column_type "binary(8)"
    const size_t open = c.column_type.find('(');
    int n = 0;
    if (open != std::string::npos &&
        absl::SimpleAtoi(c.column_type.substr(open + 1, c.column_type.size() - open - 2), &n)) {
      return n;
    }
  }
  return 0;
}

// Key parameters of utf8 columns go as text so that the key index is usable; everything
// else is bound as normalized.
Param KeyParam(const TableInfo& t, size_t col, const Param& p) {
  if (t.utf8_text[col] && p.kind == Param::Kind::kBytes) return Param::Text(p.s);
  return p;
}

// `schema`.`table`
std::string TableRef(const TableInfo& t) {
  return absl::StrCat(QuoteIdentifier(t.schema), ".", QuoteIdentifier(t.name));
}

// "INSERT INTO `db`.`t` (<present columns>) VALUES (?, ...), ..." for `rows`, which share
// their present columns, appending every row's values to `params`.
std::string MultiRowInsert(const TableInfo& t, const std::vector<const Image*>& rows,
                           std::vector<Param>& params) {
  std::vector<std::string> cols, marks;
  const Image& first = *rows[0];
  for (size_t k = 0; k < first.size() && k < t.columns.size(); ++k) {
    if (!first[k].has_value() || t.generated[k]) continue;
    cols.push_back(QuoteIdentifier(t.columns[k]));
    marks.push_back("?");
  }
  const std::string tuple = absl::StrCat("(", absl::StrJoin(marks, ", "), ")");
  std::string sql =
      absl::StrCat("INSERT INTO ", TableRef(t), " (", absl::StrJoin(cols, ", "), ") VALUES ");
  for (size_t r = 0; r < rows.size(); ++r) {
    absl::StrAppend(&sql, r > 0 ? ", " : "", tuple);
    const Image& row = *rows[r];
    for (size_t k = 0; k < row.size() && k < t.columns.size(); ++k) {
      if (!row[k].has_value() || t.generated[k]) continue;
      params.push_back(*row[k]);
    }
  }
  return sql;
}

}  // namespace

TableInfo TableInfoFromSchema(const mysql::TableSchema& schema) {
  TableInfo t;
  t.schema = schema.schema;
  t.name = schema.name;
  for (const mysql::ColumnSchema& c : schema.columns) {
    t.columns.push_back(c.name);
    t.generated.push_back(c.generation_expression.has_value());
    t.utf8_text.push_back(c.charset.has_value() && absl::StartsWith(*c.charset, "utf8"));
    t.pad_to.push_back(PadTo(c));
    t.unsigned_bits.push_back(UnsignedBits(c));
  }
  std::optional<mysql::IndexSchema> key = schema.RowKey();
  if (key.has_value()) {
    for (const std::string& name : key->ColumnNames()) {
      for (size_t i = 0; i < t.columns.size(); ++i) {
        if (t.columns[i] == name) t.key.push_back(i);
      }
    }
  }
  if (key.has_value()) t.key_index = key->name;
  if (schema.primary_key.has_value() && (!key.has_value() || key->name != "PRIMARY")) {
    t.other_unique_key = true;
  }
  for (const mysql::IndexSchema& index : schema.indexes) {
    if (index.unique && (!key.has_value() || index.name != key->name)) t.other_unique_key = true;
  }
  return t;
}

absl::StatusOr<std::unique_ptr<MysqlTarget>> MysqlTarget::Open(const mysql::Dsn& dsn) {
  ASSIGN_OR_RETURN(mysql::Connection conn, mysql::Connection::Open(dsn));
  RETURN_IF_ERROR(conn.Execute("SET SESSION sql_mode = ''"));
  RETURN_IF_ERROR(conn.Execute("SET SESSION foreign_key_checks = 0"));
  RETURN_IF_ERROR(conn.Execute("SET SESSION autocommit = 1"));
  // MariaDB annotates each statement's row events in the target's binlog with the statement
  // text, here with every value expanded: as large again as the rows. The rows stay logged;
  // only the annotation goes. MySQL has no such variable (its equivalent is off by default).
  (void)conn.Execute("SET SESSION binlog_annotate_row_events = OFF");
  return std::unique_ptr<MysqlTarget>(
      new MysqlTarget(std::make_unique<mysql::Connection>(std::move(conn))));
}

absl::StatusOr<const TableInfo*> MysqlTarget::Table(const std::string& schema,
                                                    const std::string& table) {
  auto key = std::make_pair(schema, table);
  auto it = tables_.find(key);
  if (it != tables_.end()) return it->second.get();
  absl::StatusOr<mysql::TableSchema> s = mysql::ReadTableSchema(*conn_, schema, table);
  std::unique_ptr<TableInfo> info;
  if (s.ok()) {
    info = std::make_unique<TableInfo>(TableInfoFromSchema(*s));
  } else if (!absl::IsNotFound(s.status())) {
    return s.status();
  }
  const TableInfo* result = info.get();
  tables_[key] = std::move(info);
  return result;
}

absl::Status MysqlTarget::Begin() { return conn_->Execute("START TRANSACTION"); }
absl::Status MysqlTarget::Commit() { return conn_->Execute("COMMIT"); }
absl::Status MysqlTarget::Rollback() { return conn_->Execute("ROLLBACK"); }

absl::StatusOr<mysql::Statement*> MysqlTarget::Prepared(const std::string& sql) {
  auto it = statements_.find(sql);
  if (it != statements_.end()) return it->second.get();
  // Batches of every length make many distinct statements; bound what the server holds.
  if (statements_.size() >= 1000) statements_.clear();
  ASSIGN_OR_RETURN(mysql::Statement stmt, mysql::Statement::Prepare(*conn_, sql));
  auto owned = std::make_unique<mysql::Statement>(std::move(stmt));
  mysql::Statement* raw = owned.get();
  statements_.emplace(sql, std::move(owned));
  return raw;
}

std::string MysqlTarget::KeyWhere(const TableInfo& t, const Image& key_from,
                                  std::vector<Param>& params) const {
  std::vector<std::string> parts;
  if (!t.key.empty()) {
    for (size_t k : t.key) {
      parts.push_back(absl::StrCat(QuoteIdentifier(t.columns[k]), " = ?"));
      params.push_back(key_from[k].has_value() ? KeyParam(t, k, *key_from[k]) : Param::Null());
    }
  } else {
    for (size_t k = 0; k < key_from.size() && k < t.columns.size(); ++k) {
      if (!key_from[k].has_value() || t.generated[k]) continue;
      parts.push_back(absl::StrCat(QuoteIdentifier(t.columns[k]), " <=> ?"));
      params.push_back(*key_from[k]);
    }
  }
  if (parts.empty()) return "1 = 1";
  return absl::StrJoin(parts, " AND ");
}

absl::StatusOr<Match> MysqlTarget::Probe(const TableInfo& t, const Image& key_from,
                                         const Image& compare) {
  std::vector<Param> params;
  std::vector<std::string> eq;
  for (size_t k = 0; k < compare.size() && k < t.columns.size(); ++k) {
    if (!compare[k].has_value() || t.generated[k]) continue;
    eq.push_back(absl::StrCat("(", QuoteIdentifier(t.columns[k]), " <=> ?)"));
    params.push_back(*compare[k]);
  }
  const std::string select = eq.empty() ? "1" : absl::StrJoin(eq, " AND ");
  const std::string where = KeyWhere(t, key_from, params);
  ASSIGN_OR_RETURN(mysql::Statement * stmt,
                   Prepared(absl::StrCat("SELECT ", select, " FROM ", TableRef(t), " WHERE ", where,
                                         " LIMIT 1")));
  ASSIGN_OR_RETURN(std::vector<mysql::Row> rows, stmt->Query(params));
  if (rows.empty()) return Match::kMissing;
  return rows[0][0].has_value() && *rows[0][0] == "1" ? Match::kEqual : Match::kDiffers;
}

absl::StatusOr<std::optional<mysql::Row>> MysqlTarget::Read(const TableInfo& t,
                                                            const Image& key_from) {
  std::vector<Param> params;
  std::vector<std::string> cols;
  for (const std::string& c : t.columns) cols.push_back(QuoteIdentifier(c));
  const std::string where = KeyWhere(t, key_from, params);
  ASSIGN_OR_RETURN(mysql::Statement * stmt,
                   Prepared(absl::StrCat("SELECT ", absl::StrJoin(cols, ", "), " FROM ",
                                         TableRef(t), " WHERE ", where, " LIMIT 1")));
  ASSIGN_OR_RETURN(std::vector<mysql::Row> rows, stmt->Query(params));
  if (rows.empty()) return std::nullopt;
  return rows[0];
}

absl::StatusOr<uint64_t> MysqlTarget::InsertRow(const TableInfo& t, const Image& row,
                                                const char* verb) {
  std::vector<Param> params;
  std::vector<std::string> cols, marks;
  for (size_t k = 0; k < row.size() && k < t.columns.size(); ++k) {
    if (!row[k].has_value() || t.generated[k]) continue;
    cols.push_back(QuoteIdentifier(t.columns[k]));
    marks.push_back("?");
    params.push_back(*row[k]);
  }
  ASSIGN_OR_RETURN(
      mysql::Statement * stmt,
      Prepared(absl::StrCat(verb, " INTO ", TableRef(t), " (", absl::StrJoin(cols, ", "),
                            ") VALUES (", absl::StrJoin(marks, ", "), ")")));
  RETURN_IF_ERROR(stmt->Execute(params));
  return stmt->affected_rows();
}

absl::Status MysqlTarget::Insert(const TableInfo& t, const Image& row, bool replace) {
  return InsertRow(t, row, replace ? "REPLACE" : "INSERT").status();
}

absl::StatusOr<bool> MysqlTarget::InsertIfAbsent(const TableInfo& t, const Image& row) {
  ASSIGN_OR_RETURN(uint64_t n, InsertRow(t, row, "INSERT IGNORE"));
  return n > 0;
}

absl::Status MysqlTarget::InsertMany(const TableInfo& t, const std::vector<const Image*>& rows) {
  if (rows.empty()) return absl::OkStatus();
  std::vector<Param> params;
  ASSIGN_OR_RETURN(mysql::Statement * stmt, Prepared(MultiRowInsert(t, rows, params)));
  return stmt->Execute(params);
}

absl::Status MysqlTarget::Update(const TableInfo& t, const Image& key_from, const Image& after) {
  std::vector<Param> params;
  std::vector<std::string> sets;
  for (size_t k = 0; k < after.size() && k < t.columns.size(); ++k) {
    if (!after[k].has_value() || t.generated[k]) continue;
    sets.push_back(absl::StrCat(QuoteIdentifier(t.columns[k]), " = ?"));
    params.push_back(*after[k]);
  }
  if (sets.empty()) return absl::OkStatus();
  const std::string where = KeyWhere(t, key_from, params);
  ASSIGN_OR_RETURN(mysql::Statement * stmt,
                   Prepared(absl::StrCat("UPDATE ", TableRef(t), " SET ", absl::StrJoin(sets, ", "),
                                         " WHERE ", where, " LIMIT 1")));
  return stmt->Execute(params);
}

absl::Status MysqlTarget::Delete(const TableInfo& t, const Image& key_from) {
  std::vector<Param> params;
  const std::string where = KeyWhere(t, key_from, params);
  ASSIGN_OR_RETURN(mysql::Statement * stmt, Prepared(absl::StrCat("DELETE FROM ", TableRef(t),
                                                                  " WHERE ", where, " LIMIT 1")));
  return stmt->Execute(params);
}

absl::StatusOr<uint64_t> MysqlTarget::CountEqual(const TableInfo& t,
                                                 const std::vector<const Image*>& images) {
  // The keys are distinct and unique, so a target row matches at most one image, and the
  // count is the number of images whose row exists and is equal. The index hint keeps the
  // access one point of the key per image, whatever indexes the other columns have.
  std::vector<Param> params;
  const std::string from = absl::StrCat("SELECT COUNT(*) FROM ", TableRef(t), " FORCE INDEX (",
                                        QuoteIdentifier(t.key_index), ")");
  bool any_null = false;
  for (const Image* image : images) {
    for (const std::optional<Param>& p : *image) any_null = any_null || (p && p->is_null());
  }
  std::string sql;
  if (!any_null) {
    // Without NULLs, `(key, cols) IN ((...), ...)` is Probe()'s comparison (`=` is `<=>` on
    // non-NULL values; each position binds the same kind of value as Probe() does, the key
    // both as Probe()'s key parameter and as its compared value), and the server evaluates
    // it by a lookup in the sorted list rather than one comparison per image.
    std::vector<std::string> cols;
    for (size_t k : t.key) cols.push_back(QuoteIdentifier(t.columns[k]));
    const Image& first = *images[0];
    for (size_t k = 0; k < first.size() && k < t.columns.size(); ++k) {
      if (first[k].has_value() && !t.generated[k]) cols.push_back(QuoteIdentifier(t.columns[k]));
    }
    std::vector<std::string> marks(cols.size(), "?");
    const std::string tuple = absl::StrCat("(", absl::StrJoin(marks, ", "), ")");
    sql = absl::StrCat(from, " WHERE (", absl::StrJoin(cols, ", "), ") IN (");
    for (size_t i = 0; i < images.size(); ++i) {
      const Image& image = *images[i];
      absl::StrAppend(&sql, i > 0 ? ", " : "", tuple);
      for (size_t k : t.key) params.push_back(KeyParam(t, k, *image[k]));
      for (size_t k = 0; k < image.size() && k < t.columns.size(); ++k) {
        if (image[k].has_value() && !t.generated[k]) params.push_back(*image[k]);
      }
    }
    absl::StrAppend(&sql, ")");
  } else {
    // One disjunct per image: its key and Probe()'s `<=>` of every present column.
    std::vector<std::string> parts;
    for (const Image* image : images) {
      std::string conj = KeyWhere(t, *image, params);
      for (size_t k = 0; k < image->size() && k < t.columns.size(); ++k) {
        if (!(*image)[k].has_value() || t.generated[k]) continue;
        absl::StrAppend(&conj, " AND ", QuoteIdentifier(t.columns[k]), " <=> ?");
        params.push_back(*(*image)[k]);
      }
      parts.push_back(absl::StrCat("(", conj, ")"));
    }
    sql = absl::StrCat(from, " WHERE ", absl::StrJoin(parts, " OR "));
  }
  ASSIGN_OR_RETURN(mysql::Statement * stmt, Prepared(sql));
  ASSIGN_OR_RETURN(std::vector<mysql::Row> rows, stmt->Query(params));
  uint64_t n = 0;
  if (rows.size() != 1 || rows[0].empty() || !rows[0][0].has_value() ||
      !absl::SimpleAtoi(*rows[0][0], &n)) {
    return absl::InternalError(absl::StrCat("unexpected count from ", t.QualifiedName()));
  }
  return n;
}

absl::Status MysqlTarget::UpdateMany(const TableInfo& t, const std::vector<const Image*>& afters) {
  if (afters.empty()) return absl::OkStatus();
  // INSERT ... ON DUPLICATE KEY UPDATE: every key exists (the contract), so every row takes
  // the UPDATE branch, and with no other unique key the duplicate is always the row's own.
  // VALUES(col) is the value converted to the column exactly as an INSERT would store it.
  std::vector<bool> is_key(t.columns.size(), false);
  for (size_t k : t.key) is_key[k] = true;
  std::vector<std::string> sets;
  const Image& first = *afters[0];
  for (size_t k = 0; k < first.size() && k < t.columns.size(); ++k) {
    if (!first[k].has_value() || t.generated[k] || is_key[k]) continue;
    const std::string col = QuoteIdentifier(t.columns[k]);
    sets.push_back(absl::StrCat(col, " = VALUES(", col, ")"));
  }
  if (sets.empty()) return absl::OkStatus();  // nothing but the key, which stays
  std::vector<Param> params;
  const std::string sql = absl::StrCat(MultiRowInsert(t, afters, params),
                                       " ON DUPLICATE KEY UPDATE ", absl::StrJoin(sets, ", "));
  ASSIGN_OR_RETURN(mysql::Statement * stmt, Prepared(sql));
  return stmt->Execute(params);
}

absl::StatusOr<uint64_t> MysqlTarget::DeleteMany(const TableInfo& t,
                                                 const std::vector<const Image*>& keys) {
  if (keys.empty()) return 0;
  std::vector<Param> params;
  std::string where;
  if (t.key.size() == 1) {
    const size_t k = t.key[0];
    std::vector<std::string> marks(keys.size(), "?");
    where = absl::StrCat(QuoteIdentifier(t.columns[k]), " IN (", absl::StrJoin(marks, ", "), ")");
    for (const Image* image : keys) {
      params.push_back((*image)[k].has_value() ? KeyParam(t, k, *(*image)[k]) : Param::Null());
    }
  } else {
    std::vector<std::string> parts;
    for (const Image* image : keys) {
      parts.push_back(absl::StrCat("(", KeyWhere(t, *image, params), ")"));
    }
    where = absl::StrJoin(parts, " OR ");
  }
  ASSIGN_OR_RETURN(mysql::Statement * stmt,
                   Prepared(absl::StrCat("DELETE FROM ", TableRef(t), " WHERE ", where)));
  RETURN_IF_ERROR(stmt->Execute(params));
  return stmt->affected_rows();
}

}  // namespace dcp::padder
