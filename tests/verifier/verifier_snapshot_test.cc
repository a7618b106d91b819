// `verifier data --snapshot` on a live primary/replica pair under a write load: no difference
// is reported, a divergence injected on the replica is found, and replication runs afterwards.
#include <atomic>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/harness/mariadb_server.h"
#include "tests/harness/server_util.h"
#include "tests/verifier/verifier_test_util.h"
#include "verifier/data_compare.h"

namespace dcp::verifier {
namespace {

using testing_util::Describe;

// Writes to rows with id > 100 (inserts, updates, deletes) until stopped, with a pause of
// 1 ms after each: unthrottled, on a busy 2-core machine, it once left the replica's single
// SQL thread more than 60 s behind by the end of the test.
class WriteLoad {
 public:
  explicit WriteLoad(mysql::Connection conn) : conn_(std::move(conn)) {
    thread_ = std::thread([this] { Run(); });
  }
  ~WriteLoad() { Stop(); }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  int64_t writes() const { return writes_.load(); }
  const absl::Status& status() const { return status_; }

 private:
  void Run() {
    for (int64_t i = 0; !stop_.load(); ++i) {
      const int64_t a = 101 + (i * 7919) % 19000, b = 101 + (i * 104729) % 19000;
      std::string sql = i % 3 == 0
                            ? absl::StrCat("INSERT INTO db.load (v, note) VALUES (", i, ", 'new')")
                        : i % 3 == 1 ? absl::StrCat(
                                           "UPDATE db.load SET v = v + 1, note = "
                                           "'upd' WHERE id = ",
                                           a)
                                     : absl::StrCat("DELETE FROM db.load WHERE id = ", b);
      absl::Status st = conn_.Execute(sql);
      if (!st.ok()) {
        status_ = st;
        return;
      }
      ++writes_;
      absl::SleepFor(absl::Milliseconds(1));
    }
  }

  mysql::Connection conn_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> writes_{0};
  absl::Status status_;
  std::thread thread_;
};

TEST(VerifierSnapshot, LivePairUnderLoadHasNoDifferenceAndInjectedOneIsFound) {
  auto pair = testing::StartReplicatedPair(/*first_server_id=*/81);
  ASSERT_TRUE(pair.ok()) << pair.status();
  auto primary = pair->primary->Connect();
  ASSERT_TRUE(primary.ok()) << primary.status();
  ASSERT_TRUE(primary->Execute("CREATE DATABASE db").ok());
  ASSERT_TRUE(primary
                  ->Execute("CREATE TABLE db.load (id INT AUTO_INCREMENT PRIMARY KEY, v INT, "
                            "note VARCHAR(20))")
                  .ok());
  ASSERT_TRUE(primary
                  ->Execute("INSERT INTO db.load (id, v, note) SELECT seq, seq, 'seed' FROM "
                            "db.seq_1_to_20000")
                  .ok());
  ASSERT_TRUE(pair->replica->WaitForReplication(*pair->primary).ok());

  DataOptions o;
  o.source = pair->primary->Dsn();
  o.target = pair->replica->Dsn();
  o.tables = {"db.*"};
  o.snapshot = true;
  o.parallel = 2;
  o.initial_chunk_rows = 1000;
  o.max_chunk_rows = 2000;

  auto load_conn = pair->primary->Connect();
  ASSERT_TRUE(load_conn.ok());
  WriteLoad load(std::move(*load_conn));
  absl::SleepFor(absl::Milliseconds(300));
  const int64_t before = load.writes();
  auto report = CompareData(o);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_GT(load.writes(), before) << "the load must run while the comparison runs";
  ASSERT_EQ(report->tables.size(), 1u);
  EXPECT_TRUE(report->tables[0].identical())
      << absl::StrJoin(Describe(report->tables[0]), "\n") << report->tables[0].error;
  EXPECT_FALSE(report->snapshot_position.empty());

  // Diverge the replica outside replication, on rows the load never touches.
  auto replica = pair->replica->Connect();
  ASSERT_TRUE(replica.ok());
  ASSERT_TRUE(replica->Execute("SET SESSION sql_log_bin = 0").ok());
  ASSERT_TRUE(replica->Execute("UPDATE db.load SET v = -999 WHERE id = 5").ok());
  ASSERT_TRUE(replica->Execute("DELETE FROM db.load WHERE id = 7").ok());
  report = CompareData(o);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(Describe(report->tables[0]), (std::set<std::string>{"different 5 v", "missing 7"}));

  load.Stop();
  ASSERT_TRUE(load.status().ok()) << load.status();
  // Replication was resumed: the replica catches up with everything the load wrote.
  const absl::Status caught_up =
      pair->replica->WaitForReplication(*pair->primary, absl::Minutes(3));
  ASSERT_TRUE(caught_up.ok()) << caught_up << " after " << load.writes() << " writes";
  auto status = replica->Query("SHOW SLAVE STATUS");
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->rows[0][*status->ColumnIndex("Slave_SQL_Running")], "Yes");
  EXPECT_EQ(status->rows[0][*status->ColumnIndex("Slave_IO_Running")], "Yes");
}

TEST(VerifierSnapshot, TargetThatIsNotAReplicaIsAnError) {
  auto pair = testing::StartServerPair(91);
  ASSERT_TRUE(pair.ok()) << pair.status();
  DataOptions o;
  o.source = pair->source->Dsn();
  o.target = pair->target->Dsn();
  o.snapshot = true;
  auto report = CompareData(o);
  EXPECT_EQ(report.status().code(), absl::StatusCode::kFailedPrecondition) << report.status();
}

}  // namespace
}  // namespace dcp::verifier
