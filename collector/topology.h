// Choosing the server a binlog collector reads from among the candidates of one replication
// topology (`dsn = [...]` of a `[[collector]]`), and resuming on it by GTID.
//
// A collector's position is a GTID position (MariaDB: one GTID per domain; MySQL: the
// executed GTID set) plus the file:offset on the server it was read from. On that same server
// it resumes by file:offset; on another one (a failover, a re-pointed DSN, a moved VIP) by GTID,
// when that server's binlog holds the position:
//   MariaDB: @@gtid_binlog_state has, for every domain of the position, the position's server
//            id at a sequence number at or after it (mysql::MariaGtidState);
//   MySQL:   @@gtid_executed contains the position's set, and @@gtid_purged is inside it.
//
// ChooseServer() is the decision, a pure function of what ProbeServer() found on each
// candidate, unit-tested on encoded states (no MySQL server is packaged here):
//  - A candidate that holds the position is used: for a source collector the writable one
//    first (the primary), then the one read last, then the first in the list; for a target
//    collector the one read last, then the first in the list.
//  - A source collector whose position no candidate holds, while exactly one candidate is
//    writable, has lost transactions in a failover: the old primary had them, the new one
//    never received them. After `loss_grace` of the same finding (a promoted server may still
//    be applying its relay log), the choice resumes on the writable server at the part of the
//    position it holds and names the lost GTIDs (Choice::lost).
//  - Two writable candidates (split brain), or none that holds the position and no single
//    writable one, is kUnavailable: the collector waits and probes again.
//
// Value types and free functions; thread-compatible.
#ifndef DCP_COLLECTOR_TOPOLOGY_H_
#define DCP_COLLECTOR_TOPOLOGY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "mysql/connection.h"
#include "mysql/dsn.h"

namespace dcp::collector {

// What a probe found on one candidate.
struct ServerProbe {
  absl::Status error;  // not OK: unreachable or refused; the other fields are unset
  bool mariadb = false;
  uint32_t server_id = 0;
  std::string uuid;        // MySQL @@server_uuid
  bool read_only = true;   // read_only or super_read_only
  std::string gtid_state;  // MariaDB @@gtid_binlog_state, MySQL @@gtid_executed
  std::string gtid_purged; // MySQL @@gtid_purged ("" on MariaDB: the server reports purging)
};

// Connects to `dsn` and reads the fields above. The error names the address.
ServerProbe ProbeServer(const mysql::Dsn& dsn);
// The same over an open connection (tests).
ServerProbe ProbeConnection(mysql::Connection& conn);

enum class CollectorRole { kSource, kTarget };

struct TopologyPosition {
  std::string gtid;        // MariaDB GTID position or MySQL GTID set; "" unknown
  uint32_t server_id = 0;  // the server the position was read from (0: none yet)
};

struct Choice {
  size_t index = 0;  // the chosen candidate
  // The GTID position to resume from on it: the position itself, or after a loss the part
  // of it the server holds.
  std::string gtid;
  // GTIDs the position holds and the chosen server does not (a loss): MariaDB "d-s-n" per
  // transaction (from the chosen server's last one of that server id to the position's),
  // MySQL one GTID set text; empty otherwise.
  std::vector<std::string> lost;
  // Whether `lost` lists every lost transaction (MariaDB ranges over 10,000 are cut).
  bool lost_complete = true;
};

struct ChooseOptions {
  CollectorRole role = CollectorRole::kSource;
  // How long a loss must be seen before it is accepted (see the file comment), measured
  // by the caller: true once the same finding has lasted that long.
  bool loss_confirmed = false;
};

// The decision described in the file comment. kUnavailable (retry later) when no candidate
// can be used yet, with the reason; kFailedPrecondition when the position is not a GTID
// position (a server change is then impossible) or a MySQL candidate purged part of it.
// A loss not yet confirmed is kUnavailable with a message starting "loss suspected".
absl::StatusOr<Choice> ChooseServer(const TopologyPosition& position,
                                    const std::vector<ServerProbe>& candidates,
                                    const ChooseOptions& options);

// Whether the server `probe` describes holds the transaction `gtid` ("d-s-n" or "uuid:gno"):
// to tell, among transactions a collector delivered, those lost in a failover.
bool ServerHolds(const ServerProbe& probe, const std::string& gtid);

}  // namespace dcp::collector

#endif  // DCP_COLLECTOR_TOPOLOGY_H_
