// padder against real servers: a workload over every MariaDB column type on a throwaway
// source is replayed from its binlog files (and from the live source by GTID range) into an
// empty target with the same schema; CHECKSUM TABLE and a row-by-row comparison must equal
// the source. Also: idempotent re-runs, checkpoints, unterminated transactions, DDL, and the
// prepared-statement wrapper's type round trip.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mysql/binlog/file_reader.h"
#include "mysql/binlog/reader.h"
#include "mysql/statement.h"
#include "padder/engine.h"
#include "padder/mysql_target.h"
#include "tests/harness/every_type_rows.h"
#include "tests/harness/mariadb_server.h"
#include "tests/padder/padder_test_util.h"
#include "util/atomic_file.h"

namespace dcp::padder {
namespace {

using ::testing::HasSubstr;
using testing_util::BinlogFiles;
using testing_util::CopyTable;
using testing_util::ExpectSameTable;
using testing_util::MasterPosition;
using testing_util::RunEngine;
using testing_util::TempDir;

class PadderReplayTest : public ::testing::Test {
 protected:
  // A source and a target server (`args` and a larger packet size on both).
  void StartServers(std::vector<std::string> args) {
    args.push_back("--max-allowed-packet=64M");
    auto pair = testing::StartServerPair(91, std::move(args));
    ASSERT_TRUE(pair.ok()) << pair.status();
    source_ = std::move(pair->source);
    target_ = std::move(pair->target);
    src_ = testing_util::Connected(*source_);
    dst_ = testing_util::Connected(*target_);
    ASSERT_TRUE(src_ != nullptr && dst_ != nullptr);
    Exec("SET SESSION sql_mode=''");
    Exec("CREATE DATABASE w");
    dir_ = TempDir("replay");
  }

  void Exec(const std::string& sql) {
    const absl::Status s = src_->Execute(sql);
    ASSERT_TRUE(s.ok()) << s << "\n" << sql.substr(0, 300);
  }

  void CreateTables() {
    Exec(testing::EveryTypeCreateTable());
    Exec(
        "CREATE TABLE w.ck (a INT NOT NULL, b VARCHAR(20) NOT NULL, v BIGINT UNSIGNED, "
        "w DECIMAL(30,5), PRIMARY KEY (a, b)) ENGINE=InnoDB");
    Exec("CREATE TABLE w.nokey (x INT, y VARCHAR(10)) ENGINE=InnoDB");
    Exec(
        "CREATE TABLE w.gen (id INT PRIMARY KEY, a INT, b INT AS (a * 2) STORED, "
        "c INT AS (a + 1) VIRTUAL) ENGINE=InnoDB");
    for (const char* t : {"all_types", "ck", "nokey", "gen"}) CopyTable(*src_, *dst_, "w", t);
  }

  // The every-type workload of the binlog decoder's live test, plus composite keys, a table
  // without a key, generated columns, MINIMAL/NOBLOB images and a file rotation.
  void Workload(bool with_deletes) {
    for (const std::string& sql : testing::EveryTypeInserts()) Exec(sql);
    for (const std::string& sql : testing::EveryTypeUpdates()) Exec(sql);
    std::vector<std::string> values;
    for (int i = 0; i < 300; ++i) {
      values.push_back(
          absl::StrCat("(", i % 7, ", 'k", i, "', ", i * 1000003ull, ", ", -i, ".00", i % 10, ")"));
    }
    Exec(absl::StrCat("INSERT INTO w.ck VALUES ", absl::StrJoin(values, ",")));
    Exec("UPDATE w.ck SET v = v + 1, w = -w WHERE a IN (1, 3)");
    Exec("UPDATE w.ck SET b = CONCAT(b, '-x') WHERE a = 6");
    Exec("INSERT INTO w.nokey VALUES (1, 'a'), (2, 'b'), (3, NULL), (4, 'd')");
    Exec("UPDATE w.nokey SET y = 'bb' WHERE x = 2");
    Exec("INSERT INTO w.gen (id, a) VALUES (1, 10), (2, 20)");
    Exec("UPDATE w.gen SET a = 11 WHERE id = 1");
    Exec("BEGIN");
    Exec("INSERT INTO w.ck VALUES (100, 'tx', 1, 1), (101, 'tx', 2, 2)");
    Exec("UPDATE w.ck SET v = 3 WHERE a = 100");
    Exec("COMMIT");
    Exec("FLUSH BINARY LOGS");
    if (with_deletes) {
      Exec("DELETE FROM w.all_types WHERE id IN (1, 6)");
      Exec("DELETE FROM w.ck WHERE a = 2 OR b LIKE 'k4%'");
      Exec("DELETE FROM w.nokey WHERE x = 4");
      Exec("DELETE FROM w.gen WHERE id = 2");
    }
    Exec("SET SESSION binlog_row_image=MINIMAL");
    Exec("UPDATE w.all_types SET vc='minimal', tm6='-01:02:03.4' WHERE id=3");
    Exec("INSERT INTO w.all_types (id, vc) VALUES (7, 'minimal insert')");
    if (with_deletes) Exec("DELETE FROM w.all_types WHERE id=4");
    Exec("SET SESSION binlog_row_image=NOBLOB");
    Exec("UPDATE w.all_types SET vc='noblob', b=x'beef' WHERE id=5");
    Exec("UPDATE w.all_types SET vc='noblob2' WHERE id=3");
    Exec("SET SESSION binlog_row_image=FULL");
  }

  Options BaseOptions() {
    Options o;
    o.target = target_->Dsn();
    o.include = {"w.*"};
    o.enable_delete = true;
    o.conflict_log = dir_ + "/conflict.log";
    return o;
  }

  void ExpectAllSame() {
    ExpectSameTable(*src_, *dst_, "w.all_types", "id");
    ExpectSameTable(*src_, *dst_, "w.ck", "a, b");
    ExpectSameTable(*src_, *dst_, "w.nokey", "x, y");
    ExpectSameTable(*src_, *dst_, "w.gen", "id");
  }

  std::unique_ptr<testing::MariaDbServer> source_, target_;
  std::unique_ptr<mysql::Connection> src_, dst_;
  std::string dir_;
};

TEST_F(PadderReplayTest, EveryTypeFromFilesIdempotentWithCheckpoint) {
  // Default binlog_row_metadata (no column names nor signedness in the binlog).
  StartServers({});
  CreateTables();
  const Position start = MasterPosition(*src_);
  Workload(/*with_deletes=*/true);

  Options o = BaseOptions();
  o.binlog_files = BinlogFiles(*source_, *src_);
  ASSERT_EQ(o.binlog_files.size(), 2u);
  o.start_file = start.file;
  o.start_position = start.offset;
  o.checkpoint_file = dir_ + "/checkpoint";
  o.policy = ConflictPolicy::kFail;
  Engine::Result r = RunEngine(o);
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(r.stats.conflicts, 0u);
  EXPECT_EQ(r.stats.already_applied, 0u);
  EXPECT_GT(r.stats.transactions_applied, 20u);
  ExpectAllSame();
  const std::string checkpoint = testing_util::ReadFile(o.checkpoint_file);
  // After the last transaction: only non-transaction events (a binlog checkpoint written
  // asynchronously after the rotation) may follow it.
  auto cp = Checkpoint::Parse(checkpoint);
  ASSERT_TRUE(cp.ok()) << cp.status();
  const Position end = MasterPosition(*src_);
  EXPECT_EQ(cp->position.file, end.file);
  EXPECT_LE(cp->position.offset, end.offset);
  EXPECT_GT(cp->position.offset, end.offset - 200);

  // A re-run continues at the checkpoint: nothing left to apply.
  Engine::Result again = RunEngine(o);
  ASSERT_TRUE(again.status.ok()) << again.status;
  EXPECT_EQ(again.stats.transactions_applied, 0u);
  EXPECT_EQ(again.stats.write_events, 0u);

  ExpectAllSame();
}

TEST_F(PadderReplayTest, LiveSourceByGtidRange) {
  StartServers({"--binlog-row-metadata=FULL"});
  CreateTables();
  auto g0 = src_->QueryValue("SELECT @@gtid_binlog_pos");
  ASSERT_TRUE(g0.ok() && g0->has_value());
  Workload(/*with_deletes=*/false);
  auto g1 = src_->QueryValue("SELECT @@gtid_binlog_pos");
  ASSERT_TRUE(g1.ok() && g1->has_value());
  // The state at g1, then more changes after it.
  const auto at_g1 = testing_util::Rows(*src_, "w.ck", "a, b");
  const std::string sum_g1 = testing_util::Checksum(*src_, "w.all_types");
  Exec("INSERT INTO w.ck VALUES (200, 'late', 1, 1)");
  Exec("UPDATE w.all_types SET vc = 'late' WHERE id = 5");

  Options o = BaseOptions();
  o.source = source_->Dsn();
  o.source_server_id = 7001;
  o.gtid_start = **g0;
  o.gtid_stop = **g1;
  o.checkpoint_file = dir_ + "/checkpoint";
  Engine::Result r = RunEngine(o);
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(r.stats.conflicts, 0u);
  EXPECT_EQ(testing_util::Rows(*dst_, "w.ck", "a, b"), at_g1);
  EXPECT_EQ(testing_util::Checksum(*dst_, "w.all_types"), sum_g1);
  EXPECT_THAT(testing_util::ReadFile(o.checkpoint_file), HasSubstr("gtid=" + **g1));

  // From the checkpoint's GTID to the end of the live binlog.
  o.gtid_stop.clear();
  Engine::Result rest = RunEngine(o);
  ASSERT_TRUE(rest.status.ok()) << rest.status;
  EXPECT_EQ(rest.stats.transactions_applied, 2u);
  ExpectAllSame();
}

TEST_F(PadderReplayTest, UnterminatedTransactionAndDdl) {
  StartServers({});
  CreateTables();
  const Position start = MasterPosition(*src_);
  Exec("INSERT INTO w.ck VALUES (1, 'a', 1, 1)");
  Exec("BEGIN");
  Exec("INSERT INTO w.ck VALUES (2, 'b', 2, 2)");
  Exec("INSERT INTO w.ck VALUES (3, 'c', 3, 3)");
  Exec("COMMIT");
  Exec("CREATE TABLE w.later (id INT PRIMARY KEY)");
  Exec("INSERT INTO w.ck VALUES (4, 'd', 4, 4)");
  // The XID of the two-row transaction: stop right before it.
  Options o = BaseOptions();
  o.binlog_files = BinlogFiles(*source_, *src_);
  std::vector<uint64_t> xids;
  {
    mysql::binlog::FileReader::Options fo;
    fo.files = o.binlog_files;
    auto files = mysql::binlog::FileReader::Open(fo);
    ASSERT_TRUE(files.ok());
    mysql::binlog::EventReader reader(files->get());
    for (;;) {
      auto ev = reader.Next();
      ASSERT_TRUE(ev.ok()) << ev.status();
      if (*ev == nullptr) break;
      if (std::holds_alternative<mysql::binlog::XidEvent>((*ev)->body) &&
          (*ev)->offset > start.offset) {
        xids.push_back((*ev)->offset);
      }
    }
  }
  ASSERT_EQ(xids.size(), 3u);
  o.start_file = start.file;
  o.start_position = start.offset;
  o.stop_file = start.file;
  o.stop_position = xids[1];
  Engine::Result r = RunEngine(o);
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(r.stats.transactions_applied, 1u);
  EXPECT_EQ(r.stats.transactions_unterminated, 1u);
  EXPECT_EQ(testing_util::Pairs(*dst_, "w.ck"), "1:a");

  // Through the DDL: the run stops there with a clear message, after applying what preceded.
  o.stop_position.reset();
  o.stop_file.clear();
  o.checkpoint_file = dir_ + "/ddl-checkpoint";
  Engine::Result d = RunEngine(o);
  EXPECT_TRUE(absl::IsFailedPrecondition(d.status)) << d.status;
  EXPECT_THAT(std::string(d.status.message()), HasSubstr("DDL at"));
  EXPECT_THAT(std::string(d.status.message()), HasSubstr("CREATE TABLE w.later"));
  EXPECT_EQ(testing_util::Pairs(*dst_, "w.ck"), "1:a 2:b 3:c");
  // ddl = skip continues past it (the checkpoint makes the first transactions not re-run).
  o.ddl = DdlPolicy::kSkip;
  Engine::Result s = RunEngine(o);
  ASSERT_TRUE(s.status.ok()) << s.status;
  EXPECT_EQ(s.stats.ddl_skipped, 1u);
  EXPECT_EQ(s.stats.transactions_applied, 1u);
  EXPECT_EQ(testing_util::Pairs(*dst_, "w.ck"), "1:a 2:b 3:c 4:d");
}

TEST_F(PadderReplayTest, StatementBindsEveryParamKind) {
  StartServers({});
  Exec(
      "CREATE TABLE w.p (i BIGINT, u BIGINT UNSIGNED, f FLOAT, d DOUBLE, m DECIMAL(30,10),"
      " b VARBINARY(10), t VARCHAR(10), dt DATE, tm TIME(6), dtt DATETIME(6), n INT)");
  auto stmt = mysql::Statement::Prepare(*src_, "INSERT INTO w.p VALUES (?,?,?,?,?,?,?,?,?,?,?)");
  ASSERT_TRUE(stmt.ok()) << stmt.status();
  EXPECT_EQ(stmt->param_count(), 11u);
  mysql::Param date, time, datetime;
  date.kind = mysql::Param::Kind::kDate;
  date.year = 2024, date.month = 2, date.day = 29;
  time.kind = mysql::Param::Kind::kTime;
  time.hour = 838, time.minute = 59, time.second = 58, time.microsecond = 999999;
  time.negative = true;
  datetime.kind = mysql::Param::Kind::kDateTime;
  datetime.year = 9999, datetime.month = 12, datetime.day = 31, datetime.hour = 23;
  datetime.minute = 59, datetime.second = 59, datetime.microsecond = 1;
  const std::vector<mysql::Param> params = {
      mysql::Param::Int(-9223372036854775807LL - 1),
      mysql::Param::Uint(18446744073709551615ULL),
      mysql::Param::Float(0.1f),
      mysql::Param::Double(-1.7976931348623157e308),
      mysql::Param::Decimal("-12345678901234567890.0123456789"),
      mysql::Param::Bytes(std::string("\0\xff'\"\\", 5)),
      mysql::Param::Text("κόσμε"),
      date,
      time,
      datetime,
      mysql::Param::Null()};
  ASSERT_TRUE(stmt->Execute(params).ok());
  EXPECT_EQ(stmt->affected_rows(), 1u);
  EXPECT_FALSE(stmt->Execute({mysql::Param::Int(1)}).ok());  // wrong parameter count
  auto q = mysql::Statement::Prepare(
      *src_, "SELECT i, u, f = ?, d, m, HEX(b), t, dt, tm, dtt, n, REPEAT('x', 1000) FROM w.p");
  ASSERT_TRUE(q.ok()) << q.status();
  auto rows = q->Query({mysql::Param::Float(0.1f)});
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0],
            (mysql::Row{"-9223372036854775808", "18446744073709551615", "1",
                        "-1.7976931348623157e308", "-12345678901234567890.0123456789", "00FF27225C",
                        "κόσμε", "2024-02-29", "-838:59:58.999999", "9999-12-31 23:59:59.000001",
                        std::nullopt, std::string(1000, 'x')}));
}

}  // namespace
}  // namespace dcp::padder
