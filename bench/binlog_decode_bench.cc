// Decodes binlog files to typed row values and reports rows and bytes, for
// bench/binlog_bench.sh. Not a test: the script times it against mariadb-binlog.
//
//   binlog_decode_bench FILE...   prints "rows=N bytes=M" on stdout
#include <sys/stat.h>

#include <cstdio>
#include <string>
#include <vector>

#include "mysql/binlog/file_reader.h"
#include "mysql/binlog/reader.h"
#include "mysql/binlog/rows.h"

int main(int argc, char** argv) {
  using namespace dcp::mysql::binlog;
  FileReader::Options o;
  uint64_t bytes = 0;
  for (int i = 1; i < argc; ++i) {
    o.files.emplace_back(argv[i]);
    struct stat st;
    if (stat(argv[i], &st) == 0) bytes += static_cast<uint64_t>(st.st_size);
  }
  auto files = FileReader::Open(o);
  if (!files.ok()) {
    std::fprintf(stderr, "%s\n", files.status().ToString().c_str());
    return 1;
  }
  EventReader reader(files->get());
  RowChange change;
  uint64_t rows = 0, checksum = 0;
  for (;;) {
    auto ev = reader.Next();
    if (!ev.ok()) {
      std::fprintf(stderr, "%s\n", ev.status().ToString().c_str());
      return 1;
    }
    if (*ev == nullptr) break;
    const auto* r = std::get_if<RowsEvent>(&(*ev)->body);
    if (r == nullptr || r->table == nullptr) continue;
    RowIterator it(*r);
    while (!it.done()) {
      const absl::Status s = it.Next(change);
      if (!s.ok()) {
        std::fprintf(stderr, "%s\n", s.ToString().c_str());
        return 1;
      }
      ++rows;
      // Touch the values so the work cannot be optimised away.
      for (const Value& v : change.after) checksum += v.u + v.bytes.size();
    }
  }
  std::printf("rows=%llu bytes=%llu check=%llu\n", static_cast<unsigned long long>(rows),
              static_cast<unsigned long long>(bytes), static_cast<unsigned long long>(checksum));
  return 0;
}
