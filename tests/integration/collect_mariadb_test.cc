// `dcp collect` (the library behind it) against a real MariaDB and a loopback gRPC collector
// (the checker side): the messages arriving there equal those an in-process MysqlCollector
// produces from the same binlog (ids, keys, contents, checksums, barriers, order), including
// rows written while it runs.
#include <atomic>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "collector/builder.h"
#include "collector/grpc_collector.h"
#include "collector/grpc_test_util.h"
#include "collector/message_queue.h"
#include "collector/mysql_collector.h"
#include "daemon/collect.h"
#include "daemon/config.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/harness/mariadb_fixture.h"
#include "tests/integration/collector_test_util.h"

namespace dcp::collector {
namespace {

using testing::InProcessChanges;
using testing::PopUntil;
using testing::Render;

class CollectMariaDbTest : public dcp::testing::MariaDbFixture {
 protected:
  void SetUp() override { StartServer(74); }

  // drc.barrier with barrier row 1 bumped once, and an empty shop.orders after it.
  void CreateBarrierAndOrders() {
    CreateBarrierTable();
    Exec({"CREATE DATABASE shop",
          "CREATE TABLE shop.orders (id INT PRIMARY KEY, item VARCHAR(20))"});
    BumpBarrier();
  }

  absl::StatusOr<daemon::Config> Config(
      uint16_t mysql_port, int grpc_port, const std::string& target_host = "127.0.0.1",
      const std::string& collect_extra = "", int server_id = 901,
      const std::string& start = "start-position = \"mysql-bin.000001:4\"\n") {
    const std::string path = server_->dir() + "/collect.toml";
    std::ofstream(path) << "[[collector]]\nname = \"src\"\ntype = \"mysql\"\n"
                        << "dsn = \"mysql://dcp:dcp@127.0.0.1:" << mysql_port << "\"\n"
                        << "server-id = " << server_id << "\n"
                        << start
                        << "  [[collector.tag]]\n  name = \"src\"\n  tables = [\"shop.*\"]\n"
                        << "[state]\ndir = \"" << server_->dir() << "/state\"\n"
                        << "[collect]\ntarget = \"" << target_host << ":" << grpc_port << "\"\n"
                        << collect_extra;
    return daemon::LoadConfig(path);
  }
};

TEST_F(CollectMariaDbTest, RemoteCollectorGetsTheInProcessMessages) {
  CreateBarrierTable({1, 2});
  Exec({"CREATE DATABASE shop",
        "CREATE TABLE shop.orders (id INT PRIMARY KEY, item VARCHAR(20), price DECIMAL(8,2))"});
  Exec("INSERT INTO shop.orders VALUES (100, 'early', 1)");  // before any barrier: dropped
  BumpBarrier();
  Exec("INSERT INTO shop.orders VALUES (1, 'apple', 2.50), (2, 'pear', NULL)");

  BoundedMessageQueue remote(100000);
  GrpcCollectorOptions server_options;
  server_options.tags = {"src"};
  server_options.keep_content = true;
  auto grpc = GrpcCollector::Start(server_options, &remote);
  ASSERT_TRUE(grpc.ok()) << grpc.status();
  auto config = Config(server_->port(), (*grpc)->port());
  ASSERT_TRUE(config.ok()) << config.status();

  std::atomic<bool> stop{false};
  absl::Status collect_status;
  std::thread collect(
      [&] { collect_status = daemon::RunCollect(*config, [&] { return stop.load(); }); });

  // Written while it runs.
  BumpBarrier(2);  // another checker's
  Exec("BEGIN");
  Exec("UPDATE shop.orders SET price = 3 WHERE id = 1");
  Exec("DELETE FROM shop.orders WHERE id = 2");
  Exec("COMMIT");
  for (int i = 10; i < 60; ++i)
    Exec(absl::StrCat("INSERT INTO shop.orders VALUES (", i, ", 'x', ", i, ".5)"));
  BumpBarrier();

  // The in-process collector over the same binlog.
  const std::vector<std::string> want = InProcessChanges(*server_);
  ASSERT_EQ(want.size(), 1u + 2 + 2 + 50 + 1) << absl::StrJoin(want, "\n");

  std::vector<std::string> got;
  PopUntil(remote, got, want.size(), 60);
  stop.store(true);
  collect.join();
  EXPECT_TRUE(collect_status.ok()) << collect_status;
  (*grpc)->Stop();
  while (auto m = remote.Pop(absl::ZeroDuration())) got.push_back(Render(*m));  // none extra
  EXPECT_EQ(got, want);
}

// Token + TLS on the wire, and a stop/restart of `dcp collect` in the middle: the remote
// gets every message once, in order, across the restart (the collector resumes from its
// checkpoint, the pusher from the remote's acknowledged position).
TEST_F(CollectMariaDbTest, TokenTlsAndRestartDeliverEverythingOnce) {
  CreateBarrierAndOrders();
  for (int i = 0; i < 30; ++i) Exec(absl::StrCat("INSERT INTO shop.orders VALUES (", i, ", 'a')"));
  BumpBarrier();

  const std::string certs = server_->dir() + "/certs";
  ASSERT_EQ(std::system(("mkdir -p " + certs).c_str()), 0);
  auto cert = collector::testing::MakeSelfSignedCert(certs);
  ASSERT_TRUE(cert.ok()) << cert.status();
  BoundedMessageQueue remote(100000);
  GrpcCollectorOptions server_options;
  server_options.tags = {"src"};
  server_options.keep_content = true;
  server_options.token = "s3cret-token";
  server_options.tls = TlsServerFiles{certs + "/cert.pem", certs + "/key.pem"};
  auto grpc = GrpcCollector::Start(server_options, &remote);
  ASSERT_TRUE(grpc.ok()) << grpc.status();

  const std::string tls = "tls-ca = \"" + certs + "/cert.pem\"\n";
  // A wrong token is refused, and `dcp collect` stops with that error instead of retrying.
  ASSERT_EQ(setenv("DCP_TEST_COLLECT_TOKEN", "wrong", 1), 0);
  auto bad = Config(server_->port(), (*grpc)->port(), "localhost",
                    "token-env = \"DCP_TEST_COLLECT_TOKEN\"\n" + tls, 902);
  ASSERT_TRUE(bad.ok()) << bad.status();
  absl::Status refused = daemon::RunCollect(*bad, [] { return false; });
  EXPECT_EQ(refused.code(), absl::StatusCode::kUnauthenticated) << refused;
  EXPECT_FALSE(remote.Pop(absl::ZeroDuration()).has_value());
  // Start afresh: the refused run may have saved a checkpoint.
  ASSERT_EQ(std::system(("rm -rf " + server_->dir() + "/state").c_str()), 0);

  ASSERT_EQ(setenv("DCP_TEST_COLLECT_TOKEN", "s3cret-token", 1), 0);
  auto config = Config(server_->port(), (*grpc)->port(), "localhost",
                       "token-env = \"DCP_TEST_COLLECT_TOKEN\"\n" + tls);
  ASSERT_TRUE(config.ok()) << config.status();
  std::vector<std::string> got;
  for (int run = 0; run < 2; ++run) {
    std::atomic<bool> stop{false};
    absl::Status status;
    std::thread collect([&] { status = daemon::RunCollect(*config, [&] { return stop.load(); }); });
    if (run == 0) {
      PopUntil(remote, got, 1 + 30 + 1, 60);
      EXPECT_EQ(got.size(), 32u);
    } else {
      PopUntil(remote, got, 32 + 20 + 1 + 1, 60);
    }
    stop.store(true);
    collect.join();
    ASSERT_TRUE(status.ok()) << status;
    ASSERT_EQ(got.size(), run == 0 ? 32u : 54u);
    if (run == 0) {
      // Written while `dcp collect` is down.
      for (int i = 100; i < 120; ++i) {
        Exec(absl::StrCat("INSERT INTO shop.orders VALUES (", i, ", 'b')"));
      }
      Exec("UPDATE shop.orders SET item = 'c' WHERE id = 3");
      BumpBarrier();
    }
  }
  (*grpc)->Stop();
  while (auto m = remote.Pop(absl::ZeroDuration())) got.push_back(Render(*m));  // none extra
  EXPECT_EQ(got, InProcessChanges(*server_));
}

// A crash of `dcp collect` after it delivered messages but before it saved its checkpoint
// (simulated by putting an older checkpoint back): the restart reads those transactions
// again, and the remote collector drops them as duplicates because they keep their
// sequence numbers (saved with the checkpoint). Nothing is delivered twice, nothing lost.
TEST_F(CollectMariaDbTest, ReplayAfterACrashIsNotDeliveredTwice) {
  CreateBarrierAndOrders();
  Exec("INSERT INTO shop.orders VALUES (1, 'a'), (2, 'b')");
  BumpBarrier();
  BoundedMessageQueue remote(100000);
  GrpcCollectorOptions server_options;
  server_options.tags = {"src"};
  server_options.keep_content = true;
  auto grpc = GrpcCollector::Start(server_options, &remote);
  ASSERT_TRUE(grpc.ok()) << grpc.status();
  auto config = Config(server_->port(), (*grpc)->port());
  ASSERT_TRUE(config.ok()) << config.status();
  const std::string checkpoint = server_->dir() + "/state/collect-src.checkpoint";

  auto run_until = [&](std::vector<std::string>& got, size_t n) {
    std::atomic<bool> stop{false};
    absl::Status status;
    std::thread collect([&] { status = daemon::RunCollect(*config, [&] { return stop.load(); }); });
    PopUntil(remote, got, n, 60);
    stop.store(true);
    collect.join();
    EXPECT_TRUE(status.ok()) << status;
  };
  std::vector<std::string> got;
  size_t n = InProcessChanges(*server_).size();
  run_until(got, n);
  ASSERT_EQ(got.size(), n);
  std::ifstream in(checkpoint);
  std::stringstream older;
  older << in.rdbuf();
  ASSERT_THAT(older.str(), ::testing::HasSubstr(absl::StrCat("\"seqs\":{\"src\":", n, "}")));

  for (int i = 10; i < 15; ++i) Exec(absl::StrCat("INSERT INTO shop.orders VALUES (", i, ", 'c')"));
  BumpBarrier();
  n = InProcessChanges(*server_).size();
  run_until(got, n);
  ASSERT_EQ(got.size(), n);

  // The crash: the checkpoint of the first run is what the disk holds.
  std::ofstream(checkpoint, std::ios::trunc) << older.str();
  for (int i = 20; i < 23; ++i) Exec(absl::StrCat("INSERT INTO shop.orders VALUES (", i, ", 'd')"));
  BumpBarrier();
  n = InProcessChanges(*server_).size();
  run_until(got, n);
  (*grpc)->Stop();
  while (auto m = remote.Pop(absl::ZeroDuration())) got.push_back(Render(*m));  // none extra
  EXPECT_EQ(got, InProcessChanges(*server_));
}

// With no checkpoint and no configured start, `dcp run` and `dcp collect` build their MySQL
// collectors with the one builder and both start at the server's current end: history
// written before they started is not delivered by either (docs/config.md).
TEST_F(CollectMariaDbTest, RunAndCollectStartAtTheCurrentEndWithoutAConfiguredStart) {
  CreateBarrierAndOrders();
  Exec("INSERT INTO shop.orders VALUES (1, 'old')");
  BumpBarrier();
  auto end = conn_->Query("SHOW MASTER STATUS");
  ASSERT_TRUE(end.ok());
  const std::string current_end = absl::StrCat(*end->rows[0][0], ":", *end->rows[0][1]);

  auto config = Config(server_->port(), 1, "127.0.0.1", "", 903, /*start=*/"");
  ASSERT_TRUE(config.ok()) << config.status();
  struct Mode {
    BuildContext::Checkpoints checkpoints;
    uint32_t server_id;
  };
  std::vector<std::unique_ptr<BoundedMessageQueue>> queues;
  std::vector<std::unique_ptr<Collector>> collectors;
  for (Mode mode : {Mode{BuildContext::Checkpoints::kByWindow, 903},          // dcp run
                    Mode{BuildContext::Checkpoints::kByTransaction, 904}}) {  // dcp collect
    queues.push_back(std::make_unique<BoundedMessageQueue>(1000));
    BuildContext context;
    context.sink = queues.back().get();
    context.state_dir = config->state.dir;
    context.checkpoints = mode.checkpoints;
    context.keep_content = true;
    CollectorConfig c = config->collectors[0];
    std::get<MysqlSourceConfig>(c.source).server_id = mode.server_id;
    auto built = BuildCollector(c, context);
    ASSERT_TRUE(built.ok()) << built.status();
    // The current end, with the GTID position there (for a resume on another server).
    EXPECT_THAT((*built)->Status().position, ::testing::StartsWith(current_end + " gtid 0-"));
    ASSERT_TRUE((*built)->Start().ok());
    collectors.push_back(*std::move(built));
  }
  Exec("INSERT INTO shop.orders VALUES (2, 'new')");  // before the first barrier seen: dropped
  BumpBarrier();
  Exec("INSERT INTO shop.orders VALUES (3, 'newer')");
  for (auto& q : queues) {
    std::vector<std::string> got;
    PopUntil(*q, got, 2, 30);
    ASSERT_EQ(got.size(), 2u);
    // Read from the first binlog instead, barriers 1 and 2 and the old row would come first.
    EXPECT_THAT(got[0], ::testing::HasSubstr("|B:3"));
    EXPECT_THAT(got[1], ::testing::HasSubstr("\"n:3\"]|"));
  }
  for (auto& c : collectors) c->Stop();
}

TEST_F(CollectMariaDbTest, UnreachableServerIsAnErrorBeforeAnythingRuns) {
  BoundedMessageQueue remote(10);
  GrpcCollectorOptions server_options;
  server_options.tags = {"src"};
  server_options.keep_content = true;
  auto grpc = GrpcCollector::Start(server_options, &remote);
  ASSERT_TRUE(grpc.ok()) << grpc.status();
  auto config = Config(1, (*grpc)->port());  // nothing listens on port 1
  ASSERT_TRUE(config.ok()) << config.status();
  absl::Status s = daemon::RunCollect(*config, [] { return true; });
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(absl::StrContains(s.message(), "collector 'src' (127.0.0.1:1)")) << s;
}

}  // namespace
}  // namespace dcp::collector
