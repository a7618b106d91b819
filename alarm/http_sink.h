// HttpSink: delivers alarms to an HTTP receiver, durably and in order, without ever blocking
// the checker. The receiver's dialect (webhook, Alertmanager, PagerDuty, Slack ...) is an
// HttpFormat; the delivery machinery is shared:
//
//   Emit() queues the alarm in memory (bounded) and returns. A sender thread appends queued
//   alarms to an on-disk AlarmSpool (fsync'd; alarm/spool.h) in emission order, then POSTs
//   the oldest undelivered one until the receiver answers 2xx, then the next. Failures
//   (connection refused, timeout, 5xx, 408, 429) are retried with exponential backoff from
//   `initial_backoff` to `max_backoff`, logged at most once per 30 s. A permanent refusal
//   (another 4xx, e.g. 400 or 413) is tried `max_attempts` times, then the document goes to
//   the dead-letter file `<spool_dir>/dead-letter.jsonl` (one document per line), counted, so
//   that one bad alarm does not block every later one. A spool append that fails (a full
//   disk) keeps the alarm queued and is retried with the same backoff.
//   Alarms spooled before a restart are sent by the next sink on the same directory; alarms
//   still queued at Stop() are spooled first.
//
// Thread-safe. URLs and secrets are never logged (util/log.h RedactUrl is used for errors).
#ifndef DCP_ALARM_HTTP_SINK_H_
#define DCP_ALARM_HTTP_SINK_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "alarm/alarm.h"
#include "alarm/spool.h"

namespace dcp::alarm {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// Sends one HTTP POST. Implementations are thread-compatible (a sink uses one thread).
class HttpPoster {
 public:
  virtual ~HttpPoster() = default;
  // Returns the HTTP status code, or kUnavailable/kDeadlineExceeded when no answer came.
  virtual absl::StatusOr<int> Post(const std::string& url, const std::string& body,
                                   const HttpHeaders& headers, absl::Duration timeout) = 0;
};

// libcurl's easy interface (owned per call).
std::unique_ptr<HttpPoster> NewCurlPoster();

// A receiver's dialect: the document for an alarm, and the request that carries it.
class HttpFormat {
 public:
  virtual ~HttpFormat() = default;
  // The document spooled for `alarm`; `sequence` is its delivery number (1, 2, ...). It is
  // also what a refused alarm leaves in the dead-letter file, so it holds no secret.
  virtual std::string Body(const Alarm& alarm, uint64_t sequence) const = 0;
  // The body POSTed for a spooled `document`, built at each attempt (`now`: its time). By
  // default the document itself; a format adds here what must not be spooled (a secret the
  // API wants in the body) or what depends on when the alarm is delivered.
  virtual std::string RequestBody(const std::string& document, absl::Time now) const {
    return document;
  }
  // Headers of the POST of `body` (the request body; Content-Type: application/json is added
  // when absent).
  virtual HttpHeaders Headers(const std::string& body, uint64_t sequence) const { return {}; }
};

struct HttpSinkOptions {
  std::string url;        // http:// or https://
  std::string spool_dir;  // required
  absl::Duration request_timeout = absl::Seconds(5);
  absl::Duration initial_backoff = absl::Milliseconds(500);
  absl::Duration max_backoff = absl::Seconds(60);
  int max_attempts = 3;         // for permanent refusals (4xx but 408/429)
  size_t max_queued = 100'000;  // alarms waiting to be spooled; beyond: dropped, counted

  absl::Status Validate() const;  // kInvalidArgument
};

class HttpSink final : public AlarmSink {
 public:
  // Opens the spool and starts the sender. `poster` defaults to libcurl.
  static absl::StatusOr<std::unique_ptr<HttpSink>> Start(
      HttpSinkOptions options, std::unique_ptr<HttpFormat> format,
      std::unique_ptr<HttpPoster> poster = nullptr);
  ~HttpSink() override;  // Stop()s

  void Emit(const Alarm& alarm) override;
  // Waits until every emitted alarm is delivered (or dead-lettered); false on timeout (they
  // stay queued or spooled).
  bool Flush(absl::Duration timeout) override;
  // Spools what is queued, stops the sender (a request in flight is finished first).
  void Stop() override;
  SinkStats stats() const override;
  // Documents moved to the dead-letter file.
  uint64_t dead_letters() const;

 private:
  HttpSink(HttpSinkOptions options, std::unique_ptr<HttpFormat> format,
           std::unique_ptr<HttpPoster> poster, std::unique_ptr<AlarmSpool> spool);
  void Run();
  // Appends `alarms` to the spool in order; returns those it could not append.
  std::deque<Alarm> SpoolAll(std::deque<Alarm> alarms);
  // POSTs the spool's oldest document. True: delivered or dead-lettered (go on at once).
  bool SendFront();
  void DeadLetter(const AlarmSpool::Entry& entry, const std::string& why);

  const HttpSinkOptions options_;
  const std::unique_ptr<HttpFormat> format_;
  const std::unique_ptr<HttpPoster> poster_;
  // Touched by the sender thread only (and by Stop() after joining it).
  std::unique_ptr<AlarmSpool> spool_;
  int front_attempts_ = 0;  // failed permanent-refusal attempts of the spool's front

  mutable absl::Mutex mu_;
  std::deque<Alarm> queue_ ABSL_GUARDED_BY(mu_);   // emitted, not spooled yet
  uint64_t outstanding_ ABSL_GUARDED_BY(mu_) = 0;  // emitted, not delivered/dead-lettered
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  SinkStats stats_ ABSL_GUARDED_BY(mu_);
  uint64_t dead_letters_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread thread_;
};

}  // namespace dcp::alarm

#endif  // DCP_ALARM_HTTP_SINK_H_
