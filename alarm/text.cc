#include "alarm/text.h"

#include <algorithm>
#include <set>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace dcp::alarm {

namespace {

// The longest prefix of `s` with at most `max_bytes` bytes that does not cut a UTF-8
// character in two (it stops before a continuation byte, 10xxxxxx).
absl::string_view Utf8Prefix(absl::string_view s, size_t max_bytes) {
  if (s.size() <= max_bytes) return s;
  size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return s.substr(0, cut);
}

}  // namespace

std::string Truncate(absl::string_view s, size_t max_bytes) {
  if (s.size() <= max_bytes) return std::string(s);
  return absl::StrCat(Utf8Prefix(s, max_bytes - 3), "...");
}

std::string BoundedKey(absl::string_view key, size_t max_bytes) {
  if (key.size() <= max_bytes) return std::string(key);
  uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a: stable across builds and hosts
  for (unsigned char c : key) h = (h ^ c) * 0x100000001b3ull;
  const std::string suffix = absl::StrCat("~", absl::Hex(h, absl::kZeroPad16));
  return absl::StrCat(Utf8Prefix(key, max_bytes - suffix.size()), suffix);
}

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", t, absl::UTCTimeZone());
}

std::string PairText(const Alarm& alarm) {
  return alarm.target_tag.empty() ? alarm.source_tag
                                  : absl::StrCat(alarm.source_tag, "->", alarm.target_tag);
}

std::string BarrierText(const Alarm& alarm) {
  if (!alarm.from_barrier && !alarm.to_barrier) return "";
  return absl::StrCat("[", alarm.from_barrier ? absl::StrCat(*alarm.from_barrier) : "?", ",",
                      alarm.to_barrier ? absl::StrCat(*alarm.to_barrier) : "?", ")");
}

std::string SideText(const SideImage& side) {
  if (!side.seen) return "no change";
  std::string out = side.deleted ? "deleted" : absl::StrCat("row ", side.checksum.substr(0, 8));
  if (!side.origin.empty()) absl::StrAppend(&out, " at ", side.origin);
  return out;
}

std::string TablesText(const Alarm& alarm, size_t max) {
  std::set<std::string> tables;
  for (const KeyDiff& k : alarm.keys) {
    if (!k.table.empty()) tables.insert(k.table);
  }
  std::vector<std::string> named;
  for (const std::string& t : tables) {
    if (named.size() == max) break;
    named.push_back(t);
  }
  std::string out = absl::StrJoin(named, ", ");
  if (tables.size() > named.size())
    absl::StrAppend(&out, " and ", tables.size() - named.size(), " more");
  return out;
}

std::string Description(const Alarm& alarm) {
  std::vector<std::string> lines;
  if (!alarm.message.empty()) lines.push_back(alarm.message);
  std::string where = absl::StrCat("pair ", PairText(alarm));
  if (const std::string b = BarrierText(alarm); !b.empty())
    absl::StrAppend(&where, ", barriers ", b);
  lines.push_back(where);
  if (alarm.kind == AlarmKind::kDiff) {
    std::string diff =
        absl::StrCat(alarm.total_keys, alarm.total_keys == 1 ? " key differs" : " keys differ");
    if (alarm.keys.size() < alarm.total_keys)
      absl::StrAppend(&diff, " (", alarm.keys.size(), " listed)");
    if (const std::string t = TablesText(alarm, 5); !t.empty()) absl::StrAppend(&diff, " in ", t);
    if (!alarm.mode.empty()) absl::StrAppend(&diff, "; mode ", alarm.mode);
    lines.push_back(diff);
  }
  if (alarm.waited) lines.push_back(absl::StrCat("waited ", absl::FormatDuration(*alarm.waited)));
  return absl::StrJoin(lines, "\n");
}

std::string KeyLines(const Alarm& alarm, size_t max_keys, size_t max_line) {
  std::vector<std::string> lines;
  for (size_t i = 0; i < alarm.keys.size() && i < max_keys; ++i) {
    const KeyDiff& k = alarm.keys[i];
    lines.push_back(Truncate(
        absl::StrCat(k.key, ": ", KeyDiffKindName(k.kind), " (source: ", SideText(k.source),
                     "; target: ", SideText(k.target), ")"),
        max_line));
  }
  const uint64_t total = std::max<uint64_t>(alarm.total_keys, alarm.keys.size());
  if (total > lines.size())
    lines.push_back(absl::StrCat("... and ", total - lines.size(), " more"));
  return absl::StrJoin(lines, "\n");
}

}  // namespace dcp::alarm
