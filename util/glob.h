// Shell-style globs for schema.table and column patterns: `*` matches any run of characters
// (also empty), `?` exactly one; everything else matches itself. Case-sensitive, like table
// names on Linux servers. Stateless; thread-safe.
#ifndef DCP_UTIL_GLOB_H_
#define DCP_UTIL_GLOB_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace dcp {

bool GlobMatch(absl::string_view pattern, absl::string_view text);

// Like GlobMatch, and returns what each wildcard matched, in pattern order; std::nullopt
// when `text` does not match. With several ways to match, `*` takes as little as it can.
std::optional<std::vector<std::string>> GlobCapture(absl::string_view pattern,
                                                    absl::string_view text);

// Replaces the wildcards of `replacement` in order by `captures` (a wildcard without a
// capture left is kept as is): GlobSubstitute("shop.*", {"orders"}) == "shop.orders".
std::string GlobSubstitute(absl::string_view replacement, const std::vector<std::string>& captures);

}  // namespace dcp

#endif  // DCP_UTIL_GLOB_H_
