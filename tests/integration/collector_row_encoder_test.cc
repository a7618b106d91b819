// Canonical keys and checksums of rows decoded from a real MariaDB binlog: the same logical
// rows in tables with a different column order and wider types give identical checksums;
// a changed value gives a different one; a stale schema is detected.
#include <map>

#include "collector/row_encoder.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mysql/binlog/file_reader.h"
#include "mysql/binlog/reader.h"
#include "mysql/binlog/rows.h"
#include "tests/harness/mariadb_fixture.h"

namespace dcp::collector {
namespace {

using mysql::binlog::RowOp;

struct Decoded {
  std::string table;  // schema.table
  RowOp op;
  EncodedRow row;
};

class RowEncoderTest : public testing::MariaDbFixture {
 protected:
  void SetUp() override { StartServer(61); }

  // Decodes the server's whole binlog and encodes every row of the shop schema.
  std::vector<Decoded> DecodeAll(const TagRule& rule) {
    std::vector<Decoded> out;
    EXPECT_TRUE(conn_->Execute("FLUSH BINARY LOGS").ok());
    mysql::binlog::FileReader::Options fo;
    fo.files = {server_->dir() + "/data/mysql-bin.000001"};
    auto reader = mysql::binlog::FileReader::Open(fo);
    EXPECT_TRUE(reader.ok()) << reader.status();
    if (!reader.ok()) return out;
    mysql::binlog::EventReader events(reader->get());
    std::map<std::string, TableEncoder> encoders;
    while (true) {
      auto ev = events.Next();
      EXPECT_TRUE(ev.ok()) << ev.status();
      if (!ev.ok() || *ev == nullptr) break;
      const auto* rows = std::get_if<mysql::binlog::RowsEvent>(&(*ev)->body);
      if (rows == nullptr || rows->table->schema != "shop") continue;
      const std::string name = rows->table->schema + "." + rows->table->table;
      auto it = encoders.find(name);
      if (it == encoders.end()) {
        auto schema = mysql::ReadTableSchema(*conn_, rows->table->schema, rows->table->table);
        EXPECT_TRUE(schema.ok()) << schema.status();
        auto json = MariaDbJsonColumns(*conn_, rows->table->schema, rows->table->table);
        EXPECT_TRUE(json.ok()) << json.status();
        auto enc = TableEncoder::Create(*schema, rule, *json);
        EXPECT_TRUE(enc.ok()) << enc.status();
        it = encoders.emplace(name, std::move(*enc)).first;
      }
      last_check_ = it->second.CheckTableMap(*rows->table);
      if (!last_check_.ok()) continue;
      mysql::binlog::RowIterator iter(*rows);
      mysql::binlog::RowChange change;
      while (!iter.done()) {
        EXPECT_TRUE(iter.Next(change).ok());
        auto encoded = change.op == RowOp::kDelete ? it->second.EncodeDelete(change.before)
                                                   : it->second.EncodeRow(change.after);
        EXPECT_TRUE(encoded.ok()) << encoded.status();
        if (encoded.ok()) out.push_back({name, change.op, *encoded});
      }
    }
    return out;
  }

  absl::Status last_check_;
};

TEST_F(RowEncoderTest, SameRowsInDifferentlyShapedTablesGiveSameChecksums) {
  Exec("CREATE DATABASE shop");
  Exec(
      "CREATE TABLE shop.a (id INT PRIMARY KEY, name VARCHAR(20), code CHAR(5),"
      " price DECIMAL(8,2), w FLOAT, at DATETIME(3), ts TIMESTAMP(6) NULL, e ENUM('x','y'),"
      " s SET('p','q','r'), doc JSON, raw VARBINARY(8), n INT UNSIGNED, note TEXT)");
  Exec(
      "CREATE TABLE shop.b (note MEDIUMTEXT, n BIGINT UNSIGNED, raw BLOB, doc JSON,"
      " s SET('p','q','r'), e ENUM('x','y'), ts TIMESTAMP(3) NULL, at DATETIME(6),"
      " w DOUBLE, price DECIMAL(12,4), code CHAR(10), name VARCHAR(50), id BIGINT PRIMARY KEY)");
  const std::string values =
      "(1, 'apple', 'ab', 1.50, 0.5, '2024-01-02 03:04:05.500', '2024-05-06 07:08:09.250',"
      " 'y', 'p,r', '{\"b\": 1, \"a\": [true, null]}', x'00ff10', 4294967295, NULL),"
      "(2, '', 'zz', -0.25, -2, '1999-12-31 23:59:59.000', NULL, 'x', '', '[]', '', 0, 'n')";
  Exec("INSERT INTO shop.a (id, name, code, price, w, at, ts, e, s, doc, raw, n, note) VALUES " +
       values);
  Exec("INSERT INTO shop.b (id, name, code, price, w, at, ts, e, s, doc, raw, n, note) VALUES " +
       values);
  Exec("UPDATE shop.a SET name = 'apricot' WHERE id = 1");
  Exec("DELETE FROM shop.a WHERE id = 2");

  TagRule rule;
  rule.name = "t";
  rule.tables = {"shop.*"};
  rule.rename = {{"shop.b", "shop.a"}};  // compare b's rows as a's
  auto rows = DecodeAll(rule);
  ASSERT_EQ(rows.size(), 6u);
  // Inserts into a and b: same keys and checksums.
  EXPECT_EQ(rows[0].table, "shop.a");
  EXPECT_EQ(rows[2].table, "shop.b");
  for (int i : {0, 1}) {
    EXPECT_EQ(rows[i].row.key, rows[i + 2].row.key);
    EXPECT_EQ(rows[i].row.content, rows[i + 2].row.content);
    EXPECT_EQ(rows[i].row.checksum, rows[i + 2].row.checksum);
  }
  EXPECT_EQ(rows[0].row.key, R"(["shop.a","n:1"])");
  EXPECT_EQ(
      rows[0].row.content,
      R"({"at":"t:2024-01-02 03:04:05.5","code":"s:ab","doc":"j:{\"a\":[true,null],\"b\":1}",)"
      R"("e":"s:y","id":"n:1","n":"n:4294967295","name":"s:apple","note":null,)"
      R"("price":"n:1.5","raw":"b:AP8Q","s":"s:p,r","ts":"t:2024-05-06 07:08:09.25",)"
      R"("w":"n:0.5"})");
  // The update changed a value: same key, different checksum.
  EXPECT_EQ(rows[4].op, RowOp::kUpdate);
  EXPECT_EQ(rows[4].row.key, rows[0].row.key);
  EXPECT_NE(rows[4].row.checksum, rows[0].row.checksum);
  EXPECT_THAT(rows[4].row.content, ::testing::HasSubstr(R"("name":"s:apricot")"));
  // The delete carries the key and the delete marker.
  EXPECT_EQ(rows[5].op, RowOp::kDelete);
  EXPECT_EQ(rows[5].row.key, R"(["shop.a","n:2"])");
  EXPECT_EQ(rows[5].row.content, "DELETE");
}

TEST_F(RowEncoderTest, StaleSchemaIsDetected) {
  Exec("CREATE DATABASE shop");
  Exec("CREATE TABLE shop.t (id INT PRIMARY KEY, v INT)");
  Exec("INSERT INTO shop.t VALUES (1, 1)");
  // The schema is read after the DDL below; the binlog's row event predates it.
  Exec("ALTER TABLE shop.t ADD COLUMN w INT");
  TagRule rule;
  rule.name = "t";
  rule.tables = {"shop.*"};
  auto rows = DecodeAll(rule);
  EXPECT_TRUE(rows.empty());
  EXPECT_EQ(last_check_.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(last_check_.message(),
              ::testing::HasSubstr("the binlog has 2 columns but the schema read has 3"));
}

TEST_F(RowEncoderTest, TableWithoutKeyNeedsOverride) {
  Exec("CREATE DATABASE shop");
  Exec("CREATE TABLE shop.log (day DATE, seq INT, msg TEXT)");
  auto schema = mysql::ReadTableSchema(*conn_, "shop", "log");
  ASSERT_TRUE(schema.ok());
  TagRule rule;
  rule.name = "t";
  rule.tables = {"shop.*"};
  auto no_key = TableEncoder::Create(*schema, rule);
  EXPECT_EQ(no_key.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(no_key.status().message(), ::testing::HasSubstr("key-columns"));
  rule.key_columns = {{"shop.log", {"day", "SEQ"}}};
  auto with_key = TableEncoder::Create(*schema, rule);
  ASSERT_TRUE(with_key.ok()) << with_key.status();
  EXPECT_EQ(with_key->key_columns(), (std::vector<size_t>{0, 1}));
}

TEST(ParseEnumLabels, QuotesAndCommas) {
  EXPECT_EQ(ParseEnumLabels("enum('a','it''s','x,y')"),
            (std::vector<std::string>{"a", "it's", "x,y"}));
  EXPECT_EQ(ParseEnumLabels("set('')"), (std::vector<std::string>{""}));
}

}  // namespace
}  // namespace dcp::collector
