#include "padder/repair.h"

#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "mysql/connection.h"
#include "mysql/schema.h"
#include "mysql/statement.h"
#include "padder/json_value.h"
#include "util/status_macros.h"

namespace dcp::padder {
namespace {

using mysql::Param;
using mysql::QuoteIdentifier;

// A report value: a string, a number, or {"hex": "..."} for bytes.
absl::StatusOr<std::string> KeyText(const JsonValue& v) {
  if (v.type == JsonValue::Type::kString || v.type == JsonValue::Type::kNumber) return v.text;
  if (v.type == JsonValue::Type::kObject) {
    if (const JsonValue* hex = v.Find("hex"); hex != nullptr) {
      const std::string& h = hex->text;
      if (h.size() % 2 != 0 || h.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
        return absl::InvalidArgumentError(absl::StrCat("bad hex key value '", h, "'"));
      }
      return absl::HexStringToBytes(h);
    }
  }
  return absl::InvalidArgumentError("a key value is neither a string, a number nor {\"hex\":...}");
}

absl::Status AddVerifierReport(const JsonValue& doc, std::map<std::string, RepairTable>& out) {
  for (const JsonValue& t : doc.Find("tables")->array) {
    const JsonValue* diffs = t.Find("differences");
    if (diffs == nullptr || diffs->array.empty()) continue;
    const JsonValue* src = t.Find("source_table");
    const JsonValue* dst = t.Find("target_table");
    if (src == nullptr || dst == nullptr || src->text.empty() || dst->text.empty()) continue;
    RepairTable& r = out[src->text + "\n" + dst->text];
    r.source_table = src->text;
    r.target_table = dst->text;
    r.key_columns.clear();
    if (const JsonValue* kc = t.Find("key_columns")) {
      for (const JsonValue& c : kc->array) r.key_columns.push_back(c.text);
    }
    if (r.key_columns.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("table ", src->text,
                                                     " has no key columns in the report: its rows "
                                                     "cannot be repaired by key"));
    }
    for (const JsonValue& d : diffs->array) {
      const JsonValue* key = d.Find("key");
      if (key == nullptr) continue;
      std::vector<std::string> values;
      for (const std::string& col : r.key_columns) {
        const JsonValue* v = key->Find(col);
        if (v == nullptr) {
          return absl::InvalidArgumentError(
              absl::StrCat("table ", src->text, ": a difference lacks key column ", col));
        }
        ASSIGN_OR_RETURN(std::string text, KeyText(*v));
        values.push_back(std::move(text));
      }
      r.keys.push_back(std::move(values));
    }
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

absl::Status AddAlarm(const JsonValue& doc, std::map<std::string, RepairTable>& out) {
  const JsonValue* kind = doc.Find("kind");
  if (kind == nullptr || kind->text != "diff") return absl::OkStatus();
  const JsonValue* keys = doc.Find("keys");
  if (keys == nullptr) return absl::OkStatus();
  for (const JsonValue& k : keys->array) {
    const JsonValue* table = k.Find("table");
    const JsonValue* key = k.Find("key");
    if (table == nullptr || key == nullptr) continue;
    const std::string prefix = table->text + ":";
    if (key->text.compare(0, prefix.size(), prefix) != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("alarm key '", key->text, "' does not start with its table"));
    }
    RepairTable& r = out[table->text];
    r.source_table = table->text;
    r.keys.push_back(SplitAlarmKey(absl::string_view(key->text).substr(prefix.size())));
  }
  return absl::OkStatus();
}

absl::Status AddDocument(const JsonValue& doc, std::map<std::string, RepairTable>& out) {
  if (doc.type != JsonValue::Type::kObject) {
    return absl::InvalidArgumentError("the report is not a JSON object");
  }
  if (const JsonValue* t = doc.Find("tables"); t != nullptr && t->type == JsonValue::Type::kArray) {
    return AddVerifierReport(doc, out);
  }
  if (doc.Find("keys") != nullptr || doc.Find("kind") != nullptr) return AddAlarm(doc, out);
  return absl::InvalidArgumentError(
      "neither a verifier report (tables[]) nor a dcp alarm document (kind, keys[])");
}

std::pair<std::string, std::string> SplitName(const std::string& qualified) {
  const size_t dot = qualified.find('.');
  if (dot == std::string::npos) return {"", qualified};
  return {qualified.substr(0, dot), qualified.substr(dot + 1)};
}

std::string Literal(const mysql::Connection& conn, const Param& p) {
  switch (p.kind) {
    case Param::Kind::kNull:
      return "NULL";
    case Param::Kind::kBytes:
      return p.s.empty() ? "''" : absl::StrCat("X'", absl::BytesToHexString(p.s), "'");
    default:
      return conn.Quote(p.s);
  }
}

}  // namespace

absl::StatusOr<std::vector<RepairTable>> ParseRepairReport(absl::string_view text) {
  std::map<std::string, RepairTable> tables;
  absl::StatusOr<JsonValue> whole = JsonValue::Parse(text);
  if (whole.ok()) {
    RETURN_IF_ERROR(AddDocument(*whole, tables));
  } else {
    // JSON lines of alarm documents.
    for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipWhitespace())) {
      ASSIGN_OR_RETURN(JsonValue doc, JsonValue::Parse(line));
      RETURN_IF_ERROR(AddDocument(doc, tables));
    }
  }
  std::vector<RepairTable> out;
  for (auto& [name, t] : tables) {
    if (!t.keys.empty()) out.push_back(std::move(t));
  }
  return out;
}

absl::Status RunRepair(const RepairOptions& options, std::ostream& out) {
  std::ifstream in(options.report_file);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", options.report_file));
  std::stringstream ss;
  ss << in.rdbuf();
  ASSIGN_OR_RETURN(std::vector<RepairTable> tables, ParseRepairReport(ss.str()));
  ASSIGN_OR_RETURN(mysql::Connection source, mysql::Connection::Open(options.source));
  std::optional<mysql::Connection> target;
  if (!options.dry_run) {
    ASSIGN_OR_RETURN(target, mysql::Connection::Open(options.target));
    RETURN_IF_ERROR(target->Execute("SET SESSION sql_mode = ''"));
    RETURN_IF_ERROR(target->Execute("SET SESSION foreign_key_checks = 0"));
  } else {
    out << "SET NAMES utf8mb4;\nSET time_zone = '+00:00';\nSET sql_mode = '';\n";
  }
  const size_t batch = static_cast<size_t>(std::max(1, options.batch_size));
  for (RepairTable& t : tables) {
    const auto [sdb, stable] = SplitName(t.source_table);
    ASSIGN_OR_RETURN(mysql::TableSchema schema, mysql::ReadTableSchema(source, sdb, stable));
    if (t.target_table.empty()) {
      auto r = options.rename.find(sdb);
      t.target_table = absl::StrCat(r == options.rename.end() ? sdb : r->second, ".", stable);
    }
    const auto [tdb, ttable] = SplitName(t.target_table);
    if (t.key_columns.empty()) {
      std::optional<mysql::IndexSchema> key = schema.RowKey();
      if (!key.has_value()) {
        return absl::FailedPreconditionError(
            absl::StrCat("table ", t.source_table, " has no primary or unique NOT NULL key"));
      }
      t.key_columns = key->ColumnNames();
    }
    // Columns written: all but generated ones. FLOAT is read as DOUBLE so that its value
    // survives the text protocol exactly.
    std::vector<const mysql::ColumnSchema*> cols;
    std::vector<std::string> select;
    for (const mysql::ColumnSchema& c : schema.columns) {
      if (c.generation_expression.has_value()) continue;
      cols.push_back(&c);
      select.push_back(c.data_type == "float"
                           ? absl::StrCat("CAST(", QuoteIdentifier(c.name), " AS DOUBLE)")
                           : QuoteIdentifier(c.name));
    }
    std::vector<size_t> key_pos;  // key column -> index in cols
    for (const std::string& k : t.key_columns) {
      bool found = false;
      for (size_t i = 0; i < cols.size(); ++i) {
        if (cols[i]->name == k) {
          key_pos.push_back(i);
          found = true;
        }
      }
      if (!found) {
        return absl::FailedPreconditionError(
            absl::StrCat("table ", t.source_table, ": key column ", k, " not found"));
      }
    }
    std::vector<std::string> qcols, qkeys;
    for (const auto* c : cols) qcols.push_back(QuoteIdentifier(c->name));
    for (const std::string& k : t.key_columns) qkeys.push_back(QuoteIdentifier(k));
    const std::string src_name = absl::StrCat(QuoteIdentifier(sdb), ".", QuoteIdentifier(stable));
    const std::string dst_name = absl::StrCat(QuoteIdentifier(tdb), ".", QuoteIdentifier(ttable));
    uint64_t replaced = 0, deleted = 0;
    for (size_t begin = 0; begin < t.keys.size(); begin += batch) {
      const size_t end = std::min(t.keys.size(), begin + batch);
      std::vector<std::string> tuples;
      for (size_t i = begin; i < end; ++i) {
        std::vector<std::string> q;
        for (const std::string& v : t.keys[i]) q.push_back(source.Quote(v));
        tuples.push_back(absl::StrCat("(", absl::StrJoin(q, ", "), ")"));
      }
      ASSIGN_OR_RETURN(mysql::ResultSet rs,
                       source.Query(absl::StrCat("SELECT ", absl::StrJoin(select, ", "), " FROM ",
                                                 src_name, " WHERE (", absl::StrJoin(qkeys, ", "),
                                                 ") IN (", absl::StrJoin(tuples, ", "), ")")));
      std::map<std::vector<std::string>, const mysql::Row*> found;
      for (const mysql::Row& row : rs.rows) {
        std::vector<std::string> key;
        for (size_t p : key_pos) key.push_back(row[p].value_or(""));
        found[key] = &row;
      }
      std::vector<Param> replace_params, delete_params;
      std::vector<std::string> replace_rows, delete_rows;
      for (const mysql::Row& row : rs.rows) {
        std::vector<std::string> marks;
        for (size_t i = 0; i < cols.size(); ++i) {
          if (!row[i].has_value()) {
            replace_params.push_back(Param::Null());
          } else if (cols[i]->IsBinary() || cols[i]->IsBit()) {
            replace_params.push_back(Param::Bytes(*row[i]));
          } else {
            replace_params.push_back(Param::Text(*row[i]));
          }
          marks.push_back("?");
        }
        replace_rows.push_back(absl::StrCat("(", absl::StrJoin(marks, ", "), ")"));
      }
      for (size_t i = begin; i < end; ++i) {
        // Keys are compared as the source prints them; a key the SELECT did not return is
        // gone from the source.
        if (found.count(t.keys[i]) > 0) continue;
        std::vector<std::string> marks;
        for (const std::string& v : t.keys[i]) {
          delete_params.push_back(Param::Text(v));
          marks.push_back("?");
        }
        delete_rows.push_back(absl::StrCat("(", absl::StrJoin(marks, ", "), ")"));
      }
      const std::string replace_sql =
          absl::StrCat("REPLACE INTO ", dst_name, " (", absl::StrJoin(qcols, ", "), ") VALUES ",
                       absl::StrJoin(replace_rows, ", "));
      const std::string delete_sql =
          absl::StrCat("DELETE FROM ", dst_name, " WHERE (", absl::StrJoin(qkeys, ", "), ") IN (",
                       absl::StrJoin(delete_rows, ", "), ")");
      if (options.dry_run) {
        auto print = [&](const std::string& sql, const std::vector<Param>& params) {
          std::string text;
          size_t p = 0;
          for (char c : sql) {
            if (c == '?' && p < params.size()) {
              text += Literal(source, params[p++]);
            } else {
              text.push_back(c);
            }
          }
          out << text << ";\n";
        };
        if (!replace_rows.empty()) print(replace_sql, replace_params);
        if (!delete_rows.empty()) print(delete_sql, delete_params);
      } else {
        RETURN_IF_ERROR(target->Execute("START TRANSACTION"));
        if (!replace_rows.empty()) {
          ASSIGN_OR_RETURN(mysql::Statement st, mysql::Statement::Prepare(*target, replace_sql));
          RETURN_IF_ERROR(st.Execute(replace_params));
        }
        if (!delete_rows.empty()) {
          ASSIGN_OR_RETURN(mysql::Statement st, mysql::Statement::Prepare(*target, delete_sql));
          RETURN_IF_ERROR(st.Execute(delete_params));
        }
        RETURN_IF_ERROR(target->Execute("COMMIT"));
      }
      replaced += replace_rows.size();
      deleted += delete_rows.size();
    }
    out << (options.dry_run ? "-- " : "") << t.source_table << " -> " << t.target_table << ": "
        << t.keys.size() << " keys, " << replaced << " replaced, " << deleted << " deleted"
        << (options.dry_run ? " (dry run)" : "") << "\n";
  }
  return absl::OkStatus();
}

}  // namespace dcp::padder
