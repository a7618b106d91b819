// The decoder over the MySQL binlog corpus (test_corpus.h): 77 files written by real MySQL
// 5.0–9.6, Percona, Aurora and MariaDB servers.
//   - every file decodes to its end (events, row images and their JSON lines), except the
//     deliberately truncated or corrupt ones, which end in kDataLoss at a stated offset;
//   - per operation, as many row changes as `mariadb-binlog -vv` prints for the files it
//     reads (testdata/mysql_corpus_counts.tsv, precomputed);
//   - the values the source projects' own tests expect (MANIFEST.md "Expected values"), the
//     kingbus files against MySQL's own `mysqlbinlog -vv` output and the go-mysql DECIMAL
//     table, value by value.
// Without the corpus every test skips and says so.
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mysql/binlog/file_reader.h"
#include "mysql/binlog/json_lines.h"
#include "mysql/binlog/reader.h"
#include "mysql/binlog/rows.h"
#include "mysql/binlog/test_corpus.h"
#include "nlohmann/json.hpp"

namespace dcp::mysql::binlog {
namespace {

using ::dcp::mysql::binlog::testing::kNoMysqlCorpus;
using ::dcp::mysql::binlog::testing::MysqlCorpusDir;
using ::dcp::mysql::binlog::testing::MysqlCorpusFiles;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

#define SKIP_WITHOUT_CORPUS() \
  if (MysqlCorpusDir().empty()) GTEST_SKIP() << kNoMysqlCorpus

std::string CorpusPath(const std::string& name) { return MysqlCorpusDir() + "/" + name; }

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// One decoded row change, its values as text (ToText; std::nullopt for NULL, "<absent>" for
// a column not in the image).
using Image = std::vector<std::optional<std::string>>;
struct Row {
  std::string table;  // db.table
  RowOp op = RowOp::kInsert;
  Image before, after;
  std::string gtid;
  uint32_t timestamp = 0;
  std::vector<ValueKind> kinds;  // of the after (or only) image
};

struct FileResult {
  absl::Status status;  // the first error, events or rows
  uint64_t error_offset = 0;
  uint64_t events = 0;  // decoded events, payload contents included
  std::map<RowOp, int> rows;
  int legacy_row_events = 0;  // PRE_GA rows events (images not decodable)
  std::vector<Row> decoded;
};

Image ToImage(const std::vector<Value>& values) {
  Image image;
  for (const Value& v : values) {
    if (v.kind == ValueKind::kAbsent) {
      image.emplace_back("<absent>");
    } else if (v.is_null()) {
      image.emplace_back(std::nullopt);
    } else {
      auto text = ToText(v);
      image.emplace_back(text.ok() ? *text : "<error: " + text.status().ToString() + ">");
    }
  }
  return image;
}

// Decodes `name` to its end, rendering every row as `dcp binlog` does.
FileResult Decode(const std::string& name) {
  FileResult r;
  FileReader::Options o;
  o.files = {CorpusPath(name)};
  auto files = FileReader::Open(o);
  if (!files.ok()) {
    r.status = files.status();
    return r;
  }
  EventReader reader(files->get());
  RowChange change;
  std::string json, gtid;
  for (;;) {
    auto ev = reader.Next();
    if (!ev.ok()) {
      r.status = ev.status();
      return r;
    }
    if (*ev == nullptr) return r;
    ++r.events;
    const Event& event = **ev;
    if (const auto* g = std::get_if<GtidEvent>(&event.body)) gtid = g->ToString();
    const auto* rows = std::get_if<RowsEvent>(&event.body);
    if (rows == nullptr || rows->table == nullptr) continue;
    if (rows->pre_ga) {
      ++r.legacy_row_events;
      RowIterator it(*rows);
      absl::Status s = it.Next(change);
      if (s.code() != absl::StatusCode::kUnimplemented) {
        r.status = absl::InternalError(absl::StrCat("PRE_GA rows event: ", s.ToString()));
        return r;
      }
      continue;
    }
    RowIterator it(*rows);
    RowContext ctx;
    ctx.file = reader.file();
    ctx.offset = event.offset;
    ctx.table = rows->table;
    ctx.gtid = gtid;
    while (!it.done()) {
      absl::Status s = it.Next(change);
      if (s.ok()) s = AppendRowJson(ctx, change, &json);
      if (!s.ok()) {
        r.status = s;
        r.error_offset = event.offset;
        return r;
      }
      json.clear();
      ++r.rows[change.op];
      Row row;
      row.table = absl::StrCat(rows->table->schema, ".", rows->table->table);
      row.op = change.op;
      row.before = ToImage(change.before);
      row.after = ToImage(change.after);
      for (const Value& v : change.op == RowOp::kDelete ? change.before : change.after) {
        row.kinds.push_back(v.kind);
      }
      row.gtid = gtid;
      row.timestamp = event.header.timestamp;
      r.decoded.push_back(std::move(row));
    }
  }
}

// testdata/mysql_corpus_counts.tsv: file -> {insert, update, delete}, or std::nullopt where
// mariadb-binlog cannot read the file.
using Counts = std::map<std::string, std::optional<std::array<int, 3>>>;
Counts ReferenceCounts() {
  Counts counts;
  std::ifstream in(std::string(DCP_SOURCE_DIR) + "/mysql/binlog/testdata/mysql_corpus_counts.tsv");
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> f = absl::StrSplit(line, '\t');
    if (f.size() != 4) continue;
    if (f[1] == "-") {
      counts[f[0]] = std::nullopt;
      continue;
    }
    std::array<int, 3> c{};
    for (int i = 0; i < 3; ++i) EXPECT_TRUE(absl::SimpleAtoi(f[i + 1], &c[i])) << line;
    counts[f[0]] = c;
  }
  return counts;
}

// The files that do not decode completely, and why (MANIFEST.md). Every other file must.
struct Exception {
  absl::StatusCode code;
  std::string offset;  // must appear in the error message
};
const std::map<std::string, Exception>& Exceptions() {
  static const auto* m = new std::map<std::string, Exception>{
      // 14 bytes: the magic and part of an event header.
      {"rustmysqlcommon__binlog_truncated_event.000001", {absl::StatusCode::kDataLoss, "4"}},
      // mysql-test std_data: a PREVIOUS_GTIDS event cut short.
      {"rustmysqlcommon__binlog_truncated_prev_gtid_event.000001",
       {absl::StatusCode::kDataLoss, "120"}},
      // mysql-test std_data: a relay log with a deliberately corrupt QUERY event.
      {"rustmysqlcommon__corrupt-relay-bin.000624", {absl::StatusCode::kDataLoss, "91204"}},
  };
  return *m;
}

TEST(MysqlCorpus, EveryFileDecodesToItsEnd) {
  SKIP_WITHOUT_CORPUS();
  const Counts reference = ReferenceCounts();
  const std::vector<std::string> files = MysqlCorpusFiles();
  EXPECT_EQ(files.size(), 77u);
  int complete = 0;
  for (const std::string& name : files) {
    SCOPED_TRACE(name);
    // A file added to the corpus must be added to the table (make_mysql_corpus_counts.sh).
    EXPECT_TRUE(reference.count(name)) << "not in testdata/mysql_corpus_counts.tsv";
    const FileResult r = Decode(name);
    auto ex = Exceptions().find(name);
    if (ex == Exceptions().end()) {
      EXPECT_TRUE(r.status.ok()) << r.status;
      if (r.status.ok()) ++complete;
      continue;
    }
    EXPECT_EQ(r.status.code(), ex->second.code) << r.status;
    EXPECT_THAT(std::string(r.status.message()), HasSubstr("offset " + ex->second.offset));
  }
  EXPECT_EQ(complete, 74);
}

TEST(MysqlCorpus, RowCountsEqualMariadbBinlog) {
  SKIP_WITHOUT_CORPUS();
  int compared = 0, rows = 0;
  for (const auto& [name, counts] : ReferenceCounts()) {
    if (!counts) continue;
    SCOPED_TRACE(name);
    const FileResult r = Decode(name);
    const std::array<int, 3> ours = {r.rows.count(RowOp::kInsert) ? r.rows.at(RowOp::kInsert) : 0,
                                     r.rows.count(RowOp::kUpdate) ? r.rows.at(RowOp::kUpdate) : 0,
                                     r.rows.count(RowOp::kDelete) ? r.rows.at(RowOp::kDelete) : 0};
    EXPECT_EQ(ours, *counts);
    ++compared;
    rows += ours[0] + ours[1] + ours[2];
  }
  EXPECT_EQ(compared, 65);
  EXPECT_EQ(rows, 180107);
}

// Every event of the file as the FileReader frames it (payload contents not expanded).
struct TopLevel {
  EventType type;
  uint64_t offset;
  uint32_t size, log_pos;
  uint16_t flags;
};
std::vector<TopLevel> TopLevelEvents(const std::string& name) {
  std::vector<TopLevel> out;
  FileReader::Options o;
  o.files = {CorpusPath(name)};
  auto files = FileReader::Open(o);
  EXPECT_TRUE(files.ok()) << files.status();
  if (!files.ok()) return out;
  Decoder decoder;
  for (;;) {
    auto raw = (*files)->Next();
    EXPECT_TRUE(raw.ok()) << raw.status();
    if (!raw.ok() || !raw->has_value()) return out;
    auto ev = decoder.Decode((*raw)->bytes, (*raw)->offset);
    EXPECT_TRUE(ev.ok()) << ev.status();
    if (!ev.ok()) return out;
    out.push_back(
        {ev->header.type, ev->offset, ev->header.event_size, ev->header.log_pos, ev->header.flags});
  }
}

TEST(MysqlCorpus, TopLevelEventCountsOfTheirProjectsTests) {
  SKIP_WITHOUT_CORPUS();
  // mysql-binlog-connector-java BinaryLogFileReaderIntegrationTest; apecloud parse_file_tests.
  EXPECT_EQ(TopLevelEvents("binlogconnectorjava__mysql-bin.sakila").size(), 1462u);
  EXPECT_EQ(TopLevelEvents("binlogconnectorjava__mysql-bin.compressed").size(), 5u);
  EXPECT_EQ(TopLevelEvents("binlogconnectorjava__mysql-bin.checksum-none").size(), 191u);
  EXPECT_EQ(TopLevelEvents("binlogconnectorjava__mysql-bin.checksum-crc32").size(), 303u);
  EXPECT_EQ(TopLevelEvents("apecloud__mysql-bin.000057").size(), 8u);
  EXPECT_EQ(TopLevelEvents("apecloud__mysql-bin.000080").size(), 37u);
}

TEST(MysqlCorpus, AuroraPaddingEventIsPassedOver) {
  SKIP_WITHOUT_CORPUS();
  const auto events = TopLevelEvents("binlogconnectorjava__mysql-bin.aurora-padding");
  ASSERT_EQ(events.size(), 5u);
  EXPECT_EQ(static_cast<int>(events[3].type), 100);
  EXPECT_EQ(events[3].offset, 281u);
  EXPECT_EQ(events[3].log_pos, 1209u);
  EXPECT_EQ(events[4].type, EventType::kQuery);
  EXPECT_EQ(events[4].offset, 1209u);
  EXPECT_EQ(events[4].log_pos, 1294u);
}

TEST(MysqlCorpus, Mysql50EventHeaders) {
  SKIP_WITHOUT_CORPUS();
  // rust_mysql_common binlog_file_iterator: 20 headers, the last a ROTATE ending at 1670,
  // and a QUERY with LOG_EVENT_SUPPRESS_USE_F.
  const auto events = TopLevelEvents("rustmysqlcommon__binlog_transaction.000001");
  ASSERT_EQ(events.size(), 20u);
  EXPECT_EQ(events.back().type, EventType::kRotate);
  EXPECT_EQ(events.back().log_pos, 1670u);
  bool suppress_use = false;
  for (const TopLevel& e : events) suppress_use |= e.type == EventType::kQuery && (e.flags & 0x8);
  EXPECT_TRUE(suppress_use);
}

nlohmann::json ParseJson(const std::optional<std::string>& text) {
  return nlohmann::json::parse(text.value_or("null"));
}

TEST(MysqlCorpus, JsonOpaqueScalarsOfMysql9) {
  SKIP_WITHOUT_CORPUS();
  const FileResult r = Decode("rustmysqlcommon__json-opaque.binlog");
  ASSERT_TRUE(r.status.ok()) << r.status;
  ASSERT_EQ(r.decoded.size(), 8u);
  // The oracle's values; MySQL prints an opaque DECIMAL inside JSON as a number, so 123.456
  // and 9.00 are numbers here (the same decimal values as the oracle's "123.456", "9.00").
  const char* want[] = {R"({"a":"base64:type15:VQ=="})",
                        R"({"b":"2012-03-18"})",
                        R"({"c":"2012-03-18 11:30:45.000000"})",
                        R"({"c":"87:31:46.654321"})",
                        R"({"d":123.456})",
                        R"({"e":9.00})",
                        R"({"e":[0,1,true,false]})",
                        R"({"e":null})"};
  for (size_t i = 0; i < 8; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(r.decoded[i].table, "foo.test");
    ASSERT_EQ(r.decoded[i].after.size(), 1u);
    EXPECT_EQ(ParseJson(r.decoded[i].after[0]), nlohmann::json::parse(want[i]));
  }
  EXPECT_THAT(*r.decoded[5].after[0], HasSubstr("9.00"));  // the scale is kept
}

std::vector<float> Floats(const std::string& bytes) {
  std::vector<float> f(bytes.size() / 4);
  std::memcpy(f.data(), bytes.data(), f.size() * 4);
  return f;
}

TEST(MysqlCorpus, VectorColumnsOfMysql9) {
  SKIP_WITHOUT_CORPUS();
  const FileResult r = Decode("rustmysqlcommon__vector.binlog");
  ASSERT_TRUE(r.status.ok()) << r.status;
  ASSERT_EQ(r.decoded.size(), 10u);
  // Table foo (id, VECTOR(3)), rows event i=12: the oracle's bytes.
  EXPECT_EQ(r.decoded[0].table, "dtb.foo");
  EXPECT_EQ(*r.decoded[0].after[1],
            std::string("\xcd\xcc\x8c\x3f\xcd\xcc\x0c\x40\x33\x33\x53\x40", 12));
  EXPECT_EQ(*r.decoded[1].after[1],
            std::string("\x00\x00\x80\x3f\x00\x00\x80\xbf\x00\x00\x00\x00", 12));
  EXPECT_THAT(Floats(*r.decoded[1].after[1]), ElementsAre(1.0f, -1.0f, 0.0f));
  EXPECT_EQ(r.decoded[0].kinds[1], ValueKind::kVector);
  // Table bar (id, VECTOR(2), TEXT, VECTOR(4)): its TABLE_MAP lists the vectors as binary
  // character columns (MySQL 9's charset metadata), which the decoder once refused.
  EXPECT_EQ(r.decoded[2].table, "dtb.bar");
  EXPECT_THAT(Floats(*r.decoded[2].after[1]), ElementsAre(1.1f, 2.2f));
  EXPECT_EQ(r.decoded[2].after[2], std::nullopt);
  EXPECT_THAT(Floats(*r.decoded[2].after[3]), ElementsAre(1.1f, 2.2f, 3.3f, 4.4f));
  EXPECT_EQ(r.decoded[3].after[2], "bar");
  EXPECT_THAT(Floats(*r.decoded[3].after[3]), ElementsAre(42.0f, 43.0f, 44.0f, 45.0f));
  EXPECT_EQ(r.decoded[8].op, RowOp::kDelete);
  EXPECT_EQ(r.decoded[9].after[0], "3");
  EXPECT_THAT(Floats(*r.decoded[9].after[1]), ElementsAre(2.01f, -2.01f));
}

TEST(MysqlCorpus, VectorTableMapMetadata) {
  SKIP_WITHOUT_CORPUS();
  FileReader::Options o;
  o.files = {CorpusPath("rustmysqlcommon__vector.binlog")};
  auto files = FileReader::Open(o);
  ASSERT_TRUE(files.ok());
  EventReader reader(files->get());
  std::map<std::string, std::vector<uint16_t>> charsets;
  for (;;) {
    auto ev = reader.Next();
    ASSERT_TRUE(ev.ok()) << ev.status();
    if (*ev == nullptr) break;
    if (const auto* t = std::get_if<const TableMap*>(&(*ev)->body)) {
      std::vector<uint16_t>& cs = charsets[(*t)->table];
      cs.clear();
      for (const ColumnDef& c : (*t)->columns) cs.push_back(c.charset);
    }
  }
  EXPECT_THAT(charsets["foo"], ElementsAre(0, 63));
  EXPECT_THAT(charsets["bar"], ElementsAre(0, 63, 255, 63));
}

TEST(MysqlCorpus, EnumStringSetWithFullMetadata) {
  SKIP_WITHOUT_CORPUS();
  const FileResult r = Decode("rustmysqlcommon__mysql-enum-string-set.000001");
  ASSERT_TRUE(r.status.ok()) << r.status;
  ASSERT_EQ(r.decoded.size(), 3u);
  std::string digits100;
  for (int i = 0; i < 10; ++i) digits100 += "0123456789";
  const std::string f2 =
      "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567"
      "8901234567890123456789012345678901234567801234567890123456789012345678901234567890123456"
      "7890123456789012345678901234567890123456789012345678901234567890123456789012345678012345"
      "6789012345678901234567890123456789";
  ASSERT_EQ(f2.size(), 298u);
  const Image written = {digits100, f2, "1", "5", "0123456789"};
  EXPECT_EQ(r.decoded[0].op, RowOp::kInsert);
  EXPECT_EQ(r.decoded[0].after, written);
  EXPECT_EQ(r.decoded[1].op, RowOp::kUpdate);
  EXPECT_EQ(r.decoded[1].before, written);
  const Image updated = {"field1", "field_2", "2", "10", f2};
  EXPECT_EQ(r.decoded[1].after, updated);
  EXPECT_EQ(r.decoded[2].op, RowOp::kDelete);
  EXPECT_EQ(r.decoded[2].before, updated);
  EXPECT_EQ(r.decoded[0].kinds[2], ValueKind::kEnum);
  EXPECT_EQ(r.decoded[0].kinds[3], ValueKind::kSet);
}

TEST(MysqlCorpus, BitColumns) {
  SKIP_WITHOUT_CORPUS();
  const FileResult r = Decode("rustmysqlcommon__mysql_type_bit.000001");
  ASSERT_TRUE(r.status.ok()) << r.status;
  ASSERT_EQ(r.decoded.size(), 1u);
  EXPECT_EQ(r.decoded[0].after, (Image{"4", "foo", "32"}));
  EXPECT_EQ(r.decoded[0].kinds[0], ValueKind::kBit);
}

TEST(MysqlCorpus, MinimalRowImageWithMinimalMetadata) {
  SKIP_WITHOUT_CORPUS();
  const FileResult r = Decode("rustmysqlcommon__minimal_row_metadata.000001");
  ASSERT_TRUE(r.status.ok()) << r.status;
  ASSERT_EQ(r.decoded.size(), 1u);
  // The oracle counts columns from 0: column 4 is the INT UNSIGNED above 2^31.
  EXPECT_EQ(r.decoded[0].after, (Image{"1", "<absent>", "a", "<absent>", "3230202323"}));
  EXPECT_EQ(r.decoded[0].kinds[4], ValueKind::kUint);
}

TEST(MysqlCorpus, NegativeTime2) {
  SKIP_WITHOUT_CORPUS();
  const FileResult r = Decode("rustmysqlcommon__time_issue.000001");
  ASSERT_TRUE(r.status.ok()) << r.status;
  ASSERT_EQ(r.decoded.size(), 1u);
  EXPECT_EQ(r.decoded[0].after, Image{"-507:48:27"});
}

TEST(MysqlCorpus, TaggedGtidsOfMysql96) {
  SKIP_WITHOUT_CORPUS();
  FileReader::Options o;
  o.files = {CorpusPath("rustmysqlcommon__binlog_transaction_with_GTID_TAG.000001")};
  auto files = FileReader::Open(o);
  ASSERT_TRUE(files.ok());
  EventReader reader(files->get());
  std::string previous, gtid;
  const GtidEvent* tagged = nullptr;
  GtidEvent copy;
  for (;;) {
    auto ev = reader.Next();
    ASSERT_TRUE(ev.ok()) << ev.status();
    if (*ev == nullptr) break;
    if (const auto* p = std::get_if<PreviousGtidsEvent>(&(*ev)->body)) previous = p->text;
    if (const auto* g = std::get_if<GtidEvent>(&(*ev)->body)) {
      copy = *g;
      tagged = &copy;
    }
  }
  EXPECT_EQ(previous, "55778904-0299-11f1-b1b8-4ef0c4956feb:1-13:mytag:1-2");
  ASSERT_NE(tagged, nullptr);
  EXPECT_EQ(tagged->tag, "mytag");
  EXPECT_EQ(tagged->sequence, 3u);
  EXPECT_EQ(tagged->ToString(), "55778904-0299-11f1-b1b8-4ef0c4956feb:mytag:3");
  const FileResult r = Decode("rustmysqlcommon__binlog_transaction_with_GTID_TAG.000001");
  ASSERT_EQ(r.decoded.size(), 1u);
  EXPECT_EQ(r.decoded[0].table, "test.orders");
  EXPECT_EQ(r.decoded[0].gtid, "55778904-0299-11f1-b1b8-4ef0c4956feb:mytag:3");
  EXPECT_EQ(r.decoded[0].kinds[2], ValueKind::kDecimal);
}

TEST(MysqlCorpus, PreviousGtidsWithoutTag) {
  SKIP_WITHOUT_CORPUS();
  FileReader::Options o;
  o.files = {CorpusPath("rustmysqlcommon__binlog_transaction_previous_GTID_no_tag.000001")};
  auto files = FileReader::Open(o);
  ASSERT_TRUE(files.ok());
  EventReader reader(files->get());
  std::string previous;
  for (;;) {
    auto ev = reader.Next();
    ASSERT_TRUE(ev.ok()) << ev.status();
    if (*ev == nullptr) break;
    if (const auto* p = std::get_if<PreviousGtidsEvent>(&(*ev)->body)) previous = p->text;
  }
  EXPECT_EQ(previous, "b9b88c66-0755-11f1-9899-4a9da94c4d71:1-2");
}

TEST(MysqlCorpus, TransactionPayloadHoldsExactlyItsEvents) {
  SKIP_WITHOUT_CORPUS();
  FileReader::Options o;
  o.files = {CorpusPath("rustmysqlcommon__transaction_compression.000001")};
  auto files = FileReader::Open(o);
  ASSERT_TRUE(files.ok());
  EventReader reader(files->get());
  std::optional<uint64_t> payload_at;
  std::vector<EventType> inner;
  for (;;) {
    auto ev = reader.Next();
    ASSERT_TRUE(ev.ok()) << ev.status();
    if (*ev == nullptr) break;
    if (std::holds_alternative<TransactionPayloadEvent>((*ev)->body)) {
      payload_at = (*ev)->offset;
      EXPECT_EQ(std::get<TransactionPayloadEvent>((*ev)->body).compression, 0u);  // zstd
    } else if (payload_at && (*ev)->offset == *payload_at) {
      inner.push_back((*ev)->header.type);
    }
  }
  EXPECT_THAT(inner, ElementsAre(EventType::kQuery, EventType::kTableMap, EventType::kWriteRowsV2,
                                 EventType::kXid));
}

TEST(MysqlCorpus, MariaDbFullMetadata) {
  SKIP_WITHOUT_CORPUS();
  FileReader::Options o;
  o.files = {CorpusPath("rustmysqlcommon__mariadb-bin.000001")};
  auto files = FileReader::Open(o);
  ASSERT_TRUE(files.ok());
  EventReader reader(files->get());
  std::optional<TableMap> map;
  for (;;) {
    auto ev = reader.Next();
    ASSERT_TRUE(ev.ok()) << ev.status();
    if (*ev == nullptr) break;
    if (const auto* t = std::get_if<const TableMap*>(&(*ev)->body)) map = **t;
  }
  ASSERT_TRUE(map.has_value());
  EXPECT_EQ(map->schema, "toddy_test");
  EXPECT_EQ(map->table, "outbox");
  std::vector<std::string> names;
  std::vector<bool> pk;
  std::vector<uint16_t> charsets;
  for (const ColumnDef& c : map->columns) {
    names.push_back(c.name);
    pk.push_back(c.primary_key);
    charsets.push_back(c.charset);
  }
  EXPECT_THAT(names, ElementsAre("id", "topic", "event_type", "event", "created"));
  EXPECT_THAT(pk, ElementsAre(true, false, false, false, false));
  // UNKNOWN, utf8mb4_general_ci (45) twice, binary, UNKNOWN.
  EXPECT_THAT(charsets, ElementsAre(0, 45, 45, 63, 0));
}

TEST(MysqlCorpus, Percona57RowOfEasyPost) {
  SKIP_WITHOUT_CORPUS();
  const FileResult r = Decode("easypost__bin-log.000001");
  ASSERT_TRUE(r.status.ok()) << r.status;
  ASSERT_FALSE(r.decoded.empty());
  const Row& row = r.decoded[0];
  EXPECT_EQ(row.table, "bltest.foo");
  EXPECT_EQ(row.timestamp, 1550192291u);
  EXPECT_EQ(row.gtid, "87cee3a4-6b31-11e7-bdfd-0d98d6698870:14918");
  ASSERT_EQ(row.after.size(), 3u);
  EXPECT_EQ(row.after[0], "1");
  EXPECT_EQ(row.after[1], "0.10000");
}

TEST(MysqlCorpus, CompressedPayloadWithJsonEnumAndSet) {
  SKIP_WITHOUT_CORPUS();
  // apecloud 000057 (8.0.31): ROWS_QUERY "insert into test_table_3 values(6666, ..., '{"c": 1}'
  // ...)" inside a zstd payload.
  const FileResult r = Decode("apecloud__mysql-bin.000057");
  ASSERT_TRUE(r.status.ok()) << r.status;
  bool found = false;
  for (const Row& row : r.decoded) {
    if (row.op != RowOp::kInsert || row.after.empty() || row.after[0] != "6666") continue;
    found = true;
    bool json = false;
    for (size_t i = 0; i < row.after.size(); ++i) {
      if (row.kinds[i] == ValueKind::kJson) {
        json = true;
        EXPECT_EQ(ParseJson(row.after[i]), nlohmann::json::parse(R"({"c": 1})"));
      }
    }
    EXPECT_TRUE(json);
  }
  EXPECT_TRUE(found);
}

TEST(MysqlCorpus, PartialJsonUpdateDecodes) {
  SKIP_WITHOUT_CORPUS();
  const FileResult r = Decode("rustmysqlcommon__json.binlog.000001");
  ASSERT_TRUE(r.status.ok()) << r.status;
  // One PARTIAL_UPDATE_ROWS event (MINIMAL image, PARTIAL_JSON) of 6 rows: each after
  // image replaces $.age, and the generated column `age` (json_col->'$.age') agrees.
  int diffs = 0;
  for (const Row& row : r.decoded) {
    if (row.kinds.size() < 4 || row.kinds[1] != ValueKind::kJsonDiff) continue;
    ++diffs;
    const nlohmann::json diff = ParseJson(row.after[1])["json_diff"];
    ASSERT_EQ(diff.size(), 1u) << diff;
    EXPECT_EQ(diff[0]["op"], "replace");
    EXPECT_EQ(diff[0]["path"], "$.age");
    EXPECT_EQ(diff[0]["value"].dump(), *row.after[3]);
    EXPECT_EQ(row.before[1], "<absent>");  // MINIMAL before image: the key only
  }
  EXPECT_EQ(diffs, 6);
}

TEST(MysqlCorpus, RowsDropPreviewOfMysql51) {
  SKIP_WITHOUT_CORPUS();
  // MySQL 5.2.2-a_drop6p13 numbered event types 15-22 as MySQL's own decoder renumbers them:
  // read as today's codes, its XID looked like a rows event and its TABLE_MAP like an XID.
  FileResult s = Decode("rustmysqlcommon__ver_5_1-wl2325_s.001");
  EXPECT_TRUE(s.status.ok()) << s.status;
  EXPECT_EQ(s.legacy_row_events, 0);
  const auto events = TopLevelEvents("rustmysqlcommon__ver_5_1-wl2325_s.001");
  std::vector<EventType> types;
  for (const TopLevel& e : events) types.push_back(e.type);
  EXPECT_EQ(types[4], EventType::kXid);
  EXPECT_EQ(types[11], EventType::kBeginLoadQuery);
  EXPECT_EQ(types[13], EventType::kExecuteLoadQuery);
  // The row-based one: a TABLE_MAP without metadata before each PRE_GA rows event; the rows
  // events decode, their images are reported as not decodable (and counted, not dropped).
  FileResult r = Decode("rustmysqlcommon__ver_5_1-wl2325_r.001");
  EXPECT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(r.legacy_row_events, 3);
  const auto r_events = TopLevelEvents("rustmysqlcommon__ver_5_1-wl2325_r.001");
  ASSERT_EQ(r_events.size(), 11u);
  EXPECT_EQ(r_events[4].type, EventType::kTableMap);
  EXPECT_EQ(r_events[5].type, EventType::kPreGaWriteRows);
  EXPECT_EQ(r_events[6].type, EventType::kTableMap);
  EXPECT_EQ(r_events[7].type, EventType::kPreGaUpdateRows);
  EXPECT_EQ(r_events[9].type, EventType::kPreGaDeleteRows);
  EXPECT_EQ(r_events[10].type, EventType::kStop);
}

// The go-mysql file: 17 rows of `decodedecimal`, against the `SELECT *` in its test.
TEST(MysqlCorpus, GoMysqlDecimalTable) {
  SKIP_WITHOUT_CORPUS();
  const std::string expected =
      ReadFile(MysqlCorpusDir() + "/expected/gomysql__tcb-eval002c-bin.003320.expected.txt");
  std::vector<Image> want;
  for (absl::string_view line : absl::StrSplit(expected, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (!absl::StartsWith(line, "|") || absl::StrContains(line, "v4_2")) continue;
    Image row;
    for (absl::string_view cell : absl::StrSplit(line, '|')) {
      cell = absl::StripAsciiWhitespace(cell);
      if (!cell.empty()) row.emplace_back(std::string(cell));
    }
    want.push_back(row);
  }
  ASSERT_EQ(want.size(), 17u);
  const FileResult r = Decode("gomysql__tcb-eval002c-bin.003320");
  ASSERT_TRUE(r.status.ok()) << r.status;
  ASSERT_EQ(r.decoded.size(), 17u);
  for (size_t i = 0; i < 17; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(r.decoded[i].after, want[i]);
  }
}

// MySQL's own `mysqlbinlog -vv` output shipped with the kingbus files: every row, every value.
std::vector<Row> MysqlbinlogRows(const std::string& text) {
  std::vector<Row> rows;
  Image* image = nullptr;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (!absl::ConsumePrefix(&line, "### ")) continue;
    if (absl::StartsWith(line, "INSERT INTO ") || absl::StartsWith(line, "UPDATE ") ||
        absl::StartsWith(line, "DELETE FROM ")) {
      Row row;
      row.op = line[0] == 'I' ? RowOp::kInsert : line[0] == 'U' ? RowOp::kUpdate : RowOp::kDelete;
      rows.push_back(row);
      image = nullptr;
    } else if (line == "WHERE") {
      image = &rows.back().before;
    } else if (line == "SET") {
      image = &rows.back().after;
    } else if (image != nullptr && absl::ConsumePrefix(&line, "  @")) {
      // @2='hello1' /* VARSTRING(120) ... */
      line = line.substr(line.find('=') + 1);
      line = line.substr(0, line.find(" /*"));
      if (line == "NULL") {
        image->emplace_back(std::nullopt);
      } else {
        absl::ConsumePrefix(&line, "'");
        absl::ConsumeSuffix(&line, "'");
        image->emplace_back(std::string(line));
      }
    }
  }
  return rows;
}

TEST(MysqlCorpus, KingbusRowsEqualMysqlbinlog) {
  SKIP_WITHOUT_CORPUS();
  int compared = 0;
  for (const char* name :
       {"kingbus__flikedev1-c8pyy-relay-bin.000284", "kingbus__flikedev1-c8pyy-relay-bin.000286",
        "kingbus__flikedev1-c8pyy-relay-bin.000288", "kingbus__mysql_bin.000011",
        "kingbus__mysql_bin.000012", "kingbus__mysql_bin.000013"}) {
    SCOPED_TRACE(name);
    const std::vector<Row> want = MysqlbinlogRows(
        ReadFile(absl::StrCat(MysqlCorpusDir(), "/expected/", name, ".mysqlbinlog.txt")));
    const FileResult r = Decode(name);
    ASSERT_TRUE(r.status.ok()) << r.status;
    ASSERT_EQ(r.decoded.size(), want.size());
    ASSERT_EQ(want.size(), 40u);
    for (size_t i = 0; i < want.size(); ++i) {
      SCOPED_TRACE(i);
      EXPECT_EQ(r.decoded[i].op, want[i].op);
      EXPECT_EQ(r.decoded[i].before, want[i].before);
      EXPECT_EQ(r.decoded[i].after, want[i].after);
      ++compared;
    }
  }
  EXPECT_EQ(compared, 240);
}

}  // namespace
}  // namespace dcp::mysql::binlog
