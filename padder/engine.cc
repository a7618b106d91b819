#include "padder/engine.h"

#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "mysql/binlog/reader.h"
#include "mysql/binlog/rows.h"
#include "mysql/binlog/stream_reader.h"
#include "mysql/binlog/value.h"
#include "util/atomic_file.h"
#include "util/glob.h"
#include "util/json.h"
#include "util/status_macros.h"
#include "verifier/json.h"

namespace dcp::padder {

namespace bl = ::dcp::mysql::binlog;
using mysql::Param;

std::string Position::ToString() const { return absl::StrCat(file, ":", offset); }

std::string Checkpoint::Serialize() const {
  return absl::StrCat("file=", position.file, "\nposition=", position.offset, "\ngtid=", gtid,
                      "\ntransactions=", transactions, "\n");
}

absl::StatusOr<Checkpoint> Checkpoint::Parse(absl::string_view text) {
  Checkpoint c;
  bool have_file = false, have_pos = false;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipWhitespace())) {
    const size_t eq = line.find('=');
    if (eq == absl::string_view::npos) {
      return absl::DataLossError(absl::StrCat("checkpoint: bad line '", line, "'"));
    }
    absl::string_view key = line.substr(0, eq), value = line.substr(eq + 1);
    if (key == "file") {
      c.position.file = std::string(value);
      have_file = true;
    } else if (key == "position") {
      if (!absl::SimpleAtoi(value, &c.position.offset)) {
        return absl::DataLossError(absl::StrCat("checkpoint: bad position '", value, "'"));
      }
      have_pos = true;
    } else if (key == "gtid") {
      c.gtid = std::string(value);
    } else if (key == "transactions") {
      if (!absl::SimpleAtoi(value, &c.transactions)) {
        return absl::DataLossError(absl::StrCat("checkpoint: bad transactions '", value, "'"));
      }
    }
  }
  if (!have_file || !have_pos) return absl::DataLossError("checkpoint: file or position missing");
  return c;
}

absl::StatusOr<GtidPosition> ParseGtidPosition(absl::string_view text) {
  GtidPosition p;
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    std::vector<absl::string_view> f = absl::StrSplit(absl::StripAsciiWhitespace(part), '-');
    uint32_t domain = 0, server = 0;
    uint64_t seq = 0;
    if (f.size() != 3 || !absl::SimpleAtoi(f[0], &domain) || !absl::SimpleAtoi(f[1], &server) ||
        !absl::SimpleAtoi(f[2], &seq)) {
      return absl::InvalidArgumentError(
          absl::StrCat("'", part, "' is not a MariaDB GTID (domain-server-sequence)"));
    }
    p[domain] = {server, seq};
  }
  return p;
}

std::string GtidPositionToString(const GtidPosition& p) {
  std::vector<std::string> parts;
  for (const auto& [domain, v] : p)
    parts.push_back(absl::StrCat(domain, "-", v.first, "-", v.second));
  return absl::StrJoin(parts, ",");
}

double Stats::ConflictRatio() const {
  return write_events == 0 ? 0.0 : static_cast<double>(conflicts) / write_events;
}
double Stats::UnknownRatio() const {
  return write_events == 0 ? 0.0 : static_cast<double>(unknown_rows) / write_events;
}

std::string Stats::ToJson() const {
  std::string out = absl::StrFormat(
      "{\n  \"WriteEventCount\": %d,\n  \"ConflictRatio\": %.6f,\n  \"UnknownRatio\": %.6f,\n",
      write_events, ConflictRatio(), UnknownRatio());
  absl::StrAppend(&out, "  \"Transactions\": ", transactions_applied,
                  ",\n  \"RolledBackTransactions\": ", transactions_rolled_back,
                  ",\n  \"UnterminatedTransactions\": ", transactions_unterminated,
                  ",\n  \"AlreadyApplied\": ", already_applied, ",\n  \"Conflicts\": ", conflicts,
                  ",\n  \"UnknownRows\": ", unknown_rows, ",\n  \"ConflictsByKind\": {");
  bool first = true;
  for (const auto& [kind, n] : conflicts_by_kind) {
    absl::StrAppend(&out, first ? "" : ", ", json::Quote(kind), ": ", n);
    first = false;
  }
  absl::StrAppend(&out, "},\n  \"Tables\": {");
  first = true;
  for (const auto& [name, c] : tables) {
    absl::StrAppend(&out, first ? "\n" : ",\n", "    ", json::Quote(name),
                    ": {\"inserts\": ", c.inserts, ", \"updates\": ", c.updates,
                    ", \"deletes\": ", c.deletes, ", \"applied\": ", c.applied,
                    ", \"already_applied\": ", c.already_applied, ", \"conflicts\": ", c.conflicts,
                    ", \"deletes_skipped\": ", c.deletes_skipped, "}");
    first = false;
  }
  absl::StrAppend(&out, first ? "}\n}\n" : "\n  }\n}\n");
  return out;
}

std::string Stats::Summary() const {
  std::string out =
      absl::StrCat("transactions applied: ", transactions_applied,
                   " (rolled back in the source: ", transactions_rolled_back,
                   ", unterminated: ", transactions_unterminated,
                   ", outside the GTID range: ", transactions_outside_gtid_range, ")\n",
                   "row changes: ", write_events, ", already applied: ", already_applied,
                   ", conflicts: ", conflicts, ", rows of unknown tables: ", unknown_rows, "\n");
  for (const auto& [kind, n] : conflicts_by_kind) absl::StrAppend(&out, "  ", kind, ": ", n, "\n");
  for (const auto& [name, c] : tables) {
    absl::StrAppend(&out, "  ", name, ": ", c.inserts, " inserts, ", c.updates, " updates, ",
                    c.deletes, " deletes; applied ", c.applied, ", already applied ",
                    c.already_applied, ", conflicts ", c.conflicts, ", deletes skipped ",
                    c.deletes_skipped, "\n");
  }
  if (checkpoint.has_value()) {
    absl::StrAppend(&out, "position: ", checkpoint->position.ToString());
    if (!checkpoint->gtid.empty()) absl::StrAppend(&out, " gtid ", checkpoint->gtid);
    absl::StrAppend(&out, "\n");
  }
  return out;
}

namespace {

// A decoded value as a typed parameter, normalized for the target column.
absl::StatusOr<std::optional<Param>> ToParam(const bl::ColumnDef& col, const bl::Value& v,
                                             const TableInfo& t, size_t idx) {
  Param p;
  switch (v.kind) {
    case bl::ValueKind::kAbsent:
      return std::nullopt;
    case bl::ValueKind::kNull:
      return Param::Null();
    case bl::ValueKind::kInt:
      if (t.unsigned_bits[idx] > 0) {
        const int bits = t.unsigned_bits[idx];
        const uint64_t mask = bits == 64 ? ~uint64_t{0} : ((uint64_t{1} << bits) - 1);
        return Param::Uint(static_cast<uint64_t>(v.i) & mask);
      }
      return Param::Int(v.i);
    case bl::ValueKind::kUint:
    case bl::ValueKind::kYear:
    case bl::ValueKind::kEnum:
    case bl::ValueKind::kSet:
    case bl::ValueKind::kBit:
      return Param::Uint(v.u);
    case bl::ValueKind::kFloat:
      return Param::Float(v.f);
    case bl::ValueKind::kDouble:
      return Param::Double(v.d);
    case bl::ValueKind::kDecimal: {
      std::string s;
      RETURN_IF_ERROR(bl::AppendDecimal(v.bytes, v.precision, v.scale, &s));
      return Param::Decimal(std::move(s));
    }
    case bl::ValueKind::kDate:
    case bl::ValueKind::kTime:
    case bl::ValueKind::kDateTime:
    case bl::ValueKind::kTimestamp: {
      bl::Temporal tm = v.temporal;
      p.kind = Param::Kind::kDateTime;
      if (v.kind == bl::ValueKind::kDate) p.kind = Param::Kind::kDate;
      if (v.kind == bl::ValueKind::kTime) p.kind = Param::Kind::kTime;
      if (v.kind == bl::ValueKind::kTimestamp) {
        // 0 is the zero TIMESTAMP; anything else is seconds since the epoch, sent in UTC.
        tm = v.u == 0 && v.temporal.microsecond == 0
                 ? bl::Temporal()
                 : bl::TemporalFromUnix(v.u, v.temporal.microsecond);
      }
      p.year = tm.year;
      p.month = tm.month;
      p.day = tm.day;
      p.hour = tm.hour;
      p.minute = tm.minute;
      p.second = tm.second;
      p.microsecond = tm.microsecond;
      p.negative = tm.negative;
      return p;
    }
    case bl::ValueKind::kString:
    case bl::ValueKind::kBlob:
    case bl::ValueKind::kGeometry:
    case bl::ValueKind::kVector: {
      std::string bytes(v.bytes);
      // BINARY(N) and UUID values are logged without their trailing zero bytes.
      if (t.pad_to[idx] > 0 && bytes.size() < static_cast<size_t>(t.pad_to[idx])) {
        bytes.resize(t.pad_to[idx], '\0');
      }
      return Param::Bytes(std::move(bytes));
    }
    case bl::ValueKind::kJson: {
      std::string s;
      RETURN_IF_ERROR(bl::AppendText(v, &s));
      return Param::Text(std::move(s));
    }
    case bl::ValueKind::kJsonDiff:
      return absl::UnimplementedError(
          absl::StrCat("column ", col.name,
                       ": partial JSON updates (binlog_row_value_options="
                       "PARTIAL_JSON) cannot be replayed"));
  }
  return std::nullopt;
}

std::string ParamJson(const Param& p) {
  switch (p.kind) {
    case Param::Kind::kNull:
      return "null";
    case Param::Kind::kInt:
    case Param::Kind::kUint:
    case Param::Kind::kFloat:
    case Param::Kind::kDouble:
      return p.ToString();
    default:
      return verifier::ValueJson(p.ToString());
  }
}

std::string ImageJson(const TableInfo& t, const Image& image, bool key_only) {
  std::vector<std::string> parts;
  auto add = [&](size_t k) {
    if (k >= image.size() || !image[k].has_value()) return;
    parts.push_back(absl::StrCat(json::Quote(t.columns[k]), ":", ParamJson(*image[k])));
  };
  if (key_only && !t.key.empty()) {
    for (size_t k : t.key) add(k);
  } else {
    for (size_t k = 0; k < image.size() && k < t.columns.size(); ++k) add(k);
  }
  return absl::StrCat("{", absl::StrJoin(parts, ","), "}");
}

// Replaces `path` with `content` through a temporary file and a rename, without fsync: other
// processes see the old or the new content, never a mix; after an OS crash it may be older.
absl::Status ReplaceFile(const std::string& path, const std::string& content) {
  const std::string tmp = absl::StrCat(path, ".tmp.", getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << content;
    out.close();
    if (!out) return absl::InternalError(absl::StrCat("writing ", tmp, " failed"));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    return absl::InternalError(absl::StrCat("rename to ", path, ": ", ec.message()));
  }
  return absl::OkStatus();
}

bool IsControlQuery(absl::string_view q, absl::string_view word) {
  q = absl::StripAsciiWhitespace(q);
  return absl::StartsWithIgnoreCase(q, word) &&
         (q.size() == word.size() ||
          absl::ascii_isspace(static_cast<unsigned char>(q[word.size()])) || q[word.size()] == ';');
}

}  // namespace

class Engine::Impl {
 public:
  Impl(const Options& options, Target* target, Clock* clock)
      : options_(options), target_(target), clock_(clock) {}

  Result Run(bl::RawEventSource* source, bl::Decoder::Options decoder_options) {
    Result r;
    r.status = Loop(source, decoder_options);
    if (options_.preview) {
      if (target_open_) (void)target_->Rollback();
    } else if (r.status.ok()) {
      r.status = CommitBatch();
    } else if (target_open_) {
      (void)target_->Rollback();
      target_open_ = false;
    }
    if (!options_.preview && !synced_) {
      const absl::Status s = WriteCheckpoint(/*durable=*/true);
      if (r.status.ok()) r.status = s;
    }
    if (progress_shown_) std::fprintf(stderr, "\n");
    stats_.checkpoint = committed_;
    r.stats = std::move(stats_);
    return r;
  }

 private:
  struct Change {
    const TableInfo* table = nullptr;  // nullptr: the target has no such table
    std::string target_name;
    bl::RowOp op = bl::RowOp::kInsert;
    Image before, after;
    Position position;
  };

  absl::Status Loop(bl::RawEventSource* source, bl::Decoder::Options decoder_options) {
    if (!options_.gtid_start.empty()) {
      ASSIGN_OR_RETURN(gtid_start_, ParseGtidPosition(options_.gtid_start));
    }
    if (!options_.gtid_stop.empty()) {
      ASSIGN_OR_RETURN(gtid_stop_, ParseGtidPosition(options_.gtid_stop));
    }
    gtid_pos_ = gtid_start_;
    if (committed_.has_value() && !committed_->gtid.empty()) {
      ASSIGN_OR_RETURN(gtid_pos_, ParseGtidPosition(committed_->gtid));
    }
    if (options_.preview) {
      RETURN_IF_ERROR(target_->Begin());
      target_open_ = true;
    }
    bl::EventReader reader(source, decoder_options);
    bl::RowChange change;
    last_progress_ = clock_->Now();
    for (;;) {
      ASSIGN_OR_RETURN(const bl::Event* ev, reader.Next());
      if (ev == nullptr) break;
      ++events_;
      const Position here{std::string(reader.file()), ev->offset};
      if (!options_.stop_file.empty() && options_.stop_position.has_value() &&
          here.file == options_.stop_file && here.offset >= *options_.stop_position) {
        break;
      }
      const Position next{here.file, ev->offset + ev->header.event_size};
      if (options_.progress) ShowProgress(next);
      if (const auto* g = std::get_if<bl::GtidEvent>(&ev->body)) {
        StartTransaction();
        if (g->mariadb) {
          gtid_ = {g->domain_id, g->server_id, g->sequence};
          have_gtid_ = true;
          auto s = gtid_start_.find(g->domain_id);
          if (s != gtid_start_.end() && g->sequence <= s->second.second) in_range_ = false;
          auto e = gtid_stop_.find(g->domain_id);
          if (e != gtid_stop_.end() && g->sequence > e->second.second) break;
        }
        in_txn_ = (g->flags & 1) == 0;  // FL_STANDALONE: a DDL without BEGIN/COMMIT
        continue;
      }
      if (const auto* q = std::get_if<bl::QueryEvent>(&ev->body)) {
        if (IsControlQuery(q->statement, "BEGIN")) {
          in_txn_ = true;
        } else if (IsControlQuery(q->statement, "COMMIT")) {
          RETURN_IF_ERROR(CommitTransaction(next));
          if (Done()) break;
        } else if (IsControlQuery(q->statement, "ROLLBACK")) {
          ++stats_.transactions_rolled_back;
          StartTransaction();
        } else if (IsControlQuery(q->statement, "SAVEPOINT") ||
                   absl::StartsWithIgnoreCase(q->statement, "ROLLBACK TO")) {
          // Within a transaction; the rows logged are those that survived.
        } else {
          RETURN_IF_ERROR(Ddl(*q, here, next));
          if (Done()) break;
        }
        continue;
      }
      if (std::holds_alternative<bl::XidEvent>(ev->body)) {
        RETURN_IF_ERROR(CommitTransaction(next));
        if (Done()) break;
        continue;
      }
      if (const auto* rows = std::get_if<bl::RowsEvent>(&ev->body)) {
        if (!in_range_ || rows->table == nullptr) continue;
        RETURN_IF_ERROR(BufferRows(*rows, here, change));
      }
    }
    if (!changes_.empty() || in_txn_) {
      if (!changes_.empty()) ++stats_.transactions_unterminated;
    }
    return absl::OkStatus();
  }

  bool Done() const {
    return options_.max_transactions > 0 && applied_this_run_ >= options_.max_transactions;
  }

  void StartTransaction() {
    changes_.clear();
    in_txn_ = false;
    in_range_ = true;
    have_gtid_ = false;
  }

  absl::Status Ddl(const bl::QueryEvent& q, const Position& here, const Position& next) {
    const bool in_range = in_range_;
    StartTransaction();
    if (!in_range) {
      ++stats_.transactions_outside_gtid_range;
      return absl::OkStatus();
    }
    if (options_.ddl == DdlPolicy::kStop) {
      return absl::FailedPreconditionError(absl::StrCat(
          "DDL at ", here.ToString(), " (schema '", q.schema, "'): ", q.statement.substr(0, 300),
          "\nThe target schema must match the rows being applied: apply the DDL to the target "
          "and start after it (",
          next.ToString(), "), or set ddl = \"skip\"."));
    }
    ++stats_.ddl_skipped;
    return absl::OkStatus();
  }

  absl::Status BufferRows(const bl::RowsEvent& rows, const Position& here, bl::RowChange& change) {
    const bl::TableMap& map = *rows.table;
    const std::string source_name = absl::StrCat(map.schema, ".", map.table);
    if (!Selected(source_name)) return absl::OkStatus();
    auto renamed = options_.rename.find(map.schema);
    const std::string schema = renamed == options_.rename.end() ? map.schema : renamed->second;
    ASSIGN_OR_RETURN(const TableInfo* info, target_->Table(schema, map.table));
    if (info != nullptr) RETURN_IF_ERROR(CheckColumns(map, *info));
    bl::RowIterator it(rows);
    while (!it.done()) {
      RETURN_IF_ERROR(it.Next(change));
      Change c;
      c.table = info;
      c.target_name = absl::StrCat(schema, ".", map.table);
      c.op = change.op;
      c.position = here;
      if (info != nullptr) {
        ASSIGN_OR_RETURN(c.before, Convert(map, change.before, *info));
        ASSIGN_OR_RETURN(c.after, Convert(map, change.after, *info));
      }
      changes_.push_back(std::move(c));
    }
    return absl::OkStatus();
  }

  bool Selected(const std::string& name) const {
    bool included = options_.include.empty();
    for (const std::string& g : options_.include) included = included || GlobMatch(g, name);
    if (!included) return false;
    for (const std::string& g : options_.exclude) {
      if (GlobMatch(g, name)) return false;
    }
    return true;
  }

  absl::Status CheckColumns(const bl::TableMap& map, const TableInfo& info) {
    if (map.columns.size() != info.columns.size()) {
      return absl::FailedPreconditionError(
          absl::StrCat("table ", info.QualifiedName(), ": the binlog rows have ",
                       map.columns.size(), " columns, the target table ", info.columns.size(),
                       "; the target schema must match the rows being applied"));
    }
    for (size_t i = 0; i < map.columns.size(); ++i) {
      if (!map.columns[i].name.empty() && map.columns[i].name != info.columns[i]) {
        return absl::FailedPreconditionError(absl::StrCat(
            "table ", info.QualifiedName(), ": column ", i + 1, " is '", map.columns[i].name,
            "' in the binlog and '", info.columns[i], "' on the target"));
      }
    }
    return absl::OkStatus();
  }

  absl::StatusOr<Image> Convert(const bl::TableMap& map, const std::vector<bl::Value>& values,
                                const TableInfo& info) {
    Image image;
    if (values.empty()) return image;
    image.resize(info.columns.size());
    for (size_t i = 0; i < values.size() && i < info.columns.size(); ++i) {
      ASSIGN_OR_RETURN(image[i], ToParam(map.columns[i], values[i], info, i));
    }
    return image;
  }

  absl::Status CommitTransaction(const Position& next) {
    const bool in_range = in_range_;
    std::vector<Change> changes = std::move(changes_);
    const bool have_gtid = have_gtid_;
    const auto gtid = gtid_;
    StartTransaction();
    if (!in_range) {
      ++stats_.transactions_outside_gtid_range;
      return absl::OkStatus();
    }
    if (!changes.empty() && !target_open_) {
      RETURN_IF_ERROR(target_->Begin());
      target_open_ = true;
    }
    for (size_t i = 0; i < changes.size();) {
      const size_t j = InsertRun(changes, i);
      if (j - i >= 2) {
        // A run of inserts into one table: one multi-row INSERT when every key is free;
        // otherwise (nothing was inserted) row by row with the conflict checks.
        std::vector<const Image*> rows;
        for (size_t k = i; k < j; ++k) rows.push_back(&changes[k].after);
        absl::Status s = target_->InsertMany(*changes[i].table, rows);
        if (s.ok()) {
          TableCounts& counts = stats_.tables[changes[i].target_name];
          stats_.write_events += j - i;
          counts.inserts += j - i;
          counts.applied += j - i;
          i = j;
          continue;
        }
        if (!absl::IsAlreadyExists(s)) return s;
      } else if (const size_t k = KeyedRun(changes, i); k - i >= 2) {
        // A run of updates or deletes of one keyed table: one probe for all, then one
        // statement when every row equals its before image; otherwise row by row.
        ASSIGN_OR_RETURN(bool applied, ApplyKeyedRun(changes, i, k));
        if (applied) {
          i = k;
          continue;
        }
        for (; i < k; ++i) RETURN_IF_ERROR(Apply(changes[i]));
        continue;
      }
      for (const size_t end = std::max(j, i + 1); i < end; ++i) RETURN_IF_ERROR(Apply(changes[i]));
    }
    if (have_gtid) gtid_pos_[std::get<0>(gtid)] = {std::get<1>(gtid), std::get<2>(gtid)};
    ++stats_.transactions_applied;
    ++applied_this_run_;
    ++batch_;
    pending_ = Checkpoint{next, GtidPositionToString(gtid_pos_), ++total_transactions_};
    if (!options_.preview && (batch_ >= options_.batch_size || Done())) {
      RETURN_IF_ERROR(CommitBatch());
    }
    return absl::OkStatus();
  }

  // The end of the run of inserts starting at `i` that can go in one statement: same
  // keyed table, same present columns, bounded parameter count and bytes.
  size_t InsertRun(const std::vector<Change>& changes, size_t i) const {
    const Change& first = changes[i];
    if (options_.preview || first.op != bl::RowOp::kInsert || first.table == nullptr ||
        first.table->key.empty()) {
      return i;
    }
    const size_t cols = std::max<size_t>(1, first.after.size());
    const size_t max_rows = std::min<size_t>(1000, 60000 / cols);
    size_t bytes = 0;
    size_t j = i;
    for (; j < changes.size() && j - i < max_rows && bytes < (4u << 20); ++j) {
      const Change& c = changes[j];
      if (c.op != bl::RowOp::kInsert || c.table != first.table ||
          c.after.size() != first.after.size()) {
        break;
      }
      bool same = true;
      for (size_t k = 0; k < c.after.size() && same; ++k) {
        same = c.after[k].has_value() == first.after[k].has_value();
        if (c.after[k].has_value()) bytes += c.after[k]->s.size() + 8;
      }
      if (!same) break;
    }
    return j;
  }

  // The end of the run of updates (or of deletes, with enable_delete) starting at `i` that can
  // be probed in one statement and applied in one: one keyed table, the same present columns
  // in every before image and every after image, every key column present, updates keeping
  // their key and only on tables without another unique key (see Target::UpdateMany);
  // bounded parameter count and bytes. `i` itself when there is none. A key may occur twice
  // (an update of a row the run already updated): then CountEqual() finds fewer equal rows
  // than images (one target row counts once), and the run goes row by row.
  size_t KeyedRun(const std::vector<Change>& changes, size_t i) const {
    const Change& first = changes[i];
    if (options_.preview || first.op == bl::RowOp::kInsert || first.table == nullptr ||
        first.table->key.empty()) {
      return i;
    }
    const TableInfo& t = *first.table;
    const bool update = first.op == bl::RowOp::kUpdate;
    if (update ? t.other_unique_key : !options_.enable_delete) return i;
    auto presence = [](const Image& image) {
      std::vector<bool> p(image.size());
      for (size_t k = 0; k < image.size(); ++k) p[k] = image[k].has_value();
      return p;
    };
    const std::vector<bool> before = presence(first.before), after = presence(first.after);
    for (size_t k : t.key) {
      if (k >= before.size() || !before[k]) return i;
    }
    size_t per_row = t.key.size();
    for (bool b : before) per_row += b;
    for (bool a : after) per_row += a;
    const size_t max_rows = std::min<size_t>(500, 30000 / per_row);
    size_t bytes = 0;
    size_t j = i;
    for (; j < changes.size() && j - i < max_rows && bytes < (4u << 20); ++j) {
      const Change& c = changes[j];
      if (c.op != first.op || c.table != first.table || presence(c.before) != before ||
          presence(c.after) != after || (update && !SameKey(t, c.before, c.after))) {
        break;
      }
      for (const Image* image : {&c.before, &c.after}) {
        for (const std::optional<Param>& p : *image) {
          if (p.has_value()) bytes += p->s.size() + 8;
        }
      }
    }
    return j;
  }

  // Applies changes[i, j) (a KeyedRun) when the probe finds every row equal to its before
  // image: true. False, with nothing changed, when any row is missing or differs; the caller
  // then applies the run row by row, with the conflict checks of Apply().
  absl::StatusOr<bool> ApplyKeyedRun(const std::vector<Change>& changes, size_t i, size_t j) {
    const TableInfo& t = *changes[i].table;
    std::vector<const Image*> befores, afters;
    for (size_t k = i; k < j; ++k) {
      befores.push_back(&changes[k].before);
      afters.push_back(&changes[k].after);
    }
    ASSIGN_OR_RETURN(uint64_t equal, target_->CountEqual(t, befores));
    if (equal != j - i) return false;
    TableCounts& counts = stats_.tables[changes[i].target_name];
    if (changes[i].op == bl::RowOp::kUpdate) {
      RETURN_IF_ERROR(target_->UpdateMany(t, afters));
      counts.updates += j - i;
    } else {
      ASSIGN_OR_RETURN(uint64_t deleted, target_->DeleteMany(t, befores));
      if (deleted != j - i) {
        return absl::AbortedError(absl::StrCat(
            "deleting ", j - i, " probed rows of ", t.QualifiedName(), " deleted ", deleted,
            " (the target changed concurrently?) at ", changes[i].position.ToString()));
      }
      counts.deletes += j - i;
    }
    stats_.write_events += j - i;
    counts.applied += j - i;
    return true;
  }

  absl::Status CommitBatch() {
    if (options_.preview || !pending_.has_value()) return absl::OkStatus();
    if (target_open_) {
      RETURN_IF_ERROR(target_->Commit());
      target_open_ = false;
    }
    batch_ = 0;
    committed_ = pending_;
    pending_.reset();
    return WriteCheckpoint(/*durable=*/false);
  }

  // Writes the committed checkpoint: replaced atomically (rename) after every target commit,
  // fsync'ed only when `durable` or a second after the last fsync. Why that is safe: the file
  // only ever moves forward to a transaction the target has already committed, so whatever
  // version a crash leaves (the newest, or an older one after an OS crash lost the unsynced
  // renames) is at or before the target's state; a re-run from an older one re-applies
  // committed transactions, found already applied, and never skips an unapplied one.
  absl::Status WriteCheckpoint(bool durable) {
    if (options_.checkpoint_file.empty() || !committed_.has_value()) return absl::OkStatus();
    const absl::Time now = clock_->Now();
    if (durable || now - last_sync_ >= absl::Seconds(1)) {
      RETURN_IF_ERROR(WriteFileAtomically(options_.checkpoint_file, committed_->Serialize()));
      last_sync_ = now;
      synced_ = true;
      return absl::OkStatus();
    }
    synced_ = false;
    return ReplaceFile(options_.checkpoint_file, committed_->Serialize());
  }

 public:
  void SetStart(const std::optional<Checkpoint>& c) {
    committed_ = c;
    if (c.has_value()) total_transactions_ = c->transactions;
  }

 private:
  // Key images are equal when their key columns are.
  static bool SameKey(const TableInfo& t, const Image& a, const Image& b) {
    if (t.key.empty()) return a == b;
    for (size_t k : t.key) {
      if (a[k] != b[k]) return false;
    }
    return true;
  }

  absl::Status Apply(const Change& c) {
    ++stats_.write_events;
    TableCounts& counts = stats_.tables[c.target_name];
    switch (c.op) {
      case bl::RowOp::kInsert:
        ++counts.inserts;
        break;
      case bl::RowOp::kUpdate:
        ++counts.updates;
        break;
      case bl::RowOp::kDelete:
        ++counts.deletes;
        break;
    }
    if (c.table == nullptr) {
      ++stats_.unknown_rows;
      if (options_.preview) return absl::OkStatus();
      return absl::NotFoundError(absl::StrCat("table ", c.target_name,
                                              " does not exist on the target (row at ",
                                              c.position.ToString(), ")"));
    }
    const TableInfo& t = *c.table;
    switch (c.op) {
      case bl::RowOp::kInsert: {
        if (!t.key.empty() && !options_.preview) {
          // One round trip in the common case (the key is free); the probe only when not.
          ASSIGN_OR_RETURN(bool inserted, target_->InsertIfAbsent(t, c.after));
          if (inserted) {
            ++counts.applied;
            return absl::OkStatus();
          }
        }
        ASSIGN_OR_RETURN(Match m, target_->Probe(t, c.after, c.after));
        if (m == Match::kMissing && (t.key.empty() || options_.preview)) {
          RETURN_IF_ERROR(target_->Insert(t, c.after, false));
          ++counts.applied;
          return absl::OkStatus();
        }
        if (m == Match::kEqual) return AlreadyApplied(counts);
        return Conflict(c, counts, "insert_exists", c.after,
                        [&] { return target_->Insert(t, c.after, true); });
      }
      case bl::RowOp::kUpdate: {
        ASSIGN_OR_RETURN(Match m, target_->Probe(t, c.before, c.before));
        if (m == Match::kEqual) {
          absl::Status s = target_->Update(t, c.before, c.after);
          if (absl::IsAlreadyExists(s)) {
            // The new key, or another unique key's new value, is taken by another target
            // row: the row goes, and REPLACE puts the after image in, removing the rows that
            // hold any of its unique values.
            return Conflict(c, counts, "update_key_exists", c.after, [&]() -> absl::Status {
              RETURN_IF_ERROR(target_->Delete(t, c.before));
              return target_->Insert(t, Completed(c), true);
            });
          }
          RETURN_IF_ERROR(s);
          ++counts.applied;
          return absl::OkStatus();
        }
        ASSIGN_OR_RETURN(Match done, target_->Probe(t, c.after, c.after));
        if (done == Match::kEqual && (m == Match::kMissing || SameKey(t, c.before, c.after))) {
          return AlreadyApplied(counts);
        }
        const char* kind = m == Match::kMissing ? "update_missing" : "update_differs";
        return Conflict(c, counts, kind, c.before, [&]() -> absl::Status {
          if (m == Match::kDiffers && SameKey(t, c.before, c.after)) {
            return target_->Update(t, c.before, c.after);
          }
          if (m == Match::kDiffers) RETURN_IF_ERROR(target_->Delete(t, c.before));
          return target_->Insert(t, Completed(c), true);
        });
      }
      case bl::RowOp::kDelete: {
        if (!options_.enable_delete) {
          ++counts.deletes_skipped;
          return absl::OkStatus();
        }
        ASSIGN_OR_RETURN(Match m, target_->Probe(t, c.before, c.before));
        if (m == Match::kEqual) {
          RETURN_IF_ERROR(target_->Delete(t, c.before));
          ++counts.applied;
          return absl::OkStatus();
        }
        if (m == Match::kMissing) {
          return Conflict(c, counts, "delete_missing", c.before, [] { return absl::OkStatus(); });
        }
        return Conflict(c, counts, "delete_differs", c.before,
                        [&] { return target_->Delete(t, c.before); });
      }
    }
    return absl::OkStatus();
  }

  // The after image completed by the before image where the after image lacks columns
  // (MINIMAL images).
  static Image Completed(const Change& c) {
    Image row = c.after;
    for (size_t k = 0; k < row.size() && k < c.before.size(); ++k) {
      if (!row[k].has_value()) row[k] = c.before[k];
    }
    return row;
  }

  absl::Status AlreadyApplied(TableCounts& counts) {
    ++counts.already_applied;
    ++stats_.already_applied;
    return absl::OkStatus();
  }

  template <typename Fix>
  absl::Status Conflict(const Change& c, TableCounts& counts, const std::string& kind,
                        const Image& key_image, Fix fix) {
    ++counts.conflicts;
    ++stats_.conflicts;
    ++stats_.conflicts_by_kind[kind];
    const TableInfo& t = *c.table;
    if (!options_.preview) {
      ASSIGN_OR_RETURN(std::optional<mysql::Row> row, target_->Read(t, key_image));
      std::string target_json = "null";
      if (row.has_value()) {
        std::vector<std::string> parts;
        for (size_t k = 0; k < row->size() && k < t.columns.size(); ++k) {
          parts.push_back(
              absl::StrCat(json::Quote(t.columns[k]), ":", verifier::ValueOrNullJson((*row)[k])));
        }
        target_json = absl::StrCat("{", absl::StrJoin(parts, ","), "}");
      }
      const char* op = c.op == bl::RowOp::kInsert   ? "insert"
                       : c.op == bl::RowOp::kUpdate ? "update"
                                                    : "delete";
      std::string line =
          absl::StrCat("{\"table\":", json::Quote(t.QualifiedName()), ",\"kind\":\"", kind,
                       "\",\"op\":\"", op, "\",\"key\":", ImageJson(t, key_image, true),
                       ",\"before\":", c.before.empty() ? "null" : ImageJson(t, c.before, false),
                       ",\"after\":", c.after.empty() ? "null" : ImageJson(t, c.after, false),
                       ",\"target\":", target_json, ",\"position\":\"", c.position.ToString(), "\"",
                       ",\"policy\":\"", ConflictPolicyName(options_.policy), "\"}\n");
      RETURN_IF_ERROR(LogConflict(line));
    }
    switch (options_.policy) {
      case ConflictPolicy::kSkip:
        return absl::OkStatus();
      case ConflictPolicy::kOverride:
        return fix();
      case ConflictPolicy::kFail:
        if (options_.preview) return absl::OkStatus();
        return absl::AbortedError(absl::StrCat(
            "conflict ", kind, " on ", t.QualifiedName(), " key ", ImageJson(t, key_image, true),
            " at ", c.position.ToString(), " (policy fail); the checkpoint stays at ",
            committed_.has_value() ? committed_->position.ToString() : "the start position"));
    }
    return absl::OkStatus();
  }

  absl::Status LogConflict(const std::string& line) {
    if (options_.conflict_log.empty()) return absl::OkStatus();
    if (!conflict_log_.is_open()) {
      conflict_log_.open(options_.conflict_log, std::ios::app);
      if (!conflict_log_) {
        return absl::InternalError(
            absl::StrCat("cannot open conflict log ", options_.conflict_log));
      }
    }
    conflict_log_ << line;
    conflict_log_.flush();
    if (!conflict_log_) return absl::InternalError("writing the conflict log failed");
    return absl::OkStatus();
  }

  void ShowProgress(const Position& pos) {
    const absl::Time now = clock_->Now();
    if (now - last_progress_ < absl::Seconds(1)) return;
    const double secs = absl::ToDoubleSeconds(now - last_progress_);
    const double rate = (events_ - last_events_) / secs;
    std::string eta;
    if (options_.stop_position.has_value() && pos.file == options_.stop_file &&
        pos.file == last_pos_.file && pos.offset > last_pos_.offset) {
      const double bytes_per_s = (pos.offset - last_pos_.offset) / secs;
      const double left = *options_.stop_position > pos.offset
                              ? (*options_.stop_position - pos.offset) / bytes_per_s
                              : 0;
      eta = absl::StrFormat("  ETA %.0fs", left);
    }
    std::fprintf(stderr, "\rpadder: %s  %" PRIu64 " events (%.0f/s)  %" PRIu64 " transactions%s   ",
                 pos.ToString().c_str(), events_, rate, stats_.transactions_applied, eta.c_str());
    progress_shown_ = true;
    last_progress_ = now;
    last_events_ = events_;
    last_pos_ = pos;
  }

  const Options& options_;
  Target* target_;
  Clock* clock_;
  Stats stats_;
  std::vector<Change> changes_;
  bool in_txn_ = false;
  bool in_range_ = true;
  bool have_gtid_ = false;
  std::tuple<uint32_t, uint32_t, uint64_t> gtid_;
  GtidPosition gtid_start_, gtid_stop_, gtid_pos_;
  bool target_open_ = false;
  int batch_ = 0;
  uint64_t applied_this_run_ = 0;
  uint64_t total_transactions_ = 0;
  std::optional<Checkpoint> pending_, committed_;
  std::ofstream conflict_log_;
  uint64_t events_ = 0, last_events_ = 0;
  absl::Time last_progress_;
  absl::Time last_sync_ = absl::InfinitePast();
  bool synced_ = true;  // the checkpoint file's last write was fsync'ed
  Position last_pos_;
  bool progress_shown_ = false;
};

Engine::Engine(Options options, Target* target, Clock* clock)
    : options_(std::move(options)), target_(target), clock_(clock) {}

Engine::Result Engine::Run(bl::RawEventSource* source, bl::Decoder::Options decoder_options) {
  Impl impl(options_, target_, clock_);
  std::optional<Checkpoint> start;
  if (!options_.checkpoint_file.empty() && !options_.preview) {
    auto text = ReadFileIfExists(options_.checkpoint_file);
    if (!text.ok()) return Result{text.status(), {}};
    if (text->has_value()) {
      auto c = Checkpoint::Parse(**text);
      if (!c.ok()) return Result{c.status(), {}};
      start = *c;
    }
  }
  impl.SetStart(start);
  return impl.Run(source, decoder_options);
}

absl::StatusOr<std::unique_ptr<bl::RawEventSource>> BuildSource(
    const Options& options, const std::optional<Checkpoint>& checkpoint,
    bl::Decoder::Options& decoder_options) {
  if (options.source.has_value()) {
    bl::StreamReader::Options so;
    so.dsn = *options.source;
    so.server_id = options.source_server_id;
    if (so.server_id == 0) {
      return absl::InvalidArgumentError("a live source needs a replica server id (server-id)");
    }
    if (checkpoint.has_value() && !checkpoint->gtid.empty()) {
      so.gtid = checkpoint->gtid;
    } else if (checkpoint.has_value()) {
      so.file = checkpoint->position.file;
      so.position = checkpoint->position.offset;
    } else if (!options.gtid_start.empty()) {
      so.gtid = options.gtid_start;
    } else {
      so.file = options.start_file;
      so.position = options.start_position;
    }
    ASSIGN_OR_RETURN(std::unique_ptr<bl::StreamReader> stream, bl::StreamReader::Open(so));
    decoder_options.initial_checksum = stream->checksum();
    return std::unique_ptr<bl::RawEventSource>(std::move(stream));
  }
  if (options.binlog_files.empty()) {
    return absl::InvalidArgumentError("no source: give binlog-list or a source server");
  }
  bl::FileReader::Options fo;
  std::string start_file = options.start_file;
  fo.start_position = options.start_position;
  if (checkpoint.has_value()) {
    start_file = checkpoint->position.file;
    fo.start_position = checkpoint->position.offset;
  }
  bool started = start_file.empty();
  for (const std::string& f : options.binlog_files) {
    if (!started && std::filesystem::path(f).filename().string() == start_file) started = true;
    if (started) fo.files.push_back(f);
  }
  if (fo.files.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the start file ", start_file, " is not in binlog-list"));
  }
  if (!options.stop_file.empty() && options.stop_position.has_value() &&
      std::filesystem::path(fo.files.back()).filename().string() == options.stop_file) {
    fo.stop_position = options.stop_position;
  }
  ASSIGN_OR_RETURN(std::unique_ptr<bl::FileReader> reader, bl::FileReader::Open(fo));
  return std::unique_ptr<bl::RawEventSource>(std::move(reader));
}

}  // namespace dcp::padder
