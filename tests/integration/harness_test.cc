// Proves the throwaway-server harness: a primary and a native replica start, a write on the
// primary is read back on the replica, the servers have the settings the tools rely on, and
// a test process killed with SIGKILL leaves nothing running once swept.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/harness/mariadb_server.h"

namespace dcp::testing {
namespace {

TEST(Harness, PrimaryWriteIsReadOnReplica) {
  auto pair = StartReplicatedPair(/*first_server_id=*/11);
  ASSERT_TRUE(pair.ok()) << pair.status();
  auto primary = pair->primary->Connect();
  ASSERT_TRUE(primary.ok()) << primary.status();
  ASSERT_TRUE(primary->Execute("CREATE DATABASE shop").ok());
  ASSERT_TRUE(primary
                  ->Execute("CREATE TABLE shop.orders (id INT PRIMARY KEY, item VARCHAR(20),"
                            " price DECIMAL(10,2))")
                  .ok());
  ASSERT_TRUE(primary
                  ->Execute("INSERT INTO shop.orders VALUES (1, 'apple', 1.50), (2, 'pear', NULL),"
                            " (3, 'fig\\'s', -0.25)")
                  .ok());
  ASSERT_TRUE(pair->replica->WaitForReplication(*pair->primary).ok());

  auto replica = pair->replica->Connect();
  ASSERT_TRUE(replica.ok()) << replica.status();
  auto rows = replica->Query("SELECT id, item, price FROM shop.orders ORDER BY id");
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->rows.size(), 3u);
  EXPECT_EQ(rows->rows[0], (mysql::Row{"1", "apple", "1.50"}));
  EXPECT_EQ(rows->rows[1], (mysql::Row{"2", "pear", std::nullopt}));
  EXPECT_EQ(rows->rows[2], (mysql::Row{"3", "fig's", "-0.25"}));
}

TEST(Harness, ServersHaveReplicationSettings) {
  MariaDbServer::Options options;
  options.server_id = 21;
  auto server = MariaDbServer::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();
  auto conn = (*server)->Connect();
  ASSERT_TRUE(conn.ok()) << conn.status();
  auto vars = conn->Query(
      "SELECT @@log_bin, @@binlog_format, @@binlog_row_image, @@log_slave_updates,"
      " @@server_id, @@bind_address, @@gtid_binlog_pos");
  ASSERT_TRUE(vars.ok()) << vars.status();
  EXPECT_EQ(vars->rows[0],
            (mysql::Row{"1", "ROW", "FULL", "1", "21", "127.0.0.1", ""}));
  EXPECT_TRUE(conn->IsMariaDb());
}

TEST(Harness, KilledTestProcessLeavesNothingAfterSweep) {
  // A private parent directory, so that the sweep of a test running in parallel does not
  // remove the dead process's directory before this test looks at it.
  std::string root = "/tmp/dcp-harness-kill-XXXXXX";
  ASSERT_NE(mkdtemp(root.data()), nullptr);
  const char* old_env = std::getenv("DCP_TEST_TMPDIR");
  const std::string saved = old_env != nullptr ? old_env : "";
  setenv("DCP_TEST_TMPDIR", root.c_str(), 1);
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(fds[0]);
    MariaDbServer::Options options;
    options.server_id = 31;
    auto server = MariaDbServer::Start(options);
    std::string msg = server.ok() ? absl::StrCat((*server)->pid(), " ", (*server)->dir())
                                  : std::string("error");
    (void)!write(fds[1], msg.data(), msg.size());
    close(fds[1]);
    raise(SIGKILL);  // no destructor runs
    _exit(1);
  }
  close(fds[1]);
  char buf[512] = {0};
  ssize_t n = read(fds[0], buf, sizeof(buf) - 1);
  close(fds[0]);
  waitpid(child, nullptr, 0);
  ASSERT_GT(n, 0);
  std::string msg(buf, n);
  ASSERT_NE(msg, "error");
  const pid_t server_pid = std::stoi(msg.substr(0, msg.find(' ')));
  const std::string dir = msg.substr(msg.find(' ') + 1);

  // The kernel kills the orphaned server (PR_SET_PDEATHSIG).
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (kill(server_pid, 0) == 0 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(50));
  EXPECT_NE(kill(server_pid, 0), 0) << "mariadbd " << server_pid << " outlived its test process";
  // Its directory is left for the sweeper, which removes it because the owner is dead.
  EXPECT_TRUE(std::filesystem::exists(dir));
  MariaDbServer::Sweep(/*all=*/false);
  EXPECT_FALSE(std::filesystem::exists(dir));
  if (old_env != nullptr) {
    setenv("DCP_TEST_TMPDIR", saved.c_str(), 1);
  } else {
    unsetenv("DCP_TEST_TMPDIR");
  }
  std::filesystem::remove_all(root);
}

}  // namespace
}  // namespace dcp::testing
