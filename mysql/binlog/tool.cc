#include "mysql/binlog/tool.h"

#include <cstring>
#include <map>
#include <memory>
#include <sstream>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "mysql/binlog/json_lines.h"
#include "mysql/binlog/reader.h"
#include "mysql/binlog/rows.h"
#include "mysql/binlog/stream_reader.h"
#include "mysql/credentials.h"
#include "mysql/dsn.h"
#include "util/cli.h"
#include "util/glob.h"
#include "util/json.h"
#include "util/log.h"
#include "util/status_macros.h"

namespace dcp::mysql::binlog {
namespace {

struct TableStats {
  uint64_t events = 0;
  uint64_t inserts = 0;
  uint64_t updates = 0;
  uint64_t deletes = 0;
};

class Output {
 public:
  explicit Output(std::FILE* f) : f_(f) { buf_.reserve(1 << 17); }
  ~Output() { Flush(); }
  std::string* buf() { return &buf_; }
  void MaybeFlush() {
    if (buf_.size() >= (1 << 16)) Flush();
  }
  void Flush() {
    if (!buf_.empty()) std::fwrite(buf_.data(), 1, buf_.size(), f_);
    buf_.clear();
  }

 private:
  std::FILE* f_;
  std::string buf_;
};

// Where the events come from, and the decoder options that go with it.
struct Source {
  std::unique_ptr<RawEventSource> events;
  Decoder::Options decoder_options;
};

absl::StatusOr<Source> OpenStream(const ToolOptions& options) {
  StreamReader::Options so;
  ASSIGN_OR_RETURN(const CredentialSources sources,
                   CredentialSourcesFromEnvironment(options.defaults_file));
  std::vector<std::string> warnings;
  ASSIGN_OR_RETURN(so.dsn, CommandLineDsn("--dsn", options.dsn, sources, &warnings));
  for (const std::string& w : warnings) LogUser(LogLevel::kWarning, w);
  so.server_id = options.server_id;
  if (so.server_id == 0) return absl::InvalidArgumentError("--dsn needs --server-id");
  if (!options.position.empty()) {
    const size_t colon = options.position.rfind(':');
    if (colon == std::string::npos ||
        !absl::SimpleAtoi(options.position.substr(colon + 1), &so.position)) {
      return absl::InvalidArgumentError("--position: expected file:pos");
    }
    so.file = options.position.substr(0, colon);
  }
  so.gtid = options.gtid;
  so.stop_never = options.stop_never;
  ASSIGN_OR_RETURN(std::unique_ptr<StreamReader> stream, StreamReader::Open(so));
  Source source;
  source.decoder_options.initial_checksum = stream->checksum();
  source.events = std::move(stream);
  return source;
}

absl::StatusOr<Source> OpenFiles(const ToolOptions& options) {
  FileReader::Options fo;
  fo.files = options.files;
  fo.start_position = options.start_position;
  fo.stop_position = options.stop_position;
  fo.follow_rotation = options.follow_rotation;
  Source source;
  ASSIGN_OR_RETURN(source.events, FileReader::Open(fo));
  return source;
}

// --events: the line of one event.
void AppendEventLine(absl::string_view file, const Event& ev, std::string* b) {
  absl::StrAppend(b, "{\"pos\":\"", file, ":", ev.offset, "\",\"type\":\"",
                  EventTypeName(ev.header.type), "\",\"size\":", ev.header.event_size,
                  ",\"ts\":", ev.header.timestamp, ",\"server_id\":", ev.header.server_id);
  if (const auto* q = std::get_if<QueryEvent>(&ev.body)) {
    b->append(",\"db\":");
    json::AppendString(q->schema, b);
    b->append(",\"query\":");
    json::AppendString(q->statement, b);
  } else if (const auto* g = std::get_if<GtidEvent>(&ev.body)) {
    b->append(",\"gtid\":");
    json::AppendString(g->ToString(), b);
  } else if (const auto* t = std::get_if<const TableMap*>(&ev.body)) {
    absl::StrAppend(b, ",\"table_id\":", (*t)->table_id, ",\"db\":");
    json::AppendString((*t)->schema, b);
    b->append(",\"table\":");
    json::AppendString((*t)->table, b);
    b->append(",\"columns\":[");
    for (size_t i = 0; i < (*t)->columns.size(); ++i) {
      const ColumnDef& col = (*t)->columns[i];
      if (i > 0) b->push_back(',');
      b->append("{\"name\":");
      json::AppendString(col.name, b);
      absl::StrAppend(b, ",\"type\":\"", ColumnTypeName(col.real_type),
                      "\",\"charset\":", col.charset, "}");
    }
    b->push_back(']');
  } else if (const auto* r = std::get_if<RowsEvent>(&ev.body)) {
    absl::StrAppend(b, ",\"table_id\":", r->table_id);
  } else if (const auto* rot = std::get_if<RotateEvent>(&ev.body)) {
    b->append(",\"next\":");
    json::AppendString(rot->next_file, b);
  }
  b->append("}\n");
}

// --tables: whether a table's db.table matches one of the globs (all pass without globs).
class TableFilter {
 public:
  explicit TableFilter(const std::vector<std::string>& globs) : globs_(globs) {}

  bool Passes(const TableMap& table) {
    if (globs_.empty()) return true;
    auto& entry = cache_[&table];
    const std::string key = absl::StrCat(table.schema, ".", table.table);
    if (entry.first != key) {
      entry.first = key;
      entry.second = false;
      for (const std::string& g : globs_) {
        if (GlobMatch(g, key)) entry.second = true;
      }
    }
    return entry.second;
  }

 private:
  const std::vector<std::string>& globs_;
  // Per table-map pointer: its db.table and whether it passes (recomputed when remapped).
  absl::flat_hash_map<const TableMap*, std::pair<std::string, bool>> cache_;
};

using StatsByTable = std::map<std::pair<std::string, std::string>, TableStats>;

// --stats: counts the rows of one rows event.
absl::Status CountRows(const RowsEvent& rows, RowChange& change, StatsByTable& stats) {
  TableStats& s = stats[{rows.table->schema, rows.table->table}];
  ++s.events;
  RowIterator it(rows);
  uint64_t n = 0;
  while (!it.done()) {
    RETURN_IF_ERROR(it.Next(change));
    ++n;
  }
  (rows.op == RowOp::kInsert ? s.inserts : rows.op == RowOp::kUpdate ? s.updates : s.deletes) += n;
  return absl::OkStatus();
}

void AppendStats(const StatsByTable& stats, std::string* b) {
  for (const auto& [name, s] : stats) {
    b->append("{\"db\":");
    json::AppendString(name.first, b);
    b->append(",\"table\":");
    json::AppendString(name.second, b);
    absl::StrAppend(b, ",\"row_events\":", s.events, ",\"insert\":", s.inserts,
                    ",\"update\":", s.updates, ",\"delete\":", s.deletes, "}\n");
  }
}

// The JSON lines of the row changes of one rows event.
absl::Status AppendRows(const RowsEvent& rows, const RowContext& ctx, RowChange& change,
                        Output& output) {
  RowIterator it(rows);
  while (!it.done()) {
    RETURN_IF_ERROR(it.Next(change));
    RETURN_IF_ERROR(AppendRowJson(ctx, change, output.buf()));
    output.MaybeFlush();
  }
  return absl::OkStatus();
}

}  // namespace

void AddToolFlags(CLI::App* cmd, ToolFlags* f) {
  ToolOptions& o = f->options;
  cmd->add_option("--file", o.files, "binlog files, read in the order given");
  cmd->add_option("--start-position", o.start_position,
                  "first event offset in the first file (default 4)");
  cmd->add_option("--stop-position", f->stop_position,
                  "stop before the first event at or after N in the last file");
  cmd->add_flag("--follow-rotation", o.follow_rotation,
                "after the last file, follow its ROTATE to the next file");
  cmd->add_option("--tables", o.table_globs,
                  "only tables whose db.table matches one of these globs (* and ?)")
      ->delimiter(',');
  cmd->add_option("--dsn", o.dsn,
                  "read a live server's binlog as a replica: "
                  "mysql://user@host:port[?password-env=VAR|password-file=PATH]");
  cmd->add_option("--defaults-file", o.defaults_file,
                  "my.cnf-style file whose [client] password a --dsn without one uses");
  cmd->add_option("--server-id", f->server_id,
                  "the replica server id to register with (required with --dsn)");
  cmd->add_option("--position", o.position, "FILE:POS to start at (default: the first binlog)");
  cmd->add_option("--gtid", o.gtid, "MariaDB: start after this GTID position");
  cmd->add_flag("--stop-never", o.stop_never,
                "keep reading new events (default: stop at the current end)");
  cmd->add_flag("--stats", o.stats, "print per-table row counts instead of rows");
  cmd->add_flag("--events", o.events, "print one line per event instead of rows");
}

absl::StatusOr<ToolOptions> FinishToolOptions(const CLI::App& cmd, const ToolFlags& f) {
  ToolOptions o = f.options;
  if (cmd.count("--stop-position") > 0) o.stop_position = f.stop_position;
  if (cmd.count("--server-id") > 0) {
    if (f.server_id == 0 || f.server_id > UINT32_MAX) {
      return absl::InvalidArgumentError("--server-id: 1..2^32-1");
    }
    o.server_id = static_cast<uint32_t>(f.server_id);
  }
  if (o.files.empty() == o.dsn.empty()) {
    return absl::InvalidArgumentError("give either --file or --dsn");
  }
  return o;
}

absl::StatusOr<ToolOptions> ParseToolArgs(int argc, char** argv) {
  cli::CommonFlags common;
  auto app = cli::NewApp("binlog", "decode binlog files to JSON lines", &common);
  ToolFlags flags;
  AddToolFlags(app.get(), &flags);
  std::ostringstream out, err;
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (std::optional<int> code = cli::Parse(*app, args, common, out, err)) {
    return absl::InvalidArgumentError(err.str());
  }
  return FinishToolOptions(*app, flags);
}

absl::Status RunTool(const ToolOptions& options, std::FILE* out) {
  ASSIGN_OR_RETURN(Source source, options.dsn.empty() ? OpenFiles(options) : OpenStream(options));
  EventReader reader(source.events.get(), source.decoder_options);
  Output output(out);
  RowChange change;
  std::string gtid;
  TableFilter filter(options.table_globs);
  StatsByTable stats;
  for (;;) {
    ASSIGN_OR_RETURN(const Event* ev, reader.Next());
    if (ev == nullptr) break;
    if (options.events) {
      AppendEventLine(reader.file(), *ev, output.buf());
      output.MaybeFlush();
    }
    if (const auto* g = std::get_if<GtidEvent>(&ev->body)) {
      gtid = g->ToString();
      continue;
    }
    const auto* rows = std::get_if<RowsEvent>(&ev->body);
    if (rows == nullptr || rows->table == nullptr || !filter.Passes(*rows->table)) continue;
    if (options.events) continue;
    if (options.stats) {
      RETURN_IF_ERROR(CountRows(*rows, change, stats));
      continue;
    }
    RowContext ctx;
    ctx.file = reader.file();
    ctx.offset = ev->offset;
    ctx.gtid = gtid;
    ctx.timestamp = ev->header.timestamp;
    ctx.table = rows->table;
    RETURN_IF_ERROR(AppendRows(*rows, ctx, change, output));
  }
  if (options.stats) AppendStats(stats, output.buf());
  output.Flush();
  return absl::OkStatus();
}

int RunBinlogCommand(const ToolOptions& options) {
  const absl::Status s = RunTool(options, stdout);
  std::fflush(stdout);
  if (!s.ok()) return cli::Fail("dcp binlog", s, 1);
  return 0;
}

}  // namespace dcp::mysql::binlog
