// libFuzzer target: a binlog (file bytes, with or without the magic) through the whole
// decoding path: framing, every event decoder, TRANSACTION_PAYLOAD expansion, row images,
// and the JSON-lines form. Checksums are not verified (else few inputs pass); everything
// else must fail cleanly with a Status. Build with -DDCP_FUZZ=ON and clang.
#include <cstddef>
#include <cstdint>
#include <string>

#include "mysql/binlog/file_reader.h"
#include "mysql/binlog/json_lines.h"
#include "mysql/binlog/reader.h"
#include "mysql/binlog/rows.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace dcp::mysql::binlog;
  BufferReader source(absl::string_view(reinterpret_cast<const char*>(data), size), "fuzz");
  Decoder::Options options;
  options.verify_checksums = false;
  EventReader reader(&source, options);
  RowChange change;
  std::string out;
  for (int i = 0; i < 100000; ++i) {
    auto ev = reader.Next();
    if (!ev.ok() || *ev == nullptr) break;
    const auto* rows = std::get_if<RowsEvent>(&(*ev)->body);
    if (rows == nullptr || rows->table == nullptr) continue;
    RowIterator it(*rows);
    RowContext ctx;
    ctx.file = reader.file();
    ctx.table = rows->table;
    while (!it.done()) {
      if (!it.Next(change).ok()) break;
      out.clear();
      (void)AppendRowJson(ctx, change, &out);
    }
  }
  return 0;
}
