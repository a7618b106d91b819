#include "alarm/alarm.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "util/json.h"

namespace dcp::alarm {

absl::string_view AlarmKindName(AlarmKind kind) {
  switch (kind) {
    case AlarmKind::kDiff:
      return "diff";
    case AlarmKind::kTimeout:
      return "timeout";
    case AlarmKind::kRecovered:
      return "recovered";
    case AlarmKind::kGap:
      return "gap";
    case AlarmKind::kOverflow:
      return "overflow";
  }
  return "unknown";
}

std::optional<AlarmKind> ParseAlarmKind(absl::string_view name) {
  for (AlarmKind k : kAllAlarmKinds) {
    if (name == AlarmKindName(k)) return k;
  }
  return std::nullopt;
}

absl::string_view SeverityName(Severity severity) {
  switch (severity) {
    case Severity::kInfo:
      return "info";
    case Severity::kWarning:
      return "warning";
    case Severity::kCritical:
      return "critical";
  }
  return "unknown";
}

std::optional<Severity> ParseSeverity(absl::string_view name) {
  for (Severity s : {Severity::kInfo, Severity::kWarning, Severity::kCritical}) {
    if (name == SeverityName(s)) return s;
  }
  return std::nullopt;
}

Severity DefaultSeverity(AlarmKind kind) {
  switch (kind) {
    case AlarmKind::kDiff:
      return Severity::kCritical;
    case AlarmKind::kTimeout:
    case AlarmKind::kGap:
    case AlarmKind::kOverflow:
      return Severity::kWarning;
    case AlarmKind::kRecovered:
      return Severity::kInfo;
  }
  return Severity::kWarning;
}

SeverityTable::SeverityTable() {
  for (AlarmKind k : kAllAlarmKinds) Set(k, DefaultSeverity(k));
}

absl::string_view KeyDiffKindName(KeyDiffKind kind) {
  switch (kind) {
    case KeyDiffKind::kMissingOnTarget:
      return "missing_on_target";
    case KeyDiffKind::kExtraOnTarget:
      return "extra_on_target";
    case KeyDiffKind::kDifferent:
      return "different";
    case KeyDiffKind::kNotAppliedOnTarget:
      return "not_applied_on_target";
    case KeyDiffKind::kTargetOnlyChange:
      return "target_only_change";
    case KeyDiffKind::kSequenceDiffers:
      return "sequence_differs";
  }
  return "unknown";
}

namespace {

std::string RangeText(const Alarm& a) {
  if (!a.from_barrier && !a.to_barrier) return "";
  return absl::StrCat(" barriers [", a.from_barrier ? absl::StrCat(*a.from_barrier) : "?", ",",
                      a.to_barrier ? absl::StrCat(*a.to_barrier) : "?", ")");
}

void AppendSide(std::string& out, const SideImage& s) {
  absl::StrAppend(&out, "{\"seen\":", s.seen ? "true" : "false");
  if (s.seen) {
    absl::StrAppend(&out, ",\"deleted\":", s.deleted ? "true" : "false", ",\"checksum\":");
    json::AppendString(s.checksum, &out);
    out.append(",\"origin\":");
    json::AppendString(s.origin, &out);
    absl::StrAppend(&out, ",\"timestamp\":", s.timestamp, ",\"changes\":", s.changes);
    if (s.content) {
      out.append(",\"content\":");
      json::AppendString(*s.content, &out);
    }
  }
  out.push_back('}');
}

}  // namespace

std::string Alarm::Summary() const {
  std::string pair = target_tag.empty() ? source_tag : absl::StrCat(source_tag, "->", target_tag);
  std::string s =
      absl::StrCat(absl::AsciiStrToUpper(AlarmKindName(kind)), " ", pair, RangeText(*this));
  if (kind == AlarmKind::kDiff) {
    absl::StrAppend(&s, ": ", total_keys, total_keys == 1 ? " key differs" : " keys differ");
    for (size_t i = 0; i < keys.size() && i < 3; ++i) {
      absl::StrAppend(&s, i == 0 ? " (" : ", ", keys[i].key, " ", KeyDiffKindName(keys[i].kind));
    }
    if (!keys.empty()) absl::StrAppend(&s, keys.size() > 3 || total_keys > 3 ? ", ...)" : ")");
  }
  if (!message.empty()) absl::StrAppend(&s, ": ", message);
  return s;
}

std::string Alarm::IncidentKey() const {
  const std::string pair = absl::StrCat(source_tag, "->", target_tag);
  switch (kind) {
    case AlarmKind::kTimeout:
    case AlarmKind::kRecovered:
      return absl::StrCat("timeout:", pair);
    case AlarmKind::kGap:
    case AlarmKind::kOverflow:
      return absl::StrCat(AlarmKindName(kind), ":", pair, ":",
                          from_barrier ? absl::StrCat(*from_barrier) : "?", "-",
                          to_barrier ? absl::StrCat(*to_barrier) : "?");
    case AlarmKind::kDiff:
      break;
  }
  if (keys.size() == 1 && total_keys <= 1) return absl::StrCat("diff:", pair, ":", keys[0].key);
  // Several keys: FNV-1a over the sorted sample and the total, stable across builds.
  std::vector<std::string> sorted;
  for (const KeyDiff& k : keys) sorted.push_back(k.key);
  std::sort(sorted.begin(), sorted.end());
  uint64_t h = 0xcbf29ce484222325ull;
  auto mix = [&h](absl::string_view s) {
    for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ull;
    h = (h ^ 0xff) * 0x100000001b3ull;  // a separator no key byte sequence can fake alone
  };
  for (const std::string& k : sorted) mix(k);
  mix(absl::StrCat(total_keys));
  return absl::StrCat("diff:", pair, ":", total_keys, "-keys-", absl::Hex(h, absl::kZeroPad16));
}

std::string Alarm::ToJson(uint64_t sequence, bool slack_text) const {
  std::string out = "{";
  if (sequence != 0) absl::StrAppend(&out, "\"sequence\":", sequence, ",");
  absl::StrAppend(&out, "\"kind\":\"", AlarmKindName(kind), "\",");
  if (severity) absl::StrAppend(&out, "\"severity\":\"", SeverityName(*severity), "\",");
  if (!instance.empty()) {
    out.append("\"instance\":");
    json::AppendString(instance, &out);
    out.push_back(',');
  }
  out.append("\"incident_key\":");
  json::AppendString(IncidentKey(), &out);
  out.append(",\"time\":");
  json::AppendString(absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", time, absl::UTCTimeZone()), &out);
  out.append(",\"source_tag\":");
  json::AppendString(source_tag, &out);
  out.append(",\"target_tag\":");
  json::AppendString(target_tag, &out);
  out.append(",\"from_barrier\":");
  out.append(from_barrier ? absl::StrCat(*from_barrier) : "null");
  out.append(",\"to_barrier\":");
  out.append(to_barrier ? absl::StrCat(*to_barrier) : "null");
  if (!mode.empty()) {
    out.append(",\"mode\":");
    json::AppendString(mode, &out);
  }
  out.append(",\"message\":");
  json::AppendString(message, &out);
  if (waited) absl::StrAppend(&out, ",\"waited_seconds\":", absl::ToDoubleSeconds(*waited));
  if (kind == AlarmKind::kDiff) {
    absl::StrAppend(&out, ",\"total_keys\":", total_keys, ",\"keys\":[");
    for (size_t i = 0; i < keys.size(); ++i) {
      const KeyDiff& k = keys[i];
      if (i > 0) out.push_back(',');
      out.append("{\"key\":");
      json::AppendString(k.key, &out);
      out.append(",\"table\":");
      json::AppendString(k.table, &out);
      absl::StrAppend(&out, ",\"what\":\"", KeyDiffKindName(k.kind), "\",\"source\":");
      AppendSide(out, k.source);
      out.append(",\"target\":");
      AppendSide(out, k.target);
      out.push_back('}');
    }
    out.push_back(']');
  }
  if (slack_text) {
    out.append(",\"text\":");
    json::AppendString(Summary(), &out);
  }
  out.push_back('}');
  return out;
}

void MemorySink::Emit(const Alarm& alarm) {
  absl::MutexLock lock(&mu_);
  alarms_.push_back(alarm);
}

std::vector<Alarm> MemorySink::Take() {
  absl::MutexLock lock(&mu_);
  std::vector<Alarm> out;
  out.swap(alarms_);
  return out;
}

std::vector<Alarm> MemorySink::All() const {
  absl::MutexLock lock(&mu_);
  return alarms_;
}

size_t MemorySink::Count(AlarmKind kind) const {
  absl::MutexLock lock(&mu_);
  size_t n = 0;
  for (const Alarm& a : alarms_) n += a.kind == kind;
  return n;
}

void StampingSink::Emit(const Alarm& alarm) {
  Alarm stamped = alarm;
  stamped.severity = severities_.For(alarm.kind);
  stamped.instance = instance_;
  next_->Emit(stamped);
}

}  // namespace dcp::alarm
