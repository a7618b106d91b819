// Schema comparison: the differences between a source table's schema and its target's.
//
// Every difference belongs to one class, the unit of --ignore:
//   table            a table present on one side only
//   column           a column present on one side only
//   column_order     a column at a different position (ignored unless asked for)
//   type             column type text (length, precision, unsigned, enum values...)
//   nullability      NULL / NOT NULL
//   default          column default
//   charset          column character set
//   collation        column collation (when the character sets are equal; a different
//                    character set implies a different collation and is reported as charset)
//   generated        generation expression / virtual vs stored
//   auto_increment   the column attribute and the table's next AUTO_INCREMENT value
//   extra            other column attributes (ON UPDATE ...)
//   comment          table and column comments
//   primary_key      primary key columns, order, prefixes
//   index            unique and secondary indexes (missing, columns, order, prefix, kind)
//   foreign_key      foreign keys (missing, columns, referenced table/columns, actions)
//   engine           storage engine
//   table_charset    the table's default character set
//   table_collation  the table's default collation (when the default charsets are equal)
//   row_format       ROW_FORMAT
//   create_options   other CREATE TABLE options (KEY_BLOCK_SIZE, PAGE_COMPRESSED, ...)
//
// Pure functions over mysql::TableSchema values; thread-safe.
#ifndef DCP_VERIFIER_SCHEMA_DIFF_H_
#define DCP_VERIFIER_SCHEMA_DIFF_H_

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mysql/schema.h"

namespace dcp::verifier {

// All difference classes, in the order above.
const std::vector<std::string>& SchemaDifferenceClasses();

// Parses "--ignore a,b,c" values (repeatable); kInvalidArgument names an unknown class.
absl::StatusOr<std::set<std::string>> ParseIgnoreClasses(const std::vector<std::string>& values);

struct SchemaDifference {
  std::string diff_class;    // one of SchemaDifferenceClasses()
  std::string source_table;  // "schema.table"
  std::string target_table;
  std::string object;  // "table", "column price", "index k_name", "foreign key fk", "option engine"
  // Each side's value; std::nullopt when the object is absent on that side.
  std::optional<std::string> source_value;
  std::optional<std::string> target_value;

  // One line: "shop.orders: column price: type: source decimal(10,2), target decimal(12,2)".
  std::string ToString() const;
  friend bool operator==(const SchemaDifference& a, const SchemaDifference& b);
};

// The differences between `source` and `target` (a table and its mapped counterpart), minus
// the classes in `ignore`.
std::vector<SchemaDifference> CompareTableSchemas(const mysql::TableSchema& source,
                                                  const mysql::TableSchema& target,
                                                  const std::set<std::string>& ignore);

}  // namespace dcp::verifier

#endif  // DCP_VERIFIER_SCHEMA_DIFF_H_
