#include "verifier/data_config.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dcp::verifier {
namespace {

using ::testing::HasSubstr;

TEST(DataConfig, TheShippedExampleParses) {
  setenv("VERIFIER_SOURCE_PASSWORD", "s", 1);
  const std::string pw = ::testing::TempDir() + "/verifier-target.pw";
  // The example names /etc/dcp/target.pw; read it with the file swapped for a temp one.
  std::ifstream in(std::string(std::getenv("DCP_SOURCE_DIR")) + "/examples/verifier.toml");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  text.replace(text.find("/etc/dcp/target.pw"), 18, pw);
  std::ofstream(pw) << "t\n";
  absl::StatusOr<DataConfig> c = ParseDataConfig(text, "verifier.toml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->source->password, "s");
  EXPECT_EQ(c->target->password, "t");
  EXPECT_EQ(c->target->Address(), "10.0.0.2:3306");
  EXPECT_EQ(c->parallel, 4);
  EXPECT_EQ(c->tables, (std::vector<std::string>{"shop.*", "billing.*"}));
  EXPECT_EQ(c->max_load, (std::vector<std::string>{"Threads_running=40"}));
  ASSERT_EQ(c->table_overrides.size(), 2u);
  EXPECT_EQ(c->table_overrides[0].table, "shop.orders");
  EXPECT_EQ(c->table_overrides[0].chunk_rows, 5000u);
  EXPECT_EQ(c->table_overrides[1].chunk_time, absl::Seconds(1));
  std::remove(pw.c_str());
}

TEST(DataConfig, OverridesApplyToTheFirstMatchingTable) {
  DataOptions o;
  o.where = "run";
  o.chunk_time = absl::Milliseconds(500);
  TableOverride orders;
  orders.table = "shop.orders";
  orders.where = "id > 10";
  orders.chunk_rows = 5000;
  TableOverride shop;
  shop.table = "shop.*";
  shop.columns = std::vector<std::string>{"a"};
  o.table_overrides = {orders, shop};
  const DataOptions a = OptionsForTable(o, "shop.orders");
  EXPECT_EQ(a.where, "id > 10");
  EXPECT_EQ(a.min_chunk_rows, 5000u);
  EXPECT_EQ(a.max_chunk_rows, 5000u);
  EXPECT_TRUE(a.columns.empty());
  const DataOptions b = OptionsForTable(o, "shop.items");
  EXPECT_EQ(b.where, "run");
  EXPECT_EQ(b.columns, std::vector<std::string>{"a"});
  EXPECT_EQ(OptionsForTable(o, "other.t").where, "run");
}

TEST(DataConfig, Errors) {
  auto error = [](const std::string& text) {
    absl::StatusOr<DataConfig> c = ParseDataConfig(text, "v.toml");
    return c.ok() ? std::string("ok") : std::string(c.status().message());
  };
  EXPECT_THAT(error("[data]\nparalel = 2\n"), HasSubstr("v.toml:2:11: data.paralel: unknown key"));
  EXPECT_THAT(error("[data]\nparallel = \"2\"\n"), HasSubstr("data.parallel: must be an integer"));
  EXPECT_THAT(error("[source]\npassword-env = \"X\"\n"), HasSubstr("source.dsn: missing"));
  EXPECT_THAT(error("[[table]]\nwhere = \"1\"\n"), HasSubstr("table[0].name: missing"));
  EXPECT_THAT(error("[[table]]\nname = \"a.b\"\nchunk-time = \"soon\"\n"),
              HasSubstr("table[0].chunk-time"));
  EXPECT_THAT(error("[sources]\n"), HasSubstr("unknown section"));
  unsetenv("DCP_NOT_SET_PW");
  EXPECT_THAT(error("[source]\ndsn = \"mysql://u@h\"\npassword-env = \"DCP_NOT_SET_PW\"\n"),
              HasSubstr("DCP_NOT_SET_PW is not set"));
  EXPECT_THAT(error("[data\n"), HasSubstr("v.toml:1:"));
}

}  // namespace
}  // namespace dcp::verifier
