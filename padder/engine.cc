#include "padder/engine.h"

#include <cinttypes>
#include <cstdio>
#include <tuple>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "mysql/binlog/reader.h"
#include "mysql/binlog/rows.h"
#include "padder/apply.h"
#include "padder/replay_progress.h"
#include "padder/row_image.h"
#include "util/atomic_file.h"
#include "util/glob.h"
#include "util/status_macros.h"

namespace dcp::padder {

namespace bl = ::dcp::mysql::binlog;

namespace {

bool IsControlQuery(absl::string_view q, absl::string_view word) {
  q = absl::StripAsciiWhitespace(q);
  return absl::StartsWithIgnoreCase(q, word) &&
         (q.size() == word.size() ||
          absl::ascii_isspace(static_cast<unsigned char>(q[word.size()])) || q[word.size()] == ';');
}

}  // namespace

// The event loop: transactions are buffered from their GTID/BEGIN to their commit event, then
// handed to the Applier inside a target transaction, committed every batch_size transactions,
// and the checkpoint written after each target commit.
class Engine::Impl {
 public:
  Impl(const Options& options, Target* target, Clock* clock)
      : options_(options),
        target_(target),
        clock_(clock),
        applier_(options, target, &stats_, &committed_),
        checkpoint_(options.preview ? "" : options.checkpoint_file, clock) {}

  void SetStart(const std::optional<Checkpoint>& c) {
    committed_ = c;
    if (c.has_value()) total_transactions_ = c->transactions;
    progress_.emplace(options_, c ? std::optional<Position>(c->position) : std::nullopt, clock_);
  }

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
    if (!options_.preview && !checkpoint_.synced() && committed_.has_value()) {
      const absl::Status s = checkpoint_.Write(*committed_, /*durable=*/true);
      if (r.status.ok()) r.status = s;
    }
    progress_->Finish(r.status.ok());
    stats_.checkpoint = committed_;
    r.stats = std::move(stats_);
    return r;
  }

 private:
  absl::Status Loop(bl::RawEventSource* source, bl::Decoder::Options decoder_options) {
    RETURN_IF_ERROR(Prepare());
    bl::EventReader reader(source, decoder_options);
    bl::RowChange change;
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
      progress_->OnEvent(next.file, next.offset);
      ASSIGN_OR_RETURN(const bool stop, HandleEvent(*ev, here, next, change));
      if (stop) break;
    }
    if (!changes_.empty()) ++stats_.transactions_unterminated;
    return absl::OkStatus();
  }

  // The GTID range and the resumed GTID position; preview's one target transaction.
  absl::Status Prepare() {
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
    return absl::OkStatus();
  }

  // Handles one event; true when the run ends here (past the GTID range, max_transactions).
  absl::StatusOr<bool> HandleEvent(const bl::Event& ev, const Position& here, const Position& next,
                                   bl::RowChange& change) {
    if (const auto* g = std::get_if<bl::GtidEvent>(&ev.body)) return StartGtid(*g);
    if (const auto* q = std::get_if<bl::QueryEvent>(&ev.body)) return HandleQuery(*q, here, next);
    if (std::holds_alternative<bl::XidEvent>(ev.body)) {
      RETURN_IF_ERROR(CommitTransaction(next));
      return Done();
    }
    if (const auto* rows = std::get_if<bl::RowsEvent>(&ev.body)) {
      if (in_range_ && rows->table != nullptr) RETURN_IF_ERROR(BufferRows(*rows, here, change));
    }
    return false;
  }

  // A GTID event starts a transaction; true when it is past the GTID range's end.
  bool StartGtid(const bl::GtidEvent& g) {
    StartTransaction();
    if (g.mariadb) {
      progress_->OnGtid(g.domain_id, g.sequence);
      gtid_ = {g.domain_id, g.server_id, g.sequence};
      have_gtid_ = true;
      auto s = gtid_start_.find(g.domain_id);
      if (s != gtid_start_.end() && g.sequence <= s->second.second) in_range_ = false;
      auto e = gtid_stop_.find(g.domain_id);
      if (e != gtid_stop_.end() && g.sequence > e->second.second) return true;
    }
    in_txn_ = (g.flags & 1) == 0;  // FL_STANDALONE: a DDL without BEGIN/COMMIT
    return false;
  }

  absl::StatusOr<bool> HandleQuery(const bl::QueryEvent& q, const Position& here,
                                   const Position& next) {
    if (IsControlQuery(q.statement, "BEGIN")) {
      in_txn_ = true;
    } else if (IsControlQuery(q.statement, "COMMIT")) {
      RETURN_IF_ERROR(CommitTransaction(next));
      return Done();
    } else if (IsControlQuery(q.statement, "ROLLBACK")) {
      ++stats_.transactions_rolled_back;
      StartTransaction();
    } else if (IsControlQuery(q.statement, "SAVEPOINT") ||
               absl::StartsWithIgnoreCase(q.statement, "ROLLBACK TO")) {
      // Within a transaction; the rows logged are those that survived.
    } else {
      RETURN_IF_ERROR(Ddl(q, here, next));
      return Done();
    }
    return false;
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
        ASSIGN_OR_RETURN(c.before, ConvertRow(map, change.before, *info));
        ASSIGN_OR_RETURN(c.after, ConvertRow(map, change.after, *info));
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
      // Between batches, never inside a target transaction: a pause holds no locks.
      // While paused the progress lines go on (0 bytes/s), one per interval as at work.
      if (options_.throttle != nullptr) {
        RETURN_IF_ERROR(options_.throttle->Wait([this] {
          if (progress_.has_value()) progress_->Tick();
          return false;
        }));
      }
      RETURN_IF_ERROR(target_->Begin());
      target_open_ = true;
    }
    RETURN_IF_ERROR(applier_.ApplyTransaction(changes));
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

  absl::Status CommitBatch() {
    if (options_.preview || !pending_.has_value()) return absl::OkStatus();
    if (target_open_) {
      RETURN_IF_ERROR(target_->Commit());
      target_open_ = false;
    }
    batch_ = 0;
    committed_ = pending_;
    pending_.reset();
    return checkpoint_.Write(*committed_, /*durable=*/false);
  }

  const Options& options_;
  Target* target_;
  Clock* clock_;
  Stats stats_;
  std::optional<Checkpoint> pending_, committed_;
  Applier applier_;
  CheckpointWriter checkpoint_;
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
  uint64_t events_ = 0;
  std::optional<ReplayProgress> progress_;
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

}  // namespace dcp::padder
