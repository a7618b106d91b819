#include "collector/mysql_collector.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "collector/encoding.h"
#include "mysql/binlog/reader.h"
#include "mysql/binlog/rows.h"
#include "util/log.h"
#include "util/status_macros.h"

namespace dcp::collector {

using mysql::binlog::Event;
using mysql::binlog::RowOp;
using mysql::binlog::RowsEvent;
using mysql::binlog::Value;
using mysql::binlog::ValueKind;

std::string StartPoint::ToString() const {
  std::string out = file.empty() ? (gtid.empty() ? "(first binlog)" : "gtid " + gtid)
                                 : absl::StrCat(file, ":", position);
  if (!file.empty() && !gtid.empty()) absl::StrAppend(&out, " gtid ", gtid);
  return out;
}

absl::StatusOr<mysql::Connection*> ConnectionSchemaSource::Conn() {
  if (!conn_) {
    ASSIGN_OR_RETURN(mysql::Connection c, mysql::Connection::Open(dsn_));
    conn_.emplace(std::move(c));
  }
  return &*conn_;
}

absl::StatusOr<mysql::TableSchema> ConnectionSchemaSource::Read(const std::string& schema,
                                                                const std::string& table) {
  ASSIGN_OR_RETURN(mysql::Connection * c, Conn());
  auto s = mysql::ReadTableSchema(*c, schema, table);
  if (absl::IsUnavailable(s.status())) conn_.reset();
  return s;
}

absl::StatusOr<std::vector<std::string>> ConnectionSchemaSource::JsonColumns(
    const std::string& schema, const std::string& table) {
  ASSIGN_OR_RETURN(mysql::Connection * c, Conn());
  auto s = MariaDbJsonColumns(*c, schema, table);
  if (absl::IsUnavailable(s.status())) conn_.reset();
  return s;
}

SourceFactory LiveBinlogSource(mysql::Dsn dsn, uint32_t server_id, absl::Duration heartbeat) {
  return [dsn = std::move(dsn), server_id, heartbeat](const StartPoint& start)
             -> absl::StatusOr<std::unique_ptr<mysql::binlog::RawEventSource>> {
    mysql::binlog::StreamReader::Options o;
    o.dsn = dsn;
    o.server_id = server_id;
    // The file position is exact on its own server; the GTID position is for another one
    // (the caller clears `file` then) or a configured start.
    o.file = start.file;
    o.position = start.position;
    if (start.file.empty()) o.gtid = start.gtid;
    o.stop_never = true;
    o.heartbeat = heartbeat;
    ASSIGN_OR_RETURN(std::unique_ptr<mysql::binlog::StreamReader> reader,
                     mysql::binlog::StreamReader::Open(o));
    return std::unique_ptr<mysql::binlog::RawEventSource>(std::move(reader));
  };
}

SourceFactory FileBinlogSource(std::string datadir, std::string first_file) {
  return [datadir = std::move(datadir), first_file = std::move(first_file)](const StartPoint& start)
             -> absl::StatusOr<std::unique_ptr<mysql::binlog::RawEventSource>> {
    mysql::binlog::FileReader::Options o;
    o.files = {absl::StrCat(datadir, "/", start.file.empty() ? first_file : start.file)};
    o.start_position = start.position;
    o.follow_rotation = true;
    ASSIGN_OR_RETURN(std::unique_ptr<mysql::binlog::FileReader> reader,
                     mysql::binlog::FileReader::Open(o));
    return std::unique_ptr<mysql::binlog::RawEventSource>(std::move(reader));
  };
}

// What the collector knows about one table of the binlog.
struct MysqlCollector::TableState {
  bool barrier = false;
  size_t id_col = 0;
  size_t offset_col = 0;
  // One encoder per tag whose globs match the table.
  std::vector<std::pair<const TagRule*, std::optional<TableEncoder>>> encoders;
  // The TABLE_MAP last checked against the schema, and whether it matched.
  const mysql::binlog::TableMap* checked_map = nullptr;
  bool matches = false;
  bool untagged() const { return !barrier && encoders.empty(); }
};

namespace {

bool Retryable(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDataLoss:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kResourceExhausted:
      return true;
    default:
      return false;
  }
}

// Statements that may change a table's columns or key.
bool IsDdl(absl::string_view statement) {
  absl::string_view s = absl::StripLeadingAsciiWhitespace(statement);
  while (absl::StartsWith(s, "/*")) {
    size_t end = s.find("*/");
    if (end == absl::string_view::npos) return false;
    s = absl::StripLeadingAsciiWhitespace(s.substr(end + 2));
  }
  for (absl::string_view word : {"ALTER", "CREATE", "DROP", "RENAME", "TRUNCATE"}) {
    if (s.size() >= word.size() && absl::EqualsIgnoreCase(s.substr(0, word.size()), word)) {
      return true;
    }
  }
  return false;
}

std::optional<uint64_t> AsUnsigned(const Value& v) {
  switch (v.kind) {
    case ValueKind::kUint:
      return v.u;
    case ValueKind::kInt:
      // The barrier columns are unsigned; without signedness metadata a large offset may
      // arrive as a negative signed value.
      return static_cast<uint64_t>(v.i);
    default:
      return std::nullopt;
  }
}

}  // namespace

MysqlCollector::MysqlCollector(Options options, SourceFactory factory, SchemaSource* schemas,
                               MessageSink* sink)
    : options_(std::move(options)),
      factory_(std::move(factory)),
      schemas_(schemas),
      sink_(sink),
      matcher_(options_.tags) {
  if (!options_.checkpoint_path.empty()) checkpoints_.emplace(options_.checkpoint_path);
  position_ = options_.start;
  if (absl::Status s = gtid_.Reset(options_.start.gtid); !s.ok()) {
    DCP_LOG(WARNING) << "collector " << options_.name << ": start GTID position: " << s;
  }
}

void MysqlCollector::RestartFrom(const StartPoint& start) {
  if (absl::Status s = gtid_.Reset(start.gtid); !s.ok()) {
    DCP_LOG(WARNING) << "collector " << options_.name << ": GTID position: " << s;
  }
  absl::MutexLock lock(&mu_);
  position_ = start;
}

MysqlCollector::~MysqlCollector() = default;

MysqlCollector::Stats MysqlCollector::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

StartPoint MysqlCollector::position() const {
  absl::MutexLock lock(&mu_);
  return position_;
}

void MysqlCollector::Notice(const std::string& text) {
  DCP_LOG_EVERY_N_SEC(WARNING, 10) << "collector " << options_.name << ": " << text;
  if (options_.on_notice) options_.on_notice(text);
}

absl::Status MysqlCollector::SaveCheckpoint() {
  if (!checkpoints_ || !options_.auto_checkpoint) return absl::OkStatus();
  Checkpoint c;
  {
    absl::MutexLock lock(&mu_);
    c.file = position_.file;
    c.position = position_.position;
    c.gtid = position_.gtid;
  }
  // Everything up to position_ was handed to the sink (Commit() puts before it moves the
  // position), so the sink's numbers belong to this position.
  if (options_.checkpoint_seqs) c.seqs = options_.checkpoint_seqs();
  c.saved_at = options_.clock->Now();
  last_checkpoint_ = c.saved_at;
  return checkpoints_->Save(c);
}

absl::StatusOr<MysqlCollector::TableState*> MysqlCollector::Table(
    const mysql::binlog::TableMap& map) {
  const std::string name = absl::StrCat(map.schema, ".", map.table);
  auto it = tables_.find(name);
  if (it == tables_.end()) {
    auto state = std::make_unique<TableState>();
    if (map.schema == options_.barrier_schema && map.table == options_.barrier_table) {
      state->barrier = true;
    } else {
      for (const TagRule* rule : matcher_.Match(map.schema, map.table)) {
        state->encoders.emplace_back(rule, std::nullopt);
      }
    }
    it = tables_.emplace(name, std::move(state)).first;
  }
  TableState* t = it->second.get();
  if (t->untagged() || t->checked_map == &map) return t;

  // A new TABLE_MAP for this table: (re)load the schema if it does not describe the map.
  auto load = [&]() -> absl::Status {
    ASSIGN_OR_RETURN(mysql::TableSchema schema, schemas_->Read(map.schema, map.table));
    if (t->barrier) {
      const mysql::ColumnSchema* id = schema.FindColumn("id");
      const mysql::ColumnSchema* offset = schema.FindColumn("offset");
      if (id == nullptr || offset == nullptr) {
        return absl::FailedPreconditionError(
            absl::StrCat(name, " has no id/offset columns: not a dcp barrier table"));
      }
      t->id_col = static_cast<size_t>(id->ordinal - 1);
      t->offset_col = static_cast<size_t>(offset->ordinal - 1);
      return absl::OkStatus();
    }
    ASSIGN_OR_RETURN(std::vector<std::string> json, schemas_->JsonColumns(map.schema, map.table));
    for (auto& [rule, encoder] : t->encoders) {
      ASSIGN_OR_RETURN(TableEncoder created, TableEncoder::Create(schema, *rule, json));
      encoder.emplace(std::move(created));
    }
    return absl::OkStatus();
  };
  auto check = [&]() -> absl::Status {
    if (t->barrier) {
      return std::max(t->id_col, t->offset_col) < map.columns.size()
                 ? absl::OkStatus()
                 : absl::FailedPreconditionError(absl::StrCat(name, ": too few columns"));
    }
    return t->encoders.front().second->CheckTableMap(map);
  };
  const bool had_schema = t->checked_map != nullptr;
  absl::Status status = had_schema ? check() : absl::FailedPreconditionError("no schema yet");
  if (!status.ok()) {
    absl::Status loaded = load();
    if (absl::IsUnavailable(loaded)) return loaded;  // the metadata connection: retry later
    status = loaded.ok() ? check() : loaded;
  }
  t->checked_map = &map;
  t->matches = status.ok();
  if (!status.ok()) {
    Notice(absl::StrCat("rows of ", name, " are not compared: ", status.message()));
  }
  return t;
}

absl::Status MysqlCollector::HandleRows(const Event& event, const RowsEvent& rows) {
  ASSIGN_OR_RETURN(TableState * t, Table(*rows.table));
  if (t->untagged()) return absl::OkStatus();
  mysql::binlog::RowIterator it(rows);
  mysql::binlog::RowChange change;
  uint64_t nrows = 0;
  uint64_t dropped = 0;
  uint64_t skipped = 0;
  uint64_t barriers = 0;
  // The change's origin: the transaction's GTID, else the row event's file:offset.
  const std::string origin =
      txn_gtid_.empty() ? absl::StrCat(position_file_hint_, ":", event.offset) : txn_gtid_;
  while (!it.done()) {
    RETURN_IF_ERROR(it.Next(change));
    ++nrows;
    if (!t->matches) {
      ++skipped;
      continue;
    }
    if (t->barrier) {
      if (change.op == RowOp::kDelete) continue;
      auto id = AsUnsigned(change.after[t->id_col]);
      auto offset = AsUnsigned(change.after[t->offset_col]);
      if (!id || *id != options_.barrier_id || !offset) continue;
      for (const TagRule& rule : options_.tags) {
        checker::Change& c = pending_.emplace_back();
        c.tag = rule.name;
        checker::Barrier& b = c.body.emplace<checker::Barrier>();
        b.offset = *offset;
        b.origin = origin;
        b.timestamp = event.header.timestamp;
      }
      ++barriers;
      {
        absl::MutexLock lock(&mu_);
        txn_barriers_.emplace_back(*offset, position_);  // position_: before this transaction
      }
      seen_barrier_ = true;
      pending_barrier_ = true;
      continue;
    }
    for (auto& [rule, encoder] : t->encoders) {
      if (!seen_barrier_) {
        ++dropped;
        continue;
      }
      checker::Change& c = pending_.emplace_back();
      checker::RowChange& row = c.body.emplace<checker::RowChange>();
      // A delete is its key alone; the content is computed for the checksum either way and
      // kept only when the sink wants it.
      absl::Status encoded =
          change.op == RowOp::kDelete
              ? encoder->KeyInto(change.before, &row.key)
              : encoder->EncodeRowInto(
                    change.after, &row.key,
                    options_.keep_content ? &row.content.emplace() : &content_scratch_,
                    &row.checksum);
      if (!encoded.ok()) {
        pending_.pop_back();
        ++skipped;
        Notice(absl::StrCat("a row of ", rows.table->schema, ".", rows.table->table,
                            " was not compared: ", encoded.message()));
        continue;
      }
      row.deleted = change.op == RowOp::kDelete;
      row.origin = origin;
      row.timestamp = event.header.timestamp;
      c.tag = rule->name;
    }
  }
  absl::MutexLock lock(&mu_);
  stats_.rows += nrows;
  stats_.dropped_before_barrier += dropped;
  stats_.skipped_rows += skipped;
  stats_.barriers += barriers;
  return absl::OkStatus();
}

absl::Status MysqlCollector::Commit(const std::string& file, uint64_t next_position,
                                    const std::function<bool()>& stop) {
  const size_t n = pending_.size();
  if (options_.on_delivered && n > 0) options_.on_delivered(txn_gtid_, pending_);
  if (n > 0) {
    absl::Status put = sink_->Put(pending_, stop);
    if (!put.ok()) return put;
  }
  pending_.clear();
  if (options_.on_barrier_position) {
    for (const auto& [offset, before] : txn_barriers_) options_.on_barrier_position(offset, before);
  }
  txn_barriers_.clear();
  if (absl::Status s = gtid_.Commit(txn_gtid_); !s.ok()) {
    Notice(absl::StrCat("GTID ", txn_gtid_, " not understood: ", s.message()));
  }
  {
    absl::MutexLock lock(&mu_);
    position_.file = file;
    position_.position = next_position;
    position_.gtid = gtid_.position();
    stats_.transactions += 1;
    stats_.messages += n;
  }
  txn_gtid_.clear();
  in_txn_ = false;
  // Nothing before the first barrier is delivered, so there is nothing to resume there.
  if (seen_barrier_ && (pending_barrier_ ||
                        options_.clock->Now() - last_checkpoint_ >= options_.checkpoint_interval)) {
    pending_barrier_ = false;
    RETURN_IF_ERROR(SaveCheckpoint());
  }
  return absl::OkStatus();
}

absl::Status MysqlCollector::Stream(const std::function<bool()>& stop,
                                    mysql::binlog::RawEventSource& source) {
  mysql::binlog::Decoder::Options decoder_options;
  decoder_options.verify_checksums = options_.verify_checksums;
  mysql::binlog::EventReader reader(&source, decoder_options);
  while (!stop()) {
    ASSIGN_OR_RETURN(const Event* event, reader.Next());
    if (event == nullptr) {
      reached_end_ = true;
      return absl::OkStatus();
    }
    {
      absl::MutexLock lock(&mu_);
      ++stats_.events;
    }
    const std::string file(reader.file());
    position_file_hint_ = file;
    const uint64_t next = event->header.log_pos != 0 ? event->header.log_pos
                                                     : event->offset + event->header.event_size;
    if (const auto* gtid = std::get_if<mysql::binlog::GtidEvent>(&event->body)) {
      txn_gtid_ = gtid->anonymous ? "" : gtid->ToString();
      // MariaDB: without FL_STANDALONE (1) a BEGIN follows; with it, one DDL statement.
      in_txn_ = false;
    } else if (const auto* query = std::get_if<mysql::binlog::QueryEvent>(&event->body)) {
      const absl::string_view stmt = absl::StripAsciiWhitespace(query->statement);
      if (absl::EqualsIgnoreCase(stmt, "BEGIN")) {
        in_txn_ = true;
      } else if (absl::EqualsIgnoreCase(stmt, "COMMIT")) {
        RETURN_IF_ERROR(Commit(file, next, stop));
      } else if (absl::EqualsIgnoreCase(stmt, "ROLLBACK")) {
        pending_.clear();
        txn_barriers_.clear();
        txn_gtid_.clear();
        in_txn_ = false;
      } else {
        if (IsDdl(stmt)) tables_.clear();  // schemas are re-read at the next TABLE_MAP
        if (!in_txn_) RETURN_IF_ERROR(Commit(file, next, stop));
      }
    } else if (std::holds_alternative<mysql::binlog::XidEvent>(event->body)) {
      RETURN_IF_ERROR(Commit(file, next, stop));
    } else if (const auto* rows = std::get_if<RowsEvent>(&event->body)) {
      RETURN_IF_ERROR(HandleRows(*event, *rows));
    }
  }
  return absl::OkStatus();
}

absl::Status MysqlCollector::Run(const std::function<bool()>& stop) {
  if (checkpoints_) {
    ASSIGN_OR_RETURN(std::optional<Checkpoint> saved, checkpoints_->Load());
    if (saved) {
      // Checkpoints are written only after the first barrier (see Commit()), so the stream
      // resumes inside a window whose changes must all be delivered.
      seen_barrier_ = true;
      if (options_.restore_seqs && !saved->seqs.empty()) options_.restore_seqs(saved->seqs);
      if (absl::Status s = gtid_.Reset(saved->gtid); !s.ok()) {
        DCP_LOG(WARNING) << "collector " << options_.name << ": checkpoint GTID: " << s;
      }
      absl::MutexLock lock(&mu_);
      position_.file = saved->file;
      position_.position = saved->position;
      position_.gtid = saved->gtid;
      position_.server_id = saved->server_id;
      DCP_LOG(INFO) << "collector " << options_.name << ": resuming from checkpoint "
                    << saved->ToString();
    }
  }
  absl::Duration backoff = options_.initial_backoff;
  auto sleep = [&](absl::Duration d) {
    const absl::Time until = options_.clock->Now() + d;
    while (!stop() && options_.clock->Now() < until) {
      options_.clock->SleepFor(std::min(absl::Milliseconds(50), until - options_.clock->Now()));
    }
  };
  while (!stop()) {
    const StartPoint from = position();
    auto source = factory_(from);
    absl::Status status = source.status();
    if (source.ok()) {
      {
        absl::MutexLock lock(&mu_);
        stats_.connected = true;
      }
      const uint64_t before = stats().transactions;
      reached_end_ = false;
      status = Stream(stop, **source);
      if (stats().transactions > before) backoff = options_.initial_backoff;
    }
    // Whatever was not committed is read again from the last delivered position.
    pending_.clear();
    txn_barriers_.clear();
    pending_barrier_ = false;
    txn_gtid_.clear();
    in_txn_ = false;
    tables_.clear();
    {
      absl::MutexLock lock(&mu_);
      stats_.connected = false;
    }
    if (status.ok()) {
      if (stop() || (reached_end_ && options_.stop_at_end)) break;
      continue;
    }
    if (absl::IsCancelled(status) && stop()) break;
    if (!Retryable(status)) {
      if (seen_barrier_) SaveCheckpoint().IgnoreError();
      return status;
    }
    {
      absl::MutexLock lock(&mu_);
      ++stats_.reconnects;
    }
    DCP_LOG_EVERY_N_SEC(WARNING, 10)
        << "collector " << options_.name << ": stream lost (" << status << "); resuming from "
        << position().ToString() << " in " << absl::FormatDuration(backoff);
    if (options_.on_reconnect) options_.on_reconnect(std::string(status.message()));
    sleep(backoff);
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
  return seen_barrier_ ? SaveCheckpoint() : absl::OkStatus();
}

}  // namespace dcp::collector
