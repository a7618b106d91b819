// SQL literals that mean the same under every sql_mode.
//
// A quoted string literal ('...') depends on the session that reads it: a backslash escapes
// the next character unless sql_mode has NO_BACKSLASH_ESCAPES, so text escaped for one mode can
// end the literal early under the other (an injection when the text came from a table), and
// MariaDB's EMPTY_STRING_IS_NULL reads '' as NULL. A hexadecimal literal X'...' has only hex
// digits between its quotes and reads the same in every mode, with or without the connection's
// escaping rules; these functions write every value that way.
//
// X'...' alone is a binary string, read differently by MariaDB and MySQL in numeric context
// (X'31' + 0 is 1 on MariaDB 10.11, 49 on MySQL, whose manual reads it as a BIGINT UNSIGNED
// there) and refused by MySQL where it wants text (a JSON column). With a character set
// introducer it is a character string on both, with the coercibility of a quoted literal:
// compared with a column it is converted to the column's character set and compared in the
// column's collation, and converted for a numeric or temporal column, exactly as `col = 'A'`
// is on a utf8mb4 connection. _binary X'...' is a binary string everywhere. Checked on
// MariaDB 10.11 under several sql_modes (tests/verifier/verifier_sql_mode_test.cc); no MySQL
// server was at hand to run it against.
//
// Pure functions; thread-safe.
#ifndef DCP_MYSQL_SQL_LITERAL_H_
#define DCP_MYSQL_SQL_LITERAL_H_

#include <string>

#include "absl/strings/string_view.h"

namespace dcp::mysql {

// X'<hex>' (X'' for no bytes): a binary string literal of `bytes`. For binary and BIT columns
// only (INSERT into one, comparison with one); elsewhere BinaryLiteral() or Utf8mb4Literal().
std::string HexLiteral(absl::string_view bytes);

// _binary X'<hex>': a binary string in every context (also where MySQL would read X'...' as a
// number), compared byte by byte.
std::string BinaryLiteral(absl::string_view bytes);

// _utf8mb4 X'<hex>': the character string `text` (utf8mb4 bytes, as a utf8mb4 connection reads
// and writes text), coercible like a quoted literal: compared with a column it is converted to
// the column's character set and compared in the column's collation; assigned to a numeric or
// temporal column it is converted as the quoted text would be.
std::string Utf8mb4Literal(absl::string_view text);

// Utf8mb4Literal(value), or BinaryLiteral(value) when `binary` (a value of a binary column).
std::string StringLiteral(absl::string_view value, bool binary);

}  // namespace dcp::mysql

#endif  // DCP_MYSQL_SQL_LITERAL_H_
