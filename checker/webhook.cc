#include "checker/webhook.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "util/log.h"
#include "util/status_macros.h"

namespace dcp::checker {
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
                           const std::vector<std::pair<std::string, std::string>>& headers,
                           absl::Duration timeout) override {
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
    CURLcode rc = curl_easy_perform(c);
    if (rc == CURLE_OPERATION_TIMEDOUT) {
      return absl::DeadlineExceededError(
          absl::StrCat("webhook timed out: ", curl_easy_strerror(rc)));
    }
    if (rc != CURLE_OK) {
      return absl::UnavailableError(absl::StrCat("webhook POST failed: ", curl_easy_strerror(rc)));
    }
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    return static_cast<int>(code);
  }
};

}  // namespace

std::unique_ptr<HttpPoster> NewCurlPoster() { return std::make_unique<CurlPoster>(); }

std::string HmacSha256Hex(absl::string_view secret, absl::string_view body) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &len);
  std::string hex;
  for (unsigned int i = 0; i < len; ++i) absl::StrAppendFormat(&hex, "%02x", mac[i]);
  return hex;
}

absl::Status WebhookOptions::Validate() const {
  if (url.empty()) return absl::InvalidArgumentError("webhook: url is empty");
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("webhook: url must start with http:// or https://"));
  }
  if (spool_dir.empty()) return absl::InvalidArgumentError("webhook: spool directory is empty");
  if (request_timeout <= absl::ZeroDuration() || initial_backoff <= absl::ZeroDuration() ||
      max_backoff < initial_backoff) {
    return absl::InvalidArgumentError("webhook: timeouts and backoffs must be positive");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<WebhookSink>> WebhookSink::Start(
    WebhookOptions options, std::unique_ptr<HttpPoster> poster) {
  RETURN_IF_ERROR(options.Validate());
  ASSIGN_OR_RETURN(auto spool, AlarmSpool::Open(options.spool_dir));
  if (!poster) poster = NewCurlPoster();
  std::unique_ptr<WebhookSink> sink(
      new WebhookSink(std::move(options), std::move(poster), std::move(spool)));
  sink->thread_ = std::thread([s = sink.get()] { s->Run(); });
  return sink;
}

WebhookSink::WebhookSink(WebhookOptions options, std::unique_ptr<HttpPoster> poster,
                         std::unique_ptr<AlarmSpool> spool)
    : options_(std::move(options)), poster_(std::move(poster)), spool_(std::move(spool)) {}

WebhookSink::~WebhookSink() { Stop(); }

void WebhookSink::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void WebhookSink::Emit(const Alarm& alarm) {
  absl::MutexLock lock(&mu_);
  const std::string body = alarm.ToJson(spool_->next_sequence(), options_.slack_text);
  absl::Status s = spool_->Append(body);
  if (!s.ok()) {
    ++stats_.spool_errors;
    DCP_LOG_EVERY_N_SEC(ERROR, 30) << "alarm not spooled, webhook will miss it: " << s;
  }
}

bool WebhookSink::WaitIdle(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return spool_->pending() == 0; };
  return mu_.AwaitWithTimeout(absl::Condition(&idle), timeout);
}

WebhookSink::Stats WebhookSink::stats() const {
  absl::MutexLock lock(&mu_);
  Stats s = stats_;
  s.pending = spool_->pending();
  return s;
}

void WebhookSink::Run() {
  absl::Duration backoff = options_.initial_backoff;
  while (true) {
    AlarmSpool::Entry entry;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stop_ || spool_->pending() > 0;
      };
      mu_.Await(absl::Condition(&ready));
      if (stop_) return;
      entry = *spool_->Front();
    }
    std::vector<std::pair<std::string, std::string>> headers = {
        {"Content-Type", "application/json"},
        {"X-Dcp-Alarm-Sequence", absl::StrCat(entry.sequence)}};
    if (!options_.hmac_secret.empty()) {
      headers.emplace_back("X-Dcp-Signature",
                           "sha256=" + HmacSha256Hex(options_.hmac_secret, entry.body));
    }
    absl::StatusOr<int> code =
        poster_->Post(options_.url, entry.body, headers, options_.request_timeout);
    absl::MutexLock lock(&mu_);
    if (code.ok() && *code >= 200 && *code < 300) {
      absl::Status s = spool_->Ack();
      if (!s.ok()) {
        ++stats_.spool_errors;
        DCP_LOG_EVERY_N_SEC(ERROR, 30) << "alarm spool ack failed: " << s;
      }
      ++stats_.delivered;
      backoff = options_.initial_backoff;
      continue;
    }
    ++stats_.failed_attempts;
    DCP_LOG_EVERY_N_SEC(WARNING, 30)
        << "webhook delivery of alarm " << entry.sequence << " failed ("
        << (code.ok() ? absl::StrCat("HTTP ", *code) : code.status().ToString())
        << "); retrying in " << absl::FormatDuration(backoff) << ", " << spool_->pending()
        << " pending";
    auto stopping = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stop_; };
    if (mu_.AwaitWithTimeout(absl::Condition(&stopping), backoff)) return;
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
}

}  // namespace dcp::checker
