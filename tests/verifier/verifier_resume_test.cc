// `verifier data` --resume continues after the recorded key, and --recheck drops a difference
// that is repaired while the recheck waits (driven by a fake clock).
#include <cstdio>
#include <fstream>
#include <set>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "tests/harness/mariadb_server.h"
#include "tests/harness/server_util.h"
#include "tests/verifier/verifier_test_util.h"
#include "util/clock.h"
#include "verifier/data_compare.h"

namespace dcp::verifier {
namespace {

using testing_util::Describe;

class VerifierResumeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto pair = testing::StartServerPair(77);
    ASSERT_TRUE(pair.ok()) << pair.status();
    const absl::Status s = testing::ExecOnBoth(
        *pair,
        {"CREATE DATABASE db", "CREATE TABLE db.t (id INT PRIMARY KEY, v VARCHAR(10))",
         "INSERT INTO db.t SELECT seq, CONCAT('v', seq) FROM db.seq_1_to_3000",
         "CREATE TABLE db.s (k VARCHAR(10) PRIMARY KEY, v INT)",
         "INSERT INTO db.s SELECT CONCAT('k', LPAD(seq, 4, '0')), seq FROM db.seq_1_to_2000"});
    ASSERT_TRUE(s.ok()) << s;
    source_ = std::move(pair->source);
    target_ = std::move(pair->target);
    auto c = target_->Connect();
    ASSERT_TRUE(c->Execute("UPDATE db.t SET v = 'x' WHERE id IN (10, 2500)").ok());
    ASSERT_TRUE(c->Execute("UPDATE db.s SET v = 0 WHERE k IN ('k0010', 'k1900')").ok());
  }

  DataOptions Options() {
    DataOptions o;
    o.source = source_->Dsn();
    o.target = target_->Dsn();
    o.tables = {"db.*"};
    o.initial_chunk_rows = 200;
    o.max_chunk_rows = 400;
    return o;
  }

  std::unique_ptr<testing::MariaDbServer> source_;
  std::unique_ptr<testing::MariaDbServer> target_;
};

TEST_F(VerifierResumeTest, ResumeContinuesAfterRecordedKey) {
  const std::string path = absl::StrCat(::testing::TempDir(), "/verifier_resume_state.txt");
  {
    std::ofstream f(path, std::ios::trunc);
    // As an interrupted run leaves it: db.t verified up to id 2000, db.s up to 'k1000'.
    f << "upto\tdb.t\t" << absl::BytesToHexString("1000") << "\n";
    f << "upto\tdb.t\t" << absl::BytesToHexString("2000") << "\n";
    f << "upto\tdb.s\t" << absl::BytesToHexString("k1000") << "\n";
  }
  DataOptions o = Options();
  o.resume_file = path;
  auto report = CompareData(o);
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_EQ(report->tables.size(), 2u);
  for (const TableResult& t : report->tables) {
    if (t.source_table == "db.t") {
      EXPECT_EQ(Describe(t), (std::set<std::string>{"different 2500 v"}));
      EXPECT_EQ(t.source_rows, 1000u);
    } else {
      EXPECT_EQ(Describe(t), (std::set<std::string>{"different k1900 v"}));
      EXPECT_EQ(t.source_rows, 1000u);
    }
  }
  // The run recorded both tables as done; a third run compares nothing.
  report = CompareData(o);
  ASSERT_TRUE(report.ok()) << report.status();
  for (const TableResult& t : report->tables) {
    EXPECT_TRUE(t.resumed_complete) << t.source_table;
    EXPECT_EQ(t.source_rows, 0u);
  }
  std::remove(path.c_str());
  // Without the file, everything is compared again.
  o.resume_file.clear();
  report = CompareData(o);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(Describe(report->tables[0]).size() + Describe(report->tables[1]).size(), 4u);
}

TEST_F(VerifierResumeTest, RecheckDropsDifferencesRepairedMeanwhile) {
  FakeClock clock;
  DataOptions o = Options();
  o.tables = {"db.t"};
  o.clock = &clock;
  o.recheck_rounds = 1;
  o.recheck_delay = absl::Seconds(5);
  absl::StatusOr<DataReport> report = absl::UnknownError("not run");
  std::thread run([&] { report = CompareData(o); });
  // The comparison is done and waits to recheck (a comparison that failed never waits).
  if (!clock.AwaitSleepersFor(1, absl::Minutes(1))) {
    run.join();
    FAIL() << "the comparison did not wait to recheck: "
           << (report.ok() && !report->tables.empty() ? report->tables[0].error
                                                      : report.status().ToString());
  }
  auto c = target_->Connect();
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(c->Execute("UPDATE db.t SET v = 'v10' WHERE id = 10").ok());
  clock.Advance(absl::Seconds(5));
  run.join();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(Describe(report->tables[0]), (std::set<std::string>{"different 2500 v"}));
}

}  // namespace
}  // namespace dcp::verifier
