// `dcp collect` (the library behind it) against a real MariaDB and a loopback gRPC collector
// (the checker side): the messages arriving there equal those an in-process MysqlCollector
// produces from the same binlog (ids, keys, contents, checksums, barriers, order), including
// rows written while it runs.
#include "collector/collect.h"

#include <atomic>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "collector/grpc_collector.h"
#include "collector/mysql_collector.h"
#include "daemon/config.h"
#include "gtest/gtest.h"
#include "tests/harness/mariadb_server.h"

namespace dcp::collector {
namespace {

std::string Render(const Message& m) {
  std::string s = absl::StrCat(m.tag(), "|", m.id(), "|ts=", m.timestamp(), "|");
  if (m.has_barrier()) {
    absl::StrAppend(&s, "B:", m.barrier());
  } else {
    absl::StrAppend(&s, m.payload().id(), "|", m.payload().content(), "|", m.checksum());
  }
  return s;
}

class CollectMariaDbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::MariaDbServer::Options options;
    options.server_id = 74;
    auto server = testing::MariaDbServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    auto conn = server_->Connect();
    ASSERT_TRUE(conn.ok());
    conn_ = std::make_unique<mysql::Connection>(std::move(*conn));
  }

  void Exec(const std::string& sql) { ASSERT_TRUE(conn_->Execute(sql).ok()) << sql; }

  absl::StatusOr<daemon::Config> Config(uint16_t mysql_port, int grpc_port) {
    const std::string path = server_->dir() + "/collect.toml";
    std::ofstream(path) << "[[collector]]\nname = \"src\"\ntype = \"mysql\"\n"
                        << "dsn = \"mysql://dcp:dcp@127.0.0.1:" << mysql_port << "\"\n"
                        << "server-id = 901\nstart-position = \"mysql-bin.000001:4\"\n"
                        << "  [[collector.tag]]\n  name = \"src\"\n  tables = [\"shop.*\"]\n"
                        << "[state]\ndir = \"" << server_->dir() << "/state\"\n"
                        << "[collect]\ntarget = \"127.0.0.1:" << grpc_port << "\"\n";
    return daemon::LoadConfig(path);
  }

  std::unique_ptr<testing::MariaDbServer> server_;
  std::unique_ptr<mysql::Connection> conn_;
};

TEST_F(CollectMariaDbTest, RemoteCollectorGetsTheInProcessMessages) {
  for (const char* sql : {
           "CREATE DATABASE drc",
           "CREATE TABLE drc.barrier (id INT UNSIGNED NOT NULL AUTO_INCREMENT, `offset` BIGINT "
           "UNSIGNED NOT NULL DEFAULT 0, ts TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON "
           "UPDATE CURRENT_TIMESTAMP, PRIMARY KEY (id))",
           "SET SESSION sql_log_bin = 0",
           "INSERT INTO drc.barrier (id, `offset`) VALUES (1, 0), (2, 0)",
           "SET SESSION sql_log_bin = 1",
           "CREATE DATABASE shop",
           "CREATE TABLE shop.orders (id INT PRIMARY KEY, item VARCHAR(20), price DECIMAL(8,2))",
       }) {
    Exec(sql);
  }
  Exec("INSERT INTO shop.orders VALUES (100, 'early', 1)");  // before any barrier: dropped
  Exec("UPDATE drc.barrier SET `offset` = `offset` + 1 WHERE id = 1");
  Exec("INSERT INTO shop.orders VALUES (1, 'apple', 2.50), (2, 'pear', NULL)");

  BoundedMessageQueue remote(100000);
  GrpcCollectorOptions server_options;
  server_options.tags = {"src"};
  auto grpc = GrpcCollector::Start(server_options, &remote);
  ASSERT_TRUE(grpc.ok()) << grpc.status();
  auto config = Config(server_->port(), (*grpc)->port());
  ASSERT_TRUE(config.ok()) << config.status();

  std::atomic<bool> stop{false};
  absl::Status collect_status;
  std::thread collect([&] { collect_status = RunCollect(*config, [&] { return stop.load(); }); });

  // Written while it runs.
  Exec("UPDATE drc.barrier SET `offset` = `offset` + 1 WHERE id = 2");  // another checker's
  Exec("BEGIN");
  Exec("UPDATE shop.orders SET price = 3 WHERE id = 1");
  Exec("DELETE FROM shop.orders WHERE id = 2");
  Exec("COMMIT");
  for (int i = 10; i < 60; ++i) Exec(absl::StrCat("INSERT INTO shop.orders VALUES (", i, ", 'x', ", i, ".5)"));
  Exec("UPDATE drc.barrier SET `offset` = `offset` + 1 WHERE id = 1");

  // The in-process collector over the same binlog.
  BoundedMessageQueue local(100000);
  {
    MysqlCollector::Options options;
    options.name = "local";
    TagRule src;
    src.name = "src";
    src.tables = {"shop.*"};
    options.tags = {src};
    options.stop_at_end = true;
    ConnectionSchemaSource schemas(server_->Dsn());
    MysqlCollector collector(options, FileBinlogSource(server_->dir() + "/data"), &schemas, &local);
    absl::Status s = collector.Run([] { return false; });
    ASSERT_TRUE(s.ok()) << s;
  }
  std::vector<std::string> want;
  while (auto m = local.Pop(absl::ZeroDuration())) want.push_back(Render(*m));
  ASSERT_EQ(want.size(), 1u + 2 + 2 + 50 + 1) << absl::StrJoin(want, "\n");

  std::vector<std::string> got;
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (got.size() < want.size() && absl::Now() < deadline) {
    if (auto m = remote.Pop(absl::Milliseconds(100))) got.push_back(Render(*m));
  }
  stop.store(true);
  collect.join();
  EXPECT_TRUE(collect_status.ok()) << collect_status;
  (*grpc)->Stop();
  while (auto m = remote.Pop(absl::ZeroDuration())) got.push_back(Render(*m));  // none extra
  EXPECT_EQ(got, want);
}

TEST_F(CollectMariaDbTest, UnreachableServerIsAnErrorBeforeAnythingRuns) {
  BoundedMessageQueue remote(10);
  GrpcCollectorOptions server_options;
  server_options.tags = {"src"};
  auto grpc = GrpcCollector::Start(server_options, &remote);
  ASSERT_TRUE(grpc.ok()) << grpc.status();
  auto config = Config(1, (*grpc)->port());  // nothing listens on port 1
  ASSERT_TRUE(config.ok()) << config.status();
  absl::Status s = RunCollect(*config, [] { return true; });
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(absl::StrContains(s.message(), "collector src")) << s;
}

}  // namespace
}  // namespace dcp::collector
