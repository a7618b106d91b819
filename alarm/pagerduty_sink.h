// The PagerDuty sink: each alarm sent as an event to PagerDuty's Events API v2 (POST to
// https://events.pagerduty.com/v2/enqueue unless another URL is configured) through an
// HttpSink (alarm/http_sink.h: queued, spooled, retried, dead-lettered).
//
// Every alarm but a Recovered is a "trigger" event. Its dedup_key is the incident key
// (Alarm::IncidentKey(), bounded to PagerDuty's 255 characters by BoundedKey), so a divergence
// raised again joins its open alert. Payload: summary (Alarm::Summary(), at most 1024
// characters), source (the instance; "dcp" when unset), severity (critical, warning or info;
// dcp never sends PagerDuty's "error"), timestamp, class (the kind), group (the source tag),
// component (the target tag), custom_details (the alarm's JSON document, its key sample halved
// until the event fits PagerDuty's 512 KB); with a status URL, client_url and a link to it.
// A Recovered is a "resolve" event with the dedup_key of its Timeout, whose incident it
// resolves. Diff, Gap and Overflow incidents are resolved by people (nothing "recovers" them).
//
// The routing key is a secret: it is added to the body at each attempt (RequestBody), never
// spooled, dead-lettered, logged, or part of an error or ToString. PagerDuty answers 202;
// 400 (an invalid event) is a permanent refusal, dead-lettered after `max_attempts`; 429 (too
// many events) and 5xx are retried with backoff.
#ifndef DCP_ALARM_PAGERDUTY_SINK_H_
#define DCP_ALARM_PAGERDUTY_SINK_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "alarm/http_sink.h"

namespace dcp::alarm {

inline constexpr char kPagerDutyEventsUrl[] = "https://events.pagerduty.com/v2/enqueue";

struct PagerDutyOptions : HttpSinkOptions {
  PagerDutyOptions() { url = kPagerDutyEventsUrl; }
  std::string routing_key;  // required; a secret
  std::string status_url;   // client_url and a link; empty: none
};

class PagerDutyFormat final : public HttpFormat {
 public:
  PagerDutyFormat(std::string routing_key, std::string status_url)
      : routing_key_(std::move(routing_key)), status_url_(std::move(status_url)) {}
  // The event without its routing key.
  std::string Body(const Alarm& alarm, uint64_t sequence) const override;
  // The event with "routing_key" added.
  std::string RequestBody(const std::string& document, absl::Time now) const override;

 private:
  const std::string routing_key_;
  const std::string status_url_;
};

// kInvalidArgument without a routing key.
absl::StatusOr<std::unique_ptr<HttpSink>> StartPagerDutySink(
    PagerDutyOptions options, std::unique_ptr<HttpPoster> poster = nullptr);

}  // namespace dcp::alarm

#endif  // DCP_ALARM_PAGERDUTY_SINK_H_
