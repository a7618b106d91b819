// SQL text for the data comparison: normalised column expressions, key-range predicates,
// per-chunk checksums, chunk boundaries and row fetches. Pure functions; thread-safe.
//
// Checksum: per row, SHA-256 over
//   CONCAT_WS('#', e1, ..., en, CONCAT(ISNULL(c1), ..., ISNULL(cn)))
// where ei is column i normalised (below) and the ISNULL string marks NULLs, so that NULL and
// '' differ and NULLs in different columns differ (only columns nullable on either side get a
// marker). Per row, a 64-bit value: CRC32 of the hash's first 32 hex digits in the high half,
// CRC32 of the last 32 in the low half (independent halves of a SHA-256). Per chunk: COUNT(*)
// and the SUM of the rows' values (exact: a DECIMAL). SHA-256 is non-linear, so the same edit
// made to two rows does not cancel as it does under BIT_XOR of CRC32 of the row text; SUM is
// not blind to rows that appear twice. Order-independent. Functions every MySQL and MariaDB
// has. SHA2() was measured faster than MD5() on MariaDB 10.11 (CPU SHA extensions), CONV() of
// hash digits slower than the hash itself.
//
// Normalisation, chosen from both sides' column types so that equal values of compatible
// types produce the same text on both servers:
//   integers of any width/sign     as is (decimal text)
//   DECIMAL with different scales  CAST(c AS DECIMAL(65, max scale))
//   FLOAT (either side)            CAST(c AS DOUBLE), every bit of the value
//   DATETIME/TIMESTAMP/TIME with different fractional digits  CAST to the larger precision
//   character columns with different character sets  CONVERT(c USING utf8mb4)
//   BIT                            CAST(c AS UNSIGNED)
//   everything else (strings, BLOBs, JSON, ENUM, DATE...)  as is
#ifndef DCP_VERIFIER_CHUNK_SQL_H_
#define DCP_VERIFIER_CHUNK_SQL_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "mysql/connection.h"
#include "mysql/schema.h"

namespace dcp::verifier {

// A key tuple: one text value per key column, as the server prints it.
using KeyValue = std::vector<std::string>;

// Quotes `value` as a string literal (backslash escaping, the server's default sql_mode);
// `binary` adds the _binary introducer so arbitrary bytes survive a utf8mb4 connection.
std::string SqlLiteral(absl::string_view value, bool binary);

// The expression that normalises column `source` (compared with `target`) on either side.
std::string NormalizedExpr(const mysql::ColumnSchema& source, const mysql::ColumnSchema& target);

// A column compared between the sides.
struct ComparedColumn {
  std::string name;
  std::string expr;  // NormalizedExpr
  bool binary = false;
  bool nullable = true;  // on either side; only nullable columns need a NULL marker
};

// What one table's comparison reads, on either side.
struct TablePlan {
  std::string source_table;  // quoted `schema`.`table`
  std::string target_table;
  std::vector<std::string> key_columns;  // empty: no usable key (full-scan mode)
  std::vector<bool> key_binary;
  std::string key_index;                // index name for FORCE INDEX; empty for none
  std::vector<ComparedColumn> columns;  // compared, key columns first
  std::string where;                    // user condition, without WHERE; may be empty
};

// "(k1 > v1) OR (k1 = v1 AND k2 > v2) ..." for key > lower, and the <= upper counterpart;
// std::nullopt bounds are open. Returns "1" when both are open.
std::string RangePredicate(const TablePlan& plan, const std::optional<KeyValue>& lower,
                           const std::optional<KeyValue>& upper);

// The row hash expression (SHA-256, 64 hex digits).
std::string RowHashExpr(const TablePlan& plan);

// SELECT COUNT(*), SUM(64-bit row value) over the range, on `table`.
std::string ChecksumSql(const TablePlan& plan, const std::string& table,
                        const std::optional<KeyValue>& lower, const std::optional<KeyValue>& upper);

// SELECT <normalised key columns>, <row hash> of the range ordered by key.
std::string RowHashesSql(const TablePlan& plan, const std::string& table,
                         const std::optional<KeyValue>& lower,
                         const std::optional<KeyValue>& upper);

// The key `offset` rows past `lower` (exclusive) and before `upper` (inclusive), in key order.
std::string BoundarySql(const TablePlan& plan, const std::string& table,
                        const std::optional<KeyValue>& lower, const std::optional<KeyValue>& upper,
                        uint64_t offset);

// SELECT <normalised columns>[, <extra>] of the range ordered by key. `extra` (may be empty)
// appends more select expressions (the fix-SQL values).
std::string FetchRowsSql(const TablePlan& plan, const std::string& table,
                         const std::optional<KeyValue>& lower, const std::optional<KeyValue>& upper,
                         const std::vector<std::string>& extra);

// Like FetchRowsSql but for the given keys only.
std::string FetchKeysSql(const TablePlan& plan, const std::string& table,
                         const std::vector<KeyValue>& keys, const std::vector<std::string>& extra);

}  // namespace dcp::verifier

#endif  // DCP_VERIFIER_CHUNK_SQL_H_
