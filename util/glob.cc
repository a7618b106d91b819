#include "util/glob.h"

namespace dcp {
namespace {

// Backtracking matcher recording captures; patterns are short (table names), so the
// worst case is irrelevant in practice, and the recursion depth is bounded by the number
// of wildcards.
bool Match(absl::string_view p, absl::string_view t, std::vector<std::string>* caps) {
  while (!p.empty()) {
    if (p[0] == '*') {
      const size_t mark = caps ? caps->size() : 0;
      for (size_t take = 0; take <= t.size(); ++take) {
        if (caps) caps->emplace_back(t.substr(0, take));
        if (Match(p.substr(1), t.substr(take), caps)) return true;
        if (caps) caps->resize(mark);
      }
      return false;
    }
    if (t.empty()) return false;
    if (p[0] == '?') {
      if (caps) caps->emplace_back(t.substr(0, 1));
    } else if (p[0] != t[0]) {
      return false;
    }
    p.remove_prefix(1);
    t.remove_prefix(1);
  }
  return t.empty();
}

}  // namespace

bool GlobMatch(absl::string_view pattern, absl::string_view text) {
  return Match(pattern, text, nullptr);
}

std::optional<std::vector<std::string>> GlobCapture(absl::string_view pattern,
                                                    absl::string_view text) {
  std::vector<std::string> caps;
  if (!Match(pattern, text, &caps)) return std::nullopt;
  return caps;
}

std::string GlobSubstitute(absl::string_view replacement,
                           const std::vector<std::string>& captures) {
  std::string out;
  size_t next = 0;
  for (char c : replacement) {
    if ((c == '*' || c == '?') && next < captures.size()) {
      out += captures[next++];
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace dcp
