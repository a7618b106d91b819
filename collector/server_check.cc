#include "collector/server_check.h"

#include <algorithm>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "util/status_macros.h"

namespace dcp::collector {
namespace {

// The global value of each named variable ("" when the server does not have it).
absl::StatusOr<std::map<std::string, std::string>> GlobalVariables(mysql::Connection& conn) {
  ASSIGN_OR_RETURN(mysql::ResultSet rs,
                   conn.Query("SHOW GLOBAL VARIABLES WHERE Variable_name IN ('log_bin',"
                              " 'binlog_format', 'binlog_row_image', 'server_id', 'version',"
                              " 'binlog_row_metadata', 'gtid_binlog_pos', 'gtid_executed')"));
  std::map<std::string, std::string> out;
  for (const mysql::Row& row : rs.rows) {
    if (row.size() >= 2 && row[0]) out[absl::AsciiStrToLower(*row[0])] = row[1].value_or("");
  }
  return out;
}

std::string Upper(const std::string& s) { return absl::AsciiStrToUpper(s); }

// Global privileges of the current user, from SHOW GRANTS (ON *.*), upper-cased.
absl::StatusOr<std::string> GlobalGrants(mysql::Connection& conn) {
  ASSIGN_OR_RETURN(mysql::ResultSet rs, conn.Query("SHOW GRANTS FOR CURRENT_USER()"));
  std::string out;
  for (const mysql::Row& row : rs.rows) {
    if (row.empty() || !row[0]) continue;
    const std::string g = Upper(*row[0]);
    if (absl::StrContains(g, " ON *.* ")) absl::StrAppend(&out, g, "\n");
  }
  return out;
}

}  // namespace

absl::StatusOr<std::string> GtidPositionAt(mysql::Connection& conn, const std::string& file,
                                           uint64_t position) {
  ASSIGN_OR_RETURN(std::optional<std::string> gtid,
                   conn.QueryValue(absl::StrCat("SELECT BINLOG_GTID_POS(", conn.Quote(file), ", ",
                                                position, ")")));
  return gtid.value_or("");
}

absl::StatusOr<ServerCheckResult> CheckServer(mysql::Connection& conn, uint32_t replica_server_id,
                                              const TagMatcher& tags, absl::Duration in_use_grace,
                                              Clock* clock) {
  ServerCheckResult result;
  ServerInfo& info = result.info;
  const std::string where = conn.dsn().Address();
  info.address = where;
  ASSIGN_OR_RETURN(auto vars, GlobalVariables(conn));
  info.version = vars["version"];
  info.mariadb = absl::StrContains(info.version, "MariaDB");
  absl::SimpleAtoi(vars["server_id"], &info.server_id);
  info.full_row_metadata = Upper(vars["binlog_row_metadata"]) == "FULL";
  info.gtid_position = info.mariadb ? vars["gtid_binlog_pos"] : vars["gtid_executed"];

  if (Upper(vars["log_bin"]) != "ON" && vars["log_bin"] != "1") {
    return absl::FailedPreconditionError(absl::StrCat(
        where, ": the binary log is off (log_bin=OFF); dcp reads row changes from it. Enable it "
               "with log_bin (e.g. log-bin=mysql-bin and a server_id under [mysqld]) and restart "
               "the server"));
  }
  if (Upper(vars["binlog_format"]) != "ROW") {
    return absl::FailedPreconditionError(absl::StrCat(
        where, ": binlog_format is ", vars["binlog_format"],
        "; dcp needs ROW. Run SET GLOBAL binlog_format = 'ROW' and put binlog_format=ROW in "
        "the server's configuration; sessions already open keep their format until they "
        "reconnect"));
  }
  if (Upper(vars["binlog_row_image"]) != "FULL") {
    return absl::FailedPreconditionError(absl::StrCat(
        where, ": binlog_row_image is ", vars["binlog_row_image"],
        "; dcp needs FULL to compare whole rows. Run SET GLOBAL binlog_row_image = 'FULL' and "
        "put binlog_row_image=FULL in the server's configuration"));
  }

  ASSIGN_OR_RETURN(std::string grants, GlobalGrants(conn));
  const bool all = absl::StrContains(grants, "GRANT ALL PRIVILEGES ON *.*");
  // The account as the server sees it, for the GRANT statements in messages.
  std::string user = "the collector's user";
  if (auto cu = conn.QueryValue("SELECT CURRENT_USER()"); cu.ok() && *cu) {
    const std::string& account = **cu;
    const size_t at = account.rfind('@');
    user = at == std::string::npos
               ? account
               : absl::StrCat("'", account.substr(0, at), "'@'", account.substr(at + 1), "'");
  }
  if (!all && !absl::StrContains(grants, "REPLICATION SLAVE")) {
    return absl::PermissionDeniedError(absl::StrCat(
        where, ": the user lacks REPLICATION SLAVE, needed to read the binlog: GRANT "
               "REPLICATION SLAVE ON *.* TO ",
        user));
  }
  // REPLICATION CLIENT (MySQL, MariaDB < 10.5) or BINLOG MONITOR (MariaDB >= 10.5) lets the
  // collector find the current end of the binlog; test it by using it.
  auto status = conn.Query("SHOW MASTER STATUS");
  if (!status.ok()) {
    if (absl::IsPermissionDenied(status.status())) {
      return absl::PermissionDeniedError(absl::StrCat(
          where, ": the user cannot run SHOW MASTER STATUS: GRANT ",
          info.mariadb ? "BINLOG MONITOR" : "REPLICATION CLIENT", " ON *.* TO ", user, " (",
          status.status().message(), ")"));
    }
    return status.status();
  }
  if (!status->rows.empty() && status->rows[0].size() >= 2) {
    info.binlog_file = status->rows[0][0].value_or("");
    absl::SimpleAtoi(status->rows[0][1].value_or("0"), &info.binlog_position);
    // The GTID position at exactly that point: MySQL prints it in the same row; MariaDB
    // computes it from the binlog.
    if (!info.mariadb) {
      if (auto col = status->ColumnIndex("Executed_Gtid_Set")) {
        info.gtid_position = status->rows[0][*col].value_or("");
      }
    } else {
      ASSIGN_OR_RETURN(info.gtid_position,
                       GtidPositionAt(conn, info.binlog_file, info.binlog_position));
    }
  }

  if (replica_server_id == info.server_id) {
    return absl::FailedPreconditionError(absl::StrCat(
        where, ": server-id ", replica_server_id,
        " is the server's own server_id; give the collector a server-id no server or replica "
        "uses"));
  }
  if (clock == nullptr) clock = Clock::Real();
  // The row of SHOW SLAVE HOSTS registered with our id, if any.
  auto registered = [replica_server_id](const mysql::ResultSet& hosts) -> const mysql::Row* {
    const auto id_col = hosts.ColumnIndex("Server_id");
    for (const mysql::Row& row : hosts.rows) {
      uint32_t id = 0;
      if (id_col && row[*id_col] && absl::SimpleAtoi(*row[*id_col], &id) &&
          id == replica_server_id) {
        return &row;
      }
    }
    return nullptr;
  };
  const absl::Time give_up = clock->Now() + in_use_grace;
  auto hosts = conn.Query("SHOW SLAVE HOSTS");
  // Perhaps our own previous process, not yet dropped by the server: look again for a while.
  while (hosts.ok() && registered(*hosts) != nullptr && clock->Now() < give_up) {
    clock->SleepFor(absl::Milliseconds(200));
    hosts = conn.Query("SHOW SLAVE HOSTS");
  }
  if (hosts.ok()) {
    if (const mysql::Row* row = registered(*hosts)) {
      const auto host_col = hosts->ColumnIndex("Host");
      const auto port_col = hosts->ColumnIndex("Port");
      return absl::FailedPreconditionError(absl::StrCat(
          where, ": server-id ", replica_server_id, " is already used by a connected replica",
          host_col && (*row)[*host_col] ? absl::StrCat(" (host ", *(*row)[*host_col]) : " (",
          port_col && (*row)[*port_col] ? absl::StrCat(", port ", *(*row)[*port_col], ")") : ")",
          "; two replicas with one id disconnect each other. Give the collector another "
          "server-id (if it is a dcp that just died, the server drops it within a heartbeat)"));
    }
  } else {
    result.warnings.push_back(absl::StrCat(
        where, ": could not check that server-id ", replica_server_id,
        " is unused by other replicas (SHOW SLAVE HOSTS: ", hosts.status().message(), ")"));
  }

  // Tagged tables: visible ones are listed; each must be readable.
  ASSIGN_OR_RETURN(mysql::ResultSet tables,
                   conn.Query("SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES"
                              " WHERE TABLE_TYPE = 'BASE TABLE' AND TABLE_SCHEMA NOT IN"
                              " ('mysql', 'information_schema', 'performance_schema', 'sys')"));
  std::vector<std::string> all_tables;
  for (const mysql::Row& row : tables.rows) {
    const std::string schema = row[0].value_or("");
    const std::string table = row[1].value_or("");
    all_tables.push_back(absl::StrCat(schema, ".", table));
    if (tags.Match(schema, table).empty()) continue;
    result.tables.push_back(all_tables.back());
    absl::Status readable = conn.Execute(absl::StrCat("SELECT 1 FROM ", mysql::QuoteIdentifier(schema),
                                                      ".", mysql::QuoteIdentifier(table),
                                                      " LIMIT 0"));
    if (absl::IsPermissionDenied(readable)) {
      return absl::PermissionDeniedError(absl::StrCat(
          where, ": the user lacks SELECT on tagged table ", schema, ".", table,
          " (needed to read its schema and key): GRANT SELECT ON ",
          mysql::QuoteIdentifier(schema), ".* TO ", user));
    }
    RETURN_IF_ERROR(readable);
  }
  std::sort(result.tables.begin(), result.tables.end());
  for (const std::string& glob : tags.UnmatchedGlobs(all_tables)) {
    result.warnings.push_back(absl::StrCat(
        where, ": tag ", glob, " matches no table (or the user cannot see it)"));
  }
  return result;
}

absl::StatusOr<ServerCheckResult> ConnectAndCheckServer(const mysql::Dsn& dsn,
                                                        uint32_t replica_server_id,
                                                        const TagMatcher& tags,
                                                        absl::Duration in_use_grace,
                                                        Clock* clock) {
  auto conn = mysql::Connection::Open(dsn);
  if (!conn.ok()) {
    if (absl::IsUnavailable(conn.status())) {
      return absl::UnavailableError(absl::StrCat(
          "cannot reach ", dsn.Address(), " (is the server running, and is the address right?): ",
          conn.status().message()));
    }
    return conn.status();
  }
  return CheckServer(*conn, replica_server_id, tags, in_use_grace, clock);
}

}  // namespace dcp::collector
