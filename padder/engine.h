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
// Runs of row changes of one keyed table are applied in batches (apply.h), exactly as row by
// row would.
// Policies: skip (log, leave the target row), override (make the target row equal to the
// after image, or delete it), fail (log, roll the target transaction back, stop with
// kAborted; the checkpoint stays at the last committed transaction). Every conflict is a
// JSON line in the conflict log.
//
// DDL (a QUERY event other than BEGIN/COMMIT/ROLLBACK/SAVEPOINT) stops the run with
// kFailedPrecondition unless ddl=skip. The checkpoint (Options::checkpoint_file) holds the
// position after the last committed transaction and the GTID position reached; it is
// replaced atomically (rename) after every target commit and fsync'ed at most once a second
// and at the end of the run (CheckpointWriter in checkpoint.h says why that is safe).
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
#include "padder/checkpoint.h"
#include "padder/options.h"
#include "padder/stats.h"
#include "padder/target.h"
#include "util/clock.h"

namespace dcp::padder {

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
