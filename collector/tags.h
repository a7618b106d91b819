// Tag rules: which tables a collector's tags cover, and how their rows are keyed and compared.
//
// A tag is a name plus `schema.table` globs, with optional rename rules (target table glob ->
// source table glob, so rows of `shop_v2.orders` on a target are compared as `shop.orders`),
// ignored columns (`schema.table.column` globs) and key-column overrides for tables without
// a primary key. A table may belong to several tags.
//
// TagMatcher is immutable after construction and thread-safe.
#ifndef DCP_COLLECTOR_TAGS_H_
#define DCP_COLLECTOR_TAGS_H_

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace dcp::collector {

struct TagRule {
  std::string name;
  std::vector<std::string> tables;                              // schema.table globs
  std::vector<std::pair<std::string, std::string>> rename;      // target glob -> source glob
  std::vector<std::string> ignore_columns;                      // schema.table.column globs
  std::map<std::string, std::vector<std::string>> key_columns;  // schema.table -> columns
};

class TagMatcher {
 public:
  explicit TagMatcher(std::vector<TagRule> rules) : rules_(std::move(rules)) {}

  // The rules whose table globs match `schema`.`table`, in configuration order.
  std::vector<const TagRule*> Match(absl::string_view schema, absl::string_view table) const;

  // The name ("schema.table") rows of this table are compared under for `rule`: the first
  // matching rename rule applied, else the table's own name.
  static std::string ComparedName(const TagRule& rule, absl::string_view schema,
                                  absl::string_view table);

  // Whether `column` of the table is left out of the comparison under `rule`
  // (case-insensitive on the column name, like MySQL).
  static bool IgnoresColumn(const TagRule& rule, absl::string_view schema,
                            absl::string_view table, absl::string_view column);

  // The configured key columns for the table, if any.
  static std::optional<std::vector<std::string>> KeyColumns(const TagRule& rule,
                                                            absl::string_view schema,
                                                            absl::string_view table);

  // The rules' table globs that match none of `tables` ("schema.table"), as
  // "tag: glob" strings: a configuration mistake worth a warning.
  std::vector<std::string> UnmatchedGlobs(const std::vector<std::string>& tables) const;

  const std::vector<TagRule>& rules() const { return rules_; }

 private:
  std::vector<TagRule> rules_;
};

}  // namespace dcp::collector

#endif  // DCP_COLLECTOR_TAGS_H_
