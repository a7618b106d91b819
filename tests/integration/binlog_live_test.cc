// Decodes the binlog files of a throwaway MariaDB after a workload over every MariaDB column
// type and compares every decoded value with what SELECT returns for the same row, after
// each step. The decoded changes are replayed into an in-memory table keyed by primary key;
// after each step that table must equal the server's.
#include <cmath>
#include <filesystem>
#include <cstdlib>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mysql/binlog/file_reader.h"
#include "mysql/binlog/reader.h"
#include "mysql/binlog/rows.h"
#include "mysql/binlog/stream_reader.h"
#include "tests/harness/mariadb_server.h"
#include "tests/integration/binlog_live_util.h"

namespace dcp::mysql::binlog {
namespace {

using testing_util::Column;
using testing_util::Compare;
using testing_util::Kind;
using testing_util::Replay;
using testing_util::ServerTable;
using testing_util::Table;

// Every file of the server's binlog index, in order.
std::vector<std::string> BinlogFiles(testing::MariaDbServer& server, mysql::Connection& conn) {
  std::vector<std::string> files;
  auto rs = conn.Query("SHOW BINARY LOGS");
  EXPECT_TRUE(rs.ok()) << rs.status();
  if (!rs.ok()) return files;
  for (const auto& row : rs->rows) files.push_back(absl::StrCat(server.dir(), "/data/", *row[0]));
  return files;
}

absl::StatusOr<Table> DecodeAll(RawEventSource* source, Decoder::Options decoder_options,
                                const std::string& db, const std::string& name,
                                const std::vector<Column>& cols) {
  EventReader reader(source, decoder_options);
  Table table;
  RowChange change;
  for (;;) {
    ASSIGN_OR_RETURN(const Event* ev, reader.Next());
    if (ev == nullptr) break;
    const auto* rows = std::get_if<RowsEvent>(&ev->body);
    if (rows == nullptr || rows->table == nullptr) continue;
    if (rows->table->schema != db || rows->table->table != name) continue;
    RowIterator it(*rows);
    while (!it.done()) {
      RETURN_IF_ERROR(it.Next(change));
      RETURN_IF_ERROR(Replay(*rows->table, cols, change, table));
    }
  }
  return table;
}

class BinlogLiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::MariaDbServer::Options o;
    o.server_id = 71;
    o.extra_args = {"--binlog-row-metadata=FULL", "--max-allowed-packet=64M"};
    auto s = testing::MariaDbServer::Start(o);
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = *std::move(s);
    auto c = server_->Connect();
    ASSERT_TRUE(c.ok()) << c.status();
    conn_ = std::make_unique<mysql::Connection>(*std::move(c));
    ASSERT_TRUE(conn_->Execute("SET SESSION sql_mode=''").ok());
    ASSERT_TRUE(conn_->Execute("CREATE DATABASE w").ok());
  }

  void Exec(const std::string& sql) {
    const absl::Status s = conn_->Execute(sql);
    ASSERT_TRUE(s.ok()) << s << "\n" << sql.substr(0, 300);
  }

  // Decoded state of w.`name` equals SELECT.
  void ExpectSame(const std::string& name, const std::vector<Column>& cols, const char* step) {
    SCOPED_TRACE(step);
    auto server_rows = ServerTable(*conn_, "w", name, cols);
    ASSERT_TRUE(server_rows.ok()) << server_rows.status();
    EXPECT_FALSE(server_rows->empty());
    // From the files.
    FileReader::Options fo;
    fo.files = BinlogFiles(*server_, *conn_);
    auto files = FileReader::Open(fo);
    ASSERT_TRUE(files.ok()) << files.status();
    auto decoded = DecodeAll(files->get(), Decoder::Options(), "w", name, cols);
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    Compare(cols, *server_rows, *decoded);
    // From the live stream, as a replica, from the first file to the current end.
    StreamReader::Options so;
    so.dsn = server_->Dsn();
    so.server_id = 9000 + (++stream_count_);
    so.file = std::filesystem::path(fo.files[0]).filename().string();
    so.position = 4;
    auto stream = StreamReader::Open(so);
    ASSERT_TRUE(stream.ok()) << stream.status();
    EXPECT_TRUE((*stream)->is_mariadb());
    EXPECT_EQ((*stream)->checksum(), ChecksumAlg::kCrc32);
    Decoder::Options dopts;
    dopts.initial_checksum = (*stream)->checksum();
    auto streamed = DecodeAll(stream->get(), dopts, "w", name, cols);
    ASSERT_TRUE(streamed.ok()) << streamed.status();
    Compare(cols, *server_rows, *streamed);
  }

  int stream_count_ = 0;

  std::unique_ptr<testing::MariaDbServer> server_;
  std::unique_ptr<mysql::Connection> conn_;
};

const std::vector<Column>& AllTypes() {
  static const auto* cols = new std::vector<Column>{
      {"id", "INT NOT NULL", Kind::kText, true},
      {"ti", "TINYINT", Kind::kText},
      {"tiu", "TINYINT UNSIGNED", Kind::kText},
      {"si", "SMALLINT", Kind::kText},
      {"siu", "SMALLINT UNSIGNED", Kind::kText},
      {"mi", "MEDIUMINT", Kind::kText},
      {"miu", "MEDIUMINT UNSIGNED", Kind::kText},
      {"i", "INT", Kind::kText},
      {"iu", "INT UNSIGNED", Kind::kText},
      {"bi", "BIGINT", Kind::kText},
      {"biu", "BIGINT UNSIGNED", Kind::kText},
      {"f", "FLOAT", Kind::kFloat},
      {"d", "DOUBLE", Kind::kDouble},
      {"dec1", "DECIMAL(10,2)", Kind::kText},
      {"dec2", "DECIMAL(65,30)", Kind::kText},
      {"dec3", "DECIMAL(5,0)", Kind::kText},
      {"dec4", "DECIMAL(19,9) UNSIGNED", Kind::kText},
      {"dt", "DATE", Kind::kText},
      {"tm", "TIME", Kind::kText},
      {"tm1", "TIME(1)", Kind::kText},
      {"tm3", "TIME(3)", Kind::kText},
      {"tm6", "TIME(6)", Kind::kText},
      {"dtt", "DATETIME", Kind::kText},
      {"dtt2", "DATETIME(2)", Kind::kText},
      {"dtt6", "DATETIME(6)", Kind::kText},
      {"ts", "TIMESTAMP NULL DEFAULT NULL", Kind::kText},
      {"ts4", "TIMESTAMP(4) NULL DEFAULT NULL", Kind::kText},
      {"yr", "YEAR", Kind::kText},
      {"c", "CHAR(10)", Kind::kText},
      {"c255", "CHAR(255)", Kind::kText},
      {"vc", "VARCHAR(100)", Kind::kText},
      {"vcl", "VARCHAR(2000)", Kind::kText},
      {"bn", "BINARY(8)", Kind::kHex},
      {"vb", "VARBINARY(300)", Kind::kHex},
      {"tb", "TINYBLOB", Kind::kHex},
      {"b", "BLOB", Kind::kHex},
      {"mb", "MEDIUMBLOB", Kind::kHex},
      {"lb", "LONGBLOB", Kind::kHex},
      {"tt", "TINYTEXT", Kind::kText},
      {"t", "TEXT", Kind::kText},
      {"mt", "MEDIUMTEXT", Kind::kText},
      {"lt", "LONGTEXT", Kind::kText},
      {"e", "ENUM('a','b','ç','')", Kind::kText},
      {"s", "SET('x','y','z','w')", Kind::kText},
      {"bit1", "BIT(1)", Kind::kBit},
      {"bit9", "BIT(9)", Kind::kBit},
      {"bit64", "BIT(64)", Kind::kBit},
      {"g", "GEOMETRY", Kind::kHex},
      {"pt", "POINT", Kind::kHex},
      {"j", "JSON", Kind::kText},
      {"i6", "INET6", Kind::kHex},
      {"u", "UUID", Kind::kUuid},
      {"latin", "VARCHAR(20) CHARACTER SET latin1", Kind::kHex},
  };
  return *cols;
}

std::string CreateTable(const std::string& name, const std::vector<Column>& cols,
                        const std::string& key) {
  std::vector<std::string> defs;
  for (const Column& c : cols) defs.push_back(absl::StrCat("`", c.name, "` ", c.sql_type));
  return absl::StrCat("CREATE TABLE w.", name, " (", absl::StrJoin(defs, ", "),
                      ", PRIMARY KEY (", key, ")) ENGINE=InnoDB");
}

TEST_F(BinlogLiveTest, EveryTypeFromFiles) {
  Exec(CreateTable("all_types", AllTypes(), "id"));
  // 1: NULLs; 2: minimums and negatives; 3: maximums; 4: zeros, zero dates, empty strings;
  // 5: 4-byte UTF-8, binary bytes, big blobs. One multi-row statement.
  Exec("INSERT INTO w.all_types (id) VALUES (1)");
  Exec(
      "INSERT INTO w.all_types VALUES "
      "(2, -128, 0, -32768, 0, -8388608, 0, -2147483648, 0, -9223372036854775808, 0,"
      " -3.40282e38, -1.7976931348623157e308, -99999999.99,"
      " -99999999999999999999999999999999999.999999999999999999999999999999, -99999, 0,"
      " '1000-01-01', '-838:59:59', '-00:00:00.1', '-12:34:56.789', '-00:00:01.000001',"
      " '1000-01-01 00:00:00', '1000-01-01 00:00:00.01', '1000-01-01 00:00:00.000001',"
      " '1970-01-01 00:00:01', '1970-01-01 00:00:01.0001', 1901, 'a', 'b', 'c', 'd',"
      " x'00', x'', x'00', x'01', x'02', x'03', 'x', 'y', 'z', 'w', 'a', 'x', 0, 0, 0,"
      " ST_GeomFromText('POINT(-1 -2)'), ST_GeomFromText('POINT(0 0)'), '[]', '::', "
      " '00000000-0000-0000-0000-000000000000', 'abc'),"
      "(3, 127, 255, 32767, 65535, 8388607, 16777215, 2147483647, 4294967295,"
      " 9223372036854775807, 18446744073709551615, 3.40282e38, 1.7976931348623157e308,"
      " 99999999.99, 99999999999999999999999999999999999.999999999999999999999999999999,"
      " 99999, 9999999999.999999999, '9999-12-31', '838:59:59', '838:59:59.9',"
      " '838:59:59.999', '838:59:59.999999', '9999-12-31 23:59:59', '9999-12-31 23:59:59.99',"
      " '9999-12-31 23:59:59.999999', '2038-01-19 03:14:07', '2038-01-19 03:14:07.9999', 2155,"
      " REPEAT('z', 10), REPEAT('€', 255), REPEAT('y', 100), REPEAT('ß', 2000),"
      " x'ffffffffffffffff', REPEAT(x'ff', 300), REPEAT(x'ee', 255), REPEAT(x'dd', 65535),"
      " REPEAT(x'cc', 70000), REPEAT(x'bb', 3000000), REPEAT('t', 255), REPEAT('u', 20000),"
      " REPEAT('v', 70000), REPEAT('w', 2000000), 'ç', 'x,y,z,w', 1, 511, 18446744073709551615,"
      " ST_GeomFromText('POLYGON((0 0,10 0,10 10,0 10,0 0))'), ST_GeomFromText('POINT(1e300 -1e-300)'),"
      " '{\"a\": [1, 2.5, \"x\", null, true], \"b\": {\"c\": -1}}',"
      " 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'ffffffff-ffff-ffff-ffff-ffffffffffff',"
      " 'ÿÿÿ'),"
      "(4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, '0000-00-00', '00:00:00',"
      " '00:00:00', '00:00:00', '00:00:00', '0000-00-00 00:00:00', '0000-00-00 00:00:00',"
      " '0000-00-00 00:00:00', '0000-00-00 00:00:00', '0000-00-00 00:00:00', 0, '', '', '', '',"
      " '', '', '', '', '', '', '', '', '', '', '', '', 0, 0, 0, NULL, NULL, '{}', '::1',"
      " '123e4567-e89b-12d3-a456-426614174000', ''),"
      "(5, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, 1.5, -0.1, -0.25, -0.000000000000000000000000000001,"
      " -1, 0.000000001, '2024-02-29', '-00:00:00.5', '-00:00:00.5', '-00:00:00.5',"
      " '-00:00:00.500001', '2024-02-29 12:34:56', '2024-02-29 12:34:56.78',"
      " '2024-02-29 12:34:56.123456', '2024-02-29 12:34:56', '2024-02-29 12:34:56.5678', 2000,"
      " '😀 a', 'Ω😀', 'κόσμε 😀', '日本語 😀', x'00ff0a0d', x'000102030405',"
      " x'5c27220a', x'00', x'ff', x'80', '😀', '\\\\ \\\" \\n \\t', 'x', 'y', 'b', 'y,w', 1, 256,"
      " 9223372036854775808, ST_GeomFromText('LINESTRING(0 0,1 1)'), NULL,"
      " '\"str\\\\u00e9\"', 'fe80::1', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', x'e9e8')");
  ExpectSame("all_types", AllTypes(), "insert");

  // Updates: one row to NULLs, NULLs to values, a multi-row update, a key change.
  Exec("UPDATE w.all_types SET ti=ti+1, d=d/3, vc=CONCAT(vc,'!'), dtt6='2001-02-03 04:05:06.7' "
       "WHERE id IN (4, 5)");
  Exec("UPDATE w.all_types SET i=NULL, lb=NULL, j=NULL WHERE id=3");
  Exec("UPDATE w.all_types SET i=42, lb=REPEAT(x'01', 100000), s='x' WHERE id=1");
  Exec("UPDATE w.all_types SET id=6 WHERE id=2");
  ExpectSame("all_types", AllTypes(), "update");

  Exec("DELETE FROM w.all_types WHERE id IN (1, 6)");
  ExpectSame("all_types", AllTypes(), "delete");

  // MINIMAL and NOBLOB images: before images hold the key only, after images the changed
  // (MINIMAL) or non-blob (NOBLOB) columns.
  Exec("SET SESSION binlog_row_image=MINIMAL");
  Exec("UPDATE w.all_types SET vc='minimal', tm6='-01:02:03.4' WHERE id=3");
  Exec("INSERT INTO w.all_types (id, vc) VALUES (7, 'minimal insert')");
  Exec("DELETE FROM w.all_types WHERE id=4");
  ExpectSame("all_types", AllTypes(), "minimal");
  Exec("SET SESSION binlog_row_image=NOBLOB");
  Exec("UPDATE w.all_types SET vc='noblob', b=x'beef' WHERE id=5");
  Exec("UPDATE w.all_types SET vc='noblob2' WHERE id=3");
  ExpectSame("all_types", AllTypes(), "noblob");
}

TEST_F(BinlogLiveTest, CompositeKeysAndMultiRowStatements) {
  const std::vector<Column> cols = {
      {"a", "INT NOT NULL", Kind::kText, true},
      {"b", "VARCHAR(20) NOT NULL", Kind::kText, true},
      {"v", "BIGINT UNSIGNED", Kind::kText},
      {"w", "DECIMAL(30,5)", Kind::kText},
  };
  Exec(CreateTable("ck", cols, "a, b"));
  std::vector<std::string> values;
  for (int i = 0; i < 500; ++i) {
    values.push_back(absl::StrCat("(", i % 7, ", 'k", i, "', ", i * 1000003ull, ", ", -i,
                                  ".00", i % 10, ")"));
  }
  Exec(absl::StrCat("INSERT INTO w.ck VALUES ", absl::StrJoin(values, ",")));
  ExpectSame("ck", cols, "insert");
  Exec("UPDATE w.ck SET v = v + 1, w = -w WHERE a IN (1, 3)");
  Exec("UPDATE w.ck SET b = CONCAT(b, '-x') WHERE a = 6");
  ExpectSame("ck", cols, "update");
  Exec("DELETE FROM w.ck WHERE a = 2 OR b LIKE 'k4%'");
  ExpectSame("ck", cols, "delete");
  // A transaction over several statements, then a flush: rotation to a second binlog file.
  Exec("BEGIN");
  Exec("INSERT INTO w.ck VALUES (100, 'tx', 1, 1), (101, 'tx', 2, 2)");
  Exec("UPDATE w.ck SET v = 3 WHERE a = 100");
  Exec("COMMIT");
  Exec("FLUSH BINARY LOGS");
  Exec("DELETE FROM w.ck WHERE a = 101");
  ExpectSame("ck", cols, "rotation");
}

TEST_F(BinlogLiveTest, CompressedEvents) {
  // MariaDB's log_bin_compress: QUERY_COMPRESSED and *_ROWS_COMPRESSED_V1 events (zlib).
  Exec("SET GLOBAL log_bin_compress=ON, GLOBAL log_bin_compress_min_len=10");
  auto c = server_->Connect();
  ASSERT_TRUE(c.ok()) << c.status();
  conn_ = std::make_unique<mysql::Connection>(*std::move(c));
  const std::vector<Column> cols = {
      {"id", "INT NOT NULL", Kind::kText, true},
      {"txt", "TEXT", Kind::kText},
      {"n", "DECIMAL(12,3)", Kind::kText},
  };
  Exec(CreateTable("cz", cols, "id"));
  Exec("INSERT INTO w.cz VALUES (1, REPEAT('abc', 1000), -1.5), (2, 'short', NULL), "
       "(3, REPEAT('😀', 500), 123456789.123)");
  Exec("UPDATE w.cz SET txt = CONCAT(txt, 'x'), n = n * 2");
  Exec("DELETE FROM w.cz WHERE id = 2");
  ExpectSame("cz", cols, "compressed");
  // The events really were compressed.
  FileReader::Options o;
  o.files = BinlogFiles(*server_, *conn_);
  auto files = FileReader::Open(o);
  ASSERT_TRUE(files.ok()) << files.status();
  EventReader reader(files->get());
  int compressed_rows = 0, compressed_queries = 0;
  for (;;) {
    auto ev = reader.Next();
    ASSERT_TRUE(ev.ok()) << ev.status();
    if (*ev == nullptr) break;
    const EventType t = (*ev)->header.type;
    compressed_queries += t == EventType::kQueryCompressed;
    compressed_rows += t == EventType::kWriteRowsCompressedV1 ||
                       t == EventType::kUpdateRowsCompressedV1 ||
                       t == EventType::kDeleteRowsCompressedV1;
    if (const auto* q = std::get_if<QueryEvent>(&(*ev)->body);
        q != nullptr && t == EventType::kQueryCompressed) {
      EXPECT_THAT(std::string(q->statement), ::testing::HasSubstr("w.cz"));
    }
  }
  EXPECT_GE(compressed_rows, 3);
  EXPECT_GE(compressed_queries, 1);
}

std::vector<std::string> RunLines(const std::string& cmd) {
  std::vector<std::string> lines;
  std::unique_ptr<FILE, int (*)(FILE*)> p(popen(cmd.c_str(), "r"), pclose);
  if (p == nullptr) return lines;
  char buf[1 << 16];
  while (fgets(buf, sizeof(buf), p.get()) != nullptr) lines.emplace_back(buf);
  return lines;
}

TEST_F(BinlogLiveTest, StreamFromGtidAndPosition) {
  Exec("CREATE TABLE w.g (id INT PRIMARY KEY, v VARCHAR(10))");
  Exec("INSERT INTO w.g VALUES (1, 'a')");
  Exec("INSERT INTO w.g VALUES (2, 'b')");
  auto gtid = conn_->QueryValue("SELECT @@gtid_binlog_pos");
  ASSERT_TRUE(gtid.ok() && gtid->has_value());
  auto status = conn_->Query("SHOW MASTER STATUS");
  ASSERT_TRUE(status.ok()) << status.status();
  const std::string file = *status->rows[0][0], pos = *status->rows[0][1];
  Exec("INSERT INTO w.g VALUES (3, 'c'), (4, 'd')");
  Exec("UPDATE w.g SET v = 'e' WHERE id = 1");

  // The library, from the GTID position: only what followed it.
  StreamReader::Options so;
  so.dsn = server_->Dsn();
  so.server_id = 8001;
  so.gtid = **gtid;
  auto stream = StreamReader::Open(so);
  ASSERT_TRUE(stream.ok()) << stream.status();
  Decoder::Options dopts;
  dopts.initial_checksum = (*stream)->checksum();
  EventReader reader(stream->get(), dopts);
  std::vector<std::string> seen;
  RowChange change;
  for (;;) {
    auto ev = reader.Next();
    ASSERT_TRUE(ev.ok()) << ev.status();
    if (*ev == nullptr) break;
    const auto* rows = std::get_if<RowsEvent>(&(*ev)->body);
    if (rows == nullptr || rows->table == nullptr || rows->table->table != "g") continue;
    RowIterator it(*rows);
    while (!it.done()) {
      ASSERT_TRUE(it.Next(change).ok());
      const Value& id = change.after[0];
      seen.push_back(absl::StrCat(change.op == RowOp::kInsert ? "insert " : "update ", id.i));
    }
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"insert 3", "insert 4", "update 1"}));

  // The command, from the GTID and from file:pos.
  const char* build = std::getenv("DCP_BUILD_DIR");
  ASSERT_NE(build, nullptr);
  const std::string base = absl::StrCat(build, "/bin/dcp binlog --dsn mysql://dcp:dcp@127.0.0.1:",
                                        server_->port(), " --tables 'w.g'");
  for (const std::string& from : {absl::StrCat(" --server-id 8002 --gtid ", **gtid),
                                  absl::StrCat(" --server-id 8003 --position ", file, ":", pos)}) {
    SCOPED_TRACE(from);
    const std::vector<std::string> lines = RunLines(base + from);
    ASSERT_EQ(lines.size(), 3u);
    EXPECT_THAT(lines[0], ::testing::HasSubstr("\"op\":\"insert\",\"db\":\"w\",\"table\":\"g\","
                                               "\"after\":{\"id\":3,\"v\":\"c\"}"));
    EXPECT_THAT(lines[0], ::testing::HasSubstr(absl::StrCat("\"pos\":\"", file, ":")));
    EXPECT_THAT(lines[0], ::testing::MatchesRegex(".*\"gtid\":\"0-71-[0-9]+\".*\n"));
    EXPECT_THAT(lines[2], ::testing::HasSubstr("\"before\":{\"id\":1,\"v\":\"a\"},"
                                               "\"after\":{\"id\":1,\"v\":\"e\"}"));
  }
  // A server id is required; a bad position is the server's error.
  EXPECT_TRUE(RunLines(base + " --position nosuch.000001:4 --server-id 8004 2>/dev/null").empty());
}

TEST_F(BinlogLiveTest, StopNeverWaitsWithHeartbeats) {
  Exec("CREATE TABLE w.h (id INT PRIMARY KEY)");
  auto status = conn_->Query("SHOW MASTER STATUS");
  ASSERT_TRUE(status.ok()) << status.status();
  StreamReader::Options so;
  so.dsn = server_->Dsn();
  so.server_id = 8101;
  so.file = *status->rows[0][0];
  so.position = std::stoull(*status->rows[0][1]);
  so.stop_never = true;
  so.heartbeat = absl::Seconds(1);
  auto stream = StreamReader::Open(so);
  ASSERT_TRUE(stream.ok()) << stream.status();
  Decoder::Options dopts;
  dopts.initial_checksum = (*stream)->checksum();
  EventReader reader(stream->get(), dopts);
  // A writer that inserts a row once the reader has been idle for a while.
  std::thread writer([this] {
    absl::SleepFor(absl::Milliseconds(2500));
    auto c = server_->Connect();
    if (c.ok()) (void)c->Execute("INSERT INTO w.h VALUES (7)");
  });
  int heartbeats = 0;
  bool got_row = false;
  RowChange change;
  while (!got_row) {
    auto ev = reader.Next();
    if (!ev.ok() || *ev == nullptr) {
      ADD_FAILURE() << (ev.ok() ? "stream ended" : ev.status().ToString());
      break;
    }
    if ((*ev)->header.type == EventType::kHeartbeat) {
      ++heartbeats;
      EXPECT_EQ(std::get<HeartbeatEvent>((*ev)->body).log_ident, so.file);
    }
    const auto* rows = std::get_if<RowsEvent>(&(*ev)->body);
    if (rows == nullptr || rows->table == nullptr || rows->table->table != "h") continue;
    RowIterator it(*rows);
    ASSERT_TRUE(it.Next(change).ok());
    EXPECT_EQ(change.after[0].i, 7);
    EXPECT_EQ(heartbeats >= 1, true) << "no heartbeat while idle";
    EXPECT_EQ(reader.file(), so.file);
    EXPECT_GT((*ev)->offset, so.position);
    got_row = true;
  }
  writer.join();
}

}  // namespace
}  // namespace dcp::mysql::binlog
