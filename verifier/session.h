// The verifier's connections: every session the verifier opens reads with the same settings,
// whatever the server's defaults.
#ifndef DCP_VERIFIER_SESSION_H_
#define DCP_VERIFIER_SESSION_H_

#include "absl/status/statusor.h"
#include "mysql/connection.h"
#include "mysql/dsn.h"

namespace dcp::verifier {

// Connection::Open (utf8mb4, time_zone '+00:00'), then SET SESSION sql_mode = ''. No mode, so
// none of those that change what a read returns (PAD_CHAR_TO_FULL_LENGTH pads CHAR values,
// EMPTY_STRING_IS_NULL and ORACLE change expressions, ANSI_QUOTES and NO_BACKSLASH_ESCAPES the
// syntax): both servers print equal values alike, and a server's global sql_mode changes no
// result. The SQL the verifier writes uses hex literals (mysql/sql_literal.h), which read the
// same under any mode; --where is read under this one. Not thread-safe, like the Connection.
absl::StatusOr<mysql::Connection> OpenSession(const mysql::Dsn& dsn);

}  // namespace dcp::verifier

#endif  // DCP_VERIFIER_SESSION_H_
