// The JSON-lines form of decoded row changes printed by `dcp binlog` (format: docs/binlog.md).
#ifndef DCP_MYSQL_BINLOG_JSON_LINES_H_
#define DCP_MYSQL_BINLOG_JSON_LINES_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "mysql/binlog/event.h"
#include "mysql/binlog/rows.h"

namespace dcp::mysql::binlog {

struct RowContext {
  absl::string_view file;
  uint64_t offset = 0;
  absl::string_view gtid;  // empty: none known
  uint32_t timestamp = 0;
  const TableMap* table = nullptr;
};

// Appends one line (with '\n') for `change`.
absl::Status AppendRowJson(const RowContext& ctx, const RowChange& change, std::string* out);

// Appends the lossless JSON form of one value of `col` (see docs/binlog.md).
absl::Status AppendValueJson(const ColumnDef& col, const Value& v, std::string* out);

}  // namespace dcp::mysql::binlog

#endif  // DCP_MYSQL_BINLOG_JSON_LINES_H_
