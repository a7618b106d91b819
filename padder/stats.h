// What a padder run did: counts per table and per conflict kind, and where it ended; printed
// as a summary and, in preview mode, written as stats.json. Plain data; thread-compatible.
#ifndef DCP_PADDER_STATS_H_
#define DCP_PADDER_STATS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "padder/checkpoint.h"

namespace dcp::padder {

struct TableCounts {
  uint64_t inserts = 0, updates = 0, deletes = 0;  // row changes in the range
  uint64_t applied = 0, already_applied = 0, conflicts = 0, deletes_skipped = 0;
};

struct Stats {
  uint64_t transactions_applied = 0;
  uint64_t transactions_rolled_back = 0;   // ROLLBACK in the source
  uint64_t transactions_unterminated = 0;  // no commit event before the end of the range
  uint64_t transactions_outside_gtid_range = 0;
  uint64_t write_events = 0;  // row changes of the selected tables
  uint64_t unknown_rows = 0;  // row changes of tables missing on the target
  uint64_t already_applied = 0;
  uint64_t conflicts = 0;
  uint64_t ddl_skipped = 0;
  std::map<std::string, uint64_t> conflicts_by_kind;
  std::map<std::string, TableCounts> tables;  // by target "schema.table"
  std::optional<Checkpoint> checkpoint;       // where the run ended (last commit)

  double ConflictRatio() const;
  double UnknownRatio() const;
  // stats.json: WriteEventCount, ConflictRatio, UnknownRatio (gravity's keys) and the rest.
  std::string ToJson() const;
  // A few human-readable lines.
  std::string Summary() const;
};

}  // namespace dcp::padder

#endif  // DCP_PADDER_STATS_H_
