// `verifier data`: row-exact comparison of the selected tables of a source and a target.
//
// Per table, the rows are walked in chunks over the row key (the primary key, else a unique
// index over NOT NULL columns); chunk boundaries come from the source, so a chunk is a key
// range that both sides checksum in SQL (chunk_sql.h) at the same time. The first and last
// chunks are open-ended, so target rows outside the source's key range are covered too. Chunk
// sizes adapt toward `chunk_time`. A chunk whose count or checksum differs is bisected on the
// key until a range holds at most `row_fetch_limit` rows; the per-row hashes of that range are
// fetched from both sides, and the rows whose hashes differ (or that exist on one side only)
// are fetched whole and compared column by column.
//
// Parallelism: `parallel` workers, each with its own source and target connection, take
// chunks of any unfinished table (boundaries of one table are found one at a time; checksums
// run concurrently); within a chunk the source and target queries run at the same time.
//
// Thread-safety: CompareData() is a blocking call that owns its threads.
#ifndef DCP_VERIFIER_DATA_COMPARE_H_
#define DCP_VERIFIER_DATA_COMPARE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "mysql/connection.h"
#include "mysql/dsn.h"
#include "util/clock.h"
#include "util/progress.h"
#include "util/throttle.h"
#include "verifier/chunk_sql.h"

namespace dcp::verifier {

// Options of the tables matching `table` (a schema.table glob on the source name; the first
// matching entry wins), from a verifier config file's [[table]] entries. Unset fields keep
// the run's.
struct TableOverride {
  std::string table;
  std::optional<std::string> where;
  std::optional<std::vector<std::string>> columns;
  std::optional<std::vector<std::string>> ignore_columns;
  std::optional<absl::Duration> chunk_time;
  std::optional<uint64_t> chunk_rows;  // a fixed chunk size instead of chunk_time's adaptation
};

struct DataOptions {
  mysql::Dsn source;
  mysql::Dsn target;
  std::vector<std::string> tables;  // globs, as for schema
  std::vector<std::string> exclude;
  std::vector<std::string> maps;
  std::vector<std::string> columns;         // compare only these (key columns always used)
  std::vector<std::string> ignore_columns;  // never compare these
  std::string where;                        // SQL condition applied on both sides
  int parallel = 2;
  absl::Duration chunk_time = absl::Milliseconds(500);
  uint64_t initial_chunk_rows = 1000;
  uint64_t min_chunk_rows = 100;
  uint64_t max_chunk_rows = 100000;
  // Bisect until a range holds at most this many rows; then compare per-row hashes and fetch
  // whole rows only for the keys that differ.
  // Fetching key + hash of 100,000 rows costs less than the checksums of bisecting them.
  uint64_t row_fetch_limit = 100000;
  // Tables with neither a primary key nor a unique NOT NULL key: compared as a whole (one
  // checksum, then every row as a multiset) when true; an error otherwise.
  bool allow_full_scan = false;
  // Compare a native replica with its primary at one point in time (see docs/verifier.md):
  // the target is treated as a replica of the source.
  bool snapshot = false;
  // Re-fetch differing rows after this delay and keep only the differences that persist
  // (0: off). Repeated `recheck_rounds` times.
  absl::Duration recheck_delay = absl::ZeroDuration();
  int recheck_rounds = 0;
  bool collect_fix_values = false;  // fetch source rows for fix SQL
  std::string resume_file;          // empty: no resume state
  std::vector<TableOverride> table_overrides;
  // Rows done per table and overall (util/progress.h); estimates from TABLE_ROWS.
  ProgressSpec progress;
  // Waited on before every chunk (util/throttle.h); nullptr: never throttled.
  std::shared_ptr<Throttle> throttle;
  Clock* clock = Clock::Real();
};

// `options` as they apply to the source table `name` (its first matching override applied).
DataOptions OptionsForTable(const DataOptions& options, const std::string& name);

struct ColumnDifference {
  std::string column;
  std::optional<std::string> source;
  std::optional<std::string> target;
};

struct RowDifference {
  enum class Kind { kMissing, kExtra, kDifferent };
  Kind kind = Kind::kDifferent;
  // The row's key values (normalised text), or every column in full-scan mode.
  KeyValue key;
  std::vector<ColumnDifference> columns;  // kDifferent only
  // The source row for fix SQL (kMissing/kDifferent, when collected): one value per
  // TableResult::fix_columns entry, hex text for binary columns.
  std::vector<std::optional<std::string>> source_values;

  static const char* KindName(Kind k);  // "missing", "extra", "different"
};

struct TableResult {
  std::string source_table;  // schema.table
  std::string target_table;
  bool missing_on_target = false;  // the table exists on the source only
  bool extra_on_target = false;    // on the target only
  std::vector<std::string> key_columns;
  std::vector<bool> key_binary;  // per key column: a binary type (literals need _binary)
  std::vector<std::string> compared_columns;
  // Columns present on one side only: not compared (a schema difference).
  std::vector<std::string> one_side_columns;
  std::vector<std::string> fix_columns;  // columns written by fix SQL
  // Per fix column, how its value is written: 's' string literal, 'x' hex (binary types),
  // 'n' bare number (BIT).
  std::string fix_kinds;
  uint64_t source_rows = 0;
  uint64_t target_rows = 0;
  uint64_t chunks = 0;
  uint64_t mismatched_chunks = 0;
  std::vector<RowDifference> differences;
  std::string error;  // non-empty: this table could not be compared
  absl::Duration elapsed;
  bool resumed_complete = false;  // skipped: a resumed run had already verified it

  bool identical() const {
    return error.empty() && !missing_on_target && !extra_on_target && differences.empty();
  }
};

struct DataReport {
  std::vector<TableResult> tables;
  absl::Duration elapsed;
  std::string snapshot_position;  // the GTID position compared at (--snapshot)
  // The per-row value of the chunk checksums (chunk_sql.h): "sha256-crc32c" when both servers
  // have CRC32C(), else "sha256-crc32".
  std::string checksum;

  bool identical() const;
  bool has_error() const;
  uint64_t total_rows() const;
};

// Runs the comparison. Errors that stop the whole run (connection, bad options) are statuses;
// a table that cannot be compared (no usable key) is reported in its TableResult::error.
absl::StatusOr<DataReport> CompareData(const DataOptions& options);

}  // namespace dcp::verifier

#endif  // DCP_VERIFIER_DATA_COMPARE_H_
