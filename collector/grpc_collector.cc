#include "collector/grpc_collector.h"

#include <grpcpp/grpcpp.h>
#include <grpcpp/security/server_credentials.h>

#include <deque>
#include <fstream>
#include <sstream>
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

}  // namespace

// Process answers every message, so its cost is per message; it runs on gRPC's callback
// API, which avoids the sync API's thread hand-offs for each read and write. Reads and writes
// overlap; answers wait in `pending_`, and reading pauses while too many are unsent, so a
// client that does not read its answers cannot grow the collector's memory.
class ProcessReactor final : public grpc::ServerBidiReactor<Message, Response> {
 public:
  ProcessReactor(IngestCore* core, grpc::CallbackServerContext* context, grpc::Status auth)
      : core_(core), context_(context) {
    if (!auth.ok()) {
      finished_ = true;
      Finish(auth);
      return;
    }
    StartRead(&in_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      EndReads(grpc::Status::OK);
      return;
    }
    bool write_failed;
    {
      absl::MutexLock lock(&mu_);
      write_failed = write_failed_;
    }
    if (write_failed) {
      // The client no longer takes answers: accepting more would only deliver messages it
      // will resend.
      EndReads(grpc::Status(grpc::StatusCode::CANCELLED, "answers cannot be delivered"));
      return;
    }
    Response response;
    response.set_id(in_.id());
    std::vector<Message> one;
    one.push_back(std::move(in_));
    in_.Clear();
    absl::StatusOr<BatchResponse> r =
        core_->Ingest(std::move(one), [this] { return context_->IsCancelled(); });
    if (!r.ok()) {
      EndReads(ToGrpc(r.status()));
      return;
    }
    if (!r->rejections().empty()) {
      response.set_code(r->rejections(0).code());
      response.set_msg(r->rejections(0).msg());
    }
    const Response* write = nullptr;
    bool hint = false;
    bool read = false;
    {
      absl::MutexLock lock(&mu_);
      if (!write_failed_) {
        pending_.push_back(std::move(response));
        if (!writing_) {
          writing_ = true;
          write = &pending_.front();
          hint = pending_.size() > 1;
        }
      }
      read = pending_.size() < kMaxPendingAnswers;
      reads_paused_ = !read;
    }
    if (write != nullptr) Write(write, hint);
    if (read) StartRead(&in_);
  }

  void OnWriteDone(bool ok) override {
    const Response* write = nullptr;
    bool hint = false;
    bool read = false;
    bool finish = false;
    {
      absl::MutexLock lock(&mu_);
      pending_.pop_front();
      if (!ok) {
        write_failed_ = true;
        pending_.clear();
      }
      if (!pending_.empty()) {
        write = &pending_.front();
        hint = pending_.size() > 1;
      } else {
        writing_ = false;
      }
      if (reads_paused_ && (write_failed_ || pending_.size() < kMaxPendingAnswers / 2)) {
        reads_paused_ = false;
        read = true;
      }
      finish = ShouldFinishLocked();
    }
    if (write != nullptr) Write(write, hint);
    if (read) StartRead(&in_);
    if (finish) Finish(status_);
  }

  void OnDone() override { delete this; }

 private:
  static constexpr size_t kMaxPendingAnswers = 4096;

  // With more answers queued behind this one, let the transport coalesce them into fewer
  // frames and syscalls; the last queued answer is written without the hint, which flushes.
  void Write(const Response* response, bool more_behind) {
    grpc::WriteOptions options;
    if (more_behind) options.set_buffer_hint();
    StartWrite(response, options);
  }

  void EndReads(grpc::Status status) {
    bool finish = false;
    {
      absl::MutexLock lock(&mu_);
      reads_done_ = true;
      status_ = std::move(status);
      finish = ShouldFinishLocked();
    }
    if (finish) Finish(status_);
  }

  bool ShouldFinishLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!reads_done_ || writing_ || finished_) return false;
    finished_ = true;
    return true;
  }

  IngestCore* const core_;
  grpc::CallbackServerContext* const context_;
  Message in_;  // only touched by the one outstanding read
  absl::Mutex mu_;
  std::deque<Response> pending_ ABSL_GUARDED_BY(mu_);  // front is being written
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool write_failed_ ABSL_GUARDED_BY(mu_) = false;
  bool reads_paused_ ABSL_GUARDED_BY(mu_) = false;
  bool reads_done_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status status_ ABSL_GUARDED_BY(mu_);
};

class GrpcCollector::Service final
    : public DCPService::WithCallbackMethod_Process<DCPService::Service> {
 public:
  Service(IngestCore* core, std::optional<std::string> token)
      : core_(core), token_(std::move(token)) {}

  grpc::ServerBidiReactor<Message, Response>* Process(
      grpc::CallbackServerContext* context) override {
    return new ProcessReactor(core_, context, Authenticate(*context));
  }

  grpc::Status ProcessBatch(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<BatchResponse, MessageBatch>* stream) override {
    if (grpc::Status s = Authenticate(*context); !s.ok()) return s;
    const auto cancelled = [context] { return context->IsCancelled(); };
    MessageBatch batch;
    while (stream->Read(&batch)) {
      std::vector<Message> messages;
      messages.reserve(batch.messages_size());
      for (Message& m : *batch.mutable_messages()) messages.push_back(std::move(m));
      absl::StatusOr<BatchResponse> r = core_->Ingest(std::move(messages), cancelled);
      if (!r.ok()) return ToGrpc(r.status());
      r->set_batch_id(batch.batch_id());
      if (!stream->Write(*r)) break;
      batch.Clear();
    }
    return grpc::Status::OK;
  }

  grpc::Status GetAckedPositions(grpc::ServerContext* context, const AckedPositionsRequest* request,
                                 AckedPositionsResponse* response) override {
    if (grpc::Status s = Authenticate(*context); !s.ok()) return s;
    std::vector<std::string> tags(request->tags().begin(), request->tags().end());
    for (TagPosition& p : core_->AckedPositions(tags)) *response->add_positions() = std::move(p);
    return grpc::Status::OK;
  }

 private:
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

  IngestCore* const core_;
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
  c->core_ = std::make_unique<IngestCore>(std::move(ingest), sink);
  c->service_ = std::make_unique<Service>(c->core_.get(), options.token);

  grpc::ServerBuilder builder;
  const size_t max_request = std::max(options.max_request_bytes, options.max_message_bytes + 4096);
  builder.SetMaxReceiveMessageSize(static_cast<int>(std::min<size_t>(max_request, INT32_MAX)));
  builder.AddListeningPort(options.listen_address, creds, &c->port_);
  builder.RegisterService(c->service_.get());
  c->server_ = builder.BuildAndStart();
  if (c->server_ == nullptr || c->port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("the gRPC collector cannot listen on ", options.listen_address));
  }
  DCP_LOG(INFO) << "gRPC collector listening on " << options.listen_address << " (port " << c->port_
                << (options.tls ? ", TLS" : "") << (options.token ? ", token" : "") << ")";
  return c;
}

void GrpcCollector::Stop() {
  absl::MutexLock lock(&stop_mu_);
  if (stopped_) return;
  stopped_ = true;
  if (server_ != nullptr) {
    server_->Shutdown(absl::ToChronoTime(absl::Now() + stop_grace_));
    server_->Wait();
  }
}

GrpcCollector::~GrpcCollector() { Stop(); }

}  // namespace dcp::collector
