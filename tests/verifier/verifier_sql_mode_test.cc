// Hardening (defect 4): the verifier's SQL means the same under every sql_mode.
//
// - The literals of mysql/sql_literal.h read back as the same bytes under every sql_mode and
//   compare in the column's collation (utf8mb4 text) or byte for byte (_binary), as quoted
//   literals do on a utf8mb4 connection.
// - With NO_BACKSLASH_ESCAPES (alone, and with other modes) set globally on both servers,
//   `verifier data` finds exactly the seeded differences of tables keyed by text holding
//   quotes, backslashes and non-ASCII and by bytes holding them, over many chunks and
//   bisections.
// - Its --fix-sql file, applied with the mariadb client under NO_BACKSLASH_ESCAPES, changes
//   only the differing rows: a source value x'); DROP TABLE inj.victim; -- drops nothing, and
//   a second run finds the tables equal. The file's statements, without its SET lines, do the
//   same under NO_BACKSLASH_ESCAPES,ANSI_QUOTES,EMPTY_STRING_IS_NULL.
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mysql/sql_literal.h"
#include "tests/harness/mariadb_server.h"
#include "tests/harness/quote_rows.h"
#include "tests/harness/server_util.h"
#include "tests/verifier/verifier_test_util.h"
#include "verifier/data_compare.h"

namespace dcp::verifier {
namespace {

using ::testing::HasSubstr;
using testing_util::Describe;
using testing_util::FindTable;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const char* kModes[] = {"",
                        "NO_BACKSLASH_ESCAPES",
                        "ANSI_QUOTES",
                        "ANSI,NO_BACKSLASH_ESCAPES",
                        "EMPTY_STRING_IS_NULL",
                        "ORACLE",
                        "PAD_CHAR_TO_FULL_LENGTH,NO_BACKSLASH_ESCAPES"};

TEST(SqlLiteralOnServer, SameBytesAndComparisonsUnderEveryMode) {
  testing::MariaDbServer::Options o;
  o.server_id = 81;
  auto server = testing::MariaDbServer::Start(o);
  ASSERT_TRUE(server.ok()) << server.status();
  auto conn = (*server)->Connect();
  ASSERT_TRUE(conn.ok()) << conn.status();
  ASSERT_TRUE(testing::ExecAll(*conn, {"CREATE DATABASE lit",
                                       "CREATE TABLE lit.t (id INT PRIMARY KEY, "
                                       "g VARCHAR(20) COLLATE utf8mb4_general_ci, "
                                       "b VARCHAR(20) COLLATE utf8mb4_bin, "
                                       "l VARCHAR(20) CHARACTER SET latin1, vb VARBINARY(20))",
                                       "INSERT INTO lit.t VALUES (1, UNHEX('C3A920'), "
                                       "UNHEX('C3A9'), CONVERT(UNHEX('C3A9') USING utf8mb4), 'A')"})
                  .ok());
  std::string every_byte;
  for (int b = 0; b < 256; ++b) every_byte.push_back(static_cast<char>(b));
  const std::vector<std::string> texts = {"", testing::kInjection, "\\' \" ` \n\t",
                                          "\xc3\xa9\xf0\x9f\x98\x80", testing::kExtraKey};
  for (const char* mode : kModes) {
    SCOPED_TRACE(mode);
    ASSERT_TRUE(conn->Execute(absl::StrCat("SET SESSION sql_mode = '", mode, "'")).ok());
    for (const std::string& v : texts) {
      auto hex = conn->QueryValue(absl::StrCat("SELECT HEX(", mysql::Utf8mb4Literal(v), ")"));
      ASSERT_TRUE(hex.ok()) << hex.status() << " " << v;
      EXPECT_EQ(hex->value_or("NULL"), absl::AsciiStrToUpper(absl::BytesToHexString(v)));
    }
    for (const std::string& lit :
         {mysql::BinaryLiteral(every_byte), mysql::HexLiteral(every_byte)}) {
      auto hex = conn->QueryValue(absl::StrCat("SELECT HEX(", lit, ")"));
      ASSERT_TRUE(hex.ok()) << hex.status();
      EXPECT_EQ(hex->value_or("NULL"), absl::AsciiStrToUpper(absl::BytesToHexString(every_byte)));
    }
    // Compared as the column's collation would compare a quoted literal: general_ci folds
    // case and accents and pads, _bin does not, latin1 converts; _binary is bytes.
    const std::vector<std::pair<std::string, std::string>> matches = {
        {"g = " + mysql::Utf8mb4Literal("E"), "1"},
        {"b = " + mysql::Utf8mb4Literal("E"), "0"},
        {"b = " + mysql::Utf8mb4Literal("\xc3\xa9"), "1"},
        {"l = " + mysql::Utf8mb4Literal("\xc3\xa9"), "1"},
        {"vb = " + mysql::BinaryLiteral("A"), "1"},
        {"vb = " + mysql::BinaryLiteral("a"), "0"},
        {"g > " + mysql::Utf8mb4Literal("d"), "1"},
    };
    for (const auto& [cond, expected] : matches) {
      auto n = conn->QueryValue(absl::StrCat("SELECT COUNT(*) FROM lit.t WHERE ", cond));
      ASSERT_TRUE(n.ok()) << n.status() << " " << cond;
      EXPECT_EQ(n->value_or(""), expected) << cond;
    }
  }
}

class VerifierSqlModeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto pair = testing::StartServerPair(83);
    ASSERT_TRUE(pair.ok()) << pair.status();
    servers_ = *std::move(pair);
    for (const auto* server : {servers_.source.get(), servers_.target.get()}) {
      auto conn = server->Connect();
      ASSERT_TRUE(conn.ok()) << conn.status();
      const absl::Status s = testing::CreateQuoteRows(*conn);
      ASSERT_TRUE(s.ok()) << s;
    }
    ASSERT_NO_FATAL_FAILURE(Diverge());
    dir_ = absl::StrCat(::testing::TempDir(), "/verifier_sql_mode");
    ASSERT_EQ(testing::ShellExitCode(absl::StrCat("rm -rf '", dir_, "' && mkdir -p '", dir_, "'")),
              0);
  }

  void Diverge() {
    auto conn = servers_.target->Connect();
    ASSERT_TRUE(conn.ok()) << conn.status();
    const absl::Status s = testing::DivergeQuoteRows(*conn);
    ASSERT_TRUE(s.ok()) << s;
  }

  void SetGlobalSqlMode(const std::string& mode) {
    for (const auto* server : {servers_.source.get(), servers_.target.get()}) {
      auto conn = server->Connect();
      ASSERT_TRUE(conn.ok()) << conn.status();
      ASSERT_TRUE(conn->Execute(absl::StrCat("SET GLOBAL sql_mode = '", mode, "'")).ok());
    }
  }

  // The rows of inj.victim on the target, or -1 when the table is gone.
  int VictimRows() {
    auto conn = servers_.target->Connect();
    if (!conn.ok()) return -2;
    auto n = conn->QueryValue("SELECT COUNT(*) FROM inj.victim");
    return n.ok() && n->has_value() ? std::stoi(**n) : -1;
  }

  std::string VerifierCommand(const std::string& extra) const {
    return absl::StrCat(testing::ToolPath("verifier"), " data --source ",
                        testing::DsnUrl(*servers_.source), " --target ",
                        testing::DsnUrl(*servers_.target), " --tables 'inj.*' --no-progress ",
                        extra, " > ", dir_, "/out.txt 2>&1");
  }

  void WriteFix(const std::string& path);
  void ApplyAndCheck(const std::string& path, const std::string& mode);

  testing::ServerPair servers_;
  std::string dir_;
};

std::set<std::string> ExpectedT() {
  return {
      "missing a'b",
      absl::StrCat("extra ", testing::kExtraKey),
      absl::StrCat("different ", testing::kInjection, " v"),
      "different back\\slash v",
      "different \xc3\xa9-\xc3\xbc-\xf0\x9f\x98\x80 v",
      "different empty v",
      "different k'01234\\ v",
  };
}

std::set<std::string> ExpectedB() {
  return {"missing '", "extra \\'",
          absl::StrCat("different ", std::string("'\0\\\x02\xbc\xff", 6), " v")};
}

TEST_F(VerifierSqlModeTest, FindsExactlyTheDifferencesUnderGlobalModes) {
  for (const char* mode : {"NO_BACKSLASH_ESCAPES",
                           "NO_BACKSLASH_ESCAPES,ANSI_QUOTES,EMPTY_STRING_IS_NULL,"
                           "PAD_CHAR_TO_FULL_LENGTH"}) {
    SCOPED_TRACE(mode);
    ASSERT_NO_FATAL_FAILURE(SetGlobalSqlMode(mode));
    DataOptions o;
    o.source = servers_.source->Dsn();
    o.target = servers_.target->Dsn();
    o.tables = {"inj.*"};
    o.parallel = 2;
    o.initial_chunk_rows = 200;  // boundaries are keys with quotes and backslashes
    o.min_chunk_rows = 50;
    o.max_chunk_rows = 300;
    o.row_fetch_limit = 8;  // bisection at such keys too
    o.recheck_rounds = 1;   // and a recheck by key
    auto report = CompareData(o);
    ASSERT_TRUE(report.ok()) << report.status();
    for (const TableResult& t : report->tables) EXPECT_EQ(t.error, "") << t.source_table;
    ASSERT_NE(FindTable(*report, "inj.t"), nullptr);
    ASSERT_NE(FindTable(*report, "inj.b"), nullptr);
    EXPECT_EQ(Describe(*FindTable(*report, "inj.t")), ExpectedT());
    EXPECT_EQ(Describe(*FindTable(*report, "inj.b")), ExpectedB());
    EXPECT_TRUE(FindTable(*report, "inj.victim")->identical());
    EXPECT_GT(FindTable(*report, "inj.t")->chunks, 5u);
  }
}

// Writes the fix SQL of the current difference; checks its form.
void VerifierSqlModeTest::WriteFix(const std::string& path) {
  ASSERT_EQ(testing::ShellExitCode(VerifierCommand(absl::StrCat("--fix-sql ", path))), 1)
      << ReadFile(dir_ + "/out.txt");
  const std::string sql = ReadFile(path);
  EXPECT_THAT(sql, HasSubstr("\nSET SESSION sql_mode = '';\n"));
  EXPECT_THAT(sql, Not(HasSubstr("DROP")));  // no value reaches the text as it is
  // One statement per difference: 7 in inj.t, 3 in inj.b.
  size_t statements = 0;
  for (absl::string_view line : absl::StrSplit(sql, '\n')) {
    statements += absl::StartsWith(line, "REPLACE INTO ") || absl::StartsWith(line, "DELETE FROM ");
  }
  EXPECT_EQ(statements, ExpectedT().size() + ExpectedB().size()) << sql;
}

// Runs `path` with the mariadb client on the target, its session starting in `mode` (empty:
// the server's global mode), going on after an error (--force) so that no broken statement
// hides a later one; every statement must succeed, inj.victim must be there and the tables
// equal.
void VerifierSqlModeTest::ApplyAndCheck(const std::string& path, const std::string& mode) {
  const std::string init =
      mode.empty() ? "" : absl::StrCat(" --init-command=\"SET SESSION sql_mode='", mode, "'\"");
  ASSERT_EQ(
      testing::ShellExitCode(absl::StrCat(testing::ClientCommand(*servers_.target), init,
                                          " --force < ", path, " > ", dir_, "/apply.txt 2>&1")),
      0)
      << ReadFile(dir_ + "/apply.txt");
  EXPECT_EQ(VictimRows(), 2);
  EXPECT_EQ(testing::ShellExitCode(VerifierCommand("")), 0) << ReadFile(dir_ + "/out.txt");
}

TEST_F(VerifierSqlModeTest, FixSqlWrittenInDefaultModeAppliedUnderNoBackslashEscapes) {
  // The defect's case: the file is written against servers in their default mode and run by a
  // client in NO_BACKSLASH_ESCAPES.
  const std::string fix = dir_ + "/fix.sql";
  ASSERT_NO_FATAL_FAILURE(WriteFix(fix));
  ASSERT_NO_FATAL_FAILURE(ApplyAndCheck(fix, "NO_BACKSLASH_ESCAPES"));
}

TEST_F(VerifierSqlModeTest, FixSqlUnderGlobalNoBackslashEscapes) {
  ASSERT_NO_FATAL_FAILURE(SetGlobalSqlMode("NO_BACKSLASH_ESCAPES"));
  const std::string fix = dir_ + "/fix.sql";
  ASSERT_NO_FATAL_FAILURE(WriteFix(fix));
  ASSERT_NO_FATAL_FAILURE(ApplyAndCheck(fix, ""));

  // The statements alone, without the file's SET lines, under more hostile session modes.
  ASSERT_NO_FATAL_FAILURE(Diverge());
  ASSERT_NO_FATAL_FAILURE(WriteFix(fix));
  std::string body;
  for (absl::string_view line : absl::StrSplit(ReadFile(fix), '\n')) {
    if (!absl::StartsWith(line, "SET ")) absl::StrAppend(&body, line, "\n");
  }
  const std::string bare = dir_ + "/bare.sql";
  std::ofstream(bare) << body;
  ASSERT_NO_FATAL_FAILURE(
      ApplyAndCheck(bare, "NO_BACKSLASH_ESCAPES,ANSI_QUOTES,EMPTY_STRING_IS_NULL"));
}

}  // namespace
}  // namespace dcp::verifier
