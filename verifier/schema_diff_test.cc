#include "verifier/schema_diff.h"

#include <functional>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/verifier/verifier_test_util.h"

namespace dcp::verifier {
namespace {

using mysql::ColumnSchema;
using mysql::IndexSchema;
using mysql::TableSchema;

ColumnSchema Column(const std::string& name, int ordinal, const std::string& data_type,
                    const std::string& column_type) {
  ColumnSchema c = testing_util::ColumnOf(name, data_type, column_type);
  c.ordinal = ordinal;
  return c;
}

TableSchema Base() {
  TableSchema t;
  t.schema = "shop";
  t.name = "orders";
  ColumnSchema id = Column("id", 1, "int", "int(11)");
  id.nullable = false;
  id.extra = "auto_increment";
  ColumnSchema name = Column("name", 2, "varchar", "varchar(20)");
  name.default_value = "'x'";
  name.charset = "utf8mb4";
  name.collation = "utf8mb4_general_ci";
  t.columns = {id, name, Column("total", 3, "decimal", "decimal(10,2)")};
  IndexSchema pk;
  pk.name = "PRIMARY";
  pk.unique = true;
  pk.type = "BTREE";
  pk.parts = {{"id", std::nullopt, false}};
  t.primary_key = pk;
  IndexSchema k;
  k.name = "k_name";
  k.type = "BTREE";
  k.parts = {{"name", 5, false}};
  t.indexes = {k};
  mysql::ForeignKeySchema fk;
  fk.name = "fk_c";
  fk.columns = {"id"};
  fk.referenced_schema = "shop";
  fk.referenced_table = "customers";
  fk.referenced_columns = {"id"};
  fk.on_update = "RESTRICT";
  fk.on_delete = "CASCADE";
  t.foreign_keys = {fk};
  t.options.engine = "InnoDB";
  t.options.charset = "utf8mb4";
  t.options.collation = "utf8mb4_general_ci";
  t.options.row_format = "Dynamic";
  t.options.auto_increment = 10;
  return t;
}

struct Case {
  std::string cls;
  std::function<void(TableSchema&)> change;
};

std::vector<Case> Cases() {
  return {
      {"column", [](TableSchema& t) { t.columns.pop_back(); }},
      {"column_order",
       [](TableSchema& t) {
         std::swap(t.columns[1], t.columns[2]);
         std::swap(t.columns[1].ordinal, t.columns[2].ordinal);
       }},
      {"type", [](TableSchema& t) { t.columns[2].column_type = "decimal(12,2)"; }},
      {"nullability", [](TableSchema& t) { t.columns[1].nullable = false; }},
      {"default", [](TableSchema& t) { t.columns[1].default_value = "'y'"; }},
      {"charset", [](TableSchema& t) { t.columns[1].charset = "latin1"; }},
      {"collation", [](TableSchema& t) { t.columns[1].collation = "utf8mb4_bin"; }},
      {"generated",
       [](TableSchema& t) {
         t.columns[2].generation_expression = "`id` * 2";
         t.columns[2].extra = "stored generated";
       }},
      {"auto_increment", [](TableSchema& t) { t.columns[0].extra = ""; }},
      {"auto_increment", [](TableSchema& t) { t.options.auto_increment = 11; }},
      {"extra", [](TableSchema& t) { t.columns[1].extra = "on update current_timestamp()"; }},
      {"comment", [](TableSchema& t) { t.columns[1].comment = "hi"; }},
      {"comment", [](TableSchema& t) { t.options.comment = "hi"; }},
      {"primary_key",
       [](TableSchema& t) {
         t.primary_key->parts.push_back({"name", 3, false});
       }},
      {"index", [](TableSchema& t) { t.indexes[0].parts[0].prefix_length = 6; }},
      {"index", [](TableSchema& t) { t.indexes.clear(); }},
      {"index", [](TableSchema& t) { t.indexes[0].unique = true; }},
      {"foreign_key", [](TableSchema& t) { t.foreign_keys[0].on_delete = "RESTRICT"; }},
      {"foreign_key", [](TableSchema& t) { t.foreign_keys.clear(); }},
      {"engine", [](TableSchema& t) { t.options.engine = "Aria"; }},
      {"table_charset", [](TableSchema& t) { t.options.charset = "latin1"; }},
      {"table_collation", [](TableSchema& t) { t.options.collation = "utf8mb4_bin"; }},
      {"row_format", [](TableSchema& t) { t.options.row_format = "Compact"; }},
      {"create_options", [](TableSchema& t) { t.options.create_options = "page_compressed=1"; }},
  };
}

TEST(CompareTableSchemas, IdenticalHasNoDifference) {
  EXPECT_THAT(CompareTableSchemas(Base(), Base(), {}), ::testing::IsEmpty());
}

TEST(CompareTableSchemas, EachClassDetectedOnlyAsItself) {
  for (const Case& c : Cases()) {
    TableSchema target = Base();
    c.change(target);
    auto diffs = CompareTableSchemas(Base(), target, {});
    ASSERT_FALSE(diffs.empty()) << c.cls;
    for (const SchemaDifference& d : diffs) {
      EXPECT_EQ(d.diff_class, c.cls) << d.ToString();
      EXPECT_NE(d.source_value, d.target_value) << d.ToString();
    }
  }
}

TEST(CompareTableSchemas, IgnoreSuppressesOnlyItsClass) {
  for (const Case& c : Cases()) {
    TableSchema target = Base();
    c.change(target);
    EXPECT_THAT(CompareTableSchemas(Base(), target, {c.cls}), ::testing::IsEmpty()) << c.cls;
    // Ignoring every other class leaves the difference reported.
    std::set<std::string> others;
    for (const std::string& k : SchemaDifferenceClasses()) {
      if (k != c.cls) others.insert(k);
    }
    EXPECT_FALSE(CompareTableSchemas(Base(), target, others).empty()) << c.cls;
  }
}

TEST(CompareTableSchemas, ReportsBothValues) {
  TableSchema target = Base();
  target.columns[2].column_type = "decimal(12,2)";
  auto diffs = CompareTableSchemas(Base(), target, {});
  ASSERT_EQ(diffs.size(), 1u);
  EXPECT_EQ(diffs[0].object, "column total");
  EXPECT_EQ(diffs[0].source_value, "decimal(10,2)");
  EXPECT_EQ(diffs[0].target_value, "decimal(12,2)");
  EXPECT_EQ(diffs[0].ToString(),
            "shop.orders: column total: type: source decimal(10,2), target decimal(12,2)");
}

TEST(CompareTableSchemas, MissingColumnBothWays) {
  TableSchema target = Base();
  ColumnSchema extra = target.columns[2];
  extra.name = "note";
  extra.ordinal = 4;
  target.columns.push_back(extra);
  target.columns.erase(target.columns.begin() + 1);
  target.columns[1].ordinal = 2;
  target.columns[2].ordinal = 3;
  target.indexes.clear();
  auto diffs = CompareTableSchemas(Base(), target, {"index", "column_order"});
  ASSERT_EQ(diffs.size(), 2u);
  EXPECT_EQ(diffs[0].object, "column name");
  EXPECT_EQ(diffs[0].target_value, std::nullopt);
  EXPECT_EQ(diffs[1].object, "column note");
  EXPECT_EQ(diffs[1].source_value, std::nullopt);
}

TEST(ParseIgnoreClasses, KnownAndUnknown) {
  auto ok = ParseIgnoreClasses({"engine,row_format", "index"});
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, (std::set<std::string>{"engine", "row_format", "index"}));
  auto bad = ParseIgnoreClasses({"engine,bogus"});
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad.status().message()), ::testing::HasSubstr("bogus"));
}

}  // namespace
}  // namespace dcp::verifier
