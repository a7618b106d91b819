// What `verifier data` reads and writes for one table pair, decided from both sides' schemas:
// the row key (the source's primary key, else its first unique index over NOT NULL columns),
// the compared columns with their normalisation (chunk_sql.h), the columns fix SQL writes and
// how their values are read. Pure functions of the schemas and options, but for
// IntKeyRange(), which asks the source; thread-compatible.
#ifndef DCP_VERIFIER_DATA_PLAN_H_
#define DCP_VERIFIER_DATA_PLAN_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "mysql/connection.h"
#include "mysql/schema.h"
#include "verifier/chunk_sql.h"
#include "verifier/data_compare.h"
#include "verifier/schema_compare.h"

namespace dcp::verifier {

struct TableSetup {
  TablePlan plan;
  // Names, key, compared, one-side and fix columns; `error` set when the table cannot be
  // compared (a key column missing on the target; no key without --full-scan).
  TableResult result;
  // Per fix column (result.fix_columns), the select expression of its source value: HEX()
  // for binary columns, CAST AS UNSIGNED for BIT, CAST AS DOUBLE for FLOAT (the text protocol
  // rounds FLOAT to 6 digits), the column itself otherwise.
  std::vector<std::string> fix_exprs;
  bool full_scan = false;  // no usable key: compared as a whole
  uint64_t estimated_rows = 0;
};

// Plans the comparison of `pair` from the schemas of both sides, with the column selection,
// --where and --full-scan of `options`; `crc32c`: both servers have CRC32C().
TableSetup PlanTable(const TablePair& pair, const mysql::TableSchema& source,
                     const mysql::TableSchema& target, const DataOptions& options, bool crc32c);

// For a table keyed by one integer column: the smallest and largest key on the source, when
// the table has rows and the range leaves room to step by value; else std::nullopt (chunked by
// boundary scans instead).
absl::StatusOr<std::optional<std::pair<int64_t, int64_t>>> IntKeyRange(
    mysql::Connection& source, const TablePlan& plan, const mysql::TableSchema& schema);

}  // namespace dcp::verifier

#endif  // DCP_VERIFIER_DATA_PLAN_H_
