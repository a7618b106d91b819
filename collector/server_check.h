// Startup validation of a MySQL/MariaDB server a binlog collector will read from.
//
// Catches, before streaming starts, every server-side reason the collector could not work
// or would produce wrong results, with an error that names the setting or privilege and the
// statement that fixes it:
//   binary log off, binlog_format not ROW, binlog_row_image not FULL   -> kFailedPrecondition
//   missing REPLICATION SLAVE, REPLICATION CLIENT/BINLOG MONITOR,
//   or SELECT on a tagged table                                       -> kPermissionDenied
//   the collector's server id equal to the server's or a connected
//   replica's                                                         -> kFailedPrecondition
//   server unreachable                                                -> kUnavailable
// Tag globs that match no table are warnings, not errors.
#ifndef DCP_COLLECTOR_SERVER_CHECK_H_
#define DCP_COLLECTOR_SERVER_CHECK_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "collector/tags.h"
#include "util/clock.h"
#include "mysql/connection.h"
#include "mysql/dsn.h"

namespace dcp::collector {

struct ServerInfo {
  std::string address;  // host:port (or socket) checked
  std::string version;  // e.g. "10.11.6-MariaDB-0+deb12u1-log"
  bool mariadb = false;
  uint32_t server_id = 0;
  std::string binlog_file;   // current end of the binlog (SHOW MASTER STATUS)
  uint64_t binlog_position = 0;
  // The GTID position at binlog_file:binlog_position (MariaDB, from BINLOG_GTID_POS) or the
  // executed GTID set there (MySQL, from SHOW MASTER STATUS).
  std::string gtid_position;
  bool full_row_metadata = false;  // binlog_row_metadata=FULL

  std::string Flavor() const { return mariadb ? "mariadb" : "mysql"; }
};

struct ServerCheckResult {
  ServerInfo info;
  std::vector<std::string> tables;    // tagged tables found, "schema.table", sorted
  std::vector<std::string> warnings;  // human-readable, one line each
};

// How long CheckServer waits for `replica_server_id` to leave SHOW SLAVE HOSTS before calling
// it taken. A dcp (or dcp collect) restarted right after it stopped or crashed finds its own
// old registration there until the server notices the closed connection, which it does at
// the next event or heartbeat it sends (dcp's collectors ask for a heartbeat every second).
inline constexpr absl::Duration kServerIdInUseGrace = absl::Seconds(4);

// Validates the server behind `conn` (connected as the collector's user) for a collector that
// registers as replica `replica_server_id` with `tags`. A server id registered by another
// replica is re-checked every 200 ms of `clock` (nullptr: the real clock) for up to
// `in_use_grace` before it is an error.
absl::StatusOr<ServerCheckResult> CheckServer(mysql::Connection& conn, uint32_t replica_server_id,
                                              const TagMatcher& tags,
                                              absl::Duration in_use_grace = kServerIdInUseGrace,
                                              Clock* clock = nullptr);

// MariaDB: the GTID position at `file`:`position` of the server's binlog (BINLOG_GTID_POS;
// "" when the server cannot tell, e.g. a position not at an event boundary).
absl::StatusOr<std::string> GtidPositionAt(mysql::Connection& conn, const std::string& file,
                                           uint64_t position);

// Connects to `dsn` and calls CheckServer; an unreachable server is kUnavailable with the
// address (never the password) in the message.
absl::StatusOr<ServerCheckResult> ConnectAndCheckServer(
    const mysql::Dsn& dsn, uint32_t replica_server_id, const TagMatcher& tags,
    absl::Duration in_use_grace = kServerIdInUseGrace, Clock* clock = nullptr);

}  // namespace dcp::collector

#endif  // DCP_COLLECTOR_SERVER_CHECK_H_
