// Where a padder run is: binlog positions, MariaDB GTID positions, and the checkpoint file that
// lets a re-run continue after the last transaction the target committed.
#ifndef DCP_PADDER_CHECKPOINT_H_
#define DCP_PADDER_CHECKPOINT_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
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

// The checkpoint file: "file=<name>\nposition=<n>\ngtid=<d-s-n,...>\ntransactions=<n>\n".
struct Checkpoint {
  Position position;
  std::string gtid;           // the GTID position after the last applied transaction (MariaDB)
  uint64_t transactions = 0;  // applied so far, over all runs
  std::string Serialize() const;
  // kDataLoss for a file that is not a checkpoint (e.g. left unreadable by an OS crash).
  static absl::StatusOr<Checkpoint> Parse(absl::string_view text);
};

// A MariaDB GTID position, domain -> (server, sequence).
using GtidPosition = std::map<uint32_t, std::pair<uint32_t, uint64_t>>;
absl::StatusOr<GtidPosition> ParseGtidPosition(absl::string_view text);
std::string GtidPositionToString(const GtidPosition& p);

// Writes the checkpoint file after every target commit: replaced atomically (a temporary file
// and a rename) every time, fsync'ed (util/atomic_file.h) only when asked to be durable or a
// second after the last fsync. Why that is safe: the file only ever moves forward to a
// transaction the target has already committed, so whatever version a crash leaves (the
// newest, or an older one after an OS crash lost the unsynced renames) is at or before the
// target's state; a re-run from an older one re-applies committed transactions, found already
// applied, and never skips an unapplied one. Not thread-safe.
class CheckpointWriter {
 public:
  // An empty `path`: writes nothing. `clock` must outlive the writer.
  CheckpointWriter(std::string path, Clock* clock) : path_(std::move(path)), clock_(clock) {}

  absl::Status Write(const Checkpoint& checkpoint, bool durable);
  // Whether the last write was fsync'ed (true before any write).
  bool synced() const { return synced_; }

 private:
  const std::string path_;
  Clock* const clock_;
  absl::Time last_sync_ = absl::InfinitePast();
  bool synced_ = true;
};

}  // namespace dcp::padder

#endif  // DCP_PADDER_CHECKPOINT_H_
