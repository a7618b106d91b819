// Startup validation of a collector's source server, one real MariaDB per case.
#include "collector/server_check.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mysql/binlog/stream_reader.h"
#include "tests/harness/mariadb_server.h"

namespace dcp::collector {
namespace {

using ::testing::HasSubstr;
using testing::MariaDbServer;

TagMatcher ShopTags() {
  TagRule rule;
  rule.name = "src";
  rule.tables = {"shop.*", "nowhere.*"};
  return TagMatcher({rule});
}

std::unique_ptr<MariaDbServer> StartServer(uint32_t id, std::vector<std::string> args = {}) {
  MariaDbServer::Options options;
  options.server_id = id;
  options.extra_args = std::move(args);
  auto server = MariaDbServer::Start(options);
  EXPECT_TRUE(server.ok()) << server.status();
  if (!server.ok()) return nullptr;
  auto conn = (*server)->Connect();
  EXPECT_TRUE(conn.ok());
  for (const char* sql : {"CREATE DATABASE shop", "CREATE TABLE shop.orders (id INT PRIMARY KEY)",
                          "CREATE TABLE shop.items (id INT PRIMARY KEY)"}) {
    EXPECT_TRUE(conn->Execute(sql).ok()) << sql;
  }
  return std::move(*server);
}

TEST(ServerCheck, GoodServerPassesWithWarningsForEmptyGlobs) {
  auto server = StartServer(41);
  ASSERT_NE(server, nullptr);
  auto result = ConnectAndCheckServer(server->Dsn(), 1041, ShopTags());
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->info.mariadb);
  EXPECT_EQ(result->info.server_id, 41u);
  EXPECT_EQ(result->info.binlog_file, "mysql-bin.000001");
  EXPECT_GT(result->info.binlog_position, 0u);
  EXPECT_EQ(result->tables, (std::vector<std::string>{"shop.items", "shop.orders"}));
  EXPECT_THAT(result->warnings, ::testing::Contains(HasSubstr("tag src: nowhere.* matches no table")));
}

TEST(ServerCheck, SettingsErrorsNameTheFix) {
  auto server = StartServer(42);
  ASSERT_NE(server, nullptr);
  auto root = mysql::Connection::Open(server->RootDsn());
  ASSERT_TRUE(root.ok());

  ASSERT_TRUE(root->Execute("SET GLOBAL binlog_format = 'STATEMENT'").ok());
  auto r = ConnectAndCheckServer(server->Dsn(), 1042, ShopTags());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(r.status().message(), HasSubstr("binlog_format is STATEMENT; dcp needs ROW. Run "
                                              "SET GLOBAL binlog_format = 'ROW'"));
  ASSERT_TRUE(root->Execute("SET GLOBAL binlog_format = 'ROW'").ok());

  ASSERT_TRUE(root->Execute("SET GLOBAL binlog_row_image = 'MINIMAL'").ok());
  r = ConnectAndCheckServer(server->Dsn(), 1042, ShopTags());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(r.status().message(), HasSubstr("binlog_row_image is MINIMAL"));
  EXPECT_THAT(r.status().message(), HasSubstr("SET GLOBAL binlog_row_image = 'FULL'"));
  ASSERT_TRUE(root->Execute("SET GLOBAL binlog_row_image = 'FULL'").ok());

  r = ConnectAndCheckServer(server->Dsn(), 42, ShopTags());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(r.status().message(), HasSubstr("server-id 42 is the server's own server_id"));

  EXPECT_TRUE(ConnectAndCheckServer(server->Dsn(), 1042, ShopTags()).ok());
}

TEST(ServerCheck, BinaryLogOff) {
  auto server = StartServer(43, {"--skip-log-bin"});
  ASSERT_NE(server, nullptr);
  auto r = ConnectAndCheckServer(server->Dsn(), 1043, ShopTags());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(r.status().message(), HasSubstr("the binary log is off"));
}

TEST(ServerCheck, MissingPrivileges) {
  auto server = StartServer(44);
  ASSERT_NE(server, nullptr);
  auto root = mysql::Connection::Open(server->RootDsn());
  ASSERT_TRUE(root.ok());
  for (const char* sql : {
           "CREATE USER 'weak'@'127.0.0.1' IDENTIFIED BY 'w'",
           "GRANT SELECT ON shop.* TO 'weak'@'127.0.0.1'",
       }) {
    ASSERT_TRUE(root->Execute(sql).ok()) << sql;
  }
  mysql::Dsn dsn = server->Dsn();
  dsn.user = "weak";
  dsn.password = "w";
  auto r = ConnectAndCheckServer(dsn, 1044, ShopTags());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(r.status().message(),
              HasSubstr("lacks REPLICATION SLAVE, needed to read the binlog: GRANT REPLICATION "
                        "SLAVE ON *.* TO 'weak'@'127.0.0.1'"));

  ASSERT_TRUE(root->Execute("GRANT REPLICATION SLAVE ON *.* TO 'weak'@'127.0.0.1'").ok());
  r = ConnectAndCheckServer(dsn, 1044, ShopTags());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(r.status().message(), HasSubstr("cannot run SHOW MASTER STATUS: GRANT BINLOG MONITOR"));

  // Visible (INSERT) but not readable (no SELECT) tagged table.
  ASSERT_TRUE(root->Execute("GRANT BINLOG MONITOR ON *.* TO 'weak'@'127.0.0.1'").ok());
  ASSERT_TRUE(root->Execute("REVOKE SELECT ON shop.* FROM 'weak'@'127.0.0.1'").ok());
  ASSERT_TRUE(root->Execute("GRANT SELECT ON shop.items TO 'weak'@'127.0.0.1'").ok());
  ASSERT_TRUE(root->Execute("GRANT INSERT ON shop.orders TO 'weak'@'127.0.0.1'").ok());
  r = ConnectAndCheckServer(dsn, 1044, ShopTags());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(r.status().message(), HasSubstr("lacks SELECT on tagged table shop.orders"));

  ASSERT_TRUE(root->Execute("GRANT SELECT ON shop.orders TO 'weak'@'127.0.0.1'").ok());
  auto ok = ConnectAndCheckServer(dsn, 1044, ShopTags());
  ASSERT_TRUE(ok.ok()) << ok.status();
  // Without REPLICATION MASTER ADMIN the replica list cannot be read: a warning, not an error.
  EXPECT_THAT(ok->warnings, ::testing::Contains(HasSubstr("could not check that server-id 1044")));
}

TEST(ServerCheck, ServerIdOfAConnectedReplica) {
  auto pair = testing::StartReplicatedPair(/*first_server_id=*/45);
  ASSERT_TRUE(pair.ok()) << pair.status();
  auto r = ConnectAndCheckServer(pair->primary->Dsn(), 46, ShopTags());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(r.status().message(), HasSubstr("server-id 46 is already used by a connected replica"));
}

// A collector restarted right after it stopped finds its own old registration: the check
// waits for the server to drop it instead of refusing to start.
TEST(ServerCheck, OwnRegistrationOfAStoppedCollectorIsWaitedOut) {
  testing::MariaDbServer::Options options;
  options.server_id = 47;
  auto server = testing::MariaDbServer::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();
  {
    mysql::binlog::StreamReader::Options o;
    o.dsn = (*server)->Dsn();
    o.server_id = 1048;
    o.stop_never = true;
    o.heartbeat = absl::Seconds(1);
    auto stream = mysql::binlog::StreamReader::Open(o);
    ASSERT_TRUE(stream.ok()) << stream.status();
    auto event = (*stream)->Next();  // registered and streaming
    ASSERT_TRUE(event.ok()) << event.status();
    auto taken = ConnectAndCheckServer((*server)->Dsn(), 1048, ShopTags(), absl::ZeroDuration());
    EXPECT_EQ(taken.status().code(), absl::StatusCode::kFailedPrecondition) << taken.status();
  }  // the stream's connection is closed here
  auto r = ConnectAndCheckServer((*server)->Dsn(), 1048, ShopTags());
  EXPECT_TRUE(r.ok()) << r.status();
}

TEST(ServerCheck, UnreachableServer) {
  mysql::Dsn dsn;
  dsn.user = "dcp";
  dsn.password = "secret-password";
  dsn.port = 1;  // nothing listens on port 1
  auto r = ConnectAndCheckServer(dsn, 1046, ShopTags());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(r.status().message(), HasSubstr("cannot reach 127.0.0.1:1"));
  EXPECT_THAT(r.status().message(), ::testing::Not(HasSubstr("secret-password")));
}

}  // namespace
}  // namespace dcp::collector
