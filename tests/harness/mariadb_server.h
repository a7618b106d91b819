// Throwaway MariaDB servers for tests.
//
// MariaDbServer::Start() creates a temp directory (under $DCP_TEST_TMPDIR or /tmp, named
// dcp-mariadb-XXXXXX), initialises a datadir there (mariadb-install-db, once per build into a
// cached template that is then copied), and starts `mariadbd` on a free loopback port with
// the binary log on, binlog_format=ROW, binlog_row_image=FULL, log_slave_updates=ON and the
// given server id. It waits until the server accepts connections and creates the test users:
//   dcp/dcp  (ALL PRIVILEGES WITH GRANT OPTION), from 127.0.0.1 and localhost
//   repl/repl (REPLICATION SLAVE), for replicas
// with sql_log_bin=0, so the binlog starts empty and a replica can start from nothing.
//
// Cleanup: the destructor stops the server and removes its directory. A server started by a
// test process is killed by the kernel when that process dies, even by SIGKILL
// (PR_SET_PDEATHSIG), and directories whose owner died are swept by the next Start() and by
// `dcp-testdb sweep`. Detached servers (Options::detached, for ctest fixtures) outlive the
// process that started them and are stopped by StopDetached()/`dcp-testdb stop`.
//
// Not thread-safe; start servers from the test's main thread (PDEATHSIG is tied to the
// thread that forks).
#ifndef DCP_TESTS_HARNESS_MARIADB_SERVER_H_
#define DCP_TESTS_HARNESS_MARIADB_SERVER_H_

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "mysql/connection.h"
#include "mysql/dsn.h"

namespace dcp::testing {

class MariaDbServer {
 public:
  struct Options {
    uint32_t server_id = 1;
    // Extra mariadbd arguments, e.g. "--binlog-row-metadata=FULL".
    std::vector<std::string> extra_args;
    // Survives the starting process (for ctest fixtures); see the file comment.
    bool detached = false;
    absl::Duration startup_timeout = absl::Seconds(90);
  };

  static absl::StatusOr<std::unique_ptr<MariaDbServer>> Start(const Options& options);

  MariaDbServer(const MariaDbServer&) = delete;
  MariaDbServer& operator=(const MariaDbServer&) = delete;
  // Stops the server (unless Release()d) and removes its directory.
  ~MariaDbServer();

  uint16_t port() const { return port_; }
  uint32_t server_id() const { return server_id_; }
  pid_t pid() const { return pid_; }
  const std::string& dir() const { return dir_; }
  const std::string& socket_path() const { return socket_; }

  // The test user (dcp/dcp) over TCP on 127.0.0.1.
  mysql::Dsn Dsn() const;
  // root over the Unix socket.
  mysql::Dsn RootDsn() const;
  // Connects as the test user.
  absl::StatusOr<mysql::Connection> Connect() const;

  // Makes this server a native GTID replica of `primary` (MASTER_USE_GTID=slave_pos) and
  // waits until its IO and SQL threads run.
  absl::Status ReplicateFrom(const MariaDbServer& primary);
  // Waits until this replica has applied everything `primary` has binlogged so far.
  absl::Status WaitForReplication(const MariaDbServer& primary,
                                  absl::Duration timeout = absl::Seconds(60));

  // Stops the server: SIGTERM, then SIGKILL after `grace`. Idempotent.
  absl::Status Stop(absl::Duration grace = absl::Seconds(30));

  // Kills the server with SIGKILL (for crash tests); Restart() brings it back on the same
  // port and datadir.
  absl::Status Kill();
  absl::Status Restart();

  // Gives up ownership: the destructor will neither stop the server nor remove its
  // directory (used by `dcp-testdb start`).
  void Release() { released_ = true; }

  // Stops a detached server whose directory is `dir` and removes the directory.
  static absl::Status StopDetached(const std::string& dir);

  // Kills servers and removes directories left by dead test processes. With `all`, also
  // detached ones. Returns how many directories were removed.
  static int Sweep(bool all);

 private:
  MariaDbServer() = default;
  absl::Status Launch(absl::Duration timeout);
  std::vector<std::string> ServerArgs() const;

  Options options_;
  std::string dir_;
  std::string socket_;
  uint16_t port_ = 0;
  uint32_t server_id_ = 0;
  pid_t pid_ = -1;
  bool released_ = false;
};

// A primary and a native replica of it.
struct ReplicatedPair {
  std::unique_ptr<MariaDbServer> primary;
  std::unique_ptr<MariaDbServer> replica;
};

// Starts a primary (server id `first_server_id`) and a replica (`first_server_id + 1`)
// replicating from it.
absl::StatusOr<ReplicatedPair> StartReplicatedPair(uint32_t first_server_id = 1,
                                                   std::vector<std::string> extra_args = {});

}  // namespace dcp::testing

#endif  // DCP_TESTS_HARNESS_MARIADB_SERVER_H_
