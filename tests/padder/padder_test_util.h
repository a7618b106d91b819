// Helpers for padder's real-server tests: a source and a target server, table copies,
// comparisons by CHECKSUM TABLE and row by row.
#ifndef DCP_TESTS_PADDER_PADDER_TEST_UTIL_H_
#define DCP_TESTS_PADDER_PADDER_TEST_UTIL_H_

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "mysql/connection.h"
#include "padder/engine.h"
#include "padder/mysql_target.h"
#include "tests/harness/mariadb_server.h"
#include "tests/harness/server_util.h"
#include "util/atomic_file.h"

namespace dcp::padder::testing_util {

// Scratch directories made by TempDir(), removed when the test process exits.
inline std::vector<std::string>& ScratchDirs() {
  static auto* dirs = [] {
    auto* d = new std::vector<std::string>();
    std::atexit([] {
      std::error_code ec;
      for (const std::string& dir : ScratchDirs()) std::filesystem::remove_all(dir, ec);
    });
    return d;
  }();
  return *dirs;
}

inline std::string TempDir(const std::string& name) {
  const char* base = std::getenv("DCP_TEST_TMPDIR");
  std::string dir = absl::StrCat(base != nullptr ? base : "/tmp", "/padder-", name, "-", getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  ScratchDirs().push_back(dir);
  return dir;
}

// A connection to `server` as the test user; nullptr (and a test failure) when it fails.
inline std::unique_ptr<mysql::Connection> Connected(const testing::MariaDbServer& server) {
  absl::StatusOr<mysql::Connection> conn = server.Connect();
  EXPECT_TRUE(conn.ok()) << conn.status();
  return conn.ok() ? std::make_unique<mysql::Connection>(*std::move(conn)) : nullptr;
}

// Every binlog file of `server`, in order (full paths); a test failure when they cannot be
// listed.
inline std::vector<std::string> BinlogFiles(const testing::MariaDbServer& server,
                                            mysql::Connection& conn) {
  absl::StatusOr<std::vector<std::string>> files = testing::ListBinlogFiles(server, conn);
  EXPECT_TRUE(files.ok()) << files.status();
  return files.ok() ? *files : std::vector<std::string>{};
}

// One run of the engine as `padder --config` makes it: the target, the checkpoint of
// `o.checkpoint_file` when there is one, and the source from there. Test failures for a
// target or source that cannot be opened (also returned as the result's status).
inline Engine::Result RunEngine(const Options& o) {
  auto target = MysqlTarget::Open(o.target);
  EXPECT_TRUE(target.ok()) << target.status();
  if (!target.ok()) return {target.status(), {}};
  std::optional<Checkpoint> checkpoint;
  if (!o.checkpoint_file.empty()) {
    auto text = ReadFileIfExists(o.checkpoint_file);
    if (text.ok() && text->has_value()) checkpoint = *Checkpoint::Parse(**text);
  }
  mysql::binlog::Decoder::Options dopts;
  auto source = BuildSource(o, checkpoint, dopts);
  EXPECT_TRUE(source.ok()) << source.status();
  if (!source.ok()) return {source.status(), {}};
  Engine engine(o, target->get());
  return engine.Run(source->get(), dopts);
}

// The current binlog file and position of `conn`'s server.
inline Position MasterPosition(mysql::Connection& conn) {
  auto rs = conn.Query("SHOW MASTER STATUS");
  EXPECT_TRUE(rs.ok() && !rs->rows.empty());
  if (!rs.ok() || rs->rows.empty()) return {};
  return Position{*rs->rows[0][0], std::stoull(*rs->rows[0][1])};
}

// Creates `db`.`table` on `to` as it is on `from`.
inline void CopyTable(mysql::Connection& from, mysql::Connection& to, const std::string& db,
                      const std::string& table) {
  auto create = from.Query(absl::StrCat("SHOW CREATE TABLE `", db, "`.`", table, "`"));
  ASSERT_TRUE(create.ok()) << create.status();
  ASSERT_TRUE(to.Execute(absl::StrCat("CREATE DATABASE IF NOT EXISTS `", db, "`")).ok());
  ASSERT_TRUE(to.Execute(absl::StrCat("USE `", db, "`")).ok());
  const absl::Status s = to.Execute(*create->rows[0][1]);
  ASSERT_TRUE(s.ok()) << s;
}

inline std::string Checksum(mysql::Connection& conn, const std::string& qualified) {
  auto rs = conn.Query(absl::StrCat("CHECKSUM TABLE ", qualified, " EXTENDED"));
  EXPECT_TRUE(rs.ok()) << rs.status();
  if (!rs.ok()) return "";
  return rs->rows[0][1].value_or("NULL");
}

// Every row of `qualified` ordered by `order`, as text (blobs as bytes).
inline std::vector<mysql::Row> Rows(mysql::Connection& conn, const std::string& qualified,
                                    const std::string& order) {
  auto rs = conn.Query(absl::StrCat("SELECT * FROM ", qualified, " ORDER BY ", order));
  EXPECT_TRUE(rs.ok()) << rs.status();
  return rs.ok() ? rs->rows : std::vector<mysql::Row>{};
}

inline void ExpectSameTable(mysql::Connection& source, mysql::Connection& target,
                            const std::string& qualified, const std::string& order) {
  SCOPED_TRACE(qualified);
  EXPECT_EQ(Checksum(source, qualified), Checksum(target, qualified));
  const std::vector<mysql::Row> a = Rows(source, qualified, order);
  const std::vector<mysql::Row> b = Rows(target, qualified, order);
  ASSERT_EQ(a.size(), b.size());
  for (size_t r = 0; r < a.size(); ++r) {
    ASSERT_EQ(a[r].size(), b[r].size());
    for (size_t c = 0; c < a[r].size(); ++c) {
      EXPECT_EQ(a[r][c], b[r][c]) << "row " << r << " (" << a[r][0].value_or("NULL") << ") column "
                                  << c;
    }
  }
}

// "k:v" pairs of a two-column table, for compact expectations.
inline std::string Pairs(mysql::Connection& conn, const std::string& qualified) {
  auto rs = conn.Query(absl::StrCat("SELECT * FROM ", qualified, " ORDER BY 1"));
  EXPECT_TRUE(rs.ok()) << rs.status();
  std::vector<std::string> parts;
  if (rs.ok()) {
    for (const auto& r : rs->rows) {
      parts.push_back(absl::StrCat(r[0].value_or("NULL"), ":", r[1].value_or("NULL")));
    }
  }
  return absl::StrJoin(parts, " ");
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace dcp::padder::testing_util

#endif  // DCP_TESTS_PADDER_PADDER_TEST_UTIL_H_
