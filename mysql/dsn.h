// Dsn: where and how to connect to a MySQL-family server.
//
// Syntax: mysql://[user[:password]@]host[:port][/database][?key=value&...]
// user, password and database may be percent-encoded. Keys: socket (a Unix socket path used
// instead of TCP), connect-timeout, read-timeout, write-timeout (seconds), ssl-mode
// (disabled|preferred|required), ssl-ca, and the password kept off the DSN itself:
// password-env (the name of an environment variable holding it) or password-file (a file
// holding it; one trailing newline is dropped). Both are read by Parse(). IPv6 hosts go in
// brackets: mysql://u@[::1]:3306.
//
// A value type; thread-compatible. ToString() never shows the password.
#ifndef DCP_MYSQL_DSN_H_
#define DCP_MYSQL_DSN_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace dcp::mysql {

struct Dsn {
  std::string user;
  std::optional<std::string> password;
  std::string host = "127.0.0.1";
  uint16_t port = 3306;
  std::string database;
  std::string socket;  // non-empty: connect through this Unix socket
  int connect_timeout_s = 10;
  int read_timeout_s = 0;   // 0: the client library's default
  int write_timeout_s = 0;  // 0: the client library's default
  std::string ssl_mode = "preferred";
  std::string ssl_ca;
  // The password was written in the DSN text itself (user:password@), where a command line
  // shows it to every local user; not compared by ==.
  bool password_in_text = false;

  // Parses the syntax above; kInvalidArgument names what is wrong (never echoing a password).
  static absl::StatusOr<Dsn> Parse(absl::string_view text);

  // The DSN in the syntax above with the password replaced by "***": safe to log.
  std::string ToString() const;

  // "host:port" or the socket path: a short name for logs and metrics.
  std::string Address() const;

  friend bool operator==(const Dsn& a, const Dsn& b);
  friend bool operator!=(const Dsn& a, const Dsn& b) { return !(a == b); }
};

// The password held by environment variable `variable` / file `path` (one trailing newline
// dropped). kInvalidArgument when unset, unreadable or empty; never echoes the value.
absl::StatusOr<std::string> PasswordFromEnv(absl::string_view variable);
absl::StatusOr<std::string> PasswordFromFile(absl::string_view path);

}  // namespace dcp::mysql

#endif  // DCP_MYSQL_DSN_H_
