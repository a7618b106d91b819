#include "padder/stats.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "util/json.h"

namespace dcp::padder {

double Stats::ConflictRatio() const {
  return write_events == 0 ? 0.0 : static_cast<double>(conflicts) / write_events;
}
double Stats::UnknownRatio() const {
  return write_events == 0 ? 0.0 : static_cast<double>(unknown_rows) / write_events;
}

std::string Stats::ToJson() const {
  std::string out = absl::StrFormat(
      "{\n  \"WriteEventCount\": %d,\n  \"ConflictRatio\": %.6f,\n  \"UnknownRatio\": %.6f,\n",
      write_events, ConflictRatio(), UnknownRatio());
  absl::StrAppend(&out, "  \"Transactions\": ", transactions_applied,
                  ",\n  \"RolledBackTransactions\": ", transactions_rolled_back,
                  ",\n  \"UnterminatedTransactions\": ", transactions_unterminated,
                  ",\n  \"AlreadyApplied\": ", already_applied, ",\n  \"Conflicts\": ", conflicts,
                  ",\n  \"UnknownRows\": ", unknown_rows, ",\n  \"ConflictsByKind\": {");
  bool first = true;
  for (const auto& [kind, n] : conflicts_by_kind) {
    absl::StrAppend(&out, first ? "" : ", ", json::Quote(kind), ": ", n);
    first = false;
  }
  absl::StrAppend(&out, "},\n  \"Tables\": {");
  first = true;
  for (const auto& [name, c] : tables) {
    absl::StrAppend(&out, first ? "\n" : ",\n", "    ", json::Quote(name),
                    ": {\"inserts\": ", c.inserts, ", \"updates\": ", c.updates,
                    ", \"deletes\": ", c.deletes, ", \"applied\": ", c.applied,
                    ", \"already_applied\": ", c.already_applied, ", \"conflicts\": ", c.conflicts,
                    ", \"deletes_skipped\": ", c.deletes_skipped, "}");
    first = false;
  }
  absl::StrAppend(&out, first ? "}\n}\n" : "\n  }\n}\n");
  return out;
}

std::string Stats::Summary() const {
  std::string out =
      absl::StrCat("transactions applied: ", transactions_applied,
                   " (rolled back in the source: ", transactions_rolled_back,
                   ", unterminated: ", transactions_unterminated,
                   ", outside the GTID range: ", transactions_outside_gtid_range, ")\n",
                   "row changes: ", write_events, ", already applied: ", already_applied,
                   ", conflicts: ", conflicts, ", rows of unknown tables: ", unknown_rows, "\n");
  for (const auto& [kind, n] : conflicts_by_kind) absl::StrAppend(&out, "  ", kind, ": ", n, "\n");
  for (const auto& [name, c] : tables) {
    absl::StrAppend(&out, "  ", name, ": ", c.inserts, " inserts, ", c.updates, " updates, ",
                    c.deletes, " deletes; applied ", c.applied, ", already applied ",
                    c.already_applied, ", conflicts ", c.conflicts, ", deletes skipped ",
                    c.deletes_skipped, "\n");
  }
  if (checkpoint.has_value()) {
    absl::StrAppend(&out, "position: ", checkpoint->position.ToString());
    if (!checkpoint->gtid.empty()) absl::StrAppend(&out, " gtid ", checkpoint->gtid);
    absl::StrAppend(&out, "\n");
  }
  return out;
}

}  // namespace dcp::padder
