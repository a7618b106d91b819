#include "mysql/schema.h"

#include <algorithm>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "util/status_macros.h"

namespace dcp::mysql {
namespace {

std::string Lower(absl::string_view s) { return absl::AsciiStrToLower(s); }

bool OneOf(absl::string_view v, std::initializer_list<absl::string_view> set) {
  return std::find(set.begin(), set.end(), v) != set.end();
}

// Reads the integer in the first "(...)" of a column type, or the second for "(p,s)".
int ParenNumber(absl::string_view column_type, int which) {
  size_t open = column_type.find('(');
  if (open == absl::string_view::npos) return 0;
  size_t close = column_type.find(')', open);
  if (close == absl::string_view::npos) return 0;
  absl::string_view inside = column_type.substr(open + 1, close - open - 1);
  size_t comma = inside.find(',');
  absl::string_view part =
      which == 0 ? inside.substr(0, comma) : (comma == absl::string_view::npos
                                                  ? absl::string_view()
                                                  : inside.substr(comma + 1));
  int v = 0;
  if (!absl::SimpleAtoi(part, &v)) return 0;
  return v;
}

std::string Str(const Row& row, size_t i) { return row[i].value_or(""); }

}  // namespace

bool ColumnSchema::auto_increment() const { return absl::StrContains(extra, "auto_increment"); }

bool ColumnSchema::IsInteger() const {
  return OneOf(data_type, {"tinyint", "smallint", "mediumint", "int", "integer", "bigint"});
}
bool ColumnSchema::IsDecimal() const { return OneOf(data_type, {"decimal", "numeric"}); }
bool ColumnSchema::IsFloat() const { return OneOf(data_type, {"float", "double", "real"}); }
bool ColumnSchema::IsTemporal() const {
  return OneOf(data_type, {"date", "datetime", "timestamp", "time", "year"});
}
bool ColumnSchema::IsBinary() const {
  return OneOf(data_type, {"binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob",
                           "geometry", "point", "linestring", "polygon", "multipoint",
                           "multilinestring", "multipolygon", "geometrycollection"});
}
bool ColumnSchema::IsBit() const { return data_type == "bit"; }

int ColumnSchema::Scale() const {
  if (IsDecimal()) return ParenNumber(column_type, 1);
  if (OneOf(data_type, {"datetime", "timestamp", "time"})) return ParenNumber(column_type, 0);
  return 0;
}

bool operator==(const ColumnSchema& a, const ColumnSchema& b) {
  return a.name == b.name && a.ordinal == b.ordinal && a.data_type == b.data_type &&
         a.column_type == b.column_type && a.nullable == b.nullable &&
         a.default_value == b.default_value && a.charset == b.charset &&
         a.collation == b.collation && a.generation_expression == b.generation_expression &&
         a.extra == b.extra && a.comment == b.comment;
}

std::string IndexSchema::PartsToString() const {
  std::vector<std::string> out;
  for (const Part& p : parts) {
    std::string s = p.column;
    if (p.prefix_length) absl::StrAppend(&s, "(", *p.prefix_length, ")");
    if (p.descending) absl::StrAppend(&s, " DESC");
    out.push_back(std::move(s));
  }
  return absl::StrCat("(", absl::StrJoin(out, ", "), ")");
}

std::vector<std::string> IndexSchema::ColumnNames() const {
  std::vector<std::string> names;
  for (const Part& p : parts) names.push_back(p.column);
  return names;
}

std::string ForeignKeySchema::ToString() const {
  return absl::StrCat("(", absl::StrJoin(columns, ", "), ") REFERENCES ", referenced_schema, ".",
                      referenced_table, " (", absl::StrJoin(referenced_columns, ", "),
                      ") ON UPDATE ", on_update, " ON DELETE ", on_delete);
}

bool operator==(const ForeignKeySchema& a, const ForeignKeySchema& b) {
  return a.name == b.name && a.columns == b.columns && a.referenced_schema == b.referenced_schema &&
         a.referenced_table == b.referenced_table &&
         a.referenced_columns == b.referenced_columns && a.on_update == b.on_update &&
         a.on_delete == b.on_delete;
}

bool operator==(const TableOptions& a, const TableOptions& b) {
  return a.engine == b.engine && a.charset == b.charset && a.collation == b.collation &&
         a.row_format == b.row_format && a.auto_increment == b.auto_increment &&
         a.create_options == b.create_options && a.comment == b.comment;
}

std::string TableSchema::QualifiedName() const { return absl::StrCat(schema, ".", name); }

const ColumnSchema* TableSchema::FindColumn(absl::string_view column) const {
  for (const ColumnSchema& c : columns) {
    if (absl::EqualsIgnoreCase(c.name, column)) return &c;
  }
  return nullptr;
}

const IndexSchema* TableSchema::FindIndex(absl::string_view index) const {
  if (primary_key && absl::EqualsIgnoreCase(index, "PRIMARY")) return &*primary_key;
  for (const IndexSchema& i : indexes) {
    if (absl::EqualsIgnoreCase(i.name, index)) return &i;
  }
  return nullptr;
}

std::optional<IndexSchema> TableSchema::RowKey() const {
  if (primary_key) return primary_key;
  for (const IndexSchema& index : indexes) {
    if (!index.unique || index.parts.empty()) continue;
    bool usable = true;
    for (const IndexSchema::Part& p : index.parts) {
      const ColumnSchema* c = FindColumn(p.column);
      if (c == nullptr || c->nullable || p.prefix_length) usable = false;
    }
    if (usable) return index;
  }
  return std::nullopt;
}

bool operator==(const TableSchema& a, const TableSchema& b) {
  return a.schema == b.schema && a.name == b.name && a.columns == b.columns &&
         a.primary_key == b.primary_key && a.indexes == b.indexes &&
         a.foreign_keys == b.foreign_keys && a.options == b.options;
}

absl::StatusOr<std::vector<TableName>> ListTables(Connection& conn, absl::string_view schema) {
  std::string sql =
      "SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES WHERE TABLE_TYPE = 'BASE "
      "TABLE' AND ";
  if (schema.empty()) {
    absl::StrAppend(&sql,
                    "TABLE_SCHEMA NOT IN ('information_schema', 'mysql', 'performance_schema', "
                    "'sys')");
  } else {
    absl::StrAppend(&sql, "TABLE_SCHEMA = ", conn.Quote(schema));
  }
  absl::StrAppend(&sql, " ORDER BY TABLE_SCHEMA, TABLE_NAME");
  ASSIGN_OR_RETURN(ResultSet rs, conn.Query(sql));
  std::vector<TableName> out;
  out.reserve(rs.rows.size());
  for (const Row& row : rs.rows) out.emplace_back(Str(row, 0), Str(row, 1));
  return out;
}

absl::StatusOr<TableSchema> ReadTableSchema(Connection& conn, absl::string_view schema,
                                            absl::string_view table) {
  const std::string where = absl::StrCat("TABLE_SCHEMA = ", conn.Quote(schema),
                                         " AND TABLE_NAME = ", conn.Quote(table));
  TableSchema out;
  out.schema = std::string(schema);
  out.name = std::string(table);

  ASSIGN_OR_RETURN(
      ResultSet tables,
      conn.Query(absl::StrCat("SELECT ENGINE, TABLE_COLLATION, ROW_FORMAT, AUTO_INCREMENT, "
                              "CREATE_OPTIONS, TABLE_COMMENT, TABLE_ROWS, TABLE_TYPE "
                              "FROM information_schema.TABLES WHERE ",
                              where)));
  if (tables.rows.empty()) {
    return absl::NotFoundError(absl::StrCat("table ", schema, ".", table, " does not exist on ",
                                            conn.dsn().Address()));
  }
  {
    const Row& r = tables.rows[0];
    out.options.engine = Str(r, 0);
    out.options.collation = Str(r, 1);
    out.options.charset = out.options.collation.substr(0, out.options.collation.find('_'));
    out.options.row_format = Str(r, 2);
    uint64_t v = 0;
    if (r[3] && absl::SimpleAtoi(*r[3], &v)) out.options.auto_increment = v;
    out.options.create_options = Str(r, 4);
    out.options.comment = Str(r, 5);
    if (!absl::SimpleAtoi(Str(r, 6), &out.estimated_rows)) out.estimated_rows = 0;
  }

  ASSIGN_OR_RETURN(
      ResultSet columns,
      conn.Query(absl::StrCat(
          "SELECT COLUMN_NAME, ORDINAL_POSITION, DATA_TYPE, COLUMN_TYPE, IS_NULLABLE, "
          "COLUMN_DEFAULT, CHARACTER_SET_NAME, COLLATION_NAME, GENERATION_EXPRESSION, EXTRA, "
          "COLUMN_COMMENT, IS_GENERATED FROM information_schema.COLUMNS WHERE ",
          where, " ORDER BY ORDINAL_POSITION")));
  for (const Row& r : columns.rows) {
    ColumnSchema c;
    c.name = Str(r, 0);
    if (!absl::SimpleAtoi(Str(r, 1), &c.ordinal)) c.ordinal = 0;
    c.data_type = Lower(Str(r, 2));
    c.column_type = Str(r, 3);
    c.nullable = Str(r, 4) == "YES";
    c.default_value = r[5];
    c.charset = r[6];
    c.collation = r[7];
    // MySQL reports "" for ordinary columns, MariaDB NULL with IS_GENERATED = NEVER.
    if (r[8] && !r[8]->empty() && Str(r, 11) != "NEVER") c.generation_expression = r[8];
    c.extra = Lower(Str(r, 9));
    c.comment = Str(r, 10);
    out.columns.push_back(std::move(c));
  }

  ASSIGN_OR_RETURN(
      ResultSet stats,
      conn.Query(absl::StrCat("SELECT INDEX_NAME, NON_UNIQUE, SEQ_IN_INDEX, COLUMN_NAME, "
                              "SUB_PART, COLLATION, INDEX_TYPE FROM information_schema.STATISTICS "
                              "WHERE ",
                              where, " ORDER BY INDEX_NAME, SEQ_IN_INDEX")));
  std::map<std::string, IndexSchema> indexes;
  for (const Row& r : stats.rows) {
    IndexSchema& index = indexes[Str(r, 0)];
    index.name = Str(r, 0);
    index.unique = Str(r, 1) == "0";
    index.type = Str(r, 6);
    IndexSchema::Part part;
    part.column = Str(r, 3);
    int64_t sub = 0;
    if (r[4] && absl::SimpleAtoi(*r[4], &sub)) part.prefix_length = sub;
    part.descending = Str(r, 5) == "D";
    index.parts.push_back(std::move(part));
  }
  for (auto& [name, index] : indexes) {
    if (name == "PRIMARY") {
      out.primary_key = std::move(index);
    } else {
      out.indexes.push_back(std::move(index));
    }
  }

  ASSIGN_OR_RETURN(
      ResultSet fks,
      conn.Query(absl::StrCat(
          "SELECT k.CONSTRAINT_NAME, k.COLUMN_NAME, k.REFERENCED_TABLE_SCHEMA, "
          "k.REFERENCED_TABLE_NAME, k.REFERENCED_COLUMN_NAME, r.UPDATE_RULE, r.DELETE_RULE "
          "FROM information_schema.KEY_COLUMN_USAGE k JOIN "
          "information_schema.REFERENTIAL_CONSTRAINTS r ON r.CONSTRAINT_SCHEMA = "
          "k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME AND r.TABLE_NAME = "
          "k.TABLE_NAME WHERE k.TABLE_SCHEMA = ",
          conn.Quote(schema), " AND k.TABLE_NAME = ", conn.Quote(table),
          " AND k.REFERENCED_TABLE_NAME IS NOT NULL ORDER BY k.CONSTRAINT_NAME, "
          "k.ORDINAL_POSITION")));
  for (const Row& r : fks.rows) {
    if (out.foreign_keys.empty() || out.foreign_keys.back().name != Str(r, 0)) {
      ForeignKeySchema fk;
      fk.name = Str(r, 0);
      fk.referenced_schema = Str(r, 2);
      fk.referenced_table = Str(r, 3);
      fk.on_update = Str(r, 5);
      fk.on_delete = Str(r, 6);
      out.foreign_keys.push_back(std::move(fk));
    }
    out.foreign_keys.back().columns.push_back(Str(r, 1));
    out.foreign_keys.back().referenced_columns.push_back(Str(r, 4));
  }
  return out;
}

}  // namespace dcp::mysql
