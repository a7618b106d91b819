// `verifier data --config verifier.toml`: the settings of a data comparison in a file, for CI
// runs with many tables and per-table options (as sync-diff-inspector's config). Every key
// of [data] is the flag of the same name (docs/verifier.md); a flag given on the command line
// wins over the file. Passwords come from password-env / password-file beside the DSN.
//
//   [source]
//   dsn = "mysql://verifier@10.0.0.1:3306"
//   password-env = "SOURCE_PASSWORD"
//   [target]
//   dsn = "mysql://verifier@10.0.0.2:3306"
//   password-file = "/etc/dcp/target.pw"
//   [data]
//   tables = ["shop.*"]
//   parallel = 4
//   chunk-time = "500ms"
//   [[table]]
//   name = "shop.orders"            # a schema.table glob on the source name
//   where = "created_at >= '2024-01-01'"
//   columns = ["id", "status"]
//   chunk-rows = 5000
//
// Pure parsing; thread-compatible.
#ifndef DCP_VERIFIER_DATA_CONFIG_H_
#define DCP_VERIFIER_DATA_CONFIG_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mysql/dsn.h"
#include "verifier/data_compare.h"

namespace dcp::verifier {

struct DataConfig {
  std::optional<mysql::Dsn> source;
  std::optional<mysql::Dsn> target;
  // [data]: as the flags give them (durations and specs as text, parsed with the flags').
  std::optional<std::string> format, where, fix_sql, junit, resume, progress, chunk_time,
      recheck_delay, max_lag, barrier_table;
  std::optional<int> parallel, recheck, row_fetch_limit;
  std::optional<bool> snapshot, full_scan;
  std::optional<std::vector<std::string>> tables, exclude, map, columns, ignore_columns, max_load;
  std::vector<mysql::Dsn> replicas;
  std::vector<TableOverride> table_overrides;  // [[table]]
};

// kInvalidArgument "origin:line:col: key: what" for a malformed file, an unknown key or a
// value of the wrong type.
absl::StatusOr<DataConfig> ParseDataConfig(absl::string_view text, const std::string& origin);
absl::StatusOr<DataConfig> ReadDataConfig(const std::string& path);

}  // namespace dcp::verifier

#endif  // DCP_VERIFIER_DATA_CONFIG_H_
