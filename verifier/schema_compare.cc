#include "verifier/schema_compare.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "util/json.h"
#include "util/status_macros.h"
#include "verifier/json.h"
#include "verifier/session.h"

namespace dcp::verifier {

absl::StatusOr<TablePairing> PairTables(mysql::Connection& source_conn,
                                        mysql::Connection& target_conn,
                                        const std::vector<std::string>& tables,
                                        const std::vector<std::string>& exclude,
                                        const std::vector<std::string>& maps) {
  std::vector<std::string> all_maps = maps;
  const std::string& sdb = source_conn.dsn().database;
  const std::string& tdb = target_conn.dsn().database;
  if (!sdb.empty() && !tdb.empty() && sdb != tdb) all_maps.push_back(absl::StrCat(sdb, "=", tdb));
  ASSIGN_OR_RETURN(TableFilter filter, TableFilter::Create(tables, exclude, all_maps));
  ASSIGN_OR_RETURN(std::vector<mysql::TableName> source_tables,
                   mysql::ListTables(source_conn, sdb));
  ASSIGN_OR_RETURN(std::vector<mysql::TableName> target_tables,
                   mysql::ListTables(target_conn, tdb));
  TablePairing out;
  std::set<mysql::TableName> target_set(target_tables.begin(), target_tables.end());
  std::set<mysql::TableName> source_selected;
  for (const mysql::TableName& s : source_tables) {
    if (!filter.Selected(s)) continue;
    source_selected.insert(s);
    mysql::TableName t = filter.Map(s);
    if (target_set.count(t) > 0) {
      out.pairs.push_back(TablePair{s, t});
    } else {
      out.missing_on_target.push_back(s);
    }
  }
  for (const mysql::TableName& t : target_tables) {
    std::optional<mysql::TableName> s = filter.Unmap(t);
    if (!s || !filter.Selected(*s)) continue;
    // A target table in a schema the source side does not list is not ours to judge.
    if (!sdb.empty() && s->first != sdb) continue;
    if (source_selected.count(*s) == 0) out.extra_on_target.push_back(t);
  }
  return out;
}

absl::StatusOr<SchemaReport> CompareSchemas(const SchemaOptions& options) {
  ASSIGN_OR_RETURN(mysql::Connection source, OpenSession(options.source));
  ASSIGN_OR_RETURN(mysql::Connection target, OpenSession(options.target));
  ASSIGN_OR_RETURN(TablePairing pairing,
                   PairTables(source, target, options.tables, options.exclude, options.maps));
  std::set<std::string> ignore = options.ignore;
  if (!options.check_column_order) ignore.insert("column_order");
  SchemaReport report;
  auto name = [](const mysql::TableName& n) { return absl::StrCat(n.first, ".", n.second); };
  if (ignore.count("table") == 0) {
    for (const mysql::TableName& s : pairing.missing_on_target) {
      report.differences.push_back(
          SchemaDifference{"table", name(s), "", "table", "exists", std::nullopt});
    }
    for (const mysql::TableName& t : pairing.extra_on_target) {
      report.differences.push_back(
          SchemaDifference{"table", "", name(t), "table", std::nullopt, "exists"});
    }
  }
  for (const TablePair& p : pairing.pairs) {
    ASSIGN_OR_RETURN(mysql::TableSchema s,
                     mysql::ReadTableSchema(source, p.source.first, p.source.second));
    ASSIGN_OR_RETURN(mysql::TableSchema t,
                     mysql::ReadTableSchema(target, p.target.first, p.target.second));
    std::vector<SchemaDifference> diffs = CompareTableSchemas(s, t, ignore);
    report.differences.insert(report.differences.end(), diffs.begin(), diffs.end());
    ++report.tables_compared;
  }
  return report;
}

void WriteSchemaReport(const SchemaReport& report, OutputFormat format, std::ostream& out) {
  if (format == OutputFormat::kJson) {
    out << "{\"tables_compared\":" << report.tables_compared
        << ",\"identical\":" << (report.differences.empty() ? "true" : "false")
        << ",\"differences\":[";
    bool first = true;
    for (const SchemaDifference& d : report.differences) {
      if (!first) out << ",";
      first = false;
      out << "\n{\"class\":" << json::Quote(d.diff_class)
          << ",\"source_table\":" << json::Quote(d.source_table)
          << ",\"target_table\":" << json::Quote(d.target_table)
          << ",\"object\":" << json::Quote(d.object)
          << ",\"source\":" << ValueOrNullJson(d.source_value)
          << ",\"target\":" << ValueOrNullJson(d.target_value) << "}";
    }
    out << "]}\n";
    return;
  }
  for (const SchemaDifference& d : report.differences) {
    std::string table = d.source_table.empty()   ? d.target_table
                        : d.target_table.empty() ? d.source_table
                                                 : d.source_table;
    if (!d.source_table.empty() && !d.target_table.empty() && d.source_table != d.target_table) {
      table = absl::StrCat(d.source_table, " -> ", d.target_table);
    }
    if (d.diff_class == "table") {
      out << table << ": "
          << (d.source_value ? "missing on target" : "extra on target (not on source)") << "\n";
      continue;
    }
    out << table << ": " << d.object << ": " << d.diff_class << ": source "
        << (d.source_value ? *d.source_value : "(missing)") << ", target "
        << (d.target_value ? *d.target_value : "(missing)") << "\n";
  }
  out << report.tables_compared << " table(s) compared, " << report.differences.size()
      << " schema difference(s)" << (report.differences.empty() ? ": identical" : "") << "\n";
}

}  // namespace dcp::verifier
