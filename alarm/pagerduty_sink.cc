#include "alarm/pagerduty_sink.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "alarm/text.h"
#include "util/json.h"

namespace dcp::alarm {
namespace {

// PagerDuty's limits (Events API v2): dedup_key 255 characters, summary 1024, the whole event
// 512 KB. custom_details gets most of that; the rest of the event is small.
constexpr size_t kMaxDedupKeyBytes = 255;
constexpr size_t kMaxSummaryBytes = 1024;
constexpr size_t kMaxDetailsBytes = 480 * 1024;

void Field(absl::string_view name, absl::string_view value, std::string& out) {
  absl::StrAppend(&out, out.back() == '{' ? "" : ",", json::Quote(name), ":", json::Quote(value));
}

// The alarm's document, its key sample halved until it fits.
std::string Details(const Alarm& alarm, uint64_t sequence) {
  std::string details = alarm.ToJson(sequence);
  if (details.size() <= kMaxDetailsBytes) return details;
  Alarm shorter = alarm;
  while (details.size() > kMaxDetailsBytes && !shorter.keys.empty()) {
    shorter.keys.resize(shorter.keys.size() / 2);
    details = shorter.ToJson(sequence);
  }
  return details;
}

}  // namespace

std::string PagerDutyFormat::Body(const Alarm& alarm, uint64_t sequence) const {
  std::string out = "{";
  const bool resolve = alarm.kind == AlarmKind::kRecovered;
  Field("event_action", resolve ? "resolve" : "trigger", out);
  Field("dedup_key", BoundedKey(alarm.IncidentKey(), kMaxDedupKeyBytes), out);
  if (resolve) return out + "}";
  out.append(",\"payload\":{");
  Field("summary", Truncate(alarm.Summary(), kMaxSummaryBytes), out);
  Field("source", alarm.instance.empty() ? "dcp" : alarm.instance, out);
  Field("severity", SeverityName(alarm.EffectiveSeverity()), out);
  Field("timestamp", Rfc3339(alarm.time), out);
  Field("class", AlarmKindName(alarm.kind), out);
  Field("group", alarm.source_tag, out);
  if (!alarm.target_tag.empty()) Field("component", alarm.target_tag, out);
  absl::StrAppend(&out, ",\"custom_details\":", Details(alarm, sequence), "}");
  Field("client", "dcp", out);
  if (!status_url_.empty()) {
    Field("client_url", status_url_, out);
    absl::StrAppend(&out, ",\"links\":[{\"href\":", json::Quote(status_url_),
                    ",\"text\":\"dcp status\"}]");
  }
  out.push_back('}');
  return out;
}

std::string PagerDutyFormat::RequestBody(const std::string& document, absl::Time) const {
  if (document.empty() || document[0] != '{') return document;
  return absl::StrCat("{\"routing_key\":", json::Quote(routing_key_),
                      document.size() > 2 ? "," : "", document.substr(1));
}

absl::StatusOr<std::unique_ptr<HttpSink>> StartPagerDutySink(PagerDutyOptions options,
                                                             std::unique_ptr<HttpPoster> poster) {
  if (options.routing_key.empty()) return absl::InvalidArgumentError("routing key is empty");
  auto format = std::make_unique<PagerDutyFormat>(options.routing_key, options.status_url);
  return HttpSink::Start(std::move(options), std::move(format), std::move(poster));
}

}  // namespace dcp::alarm
