#include "checker/alarm.h"

#include <cerrno>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"

namespace dcp::checker {

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

// Length of the valid UTF-8 sequence starting at s[i], or 0 when it is not valid.
size_t Utf8Length(absl::string_view s, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = byte(i);
  size_t n;
  unsigned char lo = 0x80, hi = 0xbf;  // allowed range of the second byte
  if (c >= 0xc2 && c <= 0xdf) {
    n = 2;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    if (c == 0xe0) lo = 0xa0;  // overlong
    if (c == 0xed) hi = 0x9f;  // surrogates
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    if (c == 0xf0) lo = 0x90;
    if (c == 0xf4) hi = 0x8f;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (size_t k = 2; k < n; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xbf) return 0;
  }
  return n;
}

}  // namespace

void AppendJsonString(std::string& out, absl::string_view s) {
  out.push_back('"');
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"':
        out.append("\\\"");
        break;
      case '\\':
        out.append("\\\\");
        break;
      case '\n':
        out.append("\\n");
        break;
      case '\r':
        out.append("\\r");
        break;
      case '\t':
        out.append("\\t");
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          absl::StrAppendFormat(&out, "\\u%04x", c);
        } else if (c < 0x80) {
          out.push_back(static_cast<char>(c));
        } else if (size_t n = Utf8Length(s, i); n > 0) {
          out.append(s.data() + i, n);
          i += n - 1;
        } else {
          // Not UTF-8 (binary column data): keep the byte's value, stay valid JSON.
          absl::StrAppendFormat(&out, "\\u%04x", c);
        }
    }
  }
  out.push_back('"');
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
    AppendJsonString(out, s.checksum);
    out.append(",\"origin\":");
    AppendJsonString(out, s.origin);
    absl::StrAppend(&out, ",\"timestamp\":", s.timestamp, ",\"changes\":", s.changes);
    if (s.content) {
      out.append(",\"content\":");
      AppendJsonString(out, *s.content);
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

std::string Alarm::ToJson(uint64_t sequence, bool slack_text) const {
  std::string out = "{";
  if (sequence != 0) absl::StrAppend(&out, "\"sequence\":", sequence, ",");
  absl::StrAppend(&out, "\"kind\":\"", AlarmKindName(kind), "\",\"time\":");
  AppendJsonString(out, absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", time, absl::UTCTimeZone()));
  out.append(",\"source_tag\":");
  AppendJsonString(out, source_tag);
  out.append(",\"target_tag\":");
  AppendJsonString(out, target_tag);
  out.append(",\"from_barrier\":");
  out.append(from_barrier ? absl::StrCat(*from_barrier) : "null");
  out.append(",\"to_barrier\":");
  out.append(to_barrier ? absl::StrCat(*to_barrier) : "null");
  if (!mode.empty()) {
    out.append(",\"mode\":");
    AppendJsonString(out, mode);
  }
  out.append(",\"message\":");
  AppendJsonString(out, message);
  if (waited) absl::StrAppend(&out, ",\"waited_seconds\":", absl::ToDoubleSeconds(*waited));
  if (kind == AlarmKind::kDiff) {
    absl::StrAppend(&out, ",\"total_keys\":", total_keys, ",\"keys\":[");
    for (size_t i = 0; i < keys.size(); ++i) {
      const KeyDiff& k = keys[i];
      if (i > 0) out.push_back(',');
      out.append("{\"key\":");
      AppendJsonString(out, k.key);
      out.append(",\"table\":");
      AppendJsonString(out, k.table);
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
    AppendJsonString(out, Summary());
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

absl::StatusOr<std::unique_ptr<JsonLinesSink>> JsonLinesSink::Open(const std::string& path) {
  if (path == "-") return std::unique_ptr<JsonLinesSink>(new JsonLinesSink(path, stdout));
  std::FILE* f = std::fopen(path.c_str(), "a");
  if (f == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("cannot open alarm log ", path, ": ", std::strerror(errno)));
  }
  return std::unique_ptr<JsonLinesSink>(new JsonLinesSink(path, f));
}

JsonLinesSink::~JsonLinesSink() {
  absl::MutexLock lock(&mu_);
  if (file_ != nullptr && file_ != stdout) std::fclose(file_);
}

void JsonLinesSink::Emit(const Alarm& alarm) {
  absl::MutexLock lock(&mu_);
  if (file_ == nullptr) return;
  std::string line = alarm.ToJson(++sequence_);
  line.push_back('\n');
  std::fwrite(line.data(), 1, line.size(), file_);
  std::fflush(file_);
}

absl::Status JsonLinesSink::Reopen() {
  absl::MutexLock lock(&mu_);
  if (file_ == stdout) return absl::OkStatus();
  std::FILE* f = std::fopen(path_.c_str(), "a");
  if (f == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("cannot reopen alarm log ", path_, ": ", std::strerror(errno)));
  }
  if (file_ != nullptr) std::fclose(file_);
  file_ = f;
  return absl::OkStatus();
}

}  // namespace dcp::checker
