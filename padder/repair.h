// Repair: makes exactly the keys named by a diff report (repair_report.h) equal on the target
// to the source's current rows: a key whose row exists on the source is written with REPLACE
// (all columns but generated ones, values bound as typed parameters), a key missing on the
// source is DELETEd from the target. Keys are handled in batches (one SELECT, one multi-row
// REPLACE and one DELETE per batch, each batch one target transaction).
//
// Both sessions run with sql_mode='' (the target also with foreign_key_checks=0). The keys
// are written into the source's SELECT, and every value into the --dry-run SQL, as hex
// literals (mysql/sql_literal.h), which read the same under every sql_mode.
#ifndef DCP_PADDER_REPAIR_H_
#define DCP_PADDER_REPAIR_H_

#include <map>
#include <memory>
#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "mysql/dsn.h"
#include "padder/repair_report.h"
#include "util/clock.h"
#include "util/progress.h"
#include "util/throttle.h"

namespace dcp::padder {

struct RepairOptions {
  std::string report_file;
  mysql::Dsn source;
  mysql::Dsn target;
  bool dry_run = false;  // print the SQL instead of running it (still reads the source)
  int batch_size = 500;
  std::map<std::string, std::string> rename;  // source schema -> target schema (alarms)
  ProgressSpec progress;                      // keys done per table and overall
  // Waited on before each batch; nullptr: never throttled.
  std::shared_ptr<Throttle> throttle;
  Clock* clock = Clock::Real();
};

// The command: reads the report, repairs, prints per-table counts (and the SQL with dry_run).
// Report errors are kInvalidArgument or kDataLoss (repair_report.h).
absl::Status RunRepair(const RepairOptions& options, std::ostream& out);

}  // namespace dcp::padder

#endif  // DCP_PADDER_REPAIR_H_
