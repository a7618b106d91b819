// Down to rows: the differing rows of a key range of one table, once its checksums differ.
//
// A range holding more than `row_fetch_limit` rows (on either side) is bisected at the middle
// row of the side with more rows, and each half whose checksums differ is looked at again;
// then both sides return each row's key and hash (RowHashesSql), and only the keys whose
// hashes differ, or that exist on one side, are fetched whole and compared column by column.
// The source and the target are always queried at the same time.
//
// Thread-compatible: one RowDiffer may be shared by threads that pass their own connections.
#ifndef DCP_VERIFIER_ROW_DIFF_H_
#define DCP_VERIFIER_ROW_DIFF_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "mysql/connection.h"
#include "verifier/chunk_sql.h"
#include "verifier/data_compare.h"

namespace dcp::verifier {

// One connection to each side (one worker's).
struct Sides {
  mysql::Connection source;
  mysql::Connection target;
};

// A range's ChecksumSql result: row count and folded row values.
struct Checksum {
  uint64_t count = 0;
  std::string sum;
  bool operator==(const Checksum& o) const { return count == o.count && sum == o.sum; }
};

// Runs `sql_s` on `s` and `sql_t` on `t` at the same time.
std::pair<absl::StatusOr<mysql::ResultSet>, absl::StatusOr<mysql::ResultSet>> QueryBoth(
    mysql::Connection& s, const std::string& sql_s, mysql::Connection& t, const std::string& sql_t);

// ChecksumSql of the range on both sides, at the same time.
absl::StatusOr<std::pair<Checksum, Checksum>> ChecksumBoth(Sides& sides, const TablePlan& plan,
                                                           const std::optional<KeyValue>& lower,
                                                           const std::optional<KeyValue>& upper);

class RowDiffer {
 public:
  // `plan` and `fix_exprs` (select expressions of the source values kept for fix SQL; empty:
  // none kept) must outlive the differ.
  RowDiffer(const TablePlan& plan, const std::vector<std::string>& fix_exprs,
            uint64_t row_fetch_limit)
      : plan_(plan), fix_exprs_(fix_exprs), row_fetch_limit_(row_fetch_limit) {}

  // The differences within (lower, upper], whose checksums were found to differ with these
  // row counts: bisected while large (above), then compared by row hashes. kAborted when the
  // table changes under the bisection.
  absl::StatusOr<std::vector<RowDifference>> CompareRange(Sides& sides,
                                                          const std::optional<KeyValue>& lower,
                                                          const std::optional<KeyValue>& upper,
                                                          uint64_t source_rows,
                                                          uint64_t target_rows) const;

  // The differences within (lower, upper] by row hashes right away, and both sides' row
  // counts.
  struct Hashed {
    std::vector<RowDifference> differences;
    uint64_t source_rows = 0;
    uint64_t target_rows = 0;
  };
  absl::StatusOr<Hashed> CompareHashes(Sides& sides, const std::optional<KeyValue>& lower,
                                       const std::optional<KeyValue>& upper) const;

  // The differences among the rows at `keys`, fetched whole, `batch` keys per query.
  absl::StatusOr<std::vector<RowDifference>> CompareKeys(Sides& sides,
                                                         const std::vector<KeyValue>& keys,
                                                         size_t batch) const;

  // A table without a key (full-scan mode): one checksum of each side and, when they differ,
  // every row of both compared as a multiset (rows missing or extra, identified by all their
  // values).
  struct Whole {
    Checksum source;
    Checksum target;
    std::vector<RowDifference> differences;
  };
  absl::StatusOr<Whole> CompareWhole(Sides& sides) const;

 private:
  absl::Status Bisect(Sides& sides, const std::optional<KeyValue>& lower,
                      const std::optional<KeyValue>& upper, uint64_t source_rows,
                      uint64_t target_rows, int depth, std::vector<RowDifference>& out) const;

  const TablePlan& plan_;
  const std::vector<std::string>& fix_exprs_;
  const uint64_t row_fetch_limit_;
};

}  // namespace dcp::verifier

#endif  // DCP_VERIFIER_ROW_DIFF_H_
