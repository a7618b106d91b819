#include "verifier/row_diff.h"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "absl/strings/numbers.h"
#include "util/status_macros.h"

namespace dcp::verifier {
namespace {

using mysql::ResultSet;
using mysql::Row;

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

KeyValue KeyOf(const Row& r, size_t nkey) {
  KeyValue k;
  for (size_t i = 0; i < nkey; ++i) k.push_back(r[i].value_or(""));
  return k;
}

// The differences between the whole rows `s` (the source's, possibly followed by fix values)
// and `tr` (the target's) of the same keys, appended to `out`: rows on one side only, and rows
// whose compared columns differ, with each differing column.
absl::Status CompareRows(const TablePlan& plan, const absl::StatusOr<ResultSet>& s,
                         const absl::StatusOr<ResultSet>& tr, std::vector<RowDifference>& out) {
  if (!s.ok()) return s.status();
  if (!tr.ok()) return tr.status();
  const size_t nkey = plan.key_columns.size();
  const size_t ncols = plan.columns.size();
  absl::flat_hash_map<KeyValue, size_t, absl::Hash<KeyValue>> target_index;
  for (size_t i = 0; i < tr->rows.size(); ++i) target_index[KeyOf(tr->rows[i], nkey)] = i;
  std::vector<bool> seen(tr->rows.size(), false);
  for (const Row& sr : s->rows) {
    RowDifference d;
    d.key = KeyOf(sr, nkey);
    if (sr.size() > ncols) d.source_values.assign(sr.begin() + ncols, sr.end());
    auto it = target_index.find(d.key);
    if (it == target_index.end()) {
      d.kind = RowDifference::Kind::kMissing;
      out.push_back(std::move(d));
      continue;
    }
    seen[it->second] = true;
    const Row& trow = tr->rows[it->second];
    for (size_t c = nkey; c < ncols; ++c) {
      if (sr[c] != trow[c]) {
        d.columns.push_back(ColumnDifference{plan.columns[c].name, sr[c], trow[c]});
      }
    }
    if (!d.columns.empty()) {
      d.kind = RowDifference::Kind::kDifferent;
      out.push_back(std::move(d));
    }
  }
  for (size_t i = 0; i < tr->rows.size(); ++i) {
    if (seen[i]) continue;
    RowDifference d;
    d.kind = RowDifference::Kind::kExtra;
    d.key = KeyOf(tr->rows[i], nkey);
    out.push_back(std::move(d));
  }
  return absl::OkStatus();
}

// The keys whose row hashes differ or that one side lacks: the source's in its order, then
// the target's own.
std::vector<KeyValue> DifferingKeys(const ResultSet& source, const ResultSet& target, size_t nkey) {
  absl::flat_hash_map<KeyValue, std::string, absl::Hash<KeyValue>> target_hash;
  for (const Row& r : target.rows) target_hash[KeyOf(r, nkey)] = r[nkey].value_or("");
  std::vector<KeyValue> keys;
  for (const Row& r : source.rows) {
    KeyValue k = KeyOf(r, nkey);
    auto it = target_hash.find(k);
    if (it == target_hash.end() || it->second != r[nkey].value_or("")) keys.push_back(k);
    if (it != target_hash.end()) target_hash.erase(it);
  }
  for (const Row& r : target.rows) {
    KeyValue k = KeyOf(r, nkey);
    if (target_hash.count(k) > 0) keys.push_back(std::move(k));
  }
  return keys;
}

}  // namespace

std::pair<absl::StatusOr<ResultSet>, absl::StatusOr<ResultSet>> QueryBoth(
    mysql::Connection& s, const std::string& sql_s, mysql::Connection& t,
    const std::string& sql_t) {
  absl::StatusOr<ResultSet> tr = absl::UnknownError("not run");
  std::thread th([&] { tr = t.Query(sql_t); });
  absl::StatusOr<ResultSet> sr = s.Query(sql_s);
  th.join();
  return {std::move(sr), std::move(tr)};
}

absl::StatusOr<std::pair<Checksum, Checksum>> ChecksumBoth(Sides& sides, const TablePlan& plan,
                                                           const std::optional<KeyValue>& lower,
                                                           const std::optional<KeyValue>& upper) {
  auto [sr, tr] = QueryBoth(sides.source, ChecksumSql(plan, plan.source_table, lower, upper),
                            sides.target, ChecksumSql(plan, plan.target_table, lower, upper));
  ASSIGN_OR_RETURN(Checksum sc, ParseChecksum(sr));
  ASSIGN_OR_RETURN(Checksum tc, ParseChecksum(tr));
  return std::make_pair(std::move(sc), std::move(tc));
}

absl::StatusOr<std::vector<RowDifference>> RowDiffer::CompareRange(
    Sides& sides, const std::optional<KeyValue>& lower, const std::optional<KeyValue>& upper,
    uint64_t source_rows, uint64_t target_rows) const {
  std::vector<RowDifference> out;
  RETURN_IF_ERROR(Bisect(sides, lower, upper, source_rows, target_rows, 0, out));
  return out;
}

absl::Status RowDiffer::Bisect(Sides& sides, const std::optional<KeyValue>& lower,
                               const std::optional<KeyValue>& upper, uint64_t source_rows,
                               uint64_t target_rows, int depth,
                               std::vector<RowDifference>& out) const {
  if (std::max(source_rows, target_rows) <= row_fetch_limit_ || depth > 64) {
    ASSIGN_OR_RETURN(Hashed h, CompareHashes(sides, lower, upper));
    for (RowDifference& d : h.differences) out.push_back(std::move(d));
    return absl::OkStatus();
  }
  // Split at the middle row of the side that has more than one row (the source first).
  const bool use_source = source_rows >= 2;
  const uint64_t n = use_source ? source_rows : target_rows;
  mysql::Connection& side = use_source ? sides.source : sides.target;
  const std::string& table = use_source ? plan_.source_table : plan_.target_table;
  ASSIGN_OR_RETURN(ResultSet mid_rs,
                   side.Query(BoundarySql(plan_, table, lower, upper, n / 2 - 1)));
  if (mid_rs.rows.empty()) {
    return absl::AbortedError("the table changed while being bisected; rerun or use --snapshot");
  }
  KeyValue mid;
  for (const auto& v : mid_rs.rows[0]) mid.push_back(v.value_or(""));
  for (int half = 0; half < 2; ++half) {
    const std::optional<KeyValue> lo = half == 0 ? lower : std::optional<KeyValue>(mid);
    const std::optional<KeyValue> hi = half == 0 ? std::optional<KeyValue>(mid) : upper;
    ASSIGN_OR_RETURN(auto sums, ChecksumBoth(sides, plan_, lo, hi));
    if (!(sums.first == sums.second)) {
      RETURN_IF_ERROR(Bisect(sides, lo, hi, sums.first.count, sums.second.count, depth + 1, out));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<RowDiffer::Hashed> RowDiffer::CompareHashes(
    Sides& sides, const std::optional<KeyValue>& lower,
    const std::optional<KeyValue>& upper) const {
  auto [sh, th] = QueryBoth(sides.source, RowHashesSql(plan_, plan_.source_table, lower, upper),
                            sides.target, RowHashesSql(plan_, plan_.target_table, lower, upper));
  if (!sh.ok()) return sh.status();
  if (!th.ok()) return th.status();
  Hashed out;
  out.source_rows = sh->rows.size();
  out.target_rows = th->rows.size();
  const std::vector<KeyValue> keys = DifferingKeys(*sh, *th, plan_.key_columns.size());
  ASSIGN_OR_RETURN(out.differences, CompareKeys(sides, keys, 500));
  return out;
}

absl::StatusOr<std::vector<RowDifference>> RowDiffer::CompareKeys(Sides& sides,
                                                                  const std::vector<KeyValue>& keys,
                                                                  size_t batch) const {
  static const std::vector<std::string> kNone;
  std::vector<RowDifference> out;
  for (size_t i = 0; i < keys.size(); i += batch) {
    const std::vector<KeyValue> part(keys.begin() + i,
                                     keys.begin() + std::min(keys.size(), i + batch));
    auto [sr, tr] =
        QueryBoth(sides.source, FetchKeysSql(plan_, plan_.source_table, part, fix_exprs_),
                  sides.target, FetchKeysSql(plan_, plan_.target_table, part, kNone));
    RETURN_IF_ERROR(CompareRows(plan_, sr, tr, out));
  }
  return out;
}

absl::StatusOr<RowDiffer::Whole> RowDiffer::CompareWhole(Sides& sides) const {
  Whole out;
  ASSIGN_OR_RETURN(auto sums, ChecksumBoth(sides, plan_, std::nullopt, std::nullopt));
  out.source = std::move(sums.first);
  out.target = std::move(sums.second);
  if (out.source == out.target) return out;
  const std::vector<std::string> none;
  auto [srows, trows] = QueryBoth(
      sides.source, FetchRowsSql(plan_, plan_.source_table, std::nullopt, std::nullopt, none),
      sides.target, FetchRowsSql(plan_, plan_.target_table, std::nullopt, std::nullopt, none));
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
      out.differences.push_back(std::move(d));
    }
  }
  return out;
}

}  // namespace dcp::verifier
