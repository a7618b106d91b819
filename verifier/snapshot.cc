#include "verifier/snapshot.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "util/status_macros.h"

namespace dcp::verifier {
namespace {

absl::Status OpenSnapshot(mysql::Connection& c) {
  RETURN_IF_ERROR(c.Execute("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ"));
  return c.Execute("START TRANSACTION WITH CONSISTENT SNAPSHOT");
}

absl::StatusOr<bool> SqlThreadRunning(mysql::Connection& replica) {
  ASSIGN_OR_RETURN(mysql::ResultSet rs, replica.Query("SHOW SLAVE STATUS"));
  if (rs.rows.empty()) {
    return absl::FailedPreconditionError(
        "--snapshot: the target is not a replica (SHOW SLAVE STATUS is empty)");
  }
  std::optional<size_t> col = rs.ColumnIndex("Slave_SQL_Running");
  if (!col) return absl::InternalError("SHOW SLAVE STATUS has no Slave_SQL_Running");
  return rs.rows[0][*col].value_or("") == "Yes";
}

// A GTID position as a quoted literal (START SLAVE UNTIL takes no other form of string): its
// characters are checked to be digits, '-' and ',' only, which read the same under every
// sql_mode.
absl::StatusOr<std::string> GtidLiteral(absl::string_view gtid) {
  if (gtid.find_first_not_of("0123456789-,") != absl::string_view::npos) {
    return absl::InternalError(absl::StrCat("--snapshot: unexpected GTID position '", gtid, "'"));
  }
  return absl::StrCat("'", gtid, "'");
}

}  // namespace

absl::StatusOr<std::string> OpenReplicaSnapshot(mysql::Connection& primary,
                                                mysql::Connection& replica,
                                                const std::vector<mysql::Connection*>& sources,
                                                const std::vector<mysql::Connection*>& targets,
                                                absl::Duration timeout) {
  // Fail before touching replication if the target is not a replica.
  RETURN_IF_ERROR(SqlThreadRunning(replica).status());
  // Stopped first, the replica cannot run past the position read below.
  RETURN_IF_ERROR(replica.Execute("STOP SLAVE"));
  auto restart = [&replica](absl::Status s) {
    absl::Status r = replica.Execute("START SLAVE");
    return s.ok() ? r : s;
  };

  if (absl::Status lock = primary.Execute("FLUSH TABLES WITH READ LOCK"); !lock.ok()) {
    return restart(lock);
  }
  absl::StatusOr<std::optional<std::string>> pos = primary.QueryValue("SELECT @@gtid_binlog_pos");
  absl::Status st = pos.status();
  for (size_t i = 0; st.ok() && i < sources.size(); ++i) st = OpenSnapshot(*sources[i]);
  absl::Status unlock = primary.Execute("UNLOCK TABLES");
  if (!st.ok()) return restart(st);
  if (!unlock.ok()) return restart(unlock);
  const std::string gtid = pos->value_or("");
  const absl::StatusOr<std::string> literal = GtidLiteral(gtid);
  if (!literal.ok()) return restart(literal.status());

  if (!gtid.empty()) {
    absl::Status until =
        replica.Execute(absl::StrCat("START SLAVE UNTIL master_gtid_pos = ", *literal));
    if (!until.ok()) return restart(until);
  }
  auto waited = replica.QueryValue(
      absl::StrCat("SELECT MASTER_GTID_WAIT(", *literal, ", ", absl::ToInt64Seconds(timeout), ")"));
  if (!waited.ok()) return restart(waited.status());
  if (waited->value_or("-1") != "0") {
    return restart(
        absl::DeadlineExceededError(absl::StrCat("--snapshot: the replica did not reach ", gtid,
                                                 " within ", absl::FormatDuration(timeout))));
  }
  // UNTIL stops the SQL thread right after P; wait for it so nothing past P is applied.
  const absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    absl::StatusOr<bool> running = SqlThreadRunning(replica);
    if (!running.ok()) return restart(running.status());
    if (!*running) break;
    if (absl::Now() > deadline) {
      return restart(absl::DeadlineExceededError("--snapshot: the SQL thread did not stop"));
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  absl::Status open = absl::OkStatus();
  for (size_t i = 0; open.ok() && i < targets.size(); ++i) open = OpenSnapshot(*targets[i]);
  RETURN_IF_ERROR(restart(open));
  return gtid;
}

}  // namespace dcp::verifier
