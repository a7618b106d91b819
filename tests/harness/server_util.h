// Helpers for tests that work with two independent throwaway servers (a source and a target
// that do not replicate) and with the project's command-line tools: starting the pair,
// running setup statements, listing a server's binlog files, running a built tool. Built on
// mariadb_server.h; header-only. Call from the test's main thread (see MariaDbServer).
#ifndef DCP_TESTS_HARNESS_SERVER_UTIL_H_
#define DCP_TESTS_HARNESS_SERVER_UTIL_H_

#include <sys/wait.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "mysql/connection.h"
#include "tests/harness/mariadb_server.h"

namespace dcp::testing {

// A source and a target server, independent of each other.
struct ServerPair {
  std::unique_ptr<MariaDbServer> source;
  std::unique_ptr<MariaDbServer> target;
};

// Starts the source with server id `first_server_id` and the target with the next id, both
// with `extra_args`.
inline absl::StatusOr<ServerPair> StartServerPair(uint32_t first_server_id,
                                                  std::vector<std::string> extra_args = {}) {
  MariaDbServer::Options o;
  o.extra_args = std::move(extra_args);
  ServerPair pair;
  o.server_id = first_server_id;
  absl::StatusOr<std::unique_ptr<MariaDbServer>> source = MariaDbServer::Start(o);
  if (!source.ok()) return source.status();
  pair.source = *std::move(source);
  o.server_id = first_server_id + 1;
  absl::StatusOr<std::unique_ptr<MariaDbServer>> target = MariaDbServer::Start(o);
  if (!target.ok()) return target.status();
  pair.target = *std::move(target);
  return pair;
}

// Runs `statements` in order on `conn`; the first error, naming its statement.
inline absl::Status ExecAll(mysql::Connection& conn, const std::vector<std::string>& statements) {
  for (const std::string& sql : statements) {
    const absl::Status s = conn.Execute(sql);
    if (!s.ok()) return absl::Status(s.code(), absl::StrCat(s.message(), "\nin: ", sql));
  }
  return absl::OkStatus();
}

// ExecAll on a new connection to each server of `pair`: the same statements on both sides.
inline absl::Status ExecOnBoth(const ServerPair& pair, const std::vector<std::string>& statements) {
  for (const MariaDbServer* server : {pair.source.get(), pair.target.get()}) {
    absl::StatusOr<mysql::Connection> conn = server->Connect();
    if (!conn.ok()) return conn.status();
    const absl::Status s = ExecAll(*conn, statements);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

// Every file of `server`'s binlog index, in order (full paths).
inline absl::StatusOr<std::vector<std::string>> ListBinlogFiles(const MariaDbServer& server,
                                                                mysql::Connection& conn) {
  absl::StatusOr<mysql::ResultSet> rs = conn.Query("SHOW BINARY LOGS");
  if (!rs.ok()) return rs.status();
  std::vector<std::string> files;
  for (const auto& row : rs->rows) files.push_back(absl::StrCat(server.dir(), "/data/", *row[0]));
  return files;
}

// The path of a tool the build put in bin/ ($DCP_BUILD_DIR, which ctest sets, else ".").
inline std::string ToolPath(const std::string& name) {
  const char* build = std::getenv("DCP_BUILD_DIR");
  return absl::StrCat(build != nullptr ? build : ".", "/bin/", name);
}

// Runs `command` with /bin/sh; its exit code, or -1 when it did not exit normally.
inline int ShellExitCode(const std::string& command) {
  const int rc = std::system(command.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

// The test user's DSN as the tools take it on their command line.
inline std::string DsnUrl(const MariaDbServer& server) {
  return absl::StrCat("mysql://dcp:dcp@127.0.0.1:", server.port());
}

// The `mariadb` client's command line for the test user on `server` (append -e or < file).
inline std::string ClientCommand(const MariaDbServer& server) {
  return absl::StrCat("mariadb --no-defaults -h127.0.0.1 -P", server.port(), " -udcp -pdcp");
}

}  // namespace dcp::testing

#endif  // DCP_TESTS_HARNESS_SERVER_UTIL_H_
