// Rows for the sql_mode hardening tests of verifier and padder (docs/verifier.md, "SQL and
// sql_mode"): tables whose keys and values hold quotes, backslashes, non-ASCII text, empty
// strings, and SQL that would run if a literal written into a statement broke:
//
//   inj.victim  (id)             must survive every fix
//   inj.t       (k VARCHAR PK, v VARCHAR)   2,500 keys "k'00001\" ... plus the named rows below
//   inj.b       (k VARBINARY PK, v INT)     1,500 keys 0x27 00 5c <n> ff, plus 0x27
//
// CreateQuoteRows() makes them (run it on both sides: identical rows); DivergeQuoteRows() then
// changes the target so that these differences are to be found:
//   missing  inj.t "a'b"                    inj.b 0x27
//   extra    inj.t kExtraKey                inj.b 0x5c27
//   different inj.t kInjection, "back\slash", "é-ü-😀", "empty", "k'01234\"   inj.b row 700
// The setup SQL has no quote or backslash in a literal (CHAR() instead), and the divergence
// binds its values as parameters, so both run alike under every sql_mode. Header-only.
#ifndef DCP_TESTS_HARNESS_QUOTE_ROWS_H_
#define DCP_TESTS_HARNESS_QUOTE_ROWS_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "mysql/connection.h"
#include "mysql/statement.h"

namespace dcp::testing {

// A source value that drops inj.victim if a literal holding it breaks under
// NO_BACKSLASH_ESCAPES (written with backslash escapes: 'x\'); DROP ...').
inline constexpr char kInjection[] = "x'); DROP TABLE inj.victim; --";
// A target-only key: the fix SQL deletes it by this key.
inline constexpr char kExtraKey[] = "z'); DROP TABLE inj.victim; -- \\";

inline absl::Status CreateQuoteRows(mysql::Connection& conn) {
  using mysql::Param;
  for (const char* sql : {
           "CREATE DATABASE inj",
           "CREATE TABLE inj.victim (id INT PRIMARY KEY)",
           "INSERT INTO inj.victim VALUES (1), (2)",
           "CREATE TABLE inj.t (k VARCHAR(64) PRIMARY KEY, v VARCHAR(200))",
           "INSERT INTO inj.t SELECT CONCAT('k', CHAR(39 USING utf8mb4), LPAD(seq, 5, '0'), "
           "CHAR(92 USING utf8mb4)), CONCAT('v', seq) FROM inj.seq_1_to_2500",
           "CREATE TABLE inj.b (k VARBINARY(16) PRIMARY KEY, v INT)",
           "INSERT INTO inj.b SELECT CONCAT(X'27005c', UNHEX(LPAD(HEX(seq), 4, '0')), X'ff'), seq "
           "FROM inj.seq_1_to_1500",
       }) {
    if (absl::Status s = conn.Execute(sql); !s.ok()) return s;
  }
  absl::StatusOr<mysql::Statement> t =
      mysql::Statement::Prepare(conn, "INSERT INTO inj.t (k, v) VALUES (?, ?)");
  if (!t.ok()) return t.status();
  for (const auto& [k, v] : std::vector<std::pair<std::string, std::string>>{
           {"a'b", "gone from the target"},
           {kInjection, kInjection},
           {"back\\slash", "s\\'"},
           {"\xc3\xa9-\xc3\xbc-\xf0\x9f\x98\x80", "na\xc3\xafve"},
           {"empty", ""},
           {"plain", "same"}}) {
    if (absl::Status s = t->Execute({Param::Text(k), Param::Text(v)}); !s.ok()) return s;
  }
  return conn.Execute("INSERT INTO inj.b VALUES (X'27', 1)");
}

// Changes the target (an equal copy of the source) into the differences listed above.
inline absl::Status DivergeQuoteRows(mysql::Connection& target) {
  using mysql::Param;
  struct Change {
    const char* sql;
    std::vector<Param> params;
  };
  const std::vector<Change> changes = {
      {"DELETE FROM inj.t WHERE k = ?", {Param::Text("a'b")}},
      {"INSERT INTO inj.t (k, v) VALUES (?, ?)", {Param::Text(kExtraKey), Param::Text("extra")}},
      {"UPDATE inj.t SET v = ? WHERE k = ?", {Param::Text("old"), Param::Text(kInjection)}},
      {"UPDATE inj.t SET v = ? WHERE k = ?", {Param::Text("t"), Param::Text("back\\slash")}},
      {"UPDATE inj.t SET v = ? WHERE k = ?",
       {Param::Text("naive"), Param::Text("\xc3\xa9-\xc3\xbc-\xf0\x9f\x98\x80")}},
      {"UPDATE inj.t SET v = NULL WHERE k = ?", {Param::Text("empty")}},
      {"UPDATE inj.t SET v = ? WHERE k = ?", {Param::Text("changed"), Param::Text("k'01234\\")}},
      {"DELETE FROM inj.b WHERE k = ?", {Param::Bytes("'")}},
      {"INSERT INTO inj.b VALUES (?, 2)", {Param::Bytes("\\'")}},
      {"UPDATE inj.b SET v = -1 WHERE v = 700", {}},
  };
  for (const Change& c : changes) {
    absl::StatusOr<mysql::Statement> st = mysql::Statement::Prepare(target, c.sql);
    if (!st.ok()) return st.status();
    if (absl::Status s = st->Execute(c.params); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace dcp::testing

#endif  // DCP_TESTS_HARNESS_QUOTE_ROWS_H_
