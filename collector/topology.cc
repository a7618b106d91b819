#include "collector/topology.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "mysql/gtid.h"
#include "util/status_macros.h"

namespace dcp::collector {
namespace {

// MariaDB loss listings longer than this are cut (Choice::lost_complete).
constexpr uint64_t kMaxListedLost = 10'000;

bool Flag(const std::optional<std::string>& v) { return v && *v != "0" && *v != "OFF"; }

// Whether `probe` holds `position` (see the header). kFailedPrecondition for a MySQL server
// that purged part of what follows the position.
absl::StatusOr<bool> Holds(const ServerProbe& probe, const TopologyPosition& position) {
  if (probe.mariadb) {
    ASSIGN_OR_RETURN(mysql::MariaGtidState state, mysql::MariaGtidState::Parse(probe.gtid_state));
    ASSIGN_OR_RETURN(mysql::MariaGtidPosition pos, mysql::MariaGtidPosition::Parse(position.gtid));
    return state.Contains(pos);
  }
  ASSIGN_OR_RETURN(mysql::GtidSet executed, mysql::GtidSet::Parse(probe.gtid_state));
  ASSIGN_OR_RETURN(mysql::GtidSet purged, mysql::GtidSet::Parse(probe.gtid_purged));
  ASSIGN_OR_RETURN(mysql::GtidSet pos, mysql::GtidSet::Parse(position.gtid));
  if (!executed.Contains(pos)) return false;
  if (!pos.Contains(purged)) {
    return absl::FailedPreconditionError(
        absl::StrCat("the server purged transactions the collector has not read yet (",
                     purged.Subtract(pos).ToString(), ")"));
  }
  return true;
}

// MariaDB: the part of `position` that `state` holds, and the lost GTIDs per domain.
absl::StatusOr<Choice> MariaLoss(const ServerProbe& probe, const TopologyPosition& position) {
  ASSIGN_OR_RETURN(mysql::MariaGtidState state, mysql::MariaGtidState::Parse(probe.gtid_state));
  ASSIGN_OR_RETURN(mysql::MariaGtidPosition pos, mysql::MariaGtidPosition::Parse(position.gtid));
  Choice c;
  mysql::MariaGtidPosition resume;
  uint64_t listed = 0;
  for (const auto& [domain, g] : pos.by_domain()) {
    if (state.Contains(g)) {
      resume.Update(g);
      continue;
    }
    std::optional<mysql::MariaGtid> held = state.Get(domain, g.server_id);
    if (!held) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the writable server has no transaction of server ", g.server_id, " in domain ",
          domain, " (position ", position.gtid, ", its binlog state ", probe.gtid_state,
          "): it is not a server of this replication topology"));
    }
    resume.Update(*held);
    for (uint64_t n = held->sequence + 1; n <= g.sequence; ++n) {
      if (listed++ == kMaxListedLost) {
        c.lost_complete = false;
        break;
      }
      c.lost.push_back(absl::StrCat(domain, "-", g.server_id, "-", n));
    }
  }
  c.gtid = resume.ToString();
  return c;
}

absl::StatusOr<Choice> MysqlLoss(const ServerProbe& probe, const TopologyPosition& position) {
  ASSIGN_OR_RETURN(mysql::GtidSet executed, mysql::GtidSet::Parse(probe.gtid_state));
  ASSIGN_OR_RETURN(mysql::GtidSet pos, mysql::GtidSet::Parse(position.gtid));
  Choice c;
  const mysql::GtidSet common = pos.Intersect(executed);
  if (common.empty() && !pos.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("the writable server has none of the position's transactions (",
                     position.gtid, "): it is not a server of this replication topology"));
  }
  c.gtid = common.ToString();
  c.lost.push_back(pos.Subtract(executed).ToString());
  return c;
}

std::string Describe(size_t i, const ServerProbe& p) {
  return absl::StrCat("candidate ", i + 1, " (server id ", p.server_id, ")");
}

}  // namespace

ServerProbe ProbeConnection(mysql::Connection& conn) {
  ServerProbe p;
  auto version = conn.QueryValue("SELECT @@version");
  if (!version.ok()) {
    p.error = version.status();
    return p;
  }
  p.mariadb = version->has_value() && absl::StrContains(**version, "MariaDB");
  const std::string sql =
      p.mariadb ? "SELECT @@server_id, @@read_only, 0, @@gtid_binlog_state, '', ''"
                : "SELECT @@server_id, @@read_only, @@super_read_only, @@gtid_executed, "
                  "@@gtid_purged, @@server_uuid";
  auto rows = conn.Query(sql);
  if (!rows.ok()) {
    p.error = rows.status();
    return p;
  }
  if (rows->rows.empty() || rows->rows[0].size() < 6) {
    p.error = absl::DataLossError("the server's variables query returned no row");
    return p;
  }
  const mysql::Row& r = rows->rows[0];
  absl::SimpleAtoi(r[0].value_or("0"), &p.server_id);
  p.read_only = Flag(r[1]) || Flag(r[2]);
  p.gtid_state = r[3].value_or("");
  p.gtid_purged = r[4].value_or("");
  p.uuid = r[5].value_or("");
  return p;
}

ServerProbe ProbeServer(const mysql::Dsn& dsn) {
  absl::StatusOr<mysql::Connection> conn = mysql::Connection::Open(dsn);
  if (!conn.ok()) {
    ServerProbe p;
    p.error = conn.status();
    return p;
  }
  ServerProbe p = ProbeConnection(*conn);
  if (!p.error.ok()) {
    p.error = absl::Status(p.error.code(), absl::StrCat(dsn.Address(), ": ", p.error.message()));
  }
  return p;
}

absl::StatusOr<Choice> ChooseServer(const TopologyPosition& position,
                                    const std::vector<ServerProbe>& candidates,
                                    const ChooseOptions& options) {
  std::vector<size_t> writable, holding;
  std::vector<std::string> reasons;
  std::optional<absl::Status> purged;
  for (size_t i = 0; i < candidates.size(); ++i) {
    const ServerProbe& p = candidates[i];
    if (!p.error.ok()) {
      reasons.push_back(absl::StrCat("candidate ", i + 1, ": ", p.error.message()));
      continue;
    }
    if (!p.read_only) writable.push_back(i);
    if (position.gtid.empty()) {
      // Without a GTID position only the server the position was read on can resume it.
      if (p.server_id == position.server_id) holding.push_back(i);
      continue;
    }
    absl::StatusOr<bool> holds = Holds(p, position);
    if (!holds.ok()) {
      if (absl::IsFailedPrecondition(holds.status())) {
        purged = absl::FailedPreconditionError(
            absl::StrCat(Describe(i, p), ": ", holds.status().message()));
        continue;
      }
      return holds.status();
    }
    if (*holds) holding.push_back(i);
  }
  if (writable.size() > 1 && options.role == CollectorRole::kSource) {
    std::vector<std::string> names;
    for (size_t i : writable) names.push_back(Describe(i, candidates[i]));
    return absl::UnavailableError(
        absl::StrCat("split brain: ", absl::StrJoin(names, " and "), " are both writable"));
  }
  auto pick = [&](size_t i) {
    Choice c;
    c.index = i;
    c.gtid = position.gtid;
    return c;
  };
  if (options.role == CollectorRole::kSource) {
    for (size_t i : holding) {
      if (!candidates[i].read_only) return pick(i);
    }
  }
  for (size_t i : holding) {
    if (candidates[i].server_id == position.server_id) return pick(i);
  }
  if (!holding.empty()) return pick(holding.front());
  if (purged) return *purged;
  if (position.gtid.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the position was read on server id ", position.server_id,
        " and has no GTID, so it cannot be resumed on another server",
        reasons.empty() ? "" : absl::StrCat(" (", absl::StrJoin(reasons, "; "), ")")));
  }
  if (options.role == CollectorRole::kSource && writable.size() == 1) {
    const size_t w = writable.front();
    if (!options.loss_confirmed) {
      return absl::UnavailableError(absl::StrCat(
          "loss suspected: the writable ", Describe(w, candidates[w]),
          " does not hold position ", position.gtid, " (it has ", candidates[w].gtid_state, ")"));
    }
    ASSIGN_OR_RETURN(Choice c, candidates[w].mariadb ? MariaLoss(candidates[w], position)
                                                    : MysqlLoss(candidates[w], position));
    c.index = w;
    return c;
  }
  reasons.push_back(absl::StrCat("no candidate holds position ", position.gtid,
                                 options.role == CollectorRole::kSource
                                     ? " and none is writable"
                                     : "; waiting for a replica to catch up"));
  return absl::UnavailableError(absl::StrJoin(reasons, "; "));
}

bool ServerHolds(const ServerProbe& probe, const std::string& gtid) {
  if (probe.mariadb) {
    auto state = mysql::MariaGtidState::Parse(probe.gtid_state);
    auto g = mysql::MariaGtid::Parse(gtid);
    return state.ok() && g.ok() && state->Contains(*g);
  }
  auto executed = mysql::GtidSet::Parse(probe.gtid_state);
  auto g = mysql::Gtid::Parse(gtid);
  return executed.ok() && g.ok() && executed->Contains(*g);
}

}  // namespace dcp::collector
