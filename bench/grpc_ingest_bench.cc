// Loopback ingest into the gRPC collector's queue, in one process and one run:
//   process-lockstep         gravity's client: Process, send one message, wait for its answer
//   process-pipelined        the per-message reference: Process, one message per request,
//                            one stream driven from one thread by the async CompletionQueue
//                            API (one Write and one Read always outstanding); writes carry
//                            buffer_hint except every 16th, so the transport may coalesce
//   process-pipelined-nocork the same without buffer_hint: every request is flushed
//   process-2-threads        the same stream with the sync API, a writer and a reader thread
//                            (the reference until 2026-11-22, then named process-pipelined)
//   process-callback         the same stream driven by gRPC's callback API
//   process-4-streams        four process-pipelined streams (four pushers, four tags) at once
//   batch-raw                ProcessBatch with 1000-message batches, raw stub
//   batch-pusher             the same through dcp::collector::Pusher (numbering, resume
//                            bookkeeping, 8 batches in flight)
// Messages carry ~200-byte payloads. A consumer thread drains the queue; the clock stops
// when it has received every message. Prints msg/s per mode and the ratios to
// process-pipelined (the per-message reference).
//
//   build/bin/grpc_ingest_bench [--messages N] [--lockstep-messages N] [--only MODE] [--runs N]
// With --runs N, N rounds of every mode in turn; the table shows each mode's best run.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "collector/grpc_collector.h"
#include "collector/message_queue.h"
#include "collector/pusher.h"
#include "proto/dcp.grpc.pb.h"

namespace dcp::collector {
namespace {

Message MakeMessage(uint64_t i) {
  Message m;
  m.set_tag("src");
  if (i == 0) {
    m.set_id("barrier-1");
    m.set_barrier(1);
    return m;
  }
  m.set_id(absl::StrCat("3e11fa47-71ca-11e1-9e33-c80aa9429562:", i));
  m.set_timestamp(1700000000 + i / 1000);
  m.mutable_payload()->set_id(absl::StrCat("shop.orders:", i));
  // 'UPDATE' + JSON row: about 200 bytes of content.
  m.mutable_payload()->set_content(absl::StrCat("UPDATE [", i, ",\"customer-", i % 977,
                                                "\",\"2026-11-21 10:00:00\",\"19.99\",\"",
                                                std::string(140, 'p'), "\"]"));
  m.set_checksum("9e107d9d372bb6826bd81d3542a419d6");
  return m;
}

struct Result {
  std::string mode;
  uint64_t messages = 0;
  double seconds = 0;
  double rate() const { return messages / seconds; }
};

// Starts a collector with a draining consumer, runs `client`, waits until the consumer has
// received `n` messages.
template <typename Client>
Result Run(const std::string& mode, uint64_t n, Client client) {
  BoundedMessageQueue queue(100000);
  GrpcCollectorOptions options;
  options.tags = {"src", "src0", "src1", "src2", "src3"};
  auto server = GrpcCollector::Start(options, &queue);
  if (!server.ok()) {
    std::fprintf(stderr, "%s\n", server.status().ToString().c_str());
    std::exit(1);
  }
  std::atomic<uint64_t> received{0};
  std::thread consumer([&] {
    while (received.load() < n) {
      auto batch = queue.PopBatch(4096, absl::Seconds(30));
      if (batch.empty()) break;
      received += batch.size();
    }
  });
  const std::string target = absl::StrCat("127.0.0.1:", (*server)->port());
  const absl::Time start = absl::Now();
  client(target, n);
  consumer.join();
  const absl::Duration took = absl::Now() - start;
  if (received.load() != n) {
    std::fprintf(stderr, "%s: received %llu of %llu\n", mode.c_str(),
                 static_cast<unsigned long long>(received.load()),
                 static_cast<unsigned long long>(n));
    std::exit(1);
  }
  (*server)->Stop();
  return Result{mode, n, absl::ToDoubleSeconds(took)};
}

void ProcessLockstep(const std::string& target, uint64_t n) {
  auto stub = DCPService::NewStub(grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  auto stream = stub->Process(&ctx);
  Response r;
  for (uint64_t i = 0; i < n; ++i) {
    if (!stream->Write(MakeMessage(i)) || !stream->Read(&r) || r.code() != 0) std::exit(2);
  }
  stream->WritesDone();
  if (!stream->Finish().ok()) std::exit(2);
}

void ProcessTwoThreads(const std::string& target, uint64_t n) {
  auto stub = DCPService::NewStub(grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  auto stream = stub->Process(&ctx);
  std::thread reader([&] {
    Response r;
    uint64_t answered = 0;
    while (stream->Read(&r)) {
      if (r.code() != 0) std::exit(2);
      ++answered;
    }
    if (answered != n) std::exit(2);
  });
  for (uint64_t i = 0; i < n; ++i) {
    if (!stream->Write(MakeMessage(i))) std::exit(2);
  }
  stream->WritesDone();
  reader.join();
  if (!stream->Finish().ok()) std::exit(2);
}

// The same one-message-per-request stream, driven by gRPC's callback API: the next write
// starts from the previous write's completion, without waking a user thread per message.
class CallbackProcessClient final : public grpc::ClientBidiReactor<Message, Response> {
 public:
  CallbackProcessClient(DCPService::Stub* stub, uint64_t n) : n_(n) {
    stub->async()->Process(&ctx_, this);
    StartRead(&response_);
    next_ = MakeMessage(0);
    StartWrite(&next_);
    StartCall();
  }
  void OnWriteDone(bool ok) override {
    if (!ok) return;
    if (++sent_ < n_) {
      next_ = MakeMessage(sent_);
      StartWrite(&next_);
    } else {
      StartWritesDone();
    }
  }
  void OnReadDone(bool ok) override {
    if (!ok) return;
    if (response_.code() != 0) std::exit(2);
    ++answered_;
    StartRead(&response_);
  }
  void OnDone(const grpc::Status& s) override {
    absl::MutexLock lock(&mu_);
    ok_ = s.ok() && answered_ == n_;
    done_ = true;
  }
  bool Await() {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(&done_));
    return ok_;
  }

 private:
  const uint64_t n_;
  grpc::ClientContext ctx_;
  Message next_;
  Response response_;
  uint64_t sent_ = 0;
  uint64_t answered_ = 0;
  absl::Mutex mu_;
  bool done_ = false;
  bool ok_ = false;
};

void ProcessCallback(const std::string& target, uint64_t n) {
  auto stub = DCPService::NewStub(grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
  CallbackProcessClient client(stub.get(), n);
  if (!client.Await()) std::exit(2);
}

// The same one-message-per-request stream driven by the async CompletionQueue API from one
// thread: one Write and one Read are always outstanding, and this thread handles both
// completions itself (it polls the connection in cq.Next), so no completion wakes another
// thread. With `cork`, writes other than every kCorkEvery-th carry buffer_hint, letting
// the transport coalesce them into fewer frames and syscalls. `channel` > 0 makes a channel
// (and so a connection) of its own; `tag` replaces the messages' tag when not empty.
void ProcessAsyncCq(const std::string& target, uint64_t n, bool cork, int channel = 0,
                    const std::string& message_tag = "") {
  constexpr uint64_t kCorkEvery = 16;
  grpc::ChannelArguments args;
  if (channel > 0) args.SetInt("dcp.bench.channel", channel);
  auto stub = DCPService::NewStub(
      grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args));
  grpc::CompletionQueue cq;
  grpc::ClientContext ctx;
  enum Op : intptr_t { kStart = 1, kWrite, kRead, kWritesDone, kFinish };
  const auto tag = [](Op op) { return reinterpret_cast<void*>(static_cast<intptr_t>(op)); };
  auto stream = stub->PrepareAsyncProcess(&ctx, &cq);
  stream->StartCall(tag(kStart));
  Message next;
  Response response;
  grpc::Status status;
  uint64_t sent = 0, answered = 0;
  const auto write_next = [&] {
    next = MakeMessage(sent);
    if (!message_tag.empty()) next.set_tag(message_tag);
    grpc::WriteOptions options;
    if (cork && sent + 1 < n && (sent + 1) % kCorkEvery != 0) options.set_buffer_hint();
    stream->Write(next, options, tag(kWrite));
  };
  bool finished = false;
  void* got;
  bool ok;
  while (!finished && cq.Next(&got, &ok)) {
    switch (static_cast<Op>(reinterpret_cast<intptr_t>(got))) {
      case kStart:
        if (!ok) std::exit(2);
        stream->Read(&response, tag(kRead));
        write_next();
        break;
      case kWrite:
        if (!ok) std::exit(2);
        if (++sent < n) {
          write_next();
        } else {
          stream->WritesDone(tag(kWritesDone));
        }
        break;
      case kRead:
        if (ok) {
          if (response.code() != 0) std::exit(2);
          ++answered;
          stream->Read(&response, tag(kRead));
        } else {
          stream->Finish(&status, tag(kFinish));
        }
        break;
      case kWritesDone:
        break;
      case kFinish:
        finished = true;
        break;
    }
  }
  if (!finished || !status.ok() || answered != n) std::exit(2);
  cq.Shutdown();
  while (cq.Next(&got, &ok)) {
  }
}

void ProcessPipelined(const std::string& target, uint64_t n) { ProcessAsyncCq(target, n, true); }
void ProcessPipelinedNoCork(const std::string& target, uint64_t n) {
  ProcessAsyncCq(target, n, false);
}

// Four gravity-style pushers at once, each a process-pipelined stream on its own channel,
// thread and tag, as when several collectors feed one checker.
void ProcessFourStreams(const std::string& target, uint64_t n) {
  std::vector<std::thread> clients;
  for (int c = 0; c < 4; ++c) {
    const uint64_t mine = n / 4 + (c < static_cast<int>(n % 4) ? 1 : 0);
    clients.emplace_back(
        [&target, mine, c] { ProcessAsyncCq(target, mine, true, c + 1, absl::StrCat("src", c)); });
  }
  for (std::thread& t : clients) t.join();
}

void BatchRaw(const std::string& target, uint64_t n) {
  constexpr uint64_t kBatch = 1000;
  auto stub = DCPService::NewStub(grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  auto stream = stub->ProcessBatch(&ctx);
  std::thread reader([&] {
    BatchResponse r;
    while (stream->Read(&r)) {
      if (r.rejections_size() != 0) std::exit(2);
    }
  });
  MessageBatch batch;
  for (uint64_t i = 0; i < n; ++i) {
    *batch.add_messages() = MakeMessage(i);
    if (batch.messages_size() == kBatch || i + 1 == n) {
      if (!stream->Write(batch)) std::exit(2);
      batch.Clear();
    }
  }
  stream->WritesDone();
  reader.join();
  if (!stream->Finish().ok()) std::exit(2);
}

void BatchPusher(const std::string& target, uint64_t n) {
  PusherOptions o;
  o.target = target;
  auto pusher = Pusher::Create(o);
  if (!pusher.ok()) std::exit(2);
  for (uint64_t i = 0; i < n; ++i) {
    if (!(*pusher)->Push(MakeMessage(i)).ok()) std::exit(2);
  }
  if (!(*pusher)->Flush().ok() || (*pusher)->stats().rejected != 0) std::exit(2);
}

}  // namespace
}  // namespace dcp::collector

int main(int argc, char** argv) {
  using namespace dcp::collector;
  // Debian's Abseil keeps Mutex deadlock detection on; it is a debugging aid, not production.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  uint64_t n = 1000000, lockstep_n = 20000;
  std::string only;  // --only MODE: just that mode (ratios then relative to nothing: 0)
  int runs = 1;      // --runs N: N rounds of every mode in turn; each mode's best run counts
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--messages") == 0) n = std::strtoull(argv[i + 1], nullptr, 10);
    if (std::strcmp(argv[i], "--only") == 0) only = argv[i + 1];
    if (std::strcmp(argv[i], "--runs") == 0) runs = std::max(1, std::atoi(argv[i + 1]));
    if (std::strcmp(argv[i], "--lockstep-messages") == 0) {
      lockstep_n = std::strtoull(argv[i + 1], nullptr, 10);
    }
  }
  std::printf("payload content %zu bytes, serialized message %zu bytes\n",
              MakeMessage(1).payload().content().size(), MakeMessage(1).ByteSizeLong());
  struct Mode {
    const char* name;
    uint64_t messages;
    void (*client)(const std::string&, uint64_t);
  };
  const Mode modes[] = {
      {"process-lockstep", lockstep_n, ProcessLockstep},
      {"process-pipelined", n, ProcessPipelined},
      {"process-pipelined-nocork", n, ProcessPipelinedNoCork},
      {"process-2-threads", n, ProcessTwoThreads},
      {"process-callback", n, ProcessCallback},
      {"process-4-streams", n, ProcessFourStreams},
      {"batch-raw", n, BatchRaw},
      {"batch-pusher", n, BatchPusher},
  };
  // Rounds of every mode in turn, so the shared machine's load weighs on all modes alike; it
  // only ever slows a run down, so each mode's fastest run counts.
  std::vector<Result> results;
  for (int round = 0; round < runs; ++round) {
    size_t k = 0;
    for (const Mode& m : modes) {
      if (!only.empty() && only != m.name) continue;
      Result r = Run(m.name, m.messages, m.client);
      std::printf("round %d %-24s %14.0f msg/s\n", round + 1, m.name, r.rate());
      if (k == results.size()) {
        results.push_back(r);
      } else if (r.rate() > results[k].rate()) {
        results[k] = r;
      }
      ++k;
    }
  }
  double reference = 0;
  for (const Result& r : results) {
    if (r.mode == "process-pipelined") reference = r.rate();
  }
  std::printf("%-24s %10s %8s %14s %8s\n", "mode", "messages", "seconds", "msg/s", "ratio");
  for (const Result& r : results) {
    std::printf("%-24s %10llu %8.2f %14.0f %8.2f\n", r.mode.c_str(),
                static_cast<unsigned long long>(r.messages), r.seconds, r.rate(),
                reference > 0 ? r.rate() / reference : 0.0);
  }
  return 0;
}
