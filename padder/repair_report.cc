#include "padder/repair_report.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "nlohmann/json.hpp"
#include "util/status_macros.h"
#include "verifier/json.h"

namespace dcp::padder {
namespace {

using Json = nlohmann::json;
using Tables = std::map<std::string, RepairTable>;  // by source (and target) name

// The member `name` of `object`, or nullptr (also when `object` is not an object).
const Json* Member(const Json& object, const char* name) {
  if (!object.is_object()) return nullptr;
  const auto it = object.find(name);
  return it == object.end() ? nullptr : &*it;
}

// The member `name` when it is a string, else "".
std::string StringMember(const Json& object, const char* name) {
  const Json* m = Member(object, name);
  return m != nullptr && m->is_string() ? m->get<std::string>() : std::string();
}

absl::StatusOr<std::vector<std::string>> KeyColumns(const Json& table, const std::string& name) {
  std::vector<std::string> columns;
  if (const Json* kc = Member(table, "key_columns"); kc != nullptr && kc->is_array()) {
    for (const Json& c : *kc) {
      if (!c.is_string()) {
        return absl::InvalidArgumentError(
            absl::StrCat("table ", name, ": key_columns holds something else than names"));
      }
      columns.push_back(c.get<std::string>());
    }
  }
  if (columns.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "table ", name, " has no key columns in the report: its rows cannot be repaired by key"));
  }
  return columns;
}

// One difference's key values, in `columns` order.
absl::StatusOr<std::vector<std::string>> KeyValues(const Json& key,
                                                   const std::vector<std::string>& columns,
                                                   const std::string& table) {
  std::vector<std::string> values;
  for (const std::string& col : columns) {
    const Json* v = Member(key, col.c_str());
    if (v == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("table ", table, ": a difference lacks key column ", col));
    }
    absl::StatusOr<std::string> value = verifier::ValueFromJson(*v);
    if (!value.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("table ", table, ", key column ", col, ": ", value.status().message()));
    }
    values.push_back(*std::move(value));
  }
  return values;
}

absl::Status AddVerifierTable(const Json& t, Tables& out) {
  const Json* diffs = Member(t, "differences");
  if (diffs == nullptr || !diffs->is_array() || diffs->empty()) return absl::OkStatus();
  const std::string src = StringMember(t, "source_table");
  const std::string dst = StringMember(t, "target_table");
  if (src.empty() || dst.empty()) return absl::OkStatus();
  RepairTable& r = out[src + "\n" + dst];
  r.source_table = src;
  r.target_table = dst;
  ASSIGN_OR_RETURN(r.key_columns, KeyColumns(t, src));
  for (const Json& d : *diffs) {
    const Json* key = Member(d, "key");
    if (key == nullptr) continue;
    ASSIGN_OR_RETURN(std::vector<std::string> values, KeyValues(*key, r.key_columns, src));
    r.keys.push_back(std::move(values));
  }
  return absl::OkStatus();
}

// "a,\"b,c\",3" -> {a, "b,c", 3}: bare tokens or JSON strings separated by commas.
std::vector<std::string> SplitAlarmKey(absl::string_view s) {
  std::vector<std::string> parts;
  std::string cur;
  bool quoted = false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (quoted) {
      if (c == '\\' && i + 1 < s.size()) {
        cur.push_back(s[++i]);
      } else if (c == '"') {
        quoted = false;
      } else {
        cur.push_back(c);
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      parts.push_back(std::move(cur));
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  parts.push_back(std::move(cur));
  return parts;
}

absl::Status AddAlarm(const Json& doc, Tables& out) {
  if (StringMember(doc, "kind") != "diff") return absl::OkStatus();
  const Json* keys = Member(doc, "keys");
  if (keys == nullptr || !keys->is_array()) return absl::OkStatus();
  for (const Json& k : *keys) {
    const std::string table = StringMember(k, "table");
    const std::string key = StringMember(k, "key");
    if (table.empty() || key.empty()) continue;
    const std::string prefix = table + ":";
    if (key.compare(0, prefix.size(), prefix) != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("alarm key '", key, "' does not start with its table"));
    }
    RepairTable& r = out[table];
    r.source_table = table;
    r.keys.push_back(SplitAlarmKey(absl::string_view(key).substr(prefix.size())));
  }
  return absl::OkStatus();
}

absl::Status AddDocument(const Json& doc, Tables& out) {
  if (!doc.is_object()) return absl::InvalidArgumentError("the report is not a JSON object");
  if (const Json* t = Member(doc, "tables"); t != nullptr && t->is_array()) {
    for (const Json& table : *t) RETURN_IF_ERROR(AddVerifierTable(table, out));
    return absl::OkStatus();
  }
  if (Member(doc, "keys") != nullptr || Member(doc, "kind") != nullptr) return AddAlarm(doc, out);
  return absl::InvalidArgumentError(
      "neither a verifier report (tables[]) nor a dcp alarm document (kind, keys[])");
}

// JSON lines of alarm documents. When the first line is no JSON either, the text is neither
// one document nor JSON lines: `whole` (the error of reading it as one document) says more.
absl::Status AddJsonLines(absl::string_view text, const absl::Status& whole, Tables& out) {
  int line_number = 0;
  bool first = true;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    if (line.find_first_not_of(" \t\r") == absl::string_view::npos) continue;
    absl::StatusOr<Json> doc = verifier::ParseJson(line, line_number);
    if (!doc.ok()) return first ? whole : doc.status();
    first = false;
    RETURN_IF_ERROR(AddDocument(*doc, out));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<RepairTable>> ParseRepairReport(absl::string_view text) {
  Tables tables;
  absl::StatusOr<Json> whole = verifier::ParseJson(text);
  if (whole.ok()) {
    RETURN_IF_ERROR(AddDocument(*whole, tables));
  } else {
    RETURN_IF_ERROR(AddJsonLines(text, whole.status(), tables));
  }
  std::vector<RepairTable> out;
  for (auto& [name, t] : tables) {
    if (!t.keys.empty()) out.push_back(std::move(t));
  }
  return out;
}

}  // namespace dcp::padder
