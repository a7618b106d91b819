#include "verifier/chunk_sql.h"

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/verifier/verifier_test_util.h"

namespace dcp::verifier {
namespace {

using ::testing::HasSubstr;

using testing_util::ColumnOf;

TablePlan Plan() {
  TablePlan p;
  p.source_table = "`db`.`t`";
  p.target_table = "`db`.`t`";
  p.key_columns = {"a", "b"};
  p.key_binary = {false, true};
  p.key_index = "PRIMARY";
  p.columns = {{"a", "`a`", false}, {"b", "`b`", true}, {"v", "CAST(`v` AS DOUBLE)", false}};
  return p;
}

TEST(ChunkSql, KeyLiteralsAreHexWhateverTheBytes) {
  TablePlan p = Plan();
  EXPECT_EQ(RangePredicate(p, KeyValue{"it's", std::string("a\0\\", 3)}, std::nullopt),
            "((`a` > _utf8mb4 X'69742773') OR (`a` = _utf8mb4 X'69742773' AND `b` > _binary "
            "X'61005c'))");
}

TEST(ChunkSql, Normalisation) {
  EXPECT_EQ(NormalizedExpr(ColumnOf("i", "int", "int(11)"), ColumnOf("i", "bigint", "bigint(20)")),
            "`i`");
  EXPECT_EQ(NormalizedExpr(ColumnOf("d", "decimal", "decimal(10,2)"),
                           ColumnOf("d", "decimal", "decimal(12,4)")),
            "CAST(`d` AS DECIMAL(65,4))");
  EXPECT_EQ(NormalizedExpr(ColumnOf("d", "decimal", "decimal(10,2)"),
                           ColumnOf("d", "decimal", "decimal(10,2)")),
            "`d`");
  EXPECT_EQ(NormalizedExpr(ColumnOf("f", "float", "float"), ColumnOf("f", "float", "float")),
            "CAST(`f` AS DOUBLE)");
  EXPECT_EQ(NormalizedExpr(ColumnOf("t", "datetime", "datetime"),
                           ColumnOf("t", "datetime", "datetime(3)")),
            "CAST(`t` AS DATETIME(3))");
  EXPECT_EQ(NormalizedExpr(ColumnOf("t", "time", "time(1)"), ColumnOf("t", "time", "time(2)")),
            "CAST(`t` AS TIME(2))");
  EXPECT_EQ(NormalizedExpr(ColumnOf("s", "varchar", "varchar(5)", "utf8mb3"),
                           ColumnOf("s", "varchar", "varchar(5)", "utf8mb4")),
            "CONVERT(`s` USING utf8mb4)");
  EXPECT_EQ(NormalizedExpr(ColumnOf("b", "bit", "bit(8)"), ColumnOf("b", "bit", "bit(8)")),
            "CAST(`b` AS UNSIGNED)");
}

TEST(ChunkSql, CompositeRange) {
  TablePlan p = Plan();
  EXPECT_EQ(RangePredicate(p, std::nullopt, std::nullopt), "1");
  EXPECT_EQ(RangePredicate(p, KeyValue{"1", "x"}, std::nullopt),
            "((`a` > _utf8mb4 X'31') OR (`a` = _utf8mb4 X'31' AND `b` > _binary X'78'))");
  EXPECT_EQ(RangePredicate(p, std::nullopt, KeyValue{"2", "y"}),
            "((`a` < _utf8mb4 X'32') OR (`a` = _utf8mb4 X'32' AND `b` <= _binary X'79'))");
}

TEST(ChunkSql, ChecksumHasNullMarkersAndOneAggregate) {
  TablePlan p = Plan();
  p.where = "a > 0";
  const std::string text =
      "SHA2(CONCAT_WS(CAST(X'FF' AS BINARY), `a`, `b`, CAST(`v` AS DOUBLE), CONCAT(ISNULL(`a`), "
      "ISNULL(`b`), "
      "ISNULL(`v`))), 256)";
  std::string sql = ChecksumSql(p, p.source_table, KeyValue{"1", "x"}, std::nullopt);
  EXPECT_THAT(sql,
              HasSubstr(absl::StrCat("SELECT COUNT(*), BIT_XOR((CRC32(LEFT(@dcp_h := CAST(", text,
                                     " AS BINARY), 32)) << 32) | CRC32(RIGHT(@dcp_h, 32))) "
                                     "FROM")));
  EXPECT_THAT(sql, HasSubstr("FORCE INDEX (`PRIMARY`)"));
  EXPECT_THAT(sql, HasSubstr(") AND (a > 0)"));
  EXPECT_THAT(sql, Not(HasSubstr("CRC32(CONCAT")));  // never a CRC of the row text itself

  p.crc32c = true;
  sql = ChecksumSql(p, p.source_table, KeyValue{"1", "x"}, std::nullopt);
  EXPECT_THAT(sql, HasSubstr(absl::StrCat("SELECT COUNT(*), BIT_XOR((CRC32(@dcp_h := ", text,
                                          ") << 32) | CRC32C(@dcp_h)) FROM")));

  // Full-scan mode: a row may be there twice, so a sum.
  p.key_columns.clear();
  p.key_index.clear();
  sql = ChecksumSql(p, p.source_table, std::nullopt, std::nullopt);
  EXPECT_THAT(sql, HasSubstr(absl::StrCat("SELECT COUNT(*), COALESCE(SUM((CRC32(@dcp_h := ", text,
                                          ") << 32) | CRC32C(@dcp_h)), 0) FROM `db`.`t` WHERE")));
  EXPECT_THAT(sql, Not(HasSubstr("BIT_XOR")));
}

TEST(ChunkSql, SeparatorOnlyInBinaryAndNonUtf8Text) {
  const auto utf8 = ColumnOf("s", "varchar", "varchar(10)", "utf8mb4");
  const auto latin1 = ColumnOf("s", "varchar", "varchar(10)", "latin1");
  const auto blob = ColumnOf("s", "blob", "blob");
  const auto num = ColumnOf("n", "int", "int(11)");
  EXPECT_FALSE(MayContainSeparator(utf8, utf8));
  EXPECT_FALSE(MayContainSeparator(ColumnOf("s", "char", "char(3)", "utf8mb3"), utf8));
  EXPECT_FALSE(MayContainSeparator(ColumnOf("s", "enum", "enum('a')", "ascii"), utf8));
  EXPECT_FALSE(MayContainSeparator(num, num));
  EXPECT_FALSE(
      MayContainSeparator(ColumnOf("d", "datetime", "datetime(3)"), ColumnOf("d", "date", "date")));
  EXPECT_FALSE(MayContainSeparator(ColumnOf("b", "bit", "bit(8)"), blob));  // CAST AS UNSIGNED
  EXPECT_FALSE(MayContainSeparator(latin1, utf8));                          // CONVERT USING utf8mb4
  EXPECT_TRUE(MayContainSeparator(latin1, latin1));
  EXPECT_TRUE(MayContainSeparator(blob, blob));
  EXPECT_TRUE(MayContainSeparator(ColumnOf("s", "varbinary", "varbinary(4)"), utf8));
  EXPECT_TRUE(MayContainSeparator(num, blob));  // a type change: the blob side's text
}

TEST(ChunkSql, DelimitedColumnsAddTheirLengths) {
  TablePlan p = Plan();
  p.columns[1].delimited = true;
  p.columns.push_back({"x", "`x`", true, false, true});
  EXPECT_EQ(RowHashExpr(p),
            "SHA2(CONCAT_WS(CAST(X'FF' AS BINARY), `a`, `b`, CAST(`v` AS DOUBLE), `x`, "
            "LENGTH(`b`), LENGTH(`x`), "
            "CONCAT(ISNULL(`a`), ISNULL(`b`), ISNULL(`v`))), 256)");
}

TEST(ChunkSql, NullMarkersOnlyForNullableColumns) {
  TablePlan p = Plan();
  p.columns[0].nullable = false;
  p.columns[1].nullable = false;
  EXPECT_EQ(RowHashExpr(p),
            "SHA2(CONCAT_WS(CAST(X'FF' AS BINARY), `a`, `b`, CAST(`v` AS DOUBLE), "
            "CONCAT(ISNULL(`v`))), 256)");
  p.columns[2].nullable = false;
  EXPECT_EQ(RowHashExpr(p),
            "SHA2(CONCAT_WS(CAST(X'FF' AS BINARY), `a`, `b`, CAST(`v` AS DOUBLE)), 256)");
}

TEST(ChunkSql, BoundaryAndFetch) {
  TablePlan p = Plan();
  EXPECT_EQ(BoundarySql(p, p.source_table, std::nullopt, std::nullopt, 999),
            "SELECT `a`, `b` FROM `db`.`t` FORCE INDEX (`PRIMARY`) WHERE 1 ORDER BY `a`, `b` "
            "LIMIT 1 OFFSET 999");
  EXPECT_THAT(FetchRowsSql(p, p.target_table, std::nullopt, std::nullopt, {"HEX(`b`)"}),
              HasSubstr("SELECT `a`, `b`, CAST(`v` AS DOUBLE), HEX(`b`) FROM"));
  EXPECT_THAT(FetchKeysSql(p, p.target_table, {{"1", "x"}, {"2", "y"}}, {}),
              HasSubstr("WHERE (`a` = _utf8mb4 X'31' AND `b` = _binary X'78') OR (`a` = "
                        "_utf8mb4 X'32' AND `b` = _binary X'79') ORDER BY"));
}

}  // namespace
}  // namespace dcp::verifier
