#include "alarm/webhook_sink.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace dcp::alarm {

std::string HmacSha256Hex(absl::string_view secret, absl::string_view body) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &len);
  std::string hex;
  for (unsigned int i = 0; i < len; ++i) absl::StrAppendFormat(&hex, "%02x", mac[i]);
  return hex;
}

std::string WebhookFormat::Body(const Alarm& alarm, uint64_t sequence) const {
  return alarm.ToJson(sequence, slack_text_);
}

HttpHeaders WebhookFormat::Headers(const std::string& body, uint64_t sequence) const {
  HttpHeaders headers = {{"Content-Type", "application/json"},
                         {"X-Dcp-Alarm-Sequence", absl::StrCat(sequence)}};
  if (!hmac_secret_.empty()) {
    headers.emplace_back("X-Dcp-Signature", "sha256=" + HmacSha256Hex(hmac_secret_, body));
  }
  return headers;
}

absl::StatusOr<std::unique_ptr<HttpSink>> StartWebhookSink(WebhookOptions options,
                                                           std::unique_ptr<HttpPoster> poster) {
  auto format = std::make_unique<WebhookFormat>(options.hmac_secret, options.slack_text);
  return HttpSink::Start(std::move(options), std::move(format), std::move(poster));
}

}  // namespace dcp::alarm
