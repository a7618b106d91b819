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

}  // namespace dcp
