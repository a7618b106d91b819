// A table of every MariaDB column type and rows of extreme values, for tests that decode or
// replay what the server wrote (binlog decoding, padder replay): NULLs; minimums and
// negatives; maximums; zeros, zero dates and empty strings; 4-byte UTF-8, binary bytes with
// quotes and backslashes, big blobs. The table is `w.all_types` keyed by `id`; the rows go in
// with one multi-row INSERT after a single-row one (id 1, NULLs), then are updated. From the
// binlog decoder's live test (tests/integration/binlog_live_test.cc), which can use it too.
// Header-only.
#ifndef DCP_TESTS_HARNESS_EVERY_TYPE_ROWS_H_
#define DCP_TESTS_HARNESS_EVERY_TYPE_ROWS_H_

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace dcp::testing {

struct TypedColumn {
  std::string name;
  std::string sql_type;
};

// The columns of w.all_types, in order.
inline const std::vector<TypedColumn>& EveryTypeColumns() {
  static const auto* cols = new std::vector<TypedColumn>{
      {"id", "INT NOT NULL"},
      {"ti", "TINYINT"},
      {"tiu", "TINYINT UNSIGNED"},
      {"si", "SMALLINT"},
      {"siu", "SMALLINT UNSIGNED"},
      {"mi", "MEDIUMINT"},
      {"miu", "MEDIUMINT UNSIGNED"},
      {"i", "INT"},
      {"iu", "INT UNSIGNED"},
      {"bi", "BIGINT"},
      {"biu", "BIGINT UNSIGNED"},
      {"f", "FLOAT"},
      {"d", "DOUBLE"},
      {"dec1", "DECIMAL(10,2)"},
      {"dec2", "DECIMAL(65,30)"},
      {"dec3", "DECIMAL(5,0)"},
      {"dec4", "DECIMAL(19,9) UNSIGNED"},
      {"dt", "DATE"},
      {"tm", "TIME"},
      {"tm1", "TIME(1)"},
      {"tm3", "TIME(3)"},
      {"tm6", "TIME(6)"},
      {"dtt", "DATETIME"},
      {"dtt2", "DATETIME(2)"},
      {"dtt6", "DATETIME(6)"},
      {"ts", "TIMESTAMP NULL DEFAULT NULL"},
      {"ts4", "TIMESTAMP(4) NULL DEFAULT NULL"},
      {"yr", "YEAR"},
      {"c", "CHAR(10)"},
      {"c255", "CHAR(255)"},
      {"vc", "VARCHAR(100)"},
      {"vcl", "VARCHAR(2000)"},
      {"bn", "BINARY(8)"},
      {"vb", "VARBINARY(300)"},
      {"tb", "TINYBLOB"},
      {"b", "BLOB"},
      {"mb", "MEDIUMBLOB"},
      {"lb", "LONGBLOB"},
      {"tt", "TINYTEXT"},
      {"t", "TEXT"},
      {"mt", "MEDIUMTEXT"},
      {"lt", "LONGTEXT"},
      {"e", "ENUM('a','b','ç','')"},
      {"s", "SET('x','y','z','w')"},
      {"bit1", "BIT(1)"},
      {"bit9", "BIT(9)"},
      {"bit64", "BIT(64)"},
      {"g", "GEOMETRY"},
      {"pt", "POINT"},
      {"j", "JSON"},
      {"i6", "INET6"},
      {"u", "UUID"},
      {"latin", "VARCHAR(20) CHARACTER SET latin1"},
  };
  return *cols;
}

// CREATE TABLE w.all_types (...) with `id` as the primary key.
inline std::string EveryTypeCreateTable() {
  std::vector<std::string> defs;
  for (const TypedColumn& c : EveryTypeColumns()) {
    defs.push_back(absl::StrCat("`", c.name, "` ", c.sql_type));
  }
  return absl::StrCat("CREATE TABLE w.all_types (", absl::StrJoin(defs, ", "),
                      ", PRIMARY KEY (id)) ENGINE=InnoDB");
}

// The two INSERTs of rows 1 to 5 (in that order; written for sql_mode='', with backslash
// escapes and zero dates).
inline std::vector<std::string> EveryTypeInserts() {
  return {
      "INSERT INTO w.all_types (id) VALUES (1)",
      "INSERT INTO w.all_types VALUES "
      "(2, -128, 0, -32768, 0, -8388608, 0, -2147483648, 0, -9223372036854775808, 0,"
      " -3.40282e38, -1.7976931348623157e308, -99999999.99,"
      " -99999999999999999999999999999999999.999999999999999999999999999999, -99999, 0,"
      " '1000-01-01', '-838:59:59', '-00:00:00.1', '-12:34:56.789', '-00:00:01.000001',"
      " '1000-01-01 00:00:00', '1000-01-01 00:00:00.01', '1000-01-01 00:00:00.000001',"
      " '1970-01-01 00:00:01', '1970-01-01 00:00:01.0001', 1901, 'a', 'b', 'c', 'd',"
      " x'00', x'', x'00', x'01', x'02', x'03', 'x', 'y', 'z', 'w', 'a', 'x', 0, 0, 0,"
      " ST_GeomFromText('POINT(-1 -2)'), ST_GeomFromText('POINT(0 0)'), '[]', '::', "
      " '00000000-0000-0000-0000-000000000000', 'abc'),"
      "(3, 127, 255, 32767, 65535, 8388607, 16777215, 2147483647, 4294967295,"
      " 9223372036854775807, 18446744073709551615, 3.40282e38, 1.7976931348623157e308,"
      " 99999999.99, 99999999999999999999999999999999999.999999999999999999999999999999,"
      " 99999, 9999999999.999999999, '9999-12-31', '838:59:59', '838:59:59.9',"
      " '838:59:59.999', '838:59:59.999999', '9999-12-31 23:59:59', '9999-12-31 23:59:59.99',"
      " '9999-12-31 23:59:59.999999', '2038-01-19 03:14:07', '2038-01-19 03:14:07.9999', 2155,"
      " REPEAT('z', 10), REPEAT('€', 255), REPEAT('y', 100), REPEAT('ß', 2000),"
      " x'ffffffffffffffff', REPEAT(x'ff', 300), REPEAT(x'ee', 255), REPEAT(x'dd', 65535),"
      " REPEAT(x'cc', 70000), REPEAT(x'bb', 3000000), REPEAT('t', 255), REPEAT('u', 20000),"
      " REPEAT('v', 70000), REPEAT('w', 2000000), 'ç', 'x,y,z,w', 1, 511, 18446744073709551615,"
      " ST_GeomFromText('POLYGON((0 0,10 0,10 10,0 10,0 0))'), ST_GeomFromText('POINT(1e300 "
      "-1e-300)'),"
      " '{\"a\": [1, 2.5, \"x\", null, true], \"b\": {\"c\": -1}}',"
      " 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'ffffffff-ffff-ffff-ffff-ffffffffffff',"
      " 'ÿÿÿ'),"
      "(4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, '0000-00-00', '00:00:00',"
      " '00:00:00', '00:00:00', '00:00:00', '0000-00-00 00:00:00', '0000-00-00 00:00:00',"
      " '0000-00-00 00:00:00', '0000-00-00 00:00:00', '0000-00-00 00:00:00', 0, '', '', '', '',"
      " '', '', '', '', '', '', '', '', '', '', '', '', 0, 0, 0, NULL, NULL, '{}', '::1',"
      " '123e4567-e89b-12d3-a456-426614174000', ''),"
      "(5, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, 1.5, -0.1, -0.25, "
      "-0.000000000000000000000000000001,"
      " -1, 0.000000001, '2024-02-29', '-00:00:00.5', '-00:00:00.5', '-00:00:00.5',"
      " '-00:00:00.500001', '2024-02-29 12:34:56', '2024-02-29 12:34:56.78',"
      " '2024-02-29 12:34:56.123456', '2024-02-29 12:34:56', '2024-02-29 12:34:56.5678', 2000,"
      " '😀 a', 'Ω😀', 'κόσμε 😀', '日本語 😀', x'00ff0a0d', x'000102030405',"
      " x'5c27220a', x'00', x'ff', x'80', '😀', '\\\\ \\\" \\n \\t', 'x', 'y', 'b', 'y,w', 1, 256,"
      " 9223372036854775808, ST_GeomFromText('LINESTRING(0 0,1 1)'), NULL,"
      " '\"str\\\\u00e9\"', 'fe80::1', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', x'e9e8')"};
}

// Updates of those rows: one row to NULLs, NULLs to values, a multi-row update, a key change
// (id 2 becomes 6).
inline std::vector<std::string> EveryTypeUpdates() {
  return {
      "UPDATE w.all_types SET ti=ti+1, d=d/3, vc=CONCAT(vc,'!'), dtt6='2001-02-03 04:05:06.7' "
      "WHERE id IN (4, 5)",
      "UPDATE w.all_types SET i=NULL, lb=NULL, j=NULL WHERE id=3",
      "UPDATE w.all_types SET i=42, lb=REPEAT(x'01', 100000), s='x' WHERE id=1",
      "UPDATE w.all_types SET id=6 WHERE id=2",
  };
}

}  // namespace dcp::testing

#endif  // DCP_TESTS_HARNESS_EVERY_TYPE_ROWS_H_
