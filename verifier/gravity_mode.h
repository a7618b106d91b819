// `verifier --config verifier.conf`: gravity's verifier, for existing users.
//
// The TOML file has gravity's keys:
//   source = { host, port, username, password, schema }   (also as a [source] table)
//   target = { host, port, username, password, schema }
//   source-table, target-table   table names; globs when shading = true
//   shading      bool: compare every table matching source-table (same name on the target)
//   col-name     the column ranges are taken over
//   col-type     "int", "time" or "string"
//   min-string, max-string   the range of a string column (values are prefix + digits)
//   prefix       the fixed prefix of string values
//   parallel     tables compared at once
// and the same behaviour: the table name lists (after the glob) must be identical; then per
// table `SELECT count(*) ... WHERE col BETWEEN lo AND hi` on both sides over the whole range,
// a range whose counts differ split in two and checked again until it is small (narrower than
// 10, or both counts under 20 with a difference under 10), and each such range printed as
//   "<lo> ~ <hi>: target - source = <diff>".
// Unlike gravity, the exit status says what was found (0 equal, 1 differences, 2 error).
#ifndef DCP_VERIFIER_GRAVITY_MODE_H_
#define DCP_VERIFIER_GRAVITY_MODE_H_

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "mysql/dsn.h"

namespace dcp::verifier {

struct GravityConfig {
  mysql::Dsn source;  // database = the schema
  mysql::Dsn target;
  std::string source_table;
  std::string target_table;
  bool shading = false;
  std::string col_name;
  std::string col_type = "int";  // int | time | string
  std::string min_string;
  std::string max_string;
  std::string prefix;
  int parallel = 1;

  // Parses the TOML text; kInvalidArgument names the bad key.
  static absl::StatusOr<GravityConfig> Parse(const std::string& toml_text);
};

// A range whose counts differ.
struct CountRange {
  int64_t lo = 0;
  int64_t hi = 0;
  int64_t source = 0;
  int64_t target = 0;
  friend bool operator==(const CountRange& a, const CountRange& b) {
    return a.lo == b.lo && a.hi == b.hi && a.source == b.source && a.target == b.target;
  }
};

// Counts rows with the column in [lo, hi] on (source, target).
using RangeCounter = std::function<absl::StatusOr<std::pair<int64_t, int64_t>>(int64_t, int64_t)>;

// gravity's count bisection over [lo, hi]: the small ranges whose counts differ, ascending.
absl::StatusOr<std::vector<CountRange>> BisectCounts(int64_t lo, int64_t hi,
                                                     const RangeCounter& count);

// Runs the whole mode, printing gravity's lines to `out`; returns the exit status.
int RunGravityMode(const GravityConfig& config, std::ostream& out, std::ostream& err);

}  // namespace dcp::verifier

#endif  // DCP_VERIFIER_GRAVITY_MODE_H_
