// `dcp push`: JSON-lines row changes (the `dcp binlog` format, docs/binlog.md) to a dcp gRPC
// collector, as canonically encoded dcp.Messages (docs/encoding.md) sent through a Pusher.
//
// Each line is one row change. Its values are mapped to canonical tagged values by their JSON
// form, or by a declared column kind (`--type`) where the JSON form is ambiguous (a DECIMAL,
// a DATETIME and a VARCHAR all arrive as JSON strings). Key columns come from `--key` or from
// a "key" array on the line. Rows of the barrier table with the configured barrier id become
// barrier messages carrying the row's `offset`; payloads before the first barrier are dropped
// and counted, as the MySQL collector does (collector/mysql_collector.h), so a pusher and a
// collector reading the same changes deliver the same messages.
//
//   ASSIGN_OR_RETURN(PushOptions options, ParsePushArgs(argc, argv));
//   ASSIGN_OR_RETURN(PushStats stats, RunPush(options));
// `dcp push` itself adds the flags to its command (AddPushFlags, util/cli.h's grammar).
#ifndef DCP_COLLECTOR_PUSH_H_
#define DCP_COLLECTOR_PUSH_H_

#include <cstdint>
#include <istream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "collector/encoding.h"
#include "collector/pusher.h"
#include "proto/dcp.pb.h"

namespace dcp::collector {

// How a column's JSON value is read. kAuto goes by the JSON form: null -> NULL, integer ->
// n:, other number -> n: (shortest double), string -> s:, {"base64":..} / {"hex":..} -> b:,
// other objects and arrays -> j:.
enum class ColumnKind { kAuto, kNumber, kText, kChar, kBinary, kDate, kTime, kDateTime, kJson };

// "auto", "number", "text", "char", "binary", "date", "time", "datetime", "json".
absl::StatusOr<ColumnKind> ParseColumnKind(absl::string_view name);

struct PushOptions {
  PusherOptions pusher;  // target, token, TLS roots, batching
  std::string tag;
  std::string file;  // empty or "-": stdin
  // "schema.table" -> key column names in key order.
  std::map<std::string, std::vector<std::string>> keys;
  // "schema.table.column" (lower case) -> kind; unlisted columns are kAuto.
  std::map<std::string, ColumnKind> kinds;
  std::string barrier_schema = "drc";
  std::string barrier_table = "barrier";
  uint64_t barrier_id = 1;
};

struct PushStats {
  uint64_t lines = 0;
  uint64_t messages = 0;  // payloads and barriers handed to the pusher
  uint64_t barriers = 0;
  uint64_t dropped_before_barrier = 0;
  uint64_t rejected = 0;  // refused by the collector
};

// Turns lines into messages. Keeps the "seen a barrier" state; not thread-safe.
class LineEncoder {
 public:
  explicit LineEncoder(const PushOptions& options) : options_(options) {}

  // The message for one line: nullopt for lines that carry nothing to send (rows of the
  // barrier table that are not this checker's barrier, payloads before the first barrier,
  // blank lines). kInvalidArgument for malformed lines, values that do not fit the declared
  // kind, and tables without key columns (naming the table).
  absl::StatusOr<std::optional<Message>> Encode(absl::string_view line);

  uint64_t dropped_before_barrier() const { return dropped_; }

 private:
  const PushOptions& options_;
  bool seen_barrier_ = false;
  uint64_t dropped_ = 0;
};

// The flags of `dcp push` as given:
//   --target ADDR --tag T [--token-file F] [--tls-ca F] [--tls-server-name N] [--file F]
//   [--key schema.table=col1,col2]... [--type schema.table.col=KIND]...
//   [--barrier-table schema.table] [--barrier-id N] [--batch N]
struct PushFlags {
  std::string target, tag, token_file, tls_ca, tls_server_name, file;
  std::vector<std::string> keys, types;
  std::string barrier_table = "drc.barrier";
  uint64_t barrier_id = 1;
  size_t batch = 0;  // 0: the Pusher's default
};
void AddPushFlags(CLI::App* cmd, PushFlags* flags);
// kInvalidArgument on bad or missing flags, unreadable token/CA files.
absl::StatusOr<PushOptions> FinishPushOptions(const PushFlags& flags);

// Parses the arguments after "push" (argv[0] is "push"), as the command does.
absl::StatusOr<PushOptions> ParsePushArgs(int argc, char** argv);

// Reads `in` to its end, pushes every message, flushes. Errors: kInvalidArgument with the line
// number for a bad line (what came before it was pushed), the Pusher's errors, and
// kFailedPrecondition when the collector rejected messages (the first rejection named).
absl::StatusOr<PushStats> RunPush(const PushOptions& options, std::istream& in);
// The same over options.file (or stdin).
absl::StatusOr<PushStats> RunPush(const PushOptions& options);

// `dcp push`: runs, reports the counts on stderr. Exit 0, 2 on any error (message on stderr).
int RunPushCommand(const PushOptions& options);

}  // namespace dcp::collector

#endif  // DCP_COLLECTOR_PUSH_H_
