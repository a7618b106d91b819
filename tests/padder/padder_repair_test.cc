// padder repair against real servers: a diverged source/target pair, the verifier's JSON
// report of it, `padder repair --dry-run` (prints SQL, changes nothing), `padder repair`,
// then `verifier data` exits 0. Also a dcp Diff alarm document as the report, and keys and
// values holding quotes, backslashes and SQL under NO_BACKSLASH_ESCAPES (hardening, defect 4).
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "padder/repair.h"
#include "tests/harness/mariadb_server.h"
#include "tests/harness/quote_rows.h"
#include "tests/harness/server_util.h"
#include "tests/padder/padder_test_util.h"
#include "util/atomic_file.h"

namespace dcp::padder {
namespace {

using testing::DsnUrl;
using ::testing::HasSubstr;
using testing::ShellExitCode;
using testing::ToolPath;
using testing_util::ReadFile;

// " --source DSN --target DSN" of `servers`.
std::string PairArgs(const testing::ServerPair& servers) {
  return absl::StrCat(" --source ", DsnUrl(*servers.source), " --target ", DsnUrl(*servers.target));
}

TEST(PadderRepair, VerifierReportThenVerifierPasses) {
  auto servers = testing::StartServerPair(95);
  ASSERT_TRUE(servers.ok()) << servers.status();
  auto src = servers->source->Connect();
  auto dst = servers->target->Connect();
  ASSERT_TRUE(src.ok() && dst.ok());
  const std::string dir = testing_util::TempDir("repair");
  for (mysql::Connection* c : {&*src, &*dst}) {
    for (const char* sql : {
             "CREATE DATABASE r",
             "CREATE TABLE r.t (id INT PRIMARY KEY, v VARCHAR(20), b VARBINARY(10), f FLOAT,"
             " d DATETIME(6), n DECIMAL(10,2), j JSON, g INT AS (id * 2) STORED)",
             "CREATE TABLE r.ck (a INT, s VARCHAR(10), x INT, PRIMARY KEY (a, s))",
             "INSERT INTO r.t (id, v, b, f, d, n, j) VALUES (1, 'a', x'00ff', 1.1, "
             "'2024-01-02 03:04:05.678901', 1.50, '{\"k\": 1}'), (2, 'b', NULL, -3.4e38, "
             "'1000-01-01', -0.01, NULL), (3, 'ç😀', x'', 0.1, NULL, NULL, '[]'), "
             "(4, 'd', x'01', 5, '2038-01-19 03:14:07', 99999999.99, 'null'), "
             "(5, 'e', x'02', 6, '2000-01-01', 1, '{}')",
             "INSERT INTO r.ck VALUES (1, 'x', 1), (1, 'y', 2), (2, 'x', 3)",
         }) {
      ASSERT_TRUE(c->Execute(sql).ok()) << sql;
    }
  }
  // The target diverges: a changed row, a missing row, an extra row, composite keys too.
  for (const char* sql :
       {"UPDATE r.t SET v = 'changed', f = 1.2 WHERE id = 1",
        "UPDATE r.t SET b = x'ff' WHERE id = 3", "DELETE FROM r.t WHERE id = 4",
        "INSERT INTO r.t (id, v) VALUES (100, 'extra')", "DELETE FROM r.ck WHERE a = 1 AND s = 'y'",
        "UPDATE r.ck SET x = 30 WHERE a = 2"}) {
    ASSERT_TRUE(dst->Execute(sql).ok()) << sql;
  }
  const std::string pair = PairArgs(*servers);
  const std::string verify =
      absl::StrCat(ToolPath("verifier"), " data", pair, " --tables 'r.*' --format json > ", dir,
                   "/report.json 2>", dir, "/verifier.err");
  ASSERT_NE(ShellExitCode(verify), 0) << ReadFile(dir + "/verifier.err");
  const std::string report = ReadFile(dir + "/report.json");
  ASSERT_THAT(report, HasSubstr("\"differences\""));

  auto parsed = ParseRepairReport(report);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->size(), 2u);
  size_t keys = 0;
  for (const RepairTable& t : *parsed) keys += t.keys.size();
  EXPECT_EQ(keys, 6u);

  // --dry-run prints the SQL and changes nothing.
  const std::string base = absl::StrCat(ToolPath("padder"), " repair --report ", dir,
                                        "/report.json", pair, " --batch-size 2");
  ASSERT_EQ(ShellExitCode(absl::StrCat(base, " --dry-run > ", dir, "/dry.sql 2>&1")), 0)
      << ReadFile(dir + "/dry.sql");
  const std::string dry = ReadFile(dir + "/dry.sql");
  EXPECT_THAT(dry, HasSubstr("REPLACE INTO `r`.`t` (`id`, `v`, `b`, `f`, `d`, `n`, `j`) VALUES"));
  EXPECT_THAT(dry, HasSubstr("DELETE FROM `r`.`t` WHERE (`id`) IN ((_utf8mb4 X'313030'))"));
  EXPECT_THAT(dry, HasSubstr("REPLACE INTO `r`.`ck`"));
  EXPECT_EQ(*dst->QueryValue("SELECT v FROM r.t WHERE id = 1"), "changed");
  ASSERT_NE(ShellExitCode(verify), 0);

  // The repair, then the verifier finds nothing.
  ASSERT_EQ(ShellExitCode(absl::StrCat(base, " > ", dir, "/repair.out 2>&1")), 0)
      << ReadFile(dir + "/repair.out");
  EXPECT_THAT(ReadFile(dir + "/repair.out"),
              HasSubstr("r.t -> r.t: 4 keys, 3 replaced, 1 deleted"));
  EXPECT_EQ(ShellExitCode(verify), 0) << ReadFile(dir + "/report.json");
  testing_util::ExpectSameTable(*src, *dst, "r.t", "id");
  testing_util::ExpectSameTable(*src, *dst, "r.ck", "a, s");

  // A dcp Diff alarm document: the key's row is made equal to the source's.
  ASSERT_TRUE(dst->Execute("UPDATE r.t SET n = 7 WHERE id = 2").ok());
  ASSERT_TRUE(dst->Execute("UPDATE r.ck SET x = 0 WHERE a = 1 AND s = 'x'").ok());
  const std::string alarm =
      "{\"sequence\":3,\"kind\":\"diff\",\"time\":\"2026-11-21T21:40:03.120Z\","
      "\"source_tag\":\"src\",\"target_tag\":\"dst\",\"from_barrier\":1,\"to_barrier\":2,"
      "\"mode\":\"state\",\"message\":\"2 keys differ\",\"total_keys\":2,\"keys\":["
      "{\"key\":\"r.t:2\",\"table\":\"r.t\",\"what\":\"different\",\"source\":{},\"target\":{}},"
      "{\"key\":\"r.ck:1,\\\"x\\\"\",\"table\":\"r.ck\",\"what\":\"different\","
      "\"source\":{},\"target\":{}}]}\n";
  ASSERT_TRUE(WriteFileAtomically(dir + "/alarm.json", alarm).ok());
  ASSERT_EQ(ShellExitCode(absl::StrCat(ToolPath("padder"), " repair --report ", dir, "/alarm.json",
                                       pair, " > ", dir, "/alarm.out 2>&1")),
            0)
      << ReadFile(dir + "/alarm.out");
  EXPECT_EQ(ShellExitCode(verify), 0) << ReadFile(dir + "/report.json");

  // Not a report: a usage error.
  ASSERT_TRUE(WriteFileAtomically(dir + "/bad.json", "[1, 2]").ok());
  EXPECT_EQ(ShellExitCode(absl::StrCat(ToolPath("padder"), " repair --report ", dir, "/bad.json",
                                       pair, " 2>/dev/null")),
            2);
}

TEST(PadderRepair, QuotesAndBackslashesUnderNoBackslashEscapes) {
  auto servers = testing::StartServerPair(97);
  ASSERT_TRUE(servers.ok()) << servers.status();
  for (const auto* server : {servers->source.get(), servers->target.get()}) {
    auto conn = server->Connect();
    ASSERT_TRUE(conn.ok()) << conn.status();
    const absl::Status s = testing::CreateQuoteRows(*conn);
    ASSERT_TRUE(s.ok()) << s;
    ASSERT_TRUE(conn->Execute("SET GLOBAL sql_mode = 'NO_BACKSLASH_ESCAPES'").ok());
  }
  auto dst = servers->target->Connect();
  ASSERT_TRUE(dst.ok()) << dst.status();
  const std::string dir = testing_util::TempDir("repair-quotes");
  const std::string pair = PairArgs(*servers);
  const std::string verify =
      absl::StrCat(ToolPath("verifier"), " data", pair, " --tables 'inj.*' --format json > ", dir,
                   "/report.json 2>", dir, "/verifier.err");
  auto victim_rows = [&] {
    auto n = dst->QueryValue("SELECT COUNT(*) FROM inj.victim");
    return n.ok() && n->has_value() ? **n : std::string("gone");
  };

  // The --dry-run SQL, run by a client in NO_BACKSLASH_ESCAPES, going on after errors.
  ASSERT_TRUE(testing::DivergeQuoteRows(*dst).ok());
  ASSERT_EQ(ShellExitCode(verify), 1) << ReadFile(dir + "/verifier.err");
  const std::string repair = absl::StrCat(ToolPath("padder"), " repair --report ", dir,
                                          "/report.json", pair, " --batch-size 3");
  ASSERT_EQ(ShellExitCode(absl::StrCat(repair, " --dry-run > ", dir, "/dry.sql 2>&1")), 0)
      << ReadFile(dir + "/dry.sql");
  EXPECT_THAT(ReadFile(dir + "/dry.sql"), Not(HasSubstr("DROP")));
  ASSERT_EQ(ShellExitCode(absl::StrCat(testing::ClientCommand(*servers->target), " --force < ", dir,
                                       "/dry.sql > ", dir, "/apply.txt 2>&1")),
            0)
      << ReadFile(dir + "/apply.txt");
  EXPECT_EQ(victim_rows(), "2");
  EXPECT_EQ(ShellExitCode(verify), 0) << ReadFile(dir + "/report.json");

  // The repair itself.
  ASSERT_TRUE(testing::DivergeQuoteRows(*dst).ok());
  ASSERT_EQ(ShellExitCode(verify), 1) << ReadFile(dir + "/verifier.err");
  ASSERT_EQ(ShellExitCode(absl::StrCat(repair, " > ", dir, "/repair.out 2>&1")), 0)
      << ReadFile(dir + "/repair.out");
  EXPECT_THAT(ReadFile(dir + "/repair.out"),
              HasSubstr("inj.t -> inj.t: 7 keys, 6 replaced, 1 deleted"));
  EXPECT_THAT(ReadFile(dir + "/repair.out"),
              HasSubstr("inj.b -> inj.b: 3 keys, 2 replaced, 1 deleted"));
  EXPECT_EQ(victim_rows(), "2");
  EXPECT_EQ(ShellExitCode(verify), 0) << ReadFile(dir + "/report.json");
}

}  // namespace
}  // namespace dcp::padder
