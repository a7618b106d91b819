// Repair: makes exactly the keys named by a diff report equal on the target to the source's
// current rows: a key whose row exists on the source is written with REPLACE (all columns
// but generated ones, values bound as typed parameters), a key missing on the source is
// DELETEd from the target. Keys are handled in batches (one SELECT, one multi-row REPLACE
// and one DELETE per batch, each batch one target transaction).
//
// Reports: the JSON report of `verifier data --format json` (tables[].differences[].key,
// docs/verifier.md), or dcp Diff alarm documents (docs/alarms.md; one document or JSON
// lines; keys[].table and keys[].key "schema.table:v1,v2" with the key columns taken from the
// source table's row key).
#ifndef DCP_PADDER_REPAIR_H_
#define DCP_PADDER_REPAIR_H_

#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mysql/dsn.h"

namespace dcp::padder {

struct RepairOptions {
  std::string report_file;
  mysql::Dsn source;
  mysql::Dsn target;
  bool dry_run = false;  // print the SQL instead of running it (still reads the source)
  int batch_size = 500;
  std::map<std::string, std::string> rename;  // source schema -> target schema (alarms)
};

// The keys of one table to repair.
struct RepairTable {
  std::string source_table;                    // "schema.table"
  std::string target_table;                    // "schema.table"
  std::vector<std::string> key_columns;        // empty: the source's row key
  std::vector<std::vector<std::string>> keys;  // key values as text, in key_columns order
};

// Parses a verifier report or dcp alarm document(s). kInvalidArgument for anything else.
absl::StatusOr<std::vector<RepairTable>> ParseRepairReport(absl::string_view text);

// The command: reads the report, repairs, prints per-table counts (and the SQL with dry_run).
absl::Status RunRepair(const RepairOptions& options, std::ostream& out);

}  // namespace dcp::padder

#endif  // DCP_PADDER_REPAIR_H_
