// The webhook sink against a real HTTP receiver on 127.0.0.1 (a tiny socket server written
// here), and the spool on its own.
#include "alarm/webhook_sink.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "alarm/test_http_receiver.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dcp::alarm {
namespace {

using ::testing::HasSubstr;
using testing::Receiver;
using testing::Request;

// Wraps the libcurl poster and counts attempts, so a test can wait for failures without
// polling.
class CountingPoster final : public HttpPoster {
 public:
  explicit CountingPoster(absl::Mutex* mu, int* attempts) : mu_(mu), attempts_(attempts) {}
  absl::StatusOr<int> Post(const std::string& url, const std::string& body,
                           const HttpHeaders& headers, absl::Duration timeout) override {
    auto result = inner_->Post(url, body, headers, timeout);
    absl::MutexLock lock(mu_);
    ++*attempts_;
    return result;
  }

 private:
  std::unique_ptr<HttpPoster> inner_ = NewCurlPoster();
  absl::Mutex* mu_;
  int* attempts_;
};

std::string TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = absl::StrCat(base ? base : "/tmp", "/dcp-webhook-test-XXXXXX");
  char* dir = mkdtemp(tmpl.data());
  return dir ? std::string(dir) : std::string();
}

class WebhookTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TempDir();
    ASSERT_FALSE(dir_.empty());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  WebhookOptions Options(const std::string& url) {
    WebhookOptions o;
    o.url = url;
    o.spool_dir = dir_ + "/spool";
    o.initial_backoff = absl::Milliseconds(20);
    o.max_backoff = absl::Milliseconds(100);
    o.request_timeout = absl::Milliseconds(500);
    return o;
  }
  static Alarm Numbered(int i) {
    Alarm a;
    a.kind = AlarmKind::kGap;
    a.time = absl::FromUnixSeconds(1700000000 + i);
    a.source_tag = "src";
    a.target_tag = "dst";
    a.from_barrier = i;
    a.to_barrier = i + 1;
    a.message = absl::StrCat("alarm ", i);
    return a;
  }
  // The "message" of each request body, in order.
  static std::vector<std::string> Messages(const std::vector<Request>& rs) {
    std::vector<std::string> out;
    for (const auto& r : rs) {
      size_t p = r.body.find("\"message\":\"alarm ");
      out.push_back(p == std::string::npos
                        ? r.body
                        : r.body.substr(p + 11, r.body.find('"', p + 11) - p - 11));
    }
    return out;
  }
  static std::vector<std::string> Expected(int from, int to) {
    std::vector<std::string> out;
    for (int i = from; i <= to; ++i) out.push_back(absl::StrCat("alarm ", i));
    return out;
  }
  std::string dir_;
};

TEST_F(WebhookTest, DeliversInOrderWithVerifiableSignature) {
  Receiver receiver;
  ASSERT_TRUE(receiver.ok());
  WebhookOptions o = Options(receiver.url());
  o.hmac_secret = "s3cret";
  o.slack_text = true;
  auto sink = StartWebhookSink(o);
  ASSERT_TRUE(sink.ok()) << sink.status();
  for (int i = 1; i <= 3; ++i) (*sink)->Emit(Numbered(i));
  ASSERT_TRUE((*sink)->Flush(absl::Seconds(20)));
  auto reqs = receiver.accepted();
  EXPECT_EQ(Messages(reqs), Expected(1, 3));
  for (size_t i = 0; i < reqs.size(); ++i) {
    EXPECT_EQ(reqs[i].headers["content-type"], "application/json");
    EXPECT_EQ(reqs[i].headers["x-dcp-alarm-sequence"], absl::StrCat(i + 1));
    EXPECT_EQ(reqs[i].headers["x-dcp-signature"],
              "sha256=" + HmacSha256Hex("s3cret", reqs[i].body));
    EXPECT_NE(reqs[i].headers["x-dcp-signature"], "sha256=" + HmacSha256Hex("other", reqs[i].body));
    EXPECT_THAT(reqs[i].body,
                HasSubstr(absl::StrCat("{\"sequence\":", i + 1, ",\"kind\":\"gap\"")));
    EXPECT_THAT(reqs[i].body, HasSubstr("\"text\":\"GAP src->dst barriers"));
  }
  EXPECT_EQ((*sink)->stats().delivered, 3u);
  EXPECT_EQ((*sink)->stats().delivery_seconds.count, 3u);
}

TEST(Hmac, KnownVector) {
  // RFC 4231 test case 2.
  EXPECT_EQ(HmacSha256Hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST_F(WebhookTest, ReceiverDownThenUpDeliversEveryAlarmOnceInOrder) {
  uint16_t port;
  {
    Receiver probe;  // find a free port, then close it: the receiver is "down"
    port = probe.port();
  }
  absl::Mutex mu;
  int attempts = 0;
  auto sink = StartWebhookSink(Options(absl::StrCat("http://127.0.0.1:", port, "/hook")),
                               std::make_unique<CountingPoster>(&mu, &attempts));
  ASSERT_TRUE(sink.ok()) << sink.status();
  for (int i = 1; i <= 5; ++i) (*sink)->Emit(Numbered(i));
  {
    // Let it fail a few times against the closed port. The poster counts an attempt before
    // the sink records its failure; the sink has recorded the third once a fourth returned.
    absl::MutexLock lock(&mu);
    auto failed_thrice = [&attempts]() { return attempts >= 4; };
    ASSERT_TRUE(mu.AwaitWithTimeout(absl::Condition(&failed_thrice), absl::Seconds(20)));
  }
  EXPECT_GE((*sink)->stats().failed_attempts, 3u);
  EXPECT_EQ((*sink)->stats().pending, 5u);
  Receiver receiver(port);
  ASSERT_TRUE(receiver.ok());
  receiver.set_mode(Receiver::Mode::kFail503);  // up but failing first
  ASSERT_TRUE(receiver.WaitForRequests(2, absl::Seconds(20)));
  receiver.set_mode(Receiver::Mode::kOk);
  ASSERT_TRUE((*sink)->Flush(absl::Seconds(20)));
  EXPECT_EQ(Messages(receiver.accepted()), Expected(1, 5));
}

TEST_F(WebhookTest, RequestTimeoutIsRetried) {
  Receiver receiver;
  receiver.set_mode(Receiver::Mode::kHang);
  WebhookOptions o = Options(receiver.url());
  o.request_timeout = absl::Milliseconds(200);
  auto sink = StartWebhookSink(o);
  ASSERT_TRUE(sink.ok());
  (*sink)->Emit(Numbered(1));
  ASSERT_TRUE(receiver.WaitForRequests(1, absl::Seconds(20)));
  receiver.set_mode(Receiver::Mode::kOk);
  ASSERT_TRUE((*sink)->Flush(absl::Seconds(20)));
  EXPECT_GE((*sink)->stats().failed_attempts, 1u);
  EXPECT_EQ(Messages(receiver.accepted()), Expected(1, 1));
}

TEST_F(WebhookTest, SpooledAlarmsSurviveASinkRestart) {
  uint16_t port;
  {
    Receiver probe;
    port = probe.port();
  }
  const std::string url = absl::StrCat("http://127.0.0.1:", port, "/hook");
  {
    auto sink = StartWebhookSink(Options(url));
    ASSERT_TRUE(sink.ok());
    for (int i = 1; i <= 3; ++i) (*sink)->Emit(Numbered(i));
    EXPECT_EQ((*sink)->stats().pending, 3u);
  }  // dcp stops with the receiver still down
  Receiver receiver(port);
  ASSERT_TRUE(receiver.ok());
  auto sink = StartWebhookSink(Options(url));
  ASSERT_TRUE(sink.ok());
  ASSERT_TRUE((*sink)->Flush(absl::Seconds(20)));
  for (int i = 4; i <= 5; ++i) (*sink)->Emit(Numbered(i));
  ASSERT_TRUE((*sink)->Flush(absl::Seconds(20)));
  auto reqs = receiver.accepted();
  EXPECT_EQ(Messages(reqs), Expected(1, 5));
  for (size_t i = 0; i < reqs.size(); ++i) {
    EXPECT_EQ(reqs[i].headers["x-dcp-alarm-sequence"], absl::StrCat(i + 1));
  }
  // A third start has nothing left to send.
  sink->reset();
  auto again = StartWebhookSink(Options(url));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->stats().pending, 0u);
}

TEST_F(WebhookTest, SpoolCutsATornTailAndKeepsTheRest) {
  const std::string spool_dir = dir_ + "/s";
  {
    auto spool = AlarmSpool::Open(spool_dir);
    ASSERT_TRUE(spool.ok()) << spool.status();
    ASSERT_TRUE((*spool)->Append("one").ok());
    ASSERT_TRUE((*spool)->Append("two").ok());
    ASSERT_TRUE((*spool)->Append("three").ok());
    ASSERT_TRUE((*spool)->Ack().ok());  // "one" delivered
  }
  {
    std::ofstream out(spool_dir + "/alarms.spool", std::ios::binary | std::ios::app);
    out.write("DS\x10\x00", 4);  // a torn record
  }
  auto spool = AlarmSpool::Open(spool_dir);
  ASSERT_TRUE(spool.ok()) << spool.status();
  EXPECT_EQ((*spool)->dropped_corrupt_bytes(), 4u);
  ASSERT_EQ((*spool)->pending(), 2u);
  EXPECT_EQ((*spool)->Front()->body, "two");
  EXPECT_EQ((*spool)->Front()->sequence, 2u);
  EXPECT_EQ((*spool)->next_sequence(), 4u);
  ASSERT_TRUE((*spool)->Append("four").ok());
  ASSERT_TRUE((*spool)->Ack().ok());
  ASSERT_TRUE((*spool)->Ack().ok());
  EXPECT_EQ((*spool)->Front()->body, "four");
}

TEST_F(WebhookTest, SpoolCompactsWhenDrained) {
  const std::string spool_dir = dir_ + "/c";
  auto spool = AlarmSpool::Open(spool_dir, /*compact_bytes=*/10);
  ASSERT_TRUE(spool.ok());
  ASSERT_TRUE((*spool)->Append("a long enough body").ok());
  ASSERT_TRUE((*spool)->Ack().ok());
  EXPECT_EQ(std::filesystem::file_size(spool_dir + "/alarms.spool"), 0u);
  ASSERT_TRUE((*spool)->Append("next").ok());
  spool->reset();
  auto reopened = AlarmSpool::Open(spool_dir, 10);
  ASSERT_TRUE(reopened.ok());
  ASSERT_EQ((*reopened)->pending(), 1u);
  EXPECT_EQ((*reopened)->Front()->body, "next");
  EXPECT_EQ((*reopened)->Front()->sequence, 2u);
}

// A receiver that refuses one alarm for good (413: too large): after 3 attempts it goes to
// the dead-letter file, counted, and the alarms after it are delivered.
TEST_F(WebhookTest, PermanentRefusalIsDeadLetteredAndDoesNotBlockTheNext) {
  Receiver receiver;
  ASSERT_TRUE(receiver.ok());
  receiver.refuse_bodies_with("\"message\":\"alarm 2\"");
  auto sink = StartWebhookSink(Options(receiver.url()));
  ASSERT_TRUE(sink.ok()) << sink.status();
  for (int i = 1; i <= 4; ++i) (*sink)->Emit(Numbered(i));
  ASSERT_TRUE((*sink)->Flush(absl::Seconds(20)));
  EXPECT_EQ(Messages(receiver.accepted()),
            (std::vector<std::string>{"alarm 1", "alarm 3", "alarm 4"}));
  EXPECT_EQ((*sink)->dead_letters(), 1u);
  const SinkStats stats = (*sink)->stats();
  EXPECT_EQ(stats.delivered, 3u);
  EXPECT_EQ(stats.pending, 0u);
  EXPECT_EQ(stats.errors, 1u);
  EXPECT_THAT(stats.last_error, HasSubstr("HTTP 413"));
  size_t refused = 0;
  for (const Request& r : receiver.requests()) refused += Messages({r})[0] == "alarm 2";
  EXPECT_EQ(refused, 3u);
  std::ifstream dead(dir_ + "/spool/dead-letter.jsonl");
  std::string line;
  ASSERT_TRUE(std::getline(dead, line));
  EXPECT_THAT(line, HasSubstr("\"message\":\"alarm 2\""));
}

TEST(WebhookOptions, Validation) {
  WebhookOptions o;
  EXPECT_FALSE(o.Validate().ok());
  o.url = "https://hooks.example/x";
  EXPECT_FALSE(o.Validate().ok());  // no spool directory
  o.url = "ftp://x";
  o.spool_dir = "/tmp/x";
  EXPECT_FALSE(o.Validate().ok());
  o.url = "https://hooks.example/x";
  EXPECT_TRUE(o.Validate().ok());
}

}  // namespace
}  // namespace dcp::alarm
