// `verifier schema` against two independent throwaway MariaDB servers: each difference class is
// detected (and nothing else), each --ignore class suppresses only itself, and the command line
// exits 0 / 1 / 2 with text and JSON output.
#include <map>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/harness/mariadb_server.h"
#include "tests/harness/server_util.h"
#include "verifier/cli.h"
#include "verifier/schema_compare.h"

namespace dcp::verifier {
namespace {

using ::testing::HasSubstr;

constexpr char kBase[] = R"(CREATE TABLE db.T (
  id INT NOT NULL AUTO_INCREMENT,
  code INT NOT NULL DEFAULT 0,
  name VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci DEFAULT 'x',
  total DECIMAL(10,2),
  parent INT,
  ts TIMESTAMP NULL DEFAULT NULL,
  g INT AS (id + 1) VIRTUAL,
  PRIMARY KEY (id), KEY k_name (name(5)),
  CONSTRAINT fk_T FOREIGN KEY (parent) REFERENCES db.ref (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci ROW_FORMAT=DYNAMIC
  AUTO_INCREMENT=10)";

struct Case {
  std::string table;
  std::string alter;  // applied on the target after the base DDL
  std::set<std::string> expected;
};

std::vector<Case> Cases() {
  return {
      {"c_column", "DROP COLUMN total", {"column"}},
      {"c_column_order", "MODIFY total DECIMAL(10,2) AFTER id", {"column_order"}},
      {"c_type", "MODIFY total DECIMAL(12,2)", {"type"}},
      {"c_type_unsigned", "MODIFY code INT UNSIGNED NOT NULL DEFAULT 0", {"type"}},
      {"c_nullability", "MODIFY total DECIMAL(10,2) NOT NULL", {"nullability", "default"}},
      {"c_default", "ALTER name SET DEFAULT 'y'", {"default"}},
      {"c_charset", "MODIFY name VARCHAR(20) CHARACTER SET latin1 DEFAULT 'x'", {"charset"}},
      {"c_collation", "MODIFY name VARCHAR(20) COLLATE utf8mb4_bin DEFAULT 'x'", {"collation"}},
      {"c_generated", "MODIFY g INT AS (id + 2) VIRTUAL", {"generated"}},
      {"c_auto_increment", "MODIFY id INT NOT NULL", {"auto_increment"}},
      {"c_auto_increment_value", "AUTO_INCREMENT = 20", {"auto_increment"}},
      {"c_extra", "MODIFY ts TIMESTAMP NULL DEFAULT NULL ON UPDATE CURRENT_TIMESTAMP", {"extra"}},
      {"c_comment", "COMMENT = 'hello'", {"comment"}},
      {"c_primary_key", "DROP PRIMARY KEY, ADD PRIMARY KEY (id, code)", {"primary_key"}},
      {"c_index", "DROP INDEX k_name, ADD INDEX k_name (name(6))", {"index"}},
      {"c_index_missing", "DROP INDEX k_name", {"index"}},
      {"c_foreign_key",
       "DROP FOREIGN KEY fk_c_foreign_key; ADD CONSTRAINT fk_c_foreign_key FOREIGN KEY (parent) "
       "REFERENCES db.ref (id) ON DELETE RESTRICT",
       {"foreign_key"}},
      {"c_engine",
       "DROP FOREIGN KEY fk_c_engine; ENGINE = Aria",
       {"engine", "create_options", "foreign_key"}},
      {"c_table_charset", "DEFAULT CHARSET = latin1", {"table_charset"}},
      {"c_table_collation", "DEFAULT COLLATE = utf8mb4_bin", {"table_collation"}},
      {"c_row_format", "ROW_FORMAT = COMPACT", {"row_format"}},
      {"c_create_options", "STATS_PERSISTENT = 0", {"create_options"}},
  };
}

class VerifierSchemaTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto pair = testing::StartServerPair(61);
    ASSERT_TRUE(pair.ok()) << pair.status();
    source_ = pair->source.release();
    target_ = pair->target.release();
    for (auto* server : {source_, target_}) {
      auto conn = server->Connect();
      ASSERT_TRUE(conn.ok()) << conn.status();
      ASSERT_TRUE(conn->Execute("CREATE DATABASE db").ok());
      ASSERT_TRUE(conn->Execute("CREATE TABLE db.ref (id INT PRIMARY KEY)").ok());
      for (const Case& c : Cases()) {
        std::string ddl = absl::StrReplaceAll(kBase, {{"db.T", absl::StrCat("db.", c.table)},
                                                      {"fk_T", absl::StrCat("fk_", c.table)}});
        ASSERT_TRUE(conn->Execute(ddl).ok()) << c.table;
        if (server == target_) {
          for (absl::string_view alter : absl::StrSplit(c.alter, ';')) {
            auto st = conn->Execute(absl::StrCat("ALTER TABLE db.", c.table, " ", alter));
            ASSERT_TRUE(st.ok()) << st;
          }
        }
      }
    }
    auto conn = source_->Connect();
    ASSERT_TRUE(conn->Execute("CREATE TABLE db.only_source (id INT PRIMARY KEY)").ok());
    auto tconn = target_->Connect();
    ASSERT_TRUE(tconn->Execute("CREATE TABLE db.only_target (id INT PRIMARY KEY)").ok());
  }
  static void TearDownTestSuite() {
    delete source_;
    delete target_;
  }

  SchemaOptions Options(std::vector<std::string> tables) {
    SchemaOptions o;
    o.source = source_->Dsn();
    o.target = target_->Dsn();
    o.tables = std::move(tables);
    return o;
  }

  static inline testing::MariaDbServer* source_ = nullptr;
  static inline testing::MariaDbServer* target_ = nullptr;
};

std::set<std::string> Classes(const SchemaReport& r) {
  std::set<std::string> out;
  for (const SchemaDifference& d : r.differences) out.insert(d.diff_class);
  return out;
}

TEST_F(VerifierSchemaTest, EachClassDetectedAndIgnoredAlone) {
  for (Case c : Cases()) {
    SchemaOptions o = Options({absl::StrCat("db.", c.table)});
    o.check_column_order = true;
    auto report = CompareSchemas(o);
    ASSERT_TRUE(report.ok()) << report.status();
    EXPECT_EQ(report->tables_compared, 1) << c.table;
    EXPECT_EQ(Classes(*report), c.expected) << c.table;
    for (const SchemaDifference& d : report->differences) {
      EXPECT_NE(d.source_value, d.target_value) << d.ToString();
    }
    for (const std::string& cls : c.expected) {
      SchemaOptions ignored = o;
      ignored.ignore = {cls};
      auto r2 = CompareSchemas(ignored);
      ASSERT_TRUE(r2.ok()) << r2.status();
      std::set<std::string> rest = c.expected;
      rest.erase(cls);
      EXPECT_EQ(Classes(*r2), rest) << c.table << " ignoring " << cls;
    }
  }
}

TEST_F(VerifierSchemaTest, ColumnOrderOnlyWhenAsked) {
  auto report = CompareSchemas(Options({"db.c_column_order"}));
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->differences.empty());
}

TEST_F(VerifierSchemaTest, MissingAndExtraTables) {
  auto report = CompareSchemas(Options({"db.only_*", "db.ref"}));
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_EQ(report->differences.size(), 2u);
  EXPECT_EQ(report->differences[0].source_table, "db.only_source");
  EXPECT_EQ(report->differences[0].target_value, std::nullopt);
  EXPECT_EQ(report->differences[1].target_table, "db.only_target");
  EXPECT_EQ(report->differences[1].source_value, std::nullopt);
  SchemaOptions o = Options({"db.only_*"});
  o.ignore = {"table"};
  EXPECT_TRUE(CompareSchemas(o)->differences.empty());
}

TEST_F(VerifierSchemaTest, MapComparesRenamedTable) {
  SchemaOptions o = Options({"db.c_type"});
  o.maps = {"db.c_type=db.c_default"};
  auto report = CompareSchemas(o);
  ASSERT_TRUE(report.ok()) << report.status();
  // c_type on the source is the base table; c_default on the target differs by its default
  // and by the names of its foreign key (and the key's index), which carry the table name.
  EXPECT_EQ(Classes(*report), (std::set<std::string>{"default", "foreign_key", "index"}));
  EXPECT_EQ(report->differences[0].target_table, "db.c_default");
}

TEST_F(VerifierSchemaTest, CommandLineExitCodesAndJson) {
  // Dsn::ToString() redacts the password; spell the DSNs out.
  const std::string sd = absl::StrCat("mysql://dcp:dcp@127.0.0.1:", source_->port());
  const std::string td = absl::StrCat("mysql://dcp:dcp@127.0.0.1:", target_->port());
  {
    std::ostringstream out, err;
    EXPECT_EQ(RunCli({"schema", "--source", sd, "--target", td, "--tables", "db.ref"}, out, err), 0)
        << err.str();
    EXPECT_THAT(out.str(), HasSubstr("identical"));
  }
  {
    std::ostringstream out, err;
    EXPECT_EQ(RunCli({"schema", "--source", sd, "--target", td, "--tables", "db.c_type", "--format",
                      "json"},
                     out, err),
              1)
        << err.str();
    EXPECT_THAT(out.str(), HasSubstr("\"class\":\"type\""));
    EXPECT_THAT(out.str(), HasSubstr("\"source\":\"decimal(10,2)\",\"target\":\"decimal(12,2)\""));
  }
  {
    std::ostringstream out, err;
    EXPECT_EQ(RunCli({"schema", "--source", sd, "--target", td, "--tables", "db.c_type", "--ignore",
                      "type"},
                     out, err),
              0);
  }
  {
    std::ostringstream out, err;
    EXPECT_EQ(RunCli({"schema", "--source", sd, "--target", td, "--ignore", "bogus"}, out, err), 2);
    EXPECT_THAT(err.str(), HasSubstr("bogus"));
  }
  {
    std::ostringstream out, err;
    EXPECT_EQ(
        RunCli({"schema", "--source",
                "mysql://dcp:wrong@127.0.0.1:" + std::to_string(source_->port()), "--target", td},
               out, err),
        2);
  }
}

}  // namespace
}  // namespace dcp::verifier
