#include "alarm/alertmanager_sink.h"

#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "alarm/text.h"
#include "nlohmann/json.hpp"
#include "util/json.h"

namespace dcp::alarm {
namespace {

// Alertmanager keeps annotations whole and forwards them to every notifier: kept short.
constexpr size_t kMaxSummaryBytes = 1024;
constexpr size_t kMaxKeys = 20;
constexpr size_t kMaxKeyLineBytes = 300;

std::string AlertName(AlarmKind kind) {
  switch (kind) {
    case AlarmKind::kDiff:
      return "DcpDiff";
    case AlarmKind::kTimeout:
    case AlarmKind::kRecovered:  // it resolves the Timeout's alert
      return "DcpTimeout";
    case AlarmKind::kGap:
      return "DcpGap";
    case AlarmKind::kOverflow:
      return "DcpOverflow";
  }
  return "Dcp";
}

// Appends `"name":"value"` to an object being written (a comma first unless it is the first
// member), or nothing when `value` is empty.
void Member(absl::string_view name, absl::string_view value, std::string& out) {
  if (value.empty()) return;
  if (out.back() != '{') out.push_back(',');
  json::AppendString(name, &out);
  out.push_back(':');
  json::AppendString(value, &out);
}

}  // namespace

std::string AlertmanagerAlertsUrl(absl::string_view base) {
  absl::string_view url = base;
  while (absl::ConsumeSuffix(&url, "/")) {
  }
  if (absl::EndsWith(url, "/api/v2/alerts")) return std::string(url);
  return absl::StrCat(url, "/api/v2/alerts");
}

std::string AlertmanagerFormat::Body(const Alarm& alarm, uint64_t sequence) const {
  const bool recovered = alarm.kind == AlarmKind::kRecovered;
  const AlarmKind kind = recovered ? AlarmKind::kTimeout : alarm.kind;
  const Severity severity = recovered ? severities_.For(AlarmKind::kTimeout)
                                      : alarm.severity.value_or(severities_.For(alarm.kind));
  std::string out = "[{\"labels\":{";
  Member("alertname", AlertName(alarm.kind), out);
  Member("kind", AlarmKindName(kind), out);
  Member("severity", SeverityName(severity), out);
  Member("instance", alarm.instance, out);
  Member("source_tag", alarm.source_tag, out);
  Member("target_tag", alarm.target_tag, out);
  Member("incident_key", alarm.IncidentKey(), out);
  out.append("},\"annotations\":{");
  Member("summary", Truncate(alarm.Summary(), kMaxSummaryBytes), out);
  Member("description", Description(alarm), out);
  if (alarm.kind == AlarmKind::kDiff)
    Member("keys", KeyLines(alarm, kMaxKeys, kMaxKeyLineBytes), out);
  if (sequence != 0) Member("sequence", absl::StrCat(sequence), out);
  out.push_back('}');
  const absl::Duration period = recovered                     ? absl::ZeroDuration()
                                : kind == AlarmKind::kTimeout ? timeout_ends_after_
                                                              : ends_after_;
  absl::StrAppend(&out, ",\"startsAt\":\"", Rfc3339(alarm.time), "\",\"endsAt\":\"",
                  Rfc3339(alarm.time + period), "\"");
  if (!status_url_.empty()) {
    out.append(",\"generatorURL\":");
    json::AppendString(status_url_, &out);
  }
  out.append("}]");
  return out;
}

std::string AlertmanagerFormat::RequestBody(const std::string& document, absl::Time now) const {
  nlohmann::json alerts = nlohmann::json::parse(document, nullptr, /*allow_exceptions=*/false);
  if (!alerts.is_array()) return document;  // not ours: Alertmanager will say what is wrong
  bool changed = false;
  for (nlohmann::json& alert : alerts) {
    const auto starts_at = alert.find("startsAt");
    const auto ends_at = alert.find("endsAt");
    if (starts_at == alert.end() || ends_at == alert.end() || !starts_at->is_string() ||
        !ends_at->is_string()) {
      continue;
    }
    absl::Time starts, ends;
    std::string unused;
    if (!absl::ParseTime(absl::RFC3339_full, starts_at->get<std::string>(), &starts, &unused) ||
        !absl::ParseTime(absl::RFC3339_full, ends_at->get<std::string>(), &ends, &unused)) {
      continue;
    }
    // A resolution (endsAt = startsAt) stays as it is; an alert that ends by itself is active
    // for its whole period from now on.
    const absl::Duration period = ends - starts;
    if (period > absl::ZeroDuration() && now + period > ends) {
      *ends_at = Rfc3339(now + period);
      changed = true;
    }
  }
  if (!changed) return document;
  return alerts.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

absl::StatusOr<std::unique_ptr<HttpSink>> StartAlertmanagerSink(
    AlertmanagerOptions options, std::unique_ptr<HttpPoster> poster) {
  if (options.ends_after <= absl::ZeroDuration() ||
      options.timeout_ends_after <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("ends-after and timeout-ends-after must be positive");
  }
  options.url = AlertmanagerAlertsUrl(options.url);
  auto format = std::make_unique<AlertmanagerFormat>(options);
  return HttpSink::Start(std::move(options), std::move(format), std::move(poster));
}

}  // namespace dcp::alarm
