// The canonical row encoding: how every collector (and any gRPC pusher) turns a row into the
// key, content and checksum the checker compares. Specified in docs/encoding.md; this
// library is its reference implementation.
//
// Values are first normalised into *tagged canonical strings* by logical type, so that the
// same logical value has one spelling whatever the column type, server or pipeline:
//   n:<number>   integers, DECIMAL, FLOAT/DOUBLE, BIT, YEAR: exact decimal, no leading
//                zeros, no trailing fractional zeros, no exponent ("n:-1.5", "n:0")
//   s:<text>     CHAR (trailing spaces removed), VARCHAR, TEXT, ENUM label, SET labels
//   b:<base64>   BINARY/VARBINARY/BLOB, GEOMETRY (SRID + WKB), VECTOR (raw bytes)
//   t:<temporal> DATE "YYYY-MM-DD", TIME "[-]hh:mm:ss[.f]", DATETIME and TIMESTAMP (in UTC)
//                "YYYY-MM-DD hh:mm:ss[.f]", fraction without trailing zeros
//   j:<json>     JSON, re-serialised: keys sorted, no spaces, numbers as above
// and SQL NULL is std::nullopt (JSON null in the content: never equal to "" or "s:").
//
// Row content = a JSON object of lower-cased column name -> tagged value (or null), keys
// sorted. Key = a JSON array: the table name, then the key columns' tagged values in key
// order. Checksum = XXH3-128 of the content, as 32 lower-case hex digits. A delete's content
// is the word "DELETE".
//
// Stateless functions; thread-safe.
#ifndef DCP_COLLECTOR_ENCODING_H_
#define DCP_COLLECTOR_ENCODING_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace dcp::collector::encoding {

// A canonical value: a tagged string, or std::nullopt for SQL NULL.
using Value = std::optional<std::string>;

// The content of a delete (gravity's checker also recognised the op word DELETE).
inline constexpr char kDeleteContent[] = "DELETE";

std::string Integer(int64_t v);
std::string Unsigned(uint64_t v);
// A decimal in text, e.g. "-001.500" -> "n:-1.5". kInvalidArgument if not [+-]digits[.digits].
absl::StatusOr<std::string> Decimal(absl::string_view text);
// The shortest decimal text that reads back as the same float/double, without exponent.
// FLOAT 1.1 and DOUBLE 1.1 both give "n:1.1". NaN and infinities (not storable in MySQL)
// give "n:nan", "n:inf", "n:-inf".
std::string Float(float v);
std::string Double(double v);
// Text in UTF-8. Bytes that are not valid UTF-8 are read as Latin-1 (so a latin1 column and a
// utf8mb4 column holding the same characters compare equal).
std::string Text(absl::string_view text);
// CHAR(n): as Text() after removing trailing spaces (MySQL's PAD semantics on read).
std::string Char(absl::string_view text);
std::string Binary(absl::string_view bytes);
// Temporal values as MySQL prints them; the fraction may have 0-6 digits.
absl::StatusOr<std::string> Date(absl::string_view text);          // YYYY-MM-DD
absl::StatusOr<std::string> Time(absl::string_view text);          // [-]h..h:mm:ss[.f]
absl::StatusOr<std::string> DateTime(absl::string_view text);      // YYYY-MM-DD[ T]hh:mm:ss[.f]
// A JSON document in text form.
absl::StatusOr<std::string> Json(absl::string_view text);

struct Column {
  std::string name;
  Value value;
};

// The canonical content of a row image: `columns` in any order. Column names are compared
// case-insensitively; two columns with the same name are a caller bug and both are kept.
std::string Content(std::vector<Column> columns);

// The canonical key of a row: `table` ("schema.table") and the key columns' canonical values
// in key order.
std::string Key(absl::string_view table, const std::vector<Value>& key_values);

// XXH3-128 of `content` as 32 lower-case hex digits.
std::string Checksum(absl::string_view content);

}  // namespace dcp::collector::encoding

#endif  // DCP_COLLECTOR_ENCODING_H_
