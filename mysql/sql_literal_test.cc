#include "mysql/sql_literal.h"

#include <string>

#include "gtest/gtest.h"

namespace dcp::mysql {
namespace {

TEST(SqlLiteral, HexForms) {
  EXPECT_EQ(HexLiteral(""), "X''");
  EXPECT_EQ(HexLiteral(std::string("\x00\xff\x7f", 3)), "X'00ff7f'");
  EXPECT_EQ(BinaryLiteral("ab"), "_binary X'6162'");
  EXPECT_EQ(BinaryLiteral(""), "_binary X''");
  EXPECT_EQ(Utf8mb4Literal("h\xc3\xa9"), "_utf8mb4 X'68c3a9'");
  EXPECT_EQ(StringLiteral("a", true), "_binary X'61'");
  EXPECT_EQ(StringLiteral("a", false), "_utf8mb4 X'61'");
}

TEST(SqlLiteral, NothingOfTheValueReachesTheSqlText) {
  // Whatever the bytes, the literal is the prefix, hex digits and one closing quote.
  std::string every_byte;
  for (int b = 0; b < 256; ++b) every_byte.push_back(static_cast<char>(b));
  const std::string injection = "x'); DROP TABLE inj.victim; -- \\' \" `";
  for (const std::string& v : {every_byte, injection}) {
    for (const std::string& lit : {HexLiteral(v), BinaryLiteral(v), Utf8mb4Literal(v)}) {
      const size_t open = lit.find('\'');
      ASSERT_NE(open, std::string::npos) << lit;
      EXPECT_EQ(lit.back(), '\'');
      const std::string digits = lit.substr(open + 1, lit.size() - open - 2);
      EXPECT_EQ(digits.size(), 2 * v.size());
      EXPECT_EQ(digits.find_first_not_of("0123456789abcdef"), std::string::npos) << lit;
    }
  }
}

}  // namespace
}  // namespace dcp::mysql
