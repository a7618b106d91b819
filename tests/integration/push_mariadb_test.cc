// `dcp push` reproduces the MySQL collector: the JSON lines `dcp binlog` prints for a real
// MariaDB binlog, pushed through the push library into a gRPC collector, arrive as exactly
// the messages (ids, keys, contents, checksums, barriers, order) that collector::MysqlCollector
// produces from the same binlog file.
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "collector/grpc_collector.h"
#include "collector/message_queue.h"
#include "collector/mysql_collector.h"
#include "collector/push.h"
#include "gtest/gtest.h"
#include "tests/harness/mariadb_fixture.h"
#include "tests/integration/collector_test_util.h"

namespace dcp::collector {
namespace {

using testing::Drain;
using testing::InProcessChanges;

class PushMariaDbTest : public dcp::testing::MariaDbFixture {
 protected:
  void SetUp() override { StartServer(73, {"--binlog-row-metadata=FULL"}); }
};

TEST_F(PushMariaDbTest, PushedJsonLinesEqualTheCollectorsMessages) {
  CreateBarrierTable({1, 2});
  for (const char* sql : {
           "CREATE DATABASE shop",
           "CREATE TABLE shop.orders (id INT PRIMARY KEY, Item VARCHAR(20), price DECIMAL(10,2), "
           "at DATETIME(3), d DATE, t TIME(2), sku CHAR(8), data BLOB, doc JSON, "
           "big BIGINT UNSIGNED, ratio DOUBLE, n TINYINT)",
           "CREATE TABLE shop.lines (order_id INT, line INT, note TEXT, PRIMARY KEY "
           "(order_id, line))",
       }) {
    Exec(sql);
  }
  Exec("INSERT INTO shop.orders (id, item) VALUES (100, 'before barrier')");  // dropped
  BumpBarrier();
  BumpBarrier(2);  // another checker's
  Exec(
      "INSERT INTO shop.orders VALUES (1, 'apple', '2.50', '2024-02-29 13:14:15.120', "
      "'2024-01-02', '-12:00:01.50', 'A1  ', x'00ff10', '{\"b\": 1.50, \"a\": [1, \"x\"]}', "
      "18446744073709551615, 1.1, -128)");
  Exec(
      "INSERT INTO shop.orders (id, item, price) VALUES (2, '2024-01-01', '-0.05'), "
      "(3, NULL, NULL)");
  Exec("INSERT INTO shop.lines VALUES (1, 1, 'ünïcødé 𝄞'), (1, 2, 'two')");
  Exec("BEGIN");
  Exec("UPDATE shop.orders SET price = price * 2, item = 'APPLE' WHERE id = 1");
  Exec("DELETE FROM shop.lines WHERE order_id = 1 AND line = 2");
  Exec("UPDATE shop.lines SET line = 3 WHERE order_id = 1 AND line = 1");  // key change
  Exec("COMMIT");
  BumpBarrier();
  Exec("DELETE FROM shop.orders WHERE id = 3");
  BumpBarrier();

  const std::string datadir = server_->dir() + "/data";

  // The collector's view.
  std::vector<std::string> want = InProcessChanges(*server_);

  // The pusher's view: `dcp binlog` -> JSON lines -> push library -> gRPC collector.
  const std::string jsonl = server_->dir() + "/rows.jsonl";
  const std::string cmd = absl::StrCat(DCP_TOOL, " binlog --file ", datadir,
                                       "/mysql-bin.000001 --follow-rotation > ", jsonl);
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;

  BoundedMessageQueue grpc_queue(100000);
  GrpcCollectorOptions server_options;
  server_options.tags = {"src"};
  server_options.keep_content = true;
  auto grpc = GrpcCollector::Start(server_options, &grpc_queue);
  ASSERT_TRUE(grpc.ok()) << grpc.status();

  const std::string target = absl::StrCat("127.0.0.1:", (*grpc)->port());
  std::vector<std::string> args = {"push",
                                   "--target",
                                   target,
                                   "--tag",
                                   "src",
                                   "--file",
                                   jsonl,
                                   "--key",
                                   "shop.orders=id",
                                   "--key",
                                   "shop.lines=order_id,line",
                                   "--type",
                                   "shop.orders.price=number",
                                   "--type",
                                   "shop.orders.big=number",
                                   "--type",
                                   "shop.orders.at=datetime",
                                   "--type",
                                   "shop.orders.d=date",
                                   "--type",
                                   "shop.orders.t=time",
                                   "--type",
                                   "shop.orders.sku=char",
                                   "--type",
                                   "shop.orders.doc=json",
                                   "--batch",
                                   "3"};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  auto options = ParsePushArgs(static_cast<int>(argv.size()), argv.data());
  ASSERT_TRUE(options.ok()) << options.status();
  auto stats = RunPush(*options);
  ASSERT_TRUE(stats.ok()) << stats.status();
  (*grpc)->Stop();
  std::vector<std::string> got = Drain(grpc_queue);

  // Not vacuous: the workload's rows, barriers and a delete are there.
  ASSERT_EQ(want.size(), 12u) << absl::StrJoin(want, "\n");
  EXPECT_EQ(stats->barriers, 3u);
  EXPECT_EQ(stats->dropped_before_barrier, 1u);
  EXPECT_EQ(stats->messages, want.size());
  EXPECT_EQ(got, want);
  int deletes = 0;
  for (const std::string& w : want) deletes += absl::EndsWith(w, "|DELETE") ? 1 : 0;
  EXPECT_EQ(deletes, 2);

  // A table without key columns is an error naming it.
  options->keys.erase("shop.lines");
  LineEncoder encoder(*options);
  std::ifstream in(jsonl);
  std::string line;
  absl::Status first_error;
  while (first_error.ok() && std::getline(in, line)) first_error = encoder.Encode(line).status();
  EXPECT_EQ(first_error.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(first_error.message(), "shop.lines")) << first_error;
}

}  // namespace
}  // namespace dcp::collector
