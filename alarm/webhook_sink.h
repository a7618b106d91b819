// The generic webhook: each alarm POSTed as its JSON document (docs/alarms.md), through an
// HttpSink (alarm/http_sink.h: queued, spooled, retried, dead-lettered).
//
// Headers: Content-Type: application/json; X-Dcp-Alarm-Sequence: <n>; and with a secret,
// X-Dcp-Signature: sha256=<hex HMAC-SHA256 of the body with the secret>. The secret is never
// logged.
#ifndef DCP_ALARM_WEBHOOK_SINK_H_
#define DCP_ALARM_WEBHOOK_SINK_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "alarm/http_sink.h"

namespace dcp::alarm {

// Lowercase hex HMAC-SHA256 of `body` keyed with `secret`.
std::string HmacSha256Hex(absl::string_view secret, absl::string_view body);

struct WebhookOptions : HttpSinkOptions {
  std::string hmac_secret;  // empty: no signature header
  bool slack_text = false;  // add a Slack-compatible "text" field (Alarm::Summary())
};

// The webhook dialect.
class WebhookFormat final : public HttpFormat {
 public:
  WebhookFormat(std::string hmac_secret, bool slack_text)
      : hmac_secret_(std::move(hmac_secret)), slack_text_(slack_text) {}
  std::string Body(const Alarm& alarm, uint64_t sequence) const override;
  HttpHeaders Headers(const std::string& body, uint64_t sequence) const override;

 private:
  const std::string hmac_secret_;
  const bool slack_text_;
};

absl::StatusOr<std::unique_ptr<HttpSink>> StartWebhookSink(
    WebhookOptions options, std::unique_ptr<HttpPoster> poster = nullptr);

}  // namespace dcp::alarm

#endif  // DCP_ALARM_WEBHOOK_SINK_H_
