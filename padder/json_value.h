// JsonValue: a small JSON document tree and a parser for the reports padder repair reads
// (verifier JSON reports, dcp alarm documents). Untrusted input: the parser is bounds-checked
// and iterative depth is limited; errors are kInvalidArgument with the byte offset. Numbers
// are kept as their text. A value type; thread-compatible.
#ifndef DCP_PADDER_JSON_VALUE_H_
#define DCP_PADDER_JSON_VALUE_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace dcp::padder {

struct JsonValue {
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };
  Type type = Type::kNull;
  bool boolean = false;
  std::string text;  // kString: the decoded string; kNumber: the number as written
  std::vector<JsonValue> array;
  std::vector<std::pair<std::string, JsonValue>> object;  // in document order

  // The member `name` of an object, or nullptr.
  const JsonValue* Find(absl::string_view name) const;
  bool is_null() const { return type == Type::kNull; }

  static absl::StatusOr<JsonValue> Parse(absl::string_view text);
};

}  // namespace dcp::padder

#endif  // DCP_PADDER_JSON_VALUE_H_
