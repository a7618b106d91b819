// Passwords for the DSNs of a command line, kept off the command line (docs/security.md):
//
//   1. password-env=VAR or password-file=PATH in the DSN's query (read by Dsn::Parse);
//   2. else --defaults-file FILE: the [client] section of a my.cnf-style file (its password,
//      and its user when the DSN names none; host and port stay the DSN's);
//   3. else the MYSQL_PWD environment variable, as the mysql client reads it.
// A password written in the DSN itself (mysql://user:pw@host) still works, with a warning:
// every local user can read it in ps and /proc/PID/cmdline.
//
// Pure functions of their inputs, the environment and the files named; thread-compatible.
#ifndef DCP_MYSQL_CREDENTIALS_H_
#define DCP_MYSQL_CREDENTIALS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mysql/dsn.h"

namespace dcp::mysql {

// The [client] section of a my.cnf-style file. Unset keys are std::nullopt.
struct ClientDefaults {
  std::optional<std::string> user;
  std::optional<std::string> password;
};

// Parses my.cnf text: "[group]" headers, "key = value" / "key=value" lines (values may be
// in single or double quotes), '#' and ';' comments. Only [client] is read; keys may use '-'
// or '_'. Other keys are ignored. kInvalidArgument names `origin` and the line of a
// malformed line.
absl::StatusOr<ClientDefaults> ParseClientDefaults(absl::string_view text,
                                                   absl::string_view origin);
absl::StatusOr<ClientDefaults> ReadClientDefaults(const std::string& path);

// What a command line gives for its DSNs.
struct CredentialSources {
  std::optional<ClientDefaults> defaults;  // --defaults-file
  std::optional<std::string> mysql_pwd;    // $MYSQL_PWD
};

// The sources of this process: `defaults_file` (empty: none) and $MYSQL_PWD.
absl::StatusOr<CredentialSources> CredentialSourcesFromEnvironment(const std::string& defaults_file);

// The DSN of command-line flag `flag` (for messages) with its password from the first of the
// sources above. `warnings` receives the warning for a password written in the DSN.
absl::StatusOr<Dsn> CommandLineDsn(absl::string_view flag, absl::string_view text,
                                   const CredentialSources& sources,
                                   std::vector<std::string>* warnings);

}  // namespace dcp::mysql

#endif  // DCP_MYSQL_CREDENTIALS_H_
