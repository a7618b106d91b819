// Minimal JSON text helpers for the verifier's reports.
//
// Values read from a database may be arbitrary bytes (BLOBs); JsonString() writes valid UTF-8
// strings as JSON strings and anything else as an object {"hex": "<hex>"}, so reports stay
// valid JSON and bytes are never confused with text. Pure
// functions; thread-safe.
#ifndef DCP_VERIFIER_JSON_H_
#define DCP_VERIFIER_JSON_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace dcp::verifier {

// Whether `s` is valid UTF-8 without control characters other than tab/newline/CR.
bool IsPrintableUtf8(absl::string_view s);

// A readable rendering of a column value: the text itself when printable, else 0x<hex>;
// "NULL" for SQL NULL.
std::string DisplayValue(const std::optional<std::string>& v);

// `s` as a quoted JSON string (escaped); non-printable input as {"hex":"<hex>"}.
std::string JsonString(absl::string_view s);

// JsonString(v) or null.
std::string JsonValue(const std::optional<std::string>& v);

}  // namespace dcp::verifier

#endif  // DCP_VERIFIER_JSON_H_
