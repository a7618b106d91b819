// Decodes the MySQL 8.0 and MariaDB binlog files shipped in Debian's mariadb-test-data and
// compares, per table and operation, the number of row events and rows with what the
// reference decoder `mariadb-binlog` reports for the same file in the same run.
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <tuple>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mysql/binlog/file_reader.h"
#include "mysql/binlog/json_lines.h"
#include "mysql/binlog/reader.h"
#include "mysql/binlog/rows.h"

namespace dcp::mysql::binlog {
namespace {

using ::testing::HasSubstr;

constexpr char kStdData[] = "/usr/share/mysql/mysql-test/std_data/";

// (op, `db`.`table`) -> count; op is INSERT/UPDATE/DELETE.
using Counts = std::map<std::pair<std::string, std::string>, int>;

struct Decoded {
  Counts rows;
  Counts events;
  absl::Status status;
  std::string json;  // the JSON lines of every row
};

Decoded DecodeFile(const std::string& path, std::optional<uint64_t> stop = std::nullopt) {
  Decoded d;
  FileReader::Options o;
  o.files = {path};
  o.stop_position = stop;
  auto files = FileReader::Open(o);
  if (!files.ok()) {
    d.status = files.status();
    return d;
  }
  EventReader reader(files->get());
  RowChange change;
  for (;;) {
    auto ev = reader.Next();
    if (!ev.ok()) {
      d.status = ev.status();
      return d;
    }
    if (*ev == nullptr) return d;
    const auto* rows = std::get_if<RowsEvent>(&(*ev)->body);
    if (rows == nullptr || rows->table == nullptr) continue;
    const std::string op = rows->op == RowOp::kInsert   ? "INSERT"
                           : rows->op == RowOp::kUpdate ? "UPDATE"
                                                        : "DELETE";
    const std::string table = absl::StrCat("`", rows->table->schema, "`.`", rows->table->table, "`");
    ++d.events[{op, table}];
    RowIterator it(*rows);
    RowContext ctx;
    ctx.file = reader.file();
    ctx.offset = (*ev)->offset;
    ctx.table = rows->table;
    while (!it.done()) {
      absl::Status s = it.Next(change);
      if (s.ok()) s = AppendRowJson(ctx, change, &d.json);
      if (!s.ok()) {
        d.status = s;
        return d;
      }
      ++d.rows[{op, table}];
    }
  }
}

std::string RunCommand(const std::string& cmd) {
  std::string out;
  std::unique_ptr<FILE, int (*)(FILE*)> p(popen(cmd.c_str(), "r"), pclose);
  if (p == nullptr) return out;
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p.get())) > 0) out.append(buf, n);
  return out;
}

// mariadb-binlog's view: "### INSERT INTO `db`.`t`" per row (with -vv), and one
// "Write_rows: table id N" (Update_rows/Delete_rows) line per row event, each preceded by
// the table map naming the table.
struct Reference {
  Counts rows;
  Counts events;
};

Reference MariadbBinlog(const std::string& path, const std::string& extra = "") {
  Reference r;
  const std::string out = RunCommand(absl::StrCat("mariadb-binlog -vv --base64-output=decode-rows ",
                                                  extra, " '", path, "' 2>/dev/null"));
  std::map<std::string, std::string> table_ids;  // "table id N" -> `db`.`t`
  for (absl::string_view line : absl::StrSplit(out, '\n')) {
    if (absl::StartsWith(line, "### INSERT INTO ")) {
      ++r.rows[{"INSERT", std::string(line.substr(16))}];
    } else if (absl::StartsWith(line, "### UPDATE ")) {
      ++r.rows[{"UPDATE", std::string(line.substr(11))}];
    } else if (absl::StartsWith(line, "### DELETE FROM ")) {
      ++r.rows[{"DELETE", std::string(line.substr(16))}];
    } else if (auto p = line.find("Table_map: "); p != absl::string_view::npos) {
      // ... Table_map: `db`.`t` mapped to number 33
      absl::string_view rest = line.substr(p + 11);
      auto m = rest.find(" mapped to number ");
      if (m != absl::string_view::npos) {
        table_ids[std::string(rest.substr(m + 18))] = std::string(rest.substr(0, m));
      }
    } else {
      for (auto [word, op] : {std::pair{"Write_rows", "INSERT"}, std::pair{"Update_rows", "UPDATE"},
                              std::pair{"Delete_rows", "DELETE"}}) {
        auto q = line.find(absl::StrCat(word, ": table id "));
        if (q == absl::string_view::npos) continue;
        absl::string_view id = line.substr(q + std::strlen(word) + 11);
        id = id.substr(0, id.find(' '));
        ++r.events[{op, table_ids[std::string(id)]}];
      }
    }
  }
  return r;
}

struct Case {
  const char* file;
  absl::StatusCode code;       // expected final status
  const char* message_part;    // expected in the error message
};

class FixtureTest : public ::testing::TestWithParam<Case> {};

TEST_P(FixtureTest, MatchesMariadbBinlog) {
  const Case& c = GetParam();
  const std::string path = absl::StrCat(kStdData, c.file);
  const Decoded d = DecodeFile(path);
  EXPECT_EQ(d.status.code(), c.code) << d.status;
  EXPECT_THAT(std::string(d.status.message()), HasSubstr(c.message_part));
  const Reference ref = MariadbBinlog(path);
  EXPECT_EQ(d.rows, ref.rows);
  EXPECT_EQ(d.events, ref.events);
}

// Every binlog file of mariadb-test-data. Expected failures are those mariadb-binlog also
// fails on, at the same event.
INSTANTIATE_TEST_SUITE_P(
    StdData, FixtureTest,
    ::testing::Values(
        Case{"binlog-header.binlog", absl::StatusCode::kOk, ""},
        Case{"mdev-4645-binlog_checksum.binlog", absl::StatusCode::kOk, ""},
        Case{"mdev-4645-binlog_group_id.binlog", absl::StatusCode::kOk, ""},
        Case{"mdev-4645-binlog_group_id_checksum.binlog", absl::StatusCode::kOk, ""},
        Case{"mdev-4645-binlog_none.binlog", absl::StatusCode::kOk, ""},
        Case{"binlog_savepoint.000001", absl::StatusCode::kOk, ""},
        Case{"binlog_transaction.000001", absl::StatusCode::kOk, ""},
        Case{"bug16266.000001", absl::StatusCode::kOk, ""},
        Case{"bug33029-slave-relay-bin.000001", absl::StatusCode::kOk, ""},
        Case{"bug40482-bin.000001", absl::StatusCode::kOk, ""},
        Case{"bug47142_master-bin.000001", absl::StatusCode::kOk, ""},
        Case{"mariadb-5.5-binlog.000001", absl::StatusCode::kOk, ""},
        Case{"master-bin.000001", absl::StatusCode::kOk, ""},
        Case{"mdev29078-mysql-bin.000001", absl::StatusCode::kOk, ""},
        Case{"mdev6020-mysql-bin.000001", absl::StatusCode::kOk, ""},
        Case{"rpl/master-bin-seq_10.3.36.000001", absl::StatusCode::kOk, ""},
        Case{"rpl/mysql-5.7.11-stm-temporal-round-binlog.000001", absl::StatusCode::kOk, ""},
        Case{"rpl/mysql-8.0.13-stm-temporal-round-binlog.000001", absl::StatusCode::kOk, ""},
        // Ends in the middle of a transaction; every event is whole.
        Case{"trunc_binlog.000001", absl::StatusCode::kOk, ""},
        // Corrupt QUERY event at 91204 (mariadb-binlog: "Found invalid event", offset 91204).
        Case{"corrupt-relay-bin.000624", absl::StatusCode::kDataLoss, "offset 91204"},
        // A WRITE_ROWS claiming 65567 bytes with 7876 left.
        Case{"bug11747416_32228_binlog.000001", absl::StatusCode::kDataLoss, "offset 316"},
        // A MariaDB GTID event with a zeroed checksum.
        Case{"mdev-39404-binlog.000001", absl::StatusCode::kDataLoss, "CRC32 mismatch"},
        // An encrypted binlog.
        Case{"binlog_before_20574.bin", absl::StatusCode::kUnimplemented, "START_ENCRYPTION"}),
    [](const ::testing::TestParamInfo<Case>& info) {
      std::string name;
      for (char ch : std::string(info.param.file)) {
        name.push_back(std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_');
      }
      return name;
    });

// mdev35643_mysql_80_binlog.000001 comes from MySQL 8.0 with a TRANSACTION_PAYLOAD (zstd)
// and a PARTIAL_UPDATE_ROWS event, both of which mariadb-binlog cannot read. The workload
// that made it is in MariaDB's suite/rpl/t/rpl_from_mysql80.test:
//   INSERT t1 (1,0,''); BEGIN; INSERT (2,0,'hulu'); INSERT (3,0,'bulu'); COMMIT;
//   INSERT (4,0,'skip'); compressed: 100 x INSERT ($i+1000, $i, CONCAT("--",$i,"--",
//   REPEAT("\\/",100),"--")); INSERT (5,0,'after compressed'); t2 (a INT, b JSON):
//   INSERT (statement-logged) then UPDATE t2 SET b=JSON_REPLACE(b,'$.b',REPEAT("oOo",50))
//   with binlog_row_value_options=PARTIAL_JSON.
TEST(MySql80Fixture, PayloadAndPartialJson) {
  const std::string path = absl::StrCat(kStdData, "mdev35643_mysql_80_binlog.000001");
  const Decoded d = DecodeFile(path);
  ASSERT_TRUE(d.status.ok()) << d.status;
  EXPECT_EQ(d.rows, (Counts{{{"INSERT", "`test`.`t1`"}, 105}, {{"UPDATE", "`test`.`t2`"}, 1}}));
  // The part before the payload agrees with mariadb-binlog.
  const Decoded head = DecodeFile(path, 1468);
  const Reference ref = MariadbBinlog(path, "--stop-position=1468");
  EXPECT_EQ(head.rows, ref.rows);
  EXPECT_EQ(head.rows, (Counts{{{"INSERT", "`test`.`t1`"}, 4}}));
  // Values from the workload.
  EXPECT_THAT(d.json, HasSubstr("\"after\":{\"@1\":4,\"@2\":0,\"@3\":\"skip\"}"));
  EXPECT_THAT(d.json, HasSubstr(absl::StrCat("\"after\":{\"@1\":1042,\"@2\":42,\"@3\":\"--42--",
                                             std::string(100, '/'), "--\"}")));
  EXPECT_THAT(d.json, HasSubstr("\"after\":{\"@1\":5,\"@2\":0,\"@3\":\"after compressed\"}"));
  std::string zyzzy;
  for (int i = 0; i < 100; ++i) zyzzy += "[zyzzy]";
  EXPECT_THAT(d.json, HasSubstr(absl::StrCat("\"before\":{\"@1\":1,\"@2\":{\"a\": \"hulu\", \"b\": \"",
                                             zyzzy, "\", \"c\": \"bulu\"}}")));
  std::string ooo;
  for (int i = 0; i < 50; ++i) ooo += "oOo";
  EXPECT_THAT(d.json, HasSubstr(absl::StrCat(
                          "\"after\":{\"@1\":1,\"@2\":{\"json_diff\":[{\"op\":\"replace\",",
                          "\"path\":\"$.b\",\"value\":\"", ooo, "\"}]}}")));
}

// Every value of every row of the largest fixture (INT and CHAR columns, no row metadata),
// compared with mariadb-binlog -vv's "###   @N=value /* TYPE ... */" lines, in file order.
TEST(Values, MatchMariadbBinlogForMdev6020) {
  const std::string path = absl::StrCat(kStdData, "mdev6020-mysql-bin.000001");
  std::vector<std::string> expected;
  const std::string out = RunCommand(
      absl::StrCat("mariadb-binlog -vv --base64-output=decode-rows '", path, "' 2>/dev/null"));
  for (absl::string_view line : absl::StrSplit(out, '\n')) {
    if (!absl::StartsWith(line, "###   @")) continue;
    line.remove_prefix(6);
    line = line.substr(0, line.find(" /* "));
    // Signed integers are followed by their unsigned reading: "@1=-1 (4294967295)".
    if (auto paren = line.find(" ("); paren != absl::string_view::npos) line = line.substr(0, paren);
    expected.emplace_back(line);
  }
  FileReader::Options o;
  o.files = {path};
  auto files = FileReader::Open(o);
  ASSERT_TRUE(files.ok()) << files.status();
  EventReader reader(files->get());
  RowChange change;
  std::vector<std::string> got;
  auto add_image = [&](const std::vector<Value>& image) {
    for (size_t i = 0; i < image.size(); ++i) {
      const Value& v = image[i];
      std::string text = absl::StrCat("@", i + 1, "=");
      if (v.is_null()) {
        text += "NULL";
      } else if (v.kind == ValueKind::kString) {
        absl::StrAppend(&text, "'", v.bytes, "'");
      } else {
        text += *ToText(v);
      }
      got.push_back(text);
    }
  };
  for (;;) {
    auto ev = reader.Next();
    ASSERT_TRUE(ev.ok()) << ev.status();
    if (*ev == nullptr) break;
    const auto* r = std::get_if<RowsEvent>(&(*ev)->body);
    if (r == nullptr || r->table == nullptr) continue;
    RowIterator it(*r);
    while (!it.done()) {
      ASSERT_TRUE(it.Next(change).ok());
      if (r->op != RowOp::kInsert) add_image(change.before);
      if (r->op != RowOp::kDelete) add_image(change.after);
    }
  }
  ASSERT_GT(expected.size(), 50000u);
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i], expected[i]) << "value #" << i;
}

TEST(FileReader, StartAndStopPositions) {
  const std::string path = absl::StrCat(kStdData, "mdev6020-mysql-bin.000001");
  const Reference all = MariadbBinlog(path);
  // A window of the file, cut at event boundaries that mariadb-binlog reports.
  const std::string listing =
      RunCommand(absl::StrCat("mariadb-binlog '", path, "' 2>/dev/null | grep '^# at ' | sed -n '400p;900p'"));
  std::vector<std::string> at = absl::StrSplit(listing, '\n', absl::SkipEmpty());
  ASSERT_EQ(at.size(), 2u);
  const std::string start = at[0].substr(5), stop = at[1].substr(5);
  const Reference window =
      MariadbBinlog(path, absl::StrCat("--start-position=", start, " --stop-position=", stop));
  FileReader::Options o;
  o.files = {path};
  o.start_position = std::stoull(start);
  o.stop_position = std::stoull(stop);
  auto files = FileReader::Open(o);
  ASSERT_TRUE(files.ok()) << files.status();
  EventReader reader(files->get());
  Counts rows;
  RowChange change;
  uint64_t first = 0, last = 0;
  for (;;) {
    auto ev = reader.Next();
    ASSERT_TRUE(ev.ok()) << ev.status();
    if (*ev == nullptr) break;
    if ((*ev)->header.type != EventType::kFormatDescription) {
      if (first == 0) first = (*ev)->offset;
      last = (*ev)->offset;
    }
    const auto* r = std::get_if<RowsEvent>(&(*ev)->body);
    if (r == nullptr || r->table == nullptr) continue;
    RowIterator it(*r);
    while (!it.done()) {
      ASSERT_TRUE(it.Next(change).ok());
      ++rows[{r->op == RowOp::kInsert ? "INSERT" : r->op == RowOp::kUpdate ? "UPDATE" : "DELETE",
              absl::StrCat("`", r->table->schema, "`.`", r->table->table, "`")}];
    }
  }
  EXPECT_EQ(first, std::stoull(start));
  EXPECT_LT(last, std::stoull(stop));
  EXPECT_EQ(rows, window.rows);
  EXPECT_NE(rows, all.rows);
}

TEST(FileReader, RotationToTheNextListedFile) {
  const std::string a = absl::StrCat(kStdData, "mdev29078-mysql-bin.000001");
  const std::string b = absl::StrCat(kStdData, "rpl/master-bin-seq_10.3.36.000001");
  FileReader::Options o;
  o.files = {a, b};
  auto files = FileReader::Open(o);
  ASSERT_TRUE(files.ok()) << files.status();
  EventReader reader(files->get());
  int fdes = 0;
  std::string last_file;
  for (;;) {
    auto ev = reader.Next();
    ASSERT_TRUE(ev.ok()) << ev.status();
    if (*ev == nullptr) break;
    fdes += (*ev)->header.type == EventType::kFormatDescription;
    last_file = std::string(reader.file());
  }
  EXPECT_EQ(fdes, 2);
  EXPECT_EQ(last_file, "master-bin-seq_10.3.36.000001");
}

TEST(FileReader, RejectsNonBinlogs) {
  FileReader::Options o;
  o.files = {absl::StrCat(kStdData, "old-format-relay-log.info")};
  auto r = FileReader::Open(o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
  o.files = {"/nonexistent/binlog.000001"};
  EXPECT_EQ(FileReader::Open(o).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace dcp::mysql::binlog
