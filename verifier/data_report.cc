#include "verifier/data_report.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "mysql/connection.h"
#include "mysql/sql_literal.h"
#include "util/json.h"
#include "verifier/json.h"

namespace dcp::verifier {
namespace {

std::string KeyText(const TableResult& t, const KeyValue& key) {
  std::vector<std::string> parts;
  if (t.key_columns.empty()) {
    for (const std::string& v : key) parts.push_back(DisplayValue(v));
    return absl::StrCat("(", absl::StrJoin(parts, ", "), ")");
  }
  for (size_t i = 0; i < key.size() && i < t.key_columns.size(); ++i) {
    parts.push_back(absl::StrCat(t.key_columns[i], "=", DisplayValue(key[i])));
  }
  return absl::StrJoin(parts, ", ");
}

std::string Quoted(const std::optional<std::string>& v) {
  if (!v) return "NULL";
  return absl::StrCat("'", DisplayValue(v), "'");
}

std::string TableName(const TableResult& t) {
  if (t.source_table.empty()) return t.target_table;
  if (t.target_table.empty() || t.target_table == t.source_table) return t.source_table;
  return absl::StrCat(t.source_table, " -> ", t.target_table);
}

std::string Status(const TableResult& t) {
  if (!t.error.empty()) return "error";
  if (t.missing_on_target) return "missing_on_target";
  if (t.extra_on_target) return "extra_on_target";
  return t.differences.empty() ? "identical" : "different";
}

std::string XmlEscape(const std::string& s) {
  return absl::StrReplaceAll(s, {{"&", "&amp;"}, {"<", "&lt;"}, {">", "&gt;"}, {"\"", "&quot;"}});
}

std::string QuoteTable(const std::string& qualified) {
  size_t dot = qualified.find('.');
  return absl::StrCat(mysql::QuoteIdentifier(qualified.substr(0, dot)), ".",
                      mysql::QuoteIdentifier(qualified.substr(dot + 1)));
}

std::string NamesJson(const std::vector<std::string>& names) {
  std::vector<std::string> q;
  for (const std::string& s : names) q.push_back(json::Quote(s));
  return absl::StrCat("[", absl::StrJoin(q, ","), "]");
}

void WriteDifferenceJson(const TableResult& t, const RowDifference& d, std::ostream& out) {
  out << "\n {\"kind\":\"" << RowDifference::KindName(d.kind) << "\",\"key\":";
  if (t.key_columns.empty()) {
    // Full-scan tables: every value of the row.
    std::vector<std::string> values;
    for (const std::string& v : d.key) values.push_back(ValueJson(v));
    out << "[" << absl::StrJoin(values, ",") << "]";
  } else {
    out << "{";
    for (size_t i = 0; i < d.key.size() && i < t.key_columns.size(); ++i) {
      out << (i > 0 ? "," : "") << json::Quote(t.key_columns[i]) << ":" << ValueJson(d.key[i]);
    }
    out << "}";
  }
  out << ",\"columns\":[";
  for (size_t i = 0; i < d.columns.size(); ++i) {
    const ColumnDifference& c = d.columns[i];
    out << (i > 0 ? "," : "") << "{\"column\":" << json::Quote(c.column)
        << ",\"source\":" << ValueOrNullJson(c.source)
        << ",\"target\":" << ValueOrNullJson(c.target) << "}";
  }
  out << "]";
  if (!d.source_values.empty() && d.source_values.size() == t.fix_columns.size()) {
    out << ",\"source_row\":{";
    for (size_t i = 0; i < d.source_values.size(); ++i) {
      out << (i > 0 ? "," : "") << json::Quote(t.fix_columns[i]) << ":";
      if (t.fix_kinds[i] == 'x' && d.source_values[i]) {
        out << "{\"hex\":" << json::Quote(*d.source_values[i]) << "}";  // HEX() of the column
      } else {
        out << ValueOrNullJson(d.source_values[i]);
      }
    }
    out << "}";
  }
  out << "}";
}

void WriteTableJson(const TableResult& t, std::ostream& out) {
  out << "\n{\"source_table\":" << json::Quote(t.source_table)
      << ",\"target_table\":" << json::Quote(t.target_table)
      << ",\"status\":" << json::Quote(Status(t))
      << ",\"error\":" << (t.error.empty() ? "null" : json::Quote(t.error))
      << ",\"key_columns\":" << NamesJson(t.key_columns)
      << ",\"compared_columns\":" << NamesJson(t.compared_columns)
      << ",\"one_side_columns\":" << NamesJson(t.one_side_columns)
      << ",\"source_rows\":" << t.source_rows << ",\"target_rows\":" << t.target_rows
      << ",\"chunks\":" << t.chunks << ",\"mismatched_chunks\":" << t.mismatched_chunks
      << ",\"differences\":[";
  bool first = true;
  for (const RowDifference& d : t.differences) {
    out << (first ? "" : ",");
    first = false;
    WriteDifferenceJson(t, d, out);
  }
  out << "]}";
}

// An SQL comment line: "-- " and `text` with line breaks and other control characters
// written as \xNN, so that nothing in it (a key, a table name) can end the comment.
std::string Comment(absl::string_view text) {
  std::string out = "-- ";
  for (const char c : text) {
    const auto b = static_cast<unsigned char>(c);
    if (b < 0x20 || b == 0x7f) {
      absl::StrAppendFormat(&out, "\\x%02x", b);
    } else {
      out.push_back(c);
    }
  }
  out.push_back('\n');
  return out;
}

bool IsHexDigits(absl::string_view s) {
  return s.size() % 2 == 0 && std::all_of(s.begin(), s.end(), [](char c) {
           return absl::ascii_isxdigit(static_cast<unsigned char>(c));
         });
}

bool IsDigits(absl::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return absl::ascii_isdigit(static_cast<unsigned char>(c));
  });
}

// A source value of fix SQL as a literal that reads the same under every sql_mode
// (mysql/sql_literal.h), or std::nullopt when the server's text is not of the expected form.
std::optional<std::string> FixValue(char kind, const std::optional<std::string>& v) {
  if (!v) return "NULL";
  if (kind == 'x') {  // HEX() of a binary column
    if (!IsHexDigits(*v)) return std::nullopt;
    return mysql::HexLiteral(absl::HexStringToBytes(*v));
  }
  if (kind == 'n') {  // CAST(bit AS UNSIGNED)
    if (!IsDigits(*v)) return std::nullopt;
    return *v;
  }
  return mysql::Utf8mb4Literal(*v);
}

// DELETE of a row extra on the target, or REPLACE of a row missing or different.
void WriteFixStatement(const TableResult& t, const RowDifference& d, std::ostream& out) {
  const std::string table = QuoteTable(t.target_table);
  if (d.kind == RowDifference::Kind::kExtra) {
    std::vector<std::string> conds;
    for (size_t i = 0; i < t.key_columns.size(); ++i) {
      conds.push_back(absl::StrCat(mysql::QuoteIdentifier(t.key_columns[i]), " = ",
                                   mysql::StringLiteral(d.key[i], t.key_binary[i])));
    }
    out << "DELETE FROM " << table << " WHERE " << absl::StrJoin(conds, " AND ") << ";\n";
    return;
  }
  if (d.source_values.size() != t.fix_columns.size()) {
    out << Comment(
        absl::StrCat(t.source_table, " ", KeyText(t, d.key), ": source values not collected"));
    return;
  }
  std::vector<std::string> cols, values;
  for (size_t i = 0; i < d.source_values.size(); ++i) {
    std::optional<std::string> v = FixValue(t.fix_kinds[i], d.source_values[i]);
    if (!v) {
      out << Comment(absl::StrCat(t.source_table, " ", KeyText(t, d.key), ": column ",
                                  t.fix_columns[i], " has an unexpected value; row not written"));
      return;
    }
    cols.push_back(mysql::QuoteIdentifier(t.fix_columns[i]));
    values.push_back(*std::move(v));
  }
  out << "REPLACE INTO " << table << " (" << absl::StrJoin(cols, ", ") << ") VALUES ("
      << absl::StrJoin(values, ", ") << ");\n";
}

}  // namespace

void WriteDataText(const DataReport& report, std::ostream& out) {
  size_t diffs = 0, errors = 0;
  for (const TableResult& t : report.tables) {
    const std::string name = TableName(t);
    if (!t.error.empty()) {
      ++errors;
      out << name << ": ERROR: " << t.error << "\n";
      continue;
    }
    if (t.missing_on_target) {
      ++diffs;
      out << name << ": table missing on target\n";
      continue;
    }
    if (t.extra_on_target) {
      ++diffs;
      out << name << ": table extra on target (not on source)\n";
      continue;
    }
    if (t.resumed_complete) {
      out << name << ": verified by the resumed run\n";
      continue;
    }
    if (!t.one_side_columns.empty()) {
      out << name << ": not compared, on one side only: " << absl::StrJoin(t.one_side_columns, ", ")
          << "\n";
    }
    if (t.differences.empty()) {
      out << name << ": identical (" << t.source_rows << " rows, " << t.chunks << " chunks)\n";
      continue;
    }
    diffs += t.differences.size();
    out << name << ": " << t.differences.size() << " row difference(s) (source " << t.source_rows
        << " rows, target " << t.target_rows << " rows, " << t.mismatched_chunks << " of "
        << t.chunks << " chunks differ)\n";
    for (const RowDifference& d : t.differences) {
      switch (d.kind) {
        case RowDifference::Kind::kMissing:
          out << "  missing on target: " << KeyText(t, d.key) << "\n";
          break;
        case RowDifference::Kind::kExtra:
          out << "  extra on target:   " << KeyText(t, d.key) << "\n";
          break;
        case RowDifference::Kind::kDifferent: {
          std::vector<std::string> cols;
          for (const ColumnDifference& c : d.columns) {
            cols.push_back(absl::StrCat(c.column, ": source ", Quoted(c.source), ", target ",
                                        Quoted(c.target)));
          }
          out << "  different:         " << KeyText(t, d.key) << ": " << absl::StrJoin(cols, "; ")
              << "\n";
          break;
        }
      }
    }
  }
  out << absl::StrFormat("%d table(s), %d rows in %.1fs: ", report.tables.size(),
                         report.total_rows(), absl::ToDoubleSeconds(report.elapsed));
  if (errors > 0) {
    out << errors << " table(s) could not be compared, ";
  }
  out << (diffs == 0 && errors == 0 ? "identical" : absl::StrCat(diffs, " difference(s)")) << "\n";
}

void WriteDataJson(const DataReport& report, std::ostream& out) {
  out << "{\"identical\":" << (report.identical() ? "true" : "false")
      << ",\"error\":" << (report.has_error() ? "true" : "false")
      << absl::StrFormat(",\"elapsed_seconds\":%.3f", absl::ToDoubleSeconds(report.elapsed))
      << ",\"snapshot_position\":"
      << (report.snapshot_position.empty() ? std::string("null")
                                           : json::Quote(report.snapshot_position))
      << ",\"checksum\":" << json::Quote(report.checksum) << ",\"tables\":[";
  bool first = true;
  for (const TableResult& t : report.tables) {
    out << (first ? "" : ",");
    first = false;
    WriteTableJson(t, out);
  }
  out << "]}\n";
}

void WriteDataJunit(const DataReport& report, std::ostream& out) {
  int failures = 0, errors = 0;
  for (const TableResult& t : report.tables) {
    if (!t.error.empty()) {
      ++errors;
    } else if (!t.identical()) {
      ++failures;
    }
  }
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      << "<testsuite name=\"verifier data\" tests=\"" << report.tables.size() << "\" failures=\""
      << failures << "\" errors=\"" << errors << "\" time=\""
      << absl::StrFormat("%.3f", absl::ToDoubleSeconds(report.elapsed)) << "\">\n";
  for (const TableResult& t : report.tables) {
    out << "  <testcase classname=\"verifier.data\" name=\"" << XmlEscape(TableName(t))
        << "\" time=\"" << absl::StrFormat("%.3f", absl::ToDoubleSeconds(t.elapsed)) << "\"";
    if (t.identical()) {
      out << "/>\n";
      continue;
    }
    out << ">\n";
    if (!t.error.empty()) {
      out << "    <error message=\"" << XmlEscape(t.error) << "\"/>\n";
    } else {
      std::string msg = t.missing_on_target ? "table missing on target"
                        : t.extra_on_target
                            ? "table extra on target"
                            : absl::StrCat(t.differences.size(), " row difference(s)");
      out << "    <failure message=\"" << XmlEscape(msg) << "\">";
      for (const RowDifference& d : t.differences) {
        out << XmlEscape(absl::StrCat(RowDifference::KindName(d.kind), " ", KeyText(t, d.key)))
            << "\n";
      }
      out << "</failure>\n";
    }
    out << "  </testcase>\n";
  }
  out << "</testsuite>\n";
}

void WriteFixSql(const DataReport& report, std::ostream& out) {
  out << "-- verifier fix SQL: run on the target to make it equal to the source.\n"
      << "-- Values are hex literals, read alike under every sql_mode. The SET statements below\n"
      << "-- change the session that runs this file and are not undone at its end.\n"
      << "SET SESSION sql_mode = '';\nSET NAMES utf8mb4;\nSET time_zone = '+00:00';\n";
  for (const TableResult& t : report.tables) {
    if (t.differences.empty()) continue;
    if (t.key_columns.empty()) {
      out << Comment(absl::StrCat(t.source_table, ": no row key; ", t.differences.size(),
                                  " difference(s) not written as SQL"));
      continue;
    }
    for (const RowDifference& d : t.differences) WriteFixStatement(t, d, out);
  }
}

}  // namespace dcp::verifier
