// `verifier --config verifier.conf` (gravity's keys) on a seeded case: the count bisection
// prints gravity's ranges, worked out by hand from its rules, and exits 1; equal tables exit 0.
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/harness/mariadb_server.h"
#include "tests/harness/server_util.h"
#include "verifier/cli.h"

namespace dcp::verifier {
namespace {

using ::testing::HasSubstr;

class VerifierGravityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto pair = testing::StartServerPair(75);
    ASSERT_TRUE(pair.ok()) << pair.status();
    const absl::Status s = testing::ExecOnBoth(
        *pair, {"CREATE DATABASE shop",
                "CREATE TABLE shop.orders (id INT PRIMARY KEY, code VARCHAR(10), created DATETIME)",
                "INSERT INTO shop.orders SELECT seq, CONCAT('o', LPAD(seq, 5, '0')), "
                "TIMESTAMP('2024-01-01') + INTERVAL seq MINUTE FROM shop.seq_1_to_1000",
                "CREATE TABLE shop.orders_2 LIKE shop.orders",
                "INSERT INTO shop.orders_2 SELECT * FROM shop.orders"});
    ASSERT_TRUE(s.ok()) << s;
    source_ = std::move(pair->source);
    target_ = std::move(pair->target);
    auto t2 = target_->Connect();
    ASSERT_TRUE(t2->Execute("DELETE FROM shop.orders WHERE id IN (500, 501)").ok());
    ASSERT_TRUE(t2->Execute("INSERT INTO shop.orders VALUES (2000, 'o02000', NULL)").ok());
  }

  std::string Config(const std::string& body) {
    const std::string path = absl::StrCat(::testing::TempDir(), "/verifier_gravity.conf");
    std::ofstream f(path, std::ios::trunc);
    f << body << "\n[source]\nhost = \"127.0.0.1\"\nport = " << source_->port()
      << "\nusername = \"dcp\"\npassword = \"dcp\"\nschema = \"shop\"\n"
      << "[target]\nhost = \"127.0.0.1\"\nport = " << target_->port()
      << "\nusername = \"dcp\"\npassword = \"dcp\"\nschema = \"shop\"\n";
    return path;
  }

  std::unique_ptr<testing::MariaDbServer> source_;
  std::unique_ptr<testing::MariaDbServer> target_;
};

TEST_F(VerifierGravityTest, IntCountBisection) {
  std::ostringstream out, err;
  const std::string path = Config(
      "source-table = \"orders\"\ntarget-table = \"orders\"\ncol-name = \"id\"\n"
      "col-type = \"int\"");
  EXPECT_EQ(RunCli({"--config", path}, out, err), 1) << err.str();
  EXPECT_EQ(out.str(),
            "table shop.orders -> shop.orders:\n"
            "486 ~ 500: target - source = -1\n"
            "501 ~ 516: target - source = -1\n"
            "1001 ~ 2000: target - source = 1\n");
}

TEST_F(VerifierGravityTest, StringCountBisectionAndEqualTable) {
  auto t = target_->Connect();
  ASSERT_TRUE(t->Execute("DELETE FROM shop.orders_2 WHERE id = 500").ok());
  std::ostringstream out, err;
  std::string path = Config(
      "source-table = \"orders_2\"\ncol-name = \"code\"\ncol-type = \"string\"\n"
      "prefix = \"o\"\nmin-string = \"o00001\"\nmax-string = \"o01000\"");
  EXPECT_EQ(RunCli({"--config", path}, out, err), 1) << err.str();
  EXPECT_EQ(out.str(),
            "table shop.orders_2 -> shop.orders_2:\no00486 ~ o00500: target - source = -1\n");
  ASSERT_TRUE(
      t->Execute("INSERT INTO shop.orders_2 VALUES (500, 'o00500', '2024-01-01 08:20:00')").ok());
  std::ostringstream out2;
  path = Config("source-table = \"orders_2\"\ncol-name = \"created\"\ncol-type = \"time\"");
  EXPECT_EQ(RunCli({"--config", path}, out2, err), 0) << err.str();
  EXPECT_EQ(out2.str(), "table shop.orders_2: counts equal\n");
}

TEST_F(VerifierGravityTest, ShadingComparesTableLists) {
  auto t = target_->Connect();
  ASSERT_TRUE(t->Execute("CREATE TABLE shop.orders_3 (id INT PRIMARY KEY)").ok());
  std::ostringstream out, err;
  const std::string path = Config(
      "source-table = \"orders*\"\ntarget-table = \"orders*\"\nshading = true\n"
      "col-name = \"id\"\nparallel = 2");
  EXPECT_EQ(RunCli({"--config", path}, out, err), 1) << err.str();
  EXPECT_THAT(out.str(), HasSubstr("table lists differ"));
  EXPECT_THAT(out.str(), HasSubstr("target: orders, orders_2, orders_3"));
  ASSERT_TRUE(t->Execute("DROP TABLE shop.orders_3").ok());
  std::ostringstream out2;
  EXPECT_EQ(RunCli({"--config", path}, out2, err), 1) << err.str();
  EXPECT_THAT(out2.str(), HasSubstr("1001 ~ 2000: target - source = 1\n"));
  EXPECT_THAT(out2.str(), HasSubstr("table shop.orders_2: counts equal\n"));
}

}  // namespace
}  // namespace dcp::verifier
