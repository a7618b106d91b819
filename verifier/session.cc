#include "verifier/session.h"

#include "util/status_macros.h"

namespace dcp::verifier {

absl::StatusOr<mysql::Connection> OpenSession(const mysql::Dsn& dsn) {
  ASSIGN_OR_RETURN(mysql::Connection conn, mysql::Connection::Open(dsn));
  RETURN_IF_ERROR(conn.Execute("SET SESSION sql_mode = ''"));
  return conn;
}

}  // namespace dcp::verifier
