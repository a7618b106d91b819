// padder's conflict handling against real servers: each conflict kind under each policy,
// enable-delete off and on, preview statistics of a hand-counted seeded case (through the
// padder binary and padder.toml), and interruption (stop after N transactions; SIGKILL)
// followed by a re-run: same end state, no duplicate.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "padder/engine.h"
#include "padder/mysql_target.h"
#include "tests/harness/mariadb_server.h"
#include "tests/harness/server_util.h"
#include "tests/padder/padder_test_util.h"
#include "util/atomic_file.h"

namespace dcp::padder {
namespace {

using ::testing::HasSubstr;
using testing_util::BinlogFiles;
using testing_util::MasterPosition;
using testing_util::Pairs;
using testing_util::ReadFile;
using testing_util::RunEngine;

std::string PadderBinary() { return testing::ToolPath("padder"); }

class PadderConflictTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto pair = testing::StartServerPair(93);
    ASSERT_TRUE(pair.ok()) << pair.status();
    source_ = pair->source.release();
    target_ = pair->target.release();
  }
  static void TearDownTestSuite() {
    delete source_;
    delete target_;
  }

  void SetUp() override {
    src_ = testing_util::Connected(*source_);
    dst_ = testing_util::Connected(*target_);
    ASSERT_TRUE(src_ != nullptr && dst_ != nullptr);
    dir_ = testing_util::TempDir(::testing::UnitTest::GetInstance()->current_test_info()->name());
  }

  static void Exec(mysql::Connection& c, const std::string& sql) {
    const absl::Status s = c.Execute(sql);
    ASSERT_TRUE(s.ok()) << s << "\n" << sql;
  }

  // The seeded case. Before the start position the source holds 3:c 4:d 5:e 6:f. Then:
  //   T1 insert 1:a      target has 1:a   -> already applied
  //   T2 insert 2:b      target has 2:X   -> insert_exists
  //   T3 update 3 c->c2  target lacks 3   -> update_missing
  //   T4 update 4 d->d2  target has 4:Y   -> update_differs
  //   T5 delete 5:e      target lacks 5   -> delete_missing
  //   T6 delete 6:f      target has 6:Z   -> delete_differs
  //   T7 insert 7:g                       -> applied
  //   T8 delete 7:g                       -> applied (with enable-delete)
  //   T9 insert u 1, T10 insert u 2       (table c.u does not exist on the target)
  void SeedSource() {
    if (seeded_) return;
    Exec(*src_, "CREATE DATABASE c");
    Exec(*src_, "CREATE TABLE c.c (id INT PRIMARY KEY, v VARCHAR(10))");
    Exec(*src_, "CREATE TABLE c.u (id INT PRIMARY KEY)");
    Exec(*src_, "INSERT INTO c.c VALUES (3, 'c'), (4, 'd'), (5, 'e'), (6, 'f')");
    start_ = MasterPosition(*src_);
    for (const char* sql :
         {"INSERT INTO c.c VALUES (1, 'a')", "INSERT INTO c.c VALUES (2, 'b')",
          "UPDATE c.c SET v = 'c2' WHERE id = 3", "UPDATE c.c SET v = 'd2' WHERE id = 4",
          "DELETE FROM c.c WHERE id = 5", "DELETE FROM c.c WHERE id = 6",
          "INSERT INTO c.c VALUES (7, 'g')", "DELETE FROM c.c WHERE id = 7",
          "INSERT INTO c.u VALUES (1)", "INSERT INTO c.u VALUES (2)"}) {
      Exec(*src_, sql);
    }
    end_ = MasterPosition(*src_);
    seeded_ = true;
  }

  void SeedTarget() {
    Exec(*dst_, "DROP DATABASE IF EXISTS c");
    Exec(*dst_, "CREATE DATABASE c");
    Exec(*dst_, "CREATE TABLE c.c (id INT PRIMARY KEY, v VARCHAR(10))");
    Exec(*dst_, "INSERT INTO c.c VALUES (1, 'a'), (2, 'X'), (4, 'Y'), (6, 'Z')");
  }

  Options Base(ConflictPolicy policy, bool enable_delete) {
    Options o;
    o.binlog_files = BinlogFiles(*source_, *src_);
    o.start_file = start_.file;
    o.start_position = start_.offset;
    o.stop_file = end_.file;
    o.stop_position = end_.offset;
    o.target = target_->Dsn();
    o.include = {"c.c"};
    o.policy = policy;
    o.enable_delete = enable_delete;
    o.conflict_log = dir_ + "/conflict.log";
    return o;
  }

  std::vector<std::string> LogKinds(const std::string& path) {
    std::vector<std::string> kinds;
    for (absl::string_view line : absl::StrSplit(ReadFile(path), '\n', absl::SkipEmpty())) {
      const size_t k = line.find("\"kind\":\"");
      if (k == absl::string_view::npos) continue;
      const size_t e = line.find('"', k + 8);
      kinds.emplace_back(line.substr(k + 8, e - k - 8));
    }
    return kinds;
  }

  static testing::MariaDbServer* source_;
  static testing::MariaDbServer* target_;
  static bool seeded_;
  static Position start_, end_;
  std::unique_ptr<mysql::Connection> src_, dst_;
  std::string dir_;
};

testing::MariaDbServer* PadderConflictTest::source_ = nullptr;
testing::MariaDbServer* PadderConflictTest::target_ = nullptr;
bool PadderConflictTest::seeded_ = false;
Position PadderConflictTest::start_, PadderConflictTest::end_;

const std::vector<std::string> kAllKinds = {"insert_exists", "update_missing", "update_differs",
                                            "delete_missing", "delete_differs"};

TEST_F(PadderConflictTest, SkipWithDeletes) {
  SeedSource();
  SeedTarget();
  Engine::Result r = RunEngine(Base(ConflictPolicy::kSkip, true));
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(Pairs(*dst_, "c.c"), "1:a 2:X 4:Y 6:Z");
  EXPECT_EQ(r.stats.conflicts, 5u);
  EXPECT_EQ(r.stats.already_applied, 1u);
  EXPECT_EQ(r.stats.write_events, 8u);
  EXPECT_EQ(LogKinds(dir_ + "/conflict.log"), kAllKinds);
  for (const std::string& k : kAllKinds) EXPECT_EQ(r.stats.conflicts_by_kind[k], 1u) << k;
  // The conflict record: table, key, kind, images, the target row, the position.
  const std::string log = ReadFile(dir_ + "/conflict.log");
  EXPECT_THAT(log, HasSubstr("{\"table\":\"c.c\",\"kind\":\"insert_exists\",\"op\":\"insert\","
                             "\"key\":{\"id\":2},\"before\":null,\"after\":{\"id\":2,\"v\":\"b\"},"
                             "\"target\":{\"id\":\"2\",\"v\":\"X\"},\"position\":\""));
  EXPECT_THAT(log, HasSubstr("\"kind\":\"update_differs\",\"op\":\"update\",\"key\":{\"id\":4},"
                             "\"before\":{\"id\":4,\"v\":\"d\"},\"after\":{\"id\":4,\"v\":\"d2\"},"
                             "\"target\":{\"id\":\"4\",\"v\":\"Y\"}"));
  EXPECT_THAT(log, HasSubstr("\"kind\":\"delete_missing\",\"op\":\"delete\",\"key\":{\"id\":5},"
                             "\"before\":{\"id\":5,\"v\":\"e\"},\"after\":null,\"target\":null"));
}

TEST_F(PadderConflictTest, OverrideWithDeletesThenIdempotentRerun) {
  SeedSource();
  SeedTarget();
  Engine::Result r = RunEngine(Base(ConflictPolicy::kOverride, true));
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(Pairs(*dst_, "c.c"), "1:a 2:b 3:c2 4:d2");
  EXPECT_EQ(r.stats.conflicts, 5u);
  EXPECT_EQ(LogKinds(dir_ + "/conflict.log"), kAllKinds);
  // The target now equals the source: the same range again leaves it so.
  EXPECT_EQ(Pairs(*dst_, "c.c"), Pairs(*src_, "c.c"));
  Engine::Result again = RunEngine(Base(ConflictPolicy::kSkip, true));
  ASSERT_TRUE(again.status.ok()) << again.status;
  EXPECT_EQ(Pairs(*dst_, "c.c"), "1:a 2:b 3:c2 4:d2");
  EXPECT_EQ(again.stats.already_applied, 4u);  // T1 T2 T3 T4
}

TEST_F(PadderConflictTest, DeletesOnlyWithEnableDelete) {
  SeedSource();
  SeedTarget();
  Engine::Result r = RunEngine(Base(ConflictPolicy::kOverride, false));
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(Pairs(*dst_, "c.c"), "1:a 2:b 3:c2 4:d2 6:Z 7:g");
  EXPECT_EQ(r.stats.conflicts, 3u);
  EXPECT_EQ(r.stats.tables["c.c"].deletes_skipped, 3u);
  SeedTarget();
  Engine::Result s = RunEngine(Base(ConflictPolicy::kSkip, false));
  ASSERT_TRUE(s.status.ok()) << s.status;
  EXPECT_EQ(Pairs(*dst_, "c.c"), "1:a 2:X 4:Y 6:Z 7:g");
}

TEST_F(PadderConflictTest, FailStopsAtEachKindWithCheckpointAtLastApplied) {
  SeedSource();
  SeedTarget();
  Options o = Base(ConflictPolicy::kFail, true);
  o.checkpoint_file = dir_ + "/checkpoint";
  // Each run stops at the next conflict; the operator fixes that row; the next run resumes.
  const std::vector<std::pair<std::string, std::string>> steps = {
      {"insert_exists", "UPDATE c.c SET v = 'b' WHERE id = 2"},
      {"update_missing", "INSERT INTO c.c VALUES (3, 'c')"},
      {"update_differs", "UPDATE c.c SET v = 'd' WHERE id = 4"},
      {"delete_missing", "INSERT INTO c.c VALUES (5, 'e')"},
      {"delete_differs", "UPDATE c.c SET v = 'f' WHERE id = 6"},
  };
  const std::vector<std::string> targets = {"1:a 2:X 4:Y 6:Z", "1:a 2:b 4:Y 6:Z",
                                            "1:a 2:b 3:c2 4:Y 6:Z", "1:a 2:b 3:c2 4:d2 6:Z",
                                            "1:a 2:b 3:c2 4:d2 6:Z"};  // T5 applied
  for (size_t i = 0; i < steps.size(); ++i) {
    SCOPED_TRACE(steps[i].first);
    Engine::Result r = RunEngine(o);
    EXPECT_TRUE(absl::IsAborted(r.status)) << r.status;
    EXPECT_THAT(std::string(r.status.message()), HasSubstr(steps[i].first));
    EXPECT_EQ(LogKinds(dir_ + "/conflict.log").back(), steps[i].first);
    EXPECT_EQ(Pairs(*dst_, "c.c"), targets[i]);
    // The checkpoint: after T1..T(i+1), the transactions before the failing one.
    auto c = Checkpoint::Parse(ReadFile(o.checkpoint_file));
    ASSERT_TRUE(c.ok()) << c.status();
    EXPECT_EQ(c->transactions, i + 1);
    Exec(*dst_, steps[i].second);
  }
  Engine::Result done = RunEngine(o);
  ASSERT_TRUE(done.status.ok()) << done.status;
  EXPECT_EQ(Pairs(*dst_, "c.c"), "1:a 2:b 3:c2 4:d2");
  EXPECT_EQ(Pairs(*dst_, "c.c"), Pairs(*src_, "c.c"));
}

TEST_F(PadderConflictTest, PreviewStatisticsOfTheSeededCase) {
  SeedSource();
  SeedTarget();
  const std::string toml = absl::StrCat(
      "[padder]\n"
      "binlog-list = [\"",
      absl::StrJoin(BinlogFiles(*source_, *src_), "\", \""),
      "\"]\n"
      "enable-delete = true\n"
      "conflict-policy = \"skip\"\n"
      "stats-file = \"",
      dir_,
      "/stats.json\"\n"
      "conflict-log = \"",
      dir_,
      "/conflict.log\"\n"
      "[padder.mysql.target]\n"
      "host = \"127.0.0.1\"\nusername = \"dcp\"\npassword = \"dcp\"\nport = ",
      target_->port(),
      "\nschema = \"c\"\n"
      "[padder.mysql.start-position]\n"
      "binlog-name = \"",
      start_.file, "\"\nbinlog-pos = ", start_.offset,
      "\n"
      "[padder.mysql.stop-position]\n"
      "binlog-name = \"",
      end_.file, "\"\nbinlog-pos = ", end_.offset, "\n");
  ASSERT_TRUE(WriteFileAtomically(dir_ + "/padder.toml", toml).ok());
  const std::string cmd = absl::StrCat(PadderBinary(), " --config ", dir_,
                                       "/padder.toml --preview > ", dir_, "/out.txt 2>&1");
  ASSERT_EQ(std::system(cmd.c_str()), 0) << ReadFile(dir_ + "/out.txt");
  // Hand count: 10 row changes (8 of c.c, 2 of c.u), 5 conflicts, 2 rows of a table the
  // target lacks.
  const std::string stats = ReadFile(dir_ + "/stats.json");
  EXPECT_THAT(stats, HasSubstr("\"WriteEventCount\": 10,"));
  EXPECT_THAT(stats, HasSubstr("\"ConflictRatio\": 0.500000,"));
  EXPECT_THAT(stats, HasSubstr("\"UnknownRatio\": 0.200000,"));
  EXPECT_THAT(stats, HasSubstr("\"ConflictsByKind\": {\"delete_differs\": 1, \"delete_missing\": "
                               "1, \"insert_exists\": 1, \"update_differs\": 1, "
                               "\"update_missing\": 1}"));
  EXPECT_THAT(stats, HasSubstr("\"c.c\": {\"inserts\": 3, \"updates\": 2, \"deletes\": 3,"));
  EXPECT_THAT(stats, HasSubstr("\"c.u\": {\"inserts\": 2, \"updates\": 0, \"deletes\": 0,"));
  // Nothing applied, no conflict log written.
  EXPECT_EQ(Pairs(*dst_, "c.c"), "1:a 2:X 4:Y 6:Z");
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/conflict.log"));
  // Without --preview the same file applies (c.u is missing on the target: an error).
  const std::string apply =
      absl::StrCat(PadderBinary(), " --config ", dir_, "/padder.toml > ", dir_, "/out2.txt 2>&1");
  EXPECT_NE(std::system(apply.c_str()), 0);
  EXPECT_THAT(ReadFile(dir_ + "/out2.txt"), HasSubstr("c.u does not exist on the target"));
}

TEST_F(PadderConflictTest, StopAfterNTransactionsAndKillThenRerun) {
  Exec(*src_, "CREATE DATABASE IF NOT EXISTS k");
  Exec(*src_, "CREATE TABLE k.big (id INT PRIMARY KEY, v VARCHAR(20), n INT)");
  Exec(*src_,
       "CREATE PROCEDURE k.fill(n INT) BEGIN DECLARE i INT DEFAULT 0; WHILE i < n DO "
       "INSERT INTO k.big VALUES (i, CONCAT('v', i), i); IF i % 10 = 0 THEN UPDATE k.big SET n = "
       "n + 1 WHERE id = i; END IF; SET i = i + 1; END WHILE; END");
  const Position start = MasterPosition(*src_);
  Exec(*src_, "CALL k.fill(4000)");
  const Position end = MasterPosition(*src_);
  Exec(*dst_, "CREATE DATABASE IF NOT EXISTS k");
  Exec(*dst_, "CREATE TABLE k.big (id INT PRIMARY KEY, v VARCHAR(20), n INT)");
  const uint64_t total = 4400;
  const std::string toml = absl::StrCat(
      "[padder]\n"
      "binlog-list = [\"",
      absl::StrJoin(BinlogFiles(*source_, *src_), "\", \""),
      "\"]\n"
      "conflict-policy = \"fail\"\n"
      "checkpoint-file = \"",
      dir_,
      "/checkpoint\"\n"
      "conflict-log = \"",
      dir_,
      "/conflict.log\"\n"
      "max-transactions = 7\n"
      "[padder.mysql.target]\n"
      "host = \"127.0.0.1\"\nusername = \"dcp\"\npassword = \"dcp\"\nport = ",
      target_->port(),
      "\nschema = \"k\"\n"
      "[padder.mysql.start-position]\n"
      "binlog-name = \"",
      start.file, "\"\nbinlog-pos = ", start.offset,
      "\n"
      "[padder.mysql.stop-position]\n"
      "binlog-name = \"",
      end.file, "\"\nbinlog-pos = ", end.offset, "\n");
  ASSERT_TRUE(WriteFileAtomically(dir_ + "/padder.toml", toml).ok());
  const std::string cmd =
      absl::StrCat(PadderBinary(), " --config ", dir_, "/padder.toml > ", dir_, "/out.txt 2>&1");
  // Stop after 7 transactions: ids 0..6 (id 0's update is the second transaction).
  ASSERT_EQ(std::system(cmd.c_str()), 0) << ReadFile(dir_ + "/out.txt");
  EXPECT_THAT(ReadFile(dir_ + "/checkpoint"), HasSubstr("transactions=7\n"));
  EXPECT_EQ(*dst_->QueryValue("SELECT COUNT(*) FROM k.big"), "6");

  // Without the limit, killed mid-run.
  std::string unlimited = toml;
  unlimited.replace(unlimited.find("max-transactions = 7"), 20, "max-transactions = 0");
  ASSERT_TRUE(WriteFileAtomically(dir_ + "/padder.toml", unlimited).ok());
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const std::string conf = dir_ + "/padder.toml";
    execl(PadderBinary().c_str(), "padder", "--config", conf.c_str(), "--no-progress",
          static_cast<char*>(nullptr));
    _exit(127);
  }
  uint64_t seen = 0;
  for (int i = 0; i < 6000 && seen < 300; ++i) {
    usleep(5000);
    auto c = Checkpoint::Parse(ReadFile(dir_ + "/checkpoint"));
    if (c.ok()) seen = c->transactions;
  }
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "padder finished before it was killed";
  auto killed_at = Checkpoint::Parse(ReadFile(dir_ + "/checkpoint"));
  ASSERT_TRUE(killed_at.ok());
  EXPECT_LT(killed_at->transactions, total);
  EXPECT_GE(killed_at->transactions, 300u);

  // The re-run continues at the checkpoint: the same end state as the source, no duplicate,
  // no conflict (the fail policy would have stopped it).
  ASSERT_EQ(std::system(cmd.c_str()), 0) << ReadFile(dir_ + "/out.txt");
  EXPECT_THAT(ReadFile(dir_ + "/out.txt"), HasSubstr("resuming at"));
  EXPECT_THAT(ReadFile(dir_ + "/checkpoint"), HasSubstr(absl::StrCat("transactions=", total)));
  testing_util::ExpectSameTable(*src_, *dst_, "k.big", "id");
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/conflict.log"));
}

// Runs of updates and deletes of one keyed table inside a source transaction are checked by
// one probe and applied by one statement when every row equals its before image; a missing or
// differing row inside a run makes the run go row by row, with the same results and the same
// conflicts as unbatched. A key twice in a run (T3) makes the probe's count short, so the run
// goes row by row; key changes (T4) and updates of a table with a second unique key (T5) are
// never batched.
class PadderBatchTest : public PadderConflictTest {
 protected:
  void SeedBatchSource() {
    if (batch_seeded_) return;
    Exec(*src_, "CREATE DATABASE b");
    Exec(*src_, "CREATE TABLE b.b (id INT PRIMARY KEY, v VARCHAR(10), n INT)");
    Exec(*src_,
         "CREATE TABLE b.u (id INT PRIMARY KEY, email VARCHAR(10) NOT NULL, v VARCHAR(10), "
         "UNIQUE KEY (email))");
    Exec(*src_, "USE b");  // seq_1_to_N resolves in the current database
    Exec(*src_, "INSERT INTO b.b SELECT seq, CONCAT('v', seq), seq FROM seq_1_to_12");
    Exec(*src_, "INSERT INTO b.u VALUES (1, 'a', 'x'), (2, 'b', 'y')");
    batch_start_ = MasterPosition(*src_);
    // T1: 8 updates; T2: 4 deletes; T3: the same key twice in a row, then another key;
    // T4: two key changes; T5: updates of a table with a second unique key.
    Exec(*src_, "UPDATE b.b SET v = CONCAT(v, 'u'), n = n + 100 WHERE id BETWEEN 1 AND 8");
    Exec(*src_, "DELETE FROM b.b WHERE id BETWEEN 9 AND 12");
    for (const char* sql :
         {"START TRANSACTION", "UPDATE b.b SET v = 'p' WHERE id = 1",
          "UPDATE b.b SET v = 'q' WHERE id = 1", "UPDATE b.b SET v = 'r' WHERE id = 2", "COMMIT"}) {
      Exec(*src_, sql);
    }
    Exec(*src_, "UPDATE b.b SET id = id + 100 WHERE id IN (7, 8) ORDER BY id");
    for (const char* sql : {"START TRANSACTION", "UPDATE b.u SET v = 'x2' WHERE id = 1",
                            "UPDATE b.u SET email = 'c' WHERE id = 2", "COMMIT"}) {
      Exec(*src_, sql);
    }
    batch_end_ = MasterPosition(*src_);
    batch_seeded_ = true;
  }

  // The target as the source was at the start; with `conflicts`, rows changed so that T1 meets
  // a missing and a differing row in its middle, T2 likewise, and T5 a taken email.
  void SeedBatchTarget(bool conflicts) {
    Exec(*dst_, "DROP DATABASE IF EXISTS b");
    CopyTables();  // and USE b
    Exec(*dst_, "INSERT INTO b.b SELECT seq, CONCAT('v', seq), seq FROM seq_1_to_12");
    Exec(*dst_, "INSERT INTO b.u VALUES (1, 'a', 'x'), (2, 'b', 'y')");
    if (!conflicts) return;
    Exec(*dst_, "DELETE FROM b.b WHERE id IN (4, 10)");
    Exec(*dst_, "UPDATE b.b SET v = 'X' WHERE id = 6");
    Exec(*dst_, "UPDATE b.b SET v = 'Y' WHERE id = 11");
    Exec(*dst_, "INSERT INTO b.u VALUES (3, 'c', 'z')");
  }

  void CopyTables() {
    testing_util::CopyTable(*src_, *dst_, "b", "b");
    testing_util::CopyTable(*src_, *dst_, "b", "u");
  }

  Options BatchOptions(ConflictPolicy policy) {
    Options o = Base(policy, true);
    o.start_file = batch_start_.file;
    o.start_position = batch_start_.offset;
    o.stop_file = batch_end_.file;
    o.stop_position = batch_end_.offset;
    o.include = {"b.*"};
    o.checkpoint_file = dir_ + "/checkpoint";
    return o;
  }

  static bool batch_seeded_;
  static Position batch_start_, batch_end_;
};

bool PadderBatchTest::batch_seeded_ = false;
Position PadderBatchTest::batch_start_, PadderBatchTest::batch_end_;

TEST_F(PadderBatchTest, CleanRunsApplyExactly) {
  SeedBatchSource();
  SeedBatchTarget(false);
  Engine::Result r = RunEngine(BatchOptions(ConflictPolicy::kFail));
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(r.stats.conflicts, 0u);
  EXPECT_EQ(r.stats.write_events, 19u);
  EXPECT_EQ(r.stats.tables["b.b"].applied, 17u);
  EXPECT_EQ(r.stats.tables["b.u"].applied, 2u);
  testing_util::ExpectSameTable(*src_, *dst_, "b.b", "id");
  testing_util::ExpectSameTable(*src_, *dst_, "b.u", "id");
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/conflict.log"));
  // Again with the checkpoint: nothing left to apply.
  Engine::Result r2 = RunEngine(BatchOptions(ConflictPolicy::kFail));
  ASSERT_TRUE(r2.status.ok()) << r2.status;
  EXPECT_EQ(r2.stats.write_events, 0u);
  testing_util::ExpectSameTable(*src_, *dst_, "b.b", "id");
}

TEST_F(PadderBatchTest, ConflictsInsideRunsSkip) {
  SeedBatchSource();
  SeedBatchTarget(true);
  Engine::Result r = RunEngine(BatchOptions(ConflictPolicy::kSkip));
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(LogKinds(dir_ + "/conflict.log"),
            (std::vector<std::string>{"update_missing", "update_differs", "delete_missing",
                                      "delete_differs", "update_key_exists"}));
  EXPECT_EQ(r.stats.conflicts, 5u);
  EXPECT_EQ(Pairs(*dst_, "b.b"), "1:q 2:r 3:v3u 5:v5u 6:X 11:Y 107:v7u 108:v8u");
  EXPECT_EQ(*dst_->QueryValue("SELECT GROUP_CONCAT(n ORDER BY id) FROM b.b"),
            "101,102,103,105,6,11,107,108");
  EXPECT_EQ(Pairs(*dst_, "b.u"), "1:a 2:b 3:c");
  EXPECT_THAT(ReadFile(dir_ + "/conflict.log"),
              HasSubstr("\"kind\":\"update_differs\",\"op\":\"update\",\"key\":{\"id\":6},"
                        "\"before\":{\"id\":6,\"v\":\"v6\",\"n\":6},\"after\":{\"id\":6,\"v\":"
                        "\"v6u\",\"n\":106},\"target\":{\"id\":\"6\",\"v\":\"X\",\"n\":\"6\"}"));
}

TEST_F(PadderBatchTest, ConflictsInsideRunsOverride) {
  SeedBatchSource();
  SeedBatchTarget(true);
  Engine::Result r = RunEngine(BatchOptions(ConflictPolicy::kOverride));
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(r.stats.conflicts, 5u);
  testing_util::ExpectSameTable(*src_, *dst_, "b.b", "id");
  testing_util::ExpectSameTable(*src_, *dst_, "b.u", "id");
}

TEST_F(PadderBatchTest, ConflictInsideRunFailsWithNothingOfTheTransactionApplied) {
  SeedBatchSource();
  SeedBatchTarget(true);
  Options o = BatchOptions(ConflictPolicy::kFail);
  Engine::Result r = RunEngine(o);
  EXPECT_TRUE(absl::IsAborted(r.status)) << r.status;
  EXPECT_THAT(std::string(r.status.message()), HasSubstr("update_missing on b.b key {\"id\":4}"));
  // Rows 1..3 come before the missing row in T1's run: rolled back with it.
  EXPECT_EQ(Pairs(*dst_, "b.b"), "1:v1 2:v2 3:v3 5:v5 6:X 7:v7 8:v8 9:v9 11:Y 12:v12");
  EXPECT_EQ(LogKinds(dir_ + "/conflict.log"), (std::vector<std::string>{"update_missing"}));
  EXPECT_FALSE(std::filesystem::exists(o.checkpoint_file));
  // The operator restores row 4; the re-run stops at the next conflict, inside the same run.
  Exec(*dst_, "INSERT INTO b.b VALUES (4, 'v4', 4)");
  r = RunEngine(o);
  EXPECT_TRUE(absl::IsAborted(r.status)) << r.status;
  EXPECT_THAT(std::string(r.status.message()), HasSubstr("update_differs on b.b key {\"id\":6}"));
  EXPECT_EQ(Pairs(*dst_, "b.b"), "1:v1 2:v2 3:v3 4:v4 5:v5 6:X 7:v7 8:v8 9:v9 11:Y 12:v12");
}

}  // namespace
}  // namespace dcp::padder
