// Helpers for the collector's integration tests: delivered changes as text, and what an
// in-process MysqlCollector makes of a server's whole binlog. Header-only, test-only.
#ifndef DCP_TESTS_INTEGRATION_COLLECTOR_TEST_UTIL_H_
#define DCP_TESTS_INTEGRATION_COLLECTOR_TEST_UTIL_H_

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "checker/change.h"
#include "collector/message_queue.h"
#include "collector/mysql_collector.h"
#include "gtest/gtest.h"
#include "tests/harness/mariadb_server.h"

namespace dcp::collector::testing {

// "tag|origin|ts=T|B:offset" or "tag|origin|ts=T|key|content|checksum"; a delete (no content
// or checksum in process, "DELETE" on the wire) as "tag|origin|ts=T|key|DELETE".
inline std::string Render(const checker::Change& c) {
  if (const auto* b = std::get_if<checker::Barrier>(&c.body)) {
    return absl::StrCat(c.tag, "|", b->origin, "|ts=", b->timestamp, "|B:", b->offset);
  }
  const auto& row = std::get<checker::RowChange>(c.body);
  std::string s = absl::StrCat(c.tag, "|", row.origin, "|ts=", row.timestamp, "|", row.key, "|");
  if (row.deleted) return s + "DELETE";
  return absl::StrCat(s, row.content.value_or("(no content)"), "|", row.checksum);
}

inline std::vector<std::string> Drain(BoundedMessageQueue& q) {
  std::vector<std::string> out;
  while (auto m = q.Pop(absl::ZeroDuration())) out.push_back(Render(*m));
  return out;
}

// Pops from `q` into `got` until it holds `n` or `secs` pass.
inline void PopUntil(BoundedMessageQueue& q, std::vector<std::string>& got, size_t n, int secs) {
  const absl::Time deadline = absl::Now() + absl::Seconds(secs);
  while (got.size() < n && absl::Now() < deadline) {
    if (auto m = q.Pop(absl::Milliseconds(100))) got.push_back(Render(*m));
  }
}

// Every change an in-process MysqlCollector delivers for tag "src" (tables `glob`), with
// contents, reading the server's binlog files to their end.
inline std::vector<std::string> InProcessChanges(const dcp::testing::MariaDbServer& server,
                                                 const std::string& glob = "shop.*") {
  BoundedMessageQueue local(100000);
  MysqlCollector::Options options;
  options.name = "local";
  TagRule src;
  src.name = "src";
  src.tables = {glob};
  options.tags = {src};
  options.stop_at_end = true;
  options.keep_content = true;
  ConnectionSchemaSource schemas(server.Dsn());
  MysqlCollector collector(options, FileBinlogSource(server.dir() + "/data"), &schemas, &local);
  absl::Status s = collector.Run([] { return false; });
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_EQ(collector.stats().skipped_rows, 0u);
  return Drain(local);
}

}  // namespace dcp::collector::testing

#endif  // DCP_TESTS_INTEGRATION_COLLECTOR_TEST_UTIL_H_
