#include "mysql/binlog/tool.h"

#include <fnmatch.h>

#include <cstring>
#include <map>
#include <memory>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "mysql/binlog/json_lines.h"
#include "mysql/binlog/reader.h"
#include "mysql/binlog/rows.h"
#include "mysql/binlog/stream_reader.h"
#include "mysql/dsn.h"
#include "util/json.h"
#include "util/status_macros.h"

namespace dcp::mysql::binlog {
namespace {

constexpr char kUsage[] =
    "usage: dcp binlog --file F [F...] [--start-position N] [--stop-position N]\n"
    "                  [--follow-rotation] [--tables GLOB[,GLOB...]] [--stats | --events]\n"
    "       dcp binlog --dsn mysql://user:pw@host:port --server-id N\n"
    "                  [--position FILE:POS | --gtid D-S-N[,...]] [--stop-never] [...]\n"
    "Prints one JSON line per row change (format: docs/binlog.md).\n"
    "  --file F...          binlog files, read in the order given\n"
    "  --start-position N   first event offset in the first file (default 4)\n"
    "  --stop-position N    stop before the first event at or after N in the last file\n"
    "  --follow-rotation    after the last file, follow its ROTATE to the next file\n"
    "  --tables GLOBS       only tables whose db.table matches one glob (fnmatch)\n"
    "  --dsn DSN            read a live server's binlog as a replica (see docs/binlog.md)\n"
    "  --server-id N        the replica server id to register with (required with --dsn)\n"
    "  --position FILE:POS  start there (default: the first binlog, position 4)\n"
    "  --gtid LIST          MariaDB: start after this GTID position\n"
    "  --stop-never         keep reading new events (default: stop at the current end)\n"
    "  --stats              print per-table row counts instead of rows\n"
    "  --events             print one line per event (type, position) instead of rows\n";

absl::StatusOr<uint64_t> ParseUint(absl::string_view flag, absl::string_view v) {
  uint64_t n;
  if (!absl::SimpleAtoi(v, &n)) {
    return absl::InvalidArgumentError(absl::StrCat(flag, ": not a number: ", v));
  }
  return n;
}

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
  ASSIGN_OR_RETURN(so.dsn, Dsn::Parse(options.dsn));
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
        if (fnmatch(g.c_str(), key.c_str(), 0) == 0) entry.second = true;
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

absl::StatusOr<ToolOptions> ParseToolArgs(int argc, char** argv) {
  ToolOptions o;
  for (int i = 1; i < argc; ++i) {
    const absl::string_view a = argv[i];
    auto value = [&]() -> absl::StatusOr<absl::string_view> {
      if (i + 1 >= argc) return absl::InvalidArgumentError(absl::StrCat(a, " needs a value"));
      return absl::string_view(argv[++i]);
    };
    if (a == "--file") {
      ASSIGN_OR_RETURN(absl::string_view f, value());
      o.files.emplace_back(f);
      while (i + 1 < argc && argv[i + 1][0] != '-') o.files.emplace_back(argv[++i]);
    } else if (a == "--start-position") {
      ASSIGN_OR_RETURN(absl::string_view v, value());
      ASSIGN_OR_RETURN(o.start_position, ParseUint(a, v));
    } else if (a == "--stop-position") {
      ASSIGN_OR_RETURN(absl::string_view v, value());
      ASSIGN_OR_RETURN(o.stop_position, ParseUint(a, v));
    } else if (a == "--follow-rotation") {
      o.follow_rotation = true;
    } else if (a == "--tables") {
      ASSIGN_OR_RETURN(absl::string_view v, value());
      for (absl::string_view g : absl::StrSplit(v, ',', absl::SkipEmpty())) {
        o.table_globs.emplace_back(g);
      }
    } else if (a == "--events") {
      o.events = true;
    } else if (a == "--stats") {
      o.stats = true;
    } else if (a == "--dsn") {
      ASSIGN_OR_RETURN(absl::string_view v, value());
      o.dsn = std::string(v);
    } else if (a == "--position") {
      ASSIGN_OR_RETURN(absl::string_view v, value());
      o.position = std::string(v);
    } else if (a == "--gtid") {
      ASSIGN_OR_RETURN(absl::string_view v, value());
      o.gtid = std::string(v);
    } else if (a == "--server-id") {
      ASSIGN_OR_RETURN(absl::string_view v, value());
      ASSIGN_OR_RETURN(uint64_t id, ParseUint(a, v));
      if (id == 0 || id > UINT32_MAX) return absl::InvalidArgumentError("--server-id: 1..2^32-1");
      o.server_id = static_cast<uint32_t>(id);
    } else if (a == "--stop-never") {
      o.stop_never = true;
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown argument ", a));
    }
  }
  if (o.files.empty() == o.dsn.empty()) {
    return absl::InvalidArgumentError("give either --file or --dsn");
  }
  return o;
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

int BinlogMain(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      std::fputs(kUsage, stdout);
      return 0;
    }
  }
  auto options = ParseToolArgs(argc, argv);
  if (!options.ok()) {
    std::fprintf(stderr, "dcp binlog: %s\n%s", std::string(options.status().message()).c_str(),
                 kUsage);
    return 2;
  }
  const absl::Status s = RunTool(*options, stdout);
  std::fflush(stdout);
  if (!s.ok()) {
    std::fprintf(stderr, "dcp binlog: %s\n", s.ToString().c_str());
    return 1;
  }
  return 0;
}

}  // namespace dcp::mysql::binlog
