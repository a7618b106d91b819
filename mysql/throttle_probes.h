// The readings behind --max-lag and --max-load (util/throttle.h), each on its own connection
// (opened at the first reading, reopened after a lost one):
//
//   replica lag, heartbeat: with a barrier table (the dcp daemon's drc.barrier, whose `ts`
//     column the barrier writer bumps on the primary), NOW() - MAX(ts) read on the replica,
//     as pt-heartbeat measures it. Needs the daemon's barrier writer running; includes up to
//     one barrier interval and the column's one-second resolution.
//   replica lag, native: Seconds_Behind_Master (Seconds_Behind_Source) of SHOW REPLICA
//     STATUS; NULL (replication stopped) is unknown, which throttles.
//   load: a global status variable (SHOW GLOBAL STATUS), e.g. Threads_running.
#ifndef DCP_MYSQL_THROTTLE_PROBES_H_
#define DCP_MYSQL_THROTTLE_PROBES_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "mysql/dsn.h"
#include "util/throttle.h"

namespace dcp::mysql {

struct ThrottleConfig {
  std::optional<absl::Duration> max_lag;
  std::vector<Dsn> replicas;    // whose lag is read
  std::string heartbeat_table;  // "schema.table" with a `ts` column; empty: native lag
  std::vector<std::pair<std::string, double>> max_load;  // status variable, maximum
  std::vector<Dsn> load_servers;                         // where max_load is read
};

// "Threads_running=25" -> {"Threads_running", 25}. kInvalidArgument otherwise.
absl::StatusOr<std::pair<std::string, double>> ParseMaxLoad(absl::string_view text);

// One check per replica (lag) and per variable and server (load). kInvalidArgument when
// max_lag is set without replicas, or the heartbeat table is not schema.table.
absl::StatusOr<std::vector<ThrottleCheck>> BuildThrottleChecks(const ThrottleConfig& config);

}  // namespace dcp::mysql

#endif  // DCP_MYSQL_THROTTLE_PROBES_H_
