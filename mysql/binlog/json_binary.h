// MySQL's binary JSON format (the JSON column type of MySQL 5.7+) to JSON text.
//
// Output follows MySQL's own printing: `{"a": 1, "b": [true, null]}` with ", " and ": "
// separators; DECIMAL opaque values as numbers, DATE/TIME/DATETIME/TIMESTAMP opaque values
// as strings with 6 fractional digits for times, other opaque values as
// "base64:type<N>:<base64>". Strings and keys are escaped by util/json.h. Every offset is
// checked; corrupt input is kDataLoss. Nesting deeper than 150 levels is kDataLoss (MySQL
// allows 100).
#ifndef DCP_MYSQL_BINLOG_JSON_BINARY_H_
#define DCP_MYSQL_BINLOG_JSON_BINARY_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace dcp::mysql::binlog {

// Appends the JSON text of the binary document `bin` (empty: `null`).
absl::Status AppendJsonFromBinary(absl::string_view bin, std::string* out);

// Appends a MySQL partial-JSON diff vector (Json_diff_vector's binary form: per diff an
// operation byte 0 replace / 1 insert / 2 remove, a packed-length path, and for replace and
// insert a packed-length binary JSON value) as
//   {"json_diff":[{"op":"replace","path":"$.a","value":...}, ...]}
absl::Status AppendJsonDiff(absl::string_view diffs, std::string* out);

}  // namespace dcp::mysql::binlog

#endif  // DCP_MYSQL_BINLOG_JSON_BINARY_H_
