// The JSON form of column values in the reports of verifier and padder, and the reading of
// those reports back.
//
// Values read from a database may be arbitrary bytes (BLOBs). ValueJson() writes printable
// UTF-8 as a JSON string and anything else as an object {"hex": "<lowercase hex>"}, so that
// reports stay valid JSON and bytes are never confused with text; ValueFromJson() reads either
// form back. Names and messages (tables, columns, errors) are not values: they are written
// with dcp::json::Quote (util/json.h). Strings are escaped by util/json.h, the project's one
// JSON escaper; documents are parsed by nlohmann-json.
//
// Its own small library (dcp::verifier_json, linking util and nlohmann-json only): the
// verifier writes reports with it, padder writes its conflict log with it and reads verifier
// reports and dcp alarm documents with it. Pure functions; thread-safe.
#ifndef DCP_VERIFIER_JSON_H_
#define DCP_VERIFIER_JSON_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json_fwd.hpp"

namespace dcp::verifier {

// Whether `s` is well-formed UTF-8 without control characters other than tab, newline and
// carriage return (and without DEL).
bool IsPrintableUtf8(absl::string_view s);

// A readable rendering of a column value: the text itself when printable, else 0x<hex>;
// "NULL" for SQL NULL.
std::string DisplayValue(const std::optional<std::string>& v);

// `bytes` as a quoted JSON string when printable UTF-8, else {"hex":"<hex>"}.
std::string ValueJson(absl::string_view bytes);

// ValueJson(*v), or null for SQL NULL.
std::string ValueOrNullJson(const std::optional<std::string>& v);

// The bytes of a value written by ValueJson(): a string, or {"hex": "<hex digits>"}. An
// integer is accepted as its decimal text (hand-written documents); anything else, a
// fractional number included (its text as written is lost), is kInvalidArgument.
absl::StatusOr<std::string> ValueFromJson(const nlohmann::json& v);

// Parses one JSON document. Errors say where: "line L, column C: <what nlohmann-json found>",
// lines counted from `first_line` (for a document that is one line of a larger file). Input
// that ends inside the document (a truncated file) or holds ill-formed UTF-8 is kDataLoss;
// empty input and any other syntax error kInvalidArgument. Nesting depth is not limited:
// nlohmann-json parses and destroys iteratively.
absl::StatusOr<nlohmann::json> ParseJson(absl::string_view text, int first_line = 1);

}  // namespace dcp::verifier

#endif  // DCP_VERIFIER_JSON_H_
