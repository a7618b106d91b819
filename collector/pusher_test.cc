// The Pusher against a real GrpcCollector over loopback (port 0), directly and through a TCP
// proxy that cuts connections in the middle of batches.
#include "collector/pusher.h"

#include <map>
#include <thread>

#include "absl/strings/str_cat.h"
#include "collector/grpc_collector.h"
#include "collector/grpc_test_util.h"
#include "collector/message_queue.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dcp::collector {
namespace {

using testing::Barrier;
using testing::Payload;

struct Fixture {
  explicit Fixture(std::vector<std::string> tags, std::optional<std::string> token = {},
                   std::optional<TlsServerFiles> tls = {})
      : queue(1 << 20) {
    GrpcCollectorOptions options;
    options.tags = std::move(tags);
    options.token = std::move(token);
    options.tls = std::move(tls);
    auto s = GrpcCollector::Start(options, &queue);
    EXPECT_TRUE(s.ok()) << s.status();
    if (s.ok()) server = std::move(*s);
  }
  // Every message received so far, per tag, as seqs in arrival order.
  std::map<std::string, std::vector<uint64_t>> Received() {
    while (auto m = queue.Pop(absl::ZeroDuration())) received[m->tag].push_back(m->seq);
    return received;
  }
  BoundedMessageQueue queue;
  std::unique_ptr<GrpcCollector> server;
  std::map<std::string, std::vector<uint64_t>> received;
};

std::vector<uint64_t> Range(uint64_t first, uint64_t last) {
  std::vector<uint64_t> v;
  for (uint64_t i = first; i <= last; ++i) v.push_back(i);
  return v;
}

PusherOptions Options(int port) {
  PusherOptions o;
  o.target = absl::StrCat("127.0.0.1:", port);
  o.initial_backoff = absl::Milliseconds(5);
  o.max_backoff = absl::Milliseconds(100);
  o.rpc_timeout = absl::Seconds(5);
  return o;
}

Message Row(const std::string& tag, int i) {
  return Payload(tag, absl::StrCat("uuid:", i), absl::StrCat(i),
                 absl::StrCat("INSERT [", i, ",\"", std::string(150, 'x'), "\"]"));
}

TEST(PusherBackoff, DoublesAndCaps) {
  const absl::Duration ms = absl::Milliseconds(1);
  EXPECT_EQ(PusherBackoff(1, 10 * ms, 100 * ms), 10 * ms);
  EXPECT_EQ(PusherBackoff(2, 10 * ms, 100 * ms), 20 * ms);
  EXPECT_EQ(PusherBackoff(4, 10 * ms, 100 * ms), 80 * ms);
  EXPECT_EQ(PusherBackoff(5, 10 * ms, 100 * ms), 100 * ms);
  EXPECT_EQ(PusherBackoff(1000, 10 * ms, 100 * ms), 100 * ms);
}

TEST(Pusher, BatchesEverythingInOrderPerTag) {
  Fixture f({"src", "dst"});
  PusherOptions o = Options(f.server->port());
  o.max_batch_messages = 64;
  o.max_in_flight_batches = 3;
  auto pusher = Pusher::Create(o);
  ASSERT_TRUE(pusher.ok()) << pusher.status();
  for (const char* tag : {"src", "dst"}) ASSERT_TRUE((*pusher)->Push(Barrier(tag, 1)).ok());
  for (int i = 1; i <= 3000; ++i) {
    ASSERT_TRUE((*pusher)->Push(Row(i % 3 == 0 ? "dst" : "src", i)).ok());
  }
  ASSERT_TRUE((*pusher)->Flush().ok());
  EXPECT_EQ((*pusher)->stats().delivered, 3002u);
  EXPECT_GE((*pusher)->stats().batches_sent, 3002u / 64);
  EXPECT_EQ((*pusher)->stats().reconnects, 0u);
  EXPECT_TRUE((*pusher)->TakeRejections().empty());
  auto got = f.Received();
  EXPECT_EQ(got["src"], Range(1, 2001));
  EXPECT_EQ(got["dst"], Range(1, 1001));
  EXPECT_EQ((*pusher)->AckedPosition("src"), 2001u);
}

TEST(Pusher, ReportsRejectionsAndCarriesOn) {
  Fixture f({"src"});
  auto pusher = Pusher::Create(Options(f.server->port()));
  ASSERT_TRUE(pusher.ok());
  ASSERT_TRUE((*pusher)->Push(Row("src", 1)).ok());       // before the first barrier
  ASSERT_TRUE((*pusher)->Push(Barrier("nope", 1)).ok());  // unknown tag
  ASSERT_TRUE((*pusher)->Push(Barrier("src", 1)).ok());
  ASSERT_TRUE((*pusher)->Push(Row("src", 2)).ok());
  ASSERT_TRUE((*pusher)->Flush().ok());
  auto rejections = (*pusher)->TakeRejections();
  ASSERT_EQ(rejections.size(), 2u);
  EXPECT_EQ(rejections[0].code, CODE_BEFORE_FIRST_BARRIER);
  EXPECT_EQ(rejections[0].id, "uuid:1");
  EXPECT_EQ(rejections[0].seq, 1u);
  EXPECT_EQ(rejections[1].code, CODE_UNKNOWN_TAG);
  EXPECT_EQ(rejections[1].tag, "nope");
  EXPECT_EQ((*pusher)->stats().delivered, 2u);
  EXPECT_EQ(f.Received()["src"], Range(2, 3));
}

TEST(Pusher, ResumesAfterConnectionsAreCutMidBatchWithoutLossOrDuplicates) {
  Fixture f({"src", "dst"});
  auto proxy = testing::TcpProxy::Start(f.server->port());
  ASSERT_TRUE(proxy.ok()) << proxy.status();
  PusherOptions o = Options((*proxy)->port());
  o.max_batch_messages = 200;
  auto pusher = Pusher::Create(o);
  ASSERT_TRUE(pusher.ok());
  constexpr int kRows = 20000;
  ASSERT_TRUE((*pusher)->Push(Barrier("src", 1)).ok());
  ASSERT_TRUE((*pusher)->Push(Barrier("dst", 1)).ok());
  // Cut roughly every 300 KB (a batch is ~40 KB), so cuts land inside batches.
  (*proxy)->CutAfter(300000 + 12345);
  int armed = 1;
  for (int i = 1; i <= kRows; ++i) {
    ASSERT_TRUE((*pusher)->Push(Row(i % 2 ? "src" : "dst", i)).ok()) << i;
    if (i % 4000 == 0 && (*proxy)->cuts() == armed && armed < 4) {
      (*proxy)->CutAfter(300000 + 777 * armed);
      ++armed;
    }
  }
  ASSERT_TRUE((*pusher)->Flush().ok());
  EXPECT_GE((*proxy)->cuts(), 2);
  EXPECT_GE((*pusher)->stats().reconnects, 2u);
  auto got = f.Received();
  EXPECT_EQ(got["src"], Range(1, kRows / 2 + 1));
  EXPECT_EQ(got["dst"], Range(1, kRows / 2 + 1));
  EXPECT_EQ((*pusher)->stats().delivered + (*pusher)->stats().acked_at_resume, uint64_t(kRows + 2));
  EXPECT_EQ((*pusher)->stats().duplicates, 0u);
  EXPECT_EQ((*pusher)->stats().rejected, 0u);
}

TEST(Pusher, FreshPusherContinuesTheTagsNumberingAndExplicitSeqsDeduplicate) {
  Fixture f({"src"});
  {
    auto a = Pusher::Create(Options(f.server->port()));
    ASSERT_TRUE(a.ok());
    ASSERT_TRUE((*a)->Push(Barrier("src", 1)).ok());
    for (int i = 1; i <= 9; ++i) ASSERT_TRUE((*a)->Push(Row("src", i)).ok());
    ASSERT_TRUE((*a)->Flush().ok());
  }
  auto b = Pusher::Create(Options(f.server->port()));
  ASSERT_TRUE(b.ok());
  // A restarted source re-sends what it had numbered itself: answered DUPLICATE, not delivered.
  for (uint64_t s = 6; s <= 10; ++s) {
    Message m = Row("src", static_cast<int>(s));
    m.set_seq(s);
    ASSERT_TRUE((*b)->Push(m).ok());
  }
  for (int i = 0; i < 5; ++i) ASSERT_TRUE((*b)->Push(Row("src", 100 + i)).ok());
  ASSERT_TRUE((*b)->Flush().ok());
  EXPECT_EQ((*b)->stats().duplicates, 5u);
  EXPECT_EQ((*b)->stats().delivered, 5u);
  EXPECT_EQ(f.Received()["src"], Range(1, 15));
}

TEST(Pusher, WrongTokenFailsWithoutRetryingAndRightTokenWorks) {
  Fixture f({"src"}, std::string("tok"));
  PusherOptions o = Options(f.server->port());
  o.token = "bad";
  auto bad = Pusher::Create(o);
  ASSERT_TRUE(bad.ok());
  EXPECT_EQ((*bad)->Push(Barrier("src", 1)).code(), absl::StatusCode::kUnauthenticated);
  o.token = "tok";
  auto good = Pusher::Create(o);
  ASSERT_TRUE(good.ok());
  ASSERT_TRUE((*good)->Push(Barrier("src", 1)).ok());
  ASSERT_TRUE((*good)->Flush().ok());
  EXPECT_EQ(f.Received()["src"], Range(1, 1));
}

TEST(Pusher, TlsRoundTrip) {
  testing::TempDir dir;
  auto cert = testing::MakeSelfSignedCert(dir.path());
  ASSERT_TRUE(cert.ok()) << cert.status();
  Fixture f({"src"}, std::nullopt,
            TlsServerFiles{dir.path() + "/cert.pem", dir.path() + "/key.pem"});
  PusherOptions o = Options(f.server->port());
  o.tls_root_certs_pem = *cert;
  o.tls_server_name = "localhost";
  auto pusher = Pusher::Create(o);
  ASSERT_TRUE(pusher.ok());
  ASSERT_TRUE((*pusher)->Push(Barrier("src", 1)).ok());
  ASSERT_TRUE((*pusher)->Push(Row("src", 1)).ok());
  ASSERT_TRUE((*pusher)->Flush().ok());
  EXPECT_EQ(f.Received()["src"], Range(1, 2));
}

TEST(Pusher, GivesUpAfterBoundedRetriesAndKeepsTheMessages) {
  // A port with nothing behind it: start a collector, note its port, stop it.
  int port;
  {
    Fixture f({"src"});
    port = f.server->port();
  }
  PusherOptions o = Options(port);
  o.max_consecutive_failures = 2;
  o.rpc_timeout = absl::Milliseconds(200);
  auto pusher = Pusher::Create(o);
  ASSERT_TRUE(pusher.ok());
  absl::Status s = (*pusher)->Push(Barrier("src", 1));
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_THAT(std::string(s.message()), ::testing::HasSubstr("giving up"));
}

TEST(Pusher, BadOptions) {
  EXPECT_EQ(Pusher::Create(PusherOptions()).status().code(), absl::StatusCode::kInvalidArgument);
  PusherOptions o = Options(1);
  o.max_batch_messages = 0;
  EXPECT_EQ(Pusher::Create(o).status().code(), absl::StatusCode::kInvalidArgument);
  auto p = Pusher::Create(Options(1));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ((*p)->Push(Message()).code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace dcp::collector
