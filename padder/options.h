// Options of a padder replay run, and their TOML form (gravity's padder.toml keys, extended;
// docs/padder.md lists every key). Plain data; thread-compatible.
#ifndef DCP_PADDER_OPTIONS_H_
#define DCP_PADDER_OPTIONS_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mysql/dsn.h"
#include "util/progress.h"
#include "util/throttle.h"

namespace dcp::padder {

// What to do when a row change conflicts with the target's row.
enum class ConflictPolicy { kSkip, kOverride, kFail };
absl::StatusOr<ConflictPolicy> ParseConflictPolicy(absl::string_view text);
absl::string_view ConflictPolicyName(ConflictPolicy p);

// What to do with a DDL statement in the range.
enum class DdlPolicy { kStop, kSkip };

struct Options {
  // Source: binlog files (in order) or a live server read as a replica.
  std::vector<std::string> binlog_files;
  std::optional<mysql::Dsn> source;
  uint32_t source_server_id = 0;  // the replica id to register with (live source)

  // Range. start_file empty: the first listed file (or the live server's first binlog).
  std::string start_file;
  uint64_t start_position = 4;
  std::string stop_file;  // with stop_position: stop before the event at stop_file:pos
  std::optional<uint64_t> stop_position;
  // MariaDB GTID range: apply transactions after `gtid_start` (a GTID position, one GTID per
  // domain) up to and including `gtid_stop`.
  std::string gtid_start;
  std::string gtid_stop;

  mysql::Dsn target;
  // Tables as "schema.table" globs; empty include: every table.
  std::vector<std::string> include;
  std::vector<std::string> exclude;
  std::map<std::string, std::string> rename;  // source schema -> target schema

  bool enable_delete = false;
  ConflictPolicy policy = ConflictPolicy::kSkip;
  DdlPolicy ddl = DdlPolicy::kStop;
  // Source transactions per target transaction (each source transaction is applied whole).
  int batch_size = 1;
  uint64_t max_transactions = 0;  // stop after this many applied transactions; 0: no limit

  std::string checkpoint_file;  // empty: no checkpoint
  std::string conflict_log = "conflict.log";
  std::string stats_file = "stats.json";
  bool preview = false;
  ProgressSpec progress;  // over the whole range (replay_progress.h)
  // Waited on before each target transaction (each batch); nullptr: never throttled.
  std::shared_ptr<Throttle> throttle;
};

// Parses padder.toml. kInvalidArgument names the file, line and key on errors.
absl::StatusOr<Options> ParseConfigFile(const std::string& path);
absl::StatusOr<Options> ParseConfigText(absl::string_view text, const std::string& origin);

}  // namespace dcp::padder

#endif  // DCP_PADDER_OPTIONS_H_
