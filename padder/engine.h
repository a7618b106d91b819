// Engine: replays the row events of a binlog range into a Target.
//
// Row events are buffered per source transaction and applied, in binlog order, only after
// that transaction's commit event (XID, or a COMMIT query for non-transactional tables), as
// one target transaction (batch_size source transactions share one target transaction).
// A rolled-back transaction, and one unterminated at the end of the range, apply nothing.
//
// Every row change is probed against the target first:
//   insert: key missing -> INSERT (runs of inserts into one keyed table: one multi-row
//           INSERT, redone row by row when a key is taken); present and equal -> already applied;
//           present and different -> conflict "insert_exists"
//   update: before-image row equal -> UPDATE; the after-image row already there -> already
//           applied; before-image row missing -> "update_missing"; different ->
//           "update_differs"; the new key taken by another row -> "update_key_exists"
//   delete: (only with enable_delete) equal -> DELETE; missing -> "delete_missing";
//           different -> "delete_differs"
// Runs of updates (or deletes) of one keyed table within a source transaction are checked
// together: one Target::CountEqual() of their before images; when every row is there and
// equal, one UpdateMany() (or DeleteMany()) applies the run, which is exactly what the row by
// row path would have done; otherwise the run goes row by row as above, with its conflicts.
// Updates changing their key, updates of tables with a second unique key, and images missing
// a key column are never batched.
// Policies: skip (log, leave the target row), override (make the target row equal to the
// after image, or delete it), fail (log, roll the target transaction back, stop with
// kAborted; the checkpoint stays at the last committed transaction). Every conflict is a
// JSON line in the conflict log.
//
// DDL (a QUERY event other than BEGIN/COMMIT/ROLLBACK/SAVEPOINT) stops the run with
// kFailedPrecondition unless ddl=skip. The checkpoint (Options::checkpoint_file) holds the
// position after the last committed transaction and the GTID position reached; it is
// replaced atomically (rename) after every target commit and fsync'ed at most once a second
// and at the end of the run (see WriteCheckpoint in engine.cc for why that is safe).
//
// Preview: the whole range runs in one target transaction that is rolled back at the end;
// statistics are exact for the range, nothing is applied and no checkpoint is written.
//
// Not thread-safe; one Engine per run.
#ifndef DCP_PADDER_ENGINE_H_
#define DCP_PADDER_ENGINE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "mysql/binlog/event.h"
#include "mysql/binlog/file_reader.h"
#include "padder/options.h"
#include "padder/target.h"
#include "util/clock.h"

namespace dcp::padder {

// A binlog position: file and offset.
struct Position {
  std::string file;
  uint64_t offset = 0;
  std::string ToString() const;
  friend bool operator==(const Position& a, const Position& b) {
    return a.file == b.file && a.offset == b.offset;
  }
};

// The checkpoint file: "file=<name>\nposition=<n>\ngtid=<d-s-n,...>\n".
struct Checkpoint {
  Position position;
  std::string gtid;           // the GTID position after the last applied transaction (MariaDB)
  uint64_t transactions = 0;  // applied so far, over all runs
  std::string Serialize() const;
  static absl::StatusOr<Checkpoint> Parse(absl::string_view text);
};

// A MariaDB GTID position, domain -> (server, sequence).
using GtidPosition = std::map<uint32_t, std::pair<uint32_t, uint64_t>>;
absl::StatusOr<GtidPosition> ParseGtidPosition(absl::string_view text);
std::string GtidPositionToString(const GtidPosition& p);

struct TableCounts {
  uint64_t inserts = 0, updates = 0, deletes = 0;  // row changes in the range
  uint64_t applied = 0, already_applied = 0, conflicts = 0, deletes_skipped = 0;
};

struct Stats {
  uint64_t transactions_applied = 0;
  uint64_t transactions_rolled_back = 0;   // ROLLBACK in the source
  uint64_t transactions_unterminated = 0;  // no commit event before the end of the range
  uint64_t transactions_outside_gtid_range = 0;
  uint64_t write_events = 0;  // row changes of the selected tables
  uint64_t unknown_rows = 0;  // row changes of tables missing on the target
  uint64_t already_applied = 0;
  uint64_t conflicts = 0;
  uint64_t ddl_skipped = 0;
  std::map<std::string, uint64_t> conflicts_by_kind;
  std::map<std::string, TableCounts> tables;  // by target "schema.table"
  std::optional<Checkpoint> checkpoint;       // where the run ended (last commit)

  double ConflictRatio() const;
  double UnknownRatio() const;
  // stats.json: WriteEventCount, ConflictRatio, UnknownRatio (gravity's keys) and the rest.
  std::string ToJson() const;
  // A few human-readable lines.
  std::string Summary() const;
};

class Engine {
 public:
  // `target` is not owned and must outlive the engine. `clock` drives the progress line.
  Engine(Options options, Target* target, Clock* clock = Clock::Real());

  // Replays the events of `source`, which must already start at the run's start position
  // (BuildSource() does that). Returns the statistics, also when stopped by a conflict
  // under the fail policy or a DDL (then with the error).
  struct Result {
    absl::Status status;
    Stats stats;
  };
  Result Run(mysql::binlog::RawEventSource* source,
             mysql::binlog::Decoder::Options decoder_options = {});

 private:
  class Impl;
  Options options_;
  Target* target_;
  Clock* clock_;
};

// Opens the event source for `options`: the binlog files from the start position (or from
// the checkpoint's position when `checkpoint` is set), or a live stream (from the GTID start
// or checkpoint GTID, else from file:position). Sets the decoder's initial checksum.
absl::StatusOr<std::unique_ptr<mysql::binlog::RawEventSource>> BuildSource(
    const Options& options, const std::optional<Checkpoint>& checkpoint,
    mysql::binlog::Decoder::Options& decoder_options);

// The whole command: reads the checkpoint, opens the target and the source, runs the engine,
// writes stats.json in preview mode, prints the summary to `out`. Returns the run's status.
absl::Status RunReplay(const Options& options, std::ostream& out);

}  // namespace dcp::padder

#endif  // DCP_PADDER_ENGINE_H_
