// The reports `padder repair` reads: which keys of which tables to make equal to the source.
//
//   - the JSON report of `verifier data --format json` (docs/verifier.md): per table,
//     source_table, target_table, key_columns and differences[].key, each key value a string
//     or {"hex": ...} (verifier/json.h);
//   - dcp Diff alarm documents (docs/alarms.md), one document or JSON lines: keys[].table and
//     keys[].key = "schema.table:v1,v2" (values bare or JSON-quoted), the key columns being
//     the source table's row key.
//
// Parsed with nlohmann-json (verifier::ParseJson). Errors say where: a file that is not JSON,
// or JSON of another shape, is kInvalidArgument; a truncated file or ill-formed UTF-8
// kDataLoss. Pure functions; thread-safe.
#ifndef DCP_PADDER_REPAIR_REPORT_H_
#define DCP_PADDER_REPAIR_REPORT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace dcp::padder {

// The keys of one table to repair.
struct RepairTable {
  std::string source_table;                    // "schema.table"
  std::string target_table;                    // "schema.table"; empty: from the source's
  std::vector<std::string> key_columns;        // empty: the source's row key
  std::vector<std::vector<std::string>> keys;  // key values as bytes, in key_columns order
};

// The tables with keys to repair in a verifier report or dcp alarm document(s), by source
// (and target) name.
absl::StatusOr<std::vector<RepairTable>> ParseRepairReport(absl::string_view text);

}  // namespace dcp::padder

#endif  // DCP_PADDER_REPAIR_REPORT_H_
