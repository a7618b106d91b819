// Applier: applies one source transaction's row changes to the target, with padder's
// conflict rules (engine.h lists them; docs/padder.md has the table).
//
// Batches: a run of inserts into one keyed table goes as one multi-row INSERT, redone row by
// row when a key is taken (the statement then inserted nothing). A run of updates (or
// deletes) of one keyed table is probed with one Target::CountEqual() of the before images;
// when every row is there and equal, one UpdateMany() (DeleteMany()) applies the run, which
// is exactly what the row by row path would have done; otherwise the run goes row by row with
// its conflicts. Updates changing their key, updates of tables with a second unique key, and
// images missing a key column are never batched; nothing is batched in preview mode.
//
// Conflicts are counted in the Stats, written as JSON lines to Options::conflict_log (not in
// preview mode) and handled by Options::policy. Not thread-safe.
#ifndef DCP_PADDER_APPLY_H_
#define DCP_PADDER_APPLY_H_

#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "mysql/binlog/rows.h"
#include "padder/checkpoint.h"
#include "padder/options.h"
#include "padder/stats.h"
#include "padder/target.h"

namespace dcp::padder {

// One row change of a source transaction, converted for its target table.
struct Change {
  const TableInfo* table = nullptr;  // nullptr: the target has no such table
  std::string target_name;           // "schema.table" on the target
  mysql::binlog::RowOp op = mysql::binlog::RowOp::kInsert;
  Image before, after;
  Position position;  // of its rows event
};

class Applier {
 public:
  // Everything must outlive the applier. `committed` is where the checkpoint stands (named by
  // the error of the fail policy).
  Applier(const Options& options, Target* target, Stats* stats,
          const std::optional<Checkpoint>* committed)
      : options_(options), target_(target), stats_(*stats), committed_(*committed) {}

  // Applies `changes` in order inside the target's open transaction. kAborted for a conflict
  // under the fail policy, kNotFound for rows of a table the target lacks (outside preview);
  // other errors are the target's.
  absl::Status ApplyTransaction(const std::vector<Change>& changes);

 private:
  size_t InsertRun(const std::vector<Change>& changes, size_t i) const;
  size_t KeyedRun(const std::vector<Change>& changes, size_t i) const;
  absl::StatusOr<bool> ApplyInsertRun(const std::vector<Change>& changes, size_t i, size_t j);
  absl::StatusOr<bool> ApplyKeyedRun(const std::vector<Change>& changes, size_t i, size_t j);
  absl::Status Apply(const Change& c);
  absl::Status ApplyInsert(const Change& c, TableCounts& counts);
  absl::Status ApplyUpdate(const Change& c, TableCounts& counts);
  absl::Status ApplyDelete(const Change& c, TableCounts& counts);
  absl::Status AlreadyApplied(TableCounts& counts);
  template <typename Fix>
  absl::Status Conflict(const Change& c, TableCounts& counts, const std::string& kind,
                        const Image& key_image, Fix fix);
  absl::Status LogConflict(const Change& c, const std::string& kind, const Image& key_image);

  const Options& options_;
  Target* const target_;
  Stats& stats_;
  const std::optional<Checkpoint>& committed_;
  std::ofstream conflict_log_;
};

}  // namespace dcp::padder

#endif  // DCP_PADDER_APPLY_H_
