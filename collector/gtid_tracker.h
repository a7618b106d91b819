// GtidTracker: a binlog reader's GTID position, moved forward by each committed transaction's
// GTID: for MariaDB the last GTID of each replication domain ("0-1-100,1-2-7"), for MySQL the
// executed GTID set ("uuid:1-100,..."). The flavour is taken from the first GTID seen (or
// from the start text). Value type; not thread-safe.
#ifndef DCP_COLLECTOR_GTID_TRACKER_H_
#define DCP_COLLECTOR_GTID_TRACKER_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "mysql/gtid.h"

namespace dcp::collector {

class GtidTracker {
 public:
  GtidTracker() = default;
  // Starts at `position` (either flavour, "" for none). kInvalidArgument when it is neither.
  absl::Status Reset(absl::string_view position);
  // Records a committed transaction's GTID ("d-s-n", "uuid:gno" or "uuid:tag:gno"); "" (an
  // anonymous transaction) changes nothing. A GTID of the other flavour than the position's
  // replaces it (a position cannot mix them); a malformed one is ignored and reported.
  absl::Status Commit(absl::string_view gtid);
  // The position as text ("" before any GTID).
  const std::string& position() const { return text_; }

 private:
  enum class Flavor { kNone, kMaria, kMysql };
  Flavor flavor_ = Flavor::kNone;
  mysql::MariaGtidPosition maria_;
  mysql::GtidSet mysql_;
  std::string text_;
};

}  // namespace dcp::collector

#endif  // DCP_COLLECTOR_GTID_TRACKER_H_
