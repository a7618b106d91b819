// SQL text for the data comparison: normalised column expressions, key-range predicates,
// per-chunk checksums, chunk boundaries and row fetches. Pure functions; thread-safe.
//
// Row text: CONCAT_WS(CAST(X'FF' AS BINARY), e1, ..., en, LENGTH(ed1), ..., LENGTH(edk),
//                     CONCAT(ISNULL(c1), ..., ISNULL(cn)))
// where ei is column i normalised (below). The separator is the byte 0xFF, which no UTF-8 or
// ASCII text, number or date contains; the columns whose text may contain it (binary strings,
// text in other character sets: "delimited" columns) have their lengths appended, so the row
// text splits back into its values one way only: ('a#', 'b') and ('a', '#b') differ, as do
// ('a' 0xFF, 'b') and ('a', 0xFF 'b'). The ISNULL string marks NULLs, so that NULL and ''
// differ and NULLs in different columns differ (only columns nullable on either side get a
// marker). The separator is a binary string of the same derivation as a column, so that the
// row text is binary: a hex literal alone would be converted to the columns' utf8mb4 (and
// rejected).
//
// Checksum: per row, SHA-256 of the row text (64 hex digits), and from it a 64-bit value:
// CRC32 of the digits in the high half and CRC32C of them in the low half when both servers
// have CRC32C() (MariaDB >= 10.8), else CRC32 of the first 32 digits and of the last 32 (every
// MySQL and MariaDB). The per-row value is a pseudo-random function of the row, so the same
// edit made to two rows does not cancel as it does under BIT_XOR of CRC32 of the row text.
// Per chunk: COUNT(*) and the BIT_XOR of the rows' values when the table has a key (each row
// is there once and its text differs from every other row's), the SUM (exact: a DECIMAL)
// in full-scan mode, where a row can appear twice and would cancel itself under XOR.
// Order-independent. The row's hash is kept in a session variable so that it is computed once
// per row, and read only inside the expression that sets it. Measured on MariaDB 10.11
// (bench/row_hash_cost.sh): SHA2() faster than MD5() (CPU SHA extensions), CONV()
// of hash digits slower than the hash itself, SUM() dearer than BIT_XOR().
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

// A key tuple: one text value per key column, as the server prints it. Written into SQL as
// mysql::StringLiteral (hex, the same under every sql_mode; _binary for binary columns).
using KeyValue = std::vector<std::string>;

// The expression that normalises column `source` (compared with `target`) on either side.
std::string NormalizedExpr(const mysql::ColumnSchema& source, const mysql::ColumnSchema& target);

// A column compared between the sides.
struct ComparedColumn {
  std::string name;
  std::string expr;  // NormalizedExpr
  bool binary = false;
  bool nullable = true;    // on either side; only nullable columns need a NULL marker
  bool delimited = false;  // its text may contain the separator 0xFF: its LENGTH is hashed too
};

// Whether column `source` (compared with `target`), normalised, may produce text containing
// the byte 0xFF (the row text's separator): binary strings and text in character sets other
// than UTF-8 and ASCII do; numbers, dates, BITs and UTF-8/ASCII text never do.
bool MayContainSeparator(const mysql::ColumnSchema& source, const mysql::ColumnSchema& target);

// What one table's comparison reads, on either side.
struct TablePlan {
  std::string source_table;  // quoted `schema`.`table`
  std::string target_table;
  std::vector<std::string> key_columns;  // empty: no usable key (full-scan mode)
  std::vector<bool> key_binary;
  std::string key_index;                // index name for FORCE INDEX; empty for none
  std::vector<ComparedColumn> columns;  // compared, key columns first
  std::string where;                    // user condition, without WHERE; may be empty
  bool crc32c = false;  // both servers have CRC32C(): the cheaper per-row value (above)
};

// "(k1 > v1) OR (k1 = v1 AND k2 > v2) ..." for key > lower, and the <= upper counterpart;
// std::nullopt bounds are open. Returns "1" when both are open.
std::string RangePredicate(const TablePlan& plan, const std::optional<KeyValue>& lower,
                           const std::optional<KeyValue>& upper);

// The row hash expression: SHA-256 of the row text, 64 hex digits.
std::string RowHashExpr(const TablePlan& plan);

// SELECT COUNT(*), BIT_XOR or SUM of the rows' 64-bit values over the range, on `table` (see
// "Checksum" above); an empty range gives 0, 0.
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
