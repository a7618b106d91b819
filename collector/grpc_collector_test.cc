// The gRPC collector over loopback (port 0): both RPCs, rejections that keep the stream up,
// resume after a disconnect in the middle of a batch, backpressure, token auth, TLS, stop.
#include "collector/grpc_collector.h"

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <map>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "collector/grpc_test_util.h"
#include "collector/message_queue.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/dcp.grpc.pb.h"

namespace dcp::collector {
namespace {

using testing::Barrier;
using testing::Payload;

std::unique_ptr<DCPService::Stub> Connect(
    int port,
    std::shared_ptr<grpc::ChannelCredentials> creds = grpc::InsecureChannelCredentials()) {
  return DCPService::NewStub(grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), creds));
}

// A collector that knows only the tag "src".
absl::StatusOr<std::unique_ptr<GrpcCollector>> StartSrc(
    MessageSink* sink, absl::Duration stop_grace = GrpcCollectorOptions().stop_grace) {
  GrpcCollectorOptions options;
  options.tags = {"src"};
  options.stop_grace = stop_grace;
  return GrpcCollector::Start(options, sink);
}

// The origin (wire id) of a delivered change.
std::string Origin(const checker::Change& c) {
  if (const auto* b = std::get_if<checker::Barrier>(&c.body)) return b->origin;
  return std::get<checker::RowChange>(c.body).origin;
}

// Message i of tag "src": the barrier first, then payloads.
Message Numbered(int i) { return i == 1 ? Barrier("src", 1, 1) : Payload("src", "g", "k", "x", i); }

// Waits until `q` holds `n` messages and a message sent after those waits in the collector
// for room.
void WaitUntilFull(const BoundedMessageQueue& q, size_t n) {
  q.AwaitWaitingProducers(1);
  EXPECT_EQ(q.size(), n);
}

std::vector<uint64_t> Drain(BoundedMessageQueue& q, const std::string& tag) {
  std::vector<uint64_t> seqs;
  while (auto m = q.Pop(absl::ZeroDuration())) {
    if (m->tag == tag) seqs.push_back(m->seq);
  }
  return seqs;
}

TEST(GrpcCollector, ProcessAnswersEveryMessageAndSurvivesRejections) {
  BoundedMessageQueue queue(100);
  auto server = StartSrc(&queue);
  ASSERT_TRUE(server.ok()) << server.status();
  ASSERT_GT((*server)->port(), 0);
  auto stub = Connect((*server)->port());
  grpc::ClientContext ctx;
  auto stream = stub->Process(&ctx);
  auto send = [&](const Message& m) {
    EXPECT_TRUE(stream->Write(m));
    Response r;
    EXPECT_TRUE(stream->Read(&r));
    EXPECT_EQ(r.id(), m.id());
    return r;
  };
  EXPECT_EQ(send(Payload("src", "g:1", "1", "INSERT [1]")).code(), CODE_BEFORE_FIRST_BARRIER);
  EXPECT_EQ(send(Barrier("src", 1)).code(), CODE_OK);
  Response unknown = send(Barrier("other", 1));
  EXPECT_EQ(unknown.code(), CODE_UNKNOWN_TAG);
  EXPECT_THAT(unknown.msg(), ::testing::HasSubstr("other"));
  EXPECT_EQ(send(Payload("src", "g:2", "1", "INSERT [1]")).code(), CODE_OK);
  EXPECT_TRUE(stream->WritesDone());
  EXPECT_TRUE(stream->Finish().ok());
  auto got = queue.PopBatch(10, absl::ZeroDuration());
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(Origin(got[0]), "barrier-1");
  EXPECT_EQ(Origin(got[1]), "g:2");
  EXPECT_EQ(std::get<checker::RowChange>(got[1].body).key, "1");
}

TEST(GrpcCollector, BatchRoundTripAndAckedPositions) {
  BoundedMessageQueue queue(1000);
  GrpcCollectorOptions options;
  options.tags = {"src", "dst"};
  auto server = GrpcCollector::Start(options, &queue);
  ASSERT_TRUE(server.ok()) << server.status();
  auto stub = Connect((*server)->port());
  grpc::ClientContext ctx;
  auto stream = stub->ProcessBatch(&ctx);
  MessageBatch batch;
  batch.set_batch_id(42);
  *batch.add_messages() = Barrier("src", 1, 1);
  for (uint64_t i = 2; i <= 100; ++i) {
    *batch.add_messages() = Payload("src", absl::StrCat("g:", i), "k", "INSERT [1]", i);
  }
  *batch.add_messages() = Payload("dst", "g:x", "k", "INSERT [1]");
  ASSERT_TRUE(stream->Write(batch));
  BatchResponse r;
  ASSERT_TRUE(stream->Read(&r));
  EXPECT_EQ(r.batch_id(), 42u);
  EXPECT_EQ(r.accepted(), 100u);
  ASSERT_EQ(r.rejections_size(), 1);
  EXPECT_EQ(r.rejections(0).index(), 100u);
  EXPECT_EQ(r.rejections(0).code(), CODE_BEFORE_FIRST_BARRIER);
  ASSERT_EQ(r.acked_size(), 1);
  EXPECT_EQ(r.acked(0).seq(), 100u);
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());

  grpc::ClientContext ctx2;
  AckedPositionsRequest req;
  AckedPositionsResponse positions;
  ASSERT_TRUE(stub->GetAckedPositions(&ctx2, req, &positions).ok());
  ASSERT_EQ(positions.positions_size(), 2);
  EXPECT_EQ(positions.positions(0).tag(), "src");
  EXPECT_EQ(positions.positions(0).seq(), 100u);
  EXPECT_EQ(positions.positions(1).seq(), 0u);
  std::vector<uint64_t> want;
  for (uint64_t i = 1; i <= 100; ++i) want.push_back(i);
  EXPECT_EQ(Drain(queue, "src"), want);
}

// Holds Put() while closed, honouring cancellation; counts waiting callers.
class GatedSink final : public MessageSink {
 public:
  explicit GatedSink(MessageSink* inner) : inner_(inner) {}
  absl::Status Put(std::vector<checker::Change>& messages,
                   const std::function<bool()>& cancelled) override {
    absl::MutexLock lock(&mu_);
    ++waiting_;
    while (!open_) {
      if (cancelled && cancelled()) {
        --waiting_;
        return absl::CancelledError("cancelled at the gate");
      }
      mu_.AwaitWithTimeout(absl::Condition(&open_), absl::Milliseconds(5));
    }
    --waiting_;
    return inner_->Put(messages, cancelled);
  }
  void SetOpen(bool open) {
    absl::MutexLock lock(&mu_);
    open_ = open;
  }
  void AwaitWaiter() {
    absl::MutexLock lock(&mu_);
    auto one = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return waiting_ > 0; };
    mu_.Await(absl::Condition(&one));
  }
  void AwaitNoWaiter() {
    absl::MutexLock lock(&mu_);
    auto none = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return waiting_ == 0; };
    mu_.Await(absl::Condition(&none));
  }

 private:
  MessageSink* const inner_;
  absl::Mutex mu_;
  bool open_ ABSL_GUARDED_BY(mu_) = true;
  int waiting_ ABSL_GUARDED_BY(mu_) = 0;
};

MessageBatch SeqBatch(const std::string& tag, uint64_t first, uint64_t last) {
  MessageBatch b;
  for (uint64_t i = first; i <= last; ++i) {
    *b.add_messages() = i == 1
                            ? Barrier(tag, 1, 1)
                            : Payload(tag, absl::StrCat("g:", i), absl::StrCat(i), "UPDATE [2]", i);
  }
  return b;
}

TEST(GrpcCollector, DisconnectMidBatchThenResumeLosesAndDuplicatesNothing) {
  BoundedMessageQueue queue(10000);
  GatedSink gate(&queue);
  auto server = StartSrc(&gate);
  ASSERT_TRUE(server.ok()) << server.status();
  auto stub = Connect((*server)->port());
  {
    grpc::ClientContext ctx;
    auto stream = stub->ProcessBatch(&ctx);
    ASSERT_TRUE(stream->Write(SeqBatch("src", 1, 100)));
    BatchResponse r;
    ASSERT_TRUE(stream->Read(&r));
    EXPECT_EQ(r.accepted(), 100u);
    // The second batch reaches the collector but the client goes away while the collector is
    // still delivering it.
    gate.SetOpen(false);
    ASSERT_TRUE(stream->Write(SeqBatch("src", 101, 200)));
    gate.AwaitWaiter();
    ctx.TryCancel();
    EXPECT_FALSE(stream->Finish().ok());
    gate.AwaitNoWaiter();  // the collector gave the batch up
  }
  gate.SetOpen(true);
  // Reconnect: learn the position, then resend, deliberately overlapping what was acked.
  grpc::ClientContext ctx;
  AckedPositionsRequest req;
  req.add_tags("src");
  AckedPositionsResponse positions;
  ASSERT_TRUE(stub->GetAckedPositions(&ctx, req, &positions).ok());
  ASSERT_EQ(positions.positions_size(), 1);
  const uint64_t acked = positions.positions(0).seq();
  EXPECT_EQ(acked, 100u);
  grpc::ClientContext ctx2;
  auto stream = stub->ProcessBatch(&ctx2);
  ASSERT_TRUE(stream->Write(SeqBatch("src", acked - 9, 300)));
  BatchResponse r;
  ASSERT_TRUE(stream->Read(&r));
  EXPECT_EQ(r.accepted(), 200u);
  ASSERT_EQ(r.rejections_size(), 10);
  for (const Rejection& rej : r.rejections()) EXPECT_EQ(rej.code(), CODE_DUPLICATE);
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());
  std::vector<uint64_t> want;
  for (uint64_t i = 1; i <= 300; ++i) want.push_back(i);
  EXPECT_EQ(Drain(queue, "src"), want);
}

TEST(GrpcCollector, SlowConsumerBoundsMemoryAndSlowsThePusher) {
  constexpr size_t kCapacity = 16;
  constexpr int kMessages = 2000;
  BoundedMessageQueue queue(kCapacity, absl::Milliseconds(1));
  auto server = StartSrc(&queue);
  ASSERT_TRUE(server.ok()) << server.status();
  auto stub = Connect((*server)->port());
  grpc::ClientContext ctx;
  auto stream = stub->Process(&ctx);
  std::atomic<int> answered{0};
  std::thread writer([&] {
    for (int i = 1; i <= kMessages; ++i) {
      Message m = i == 1 ? Barrier("src", 1, 1) : Payload("src", absl::StrCat(i), "k", "x", i);
      if (!stream->Write(m)) break;
    }
    stream->WritesDone();
  });
  std::thread reader([&] {
    Response r;
    while (stream->Read(&r)) {
      EXPECT_EQ(r.code(), 0);
      ++answered;
    }
  });
  // Nobody consumes: the queue fills and the collector waits for room with the next
  // message; nothing beyond the capacity is in the queue or acked.
  queue.AwaitWaitingProducers(1);
  EXPECT_EQ(queue.size(), kCapacity);
  EXPECT_LE(answered.load(), static_cast<int>(kCapacity));
  // Now consume: everything arrives, in order.
  std::vector<uint64_t> seqs;
  while (seqs.size() < kMessages) {
    for (checker::Change& m : queue.PopBatch(64, absl::Seconds(10))) seqs.push_back(m.seq);
  }
  writer.join();
  reader.join();
  EXPECT_TRUE(stream->Finish().ok());
  EXPECT_EQ(answered.load(), kMessages);
  for (int i = 0; i < kMessages; ++i) ASSERT_EQ(seqs[i], uint64_t(i + 1));
}

// More blocked Process streams than gRPC has callback threads: the collector still drains.
TEST(GrpcCollector, ManyProcessStreamsBlockedOnAFullQueueAllFinish) {
  constexpr int kStreams = 5, kEach = 400;
  BoundedMessageQueue queue(8, absl::Milliseconds(1));
  GrpcCollectorOptions options;
  for (int c = 0; c < kStreams; ++c) options.tags.push_back(absl::StrCat("t", c));
  auto server = GrpcCollector::Start(options, &queue);
  ASSERT_TRUE(server.ok()) << server.status();
  std::atomic<int> answered{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kStreams; ++c) {
    clients.emplace_back([&, c] {
      auto stub = Connect((*server)->port());
      grpc::ClientContext ctx;
      auto stream = stub->Process(&ctx);
      std::thread reader([&] {
        Response r;
        while (stream->Read(&r)) {
          EXPECT_EQ(r.code(), 0) << r.msg();
          ++answered;
        }
      });
      const std::string tag = absl::StrCat("t", c);
      for (int i = 1; i <= kEach; ++i) {
        if (!stream->Write(i == 1 ? Barrier(tag, 1, 1) : Payload(tag, "g", "k", "x", i))) break;
      }
      stream->WritesDone();
      reader.join();
      EXPECT_TRUE(stream->Finish().ok());
    });
  }
  queue.AwaitWaitingProducers(1);  // the streams are blocked on the full queue
  EXPECT_LE(queue.size(), 8u);
  std::map<std::string, std::vector<uint64_t>> got;
  size_t total = 0;
  while (total < size_t{kStreams * kEach}) {
    auto batch = queue.PopBatch(16, absl::Seconds(20));
    ASSERT_FALSE(batch.empty());
    for (checker::Change& m : batch) got[m.tag].push_back(m.seq);
    total += batch.size();
  }
  for (std::thread& t : clients) t.join();
  EXPECT_EQ(answered.load(), kStreams * kEach);
  std::vector<uint64_t> want;
  for (uint64_t i = 1; i <= kEach; ++i) want.push_back(i);
  for (int c = 0; c < kStreams; ++c) EXPECT_EQ(got[absl::StrCat("t", c)], want);
}

// Waits until the collector counts `n` Process read pauses (the event the tests wait for).
void AwaitReadPauses(const GrpcCollector& server, uint64_t n) {
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (server.stats().process_read_pauses < n) {
    ASSERT_LT(absl::Now(), deadline) << "no read pause";
    absl::SleepFor(absl::Milliseconds(2));
  }
}

// A client that keeps writing but stops reading its answers: the collector stops reading
// its messages once a bounded number of answers wait unsent, and resumes when they drain.
TEST(GrpcCollector, ProcessStopsReadingWhileAnswersAreUnread) {
  constexpr int kMessages = 100000;
  // Answers echo the id: answers as large as they get fill the transport's buffers sooner.
  const std::string long_id(kMaxEchoBytes, 'i');
  BoundedMessageQueue queue(kMessages);
  auto server = StartSrc(&queue);
  ASSERT_TRUE(server.ok()) << server.status();
  auto stub = Connect((*server)->port());
  grpc::ClientContext ctx;
  auto stream = stub->Process(&ctx);
  std::thread writer([&] {
    for (int i = 1; i <= kMessages; ++i) {
      Message m = i == 1 ? Barrier("src", 1, 1) : Payload("src", long_id, "k", "x", i);
      if (!stream->Write(m)) break;
    }
    stream->WritesDone();
  });
  AwaitReadPauses(**server, 1);
  // Paused: the transport holds what the client has not read, the collector the rest of
  // the bounded backlog, and not every message was read.
  EXPECT_LT(queue.size(), size_t{kMessages});
  int answered = 0;
  Response r;
  while (stream->Read(&r)) {
    EXPECT_EQ(r.code(), 0) << r.msg();
    ++answered;
  }
  writer.join();
  EXPECT_TRUE(stream->Finish().ok());
  EXPECT_EQ(answered, kMessages);
  EXPECT_EQ(queue.size(), size_t{kMessages});
}

// The bound on unsent answers counts bytes too: with a budget of one byte every answer
// pauses reading until the transport took it, and everything is still answered in order.
TEST(GrpcCollector, ProcessPausesOnUnsentAnswerBytes) {
  BoundedMessageQueue queue(100);
  GrpcCollectorOptions options;
  options.tags = {"src"};
  options.max_unsent_answer_bytes = 1;
  auto server = GrpcCollector::Start(options, &queue);
  ASSERT_TRUE(server.ok()) << server.status();
  auto stub = Connect((*server)->port());
  grpc::ClientContext ctx;
  auto stream = stub->Process(&ctx);
  for (int i = 1; i <= 20; ++i) ASSERT_TRUE(stream->Write(Numbered(i)));
  stream->WritesDone();
  // 20 answers are far below the count bound (4,096): only the byte bound pauses.
  AwaitReadPauses(**server, 1);
  for (int i = 1; i <= 20; ++i) {
    Response r;
    ASSERT_TRUE(stream->Read(&r));
    EXPECT_EQ(r.code(), 0) << r.msg();
    EXPECT_EQ(r.id(), Numbered(i).id());
  }
  EXPECT_TRUE(stream->Finish().ok());
  EXPECT_EQ(Drain(queue, "src").size(), 20u);
}

TEST(GrpcCollector, AnswersEchoLongIdsShortened) {
  BoundedMessageQueue queue(100);
  auto server = StartSrc(&queue);
  ASSERT_TRUE(server.ok()) << server.status();
  auto stub = Connect((*server)->port());
  const std::string long_id(100000, 'i');
  grpc::ClientContext ctx;
  auto stream = stub->Process(&ctx);
  Message unknown = Barrier("nope", 1);
  unknown.set_id(long_id);
  ASSERT_TRUE(stream->Write(unknown));
  ASSERT_TRUE(stream->Write(Payload("src", long_id, "k", "x")));
  ASSERT_TRUE(stream->Write(Barrier("src", 1)));
  ASSERT_TRUE(stream->Write(Payload("src", long_id, "k", "x")));
  stream->WritesDone();
  std::vector<std::pair<int, std::string>> got;
  Response r;
  while (stream->Read(&r)) got.emplace_back(r.code(), r.id());
  EXPECT_TRUE(stream->Finish().ok());
  const std::string echoed = EchoForAnswer(long_id);
  EXPECT_LE(echoed.size(), kMaxEchoBytes);
  EXPECT_THAT(got, ::testing::ElementsAre(::testing::Pair(CODE_UNKNOWN_TAG, echoed),
                                          ::testing::Pair(CODE_BEFORE_FIRST_BARRIER, echoed),
                                          ::testing::Pair(CODE_OK, "barrier-1"),
                                          ::testing::Pair(CODE_OK, echoed)));
}

// Bytes that are not a dcp.Message end the stream with INVALID_ARGUMENT after the answers to
// the messages before them; nothing after them is read.
TEST(GrpcCollector, MalformedMessageEndsProcessWithInvalidArgument) {
  BoundedMessageQueue queue(100);
  auto server = StartSrc(&queue);
  ASSERT_TRUE(server.ok()) << server.status();
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", (*server)->port()),
                                     grpc::InsecureChannelCredentials());
  const std::string invalid_utf8_id("\x0a\x02\xc3\x28", 4);  // id = C3 28: not UTF-8
  for (const std::string& bad : {std::string("\xff\xff\xff"), invalid_utf8_id}) {
    testing::RawCallResult r = testing::RawCall(
        channel, "/dcp.DCPService/Process",
        {Barrier("src", 1).SerializeAsString(), Barrier("src", 2).SerializeAsString(), bad,
         Barrier("src", 3).SerializeAsString()});
    EXPECT_EQ(r.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(r.status.error_message(),
                ::testing::HasSubstr("request 3 of the stream: not a valid dcp.Message"));
    ASSERT_EQ(r.answers.size(), 2u);
    for (int i = 0; i < 2; ++i) {
      Response answer;
      ASSERT_TRUE(answer.ParseFromString(r.answers[i]));
      EXPECT_EQ(answer.id(), absl::StrCat("barrier-", i + 1));
      EXPECT_EQ(answer.code(), CODE_OK);
    }
  }
  std::vector<std::string> origins;
  while (auto m = queue.Pop(absl::ZeroDuration())) origins.push_back(Origin(*m));
  EXPECT_THAT(origins, ::testing::ElementsAre("barrier-1", "barrier-2", "barrier-1", "barrier-2"));
}

TEST(GrpcCollector, OversizedOrMalformedBatchEndsProcessBatch) {
  BoundedMessageQueue queue(100);
  GrpcCollectorOptions options;
  options.tags = {"src"};
  options.request_limits.max_batch_messages = 10;
  auto server = GrpcCollector::Start(options, &queue);
  ASSERT_TRUE(server.ok()) << server.status();
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", (*server)->port()),
                                     grpc::InsecureChannelCredentials());
  const std::string ten = SeqBatch("src", 1, 10).SerializeAsString();
  const std::string eleven = SeqBatch("src", 11, 21).SerializeAsString();
  testing::RawCallResult r =
      testing::RawCall(channel, "/dcp.DCPService/ProcessBatch", {ten, eleven});
  EXPECT_EQ(r.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(r.status.error_message(),
              ::testing::HasSubstr("request 2 of the stream: more than 10 messages"));
  ASSERT_EQ(r.answers.size(), 1u);
  BatchResponse answer;
  ASSERT_TRUE(answer.ParseFromString(r.answers[0]));
  EXPECT_EQ(answer.accepted(), 10u);
  r = testing::RawCall(channel, "/dcp.DCPService/ProcessBatch", {"\x12\x05\x0a"});
  EXPECT_EQ(r.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(r.status.error_message(),
              ::testing::HasSubstr("request 1 of the stream: not a valid dcp.MessageBatch"));
  EXPECT_TRUE(r.answers.empty());
  std::vector<uint64_t> want;
  for (uint64_t i = 1; i <= 10; ++i) want.push_back(i);
  EXPECT_EQ(Drain(queue, "src"), want);
}

TEST(GrpcCollector, BadAckedPositionsRequestsGetCodesWithDetails) {
  BoundedMessageQueue queue(10);
  GrpcCollectorOptions options;
  options.tags = {"src"};
  options.request_limits.max_requested_tags = 3;
  auto server = GrpcCollector::Start(options, &queue);
  ASSERT_TRUE(server.ok()) << server.status();
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", (*server)->port()),
                                     grpc::InsecureChannelCredentials());
  testing::RawCallResult r =
      testing::RawCall(channel, "/dcp.DCPService/GetAckedPositions", {"\x0a\x05src"});
  EXPECT_EQ(r.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(r.status.error_message(),
              ::testing::HasSubstr("the request: not a valid dcp.AckedPositionsRequest"));
  r = testing::RawCall(channel, "/dcp.DCPService/GetAckedPositions", {});  // no request at all
  EXPECT_EQ(r.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(r.status.error_message(), ::testing::HasSubstr("no AckedPositionsRequest"));
  auto stub = DCPService::NewStub(channel);
  AckedPositionsRequest request;
  for (int i = 0; i < 4; ++i) request.add_tags("src");
  AckedPositionsResponse response;
  grpc::ClientContext ctx;
  grpc::Status s = stub->GetAckedPositions(&ctx, request, &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(s.error_message(), ::testing::HasSubstr("more than 3 tags"));
  request.mutable_tags()->RemoveLast();
  grpc::ClientContext ctx2;
  ASSERT_TRUE(stub->GetAckedPositions(&ctx2, request, &response).ok());
  EXPECT_EQ(response.positions_size(), 3);
}

// A client that cancels its stream midway: what was acknowledged arrived, in order and
// without gaps; the collector keeps serving other streams and stops cleanly.
TEST(GrpcCollector, ProcessClientCancelMidStreamLeavesTheCollectorServing) {
  constexpr int kMessages = 2000;
  BoundedMessageQueue queue(kMessages + 10);
  auto server = StartSrc(&queue);
  ASSERT_TRUE(server.ok()) << server.status();
  auto stub = Connect((*server)->port());
  {
    grpc::ClientContext ctx;
    auto stream = stub->Process(&ctx);
    std::thread writer([&] {
      for (int i = 1; i <= kMessages; ++i) {
        if (!stream->Write(Numbered(i))) break;
      }
    });
    Response r;
    for (int i = 0; i < 10; ++i) {
      ASSERT_TRUE(stream->Read(&r));
      EXPECT_EQ(r.code(), 0) << r.msg();
    }
    ctx.TryCancel();
    writer.join();
    while (stream->Read(&r)) {
    }
    EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::CANCELLED);
  }
  grpc::ClientContext ctx;
  auto stream = stub->Process(&ctx);
  Message next = Payload("src", "after", "k", "x");
  ASSERT_TRUE(stream->Write(next));
  Response r;
  ASSERT_TRUE(stream->Read(&r));
  EXPECT_EQ(r.id(), "after");
  EXPECT_EQ(r.code(), 0) << r.msg();
  EXPECT_TRUE(stream->WritesDone());
  EXPECT_TRUE(stream->Finish().ok());
  (*server)->Stop();
  queue.Close();
  std::vector<uint64_t> got;
  while (auto m = queue.Pop()) {
    if (Origin(*m) != "after") got.push_back(m->seq);
  }
  ASSERT_GE(got.size(), 10u);
  for (size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i], i + 1);
}

// Stop while a Process stream is blocked on a full sink: Stop returns after the grace, the
// blocked message is not delivered, and every acknowledged message was.
TEST(GrpcCollector, StopEndsAProcessStreamBlockedOnAFullQueue) {
  BoundedMessageQueue queue(5, absl::Milliseconds(1));
  auto server = StartSrc(&queue, absl::Milliseconds(100));
  ASSERT_TRUE(server.ok()) << server.status();
  auto stub = Connect((*server)->port());
  grpc::ClientContext ctx;
  auto stream = stub->Process(&ctx);
  std::vector<uint64_t> answered;
  std::thread reader([&] {
    Response r;
    while (stream->Read(&r)) {
      EXPECT_EQ(r.code(), 0) << r.msg();
      answered.push_back(answered.size() + 1);
    }
  });
  for (int i = 1; i <= 20; ++i) {
    if (!stream->Write(Numbered(i))) break;
  }
  WaitUntilFull(queue, 5);
  const absl::Time start = absl::Now();
  (*server)->Stop();
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
  reader.join();
  EXPECT_FALSE(stream->Finish().ok());
  queue.Close();
  const std::vector<uint64_t> got = Drain(queue, "src");
  EXPECT_EQ(got, (std::vector<uint64_t>{1, 2, 3, 4, 5}));
  EXPECT_LE(answered.size(), got.size());
}

// A client that goes away while its message waits for room in a full queue: the collector
// notices, does not deliver that message, and serves the next stream.
TEST(GrpcCollector, ProcessClientCancelWhileBlockedOnAFullQueue) {
  BoundedMessageQueue queue(5, absl::Milliseconds(1));
  auto server = StartSrc(&queue);
  ASSERT_TRUE(server.ok()) << server.status();
  auto stub = Connect((*server)->port());
  {
    grpc::ClientContext ctx;
    auto stream = stub->Process(&ctx);
    for (int i = 1; i <= 7; ++i) ASSERT_TRUE(stream->Write(Numbered(i)));
    WaitUntilFull(queue, 5);  // the 6th message now waits in the collector
    ctx.TryCancel();
    Response r;
    while (stream->Read(&r)) {
    }
    EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::CANCELLED);
  }
  queue.AwaitWaitingProducers(0);  // the collector gave the 6th up
  EXPECT_EQ(Drain(queue, "src"), (std::vector<uint64_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(queue.size(), 0u);  // the 6th was given up, not delivered late
  // The collector still serves streams.
  grpc::ClientContext ctx;
  auto stream = stub->Process(&ctx);
  ASSERT_TRUE(stream->Write(Payload("src", "after", "k", "x", 6)));
  Response r;
  ASSERT_TRUE(stream->Read(&r));
  EXPECT_EQ(r.code(), CODE_OK) << r.msg();
  EXPECT_TRUE(stream->WritesDone());
  EXPECT_TRUE(stream->Finish().ok());
  EXPECT_EQ(Drain(queue, "src"), (std::vector<uint64_t>{6}));
}

TEST(GrpcCollector, TokenIsRequiredWhenConfigured) {
  BoundedMessageQueue queue(100);
  GrpcCollectorOptions options;
  options.tags = {"src"};
  options.token = "s3cret";
  auto server = GrpcCollector::Start(options, &queue);
  ASSERT_TRUE(server.ok()) << server.status();
  auto stub = Connect((*server)->port());
  auto process_status = [&](const char* auth) {
    grpc::ClientContext ctx;
    if (auth != nullptr) ctx.AddMetadata("authorization", auth);
    auto stream = stub->Process(&ctx);
    stream->Write(Barrier("src", 1));
    Response r;
    const bool answered = stream->Read(&r);
    stream->WritesDone();
    grpc::Status s = stream->Finish();
    return std::make_pair(answered, s.error_code());
  };
  EXPECT_EQ(process_status(nullptr), std::make_pair(false, grpc::StatusCode::UNAUTHENTICATED));
  EXPECT_EQ(process_status("Bearer wrong"),
            std::make_pair(false, grpc::StatusCode::UNAUTHENTICATED));
  EXPECT_EQ(process_status("s3cret"), std::make_pair(false, grpc::StatusCode::UNAUTHENTICATED));
  EXPECT_EQ(queue.size(), 0u);
  grpc::ClientContext ctx;
  AckedPositionsResponse positions;
  EXPECT_EQ(stub->GetAckedPositions(&ctx, AckedPositionsRequest(), &positions).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(process_status("Bearer s3cret"), std::make_pair(true, grpc::StatusCode::OK));
  EXPECT_EQ(queue.size(), 1u);
}

TEST(GrpcCollector, TlsRoundTrip) {
  testing::TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  auto cert = testing::MakeSelfSignedCert(dir.path());
  ASSERT_TRUE(cert.ok()) << cert.status();
  BoundedMessageQueue queue(100);
  GrpcCollectorOptions options;
  options.tags = {"src"};
  options.tls = TlsServerFiles{dir.path() + "/cert.pem", dir.path() + "/key.pem"};
  auto server = GrpcCollector::Start(options, &queue);
  ASSERT_TRUE(server.ok()) << server.status();

  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = *cert;
  grpc::ChannelArguments args;
  args.SetSslTargetNameOverride("localhost");
  auto channel = grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", (*server)->port()),
                                           grpc::SslCredentials(ssl), args);
  auto stub = DCPService::NewStub(channel);
  grpc::ClientContext ctx;
  auto stream = stub->Process(&ctx);
  ASSERT_TRUE(stream->Write(Barrier("src", 5)));
  Response r;
  ASSERT_TRUE(stream->Read(&r));
  EXPECT_EQ(r.code(), 0);
  EXPECT_EQ(r.id(), "barrier-5");
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());
  EXPECT_EQ(queue.size(), 1u);

  // A plaintext client gets nowhere.
  auto plain = Connect((*server)->port());
  grpc::ClientContext ctx2;
  ctx2.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
  AckedPositionsResponse positions;
  EXPECT_FALSE(plain->GetAckedPositions(&ctx2, AckedPositionsRequest(), &positions).ok());
}

TEST(GrpcCollector, BadOptionsAreRefused) {
  BoundedMessageQueue queue(1);
  GrpcCollectorOptions no_tags;
  EXPECT_EQ(GrpcCollector::Start(no_tags, &queue).status().code(),
            absl::StatusCode::kInvalidArgument);
  GrpcCollectorOptions bad_tls;
  bad_tls.tags = {"t"};
  bad_tls.tls = TlsServerFiles{"/nonexistent/cert.pem", "/nonexistent/key.pem"};
  EXPECT_EQ(GrpcCollector::Start(bad_tls, &queue).status().code(),
            absl::StatusCode::kInvalidArgument);
  GrpcCollectorOptions bad_addr;
  bad_addr.tags = {"t"};
  bad_addr.listen_address = "256.1.1.1:1";
  EXPECT_EQ(GrpcCollector::Start(bad_addr, &queue).status().code(), absl::StatusCode::kUnavailable);
}

TEST(GrpcCollector, StopEndsOpenProcessStreamsAfterTheGrace) {
  BoundedMessageQueue queue(100);
  auto server = StartSrc(&queue, absl::Milliseconds(100));
  ASSERT_TRUE(server.ok()) << server.status();
  auto stub = Connect((*server)->port());
  grpc::ClientContext ctx;
  auto stream = stub->Process(&ctx);
  ASSERT_TRUE(stream->Write(Barrier("src", 1)));
  Response r;
  ASSERT_TRUE(stream->Read(&r));
  EXPECT_EQ(r.code(), 0);
  // The client keeps its stream open and idle; Stop() returns anyway (else the test times
  // out) and the stream ends with an error.
  (*server)->Stop();
  EXPECT_FALSE(stream->Read(&r));
  EXPECT_FALSE(stream->Finish().ok());
  queue.Close();
  EXPECT_EQ(queue.PopBatch(10).size(), 1u);
  (*server)->Stop();  // idempotent
}

TEST(GrpcCollector, StopDrainsWhatWasAckedAndDoesNotHangOnAFullQueue) {
  BoundedMessageQueue queue(50, absl::Milliseconds(1));
  auto server = StartSrc(&queue, absl::Milliseconds(100));
  ASSERT_TRUE(server.ok()) << server.status();
  auto stub = Connect((*server)->port());
  grpc::ClientContext ctx;
  auto stream = stub->ProcessBatch(&ctx);
  ASSERT_TRUE(stream->Write(SeqBatch("src", 1, 50)));
  BatchResponse r;
  ASSERT_TRUE(stream->Read(&r));
  EXPECT_EQ(r.accepted(), 50u);
  // The queue is full and nobody consumes: this batch blocks in the collector.
  ASSERT_TRUE(stream->Write(SeqBatch("src", 51, 60)));
  queue.AwaitWaitingProducers(1);
  (*server)->Stop();  // returns although a handler was blocked
  EXPECT_FALSE(stream->Read(&r));
  EXPECT_FALSE(stream->Finish().ok());
  queue.Close();
  std::vector<uint64_t> want;
  for (uint64_t i = 1; i <= 50; ++i) want.push_back(i);
  EXPECT_EQ(Drain(queue, "src"), want);
  EXPECT_EQ((*server)->core().AckedPositions({"src"}).at(0).seq(), 50u);
}

}  // namespace
}  // namespace dcp::collector
