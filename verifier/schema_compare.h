// `verifier schema`: reads the selected tables' schemas on a source and a target and lists
// every difference (see schema_diff.h for the classes).
//
// Also home of table pairing, shared with `verifier data`: which source table is compared
// with which target table, and which tables exist on one side only.
#ifndef DCP_VERIFIER_SCHEMA_COMPARE_H_
#define DCP_VERIFIER_SCHEMA_COMPARE_H_

#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "mysql/connection.h"
#include "mysql/dsn.h"
#include "mysql/schema.h"
#include "verifier/schema_diff.h"
#include "verifier/table_filter.h"

namespace dcp::verifier {

struct TablePair {
  mysql::TableName source;
  mysql::TableName target;
};

struct TablePairing {
  std::vector<TablePair> pairs;                     // present on both sides, by source name
  std::vector<mysql::TableName> missing_on_target;  // source names
  std::vector<mysql::TableName> extra_on_target;    // target names
};

// Lists the tables of `source_conn` (its DSN's database, or all user schemas) selected by
// `filter`, maps them, and pairs them with `target_conn`'s tables. When both DSNs name a
// database and they differ, "src_db.*=dst_db.*" is implied after the explicit maps.
absl::StatusOr<TablePairing> PairTables(mysql::Connection& source_conn,
                                        mysql::Connection& target_conn,
                                        const std::vector<std::string>& tables,
                                        const std::vector<std::string>& exclude,
                                        const std::vector<std::string>& maps);

enum class OutputFormat { kText, kJson };

struct SchemaOptions {
  mysql::Dsn source;
  mysql::Dsn target;
  std::vector<std::string> tables;
  std::vector<std::string> exclude;
  std::vector<std::string> maps;
  std::set<std::string> ignore;  // classes; "column_order" is added unless check_column_order
  bool check_column_order = false;
};

struct SchemaReport {
  int tables_compared = 0;
  std::vector<SchemaDifference> differences;
};

// Connects, pairs tables and compares them. Errors (connection, privileges, bad options) are
// statuses; differences are the result.
absl::StatusOr<SchemaReport> CompareSchemas(const SchemaOptions& options);

// Writes `report` as text (one difference per line, then a summary) or as JSON:
//   {"tables_compared": N, "differences": [{"class":..., "source_table":..., "target_table":...,
//    "object":..., "source":..., "target":...}], "identical": bool}
void WriteSchemaReport(const SchemaReport& report, OutputFormat format, std::ostream& out);

}  // namespace dcp::verifier

#endif  // DCP_VERIFIER_SCHEMA_COMPARE_H_
