#include "collector/tags.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "util/glob.h"

namespace dcp::collector {

std::vector<const TagRule*> TagMatcher::Match(absl::string_view schema,
                                              absl::string_view table) const {
  const std::string full = absl::StrCat(schema, ".", table);
  std::vector<const TagRule*> out;
  for (const TagRule& rule : rules_) {
    for (const std::string& glob : rule.tables) {
      if (GlobMatch(glob, full)) {
        out.push_back(&rule);
        break;
      }
    }
  }
  return out;
}

std::string TagMatcher::ComparedName(const TagRule& rule, absl::string_view schema,
                                     absl::string_view table) {
  const std::string full = absl::StrCat(schema, ".", table);
  for (const auto& [target_glob, source_glob] : rule.rename) {
    if (auto caps = GlobCapture(target_glob, full)) return GlobSubstitute(source_glob, *caps);
  }
  return full;
}

bool TagMatcher::IgnoresColumn(const TagRule& rule, absl::string_view schema,
                               absl::string_view table, absl::string_view column) {
  if (rule.ignore_columns.empty()) return false;
  const std::string full =
      absl::StrCat(schema, ".", table, ".", absl::AsciiStrToLower(column));
  for (const std::string& glob : rule.ignore_columns) {
    // Column part of the glob compared lower-cased; schema and table parts as written.
    const size_t last_dot = glob.rfind('.');
    const std::string g = last_dot == std::string::npos
                              ? absl::AsciiStrToLower(glob)
                              : absl::StrCat(glob.substr(0, last_dot + 1),
                                             absl::AsciiStrToLower(glob.substr(last_dot + 1)));
    if (GlobMatch(g, full)) return true;
  }
  return false;
}

std::optional<std::vector<std::string>> TagMatcher::KeyColumns(const TagRule& rule,
                                                               absl::string_view schema,
                                                               absl::string_view table) {
  auto it = rule.key_columns.find(absl::StrCat(schema, ".", table));
  if (it == rule.key_columns.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> TagMatcher::UnmatchedGlobs(const std::vector<std::string>& tables) const {
  std::vector<std::string> out;
  for (const TagRule& rule : rules_) {
    for (const std::string& glob : rule.tables) {
      bool any = false;
      for (const std::string& t : tables) {
        if (GlobMatch(glob, t)) {
          any = true;
          break;
        }
      }
      if (!any) out.push_back(absl::StrCat(rule.name, ": ", glob));
    }
  }
  return out;
}

}  // namespace dcp::collector
