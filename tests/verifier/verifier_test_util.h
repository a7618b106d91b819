// Helpers shared by the verifier's real-server tests.
#ifndef DCP_TESTS_VERIFIER_VERIFIER_TEST_UTIL_H_
#define DCP_TESTS_VERIFIER_VERIFIER_TEST_UTIL_H_

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "mysql/schema.h"
#include "verifier/data_compare.h"

namespace dcp::verifier::testing_util {

// A table's differences as sorted lines "kind k1|k2[ col,col]" (the differing columns of
// rows that differ).
inline std::set<std::string> Describe(const TableResult& t) {
  std::set<std::string> out;
  for (const RowDifference& d : t.differences) {
    std::vector<std::string> cols;
    for (const ColumnDifference& c : d.columns) cols.push_back(c.column);
    out.insert(absl::StrCat(RowDifference::KindName(d.kind), " ", absl::StrJoin(d.key, "|"),
                            cols.empty() ? "" : absl::StrCat(" ", absl::StrJoin(cols, ","))));
  }
  return out;
}

// The result of `table` (source name, or target name for a table on the target only).
inline const TableResult* FindTable(const DataReport& r, const std::string& table) {
  for (const TableResult& t : r.tables) {
    if (t.source_table == table || (t.source_table.empty() && t.target_table == table)) return &t;
  }
  return nullptr;
}

// A column description as information_schema would give it.
inline mysql::ColumnSchema ColumnOf(const std::string& name, const std::string& data_type,
                                    const std::string& column_type,
                                    std::optional<std::string> charset = std::nullopt) {
  mysql::ColumnSchema c;
  c.name = name;
  c.data_type = data_type;
  c.column_type = column_type;
  c.charset = std::move(charset);
  return c;
}

}  // namespace dcp::verifier::testing_util

#endif  // DCP_TESTS_VERIFIER_VERIFIER_TEST_UTIL_H_
