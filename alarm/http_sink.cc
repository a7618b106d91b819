#include "alarm/http_sink.h"

#include <curl/curl.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <mutex>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "util/log.h"
#include "util/status_macros.h"
#include "util/url.h"

namespace dcp::alarm {
namespace {

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
size_t DiscardBody(char*, size_t size, size_t n, void*) { return size * n; }

class CurlPoster final : public HttpPoster {
 public:
  CurlPoster() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  }
  absl::StatusOr<int> Post(const std::string& url, const std::string& body,
                           const HttpHeaders& headers, absl::Duration timeout) override {
    std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
    if (!curl) return absl::InternalError("curl_easy_init failed");
    std::unique_ptr<curl_slist, SlistDeleter> list;
    for (const auto& [name, value] : headers) {
      const std::string line = absl::StrCat(name, ": ", value);
      curl_slist* next = curl_slist_append(list.get(), line.c_str());
      if (next == nullptr) return absl::InternalError("curl_slist_append failed");
      list.release();
      list.reset(next);
    }
    CURL* c = curl.get();
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, list.get());
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS,
                     static_cast<long>(std::max<int64_t>(1, absl::ToInt64Milliseconds(timeout))));
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &DiscardBody);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "dcp-alarm/1");
    const CURLcode rc = curl_easy_perform(c);
    // curl's messages may quote the URL; only where it goes is said.
    if (rc == CURLE_OPERATION_TIMEDOUT) {
      return absl::DeadlineExceededError(absl::StrCat("POST to ", UrlForLogs(url), " timed out"));
    }
    if (rc != CURLE_OK) {
      return absl::UnavailableError(
          absl::StrCat("POST to ", UrlForLogs(url), " failed: ", curl_easy_strerror(rc)));
    }
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    return static_cast<int>(code);
  }
};

// A 4xx the receiver will give again for the same document: no retry helps.
bool PermanentRefusal(int code) { return code >= 400 && code < 500 && code != 408 && code != 429; }

}  // namespace

std::unique_ptr<HttpPoster> NewCurlPoster() { return std::make_unique<CurlPoster>(); }

absl::Status HttpSinkOptions::Validate() const {
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
    return absl::InvalidArgumentError("url must start with http:// or https://");
  }
  if (spool_dir.empty()) return absl::InvalidArgumentError("spool directory is empty");
  if (request_timeout <= absl::ZeroDuration() || initial_backoff <= absl::ZeroDuration() ||
      max_backoff < initial_backoff) {
    return absl::InvalidArgumentError("timeouts and backoffs must be positive");
  }
  if (max_attempts < 1 || max_queued < 1) {
    return absl::InvalidArgumentError("max_attempts and max_queued must be at least 1");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<HttpSink>> HttpSink::Start(HttpSinkOptions options,
                                                          std::unique_ptr<HttpFormat> format,
                                                          std::unique_ptr<HttpPoster> poster) {
  RETURN_IF_ERROR(options.Validate());
  ASSIGN_OR_RETURN(auto spool, AlarmSpool::Open(options.spool_dir));
  if (!poster) poster = NewCurlPoster();
  std::unique_ptr<HttpSink> sink(
      new HttpSink(std::move(options), std::move(format), std::move(poster), std::move(spool)));
  {
    absl::MutexLock lock(&sink->mu_);
    sink->outstanding_ = sink->spool_->pending();
  }
  sink->thread_ = std::thread([s = sink.get()] { s->Run(); });
  return sink;
}

HttpSink::HttpSink(HttpSinkOptions options, std::unique_ptr<HttpFormat> format,
                   std::unique_ptr<HttpPoster> poster, std::unique_ptr<AlarmSpool> spool)
    : options_(std::move(options)),
      format_(std::move(format)),
      poster_(std::move(poster)),
      spool_(std::move(spool)) {}

HttpSink::~HttpSink() { Stop(); }

void HttpSink::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return;
    stopped_ = true;
    stop_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void HttpSink::Emit(const Alarm& alarm) {
  absl::MutexLock lock(&mu_);
  ++stats_.emitted;
  if (stopped_ || queue_.size() >= options_.max_queued) {
    ++stats_.errors;
    stats_.last_error = stopped_ ? "alarm emitted after the sink stopped"
                                 : "queue full (the spool cannot keep up): an alarm was dropped";
    DCP_LOG_EVERY_N_SEC(ERROR, 30)
        << "alarm sink " << UrlForLogs(options_.url) << ": " << stats_.last_error;
    return;
  }
  queue_.push_back(alarm);
  ++outstanding_;
}

bool HttpSink::Flush(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return outstanding_ == 0; };
  return mu_.AwaitWithTimeout(absl::Condition(&idle), timeout);
}

SinkStats HttpSink::stats() const {
  absl::MutexLock lock(&mu_);
  SinkStats s = stats_;
  s.pending = outstanding_;
  return s;
}

uint64_t HttpSink::dead_letters() const {
  absl::MutexLock lock(&mu_);
  return dead_letters_;
}

std::deque<Alarm> HttpSink::SpoolAll(std::deque<Alarm> alarms) {
  while (!alarms.empty()) {
    const Alarm& a = alarms.front();
    const uint64_t sequence = a.sequence != 0 ? a.sequence : spool_->next_sequence();
    const std::string body = format_->Body(a, sequence);
    absl::Status s = spool_->Append(body, sequence);
    if (!s.ok()) {
      absl::MutexLock lock(&mu_);
      ++stats_.errors;
      stats_.last_error = std::string(s.message());
      DCP_LOG_EVERY_N_SEC(ERROR, 30)
          << "alarm sink " << UrlForLogs(options_.url)
          << ": cannot spool an alarm, kept in memory and retried: " << s;
      return alarms;
    }
    alarms.pop_front();
  }
  return alarms;
}

void HttpSink::DeadLetter(const AlarmSpool::Entry& entry, const std::string& why) {
  const std::string path = (std::filesystem::path(options_.spool_dir) / "dead-letter.jsonl");
  std::FILE* f = std::fopen(path.c_str(), "a");
  const bool written =
      f != nullptr && std::fprintf(f, "%s\n", entry.body.c_str()) > 0 && std::fflush(f) == 0;
  if (f != nullptr) std::fclose(f);
  DCP_LOG(ERROR) << "alarm sink " << UrlForLogs(options_.url) << ": alarm " << entry.sequence
                 << " refused " << options_.max_attempts << " times (" << why << "); "
                 << (written ? "moved to " + path : "dropped (cannot write " + path + ")");
  absl::MutexLock lock(&mu_);
  ++dead_letters_;
  ++stats_.errors;
  stats_.last_error = absl::StrCat("alarm ", entry.sequence, " refused: ", why);
}

bool HttpSink::SendFront() {
  const AlarmSpool::Entry entry = *spool_->Front();
  const std::string body = format_->RequestBody(entry.body, absl::Now());
  HttpHeaders headers = format_->Headers(body, entry.sequence);
  const bool has_type = std::any_of(headers.begin(), headers.end(), [](const auto& h) {
    return absl::EqualsIgnoreCase(h.first, "Content-Type");
  });
  if (!has_type) headers.emplace_back("Content-Type", "application/json");
  absl::StatusOr<int> code = poster_->Post(options_.url, body, headers, options_.request_timeout);
  const bool ok = code.ok() && *code >= 200 && *code < 300;
  const bool refused = code.ok() && PermanentRefusal(*code);
  const std::string why = code.ok() ? absl::StrCat("HTTP ", *code) : code.status().ToString();
  if (refused && ++front_attempts_ >= options_.max_attempts) DeadLetter(entry, why);
  if (ok || (refused && front_attempts_ >= options_.max_attempts)) {
    front_attempts_ = 0;
    absl::Status s = spool_->Ack();
    absl::MutexLock lock(&mu_);
    if (!s.ok()) {
      ++stats_.errors;
      stats_.last_error = std::string(s.message());
    }
    if (ok) ++stats_.delivered;
    --outstanding_;
    return true;
  }
  absl::MutexLock lock(&mu_);
  ++stats_.failed_attempts;
  stats_.last_error = why;
  DCP_LOG_EVERY_N_SEC(WARNING, 30)
      << "alarm sink " << UrlForLogs(options_.url) << ": delivery of alarm " << entry.sequence
      << " failed (" << why << "), retrying; " << outstanding_ << " pending";
  return false;
}

void HttpSink::Run() {
  // Spooling and sending back off separately: a receiver that is down must not delay making
  // new alarms durable, and a full disk must not stop the delivery of what is spooled.
  struct Retry {
    absl::Duration backoff;
    absl::Time at = absl::InfinitePast();
    void Succeeded(absl::Duration initial) { backoff = initial, at = absl::InfinitePast(); }
    void Failed(absl::Duration max) {
      at = absl::Now() + backoff;
      backoff = std::min(backoff * 2, max);
    }
  };
  Retry spooling{options_.initial_backoff}, sending{options_.initial_backoff};
  std::deque<Alarm> unspooled;
  for (;;) {
    bool stopping;
    {
      absl::MutexLock lock(&mu_);
      auto wake = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stop_ || !queue_.empty(); };
      absl::Time deadline = absl::InfiniteFuture();
      if (!unspooled.empty()) deadline = std::min(deadline, spooling.at);
      if (spool_->pending() > 0) deadline = std::min(deadline, sending.at);
      if (deadline == absl::InfiniteFuture()) {
        mu_.Await(absl::Condition(&wake));
      } else if (deadline > absl::Now()) {
        mu_.AwaitWithTimeout(absl::Condition(&wake), deadline - absl::Now());
      }
      for (Alarm& a : queue_) unspooled.push_back(std::move(a));
      queue_.clear();
      stopping = stop_;
    }
    if (!unspooled.empty() && (stopping || absl::Now() >= spooling.at)) {
      unspooled = SpoolAll(std::move(unspooled));
      if (unspooled.empty()) {
        spooling.Succeeded(options_.initial_backoff);
      } else {
        spooling.Failed(options_.max_backoff);
      }
    }
    if (stopping) return;
    if (spool_->pending() > 0 && absl::Now() >= sending.at) {
      if (SendFront()) {
        sending.Succeeded(options_.initial_backoff);
      } else {
        sending.Failed(options_.max_backoff);
      }
    }
  }
}

}  // namespace dcp::alarm
