// Connection: an owned client connection to a MySQL-family server (MariaDB Connector/C).
//
// The only place in the project that owns a MYSQL*. Not thread-safe: use one Connection per
// thread, or guard it. Movable, not copyable; the destructor closes the connection.
//
// Errors: connection failures and a lost server are kUnavailable, access problems
// kPermissionDenied, unknown objects kNotFound, SQL syntax kInvalidArgument, other server
// errors kInternal/kFailedPrecondition; every message carries the server's errno and text.
#ifndef DCP_MYSQL_CONNECTION_H_
#define DCP_MYSQL_CONNECTION_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mysql/dsn.h"

struct st_mysql;  // MYSQL, from <mysql.h>

namespace dcp::mysql {

// One row of text-protocol results: std::nullopt is SQL NULL.
using Row = std::vector<std::optional<std::string>>;

struct ResultSet {
  std::vector<std::string> columns;
  std::vector<Row> rows;

  // The index of column `name`, or std::nullopt.
  std::optional<size_t> ColumnIndex(absl::string_view name) const;
};

// Maps a client/server errno and message to a Status with the conventional code.
absl::Status StatusFromMysqlError(unsigned int error_number, absl::string_view message,
                                  absl::string_view context);

class Connection {
 public:
  // Connects to `dsn`. The password comes from the DSN. The session uses utf8mb4 and UTC
  // (time_zone='+00:00') so that TIMESTAMP values read back are independent of the server's
  // zone.
  static absl::StatusOr<Connection> Open(const Dsn& dsn);

  Connection(Connection&& other) noexcept;
  Connection& operator=(Connection&& other) noexcept;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  // Runs a statement that returns no rows (or discards them).
  absl::Status Execute(absl::string_view sql);

  // Runs a statement and fetches all its rows as text.
  absl::StatusOr<ResultSet> Query(absl::string_view sql);

  // Convenience: the first column of the first row; kNotFound when there is no row;
  // std::nullopt when it is NULL.
  absl::StatusOr<std::optional<std::string>> QueryValue(absl::string_view sql);

  // Rows changed by the last Execute().
  uint64_t affected_rows() const { return affected_rows_; }

  // Quotes `value` as an SQL string literal ('...') for this connection's character set.
  std::string Quote(absl::string_view value) const;

  // The server's version string (SELECT VERSION()), e.g. "10.11.6-MariaDB-0+deb12u1-log".
  std::string ServerVersion() const;
  bool IsMariaDb() const;

  const Dsn& dsn() const { return dsn_; }

  // The underlying handle, for code in mysql/ that needs the raw client API (binlog
  // streaming). Owned by this Connection.
  st_mysql* raw() { return mysql_; }

 private:
  Connection(st_mysql* mysql, Dsn dsn) : mysql_(mysql), dsn_(std::move(dsn)) {}
  absl::Status LastError(absl::string_view context) const;

  st_mysql* mysql_ = nullptr;
  Dsn dsn_;
  uint64_t affected_rows_ = 0;
};

// Quotes an identifier with backticks, doubling embedded backticks.
std::string QuoteIdentifier(absl::string_view name);

}  // namespace dcp::mysql

#endif  // DCP_MYSQL_CONNECTION_H_
