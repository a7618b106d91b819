// Table schemas read from information_schema: a value type describing one table's columns,
// keys, foreign keys and options, and functions that read it through a mysql::Connection.
//
// The value types are plain data: copyable, comparable with ==, thread-compatible. The
// readers issue a handful of information_schema queries per table on the given connection
// (not thread-safe, like the connection itself).
//
// Values are kept as the server reports them (e.g. column_type "int(10) unsigned", a default
// "'abc'" quoted the MariaDB way), so that two servers of the same family compare exactly; the
// verifier decides which differences matter.
#ifndef DCP_MYSQL_SCHEMA_H_
#define DCP_MYSQL_SCHEMA_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mysql/connection.h"

namespace dcp::mysql {

struct ColumnSchema {
  std::string name;
  int ordinal = 0;          // 1-based position in the table
  std::string data_type;    // lower case, e.g. "int", "varchar", "decimal"
  std::string column_type;  // full text, e.g. "int(10) unsigned", "varchar(20)", "enum('a','b')"
  bool nullable = true;
  // COLUMN_DEFAULT as reported (MariaDB quotes string literals: "'x'"; "NULL" for a nullable
  // column without a default); std::nullopt when the column has no default.
  std::optional<std::string> default_value;
  std::optional<std::string> charset;    // character columns only
  std::optional<std::string> collation;  // character columns only
  // The expression of a generated column; std::nullopt for an ordinary column.
  std::optional<std::string> generation_expression;
  // EXTRA, lower case: "auto_increment", "on update current_timestamp()", "stored generated"...
  std::string extra;
  std::string comment;

  bool auto_increment() const;
  // Integer / decimal / float / temporal / string / binary classification, used to choose a
  // comparison normalisation.
  bool IsInteger() const;
  bool IsDecimal() const;
  bool IsFloat() const;     // float, double, real
  bool IsTemporal() const;  // date, datetime, timestamp, time, year
  bool IsBinary() const;    // binary, varbinary, *blob, geometry types
  bool IsBit() const;
  // Fractional-second digits of datetime/timestamp/time columns, or the scale of a decimal;
  // 0 when the type carries none.
  int Scale() const;

  friend bool operator==(const ColumnSchema& a, const ColumnSchema& b);
  friend bool operator!=(const ColumnSchema& a, const ColumnSchema& b) { return !(a == b); }
};

struct IndexSchema {
  struct Part {
    std::string column;
    std::optional<int64_t> prefix_length;  // SUB_PART
    bool descending = false;
    friend bool operator==(const Part& a, const Part& b) {
      return a.column == b.column && a.prefix_length == b.prefix_length &&
             a.descending == b.descending;
    }
  };
  std::string name;  // "PRIMARY" for the primary key
  bool unique = false;
  std::string type;  // BTREE, HASH, FULLTEXT, SPATIAL
  std::vector<Part> parts;

  // "(a, b(10) DESC)": the key's parts in a readable form.
  std::string PartsToString() const;
  std::vector<std::string> ColumnNames() const;

  friend bool operator==(const IndexSchema& a, const IndexSchema& b) {
    return a.name == b.name && a.unique == b.unique && a.type == b.type && a.parts == b.parts;
  }
  friend bool operator!=(const IndexSchema& a, const IndexSchema& b) { return !(a == b); }
};

struct ForeignKeySchema {
  std::string name;
  std::vector<std::string> columns;
  std::string referenced_schema;
  std::string referenced_table;
  std::vector<std::string> referenced_columns;
  std::string on_update;  // "RESTRICT", "CASCADE", ...
  std::string on_delete;

  // "(a, b) REFERENCES s.t (x, y) ON UPDATE ... ON DELETE ..."
  std::string ToString() const;

  friend bool operator==(const ForeignKeySchema& a, const ForeignKeySchema& b);
  friend bool operator!=(const ForeignKeySchema& a, const ForeignKeySchema& b) { return !(a == b); }
};

struct TableOptions {
  std::string engine;
  std::string charset;    // derived from the table's default collation
  std::string collation;  // TABLE_COLLATION
  std::string row_format;
  std::optional<uint64_t> auto_increment;  // the next AUTO_INCREMENT value, if any
  std::string create_options;
  std::string comment;
  friend bool operator==(const TableOptions& a, const TableOptions& b);
};

struct TableSchema {
  std::string schema;
  std::string name;
  std::vector<ColumnSchema> columns;  // in ordinal order
  std::optional<IndexSchema> primary_key;
  std::vector<IndexSchema> indexes;  // unique and secondary indexes other than PRIMARY, by name
  std::vector<ForeignKeySchema> foreign_keys;  // by name
  TableOptions options;
  // TABLE_ROWS: the engine's estimate, for progress reporting only (not compared).
  uint64_t estimated_rows = 0;

  // "schema.table" (unquoted, for messages and glob matching).
  std::string QualifiedName() const;
  const ColumnSchema* FindColumn(absl::string_view name) const;
  const IndexSchema* FindIndex(absl::string_view name) const;
  // The key to identify rows by: the primary key, else the first unique index (by name) all
  // of whose columns are NOT NULL and unprefixed; std::nullopt when there is none.
  std::optional<IndexSchema> RowKey() const;

  // Equality over everything but estimated_rows.
  friend bool operator==(const TableSchema& a, const TableSchema& b);
  friend bool operator!=(const TableSchema& a, const TableSchema& b) { return !(a == b); }
};

// A (schema, table) name pair.
using TableName = std::pair<std::string, std::string>;

// Base tables (not views) of `schema`, or of every non-system schema when `schema` is empty
// (information_schema, mysql, performance_schema and sys excluded), sorted.
absl::StatusOr<std::vector<TableName>> ListTables(Connection& conn, absl::string_view schema = "");

// Reads one table's schema. kNotFound when the table does not exist.
absl::StatusOr<TableSchema> ReadTableSchema(Connection& conn, absl::string_view schema,
                                            absl::string_view table);

}  // namespace dcp::mysql

#endif  // DCP_MYSQL_SCHEMA_H_
