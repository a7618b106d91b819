// mysql::ReadTableSchema / ListTables against a throwaway MariaDB: every field of TableSchema
// is read as the server reports it.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mysql/schema.h"
#include "tests/harness/mariadb_server.h"

namespace dcp::mysql {
namespace {

TEST(MysqlSchema, ReadsColumnsKeysForeignKeysAndOptions) {
  testing::MariaDbServer::Options o;
  o.server_id = 79;
  auto server = testing::MariaDbServer::Start(o);
  ASSERT_TRUE(server.ok()) << server.status();
  auto conn = (*server)->Connect();
  ASSERT_TRUE(conn.ok());
  for (const char* sql : {
           "CREATE DATABASE shop",
           "CREATE TABLE shop.customers (id INT PRIMARY KEY)",
           R"(CREATE TABLE shop.orders (
                id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
                customer INT NOT NULL,
                name VARCHAR(20) CHARACTER SET latin1 COLLATE latin1_bin DEFAULT 'x' COMMENT 'n',
                total DECIMAL(10,2),
                at DATETIME(3) NULL ON UPDATE CURRENT_TIMESTAMP(3),
                twice INT AS (customer * 2) STORED,
                PRIMARY KEY (id, customer), UNIQUE KEY u_name (name(5), total),
                KEY k_total (total),
                CONSTRAINT fk_c FOREIGN KEY (customer) REFERENCES shop.customers (id)
                  ON DELETE CASCADE)
              ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
              ROW_FORMAT=COMPACT AUTO_INCREMENT=42 COMMENT='orders')",
           "CREATE VIEW shop.v AS SELECT 1",
       }) {
    ASSERT_TRUE(conn->Execute(sql).ok()) << sql;
  }
  auto tables = ListTables(*conn, "shop");
  ASSERT_TRUE(tables.ok()) << tables.status();
  EXPECT_EQ(*tables, (std::vector<TableName>{{"shop", "customers"}, {"shop", "orders"}}));
  auto all = ListTables(*conn);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(*all, *tables);  // system schemas and views excluded

  auto t = ReadTableSchema(*conn, "shop", "orders");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->QualifiedName(), "shop.orders");
  ASSERT_EQ(t->columns.size(), 6u);
  const ColumnSchema& id = t->columns[0];
  EXPECT_EQ(id.name, "id");
  EXPECT_EQ(id.ordinal, 1);
  EXPECT_EQ(id.data_type, "bigint");
  EXPECT_EQ(id.column_type, "bigint(20) unsigned");
  EXPECT_FALSE(id.nullable);
  EXPECT_TRUE(id.auto_increment());
  EXPECT_TRUE(id.IsInteger());
  const ColumnSchema* name = t->FindColumn("NAME");
  ASSERT_NE(name, nullptr);
  EXPECT_EQ(name->default_value, std::optional<std::string>("'x'"));
  EXPECT_EQ(name->charset, std::optional<std::string>("latin1"));
  EXPECT_EQ(name->collation, std::optional<std::string>("latin1_bin"));
  EXPECT_EQ(name->comment, "n");
  EXPECT_TRUE(name->nullable);
  EXPECT_EQ(t->FindColumn("total")->Scale(), 2);
  EXPECT_TRUE(t->FindColumn("total")->IsDecimal());
  EXPECT_EQ(t->FindColumn("total")->charset, std::nullopt);
  EXPECT_EQ(t->FindColumn("at")->Scale(), 3);
  EXPECT_THAT(t->FindColumn("at")->extra, ::testing::HasSubstr("on update"));
  const ColumnSchema* twice = t->FindColumn("twice");
  EXPECT_EQ(twice->generation_expression, std::optional<std::string>("`customer` * 2"));
  EXPECT_THAT(twice->extra, ::testing::HasSubstr("stored generated"));
  EXPECT_EQ(id.generation_expression, std::nullopt);

  ASSERT_TRUE(t->primary_key.has_value());
  EXPECT_EQ(t->primary_key->PartsToString(), "(id, customer)");
  EXPECT_TRUE(t->primary_key->unique);
  ASSERT_EQ(t->indexes.size(), 3u);  // fk_c (made for the foreign key), k_total, u_name
  const IndexSchema* u = t->FindIndex("u_name");
  ASSERT_NE(u, nullptr);
  EXPECT_TRUE(u->unique);
  EXPECT_EQ(u->type, "BTREE");
  EXPECT_EQ(u->PartsToString(), "(name(5), total)");
  EXPECT_FALSE(t->FindIndex("k_total")->unique);
  ASSERT_EQ(t->foreign_keys.size(), 1u);
  EXPECT_EQ(t->foreign_keys[0].ToString(),
            "(customer) REFERENCES shop.customers (id) ON UPDATE RESTRICT ON DELETE CASCADE");
  EXPECT_EQ(t->options.engine, "InnoDB");
  EXPECT_EQ(t->options.charset, "utf8mb4");
  EXPECT_EQ(t->options.collation, "utf8mb4_unicode_ci");
  EXPECT_EQ(t->options.row_format, "Compact");
  EXPECT_EQ(t->options.auto_increment, std::optional<uint64_t>(42));
  EXPECT_EQ(t->options.comment, "orders");
  EXPECT_EQ(t->RowKey()->name, "PRIMARY");

  auto again = ReadTableSchema(*conn, "shop", "orders");
  EXPECT_EQ(*again, *t);
  auto missing = ReadTableSchema(*conn, "shop", "nope");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
}

TEST(MysqlSchema, RowKeyFallsBackToUniqueNotNullKey) {
  TableSchema t;
  ColumnSchema a, b;
  a.name = "a";
  a.nullable = true;
  b.name = "b";
  b.nullable = false;
  t.columns = {a, b};
  IndexSchema ua{"u_a", true, "BTREE", {{"a", std::nullopt, false}}};
  IndexSchema ub_prefix{"u_b1", true, "BTREE", {{"b", 3, false}}};
  IndexSchema ub{"u_b2", true, "BTREE", {{"b", std::nullopt, false}}};
  t.indexes = {ua, ub_prefix};
  EXPECT_EQ(t.RowKey(), std::nullopt);  // nullable, prefixed
  t.indexes.push_back(ub);
  EXPECT_EQ(t.RowKey()->name, "u_b2");
}

}  // namespace
}  // namespace dcp::mysql
