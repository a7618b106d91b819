#include "util/url.h"

#include "absl/strings/str_cat.h"

namespace dcp {

std::string UrlForLogs(absl::string_view url) {
  const size_t scheme_end = url.find("://");
  if (scheme_end == absl::string_view::npos || scheme_end == 0) return "(url)";
  absl::string_view rest = url.substr(scheme_end + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  // User info ends at the last '@' of the authority.
  if (const size_t at = rest.rfind('@'); at != absl::string_view::npos) {
    rest = rest.substr(at + 1);
  }
  if (rest.empty()) return "(url)";
  return absl::StrCat(url.substr(0, scheme_end), "://", rest);
}

std::vector<std::pair<size_t, size_t>> UrlPasswordSpans(absl::string_view text) {
  std::vector<std::pair<size_t, size_t>> spans;
  size_t from = 0;
  while (true) {
    const size_t scheme_end = text.find("://", from);
    if (scheme_end == absl::string_view::npos) break;
    const size_t start = scheme_end + 3;
    size_t end = text.find_first_of("?# \t\r\n\"'", start);
    if (end == absl::string_view::npos) end = text.size();
    const absl::string_view authority = text.substr(start, end - start);
    const size_t at = authority.rfind('@');
    if (at != absl::string_view::npos) {
      const size_t colon = authority.substr(0, at).find(':');
      if (colon != absl::string_view::npos && colon + 1 < at) {
        spans.emplace_back(start + colon + 1, start + at);
      }
    }
    from = end;
  }
  return spans;
}

std::string RedactUrlPasswords(absl::string_view text) {
  std::string out;
  size_t pos = 0;
  for (const auto& [begin, end] : UrlPasswordSpans(text)) {
    absl::StrAppend(&out, text.substr(pos, begin - pos), "***");
    pos = end;
  }
  absl::StrAppend(&out, text.substr(pos));
  return out;
}

}  // namespace dcp
