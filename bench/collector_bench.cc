// Runs the MySQL collector over binlog files (decode + tag + canonical key and content +
// checksum, i.e. everything but the network) and reports rows and messages, for
// bench/collector_bench.sh, which times it against mariadb-binlog. Not a test.
//
//   collector_bench [--encode-only] DSN DATADIR FIRST_FILE TABLE_GLOB
// DSN: the server whose information_schema describes the tables (schemas are read once).
// --encode-only: decode + key + canonical content + checksum into reused strings, without
// building and delivering messages (the encoding cost alone).
#include <cstdio>
#include <map>
#include <optional>
#include <string>

#include "collector/mysql_collector.h"
#include "mysql/binlog/reader.h"
#include "mysql/binlog/rows.h"
#include "mysql/dsn.h"

namespace {

// Counts and drops what the collector delivers.
class CountingSink final : public dcp::collector::MessageSink {
 public:
  absl::Status Put(std::vector<dcp::checker::Change>& changes,
                   const std::function<bool()>& /*cancelled*/) override {
    for (const dcp::checker::Change& c : changes) {
      const auto* row = std::get_if<dcp::checker::RowChange>(&c.body);
      if (row == nullptr) continue;  // barriers
      ++messages_;
      bytes_ += row->key.size() + row->checksum.size();
    }
    changes.clear();
    return absl::OkStatus();
  }
  uint64_t messages_ = 0;
  uint64_t bytes_ = 0;
};

}  // namespace

// Decodes FILE... from the start and encodes every row of tables matching `glob`.
int EncodeOnly(dcp::collector::ConnectionSchemaSource& schemas, const std::string& path,
               const std::string& glob) {
  using namespace dcp::mysql::binlog;
  FileReader::Options o;
  o.files = {path};
  o.follow_rotation = true;
  auto files = FileReader::Open(o);
  if (!files.ok()) {
    std::fprintf(stderr, "%s\n", files.status().ToString().c_str());
    return 1;
  }
  EventReader reader(files->get());
  dcp::collector::TagRule rule;
  rule.name = "src";
  rule.tables = {glob};
  dcp::collector::TagMatcher matcher({rule});
  std::map<std::string, std::optional<dcp::collector::TableEncoder>> encoders;
  RowChange change;
  std::string key, content, checksum;
  uint64_t rows = 0, bytes = 0;
  for (;;) {
    auto ev = reader.Next();
    if (!ev.ok()) {
      std::fprintf(stderr, "%s\n", ev.status().ToString().c_str());
      return 1;
    }
    if (*ev == nullptr) break;
    const auto* r = std::get_if<RowsEvent>(&(*ev)->body);
    if (r == nullptr || r->table == nullptr) continue;
    const std::string name = r->table->schema + "." + r->table->table;
    auto it = encoders.find(name);
    if (it == encoders.end()) {
      std::optional<dcp::collector::TableEncoder> enc;
      if (!matcher.Match(r->table->schema, r->table->table).empty()) {
        auto schema = schemas.Read(r->table->schema, r->table->table);
        if (!schema.ok()) {
          std::fprintf(stderr, "%s\n", schema.status().ToString().c_str());
          return 1;
        }
        auto e = dcp::collector::TableEncoder::Create(*schema, rule);
        if (!e.ok()) {
          std::fprintf(stderr, "%s\n", e.status().ToString().c_str());
          return 1;
        }
        enc.emplace(std::move(*e));
      }
      it = encoders.emplace(name, std::move(enc)).first;
    }
    if (!it->second) continue;
    RowIterator rows_it(*r);
    while (!rows_it.done()) {
      absl::Status s = rows_it.Next(change);
      if (s.ok()) s = it->second->EncodeRowInto(change.after, &key, &content, &checksum);
      if (!s.ok()) {
        std::fprintf(stderr, "%s\n", s.ToString().c_str());
        return 1;
      }
      ++rows;
      bytes += content.size();
    }
  }
  std::printf("rows=%llu payloads=%llu key_checksum_bytes=%llu\n",
              static_cast<unsigned long long>(rows), static_cast<unsigned long long>(rows),
              static_cast<unsigned long long>(bytes));
  return 0;
}

int main(int argc, char** argv) {
  bool encode_only = false;
  if (argc > 1 && std::string(argv[1]) == "--encode-only") {
    encode_only = true;
    --argc;
    ++argv;
  }
  if (argc != 5) {
    std::fprintf(stderr, "usage: collector_bench DSN DATADIR FIRST_FILE TABLE_GLOB\n");
    return 2;
  }
  auto dsn = dcp::mysql::Dsn::Parse(argv[1]);
  if (!dsn.ok()) {
    std::fprintf(stderr, "%s\n", dsn.status().ToString().c_str());
    return 2;
  }
  const std::string datadir = argv[2];
  if (encode_only) {
    dcp::collector::ConnectionSchemaSource schemas(*dsn);
    return EncodeOnly(schemas, datadir + "/" + argv[3], argv[4]);
  }
  dcp::collector::MysqlCollector::Options options;
  options.name = "bench";
  dcp::collector::TagRule rule;
  rule.name = "src";
  rule.tables = {argv[4]};
  options.tags = {rule};
  options.start.file = argv[3];
  options.stop_at_end = true;
  dcp::collector::ConnectionSchemaSource schemas(*dsn);
  CountingSink sink;
  dcp::collector::MysqlCollector collector(
      options, dcp::collector::FileBinlogSource(datadir, argv[3]), &schemas, &sink);
  absl::Status s = collector.Run([] { return false; });
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return 1;
  }
  const auto stats = collector.stats();
  std::printf("rows=%llu payloads=%llu skipped=%llu dropped=%llu key_checksum_bytes=%llu\n",
              static_cast<unsigned long long>(stats.rows),
              static_cast<unsigned long long>(sink.messages_),
              static_cast<unsigned long long>(stats.skipped_rows),
              static_cast<unsigned long long>(stats.dropped_before_barrier),
              static_cast<unsigned long long>(sink.bytes_));
  return 0;
}
