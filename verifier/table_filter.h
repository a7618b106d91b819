// TableFilter: which tables a verifier run compares and what each source table is called on
// the target.
//
// Globs (fnmatch syntax: *, ?, [...]) match "schema.table"; a glob without a dot matches the
// table name in any schema. A table is selected when it matches one of the --tables globs (all
// tables when there are none) and none of the --exclude globs.
//
// Maps ("src_schema.table_glob=dst_schema.dst_table") rename source tables on the target:
// "*" as the target table keeps the source table's name, so "shop.*=shop_copy.*" maps every
// table of schema shop to the same-named table of shop_copy, and "shop.orders=shop.orders_v2"
// one table. A bare "shop=shop_copy" is short for "shop.*=shop_copy.*". The first matching map
// wins; an unmapped table keeps its name.
//
// A value type; immutable after Create(); thread-safe for concurrent reads.
#ifndef DCP_VERIFIER_TABLE_FILTER_H_
#define DCP_VERIFIER_TABLE_FILTER_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "mysql/schema.h"

namespace dcp::verifier {

class TableFilter {
 public:
  // kInvalidArgument for a malformed map.
  static absl::StatusOr<TableFilter> Create(std::vector<std::string> tables,
                                            std::vector<std::string> exclude,
                                            const std::vector<std::string>& maps);

  // Whether the source table `name` is compared.
  bool Selected(const mysql::TableName& name) const;
  // The target name of source table `name`.
  mysql::TableName Map(const mysql::TableName& name) const;
  // The source name a target table corresponds to (the inverse of Map()), or std::nullopt
  // when no source name maps to it.
  std::optional<mysql::TableName> Unmap(const mysql::TableName& target) const;

 private:
  struct Rule {
    std::string source_schema;  // exact
    std::string source_table;   // glob
    std::string target_schema;
    std::string target_table;  // "*": same as source
  };
  std::vector<std::string> tables_;
  std::vector<std::string> exclude_;
  std::vector<Rule> rules_;
};

// fnmatch()-style glob match of `name` ("schema.table") against `glob` as described above.
bool GlobMatches(const std::string& glob, const mysql::TableName& name);

}  // namespace dcp::verifier

#endif  // DCP_VERIFIER_TABLE_FILTER_H_
