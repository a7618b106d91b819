// Consistent snapshots of a primary and its native (GTID) replica at the same point, so that a
// live, busy pair can be compared row-exact.
//
// OpenReplicaSnapshot():
//   0. STOP SLAVE on the replica, so it cannot run past the position read next;
//   1. on the primary, FLUSH TABLES WITH READ LOCK (writes pause), read @@gtid_binlog_pos = P,
//      START TRANSACTION WITH CONSISTENT SNAPSHOT on every `sources` connection, UNLOCK TABLES;
//   2. on the replica, START SLAVE UNTIL master_gtid_pos = P, MASTER_GTID_WAIT(P),
//      wait until the SQL thread has stopped there, START TRANSACTION WITH CONSISTENT SNAPSHOT
//      on every `targets` connection, then START SLAVE again.
// Every worker connection then reads the data as of P until it commits. Needs RELOAD (for the
// read lock) on the primary and replication admin privileges on the replica; the replica must
// replicate with MASTER_USE_GTID. Returns P.
//
// Not thread-safe: call before the connections are used by workers.
#ifndef DCP_VERIFIER_SNAPSHOT_H_
#define DCP_VERIFIER_SNAPSHOT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "mysql/connection.h"

namespace dcp::verifier {

absl::StatusOr<std::string> OpenReplicaSnapshot(mysql::Connection& primary,
                                                mysql::Connection& replica,
                                                const std::vector<mysql::Connection*>& sources,
                                                const std::vector<mysql::Connection*>& targets,
                                                absl::Duration timeout = absl::Seconds(300));

}  // namespace dcp::verifier

#endif  // DCP_VERIFIER_SNAPSHOT_H_
