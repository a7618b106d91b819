// JSON text: the one string escaper and UTF-8 check of the project.
//
// Every product file that writes JSON by hand (alarms, the canonical row encoding, `dcp
// binlog`, reports, /status) escapes strings here, so that the same bytes always give the same
// text everywhere. Parsing JSON is nlohmann-json's job. Pure functions; thread-safe.
#ifndef DCP_UTIL_JSON_H_
#define DCP_UTIL_JSON_H_

#include <string>

#include "absl/strings/string_view.h"

namespace dcp::json {

// Whether `s` is well-formed UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF.
bool IsValidUtf8(absl::string_view s);

// Appends the characters of `s` as they go inside a JSON string literal (no quotes): `"` and
// `\` escaped, control characters U+0000-U+001F as \n \r \t \b \f or \u00XX, well-formed UTF-8
// copied as it is. A byte that does not start a well-formed UTF-8 sequence is written as the
// character of its Latin-1 reading (U+0080-U+00FF), so the output is always valid UTF-8 and
// JSON, and a given input always gives the same text (the canonical row encoding,
// docs/encoding.md, depends on this).
void AppendEscaped(absl::string_view s, std::string* out);

// `"` + AppendEscaped(s) + `"`.
void AppendString(absl::string_view s, std::string* out);
std::string Quote(absl::string_view s);

// AppendString(s) when `s` is well-formed UTF-8, in one pass; otherwise appends nothing and
// returns false (for writers that render non-UTF-8 bytes another way, e.g. as hex).
bool AppendStringIfUtf8(absl::string_view s, std::string* out);

}  // namespace dcp::json

#endif  // DCP_UTIL_JSON_H_
