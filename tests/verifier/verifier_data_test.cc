// `verifier data` against two independent throwaway MariaDB servers loaded with the same rows,
// then made to differ in known ways: every seeded difference is found and nothing else is
// reported; compatible types compare equal; fix SQL makes a second run identical; the command
// line exits 0 / 1 / 2 and writes JSON, JUnit and resume files.
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/harness/mariadb_server.h"
#include "tests/harness/server_util.h"
#include "tests/verifier/verifier_test_util.h"
#include "verifier/cli.h"
#include "verifier/data_compare.h"
#include "verifier/data_report.h"

namespace dcp::verifier {
namespace {

using ::testing::HasSubstr;

constexpr int kTypesRows = 3000;

// Identical DDL and rows on both sides.
const char* kSetup[] = {
    "CREATE DATABASE db",
    R"(CREATE TABLE db.types (
      id INT PRIMARY KEY, ti TINYINT, bi BIGINT UNSIGNED, f FLOAT, d DOUBLE, de DECIMAL(12,4),
      dt DATETIME(6), ts TIMESTAMP(3) NULL, dd DATE, tm TIME(2), yr YEAR, c CHAR(10),
      vc VARCHAR(50), tx TEXT, bl BLOB, vb VARBINARY(20), j JSON, e ENUM('a','b','c'),
      st SET('x','y'), bt BIT(8)))",
    R"(INSERT INTO db.types SELECT seq, seq % 100, seq * 1000003, seq / 3, seq / 7,
      seq / 9, TIMESTAMP('2020-01-01') + INTERVAL seq SECOND + INTERVAL seq MICROSECOND,
      TIMESTAMP('2021-01-01') + INTERVAL seq MINUTE, DATE('2000-01-01') + INTERVAL seq DAY,
      SEC_TO_TIME(seq), 1901 + seq % 200, CONCAT('c', seq), CONCAT('v', seq),
      REPEAT('t', seq % 50), UNHEX(HEX(seq)), UNHEX(LPAD(HEX(seq), 8, '0')),
      JSON_OBJECT('n', seq), ELT(1 + seq % 3, 'a', 'b', 'c'), 'x,y', seq % 256
      FROM db.seq_1_to_3000)",
    R"(CREATE TABLE db.comp (region VARCHAR(10), code VARCHAR(20), seq INT, val INT,
      PRIMARY KEY (region, code, seq)))",
    R"(INSERT INTO db.comp SELECT ELT(1 + s.seq % 3, 'ap', 'eu', 'us'), CONCAT('c', s.seq % 97),
      s.seq, s.seq * 2 FROM db.seq_1_to_2000 s)",
    R"(CREATE TABLE db.uk (a INT NOT NULL, b VARCHAR(5) NOT NULL, v INT, n INT NULL,
      UNIQUE KEY u_n (n), UNIQUE KEY u_ba (b, a)))",
    "INSERT INTO db.uk SELECT seq, CHAR(65 + seq % 26), seq, seq FROM db.seq_1_to_500",
    "CREATE TABLE db.empty_target (id INT PRIMARY KEY, v INT)",
    "INSERT INTO db.empty_target SELECT seq, seq FROM db.seq_1_to_40",
    "CREATE TABLE db.empty_source (id INT PRIMARY KEY, v INT)",
    "CREATE TABLE db.same (id BIGINT PRIMARY KEY, v VARCHAR(20))",
    "INSERT INTO db.same SELECT seq, CONCAT('same', seq) FROM db.seq_1_to_5000",
    "CREATE TABLE db.cols (id INT PRIMARY KEY, a INT)",
    "INSERT INTO db.cols VALUES (1, 1), (2, 2)",
    "CREATE TABLE db.nokey (a INT, b INT)",
    "INSERT INTO db.nokey VALUES (1, 1), (1, 1), (2, NULL)",
};

// Source DDL for compatible-but-different types; the target gets kCompatTarget.
constexpr char kCompatSource[] =
    "CREATE TABLE db.compat (id INT PRIMARY KEY, i INT, s VARCHAR(20) CHARACTER SET utf8mb3, "
    "de DECIMAL(10,2), dt DATETIME, f DOUBLE)";
constexpr char kCompatTarget[] =
    "CREATE TABLE db.compat (id BIGINT PRIMARY KEY, i BIGINT, s VARCHAR(40) CHARACTER SET "
    "utf8mb4, de DECIMAL(14,4), dt DATETIME(3), f DOUBLE)";
constexpr char kCompatRows[] =
    "INSERT INTO db.compat SELECT seq, seq * 3, CONCAT('h\xc3\xa9', seq), seq / 4, "
    "TIMESTAMP('2022-02-02') + INTERVAL seq HOUR, seq / 8 FROM db.seq_1_to_1000";

struct Seed {
  std::string table;
  int id;
  std::string column;  // "" for missing/extra
  std::string source_sql;
  std::string target_sql;
};

// Each row difference: a statement per side (either may be empty).
std::vector<Seed> TypeSeeds() {
  auto upd = [](int id, const std::string& col, const std::string& sv, const std::string& tv) {
    return Seed{"db.types", id, col,
                absl::StrCat("UPDATE db.types SET ", col, " = ", sv, " WHERE id = ", id),
                absl::StrCat("UPDATE db.types SET ", col, " = ", tv, " WHERE id = ", id)};
  };
  return {
      upd(1, "ti", "1", "2"),  // first row
      upd(10, "vc", "''", "NULL"),
      upd(11, "vc", "'x'", "'x '"),
      upd(12, "f", "1.5", "1.5000001"),
      upd(13, "d", "0.1", "0.1000000000000001"),
      upd(14, "de", "1.2345", "1.2346"),
      upd(15, "dt", "'2020-01-01 00:00:00.000001'", "'2020-01-01 00:00:00.000002'"),
      upd(16, "ts", "'2021-01-01 00:00:00.001'", "'2021-01-01 00:00:00.002'"),
      upd(17, "j", "'{\"a\": 1}'", "'{\"a\": 2}'"),
      upd(18, "bl", "x'00ff'", "x'00fe'"),
      upd(19, "vb", "x'0000'", "x'000000'"),
      upd(20, "bi", "18446744073709551615", "18446744073709551614"),
      upd(21, "dd", "'2001-01-01'", "'2001-01-02'"),
      upd(22, "tm", "'10:00:00.01'", "'10:00:00.02'"),
      upd(23, "yr", "2001", "2002"),
      upd(24, "c", "'abc'", "'abd'"),
      upd(25, "tx", "'long text'", "'long text.'"),
      upd(26, "e", "'a'", "'b'"),
      upd(27, "st", "'x'", "'y'"),
      upd(28, "bt", "b'00000001'", "b'00000010'"),
      upd(29, "tx", "NULL", "''"),
      upd(30, "f", "NULL", "0"),
      // The same edit in two rows: cancels out under BIT_XOR of CRC32(row text), not here.
      upd(40, "c", "'aa'", "'ab'"),
      upd(41, "c", "'aa'", "'ab'"),
      Seed{"db.types", 500, "", "", "DELETE FROM db.types WHERE id = 500"},
      Seed{"db.types", kTypesRows, "", "", "DELETE FROM db.types WHERE id = 3000"},  // last row
      Seed{"db.types", 5000, "", "", "INSERT INTO db.types (id, vc) VALUES (5000, 'extra')"},
      Seed{"db.types", 0, "", "", "INSERT INTO db.types (id, vc) VALUES (0, 'before')"},
  };
}

class VerifierDataTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto pair = testing::StartServerPair(71);
    ASSERT_TRUE(pair.ok()) << pair.status();
    source_ = pair->source.release();
    target_ = pair->target.release();
    ASSERT_NO_FATAL_FAILURE(Load());
  }
  static void TearDownTestSuite() {
    delete source_;
    delete target_;
  }

  static void Exec(testing::MariaDbServer* server, const std::string& sql) {
    auto conn = server->Connect();
    ASSERT_TRUE(conn.ok()) << conn.status();
    auto st = conn->Execute(sql);
    ASSERT_TRUE(st.ok()) << st;
  }

  static void Load() {
    for (auto* server : {source_, target_}) {
      for (const char* sql : kSetup) ASSERT_NO_FATAL_FAILURE(Exec(server, sql));
    }
    ASSERT_NO_FATAL_FAILURE(Exec(source_, kCompatSource));
    ASSERT_NO_FATAL_FAILURE(Exec(target_, kCompatTarget));
    for (auto* server : {source_, target_}) ASSERT_NO_FATAL_FAILURE(Exec(server, kCompatRows));
    for (const Seed& seed : TypeSeeds()) {
      if (!seed.source_sql.empty()) {
        ASSERT_NO_FATAL_FAILURE(Exec(source_, seed.source_sql));
      }
      if (!seed.target_sql.empty()) {
        ASSERT_NO_FATAL_FAILURE(Exec(target_, seed.target_sql));
      }
    }
    // Composite VARCHAR key: one changed, one missing, one extra.
    ASSERT_NO_FATAL_FAILURE(
        Exec(target_, "UPDATE db.comp SET val = -1 WHERE region = 'eu' AND seq = 1"));
    ASSERT_NO_FATAL_FAILURE(Exec(target_, "DELETE FROM db.comp WHERE seq = 2"));
    ASSERT_NO_FATAL_FAILURE(Exec(target_, "INSERT INTO db.comp VALUES ('zz', 'c0', 9, 9)"));
    // Unique NOT NULL key (u_ba; u_n is nullable): one changed row.
    ASSERT_NO_FATAL_FAILURE(Exec(target_, "UPDATE db.uk SET v = 0 WHERE a = 7"));
    ASSERT_NO_FATAL_FAILURE(Exec(target_, "DELETE FROM db.empty_target"));
    ASSERT_NO_FATAL_FAILURE(
        Exec(target_, "INSERT INTO db.empty_source VALUES (1, 1), (2, 2), (3, 3)"));
    ASSERT_NO_FATAL_FAILURE(Exec(target_, "INSERT INTO db.nokey VALUES (3, 3)"));
    ASSERT_NO_FATAL_FAILURE(Exec(target_, "ALTER TABLE db.cols ADD COLUMN b INT DEFAULT 7"));
  }

  DataOptions Options(std::vector<std::string> tables) {
    DataOptions o;
    o.source = source_->Dsn();
    o.target = target_->Dsn();
    o.tables = std::move(tables);
    o.initial_chunk_rows = 300;
    o.min_chunk_rows = 50;
    o.max_chunk_rows = 700;
    o.row_fetch_limit = 8;  // exercise bisection
    return o;
  }

  static std::string DsnText(testing::MariaDbServer* s) { return testing::DsnUrl(*s); }

  static inline testing::MariaDbServer* source_ = nullptr;
  static inline testing::MariaDbServer* target_ = nullptr;
};

using testing_util::FindTable;

using testing_util::Describe;

TEST_F(VerifierDataTest, EverySeededTypeDifferenceFoundAndNothingElse) {
  for (auto [parallel, fetch_limit] : {std::pair{1, 8}, std::pair{3, 8}, std::pair{2, 10000}}) {
    DataOptions o = Options({"db.types"});
    o.parallel = parallel;
    o.row_fetch_limit = fetch_limit;
    auto report = CompareData(o);
    ASSERT_TRUE(report.ok()) << report.status();
    const TableResult* t = FindTable(*report, "db.types");
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->error, "");
    std::set<std::string> expected;
    for (const Seed& s : TypeSeeds()) {
      if (!s.column.empty()) {
        expected.insert(absl::StrCat("different ", s.id, " ", s.column));
      } else if (s.source_sql.empty() && absl::StartsWith(s.target_sql, "DELETE")) {
        expected.insert(absl::StrCat("missing ", s.id));
      } else {
        expected.insert(absl::StrCat("extra ", s.id));
      }
    }
    EXPECT_EQ(Describe(*t), expected) << "parallel " << parallel << " limit " << fetch_limit;
    EXPECT_EQ(t->source_rows, static_cast<uint64_t>(kTypesRows));
    EXPECT_GT(t->chunks, 3u);  // several chunks, adaptive sizes within bounds
  }
}

// The same edit made to two rows changes their CRCs by the same XOR pattern: under
// BIT_XOR(CRC32(row text)) the chunk checksum does not change at all (checked below as a
// control), under the verifier's checksum it must, for every one of 200 pairs, with either
// per-row value. And the checksum, which keeps each row's hash in a session variable, must
// equal the same aggregate written without the variable, whatever the variable held before.
TEST_F(VerifierDataTest, ChecksumOfEqualEditsInTwoRowsAndWithoutVariables) {
  auto conn = source_->Connect();
  ASSERT_TRUE(conn.ok()) << conn.status();
  // Its own schema on the source only, dropped at the end: the other tests compare `db`.
  struct Drop {
    mysql::Connection* c;
    ~Drop() { (void)c->Execute("DROP DATABASE IF EXISTS pairs"); }
  } drop{&*conn};
  ASSERT_TRUE(conn->Execute("CREATE DATABASE pairs").ok());
  ASSERT_TRUE(
      conn->Execute("CREATE TABLE pairs.a (id INT PRIMARY KEY, c VARCHAR(20) NOT NULL)").ok());
  ASSERT_TRUE(
      conn->Execute("INSERT INTO pairs.a SELECT 999 + seq, 'aa' FROM db.seq_1_to_400").ok());
  ASSERT_TRUE(conn->Execute("CREATE TABLE pairs.b LIKE pairs.a").ok());
  ASSERT_TRUE(conn->Execute("INSERT INTO pairs.b SELECT id, 'ab' FROM pairs.a").ok());
  TablePlan plan;
  plan.key_columns = {"id"};
  plan.key_binary = {false};
  plan.key_index = "PRIMARY";
  plan.columns = {{"id", "`id`", false, false}, {"c", "`c`", false, false}};
  const std::string text = "CONCAT_WS('#', `id`, `c`)";
  for (bool crc32c : {false, true}) {
    plan.crc32c = crc32c;
    int cancelled = 0, xor_cancelled = 0;
    for (int i = 0; i < 200; ++i) {
      const KeyValue lower{absl::StrCat(999 + 2 * i)}, upper{absl::StrCat(1001 + 2 * i)};
      auto a = conn->Query(ChecksumSql(plan, "`pairs`.`a`", lower, upper));
      auto b = conn->Query(ChecksumSql(plan, "`pairs`.`b`", lower, upper));
      ASSERT_TRUE(a.ok() && b.ok()) << a.status() << b.status();
      ASSERT_EQ(a->rows.size(), 1u);
      ASSERT_EQ(*a->rows[0][0], "2");
      if (a->rows[0] == b->rows[0]) ++cancelled;
      const std::string range = RangePredicate(plan, lower, upper);
      auto xa = conn->QueryValue(
          absl::StrCat("SELECT BIT_XOR(CRC32(", text, ")) FROM pairs.a WHERE ", range));
      auto xb = conn->QueryValue(
          absl::StrCat("SELECT BIT_XOR(CRC32(", text, ")) FROM pairs.b WHERE ", range));
      ASSERT_TRUE(xa.ok() && xb.ok());
      if (*xa == *xb) ++xor_cancelled;
    }
    EXPECT_EQ(cancelled, 0) << "crc32c " << crc32c;
    EXPECT_EQ(xor_cancelled, 200);  // the control: XOR of CRCs cancels every pair
  }

  for (bool crc32c : {false, true}) {
    for (bool keyed : {true, false}) {
      TablePlan p = plan;
      p.crc32c = crc32c;
      if (!keyed) {
        p.key_columns.clear();
        p.key_index.clear();
      }
      const std::string hash = RowHashExpr(p);
      const std::string bin = absl::StrCat("CAST(", hash, " AS BINARY)");
      const std::string value =
          crc32c ? absl::StrCat("(CRC32(", hash, ") << 32) | CRC32C(", hash, ")")
                 : absl::StrCat("(CRC32(LEFT(", bin, ", 32)) << 32) | CRC32(RIGHT(", bin, ", 32))");
      const std::string plain_sql =
          absl::StrCat("SELECT COUNT(*), ",
                       keyed ? absl::StrCat("BIT_XOR(", value, ")")
                             : absl::StrCat("COALESCE(SUM(", value, "), 0)"),
                       " FROM pairs.");
      for (const char* before : {"''", "'stale'", "NULL", "12345"}) {
        for (const char* table : {"a", "b"}) {
          ASSERT_TRUE(conn->Execute(absl::StrCat("SET @dcp_h = ", before)).ok());
          auto folded = conn->Query(
              ChecksumSql(p, absl::StrCat("`pairs`.`", table, "`"), std::nullopt, std::nullopt));
          auto plain = conn->Query(absl::StrCat(plain_sql, table));
          ASSERT_TRUE(folded.ok() && plain.ok()) << folded.status() << plain.status();
          EXPECT_EQ(folded->rows, plain->rows) << table << " after @dcp_h = " << before
                                               << " crc32c " << crc32c << " keyed " << keyed;
          EXPECT_EQ(*folded->rows[0][0], "400");
          EXPECT_NE(*folded->rows[0][1], "0");
        }
      }
    }
  }
}

// Values that differ only in where a byte sits across two adjacent columns: the row texts
// must differ too, whatever the byte (the old separator '#', or the separator 0xFF in text
// that can contain it: latin1, VARBINARY), and the CRC32C check must have chosen CRC32C here.
TEST_F(VerifierDataTest, ValuesShiftedAcrossTheSeparatorDiffer) {
  struct Drop {
    ~Drop() {
      for (auto* server : {source_, target_}) {
        auto c = server->Connect();
        if (c.ok()) (void)c->Execute("DROP DATABASE IF EXISTS sep");
      }
    }
  } drop;
  const char* kTables[] = {
      "CREATE TABLE sep.u (id INT PRIMARY KEY, a VARCHAR(10), b VARCHAR(10)) "
      "CHARACTER SET utf8mb4",
      "CREATE TABLE sep.l (id INT PRIMARY KEY, a VARCHAR(10), b VARCHAR(10)) "
      "CHARACTER SET latin1",
      "CREATE TABLE sep.v (id INT PRIMARY KEY, a VARBINARY(10), b VARBINARY(10))",
      "CREATE TABLE sep.k (a VARBINARY(10) NOT NULL, b VARBINARY(10) NOT NULL, v INT, "
      "PRIMARY KEY (a, b))",
  };
  for (auto* server : {source_, target_}) {
    ASSERT_NO_FATAL_FAILURE(Exec(server, "CREATE DATABASE sep"));
    for (const char* t : kTables) ASSERT_NO_FATAL_FAILURE(Exec(server, t));
    ASSERT_NO_FATAL_FAILURE(Exec(server, "INSERT INTO sep.u VALUES (2, 'same', 'row')"));
  }
  const std::pair<testing::MariaDbServer*, const char*> kRows[] = {
      {source_, "INSERT INTO sep.u VALUES (1, 'a#', 'b')"},
      {target_, "INSERT INTO sep.u VALUES (1, 'a', '#b')"},
      {source_, "INSERT INTO sep.l VALUES (1, X'61FF', 'b')"},
      {target_, "INSERT INTO sep.l VALUES (1, 'a', X'FF62')"},
      {source_, "INSERT INTO sep.v VALUES (1, X'61FF', X'62')"},
      {target_, "INSERT INTO sep.v VALUES (1, X'61', X'FF62')"},
      // In a key: without the lengths, each side's two rows would have one text between them
      // and cancel each other under XOR: both sides would show two rows and a checksum of 0.
      {source_, "INSERT INTO sep.k VALUES (X'61FF', X'62', 1), (X'61', X'FF62', 1)"},
      {target_, "INSERT INTO sep.k VALUES (X'71FF', X'72', 1), (X'71', X'FF72', 1)"},
  };
  for (const auto& [server, sql] : kRows) ASSERT_NO_FATAL_FAILURE(Exec(server, sql));

  DataOptions o = Options({"sep.*"});
  o.row_fetch_limit = 100;
  auto report = CompareData(o);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->checksum, "sha256-crc32c");
  for (const char* table : {"sep.u", "sep.l", "sep.v"}) {
    const TableResult* t = FindTable(*report, table);
    ASSERT_NE(t, nullptr) << table;
    EXPECT_EQ(t->error, "") << table;
    EXPECT_EQ(Describe(*t), (std::set<std::string>{"different 1 a,b"})) << table;
    EXPECT_EQ(t->mismatched_chunks, 1u) << table;
  }
  const TableResult* k = FindTable(*report, "sep.k");
  ASSERT_NE(k, nullptr);
  std::map<RowDifference::Kind, int> kinds;
  for (const RowDifference& d : k->differences) ++kinds[d.kind];
  EXPECT_EQ(kinds, (std::map<RowDifference::Kind, int>{{RowDifference::Kind::kMissing, 2},
                                                       {RowDifference::Kind::kExtra, 2}}));
}

TEST_F(VerifierDataTest, DifferenceCarriesBothValues) {
  auto report = CompareData(Options({"db.types"}));
  ASSERT_TRUE(report.ok()) << report.status();
  const TableResult* t = FindTable(*report, "db.types");
  std::map<std::string, ColumnDifference> by_id;
  for (const RowDifference& d : t->differences) {
    if (d.kind == RowDifference::Kind::kDifferent) by_id[d.key[0]] = d.columns[0];
  }
  EXPECT_EQ(by_id["10"].source, std::optional<std::string>(""));
  EXPECT_EQ(by_id["10"].target, std::nullopt);
  EXPECT_EQ(by_id["11"].target, std::optional<std::string>("x "));
  EXPECT_EQ(by_id["14"].source, std::optional<std::string>("1.2345"));
  EXPECT_EQ(by_id["14"].target, std::optional<std::string>("1.2346"));
  EXPECT_EQ(by_id["18"].source, std::optional<std::string>(std::string("\x00\xff", 2)));
}

TEST_F(VerifierDataTest, CompositeVarcharKeyUniqueKeyAndEmptySides) {
  auto report =
      CompareData(Options({"db.comp", "db.uk", "db.empty_target", "db.empty_source", "db.same"}));
  ASSERT_TRUE(report.ok()) << report.status();
  const TableResult* comp = FindTable(*report, "db.comp");
  ASSERT_NE(comp, nullptr);
  EXPECT_EQ(comp->key_columns, (std::vector<std::string>{"region", "code", "seq"}));
  EXPECT_EQ(Describe(*comp),
            (std::set<std::string>{"different eu|c1|1 val", "missing us|c2|2", "extra zz|c0|9"}));
  const TableResult* uk = FindTable(*report, "db.uk");
  EXPECT_EQ(uk->key_columns, (std::vector<std::string>{"b", "a"}));
  EXPECT_EQ(Describe(*uk), (std::set<std::string>{"different H|7 v"}));
  const TableResult* et = FindTable(*report, "db.empty_target");
  EXPECT_EQ(et->differences.size(), 40u);
  for (const RowDifference& d : et->differences) EXPECT_EQ(d.kind, RowDifference::Kind::kMissing);
  const TableResult* es = FindTable(*report, "db.empty_source");
  EXPECT_EQ(Describe(*es), (std::set<std::string>{"extra 1", "extra 2", "extra 3"}));
  const TableResult* same = FindTable(*report, "db.same");
  EXPECT_TRUE(same->identical());
  EXPECT_EQ(same->source_rows, 5000u);
}

TEST_F(VerifierDataTest, CompatibleTypesCompareEqual) {
  auto report = CompareData(Options({"db.compat"}));
  ASSERT_TRUE(report.ok()) << report.status();
  const TableResult* t = FindTable(*report, "db.compat");
  EXPECT_TRUE(t->identical()) << absl::StrJoin(Describe(*t), "\n") << t->error;
  EXPECT_EQ(t->source_rows, 1000u);
}

TEST_F(VerifierDataTest, ColumnOnOneSideIsListedNotCompared) {
  auto report = CompareData(Options({"db.cols"}));
  ASSERT_TRUE(report.ok()) << report.status();
  const TableResult* t = FindTable(*report, "db.cols");
  EXPECT_TRUE(t->identical());
  EXPECT_EQ(t->one_side_columns, (std::vector<std::string>{"b"}));
  EXPECT_EQ(t->compared_columns, (std::vector<std::string>{"id", "a"}));
}

TEST_F(VerifierDataTest, ColumnsFilterAndWhere) {
  DataOptions o = Options({"db.types"});
  o.ignore_columns = {"vc", "f"};
  o.where = "id BETWEEN 10 AND 13";
  auto report = CompareData(o);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(Describe(*FindTable(*report, "db.types")), (std::set<std::string>{"different 13 d"}));
  o.ignore_columns.clear();
  o.columns = {"vc"};
  report = CompareData(o);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(Describe(*FindTable(*report, "db.types")),
            (std::set<std::string>{"different 10 vc", "different 11 vc"}));
}

TEST_F(VerifierDataTest, TableWithoutKeyIsAnErrorUnlessFullScan) {
  auto report = CompareData(Options({"db.nokey"}));
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_THAT(FindTable(*report, "db.nokey")->error, HasSubstr("no primary key"));
  EXPECT_TRUE(report->has_error());
  DataOptions o = Options({"db.nokey"});
  o.allow_full_scan = true;
  report = CompareData(o);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(Describe(*FindTable(*report, "db.nokey")), (std::set<std::string>{"extra 3|3"}));
}

TEST_F(VerifierDataTest, CommandLineFixSqlMakesSecondRunIdentical) {
  const std::string dir = ::testing::TempDir();
  const std::string fix = absl::StrCat(dir, "/verifier_fix.sql");
  const std::string junit = absl::StrCat(dir, "/verifier_junit.xml");
  const std::string resume = absl::StrCat(dir, "/verifier_resume.txt");
  std::remove(resume.c_str());
  std::vector<std::string> base = {"data",     "--source",       DsnText(source_),
                                   "--target", DsnText(target_), "--exclude",
                                   "db.nokey", "--parallel",     "2"};
  {
    std::vector<std::string> args = base;
    args.insert(args.end(), {"--format", "json", "--fix-sql", fix, "--junit", junit});
    std::ostringstream out, err;
    EXPECT_EQ(RunCli(args, out, err), 1) << err.str();
    EXPECT_THAT(out.str(), HasSubstr("\"kind\":\"missing\""));
    EXPECT_THAT(out.str(), HasSubstr("\"source_row\":{"));
    EXPECT_THAT(out.str(), HasSubstr("\"checksum\":\"sha256-crc32c\""));
    std::ifstream j(junit);
    std::stringstream js;
    js << j.rdbuf();
    EXPECT_THAT(js.str(), HasSubstr("<failure message=\"28 row difference(s)\""));
  }
  // Apply the fix SQL on the target.
  {
    std::ifstream f(fix);
    std::stringstream ss;
    ss << f.rdbuf();
    auto conn = target_->Connect();
    ASSERT_TRUE(conn.ok());
    int statements = 0;
    for (absl::string_view line : absl::StrSplit(ss.str(), '\n', absl::SkipEmpty())) {
      if (absl::StartsWith(line, "--")) continue;
      auto st = conn->Execute(absl::StripSuffix(line, ";"));
      ASSERT_TRUE(st.ok()) << st << "\n" << line;
      ++statements;
    }
    EXPECT_GT(statements, 70);
  }
  {
    std::vector<std::string> args = base;
    args.insert(args.end(), {"--resume", resume});
    std::ostringstream out, err;
    EXPECT_EQ(RunCli(args, out, err), 0) << out.str() << err.str();
    EXPECT_THAT(out.str(), HasSubstr("identical"));
  }
  // The resume file now says every table is done: a rerun skips them all.
  {
    std::vector<std::string> args = base;
    args.insert(args.end(), {"--resume", resume});
    std::ostringstream out, err;
    EXPECT_EQ(RunCli(args, out, err), 0) << err.str();
    EXPECT_THAT(out.str(), HasSubstr("db.types: verified by the resumed run"));
  }
  {
    std::ostringstream out, err;
    EXPECT_EQ(RunCli({"data", "--source", DsnText(source_), "--target", DsnText(target_),
                      "--tables", "db.nokey"},
                     out, err),
              2);
    EXPECT_EQ(RunCli({"data", "--source", DsnText(source_)}, out, err), 2);
    EXPECT_EQ(RunCli({"data", "--source", DsnText(source_), "--target", DsnText(target_),
                      "--tables", "db.no_such_table*"},
                     out, err),
              2);
    EXPECT_THAT(err.str(), HasSubstr("no table matched"));
    EXPECT_EQ(RunCli({"data", "--source", DsnText(source_), "--target", DsnText(target_),
                      "--parallel", "0"},
                     out, err),
              2);
  }
}

}  // namespace
}  // namespace dcp::verifier
