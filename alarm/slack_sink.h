// The Slack sink: each alarm posted as a message to a Slack incoming webhook through an
// HttpSink (alarm/http_sink.h: queued, spooled, retried, dead-lettered).
//
// The message has a "text" fallback (what notifications and old clients show: a severity mark,
// the severity and Alarm::Summary()) and "blocks":
//   header   a severity mark, the kind and the pair ("DIFF src->dst");
//   section  fields: severity, instance, barriers, for a Diff the tables, for a Timeout or
//            Recovered how long the target waited;
//   section  the message, and for a Diff the sample keys (at most 10) with what differs and
//            what each side did last, then how many more;
//   context  the incident key, the alarm's number, and a link to dcp's status page when
//            [alarm] status-url is set.
// Texts are cut to Slack's limits (a header 150 characters, a section 3000, a field 2000) on
// character boundaries and escaped for Slack's mrkdwn (&, <, > as entities), so that a key can
// neither break the message nor mention anyone.
//
// The webhook URL is a secret (its path is the credential): it is logged only as
// scheme://host:port. Slack answers 200; 400 (invalid payload), 403, 404 and 410 (the channel
// or the hook is gone) are permanent refusals, dead-lettered after `max_attempts`; 429 and
// 5xx are retried.
#ifndef DCP_ALARM_SLACK_SINK_H_
#define DCP_ALARM_SLACK_SINK_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "alarm/http_sink.h"

namespace dcp::alarm {

// `text` with &, < and > written as Slack's entities (&amp; &lt; &gt;).
std::string SlackEscape(absl::string_view text);

struct SlackOptions : HttpSinkOptions {
  std::string status_url;  // linked from each message; empty: none
};

class SlackFormat final : public HttpFormat {
 public:
  explicit SlackFormat(std::string status_url) : status_url_(std::move(status_url)) {}
  std::string Body(const Alarm& alarm, uint64_t sequence) const override;

 private:
  const std::string status_url_;
};

absl::StatusOr<std::unique_ptr<HttpSink>> StartSlackSink(
    SlackOptions options, std::unique_ptr<HttpPoster> poster = nullptr);

}  // namespace dcp::alarm

#endif  // DCP_ALARM_SLACK_SINK_H_
