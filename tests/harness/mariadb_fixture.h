// A GoogleTest fixture with one throwaway MariaDB server (mariadb_server.h) and a connection
// to it as the test user, for tests that write a workload and read it back. Header-only.
#ifndef DCP_TESTS_HARNESS_MARIADB_FIXTURE_H_
#define DCP_TESTS_HARNESS_MARIADB_FIXTURE_H_

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "mysql/connection.h"
#include "tests/harness/mariadb_server.h"

namespace dcp::testing {

class MariaDbFixture : public ::testing::Test {
 protected:
  // Starts the server and connects; call from SetUp(). `extra_args` go to mariadbd.
  void StartServer(uint32_t server_id, std::vector<std::string> extra_args = {}) {
    MariaDbServer::Options options;
    options.server_id = server_id;
    options.extra_args = std::move(extra_args);
    auto server = MariaDbServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    auto conn = server_->Connect();
    ASSERT_TRUE(conn.ok()) << conn.status();
    conn_ = std::make_unique<mysql::Connection>(std::move(*conn));
  }

  void Exec(const std::string& sql) { ASSERT_TRUE(conn_->Execute(sql).ok()) << sql; }
  void Exec(std::initializer_list<const char*> statements) {
    for (const char* sql : statements) Exec(sql);
  }

  // drc.barrier as dcp creates it, with rows `ids` at offset 0 written outside the binlog, so
  // that the first barrier a collector sees is the first bump.
  void CreateBarrierTable(const std::vector<int>& ids = {1}) {
    Exec({"CREATE DATABASE drc",
          "CREATE TABLE drc.barrier (id INT UNSIGNED NOT NULL AUTO_INCREMENT, `offset` BIGINT "
          "UNSIGNED NOT NULL DEFAULT 0, ts TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON "
          "UPDATE CURRENT_TIMESTAMP, PRIMARY KEY (id))",
          "SET SESSION sql_log_bin = 0"});
    std::vector<std::string> rows;
    for (int id : ids) rows.push_back(absl::StrCat("(", id, ", 0)"));
    Exec(absl::StrCat("INSERT INTO drc.barrier (id, `offset`) VALUES ", absl::StrJoin(rows, ", ")));
    Exec("SET SESSION sql_log_bin = 1");
  }
  void BumpBarrier(int id = 1) {
    Exec(absl::StrCat("UPDATE drc.barrier SET `offset` = `offset` + 1 WHERE id = ", id));
  }

  std::unique_ptr<MariaDbServer> server_;
  std::unique_ptr<mysql::Connection> conn_;
};

}  // namespace dcp::testing

#endif  // DCP_TESTS_HARNESS_MARIADB_FIXTURE_H_
