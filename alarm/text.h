// Text helpers shared by the HTTP sinks' formats (alertmanager, pagerduty, slack): the
// receivers' size limits, their time format, and short descriptions of an alarm's parts.
// Pure functions; thread-safe.
#ifndef DCP_ALARM_TEXT_H_
#define DCP_ALARM_TEXT_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "alarm/alarm.h"

namespace dcp::alarm {

// `s` when it has at most `max_bytes` bytes; else its longest prefix that ends on a UTF-8
// character boundary and leaves room for "...", then "...". A limit in bytes also bounds the
// characters a receiver counts (the JSON escaper writes each byte as at most one character).
// `max_bytes` must be at least 3.
std::string Truncate(absl::string_view s, size_t max_bytes);

// `key` when it has at most `max_bytes` bytes; else a prefix, "~" and 16 hex digits of a hash
// of the whole key: the same long key always gives the same result (a dedup key that must
// match between trigger and resolve). `max_bytes` must be at least 32.
std::string BoundedKey(absl::string_view key, size_t max_bytes);

// RFC 3339 in UTC with milliseconds: "2026-11-21T21:40:03.120Z".
std::string Rfc3339(absl::Time t);

// "src->dst", or "src" when the alarm concerns the source alone.
std::string PairText(const Alarm& alarm);
// "[41,44)", "[41,?)", or "" when neither barrier is known.
std::string BarrierText(const Alarm& alarm);
// What one side did to a key, in a few words: "no change", "deleted at 0-11-5", "row 9e107d9d
// at 0-11-5".
std::string SideText(const SideImage& side);
// The distinct tables of a Diff's sample keys, sorted, comma-separated; at most `max` named,
// then "and N more".
std::string TablesText(const Alarm& alarm, size_t max);
// A few lines for people: the message; the pair and barriers; for a Diff how many keys
// differ, in which tables, in which mode; how long a target waited.
std::string Description(const Alarm& alarm);
// One line per sample key of a Diff, "KEY: what (source: ...; target: ...)", each at most
// `max_line` bytes, at most `max_keys` of them, then "... and N more" when the total is larger.
std::string KeyLines(const Alarm& alarm, size_t max_keys, size_t max_line);

}  // namespace dcp::alarm

#endif  // DCP_ALARM_TEXT_H_
