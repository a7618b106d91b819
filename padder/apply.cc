#include "padder/apply.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "padder/row_image.h"
#include "util/json.h"
#include "util/status_macros.h"
#include "verifier/json.h"

namespace dcp::padder {
namespace {

namespace bl = ::dcp::mysql::binlog;
using mysql::Param;

// Key images are equal when their key columns are.
bool SameKey(const TableInfo& t, const Image& a, const Image& b) {
  if (t.key.empty()) return a == b;
  for (size_t k : t.key) {
    if (a[k] != b[k]) return false;
  }
  return true;
}

// The after image completed by the before image where the after image lacks columns
// (MINIMAL images).
Image Completed(const Change& c) {
  Image row = c.after;
  for (size_t k = 0; k < row.size() && k < c.before.size(); ++k) {
    if (!row[k].has_value()) row[k] = c.before[k];
  }
  return row;
}

std::vector<bool> Presence(const Image& image) {
  std::vector<bool> p(image.size());
  for (size_t k = 0; k < image.size(); ++k) p[k] = image[k].has_value();
  return p;
}

// The target's row as text values, or null.
std::string TargetRowJson(const TableInfo& t, const std::optional<mysql::Row>& row) {
  if (!row.has_value()) return "null";
  std::vector<std::string> parts;
  for (size_t k = 0; k < row->size() && k < t.columns.size(); ++k) {
    parts.push_back(
        absl::StrCat(json::Quote(t.columns[k]), ":", verifier::ValueOrNullJson((*row)[k])));
  }
  return absl::StrCat("{", absl::StrJoin(parts, ","), "}");
}

const char* OpName(bl::RowOp op) {
  return op == bl::RowOp::kInsert ? "insert" : op == bl::RowOp::kUpdate ? "update" : "delete";
}

}  // namespace

absl::Status Applier::ApplyTransaction(const std::vector<Change>& changes) {
  for (size_t i = 0; i < changes.size();) {
    const size_t j = InsertRun(changes, i);
    if (j - i >= 2) {
      ASSIGN_OR_RETURN(const bool applied, ApplyInsertRun(changes, i, j));
      if (applied) {
        i = j;
        continue;
      }
    } else if (const size_t k = KeyedRun(changes, i); k - i >= 2) {
      // A run of updates or deletes of one keyed table: one probe for all, then one
      // statement when every row equals its before image; otherwise row by row.
      ASSIGN_OR_RETURN(const bool applied, ApplyKeyedRun(changes, i, k));
      if (applied) {
        i = k;
        continue;
      }
      for (; i < k; ++i) RETURN_IF_ERROR(Apply(changes[i]));
      continue;
    }
    for (const size_t end = std::max(j, i + 1); i < end; ++i) RETURN_IF_ERROR(Apply(changes[i]));
  }
  return absl::OkStatus();
}

// The end of the run of inserts starting at `i` that can go in one statement: same keyed
// table, same present columns, bounded parameter count and bytes.
size_t Applier::InsertRun(const std::vector<Change>& changes, size_t i) const {
  const Change& first = changes[i];
  if (options_.preview || first.op != bl::RowOp::kInsert || first.table == nullptr ||
      first.table->key.empty()) {
    return i;
  }
  const size_t cols = std::max<size_t>(1, first.after.size());
  const size_t max_rows = std::min<size_t>(1000, 60000 / cols);
  size_t bytes = 0;
  size_t j = i;
  for (; j < changes.size() && j - i < max_rows && bytes < (4u << 20); ++j) {
    const Change& c = changes[j];
    if (c.op != bl::RowOp::kInsert || c.table != first.table ||
        c.after.size() != first.after.size()) {
      break;
    }
    bool same = true;
    for (size_t k = 0; k < c.after.size() && same; ++k) {
      same = c.after[k].has_value() == first.after[k].has_value();
      if (c.after[k].has_value()) bytes += c.after[k]->s.size() + 8;
    }
    if (!same) break;
  }
  return j;
}

// The end of the run of updates (or of deletes, with enable_delete) starting at `i` that can
// be probed in one statement and applied in one: one keyed table, the same present columns in
// every before image and every after image, every key column present, updates keeping their
// key and only on tables without another unique key (see Target::UpdateMany); bounded
// parameter count and bytes. `i` itself when there is none. A key may occur twice (an update
// of a row the run already updated): then CountEqual() finds fewer equal rows than images (one
// target row counts once), and the run goes row by row.
size_t Applier::KeyedRun(const std::vector<Change>& changes, size_t i) const {
  const Change& first = changes[i];
  if (options_.preview || first.op == bl::RowOp::kInsert || first.table == nullptr ||
      first.table->key.empty()) {
    return i;
  }
  const TableInfo& t = *first.table;
  const bool update = first.op == bl::RowOp::kUpdate;
  if (update ? t.other_unique_key : !options_.enable_delete) return i;
  const std::vector<bool> before = Presence(first.before), after = Presence(first.after);
  for (size_t k : t.key) {
    if (k >= before.size() || !before[k]) return i;
  }
  size_t per_row = t.key.size();
  for (bool b : before) per_row += b;
  for (bool a : after) per_row += a;
  const size_t max_rows = std::min<size_t>(500, 30000 / per_row);
  size_t bytes = 0;
  size_t j = i;
  for (; j < changes.size() && j - i < max_rows && bytes < (4u << 20); ++j) {
    const Change& c = changes[j];
    if (c.op != first.op || c.table != first.table || Presence(c.before) != before ||
        Presence(c.after) != after || (update && !SameKey(t, c.before, c.after))) {
      break;
    }
    for (const Image* image : {&c.before, &c.after}) {
      for (const std::optional<Param>& p : *image) {
        if (p.has_value()) bytes += p->s.size() + 8;
      }
    }
  }
  return j;
}

// Inserts changes[i, j) (an InsertRun) with one multi-row INSERT: true. False, with nothing
// inserted, when a key is taken; the caller then applies the run row by row.
absl::StatusOr<bool> Applier::ApplyInsertRun(const std::vector<Change>& changes, size_t i,
                                             size_t j) {
  std::vector<const Image*> rows;
  for (size_t k = i; k < j; ++k) rows.push_back(&changes[k].after);
  const absl::Status s = target_->InsertMany(*changes[i].table, rows);
  if (absl::IsAlreadyExists(s)) return false;
  RETURN_IF_ERROR(s);
  TableCounts& counts = stats_.tables[changes[i].target_name];
  stats_.write_events += j - i;
  counts.inserts += j - i;
  counts.applied += j - i;
  return true;
}

// Applies changes[i, j) (a KeyedRun) when the probe finds every row equal to its before
// image: true. False, with nothing changed, when any row is missing or differs; the caller
// then applies the run row by row, with the conflict checks of Apply().
absl::StatusOr<bool> Applier::ApplyKeyedRun(const std::vector<Change>& changes, size_t i,
                                            size_t j) {
  const TableInfo& t = *changes[i].table;
  std::vector<const Image*> befores, afters;
  for (size_t k = i; k < j; ++k) {
    befores.push_back(&changes[k].before);
    afters.push_back(&changes[k].after);
  }
  ASSIGN_OR_RETURN(uint64_t equal, target_->CountEqual(t, befores));
  if (equal != j - i) return false;
  TableCounts& counts = stats_.tables[changes[i].target_name];
  if (changes[i].op == bl::RowOp::kUpdate) {
    RETURN_IF_ERROR(target_->UpdateMany(t, afters));
    counts.updates += j - i;
  } else {
    ASSIGN_OR_RETURN(uint64_t deleted, target_->DeleteMany(t, befores));
    if (deleted != j - i) {
      return absl::AbortedError(absl::StrCat(
          "deleting ", j - i, " probed rows of ", t.QualifiedName(), " deleted ", deleted,
          " (the target changed concurrently?) at ", changes[i].position.ToString()));
    }
    counts.deletes += j - i;
  }
  stats_.write_events += j - i;
  counts.applied += j - i;
  return true;
}

absl::Status Applier::Apply(const Change& c) {
  ++stats_.write_events;
  TableCounts& counts = stats_.tables[c.target_name];
  switch (c.op) {
    case bl::RowOp::kInsert:
      ++counts.inserts;
      break;
    case bl::RowOp::kUpdate:
      ++counts.updates;
      break;
    case bl::RowOp::kDelete:
      ++counts.deletes;
      break;
  }
  if (c.table == nullptr) {
    ++stats_.unknown_rows;
    if (options_.preview) return absl::OkStatus();
    return absl::NotFoundError(absl::StrCat("table ", c.target_name,
                                            " does not exist on the target (row at ",
                                            c.position.ToString(), ")"));
  }
  switch (c.op) {
    case bl::RowOp::kInsert:
      return ApplyInsert(c, counts);
    case bl::RowOp::kUpdate:
      return ApplyUpdate(c, counts);
    case bl::RowOp::kDelete:
      return ApplyDelete(c, counts);
  }
  return absl::OkStatus();
}

absl::Status Applier::ApplyInsert(const Change& c, TableCounts& counts) {
  const TableInfo& t = *c.table;
  if (!t.key.empty() && !options_.preview) {
    // One round trip in the common case (the key is free); the probe only when not.
    ASSIGN_OR_RETURN(bool inserted, target_->InsertIfAbsent(t, c.after));
    if (inserted) {
      ++counts.applied;
      return absl::OkStatus();
    }
  }
  ASSIGN_OR_RETURN(Match m, target_->Probe(t, c.after, c.after));
  if (m == Match::kMissing && (t.key.empty() || options_.preview)) {
    RETURN_IF_ERROR(target_->Insert(t, c.after, false));
    ++counts.applied;
    return absl::OkStatus();
  }
  if (m == Match::kEqual) return AlreadyApplied(counts);
  return Conflict(c, counts, "insert_exists", c.after,
                  [&] { return target_->Insert(t, c.after, true); });
}

absl::Status Applier::ApplyUpdate(const Change& c, TableCounts& counts) {
  const TableInfo& t = *c.table;
  ASSIGN_OR_RETURN(Match m, target_->Probe(t, c.before, c.before));
  if (m == Match::kEqual) {
    absl::Status s = target_->Update(t, c.before, c.after);
    if (absl::IsAlreadyExists(s)) {
      // The new key, or another unique key's new value, is taken by another target row: the
      // row goes, and REPLACE puts the after image in, removing the rows that hold any of
      // its unique values.
      return Conflict(c, counts, "update_key_exists", c.after, [&]() -> absl::Status {
        RETURN_IF_ERROR(target_->Delete(t, c.before));
        return target_->Insert(t, Completed(c), true);
      });
    }
    RETURN_IF_ERROR(s);
    ++counts.applied;
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(Match done, target_->Probe(t, c.after, c.after));
  if (done == Match::kEqual && (m == Match::kMissing || SameKey(t, c.before, c.after))) {
    return AlreadyApplied(counts);
  }
  const char* kind = m == Match::kMissing ? "update_missing" : "update_differs";
  return Conflict(c, counts, kind, c.before, [&]() -> absl::Status {
    if (m == Match::kDiffers && SameKey(t, c.before, c.after)) {
      return target_->Update(t, c.before, c.after);
    }
    if (m == Match::kDiffers) RETURN_IF_ERROR(target_->Delete(t, c.before));
    return target_->Insert(t, Completed(c), true);
  });
}

absl::Status Applier::ApplyDelete(const Change& c, TableCounts& counts) {
  const TableInfo& t = *c.table;
  if (!options_.enable_delete) {
    ++counts.deletes_skipped;
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(Match m, target_->Probe(t, c.before, c.before));
  if (m == Match::kEqual) {
    RETURN_IF_ERROR(target_->Delete(t, c.before));
    ++counts.applied;
    return absl::OkStatus();
  }
  if (m == Match::kMissing) {
    return Conflict(c, counts, "delete_missing", c.before, [] { return absl::OkStatus(); });
  }
  return Conflict(c, counts, "delete_differs", c.before,
                  [&] { return target_->Delete(t, c.before); });
}

absl::Status Applier::AlreadyApplied(TableCounts& counts) {
  ++counts.already_applied;
  ++stats_.already_applied;
  return absl::OkStatus();
}

template <typename Fix>
absl::Status Applier::Conflict(const Change& c, TableCounts& counts, const std::string& kind,
                               const Image& key_image, Fix fix) {
  ++counts.conflicts;
  ++stats_.conflicts;
  ++stats_.conflicts_by_kind[kind];
  if (!options_.preview) RETURN_IF_ERROR(LogConflict(c, kind, key_image));
  switch (options_.policy) {
    case ConflictPolicy::kSkip:
      return absl::OkStatus();
    case ConflictPolicy::kOverride:
      return fix();
    case ConflictPolicy::kFail:
      if (options_.preview) return absl::OkStatus();
      return absl::AbortedError(absl::StrCat(
          "conflict ", kind, " on ", c.table->QualifiedName(), " key ",
          ImageJson(*c.table, key_image, true), " at ", c.position.ToString(),
          " (policy fail); the checkpoint stays at ",
          committed_.has_value() ? committed_->position.ToString() : "the start position"));
  }
  return absl::OkStatus();
}

// One JSON line: the table, kind, operation, key, both images, the target's row as text (or
// null), the position and the policy.
absl::Status Applier::LogConflict(const Change& c, const std::string& kind,
                                  const Image& key_image) {
  const TableInfo& t = *c.table;
  const absl::StatusOr<std::optional<mysql::Row>> row = target_->Read(t, key_image);
  if (!row.ok()) return row.status();
  const std::string target_json = TargetRowJson(t, *row);
  const std::string line = absl::StrCat(
      "{\"table\":", json::Quote(t.QualifiedName()), ",\"kind\":", json::Quote(kind), ",\"op\":\"",
      OpName(c.op), "\",\"key\":", ImageJson(t, key_image, true),
      ",\"before\":", c.before.empty() ? "null" : ImageJson(t, c.before, false),
      ",\"after\":", c.after.empty() ? "null" : ImageJson(t, c.after, false),
      ",\"target\":", target_json, ",\"position\":", json::Quote(c.position.ToString()),
      ",\"policy\":", json::Quote(ConflictPolicyName(options_.policy)), "}\n");
  if (options_.conflict_log.empty()) return absl::OkStatus();
  if (!conflict_log_.is_open()) {
    conflict_log_.open(options_.conflict_log, std::ios::app);
    if (!conflict_log_) {
      return absl::InternalError(absl::StrCat("cannot open conflict log ", options_.conflict_log));
    }
  }
  conflict_log_ << line;
  conflict_log_.flush();
  if (!conflict_log_) return absl::InternalError("writing the conflict log failed");
  return absl::OkStatus();
}

}  // namespace dcp::padder
