// URLs in logs: only where a request goes (scheme://host:port), never the path, query or
// user info, which often carry secrets (Slack-style webhooks keep theirs in the path,
// PagerDuty's in the body, many receivers in a ?token=). Pure functions; thread-safe.
#ifndef DCP_UTIL_URL_H_
#define DCP_UTIL_URL_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace dcp {

// "https://user:pw@hooks.example:8443/services/T0/B0/XYZ?x=1" -> "https://hooks.example:8443";
// "http://[::1]/x" -> "http://[::1]". Text that is not a URL becomes "(url)".
std::string UrlForLogs(absl::string_view url);

// Where the passwords of the URLs inside `text` are: for each "scheme://user:password@host"
// the [begin, end) of "password" (the user info ends at the last '@' before the first '?',
// '#', quote or whitespace). In order; empty when there is none.
std::vector<std::pair<size_t, size_t>> UrlPasswordSpans(absl::string_view text);

// `text` with each of those passwords replaced by "***" (for messages that may echo a
// command line).
std::string RedactUrlPasswords(absl::string_view text);

}  // namespace dcp

#endif  // DCP_UTIL_URL_H_
