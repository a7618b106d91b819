// Row images: a binlog row's decoded values as typed parameters for the target's columns
// (mysql/statement.h), and images as JSON for the conflict log.
//
// Values are normalised for the target column: integers get the target's unsigned width when
// the binlog carries no signedness, TIMESTAMP becomes its UTC time, BINARY(N) and UUID/INET6
// get back their trailing zero bytes, JSON is bound as its text; strings and blobs stay bytes.
// Pure functions; thread-safe.
#ifndef DCP_PADDER_ROW_IMAGE_H_
#define DCP_PADDER_ROW_IMAGE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "mysql/binlog/event.h"
#include "padder/target.h"

namespace dcp::padder {

// The image of `values` (one row of a rows event of `map`) for the target table `info`, by
// column position; columns absent from the binlog image are std::nullopt. An empty row (no
// before image, say) gives an empty image. kUnimplemented for partial JSON updates.
absl::StatusOr<Image> ConvertRow(const mysql::binlog::TableMap& map,
                                 const std::vector<mysql::binlog::Value>& values,
                                 const TableInfo& info);

// {"column": value, ...} of the present columns of `image` (only the key columns when
// `key_only` and the table has a key): numbers bare, other values as text, or {"hex": ...}
// when not printable UTF-8 (verifier/json.h).
std::string ImageJson(const TableInfo& t, const Image& image, bool key_only);

}  // namespace dcp::padder

#endif  // DCP_PADDER_ROW_IMAGE_H_
