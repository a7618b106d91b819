// `dcp binlog`: decodes binlog files (or a live stream) and prints row changes as JSON lines.
//
//   dcp binlog --file F [F...] [--start-position N] [--stop-position N] [--follow-rotation]
//              [--tables GLOB[,GLOB...]] [--stats | --events]
//   dcp binlog --dsn mysql://user@host:port?password-env=VAR --server-id N [...]
//
// Output format: docs/binlog.md. The main in cmd/ adds the flags to its `binlog` command
// (AddToolFlags, util/cli.h's grammar) and calls RunBinlogCommand.
#ifndef DCP_MYSQL_BINLOG_TOOL_H_
#define DCP_MYSQL_BINLOG_TOOL_H_

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace dcp::mysql::binlog {

struct ToolOptions {
  std::vector<std::string> files;
  uint64_t start_position = 4;
  std::optional<uint64_t> stop_position;
  bool follow_rotation = false;
  std::vector<std::string> table_globs;  // "db.table" patterns (util/glob.h); empty: all
  bool stats = false;                    // print per-table counts instead of rows
  bool events = false;                   // print one line per event instead of rows
  // Live stream (see stream_reader.h).
  std::string dsn;
  std::string defaults_file;  // [client] password for a DSN without one (mysql/credentials.h)
  std::string position;  // "file:pos"
  std::string gtid;      // MariaDB GTID position
  uint32_t server_id = 0;
  bool stop_never = false;
};

// The flags as given; FinishToolOptions() checks them.
struct ToolFlags {
  ToolOptions options;
  uint64_t stop_position = 0;
  uint64_t server_id = 0;
};
void AddToolFlags(CLI::App* cmd, ToolFlags* flags);
// kInvalidArgument for an inconsistent set (both or neither of --file and --dsn, ...).
absl::StatusOr<ToolOptions> FinishToolOptions(const CLI::App& cmd, const ToolFlags& flags);

// Parses the arguments after "binlog" (argv[0] is "binlog"), as the command does.
// kInvalidArgument on bad flags.
absl::StatusOr<ToolOptions> ParseToolArgs(int argc, char** argv);

// Runs the command, writing JSON lines to `out`.
absl::Status RunTool(const ToolOptions& options, std::FILE* out);

// Runs the command to stdout. Returns the process exit code (0 ok, 1 error).
int RunBinlogCommand(const ToolOptions& options);

}  // namespace dcp::mysql::binlog

#endif  // DCP_MYSQL_BINLOG_TOOL_H_
