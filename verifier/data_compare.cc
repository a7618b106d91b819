#include "verifier/data_compare.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <cmath>
#include <fstream>
#include <map>
#include <memory>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "mysql/schema.h"
#include "util/log.h"
#include "util/status_macros.h"
#include "verifier/schema_compare.h"
#include "verifier/session.h"
#include "verifier/snapshot.h"

namespace dcp::verifier {
namespace {

using mysql::Connection;
using mysql::ResultSet;
using mysql::Row;
using mysql::TableSchema;

struct Checksum {
  uint64_t count = 0;
  std::string sum;
  bool operator==(const Checksum& o) const { return count == o.count && sum == o.sum; }
};

// Runs `sql_s` on `s` and `sql_t` on `t` at the same time.
std::pair<absl::StatusOr<ResultSet>, absl::StatusOr<ResultSet>> QueryBoth(
    Connection& s, const std::string& sql_s, Connection& t, const std::string& sql_t) {
  absl::StatusOr<ResultSet> tr = absl::UnknownError("not run");
  std::thread th([&] { tr = t.Query(sql_t); });
  absl::StatusOr<ResultSet> sr = s.Query(sql_s);
  th.join();
  return {std::move(sr), std::move(tr)};
}

absl::StatusOr<Checksum> ParseChecksum(const absl::StatusOr<ResultSet>& rs) {
  if (!rs.ok()) return rs.status();
  if (rs->rows.size() != 1 || rs->rows[0].size() != 2) {
    return absl::InternalError("checksum query returned an unexpected shape");
  }
  Checksum c;
  const Row& r = rs->rows[0];
  if (!r[0] || !absl::SimpleAtoi(*r[0], &c.count)) {
    return absl::InternalError("checksum query returned no count");
  }
  c.sum = r[1].value_or("");
  return c;
}

// Whether the server has CRC32C() (MariaDB >= 10.8; not MySQL). A lost connection is an
// error; any other failure means no.
absl::StatusOr<bool> HasCrc32c(Connection& conn) {
  absl::StatusOr<std::optional<std::string>> v = conn.QueryValue("SELECT CRC32C('')");
  if (v.ok()) return true;
  if (absl::IsUnavailable(v.status())) return v.status();
  return false;
}

struct Workers {
  Connection source;
  Connection target;
};

// One table being compared.
struct TableState {
  TablePlan plan;
  bool full_scan = false;
  std::vector<std::string> fix_exprs;
  uint64_t estimated_rows = 0;

  absl::Mutex mu;
  TableResult result ABSL_GUARDED_BY(mu);
  std::optional<KeyValue> next_lower ABSL_GUARDED_BY(mu);
  bool boundaries_done ABSL_GUARDED_BY(mu) = false;
  double chunk_rows ABSL_GUARDED_BY(mu) = 1000;
  // Single-column integer keys are chunked by value (lower + step), which needs no boundary
  // scan; other keys by the key `chunk_rows` rows further (LIMIT 1 OFFSET n on the source).
  bool int_key = false;
  int64_t min_key = 0;  // on the source
  int64_t max_key = 0;
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

std::string EncodeKey(const KeyValue& k) {
  std::vector<std::string> parts;
  for (const std::string& v : k) parts.push_back(absl::BytesToHexString(v));
  return absl::StrJoin(parts, ",");
}

KeyValue DecodeKey(absl::string_view s) {
  KeyValue out;
  for (absl::string_view p : absl::StrSplit(s, ',')) out.push_back(absl::HexStringToBytes(p));
  return out;
}

// Appends resume records: "upto\t<table>\t<hex key>" and "done\t<table>". Thread-safe.
class ResumeLog {
 public:
  explicit ResumeLog(std::string path) : path_(std::move(path)) {}
  bool enabled() const { return !path_.empty(); }
  void Write(const std::string& line) {
    if (path_.empty()) return;
    absl::MutexLock lock(&mu_);
    std::ofstream f(path_, std::ios::app);
    f << line << "\n";
    f.flush();
  }

 private:
  std::string path_;
  absl::Mutex mu_;
};

struct ResumeState {
  std::map<std::string, KeyValue> upto;
  std::set<std::string> done;
};

ResumeState ReadResume(const std::string& path) {
  ResumeState st;
  if (path.empty()) return st;
  std::ifstream f(path);
  std::string line;
  while (std::getline(f, line)) {
    std::vector<std::string> parts = absl::StrSplit(line, '\t');
    if (parts.size() == 2 && parts[0] == "done") st.done.insert(parts[1]);
    if (parts.size() == 3 && parts[0] == "upto") st.upto[parts[1]] = DecodeKey(parts[2]);
  }
  return st;
}

class Engine {
 public:
  explicit Engine(const DataOptions& options) : options_(options), resume_(options.resume_file) {}

  absl::StatusOr<DataReport> Run();

 private:
  absl::Status Plan(Connection& source, Connection& target, const TablePairing& pairing);
  void Worker(int index, Workers* conns);
  // Takes the next chunk of some table; false when no table has chunks left.
  bool NextChunk(Workers* conns, TableState** table, uint64_t* seq, std::optional<KeyValue>* lower,
                 std::optional<KeyValue>* upper);
  absl::Status ProcessChunk(Workers* conns, TableState* t, uint64_t seq,
                            const std::optional<KeyValue>& lower,
                            const std::optional<KeyValue>& upper);
  absl::Status CompareRange(Workers* conns, TableState* t, const std::optional<KeyValue>& lower,
                            const std::optional<KeyValue>& upper, uint64_t s_count,
                            uint64_t t_count, int depth, std::vector<RowDifference>* out);
  // Fetches key + row hash of the range from both sides, then whole rows for the keys that
  // differ; optionally reports the row counts.
  absl::Status CompareHashes(Workers* conns, TableState* t, const std::optional<KeyValue>& lower,
                             const std::optional<KeyValue>& upper, std::vector<RowDifference>* out,
                             uint64_t* s_count, uint64_t* t_count);
  absl::Status CompareRows(const TableState& t, const absl::StatusOr<ResultSet>& s,
                           const absl::StatusOr<ResultSet>& tr, std::vector<RowDifference>* out);
  absl::Status FullScan(Workers* conns, TableState* t);
  absl::Status Recheck(Workers* conns);
  void ProgressLoop();
  void Fail(TableState* t, const absl::Status& status);

  const DataOptions& options_;
  ResumeLog resume_;
  std::vector<std::unique_ptr<TableState>> tables_;
  std::vector<TableResult> unpaired_;
  bool crc32c_ = false;  // both servers have CRC32C(); set by Run before Plan, then read-only
  std::atomic<uint64_t> rows_done_{0};
  std::atomic<bool> finished_{false};
  absl::Mutex mu_;
  absl::Status fatal_ ABSL_GUARDED_BY(mu_);
  size_t cursor_ ABSL_GUARDED_BY(mu_) = 0;
};

std::string QualifiedQuoted(const mysql::TableName& n) {
  return absl::StrCat(mysql::QuoteIdentifier(n.first), ".", mysql::QuoteIdentifier(n.second));
}

bool InList(const std::vector<std::string>& list, const std::string& name) {
  for (const std::string& l : list) {
    if (absl::EqualsIgnoreCase(l, name)) return true;
  }
  return false;
}

absl::Status Engine::Plan(Connection& source, Connection& target, const TablePairing& pairing) {
  ResumeState resume = ReadResume(options_.resume_file);
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
  for (const TablePair& p : pairing.pairs) {
    ASSIGN_OR_RETURN(TableSchema ss,
                     mysql::ReadTableSchema(source, p.source.first, p.source.second));
    ASSIGN_OR_RETURN(TableSchema ts,
                     mysql::ReadTableSchema(target, p.target.first, p.target.second));
    auto state = std::make_unique<TableState>();
    TableState& t = *state;
    absl::MutexLock lock(&t.mu);
    t.result.source_table = name(p.source);
    t.result.target_table = name(p.target);
    t.plan.source_table = QualifiedQuoted(p.source);
    t.plan.target_table = QualifiedQuoted(p.target);
    t.plan.where = options_.where;
    t.plan.crc32c = crc32c_;
    t.estimated_rows = ss.estimated_rows;
    t.chunk_rows = static_cast<double>(options_.initial_chunk_rows);
    std::optional<mysql::IndexSchema> key = ss.RowKey();
    if (key) {
      for (const std::string& k : key->ColumnNames()) {
        if (ts.FindColumn(k) == nullptr) {
          t.result.error = absl::StrCat("key column ", k, " is missing on the target");
        }
      }
    }
    if (!t.result.error.empty()) {
      tables_.push_back(std::move(state));
      continue;
    }
    if (!key) {
      if (!options_.allow_full_scan) {
        t.result.error =
            "no primary key and no unique key over NOT NULL columns; use --full-scan to compare "
            "it as a whole";
        tables_.push_back(std::move(state));
        continue;
      }
      t.full_scan = true;
    } else {
      t.plan.key_index = key->name;
      for (const std::string& k : key->ColumnNames()) {
        const mysql::ColumnSchema* sc = ss.FindColumn(k);
        t.plan.key_columns.push_back(sc->name);
        t.plan.key_binary.push_back(sc->IsBinary());
        const mysql::ColumnSchema& tc = *ts.FindColumn(k);
        t.plan.columns.push_back(ComparedColumn{sc->name, NormalizedExpr(*sc, tc), sc->IsBinary(),
                                                false, MayContainSeparator(*sc, tc)});
      }
    }
    for (const mysql::ColumnSchema& tc : ts.columns) {
      if (ss.FindColumn(tc.name) == nullptr) t.result.one_side_columns.push_back(tc.name);
    }
    for (const mysql::ColumnSchema& sc : ss.columns) {
      const mysql::ColumnSchema* tc = ts.FindColumn(sc.name);
      if (tc == nullptr) {
        t.result.one_side_columns.push_back(sc.name);
        continue;
      }
      if (!sc.generation_expression) {
        t.result.fix_columns.push_back(sc.name);
        const char kind = sc.IsBinary() ? 'x' : sc.IsBit() ? 'n' : 's';
        t.result.fix_kinds.push_back(kind);
        const std::string q = mysql::QuoteIdentifier(sc.name);
        // FLOAT through DOUBLE: the text protocol rounds FLOAT to 6 digits, which would not
        // write the same value back.
        t.fix_exprs.push_back(kind == 'x'               ? absl::StrCat("HEX(", q, ")")
                              : kind == 'n'             ? absl::StrCat("CAST(", q, " AS UNSIGNED)")
                              : sc.data_type == "float" ? absl::StrCat("CAST(", q, " AS DOUBLE)")
                                                        : q);
      }
      if (InList(t.plan.key_columns, sc.name)) continue;
      if (!options_.columns.empty() && !InList(options_.columns, sc.name)) continue;
      if (InList(options_.ignore_columns, sc.name)) continue;
      t.plan.columns.push_back(ComparedColumn{sc.name, NormalizedExpr(sc, *tc), sc.IsBinary(),
                                              sc.nullable || tc->nullable,
                                              MayContainSeparator(sc, *tc)});
    }
    for (const ComparedColumn& c : t.plan.columns) t.result.compared_columns.push_back(c.name);
    if (t.plan.key_columns.size() == 1 && ss.FindColumn(t.plan.key_columns[0])->IsInteger()) {
      const std::string k = mysql::QuoteIdentifier(t.plan.key_columns[0]);
      ASSIGN_OR_RETURN(ResultSet mm, source.Query(absl::StrCat("SELECT MIN(", k, "), MAX(", k,
                                                               ") FROM ", t.plan.source_table)));
      if (mm.rows.size() == 1 && mm.rows[0][0] && mm.rows[0][1] &&
          absl::SimpleAtoi(*mm.rows[0][0], &t.min_key) &&
          absl::SimpleAtoi(*mm.rows[0][1], &t.max_key) && t.min_key > INT64_MIN + 1 &&
          t.max_key < INT64_MAX / 2) {
        t.int_key = true;
        // Assume dense keys until the first chunk measures the density.
        t.step = static_cast<double>(options_.initial_chunk_rows);
      }
    }
    t.result.key_columns = t.plan.key_columns;
    t.result.key_binary = t.plan.key_binary;
    if (resume.done.count(t.result.source_table) > 0) {
      t.result.resumed_complete = true;
      t.boundaries_done = true;
    } else if (auto it = resume.upto.find(t.result.source_table); it != resume.upto.end()) {
      t.next_lower = it->second;
    }
    tables_.push_back(std::move(state));
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
}

bool Engine::NextChunk(Workers* conns, TableState** table, uint64_t* seq,
                       std::optional<KeyValue>* lower, std::optional<KeyValue>* upper) {
  for (;;) {
    TableState* t = nullptr;
    {
      absl::MutexLock lock(&mu_);
      if (!fatal_.ok()) return false;
      // The first table with chunks left, starting from the cursor so that workers spread
      // over tables before they share one.
      // A table whose lock is held is busy finding its next boundary: prefer another one
      // rather than waiting here with mu_ held; fall back to it if there is no other.
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
      if (t == nullptr) return false;
      cursor_ = (cursor_ + 1) % tables_.size();
    }
    if (t->full_scan) {
      {
        absl::MutexLock lock(&t->mu);
        if (t->boundaries_done) continue;
        t->boundaries_done = true;
        t->started = options_.clock->Now();
      }
      absl::Status st = FullScan(conns, t);
      if (!st.ok()) Fail(t, st);
      continue;
    }
    absl::MutexLock lock(&t->mu);
    if (t->boundaries_done || !t->result.error.empty()) continue;
    if (t->next_seq == 0) t->started = options_.clock->Now();
    if (t->int_key) {
      int64_t lo = t->min_key - 1;
      if (t->next_lower && !absl::SimpleAtoi(t->next_lower->front(), &lo)) lo = t->max_key;
      *lower = t->next_lower;
      const int64_t step = static_cast<int64_t>(std::max(1.0, t->step));
      if (lo >= t->max_key || t->max_key - lo <= step) {
        upper->reset();
        t->boundaries_done = true;
      } else {
        *upper = KeyValue{absl::StrCat(lo + step)};
      }
      t->next_lower = *upper;
      *seq = t->next_seq++;
      ++t->in_flight;
      *table = t;
      return true;
    }
    const uint64_t rows = static_cast<uint64_t>(t->chunk_rows);
    auto rs = conns->source.Query(
        BoundarySql(t->plan, t->plan.source_table, t->next_lower, std::nullopt, rows - 1));
    if (!rs.ok()) {
      t->mu.Unlock();
      Fail(t, rs.status());
      t->mu.Lock();
      continue;
    }
    *lower = t->next_lower;
    if (rs->rows.empty()) {
      upper->reset();
      t->boundaries_done = true;
    } else {
      KeyValue k;
      for (const auto& v : rs->rows[0]) k.push_back(v.value_or(""));
      *upper = k;
    }
    t->next_lower = *upper;
    *seq = t->next_seq++;
    ++t->in_flight;
    *table = t;
    return true;
  }
}

absl::Status Engine::ProcessChunk(Workers* conns, TableState* t, uint64_t seq,
                                  const std::optional<KeyValue>& lower,
                                  const std::optional<KeyValue>& upper) {
  const absl::Time start = options_.clock->Now();
  bool direct = false;
  {
    absl::MutexLock lock(&t->mu);
    direct = t->last_chunk_differed && t->chunk_rows <= options_.row_fetch_limit;
  }
  std::vector<RowDifference> diffs;
  Checksum sc, tc;
  bool mismatch = false;
  absl::Duration took;
  if (direct) {
    // The previous chunk differed: where differences are dense, comparing row hashes right
    // away saves the chunk checksum pass.
    RETURN_IF_ERROR(CompareHashes(conns, t, lower, upper, &diffs, &sc.count, &tc.count));
    took = options_.clock->Now() - start;
    mismatch = !diffs.empty() || sc.count != tc.count;
  } else {
    auto [sr, tr] =
        QueryBoth(conns->source, ChecksumSql(t->plan, t->plan.source_table, lower, upper),
                  conns->target, ChecksumSql(t->plan, t->plan.target_table, lower, upper));
    ASSIGN_OR_RETURN(sc, ParseChecksum(sr));
    ASSIGN_OR_RETURN(tc, ParseChecksum(tr));
    took = options_.clock->Now() - start;
    mismatch = !(sc == tc);
    if (mismatch) {
      RETURN_IF_ERROR(CompareRange(conns, t, lower, upper, sc.count, tc.count, 0, &diffs));
    }
  }
  rows_done_ += std::max(sc.count, tc.count);
  absl::MutexLock lock(&t->mu);
  t->result.source_rows += sc.count;
  t->result.target_rows += tc.count;
  ++t->result.chunks;
  if (mismatch) ++t->result.mismatched_chunks;
  t->last_chunk_differed = mismatch;
  if (!diffs.empty()) t->diffs[seq] = std::move(diffs);
  // Adapt the chunk size toward chunk_time from the smoothed rate.
  const double secs = absl::ToDoubleSeconds(took);
  const double rows = static_cast<double>(std::max(sc.count, tc.count));
  if (secs > 0 && rows > 0) {
    const double rate = rows / secs;
    t->rate = t->rate == 0 ? rate : 0.75 * t->rate + 0.25 * rate;
    t->chunk_rows = std::clamp(t->rate * absl::ToDoubleSeconds(options_.chunk_time),
                               static_cast<double>(options_.min_chunk_rows),
                               static_cast<double>(options_.max_chunk_rows));
  }
  if (t->int_key && upper) {
    // Keys per row in this chunk, so that the next step covers about chunk_rows rows.
    int64_t lo = t->min_key - 1, hi = 0;
    if (lower) absl::SimpleAtoi(lower->front(), &lo);
    if (absl::SimpleAtoi(upper->front(), &hi) && hi > lo) {
      const double width = static_cast<double>(hi - lo);
      t->step = rows > 0 ? std::clamp(t->chunk_rows * width / rows, 1.0, 1e15)
                         : std::min(t->step * 2, 1e15);
    }
  }
  // Resume bookkeeping: record the upper bound of the longest finished prefix of chunks.
  t->finished[seq] = upper;
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
  }
  return absl::OkStatus();
}

absl::Status Engine::CompareRange(Workers* conns, TableState* t,
                                  const std::optional<KeyValue>& lower,
                                  const std::optional<KeyValue>& upper, uint64_t s_count,
                                  uint64_t t_count, int depth, std::vector<RowDifference>* out) {
  if (std::max(s_count, t_count) <= options_.row_fetch_limit || depth > 64) {
    return CompareHashes(conns, t, lower, upper, out, nullptr, nullptr);
  }
  // Split at the middle row of the side that has more than one row (the source first).
  const bool use_source = s_count >= 2;
  const uint64_t n = use_source ? s_count : t_count;
  Connection& side = use_source ? conns->source : conns->target;
  const std::string& table = use_source ? t->plan.source_table : t->plan.target_table;
  ASSIGN_OR_RETURN(ResultSet mid_rs,
                   side.Query(BoundarySql(t->plan, table, lower, upper, n / 2 - 1)));
  if (mid_rs.rows.empty()) {
    return absl::AbortedError("the table changed while being bisected; rerun or use --snapshot");
  }
  KeyValue mid;
  for (const auto& v : mid_rs.rows[0]) mid.push_back(v.value_or(""));
  for (int half = 0; half < 2; ++half) {
    const std::optional<KeyValue> lo = half == 0 ? lower : std::optional<KeyValue>(mid);
    const std::optional<KeyValue> hi = half == 0 ? std::optional<KeyValue>(mid) : upper;
    auto [sr, tr] = QueryBoth(conns->source, ChecksumSql(t->plan, t->plan.source_table, lo, hi),
                              conns->target, ChecksumSql(t->plan, t->plan.target_table, lo, hi));
    ASSIGN_OR_RETURN(Checksum sc, ParseChecksum(sr));
    ASSIGN_OR_RETURN(Checksum tc, ParseChecksum(tr));
    if (!(sc == tc)) {
      RETURN_IF_ERROR(CompareRange(conns, t, lo, hi, sc.count, tc.count, depth + 1, out));
    }
  }
  return absl::OkStatus();
}

absl::Status Engine::CompareHashes(Workers* conns, TableState* t,
                                   const std::optional<KeyValue>& lower,
                                   const std::optional<KeyValue>& upper,
                                   std::vector<RowDifference>* out, uint64_t* s_count,
                                   uint64_t* t_count) {
  // Key and row hash from both sides; then whole rows only for the keys that differ.
  auto [sh, th] =
      QueryBoth(conns->source, RowHashesSql(t->plan, t->plan.source_table, lower, upper),
                conns->target, RowHashesSql(t->plan, t->plan.target_table, lower, upper));
  if (!sh.ok()) return sh.status();
  if (!th.ok()) return th.status();
  if (s_count != nullptr) *s_count = sh->rows.size();
  if (t_count != nullptr) *t_count = th->rows.size();
  const size_t nkey = t->plan.key_columns.size();
  auto key_of = [nkey](const Row& r) {
    KeyValue k;
    for (size_t i = 0; i < nkey; ++i) k.push_back(r[i].value_or(""));
    return k;
  };
  absl::flat_hash_map<KeyValue, std::string, absl::Hash<KeyValue>> target_hash;
  for (const Row& r : th->rows) target_hash[key_of(r)] = r[nkey].value_or("");
  std::vector<KeyValue> keys;
  for (const Row& r : sh->rows) {
    KeyValue k = key_of(r);
    auto it = target_hash.find(k);
    if (it == target_hash.end() || it->second != r[nkey].value_or("")) keys.push_back(k);
    if (it != target_hash.end()) target_hash.erase(it);
  }
  for (const Row& r : th->rows) {
    KeyValue k = key_of(r);
    if (target_hash.count(k) > 0) keys.push_back(std::move(k));
  }
  const std::vector<std::string> none;
  for (size_t i = 0; i < keys.size(); i += 500) {
    std::vector<KeyValue> batch(keys.begin() + i, keys.begin() + std::min(keys.size(), i + 500));
    auto [sr, tr] =
        QueryBoth(conns->source,
                  FetchKeysSql(t->plan, t->plan.source_table, batch,
                               options_.collect_fix_values ? t->fix_exprs : none),
                  conns->target, FetchKeysSql(t->plan, t->plan.target_table, batch, none));
    RETURN_IF_ERROR(CompareRows(*t, sr, tr, out));
  }
  return absl::OkStatus();
}

absl::Status Engine::CompareRows(const TableState& t, const absl::StatusOr<ResultSet>& s,
                                 const absl::StatusOr<ResultSet>& tr,
                                 std::vector<RowDifference>* out) {
  if (!s.ok()) return s.status();
  if (!tr.ok()) return tr.status();
  const size_t nkey = t.plan.key_columns.size();
  const size_t ncols = t.plan.columns.size();
  auto key_of = [nkey](const Row& r) {
    KeyValue k;
    for (size_t i = 0; i < nkey; ++i) k.push_back(r[i].value_or(""));
    return k;
  };
  absl::flat_hash_map<KeyValue, size_t, absl::Hash<KeyValue>> target_index;
  for (size_t i = 0; i < tr->rows.size(); ++i) target_index[key_of(tr->rows[i])] = i;
  std::vector<bool> seen(tr->rows.size(), false);
  for (const Row& sr : s->rows) {
    KeyValue key = key_of(sr);
    RowDifference d;
    d.key = key;
    if (sr.size() > ncols) d.source_values.assign(sr.begin() + ncols, sr.end());
    auto it = target_index.find(key);
    if (it == target_index.end()) {
      d.kind = RowDifference::Kind::kMissing;
      out->push_back(std::move(d));
      continue;
    }
    seen[it->second] = true;
    const Row& trow = tr->rows[it->second];
    for (size_t c = nkey; c < ncols; ++c) {
      if (sr[c] != trow[c]) {
        d.columns.push_back(ColumnDifference{t.plan.columns[c].name, sr[c], trow[c]});
      }
    }
    if (!d.columns.empty()) {
      d.kind = RowDifference::Kind::kDifferent;
      out->push_back(std::move(d));
    }
  }
  for (size_t i = 0; i < tr->rows.size(); ++i) {
    if (seen[i]) continue;
    RowDifference d;
    d.kind = RowDifference::Kind::kExtra;
    d.key = key_of(tr->rows[i]);
    out->push_back(std::move(d));
  }
  return absl::OkStatus();
}

absl::Status Engine::FullScan(Workers* conns, TableState* t) {
  auto [sr, tr] = QueryBoth(
      conns->source, ChecksumSql(t->plan, t->plan.source_table, std::nullopt, std::nullopt),
      conns->target, ChecksumSql(t->plan, t->plan.target_table, std::nullopt, std::nullopt));
  ASSIGN_OR_RETURN(Checksum sc, ParseChecksum(sr));
  ASSIGN_OR_RETURN(Checksum tc, ParseChecksum(tr));
  std::vector<RowDifference> diffs;
  if (!(sc == tc)) {
    const std::vector<std::string> none;
    auto [srows, trows] =
        QueryBoth(conns->source,
                  FetchRowsSql(t->plan, t->plan.source_table, std::nullopt, std::nullopt, none),
                  conns->target,
                  FetchRowsSql(t->plan, t->plan.target_table, std::nullopt, std::nullopt, none));
    if (!srows.ok()) return srows.status();
    if (!trows.ok()) return trows.status();
    // Rows as a multiset: every column identifies a row.
    std::map<Row, int64_t> balance;
    for (const Row& r : srows->rows) ++balance[r];
    for (const Row& r : trows->rows) --balance[r];
    for (const auto& [row, n] : balance) {
      for (int64_t i = 0; i < std::abs(n); ++i) {
        RowDifference d;
        d.kind = n > 0 ? RowDifference::Kind::kMissing : RowDifference::Kind::kExtra;
        for (const auto& v : row) d.key.push_back(v ? *v : "NULL");
        diffs.push_back(std::move(d));
      }
    }
  }
  rows_done_ += std::max(sc.count, tc.count);
  absl::MutexLock lock(&t->mu);
  t->result.source_rows = sc.count;
  t->result.target_rows = tc.count;
  t->result.chunks = 1;
  t->result.mismatched_chunks = sc == tc ? 0 : 1;
  t->diffs[0] = std::move(diffs);
  resume_.Write(absl::StrCat("done\t", t->result.source_table));
  return absl::OkStatus();
}

void Engine::Worker(int index, Workers* conns) {
  TableState* t = nullptr;
  uint64_t seq = 0;
  std::optional<KeyValue> lower, upper;
  while (NextChunk(conns, &t, &seq, &lower, &upper)) {
    absl::Status st = ProcessChunk(conns, t, seq, lower, upper);
    if (!st.ok()) {
      {
        absl::MutexLock lock(&t->mu);
        --t->in_flight;
      }
      Fail(t, st);
    }
  }
}

absl::Status Engine::Recheck(Workers* conns) {
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
      std::vector<RowDifference> still;
      const std::vector<std::string> none;
      for (size_t i = 0; i < keys.size(); i += 200) {
        std::vector<KeyValue> batch(keys.begin() + i,
                                    keys.begin() + std::min(keys.size(), i + 200));
        auto [sr, tr] =
            QueryBoth(conns->source,
                      FetchKeysSql(t->plan, t->plan.source_table, batch,
                                   options_.collect_fix_values ? t->fix_exprs : none),
                      conns->target, FetchKeysSql(t->plan, t->plan.target_table, batch, none));
        RETURN_IF_ERROR(CompareRows(*t, sr, tr, &still));
      }
      absl::MutexLock lock(&t->mu);
      t->result.differences = std::move(still);
    }
  }
  return absl::OkStatus();
}

void Engine::ProgressLoop() {
  uint64_t total = 0;
  for (auto& t : tables_) total += t->estimated_rows;
  const absl::Time start = absl::Now();
  while (!finished_.load()) {
    absl::SleepFor(absl::Milliseconds(250));
    const uint64_t done = rows_done_.load();
    const double secs = absl::ToDoubleSeconds(absl::Now() - start);
    const double rate = secs > 0 ? static_cast<double>(done) / secs : 0;
    std::string eta = "?";
    if (rate > 0 && total > done) eta = absl::StrFormat("%.0fs", (total - done) / rate);
    if (total <= done) eta = "0s";
    *options_.progress << absl::StrFormat("\r%llu/~%llu rows  %.0f rows/s  ETA %s   ",
                                          static_cast<unsigned long long>(done),
                                          static_cast<unsigned long long>(total), rate, eta)
                       << std::flush;
  }
  *options_.progress << "\r" << std::string(60, ' ') << "\r" << std::flush;
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

  std::vector<Workers> workers;
  for (int i = 0; i < options_.parallel; ++i) {
    ASSIGN_OR_RETURN(Connection s, OpenSession(options_.source));
    ASSIGN_OR_RETURN(Connection t, OpenSession(options_.target));
    workers.push_back(Workers{std::move(s), std::move(t)});
  }
  DataReport report;
  report.checksum = crc32c_ ? "sha256-crc32c" : "sha256-crc32";
  if (options_.snapshot) {
    std::vector<Connection*> sources, targets;
    for (Workers& w : workers) {
      sources.push_back(&w.source);
      targets.push_back(&w.target);
    }
    ASSIGN_OR_RETURN(report.snapshot_position,
                     OpenReplicaSnapshot(source, target, sources, targets));
  }
  std::thread progress;
  if (options_.progress != nullptr) progress = std::thread([this] { ProgressLoop(); });
  std::vector<std::thread> threads;
  for (int i = 0; i < options_.parallel; ++i) {
    threads.emplace_back([this, i, &workers] { Worker(i, &workers[i]); });
  }
  for (std::thread& th : threads) th.join();
  finished_ = true;
  if (progress.joinable()) progress.join();
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
    for (Workers& w : workers) {
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

absl::StatusOr<DataReport> CompareData(const DataOptions& options) {
  Engine engine(options);
  return engine.Run();
}

}  // namespace dcp::verifier
