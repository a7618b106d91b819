// Test helper: the MySQL binlog corpus, 77 binlog and relay-log files written by real MySQL
// 5.0–9.6 (and one MariaDB) servers, with a MANIFEST.md saying where each comes from and what
// it holds. The files may not be copied into this repository: tests read them from
// `../shared/mysql-binlogs` beside the checkout (or $DCP_MYSQL_BINLOGS) and skip, visibly,
// when the folder is absent, as it is in a user's clone. Header-only, for tests.
#ifndef DCP_MYSQL_BINLOG_TEST_CORPUS_H_
#define DCP_MYSQL_BINLOG_TEST_CORPUS_H_

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace dcp::mysql::binlog::testing {

// The corpus folder, or "" when it is absent. DCP_SOURCE_DIR is the checkout's root, set by
// the test's CMake target.
inline std::string MysqlCorpusDir() {
  namespace fs = std::filesystem;
  if (const char* env = std::getenv("DCP_MYSQL_BINLOGS"); env != nullptr && *env != '\0') {
    return fs::is_directory(env) ? std::string(env) : std::string();
  }
#ifdef DCP_SOURCE_DIR
  const fs::path dir = fs::path(DCP_SOURCE_DIR) / ".." / "shared" / "mysql-binlogs";
  std::error_code ec;
  if (fs::is_regular_file(dir / "MANIFEST.md", ec)) return fs::weakly_canonical(dir).string();
#endif
  return "";
}

// The base names of the corpus's binlog files (everything but MANIFEST.md and expected/),
// sorted; empty when the corpus is absent.
inline std::vector<std::string> MysqlCorpusFiles() {
  std::vector<std::string> names;
  const std::string dir = MysqlCorpusDir();
  if (dir.empty()) return names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    const std::string name = entry.path().filename().string();
    if (name == "MANIFEST.md") continue;
    names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

// The message for GTEST_SKIP() when the corpus is absent.
inline const char* kNoMysqlCorpus =
    "MySQL binlog corpus not found (../shared/mysql-binlogs beside the checkout, or "
    "$DCP_MYSQL_BINLOGS): skipped";

}  // namespace dcp::mysql::binlog::testing

#endif  // DCP_MYSQL_BINLOG_TEST_CORPUS_H_
