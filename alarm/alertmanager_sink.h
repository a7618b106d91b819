// The Alertmanager sink: each alarm POSTed to Alertmanager's v2 API (`<url>/api/v2/alerts`, a
// JSON array of one alert) through an HttpSink (alarm/http_sink.h: queued, spooled, retried,
// dead-lettered).
//
// An alert per divergence. Labels (what Alertmanager groups, deduplicates and routes by):
// alertname (DcpDiff, DcpTimeout, DcpGap, DcpOverflow), kind, severity, instance, source_tag,
// target_tag and incident_key (Alarm::IncidentKey()); empty values are left out. Annotations:
// summary (Alarm::Summary()), description, keys (a Diff's sample), sequence. generatorURL: the
// status URL when configured. startsAt: the alarm's time. endsAt:
//   Recovered            the labels of the Timeout it ends (alertname DcpTimeout, kind timeout,
//                        the Timeout's severity) with startsAt = endsAt = its time: the
//                        Timeout's alert is resolved.
//   Timeout              `timeout_ends_after` (default 24 h) after delivery: active until its
//                        Recovered, and ending by itself if that never comes (dcp stopped).
//   Diff, Gap, Overflow  `ends_after` (default 1 h) after delivery: nothing "recovers" a Diff,
//                        so its alert resolves unless the same divergence is raised again (the
//                        same labels: Alertmanager extends the alert).
// "After delivery": the spooled alert carries endsAt = startsAt + the period, and a delivery
// that comes later (Alertmanager was down) pushes it to the time of delivery + the period, so a
// late alert still arrives active.
//
// Alertmanager answers 400 to an alert it cannot take: a permanent refusal, dead-lettered after
// `max_attempts`; 5xx and no answer are retried. Basic auth: in the URL (user:password@host),
// which is never logged.
#ifndef DCP_ALARM_ALERTMANAGER_SINK_H_
#define DCP_ALARM_ALERTMANAGER_SINK_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "alarm/http_sink.h"

namespace dcp::alarm {

// `<base>/api/v2/alerts` (a trailing "/" dropped; a URL already ending so is kept).
std::string AlertmanagerAlertsUrl(absl::string_view base);

struct AlertmanagerOptions : HttpSinkOptions {
  // `url`: where alerts are POSTed (AlertmanagerAlertsUrl of the configured base).
  absl::Duration ends_after = absl::Hours(1);
  absl::Duration timeout_ends_after = absl::Hours(24);
  SeverityTable severities;  // a Recovered is labelled with its Timeout's severity
  std::string status_url;    // generatorURL; empty: none
};

class AlertmanagerFormat final : public HttpFormat {
 public:
  explicit AlertmanagerFormat(const AlertmanagerOptions& options)
      : ends_after_(options.ends_after),
        timeout_ends_after_(options.timeout_ends_after),
        severities_(options.severities),
        status_url_(options.status_url) {}
  std::string Body(const Alarm& alarm, uint64_t sequence) const override;
  // Moves each alert's endsAt to `now` + its period when that is later.
  std::string RequestBody(const std::string& document, absl::Time now) const override;

 private:
  const absl::Duration ends_after_;
  const absl::Duration timeout_ends_after_;
  const SeverityTable severities_;
  const std::string status_url_;
};

absl::StatusOr<std::unique_ptr<HttpSink>> StartAlertmanagerSink(
    AlertmanagerOptions options, std::unique_ptr<HttpPoster> poster = nullptr);

}  // namespace dcp::alarm

#endif  // DCP_ALARM_ALERTMANAGER_SINK_H_
