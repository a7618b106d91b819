#include "collector/grpc_collector.h"

#include <grpcpp/grpcpp.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/support/method_handler.h>
#include <grpcpp/support/proto_buffer_reader.h>

#include <chrono>
#include <deque>
#include <fstream>
#include <sstream>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "proto/dcp.grpc.pb.h"
#include "util/log.h"
#include "util/status_macros.h"

namespace dcp::collector {
namespace {

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("cannot read ", path));
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Compares without an early exit, so that the time taken does not reveal the token.
bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  const size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

grpc::Status ToGrpc(const absl::Status& s) {
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}

// Checks and parses request `index` (1, 2, ...; 0 for a unary call's one request) of a
// stream. The bytes are read here rather than by gRPC because gRPC reports bytes that do not
// parse as the end of the stream (so the client would get OK and no answer), and parses
// before anything could check what parsing costs.
template <typename M>
absl::Status DecodeRequest(grpc::ByteBuffer* bytes, RequestType type, const RequestLimits& limits,
                           uint64_t index, M* message) {
  absl::Status checked;
  {
    grpc::ProtoBufferReader reader(bytes);
    checked = reader.status().ok()
                  ? CheckRequestLimits(type, bytes->Length(), &reader, limits)
                  : absl::InvalidArgumentError("the request's bytes cannot be read");
  }
  if (checked.ok() && !grpc::SerializationTraits<M>::Deserialize(bytes, message).ok()) {
    checked = absl::InvalidArgumentError(
        absl::StrCat("not a valid ", message->GetTypeName(),
                     " (protobuf parsing failed; strings must be UTF-8)"));
  }
  if (checked.ok()) return checked;
  const std::string which =
      index == 0 ? std::string("the request") : absl::StrCat("request ", index, " of the stream");
  return absl::Status(checked.code(), absl::StrCat(which, ": ", checked.message()));
}

// Replaces `*bytes` with `answer`, serialized.
template <typename M>
grpc::Status SerializeAnswer(const M& answer, grpc::ByteBuffer* bytes) {
  bytes->Clear();
  bool own_buffer;
  return grpc::SerializationTraits<M>::Serialize(answer, bytes, &own_buffer);
}

}  // namespace

// Process answers every message, so its cost is per message. It is served with the async
// CompletionQueue API: one dedicated thread takes every completion of the stream from the
// queue, so a read's completion, the ingest and the answer's write happen on that thread
// without a hand-off to another thread per operation (the callback and sync APIs hand each
// completion to a different thread). Reads and writes overlap; answers wait in `unsent_`,
// and reading pauses while too many of them, or too many bytes, are unsent, so a client that
// does not read its answers cannot grow the collector's memory.
class ProcessServer;

// One Process stream. Every method runs on the ProcessServer's one thread, so no lock.
class ProcessCall final {
 public:
  // Asks gRPC for the next Process stream; the object lives until that stream ends (or
  // until the server shuts down before one arrives).
  static void Request(ProcessServer* server);

  // A completion taken from the queue. The tags handed to gRPC point at these.
  struct Op {
    ProcessCall* call;
    void (ProcessCall::*done)(bool ok);
    void Run(bool ok) { (call->*done)(ok); }
  };

 private:
  explicit ProcessCall(ProcessServer* server);
  ~ProcessCall();

  void OnAccepted(bool ok);
  void OnReadDone(bool ok);
  void OnWriteDone(bool ok);
  void OnFinishDone(bool ok);
  void OnCallDone(bool ok);

  void StartRead() { stream_.Read(&in_, &read_op_); }
  void WriteFront();
  void EndReads(grpc::Status status);
  void MaybeFinish();
  void MaybeDelete();

  static constexpr size_t kMaxUnsentAnswers = 4096;

  ProcessServer* const server_;
  grpc::ServerContext context_;
  grpc::ServerAsyncReaderWriter<grpc::ByteBuffer, grpc::ByteBuffer> stream_{&context_};
  Op accept_op_{this, &ProcessCall::OnAccepted};
  Op read_op_{this, &ProcessCall::OnReadDone};
  Op write_op_{this, &ProcessCall::OnWriteDone};
  Op finish_op_{this, &ProcessCall::OnFinishDone};
  Op call_done_op_{this, &ProcessCall::OnCallDone};
  grpc::ByteBuffer in_;                  // the one outstanding read's target
  Message message_;                      // in_, parsed
  uint64_t requests_ = 0;                // read so far
  std::deque<grpc::ByteBuffer> unsent_;  // serialized answers; front is being written
  size_t unsent_bytes_ = 0;
  bool writing_ = false;
  bool write_failed_ = false;
  bool reads_paused_ = false;
  bool reads_done_ = false;
  bool finishing_ = false;    // Finish() started
  bool finish_done_ = false;  // ... and completed
  bool call_done_ = false;    // AsyncNotifyWhenDone's tag arrived
  grpc::Status status_;
};

// Serves Process on one completion queue and one thread. Stop order: BeginStop() (no new
// streams are requested, a handler blocked on a full sink gives up after the grace), the
// gRPC server's Shutdown(), then Stop() (waits for every stream object to go, then shuts the
// queue down and joins the thread).
class ProcessServer {
 public:
  using AsyncService = DCPService::WithRawMethod_Process<DCPService::Service>;

  ProcessServer(IngestCore* core, AsyncService* service, RequestLimits limits,
                size_t max_unsent_answer_bytes,
                std::function<grpc::Status(const grpc::ServerContextBase&)> authenticate,
                std::unique_ptr<grpc::ServerCompletionQueue> cq)
      : core_(core),
        service_(service),
        limits_(limits),
        max_unsent_answer_bytes_(max_unsent_answer_bytes),
        authenticate_(std::move(authenticate)),
        cq_(std::move(cq)) {}

  void Start() {
    ProcessCall::Request(this);
    thread_ = std::thread([this] {
      for (;;) {
        while (!deferred_.empty()) {
          auto [op, ok] = deferred_.front();
          deferred_.pop_front();
          op->Run(ok);
        }
        void* tag;
        bool ok;
        if (!cq_->Next(&tag, &ok)) break;
        static_cast<ProcessCall::Op*>(tag)->Run(ok);
      }
    });
  }

  void BeginStop(absl::Time give_up) {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    give_up_ = give_up;
  }

  void Stop() {
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](int* live) { return *live == 0; }, &live_));
    }
    cq_->Shutdown();
    if (thread_.joinable()) thread_.join();
  }

  IngestCore* core() const { return core_; }
  const RequestLimits& limits() const { return limits_; }
  size_t max_unsent_answer_bytes() const { return max_unsent_answer_bytes_; }
  void CountReadPause() {
    absl::MutexLock lock(&mu_);
    ++read_pauses_;
  }
  uint64_t read_pauses() const {
    absl::MutexLock lock(&mu_);
    return read_pauses_;
  }
  grpc::Status Authenticate(const grpc::ServerContextBase& context) const {
    return authenticate_(context);
  }

  // Registers a new stream object and asks for a stream; false once stopping.
  bool RequestCall(ProcessCall* call, grpc::ServerContext* context,
                   grpc::ServerAsyncReaderWriter<grpc::ByteBuffer, grpc::ByteBuffer>* stream,
                   void* tag) {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return false;
      ++live_;
    }
    service_->RequestProcess(context, stream, cq_.get(), cq_.get(), tag);
    return true;
  }
  void Released() {
    absl::MutexLock lock(&mu_);
    --live_;
  }

  // Polled by a handler blocked on the full sink (on this server's thread): whether it
  // should give up, because the collector is stopping and the grace is over, or because its
  // stream ended (its `done_op` came out of the queue: the client cancelled or went away).
  // Completions taken from the queue meanwhile are run later, in order, by the thread's loop.
  bool ShouldGiveUp(const ProcessCall::Op* done_op) {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_ && absl::Now() >= give_up_) return true;
    }
    bool ended = false;
    void* tag;
    bool ok;
    while (cq_->AsyncNext(&tag, &ok, std::chrono::system_clock::now()) ==
           grpc::CompletionQueue::GOT_EVENT) {
      auto* op = static_cast<ProcessCall::Op*>(tag);
      if (op == done_op) ended = true;
      deferred_.emplace_back(op, ok);
    }
    return ended;
  }

 private:
  IngestCore* const core_;
  AsyncService* const service_;
  const RequestLimits limits_;
  const size_t max_unsent_answer_bytes_;
  const std::function<grpc::Status(const grpc::ServerContextBase&)> authenticate_;
  const std::unique_ptr<grpc::ServerCompletionQueue> cq_;
  std::thread thread_;
  // Completions taken from the queue while a handler was blocked; only the thread touches it.
  std::deque<std::pair<ProcessCall::Op*, bool>> deferred_;
  mutable absl::Mutex mu_;
  int live_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t read_pauses_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time give_up_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
};

void ProcessCall::Request(ProcessServer* server) {
  auto* call = new ProcessCall(server);
  // Must precede the request; the tag then arrives once the stream, if it starts, is over.
  call->context_.AsyncNotifyWhenDone(&call->call_done_op_);
  if (!server->RequestCall(call, &call->context_, &call->stream_, &call->accept_op_)) {
    delete call;
  }
}

ProcessCall::ProcessCall(ProcessServer* server) : server_(server) {}

ProcessCall::~ProcessCall() = default;

void ProcessCall::OnAccepted(bool ok) {
  if (!ok) {  // the server shuts down: no stream, so no done notification either
    ProcessServer* server = server_;
    delete this;
    server->Released();
    return;
  }
  Request(server_);  // the next stream
  if (grpc::Status auth = server_->Authenticate(context_); !auth.ok()) {
    reads_done_ = true;
    status_ = std::move(auth);
    MaybeFinish();
    return;
  }
  StartRead();
}

void ProcessCall::OnReadDone(bool ok) {
  if (!ok) {
    EndReads(grpc::Status::OK);
    return;
  }
  if (write_failed_) {
    // The client no longer takes answers: accepting more would only deliver messages it
    // will resend.
    EndReads(grpc::Status(grpc::StatusCode::CANCELLED, "answers cannot be delivered"));
    return;
  }
  if (absl::Status s =
          DecodeRequest(&in_, RequestType::kMessage, server_->limits(), ++requests_, &message_);
      !s.ok()) {
    EndReads(ToGrpc(s));  // the answers already queued are sent first
    return;
  }
  Response response;
  response.set_id(EchoForAnswer(message_.id()));
  std::vector<Message> one;
  one.push_back(std::move(message_));
  message_.Clear();
  // Only a full sink polls this. The context's IsCancelled() is no help here: on the async
  // API it is valid only once the done notification was taken from the queue, and this
  // thread is the one taking it, so the poll looks into the queue itself.
  absl::StatusOr<BatchResponse> r = server_->core()->Ingest(
      std::move(one), [this] { return server_->ShouldGiveUp(&call_done_op_); });
  if (!r.ok()) {
    EndReads(ToGrpc(r.status()));
    return;
  }
  if (!r->rejections().empty()) {
    response.set_code(r->rejections(0).code());
    response.set_msg(r->rejections(0).msg());
  }
  grpc::ByteBuffer answer;
  if (grpc::Status s = SerializeAnswer(response, &answer); !s.ok()) {
    EndReads(std::move(s));
    return;
  }
  unsent_bytes_ += answer.Length();
  unsent_.emplace_back().Swap(&answer);
  if (!writing_) WriteFront();
  if (unsent_.size() < kMaxUnsentAnswers && unsent_bytes_ < server_->max_unsent_answer_bytes()) {
    StartRead();
  } else {
    reads_paused_ = true;
    server_->CountReadPause();
  }
}

// With more answers queued behind this one, let the transport coalesce them into fewer
// frames and syscalls; the last queued answer is written without the hint, which flushes.
void ProcessCall::WriteFront() {
  writing_ = true;
  grpc::WriteOptions options;
  if (unsent_.size() > 1) options.set_buffer_hint();
  stream_.Write(unsent_.front(), options, &write_op_);
}

void ProcessCall::OnWriteDone(bool ok) {
  writing_ = false;
  unsent_bytes_ -= unsent_.front().Length();
  unsent_.pop_front();
  if (!ok) {
    write_failed_ = true;
    unsent_.clear();
    unsent_bytes_ = 0;
  }
  if (!unsent_.empty()) WriteFront();
  if (reads_paused_ &&
      (write_failed_ || (unsent_.size() < kMaxUnsentAnswers / 2 &&
                         unsent_bytes_ <= server_->max_unsent_answer_bytes() / 2))) {
    reads_paused_ = false;
    StartRead();
  }
  MaybeFinish();
}

void ProcessCall::EndReads(grpc::Status status) {
  reads_done_ = true;
  status_ = std::move(status);
  MaybeFinish();
}

void ProcessCall::MaybeFinish() {
  if (!reads_done_ || writing_ || finishing_) return;
  finishing_ = true;
  stream_.Finish(status_, &finish_op_);
}

void ProcessCall::OnFinishDone(bool /*ok*/) {
  finish_done_ = true;
  MaybeDelete();
}

void ProcessCall::OnCallDone(bool /*ok*/) {
  call_done_ = true;
  MaybeDelete();
}

void ProcessCall::MaybeDelete() {
  if (!finish_done_ || !call_done_) return;
  ProcessServer* server = server_;
  delete this;
  server->Released();
}

// ProcessBatch and GetAckedPositions stay on the sync API but take their requests as bytes
// (see DecodeRequest). The generated code offers raw methods only on the async and callback
// APIs, so their sync handlers are replaced the way its WithStreamedUnaryMethod_ does, with
// ByteBuffer for both message types.
class GrpcCollector::Service final : public ProcessServer::AsyncService {
 public:
  Service(IngestCore* core, RequestLimits limits, std::optional<std::string> token)
      : core_(core), limits_(limits), token_(std::move(token)) {
    MarkMethodStreamed(
        kProcessBatchMethod,
        new grpc::internal::BidiStreamingHandler<Service, grpc::ByteBuffer, grpc::ByteBuffer>(
            [](Service* service, grpc::ServerContext* context,
               grpc::ServerReaderWriter<grpc::ByteBuffer, grpc::ByteBuffer>* stream) {
              return service->ProcessBatchBytes(context, stream);
            },
            this));
    MarkMethodStreamed(
        kGetAckedPositionsMethod,
        new grpc::internal::StreamedUnaryHandler<grpc::ByteBuffer, grpc::ByteBuffer>(
            [this](grpc::ServerContext* context,
                   grpc::ServerUnaryStreamer<grpc::ByteBuffer, grpc::ByteBuffer>* call) {
              return GetAckedPositionsBytes(context, call);
            }));
  }

  grpc::Status ProcessBatchBytes(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<grpc::ByteBuffer, grpc::ByteBuffer>* stream) {
    if (grpc::Status s = Authenticate(*context); !s.ok()) return s;
    const auto cancelled = [context] { return context->IsCancelled(); };
    grpc::ByteBuffer request, answer;
    MessageBatch batch;
    for (uint64_t n = 1; stream->Read(&request); ++n) {
      if (absl::Status s = DecodeRequest(&request, RequestType::kMessageBatch, limits_, n, &batch);
          !s.ok()) {
        return ToGrpc(s);
      }
      std::vector<Message> messages;
      messages.reserve(batch.messages_size());
      for (Message& m : *batch.mutable_messages()) messages.push_back(std::move(m));
      absl::StatusOr<BatchResponse> r = core_->Ingest(std::move(messages), cancelled);
      if (!r.ok()) return ToGrpc(r.status());
      r->set_batch_id(batch.batch_id());
      if (grpc::Status s = SerializeAnswer(*r, &answer); !s.ok()) return s;
      if (!stream->Write(answer)) break;
      batch.Clear();
    }
    return grpc::Status::OK;
  }

  grpc::Status GetAckedPositionsBytes(
      grpc::ServerContext* context,
      grpc::ServerUnaryStreamer<grpc::ByteBuffer, grpc::ByteBuffer>* call) {
    if (grpc::Status s = Authenticate(*context); !s.ok()) return s;
    grpc::ByteBuffer bytes;
    if (!call->Read(&bytes)) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "no AckedPositionsRequest was sent");
    }
    AckedPositionsRequest request;
    if (absl::Status s =
            DecodeRequest(&bytes, RequestType::kAckedPositionsRequest, limits_, 0, &request);
        !s.ok()) {
      return ToGrpc(s);
    }
    std::vector<std::string> tags(request.tags().begin(), request.tags().end());
    AckedPositionsResponse response;
    for (TagPosition& p : core_->AckedPositions(tags)) *response.add_positions() = std::move(p);
    grpc::ByteBuffer answer;
    if (grpc::Status s = SerializeAnswer(response, &answer); !s.ok()) return s;
    call->Write(answer);
    return grpc::Status::OK;
  }

  grpc::Status Authenticate(const grpc::ServerContextBase& context) const {
    if (!token_.has_value()) return grpc::Status::OK;
    const auto& md = context.client_metadata();
    auto it = md.find("authorization");
    if (it == md.end()) {
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "missing authorization metadata");
    }
    const std::string_view got(it->second.data(), it->second.size());
    if (!ConstantTimeEquals(got, absl::StrCat("Bearer ", *token_))) {
      DCP_LOG_EVERY_N_SEC(WARNING, 10)
          << "rejected a call with a wrong token from " << context.peer();
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "wrong token");
    }
    return grpc::Status::OK;
  }

 private:
  // The methods' indexes in DCPService, in proto/dcp.proto's order.
  static constexpr int kProcessBatchMethod = 1;
  static constexpr int kGetAckedPositionsMethod = 2;

  IngestCore* const core_;
  const RequestLimits limits_;
  const std::optional<std::string> token_;
};

absl::StatusOr<std::unique_ptr<GrpcCollector>> GrpcCollector::Start(GrpcCollectorOptions options,
                                                                    MessageSink* sink) {
  if (options.tags.empty()) {
    return absl::InvalidArgumentError("the gRPC collector needs at least one tag");
  }
  if (options.token.has_value() && options.token->empty()) {
    return absl::InvalidArgumentError("the gRPC collector's token is empty");
  }
  std::shared_ptr<grpc::ServerCredentials> creds = grpc::InsecureServerCredentials();
  if (options.tls.has_value()) {
    ASSIGN_OR_RETURN(std::string cert, ReadFile(options.tls->cert_file));
    ASSIGN_OR_RETURN(std::string key, ReadFile(options.tls->key_file));
    grpc::SslServerCredentialsOptions ssl;
    ssl.pem_key_cert_pairs.push_back({std::move(key), std::move(cert)});
    creds = grpc::SslServerCredentials(ssl);
  }
  std::unique_ptr<GrpcCollector> c(new GrpcCollector());
  c->stop_grace_ = options.stop_grace;
  IngestOptions ingest;
  ingest.tags = options.tags;
  ingest.max_message_bytes = options.max_message_bytes;
  ingest.keep_content = options.keep_content;
  c->core_ = std::make_unique<IngestCore>(std::move(ingest), sink);
  c->service_ = std::make_unique<Service>(c->core_.get(), options.request_limits, options.token);

  grpc::ServerBuilder builder;
  const size_t max_request = std::max(options.max_request_bytes, options.max_message_bytes + 4096);
  builder.SetMaxReceiveMessageSize(static_cast<int>(std::min<size_t>(max_request, INT32_MAX)));
  builder.AddListeningPort(options.listen_address, creds, &c->port_);
  builder.RegisterService(c->service_.get());
  std::unique_ptr<grpc::ServerCompletionQueue> cq = builder.AddCompletionQueue();
  c->server_ = builder.BuildAndStart();
  if (c->server_ == nullptr || c->port_ == 0) {
    cq->Shutdown();
    void* tag;
    bool ok;
    while (cq->Next(&tag, &ok)) {
    }
    return absl::UnavailableError(
        absl::StrCat("the gRPC collector cannot listen on ", options.listen_address));
  }
  Service* service = c->service_.get();
  c->process_ = std::make_unique<ProcessServer>(
      c->core_.get(), service, options.request_limits, options.max_unsent_answer_bytes,
      [service](const grpc::ServerContextBase& context) { return service->Authenticate(context); },
      std::move(cq));
  c->process_->Start();
  DCP_LOG(INFO) << "gRPC collector listening on " << options.listen_address << " (port " << c->port_
                << (options.tls ? ", TLS" : "") << (options.token ? ", token" : "") << ")";
  return c;
}

void GrpcCollector::Stop() {
  absl::MutexLock lock(&stop_mu_);
  if (stopped_) return;
  stopped_ = true;
  if (server_ == nullptr) return;
  const absl::Time give_up = absl::Now() + stop_grace_;
  if (process_ != nullptr) process_->BeginStop(give_up);
  server_->Shutdown(absl::ToChronoTime(give_up));
  if (process_ != nullptr) process_->Stop();
  server_->Wait();
}

GrpcCollector::~GrpcCollector() { Stop(); }

GrpcCollectorStats GrpcCollector::stats() const {
  GrpcCollectorStats stats;
  if (process_ != nullptr) stats.process_read_pauses = process_->read_pauses();
  return stats;
}

}  // namespace dcp::collector
