#include "verifier/data_compare.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <thread>
#include <tuple>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "mysql/schema.h"
#include "util/glob.h"
#include "util/status_macros.h"
#include "verifier/data_plan.h"
#include "verifier/resume_log.h"
#include "verifier/row_diff.h"
#include "verifier/schema_compare.h"
#include "verifier/session.h"
#include "verifier/snapshot.h"

namespace dcp::verifier {
namespace {

using mysql::Connection;
using mysql::ResultSet;

// Whether the server has CRC32C() (MariaDB >= 10.8; not MySQL). A lost connection is an
// error; any other failure means no.
absl::StatusOr<bool> HasCrc32c(Connection& conn) {
  absl::StatusOr<std::optional<std::string>> v = conn.QueryValue("SELECT CRC32C('')");
  if (v.ok()) return true;
  if (absl::IsUnavailable(v.status())) return v.status();
  return false;
}

// One table being compared.
struct TableState {
  TablePlan plan;
  bool full_scan = false;
  std::vector<std::string> fix_exprs;
  uint64_t estimated_rows = 0;
  // Single-column integer keys are chunked by value (lower + step), which needs no boundary
  // scan; other keys by the key `chunk_rows` rows further (LIMIT 1 OFFSET n on the source).
  bool int_key = false;
  int64_t min_key = 0;  // on the source
  int64_t max_key = 0;
  // Chunk sizing: the run's, or the table's override.
  absl::Duration chunk_time;
  double min_chunk_rows = 0;
  double max_chunk_rows = 0;
  size_t progress_item = 0;

  absl::Mutex mu;
  TableResult result ABSL_GUARDED_BY(mu);
  std::optional<KeyValue> next_lower ABSL_GUARDED_BY(mu);
  bool boundaries_done ABSL_GUARDED_BY(mu) = false;
  double chunk_rows ABSL_GUARDED_BY(mu) = 1000;
  double step ABSL_GUARDED_BY(mu) = 1000;
  bool last_chunk_differed ABSL_GUARDED_BY(mu) = false;
  double rate ABSL_GUARDED_BY(mu) = 0;  // rows per second, smoothed
  uint64_t next_seq ABSL_GUARDED_BY(mu) = 0;
  int in_flight ABSL_GUARDED_BY(mu) = 0;
  // Chunks finished out of order, by sequence number: their upper bounds.
  std::map<uint64_t, std::optional<KeyValue>> finished ABSL_GUARDED_BY(mu);
  uint64_t contiguous ABSL_GUARDED_BY(mu) = 0;  // chunks [0, contiguous) are done
  std::map<uint64_t, std::vector<RowDifference>> diffs ABSL_GUARDED_BY(mu);
  absl::Time started ABSL_GUARDED_BY(mu);
};

// A key range of one table handed to a worker; `seq` numbers the table's chunks in key order.
struct Chunk {
  TableState* table = nullptr;
  uint64_t seq = 0;
  std::optional<KeyValue> lower, upper;
};

class Engine {
 public:
  explicit Engine(const DataOptions& options)
      : options_(options),
        resume_(options.resume_file),
        progress_(options.progress, "rows", options.clock) {}

  absl::StatusOr<DataReport> Run();

 private:
  absl::Status Plan(Connection& source, Connection& target, const TablePairing& pairing);
  absl::Status PlanPair(Connection& source, Connection& target, const TablePair& pair,
                        const ResumeState& resume);
  void Worker(Sides* sides);
  // The next chunk of some table; std::nullopt when no table has chunks left.
  std::optional<Chunk> NextChunk(Sides* sides);
  TableState* PickTable();
  Chunk NextIntChunk(TableState* t) ABSL_EXCLUSIVE_LOCKS_REQUIRED(t->mu);
  absl::Status ProcessChunk(Sides* sides, const Chunk& chunk);
  void AdaptChunkSize(TableState* t, const Chunk& chunk, absl::Duration took, double rows)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(t->mu);
  void RecordFinished(TableState* t, const Chunk& chunk) ABSL_EXCLUSIVE_LOCKS_REQUIRED(t->mu);
  absl::Status FullScan(Sides* sides, TableState* t);
  absl::Status Recheck(Sides* sides);
  void TableDone(TableState* t) ABSL_EXCLUSIVE_LOCKS_REQUIRED(t->mu);
  void Fail(TableState* t, const absl::Status& status);
  RowDiffer Differ(const TableState& t) const {
    return RowDiffer(t.plan, options_.collect_fix_values ? t.fix_exprs : no_fix_exprs_,
                     options_.row_fetch_limit);
  }

  const DataOptions& options_;
  const std::vector<std::string> no_fix_exprs_;
  ResumeLog resume_;
  std::vector<std::unique_ptr<TableState>> tables_;
  std::vector<TableResult> unpaired_;
  bool crc32c_ = false;  // both servers have CRC32C(); set by Run before Plan, then read-only
  ProgressReporter progress_;
  absl::Mutex mu_;
  absl::Status fatal_ ABSL_GUARDED_BY(mu_);
  size_t cursor_ ABSL_GUARDED_BY(mu_) = 0;
};

absl::Status Engine::Plan(Connection& source, Connection& target, const TablePairing& pairing) {
  const ResumeState resume = ReadResume(options_.resume_file);
  auto name = [](const mysql::TableName& n) { return absl::StrCat(n.first, ".", n.second); };
  for (const mysql::TableName& n : pairing.missing_on_target) {
    TableResult r;
    r.source_table = name(n);
    r.missing_on_target = true;
    unpaired_.push_back(std::move(r));
  }
  for (const mysql::TableName& n : pairing.extra_on_target) {
    TableResult r;
    r.target_table = name(n);
    r.extra_on_target = true;
    unpaired_.push_back(std::move(r));
  }
  for (const TablePair& p : pairing.pairs) RETURN_IF_ERROR(PlanPair(source, target, p, resume));
  return absl::OkStatus();
}

absl::Status Engine::PlanPair(Connection& source, Connection& target, const TablePair& pair,
                              const ResumeState& resume) {
  ASSIGN_OR_RETURN(mysql::TableSchema ss,
                   mysql::ReadTableSchema(source, pair.source.first, pair.source.second));
  ASSIGN_OR_RETURN(mysql::TableSchema ts,
                   mysql::ReadTableSchema(target, pair.target.first, pair.target.second));
  const DataOptions table_options =
      OptionsForTable(options_, absl::StrCat(pair.source.first, ".", pair.source.second));
  TableSetup setup = PlanTable(pair, ss, ts, table_options, crc32c_);
  auto state = std::make_unique<TableState>();
  TableState& t = *state;
  absl::MutexLock lock(&t.mu);
  t.plan = std::move(setup.plan);
  t.full_scan = setup.full_scan;
  t.fix_exprs = std::move(setup.fix_exprs);
  t.estimated_rows = setup.estimated_rows;
  t.result = std::move(setup.result);
  t.chunk_time = table_options.chunk_time;
  t.min_chunk_rows = static_cast<double>(table_options.min_chunk_rows);
  t.max_chunk_rows = static_cast<double>(table_options.max_chunk_rows);
  t.chunk_rows = static_cast<double>(table_options.initial_chunk_rows);
  t.progress_item = progress_.AddItem(t.result.source_table, t.estimated_rows);
  tables_.push_back(std::move(state));
  if (!t.result.error.empty()) {
    progress_.FinishItem(t.progress_item);
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(auto int_range, IntKeyRange(source, t.plan, ss));
  if (int_range.has_value()) {
    t.int_key = true;
    std::tie(t.min_key, t.max_key) = *int_range;
    // Assume dense keys until the first chunk measures the density.
    t.step = t.chunk_rows;
  }
  if (resume.done.count(t.result.source_table) > 0) {
    t.result.resumed_complete = true;
    t.boundaries_done = true;
    progress_.SetAlreadyDone(t.progress_item, t.estimated_rows);
    progress_.FinishItem(t.progress_item);
  } else if (auto it = resume.upto.find(t.result.source_table); it != resume.upto.end()) {
    t.next_lower = it->second;
  }
  return absl::OkStatus();
}

void Engine::Fail(TableState* t, const absl::Status& status) {
  if (absl::IsUnavailable(status) || absl::IsPermissionDenied(status)) {
    absl::MutexLock lock(&mu_);
    if (fatal_.ok()) fatal_ = status;
  }
  absl::MutexLock lock(&t->mu);
  if (t->result.error.empty()) t->result.error = std::string(status.message());
  t->boundaries_done = true;
  progress_.FinishItem(t->progress_item);
}

void Engine::TableDone(TableState* t) {
  progress_.FinishItem(t->progress_item);
  progress_.MaybeReport();
}

TableState* Engine::PickTable() {
  absl::MutexLock lock(&mu_);
  if (!fatal_.ok()) return nullptr;
  // The first table with chunks left, starting from the cursor so that workers spread over
  // tables before they share one. A table whose lock is held is busy finding its next
  // boundary: prefer another one rather than waiting here with mu_ held; fall back to it if
  // there is no other.
  TableState* t = nullptr;
  TableState* busy = nullptr;
  for (size_t i = 0; i < tables_.size() && t == nullptr; ++i) {
    TableState* c = tables_[(cursor_ + i) % tables_.size()].get();
    if (!c->mu.TryLock()) {
      if (busy == nullptr) busy = c;
      continue;
    }
    if (!c->boundaries_done && c->result.error.empty()) t = c;
    c->mu.Unlock();
  }
  if (t == nullptr) t = busy;
  if (t != nullptr) cursor_ = (cursor_ + 1) % tables_.size();
  return t;
}

Chunk Engine::NextIntChunk(TableState* t) {
  Chunk c;
  int64_t lo = t->min_key - 1;
  if (t->next_lower && !absl::SimpleAtoi(t->next_lower->front(), &lo)) lo = t->max_key;
  c.lower = t->next_lower;
  const int64_t step = static_cast<int64_t>(std::max(1.0, t->step));
  if (lo >= t->max_key || t->max_key - lo <= step) {
    t->boundaries_done = true;
  } else {
    c.upper = KeyValue{absl::StrCat(lo + step)};
  }
  return c;
}

std::optional<Chunk> Engine::NextChunk(Sides* sides) {
  for (;;) {
    TableState* t = PickTable();
    if (t == nullptr) return std::nullopt;
    if (t->full_scan) {
      {
        absl::MutexLock lock(&t->mu);
        if (t->boundaries_done) continue;
        t->boundaries_done = true;
        t->started = options_.clock->Now();
      }
      absl::Status st = FullScan(sides, t);
      if (!st.ok()) Fail(t, st);
      continue;
    }
    absl::MutexLock lock(&t->mu);
    if (t->boundaries_done || !t->result.error.empty()) continue;
    if (t->next_seq == 0) t->started = options_.clock->Now();
    Chunk c;
    if (t->int_key) {
      c = NextIntChunk(t);
    } else {
      const uint64_t rows = static_cast<uint64_t>(t->chunk_rows);
      auto rs = sides->source.Query(
          BoundarySql(t->plan, t->plan.source_table, t->next_lower, std::nullopt, rows - 1));
      if (!rs.ok()) {
        t->mu.Unlock();
        Fail(t, rs.status());
        t->mu.Lock();
        continue;
      }
      c.lower = t->next_lower;
      if (rs->rows.empty()) {
        t->boundaries_done = true;
      } else {
        KeyValue k;
        for (const auto& v : rs->rows[0]) k.push_back(v.value_or(""));
        c.upper = std::move(k);
      }
    }
    t->next_lower = c.upper;
    c.seq = t->next_seq++;
    c.table = t;
    ++t->in_flight;
    return c;
  }
}

absl::Status Engine::ProcessChunk(Sides* sides, const Chunk& chunk) {
  TableState* t = chunk.table;
  const absl::Time start = options_.clock->Now();
  bool direct = false;
  {
    absl::MutexLock lock(&t->mu);
    direct = t->last_chunk_differed && t->chunk_rows <= options_.row_fetch_limit;
  }
  const RowDiffer differ = Differ(*t);
  std::vector<RowDifference> diffs;
  uint64_t source_rows = 0, target_rows = 0;
  bool mismatch = false;
  absl::Duration took;
  if (direct) {
    // The previous chunk differed: where differences are dense, comparing row hashes right
    // away saves the chunk checksum pass.
    ASSIGN_OR_RETURN(RowDiffer::Hashed h, differ.CompareHashes(*sides, chunk.lower, chunk.upper));
    took = options_.clock->Now() - start;
    diffs = std::move(h.differences);
    source_rows = h.source_rows;
    target_rows = h.target_rows;
    mismatch = !diffs.empty() || source_rows != target_rows;
  } else {
    ASSIGN_OR_RETURN(auto sums, ChecksumBoth(*sides, t->plan, chunk.lower, chunk.upper));
    took = options_.clock->Now() - start;
    source_rows = sums.first.count;
    target_rows = sums.second.count;
    mismatch = !(sums.first == sums.second);
    if (mismatch) {
      ASSIGN_OR_RETURN(
          diffs, differ.CompareRange(*sides, chunk.lower, chunk.upper, source_rows, target_rows));
    }
  }
  progress_.Advance(t->progress_item, std::max(source_rows, target_rows));
  absl::MutexLock lock(&t->mu);
  t->result.source_rows += source_rows;
  t->result.target_rows += target_rows;
  ++t->result.chunks;
  if (mismatch) ++t->result.mismatched_chunks;
  t->last_chunk_differed = mismatch;
  if (!diffs.empty()) t->diffs[chunk.seq] = std::move(diffs);
  AdaptChunkSize(t, chunk, took, static_cast<double>(std::max(source_rows, target_rows)));
  RecordFinished(t, chunk);
  return absl::OkStatus();
}

void Engine::AdaptChunkSize(TableState* t, const Chunk& chunk, absl::Duration took, double rows) {
  // Toward chunk_time from the smoothed rate.
  const double secs = absl::ToDoubleSeconds(took);
  if (secs > 0 && rows > 0) {
    const double rate = rows / secs;
    t->rate = t->rate == 0 ? rate : 0.75 * t->rate + 0.25 * rate;
    t->chunk_rows = std::clamp(t->rate * absl::ToDoubleSeconds(t->chunk_time),
                               t->min_chunk_rows, t->max_chunk_rows);
  }
  if (t->int_key && chunk.upper) {
    // Keys per row in this chunk, so that the next step covers about chunk_rows rows.
    int64_t lo = t->min_key - 1, hi = 0;
    if (chunk.lower) absl::SimpleAtoi(chunk.lower->front(), &lo);
    if (absl::SimpleAtoi(chunk.upper->front(), &hi) && hi > lo) {
      const double width = static_cast<double>(hi - lo);
      t->step = rows > 0 ? std::clamp(t->chunk_rows * width / rows, 1.0, 1e15)
                         : std::min(t->step * 2, 1e15);
    }
  }
}

void Engine::RecordFinished(TableState* t, const Chunk& chunk) {
  // Resume bookkeeping: record the upper bound of the longest finished prefix of chunks.
  t->finished[chunk.seq] = chunk.upper;
  std::optional<KeyValue> last;
  bool advanced = false;
  while (!t->finished.empty() && t->finished.begin()->first == t->contiguous) {
    last = t->finished.begin()->second;
    t->finished.erase(t->finished.begin());
    ++t->contiguous;
    advanced = true;
  }
  --t->in_flight;
  if (advanced && resume_.enabled() && last) {
    resume_.Write(absl::StrCat("upto\t", t->result.source_table, "\t", EncodeKey(*last)));
  }
  if (t->boundaries_done && t->in_flight == 0 && t->finished.empty() && t->result.error.empty()) {
    resume_.Write(absl::StrCat("done\t", t->result.source_table));
    TableDone(t);
  }
}

absl::Status Engine::FullScan(Sides* sides, TableState* t) {
  ASSIGN_OR_RETURN(RowDiffer::Whole whole, Differ(*t).CompareWhole(*sides));
  progress_.Advance(t->progress_item, std::max(whole.source.count, whole.target.count));
  absl::MutexLock lock(&t->mu);
  t->result.source_rows = whole.source.count;
  t->result.target_rows = whole.target.count;
  t->result.chunks = 1;
  t->result.mismatched_chunks = whole.source == whole.target ? 0 : 1;
  t->diffs[0] = std::move(whole.differences);
  resume_.Write(absl::StrCat("done\t", t->result.source_table));
  TableDone(t);
  return absl::OkStatus();
}

void Engine::Worker(Sides* sides) {
  for (;;) {
    if (options_.throttle != nullptr) {
      const absl::Status s = options_.throttle->Wait([this] {
        absl::MutexLock lock(&mu_);
        return !fatal_.ok();
      });
      if (!s.ok()) {
        absl::MutexLock lock(&mu_);
        if (fatal_.ok()) fatal_ = s;
        return;
      }
    }
    std::optional<Chunk> chunk = NextChunk(sides);
    if (!chunk.has_value()) return;
    absl::Status st = ProcessChunk(sides, *chunk);
    if (!st.ok()) {
      {
        absl::MutexLock lock(&chunk->table->mu);
        --chunk->table->in_flight;
      }
      Fail(chunk->table, st);
    }
  }
}

absl::Status Engine::Recheck(Sides* sides) {
  for (int round = 0; round < options_.recheck_rounds; ++round) {
    bool any = false;
    for (auto& t : tables_) {
      absl::MutexLock lock(&t->mu);
      if (!t->result.differences.empty() && !t->full_scan) any = true;
    }
    if (!any) return absl::OkStatus();
    options_.clock->SleepFor(options_.recheck_delay);
    for (auto& tp : tables_) {
      TableState* t = tp.get();
      std::vector<KeyValue> keys;
      {
        absl::MutexLock lock(&t->mu);
        if (t->full_scan) continue;
        for (const RowDifference& d : t->result.differences) keys.push_back(d.key);
      }
      if (keys.empty()) continue;
      ASSIGN_OR_RETURN(std::vector<RowDifference> still, Differ(*t).CompareKeys(*sides, keys, 200));
      absl::MutexLock lock(&t->mu);
      t->result.differences = std::move(still);
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<DataReport> Engine::Run() {
  if (options_.parallel < 1) return absl::InvalidArgumentError("--parallel must be at least 1");
  const absl::Time start = options_.clock->Now();
  ASSIGN_OR_RETURN(Connection source, OpenSession(options_.source));
  ASSIGN_OR_RETURN(Connection target, OpenSession(options_.target));
  ASSIGN_OR_RETURN(TablePairing pairing,
                   PairTables(source, target, options_.tables, options_.exclude, options_.maps));
  ASSIGN_OR_RETURN(const bool source_crc32c, HasCrc32c(source));
  ASSIGN_OR_RETURN(const bool target_crc32c, HasCrc32c(target));
  crc32c_ = source_crc32c && target_crc32c;
  RETURN_IF_ERROR(Plan(source, target, pairing));

  std::vector<Sides> workers;
  for (int i = 0; i < options_.parallel; ++i) {
    ASSIGN_OR_RETURN(Connection s, OpenSession(options_.source));
    ASSIGN_OR_RETURN(Connection t, OpenSession(options_.target));
    workers.push_back(Sides{std::move(s), std::move(t)});
  }
  DataReport report;
  report.checksum = crc32c_ ? "sha256-crc32c" : "sha256-crc32";
  if (options_.snapshot) {
    std::vector<Connection*> sources, targets;
    for (Sides& w : workers) {
      sources.push_back(&w.source);
      targets.push_back(&w.target);
    }
    ASSIGN_OR_RETURN(report.snapshot_position,
                     OpenReplicaSnapshot(source, target, sources, targets));
  }
  absl::Notification finished;
  std::thread progress;
  if (progress_.enabled()) progress = std::thread([this, &finished] { progress_.RunUntil(&finished); });
  std::vector<std::thread> threads;
  for (Sides& w : workers) threads.emplace_back([this, &w] { Worker(&w); });
  for (std::thread& th : threads) th.join();
  finished.Notify();
  if (progress.joinable()) progress.join();
  progress_.Finish();
  {
    absl::MutexLock lock(&mu_);
    if (!fatal_.ok()) return fatal_;
  }
  for (auto& t : tables_) {
    absl::MutexLock lock(&t->mu);
    for (auto& [seq, diffs] : t->diffs) {
      for (RowDifference& d : diffs) t->result.differences.push_back(std::move(d));
    }
    t->diffs.clear();
    t->result.elapsed = options_.clock->Now() - t->started;
  }
  if (options_.snapshot) {
    for (Sides& w : workers) {
      (void)w.source.Execute("COMMIT");
      (void)w.target.Execute("COMMIT");
    }
  }
  if (options_.recheck_rounds > 0) RETURN_IF_ERROR(Recheck(&workers[0]));
  for (auto& t : tables_) {
    absl::MutexLock lock(&t->mu);
    report.tables.push_back(std::move(t->result));
  }
  for (TableResult& r : unpaired_) report.tables.push_back(std::move(r));
  report.elapsed = options_.clock->Now() - start;
  return report;
}

}  // namespace

const char* RowDifference::KindName(Kind k) {
  switch (k) {
    case Kind::kMissing:
      return "missing";
    case Kind::kExtra:
      return "extra";
    case Kind::kDifferent:
      return "different";
  }
  return "?";
}

bool DataReport::identical() const {
  for (const TableResult& t : tables) {
    if (!t.identical()) return false;
  }
  return true;
}

bool DataReport::has_error() const {
  for (const TableResult& t : tables) {
    if (!t.error.empty()) return true;
  }
  return false;
}

uint64_t DataReport::total_rows() const {
  uint64_t n = 0;
  for (const TableResult& t : tables) n += std::max(t.source_rows, t.target_rows);
  return n;
}

DataOptions OptionsForTable(const DataOptions& options, const std::string& name) {
  DataOptions o = options;
  o.table_overrides.clear();
  for (const TableOverride& t : options.table_overrides) {
    if (!GlobMatch(t.table, name)) continue;
    if (t.where) o.where = *t.where;
    if (t.columns) o.columns = *t.columns;
    if (t.ignore_columns) o.ignore_columns = *t.ignore_columns;
    if (t.chunk_time) o.chunk_time = *t.chunk_time;
    if (t.chunk_rows) {
      o.initial_chunk_rows = o.min_chunk_rows = o.max_chunk_rows = *t.chunk_rows;
    }
    break;
  }
  return o;
}

absl::StatusOr<DataReport> CompareData(const DataOptions& options) {
  Engine engine(options);
  return engine.Run();
}

}  // namespace dcp::verifier
