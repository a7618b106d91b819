// WebhookSink: delivers alarms as HTTP POSTs of their JSON document (docs/alarms.md).
//
// Emit() appends the document to an on-disk AlarmSpool (durable before it returns) and wakes
// a sender thread, which POSTs the oldest undelivered document until the receiver answers
// 2xx, then the next: every alarm is delivered in order, once (see alarm_spool.h for the one
// crash window, covered by the `sequence` field). Failures (connection refused, timeout,
// non-2xx) are retried with exponential backoff from `initial_backoff` up to `max_backoff`,
// logged at most once per 30 s. Alarms spooled before a restart are sent by the next sink
// opened on the same directory.
//
// Headers: Content-Type: application/json; X-Dcp-Alarm-Sequence: <n>; and with a secret,
// X-Dcp-Signature: sha256=<hex HMAC-SHA256 of the body with the secret>.
//
// Thread-safe. The secret is never logged.
#ifndef DCP_CHECKER_WEBHOOK_H_
#define DCP_CHECKER_WEBHOOK_H_

#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "checker/alarm.h"
#include "checker/alarm_spool.h"

namespace dcp::checker {

// Sends one HTTP POST. Implementations are thread-compatible (the sink uses one thread).
class HttpPoster {
 public:
  virtual ~HttpPoster() = default;
  // Returns the HTTP status code, or kUnavailable/kDeadlineExceeded when no answer came.
  virtual absl::StatusOr<int> Post(const std::string& url, const std::string& body,
                                   const std::vector<std::pair<std::string, std::string>>& headers,
                                   absl::Duration timeout) = 0;
};

// libcurl's easy interface (owned per call).
std::unique_ptr<HttpPoster> NewCurlPoster();

// Lowercase hex HMAC-SHA256 of `body` keyed with `secret`.
std::string HmacSha256Hex(absl::string_view secret, absl::string_view body);

struct WebhookOptions {
  std::string url;
  std::string spool_dir;    // required
  std::string hmac_secret;  // empty: no signature header
  bool slack_text = false;  // add a Slack-compatible "text" field
  absl::Duration request_timeout = absl::Seconds(5);
  absl::Duration initial_backoff = absl::Milliseconds(500);
  absl::Duration max_backoff = absl::Seconds(60);

  absl::Status Validate() const;  // kInvalidArgument
};

class WebhookSink final : public AlarmSink {
 public:
  struct Stats {
    uint64_t delivered = 0;
    uint64_t failed_attempts = 0;
    uint64_t pending = 0;
    uint64_t spool_errors = 0;
  };

  // Opens the spool and starts the sender. `poster` defaults to libcurl.
  static absl::StatusOr<std::unique_ptr<WebhookSink>> Start(
      WebhookOptions options, std::unique_ptr<HttpPoster> poster = nullptr);
  // Stops the sender; undelivered alarms stay in the spool.
  ~WebhookSink() override;

  void Emit(const Alarm& alarm) override;
  // Stops the sender thread (idempotent); a request in flight is finished first.
  void Stop();
  // Waits until nothing is pending; false on timeout.
  bool WaitIdle(absl::Duration timeout);
  Stats stats() const;

 private:
  WebhookSink(WebhookOptions options, std::unique_ptr<HttpPoster> poster,
              std::unique_ptr<AlarmSpool> spool);
  void Run();

  const WebhookOptions options_;
  std::unique_ptr<HttpPoster> poster_;
  mutable absl::Mutex mu_;
  std::unique_ptr<AlarmSpool> spool_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  Stats stats_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace dcp::checker

#endif  // DCP_CHECKER_WEBHOOK_H_
