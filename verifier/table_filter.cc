#include "verifier/table_filter.h"

#include <fnmatch.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace dcp::verifier {
namespace {

bool Fnmatch(const std::string& glob, const std::string& s) {
  return fnmatch(glob.c_str(), s.c_str(), 0) == 0;
}

}  // namespace

bool GlobMatches(const std::string& glob, const mysql::TableName& name) {
  if (glob.find('.') == std::string::npos) return Fnmatch(glob, name.second);
  return Fnmatch(glob, absl::StrCat(name.first, ".", name.second));
}

absl::StatusOr<TableFilter> TableFilter::Create(std::vector<std::string> tables,
                                                std::vector<std::string> exclude,
                                                const std::vector<std::string>& maps) {
  TableFilter f;
  f.tables_ = std::move(tables);
  f.exclude_ = std::move(exclude);
  for (const std::string& m : maps) {
    std::vector<std::string> sides = absl::StrSplit(m, '=');
    if (sides.size() != 2 || sides[0].empty() || sides[1].empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--map '", m, "': expected src_schema.table_glob=dst_schema.table"));
    }
    auto split = [](const std::string& side) -> std::pair<std::string, std::string> {
      size_t dot = side.find('.');
      if (dot == std::string::npos) return {side, "*"};
      return {side.substr(0, dot), side.substr(dot + 1)};
    };
    auto [ss, st] = split(sides[0]);
    auto [ts, tt] = split(sides[1]);
    if (ss.empty() || st.empty() || ts.empty() || tt.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("--map '", m, "': empty schema or table"));
    }
    f.rules_.push_back(Rule{ss, st, ts, tt});
  }
  return f;
}

bool TableFilter::Selected(const mysql::TableName& name) const {
  bool included = tables_.empty();
  for (const std::string& g : tables_) included = included || GlobMatches(g, name);
  if (!included) return false;
  for (const std::string& g : exclude_) {
    if (GlobMatches(g, name)) return false;
  }
  return true;
}

mysql::TableName TableFilter::Map(const mysql::TableName& name) const {
  for (const Rule& r : rules_) {
    if (r.source_schema == name.first && Fnmatch(r.source_table, name.second)) {
      return {r.target_schema, r.target_table == "*" ? name.second : r.target_table};
    }
  }
  return name;
}

std::optional<mysql::TableName> TableFilter::Unmap(const mysql::TableName& target) const {
  for (const Rule& r : rules_) {
    if (r.target_schema != target.first) continue;
    if (r.target_table == "*") {
      mysql::TableName source{r.source_schema, target.second};
      if (Fnmatch(r.source_table, source.second) && Map(source) == target) return source;
    } else if (r.target_table == target.second &&
               r.source_table.find_first_of("*?[") == std::string::npos) {
      mysql::TableName source{r.source_schema, r.source_table};
      if (Map(source) == target) return source;
    }
  }
  // An unmapped name maps to itself unless a rule sends it elsewhere.
  if (Map(target) == target) return target;
  return std::nullopt;
}

}  // namespace dcp::verifier
