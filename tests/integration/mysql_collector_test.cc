// The MySQL collector against a real MariaDB: binlog rows become tagged, keyed, checksummed
// messages in binlog order, barriers become barrier messages for every tag, changes before
// the first barrier are dropped, checkpoints resume without loss, DDL keeps checksums right.
#include "collector/mysql_collector.h"

#include <atomic>
#include <filesystem>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "collector/encoding.h"
#include "collector/message_queue.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/harness/mariadb_fixture.h"

namespace dcp::collector {
namespace {

using ::testing::ElementsAre;

// "tag|B:offset" or "tag|key|content-or-DELETE".
std::string Render(const checker::Change& c) {
  if (const auto* b = std::get_if<checker::Barrier>(&c.body)) {
    return absl::StrCat(c.tag, "|B:", b->offset);
  }
  const auto& row = std::get<checker::RowChange>(c.body);
  EXPECT_FALSE(row.origin.empty());
  if (row.deleted) {
    EXPECT_TRUE(row.checksum.empty());
    return absl::StrCat(c.tag, "|", row.key, "|DELETE");
  }
  EXPECT_TRUE(row.content.has_value());
  EXPECT_EQ(row.checksum, encoding::Checksum(row.content.value_or("")));
  return absl::StrCat(c.tag, "|", row.key, "|", row.content.value_or(""));
}

std::vector<std::string> Drain(BoundedMessageQueue& q) {
  std::vector<std::string> out;
  while (auto m = q.Pop(absl::ZeroDuration())) out.push_back(Render(*m));
  return out;
}

class MysqlCollectorTest : public dcp::testing::MariaDbFixture {
 protected:
  void SetUp() override {
    StartServer(71);
    if (HasFatalFailure()) return;
    CreateBarrierTable({1, 2});
    Exec({"CREATE DATABASE shop",
          "CREATE TABLE shop.orders (id INT PRIMARY KEY, item VARCHAR(20), qty INT)",
          "CREATE TABLE shop.lines (order_id INT, line INT, sku CHAR(8), PRIMARY KEY "
          "(order_id, line))",
          "CREATE DATABASE other", "CREATE TABLE other.t (id INT PRIMARY KEY)"});
    options_.name = "test";
    TagRule src;
    src.name = "src";
    src.tables = {"shop.*"};
    TagRule orders;
    orders.name = "orders";
    orders.tables = {"shop.orders"};
    options_.tags = {src, orders};
    options_.stop_at_end = true;
    options_.keep_content = true;
    options_.checkpoint_path = server_->dir() + "/collector.checkpoint";
  }

  // Runs a fresh collector (resuming from the checkpoint file, if any) to the binlog's end.
  std::vector<std::string> RunToEnd(MysqlCollector::Stats* stats = nullptr) {
    BoundedMessageQueue queue(100000);
    ConnectionSchemaSource schemas(server_->Dsn());
    MysqlCollector collector(options_, FileBinlogSource(server_->dir() + "/data"), &schemas,
                             &queue);
    absl::Status s = collector.Run([] { return false; });
    EXPECT_TRUE(s.ok()) << s;
    if (stats != nullptr) *stats = collector.stats();
    return Drain(queue);
  }

  MysqlCollector::Options options_;
};

TEST_F(MysqlCollectorTest, RowsAndBarriersInBinlogOrder) {
  Exec("INSERT INTO shop.orders VALUES (100, 'early', 1)");  // before any barrier: dropped
  BumpBarrier();
  BumpBarrier(2);  // another checker's row
  Exec("INSERT INTO shop.orders VALUES (1, 'apple', 2), (2, 'pear', 3)");
  Exec("INSERT INTO shop.lines VALUES (1, 1, 'A1'), (1, 2, 'B2  ')");
  Exec("INSERT INTO other.t VALUES (1)");  // untagged
  Exec("BEGIN");
  Exec("UPDATE shop.orders SET qty = 5 WHERE id = 1");
  Exec("DELETE FROM shop.lines WHERE order_id = 1 AND line = 2");
  Exec("COMMIT");
  Exec("BEGIN");
  Exec("INSERT INTO shop.orders VALUES (3, 'rolled back', 0)");
  Exec("ROLLBACK");
  BumpBarrier();

  MysqlCollector::Stats stats;
  auto got = RunToEnd(&stats);
  EXPECT_THAT(
      got,
      ElementsAre("src|B:1", "orders|B:1",
                  R"(src|["shop.orders","n:1"]|{"id":"n:1","item":"s:apple","qty":"n:2"})",
                  R"(orders|["shop.orders","n:1"]|{"id":"n:1","item":"s:apple","qty":"n:2"})",
                  R"(src|["shop.orders","n:2"]|{"id":"n:2","item":"s:pear","qty":"n:3"})",
                  R"(orders|["shop.orders","n:2"]|{"id":"n:2","item":"s:pear","qty":"n:3"})",
                  R"(src|["shop.lines","n:1","n:1"]|{"line":"n:1","order_id":"n:1","sku":"s:A1"})",
                  R"(src|["shop.lines","n:1","n:2"]|{"line":"n:2","order_id":"n:1","sku":"s:B2"})",
                  R"(src|["shop.orders","n:1"]|{"id":"n:1","item":"s:apple","qty":"n:5"})",
                  R"(orders|["shop.orders","n:1"]|{"id":"n:1","item":"s:apple","qty":"n:5"})",
                  R"(src|["shop.lines","n:1","n:2"]|DELETE)", "src|B:2", "orders|B:2"));
  EXPECT_EQ(stats.dropped_before_barrier, 2u);  // the early row, for both tags
  EXPECT_EQ(stats.barriers, 2u);
  EXPECT_EQ(stats.skipped_rows, 0u);
  EXPECT_EQ(stats.reconnects, 0u);
}

TEST_F(MysqlCollectorTest, ResumesFromCheckpointWithoutLossOrRepeat) {
  BumpBarrier();
  Exec("INSERT INTO shop.orders VALUES (1, 'a', 1)");
  auto first = RunToEnd();
  ASSERT_EQ(first.size(), 4u);
  ASSERT_TRUE(std::filesystem::exists(options_.checkpoint_path));

  Exec("INSERT INTO shop.orders VALUES (2, 'b', 2)");
  Exec("FLUSH BINARY LOGS");  // the resumed read crosses into the next file
  Exec("UPDATE shop.orders SET item = 'bb' WHERE id = 2");
  auto second = RunToEnd();
  EXPECT_THAT(
      second,
      ElementsAre(R"(src|["shop.orders","n:2"]|{"id":"n:2","item":"s:b","qty":"n:2"})",
                  R"(orders|["shop.orders","n:2"]|{"id":"n:2","item":"s:b","qty":"n:2"})",
                  R"(src|["shop.orders","n:2"]|{"id":"n:2","item":"s:bb","qty":"n:2"})",
                  R"(orders|["shop.orders","n:2"]|{"id":"n:2","item":"s:bb","qty":"n:2"})"));
  EXPECT_TRUE(RunToEnd().empty());
}

TEST_F(MysqlCollectorTest, DdlMidStreamKeepsKeysAndChecksumsRight) {
  BumpBarrier();
  Exec("INSERT INTO shop.orders VALUES (1, 'a', 1)");
  ASSERT_EQ(RunToEnd().size(), 4u);
  Exec("ALTER TABLE shop.orders ADD COLUMN note VARCHAR(10) DEFAULT 'n' AFTER id");
  Exec("INSERT INTO shop.orders VALUES (2, 'x', 'b', 2)");
  Exec("ALTER TABLE shop.orders DROP COLUMN qty");
  Exec("RENAME TABLE shop.lines TO shop.lines2");
  Exec("INSERT INTO shop.orders VALUES (3, 'y', 'c')");
  Exec("INSERT INTO shop.lines2 VALUES (7, 1, 'Z')");
  // The schema is read as the collector meets each table after each DDL; here the binlog is
  // read after all of them, so the rows written between the two ALTERs no longer match the
  // schema: they must be reported and skipped, never encoded wrongly.
  MysqlCollector::Stats stats;
  std::vector<std::string> notices;
  options_.on_notice = [&](const std::string& n) { notices.push_back(n); };
  auto got = RunToEnd(&stats);
  EXPECT_THAT(
      got, ElementsAre(
               R"(src|["shop.orders","n:3"]|{"id":"n:3","item":"s:c","note":"s:y"})",
               R"(orders|["shop.orders","n:3"]|{"id":"n:3","item":"s:c","note":"s:y"})",
               R"(src|["shop.lines2","n:7","n:1"]|{"line":"n:1","order_id":"n:7","sku":"s:Z"})"));
  EXPECT_EQ(stats.skipped_rows, 1u);
  ASSERT_FALSE(notices.empty());
  EXPECT_THAT(notices[0], ::testing::HasSubstr("rows of shop.orders are not compared"));
}

TEST_F(MysqlCollectorTest, DdlReadLiveKeepsEveryRow) {
  // Read after each step, as a live collector does: every row is encoded with its schema.
  BumpBarrier();
  Exec("INSERT INTO shop.orders VALUES (1, 'a', 1)");
  ASSERT_EQ(RunToEnd().size(), 4u);
  Exec("ALTER TABLE shop.orders ADD COLUMN note VARCHAR(10) DEFAULT 'n' AFTER id");
  Exec("INSERT INTO shop.orders VALUES (2, 'x', 'b', 2)");
  EXPECT_THAT(
      RunToEnd(),
      ElementsAre(
          R"(src|["shop.orders","n:2"]|{"id":"n:2","item":"s:b","note":"s:x","qty":"n:2"})",
          R"(orders|["shop.orders","n:2"]|{"id":"n:2","item":"s:b","note":"s:x","qty":"n:2"})"));
  Exec("ALTER TABLE shop.orders DROP COLUMN qty");
  Exec("INSERT INTO shop.orders VALUES (3, 'y', 'c')");
  MysqlCollector::Stats stats;
  EXPECT_THAT(
      RunToEnd(&stats),
      ElementsAre(R"(src|["shop.orders","n:3"]|{"id":"n:3","item":"s:c","note":"s:y"})",
                  R"(orders|["shop.orders","n:3"]|{"id":"n:3","item":"s:c","note":"s:y"})"));
  EXPECT_EQ(stats.skipped_rows, 0u);
}

}  // namespace
}  // namespace dcp::collector

namespace dcp::collector {
namespace {

// A collector on a live replica stream, in its own thread.
class LiveCollector {
 public:
  LiveCollector(MysqlCollector::Options options, const testing::MariaDbServer& server,
                uint32_t server_id)
      : schemas_(server.Dsn()),
        collector_(std::move(options), LiveBinlogSource(server.Dsn(), server_id), &schemas_,
                   &queue_),
        thread_([this] { status_ = collector_.Run([this] { return stop_.load(); }); }) {}
  ~LiveCollector() { Stop().IgnoreError(); }

  absl::Status Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    return status_;
  }

  // Waits for `n` more messages (up to 30 s).
  std::vector<std::string> Take(size_t n) {
    std::vector<std::string> out;
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (out.size() < n && absl::Now() < deadline) {
      auto m = queue_.Pop(absl::Milliseconds(100));
      if (!m) continue;
      out.push_back(Render(*m));
    }
    return out;
  }
  size_t queued() const { return queue_.size(); }
  MysqlCollector::Stats stats() const { return collector_.stats(); }

 private:
  BoundedMessageQueue queue_{100000};
  ConnectionSchemaSource schemas_;
  MysqlCollector collector_;
  std::atomic<bool> stop_{false};
  absl::Status status_;
  std::thread thread_;
};

std::string Row(int id, const std::string& item, int qty) {
  return absl::StrCat(R"(src|["shop.orders","n:)", id, R"("]|{"id":"n:)", id, R"(","item":"s:)",
                      item, R"(","qty":"n:)", qty, R"("})");
}

TEST_F(MysqlCollectorTest, LiveStreamSurvivesKilledConnectionAndServerRestart) {
  auto status = conn_->Query("SHOW MASTER STATUS");
  ASSERT_TRUE(status.ok());
  options_.start.file = *status->rows[0][0];
  options_.start.position = std::stoull(*status->rows[0][1]);
  options_.tags.resize(1);  // only "src"
  options_.stop_at_end = false;
  options_.initial_backoff = absl::Milliseconds(50);
  options_.max_backoff = absl::Milliseconds(500);
  std::vector<std::string> reconnects;
  absl::Mutex mu;
  options_.on_reconnect = [&](const std::string& cause) {
    absl::MutexLock lock(&mu);
    reconnects.push_back(cause);
  };
  LiveCollector live(options_, *server_, /*server_id=*/1071);

  BumpBarrier();
  Exec("INSERT INTO shop.orders VALUES (1, 'a', 1)");
  EXPECT_THAT(live.Take(2), ElementsAre("src|B:1", Row(1, "a", 1)));

  // Kill the collector's dump connection on the server.
  auto dumps =
      conn_->Query("SELECT ID FROM information_schema.PROCESSLIST WHERE COMMAND = 'Binlog Dump'");
  ASSERT_TRUE(dumps.ok());
  ASSERT_EQ(dumps->rows.size(), 1u);
  Exec("KILL " + *dumps->rows[0][0]);
  Exec("INSERT INTO shop.orders VALUES (2, 'b', 2)");
  Exec("UPDATE shop.orders SET qty = 3 WHERE id = 1");
  EXPECT_THAT(live.Take(2), ElementsAre(Row(2, "b", 2), Row(1, "a", 3)));

  // Restart the server under the collector.
  conn_.reset();
  ASSERT_TRUE(server_->Stop().ok());
  ASSERT_TRUE(server_->Restart().ok());
  auto conn = server_->Connect();
  ASSERT_TRUE(conn.ok());
  conn_ = std::make_unique<mysql::Connection>(std::move(*conn));
  Exec("INSERT INTO shop.orders VALUES (3, 'c', 3)");
  BumpBarrier();
  EXPECT_THAT(live.Take(2), ElementsAre(Row(3, "c", 3), "src|B:2"));

  // Exactly once: the next barrier is the next thing to arrive (in binlog order, anything
  // delivered twice would come before it).
  BumpBarrier();
  EXPECT_THAT(live.Take(1), ElementsAre("src|B:3"));
  EXPECT_EQ(live.queued(), 0u);
  EXPECT_TRUE(live.Stop().ok());
  EXPECT_GE(live.stats().reconnects, 2u);
  absl::MutexLock lock(&mu);
  EXPECT_GE(reconnects.size(), 2u);
}

TEST_F(MysqlCollectorTest, LiveCollectorStoppedAndRestartedLosesNothing) {
  auto status = conn_->Query("SHOW MASTER STATUS");
  ASSERT_TRUE(status.ok());
  options_.start.file = *status->rows[0][0];
  options_.start.position = std::stoull(*status->rows[0][1]);
  options_.tags.resize(1);
  options_.stop_at_end = false;
  {
    LiveCollector live(options_, *server_, 1072);
    BumpBarrier();
    Exec("INSERT INTO shop.orders VALUES (1, 'a', 1)");
    EXPECT_THAT(live.Take(2), ElementsAre("src|B:1", Row(1, "a", 1)));
    EXPECT_TRUE(live.Stop().ok());
  }
  // Written while no collector runs.
  Exec("INSERT INTO shop.orders VALUES (2, 'b', 2)");
  Exec("INSERT INTO shop.orders VALUES (3, 'c', 3)");
  LiveCollector again(options_, *server_, 1072);
  EXPECT_THAT(again.Take(2), ElementsAre(Row(2, "b", 2), Row(3, "c", 3)));
  BumpBarrier();
  EXPECT_THAT(again.Take(1), ElementsAre("src|B:2"));  // nothing repeated before it
  EXPECT_EQ(again.queued(), 0u);
}

}  // namespace
}  // namespace dcp::collector

namespace dcp::collector {
namespace {

TEST_F(MysqlCollectorTest, BarrierPositionsLetAResumeStartAtTheBarrier) {
  BumpBarrier();
  Exec("INSERT INTO shop.orders VALUES (1, 'a', 1)");
  BumpBarrier();
  Exec("INSERT INTO shop.orders VALUES (2, 'b', 2)");
  options_.tags.resize(1);
  options_.auto_checkpoint = false;
  std::vector<std::pair<uint64_t, StartPoint>> seen;
  options_.on_barrier_position = [&](uint64_t offset, const StartPoint& before) {
    seen.emplace_back(offset, before);
  };
  ASSERT_EQ(RunToEnd().size(), 4u);
  EXPECT_FALSE(std::filesystem::exists(options_.checkpoint_path));
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].first, 1u);
  EXPECT_EQ(seen[1].first, 2u);
  // Resuming from barrier 2's position re-reads barrier 2, then what follows it.
  options_.on_barrier_position = nullptr;
  options_.start = seen[1].second;
  options_.checkpoint_path.clear();
  EXPECT_THAT(RunToEnd(), ElementsAre("src|B:2", Row(2, "b", 2)));
}

}  // namespace
}  // namespace dcp::collector
