// Checkpoint: where a binlog collector resumes after a restart.
//
// The position is the one *after* the last transaction the collector fully delivered, so a
// restart neither loses a change nor (outside a crash between delivery and save) repeats
// one. Stored as a small JSON document written atomically (util/atomic_file.h):
//   {"file":"mysql-bin.000003","position":1234,"gtid":"0-1-55","flavor":"mariadb",
//    "server_id":1,"saved_at":"2026-11-21T10:00:00Z","seqs":{"src":42}}   ("seqs" optional)
// Value type; CheckpointStore is not thread-safe (one per collector).
#ifndef DCP_COLLECTOR_CHECKPOINT_H_
#define DCP_COLLECTOR_CHECKPOINT_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace dcp::collector {

struct Checkpoint {
  std::string file;       // binlog file name
  uint64_t position = 0;  // offset in `file` after the last delivered transaction
  std::string gtid;       // MariaDB GTID position or MySQL GTID set after it ("" if none)
  std::string flavor;     // "mariadb" or "mysql"
  uint32_t server_id = 0; // the source server's server_id (a different server is not resumed)
  absl::Time saved_at = absl::UnixEpoch();
  // Per tag, the sequence number (dcp.Message.seq) of the last message delivered up to
  // `position`, when the collector's sink numbers messages (`dcp collect`); empty otherwise.
  // A restart hands them back so that what a crash makes it deliver again keeps its numbers
  // and the remote collector drops it as a duplicate.
  std::map<std::string, uint64_t> seqs;

  std::string ToJson() const;
  // kDataLoss when `json` is not a checkpoint document.
  static absl::StatusOr<Checkpoint> FromJson(absl::string_view json);
  // "file:position [gtid]", for logs.
  std::string ToString() const;

  friend bool operator==(const Checkpoint& a, const Checkpoint& b);
};

class CheckpointStore {
 public:
  explicit CheckpointStore(std::string path) : path_(std::move(path)) {}

  // The saved checkpoint, std::nullopt when none was saved; kDataLoss (naming the file) when
  // the file is corrupt, so that an operator decides instead of the collector silently
  // starting over.
  absl::StatusOr<std::optional<Checkpoint>> Load() const;
  absl::Status Save(const Checkpoint& checkpoint) const;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace dcp::collector

#endif  // DCP_COLLECTOR_CHECKPOINT_H_
