#include "collector/pusher.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "util/log.h"
#include "util/status_macros.h"

namespace dcp::collector {
namespace {

constexpr size_t kMaxKeptRejections = 10000;

absl::Status FromGrpc(const grpc::Status& s) {
  if (s.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
}

// Errors that another attempt cannot fix.
bool IsPermanent(absl::StatusCode code) {
  return code == absl::StatusCode::kUnauthenticated ||
         code == absl::StatusCode::kPermissionDenied ||
         code == absl::StatusCode::kResourceExhausted || code == absl::StatusCode::kUnimplemented ||
         code == absl::StatusCode::kInvalidArgument;
}

}  // namespace

absl::Duration PusherBackoff(int failures, absl::Duration initial, absl::Duration max) {
  absl::Duration d = initial;
  for (int i = 1; i < failures && d < max; ++i) d *= 2;
  return std::min(d, max);
}

absl::StatusOr<std::unique_ptr<Pusher>> Pusher::Create(PusherOptions options) {
  if (options.target.empty()) return absl::InvalidArgumentError("pusher: empty target");
  if (options.max_batch_messages == 0 || options.max_batch_bytes == 0 ||
      options.max_in_flight_batches == 0) {
    return absl::InvalidArgumentError("pusher: batch sizes and in-flight limit must be > 0");
  }
  if (options.token.has_value() && options.token->empty()) {
    return absl::InvalidArgumentError("pusher: empty token");
  }
  return std::unique_ptr<Pusher>(new Pusher(std::move(options)));
}

Pusher::Pusher(PusherOptions options)
    : options_(std::move(options)),
      clock_(options_.clock != nullptr ? options_.clock : Clock::Real()) {
  std::shared_ptr<grpc::ChannelCredentials> creds = grpc::InsecureChannelCredentials();
  grpc::ChannelArguments args;
  if (options_.tls_root_certs_pem.has_value()) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = *options_.tls_root_certs_pem;
    creds = grpc::SslCredentials(ssl);
    if (!options_.tls_server_name.empty()) {
      args.SetSslTargetNameOverride(options_.tls_server_name);
    }
  }
  // gRPC's own reconnect backoff starts at 1 s; follow ours instead.
  const int initial_ms = static_cast<int>(absl::ToInt64Milliseconds(options_.initial_backoff));
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, std::max(initial_ms, 1));
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, std::max(initial_ms, 1));
  args.SetInt(
      GRPC_ARG_MAX_RECONNECT_BACKOFF_MS,
      static_cast<int>(std::max<int64_t>(absl::ToInt64Milliseconds(options_.max_backoff), 1)));
  channel_ = grpc::CreateCustomChannel(options_.target, creds, args);
  stub_ = DCPService::NewStub(channel_);
}

Pusher::~Pusher() {
  if (stream_ != nullptr) {
    context_->TryCancel();
    stream_->Finish().IgnoreError();
  }
}

std::map<std::string, uint64_t> Pusher::LastSequences() const {
  std::map<std::string, uint64_t> out;
  for (const auto& [tag, next] : next_seq_) out[tag] = next - 1;
  return out;
}

absl::Status Pusher::Push(Message message) {
  if (message.tag().empty()) return absl::InvalidArgumentError("pusher: message without tag");
  if (message.seq() == 0) {
    auto it = next_seq_.find(message.tag());
    while (it == next_seq_.end()) {
      // A tag's first message: continue from where the collector stands.
      absl::StatusOr<std::vector<TagPosition>> p = QueryPositions({message.tag()});
      if (p.ok()) {
        const uint64_t acked = p->empty() ? 0 : p->front().seq();
        acked_[message.tag()] = acked;
        it = next_seq_.emplace(message.tag(), acked + 1).first;
        failures_ = 0;
      } else {
        RETURN_IF_ERROR(OnStreamFailure(p.status(), /*stream_done=*/true));
      }
    }
    message.set_seq(it->second++);
  } else {
    next_seq_[message.tag()] = message.seq() + 1;
  }
  const size_t bytes = message.ByteSizeLong();
  if (open_.batch.messages_size() > 0 && open_.bytes + bytes > options_.max_batch_bytes) {
    CloseOpenBatch();
  }
  *open_.batch.add_messages() = std::move(message);
  open_.bytes += bytes;
  if (static_cast<size_t>(open_.batch.messages_size()) >= options_.max_batch_messages) {
    CloseOpenBatch();
  }
  return Pump(/*flush=*/false);
}

absl::Status Pusher::Flush() {
  CloseOpenBatch();
  return Pump(/*flush=*/true);
}

void Pusher::CloseOpenBatch() {
  if (open_.batch.messages_size() == 0) return;
  batches_.push_back(std::move(open_));
  open_ = OutBatch();
}

absl::Status Pusher::Pump(bool flush) {
  while (true) {
    const bool unsent = in_flight_ < batches_.size();
    const bool can_send = unsent && in_flight_ < options_.max_in_flight_batches;
    const bool must_read =
        in_flight_ > 0 && !can_send && (flush || unsent);  // flush: wait for every answer
    if (!can_send && !must_read) return absl::OkStatus();
    absl::Status s = EnsureStream();
    if (s.ok()) s = can_send ? SendOne() : ReadOne();
    if (!s.ok()) RETURN_IF_ERROR(OnStreamFailure(s, /*stream_done=*/true));
  }
}

absl::Status Pusher::EnsureStream() {
  if (stream_ != nullptr) return absl::OkStatus();
  if (need_resume_) RETURN_IF_ERROR(ResumeFromCollector());
  if (batches_.empty()) return absl::OkStatus();  // everything was already acknowledged
  context_ = std::make_unique<grpc::ClientContext>();
  if (options_.token.has_value()) {
    context_->AddMetadata("authorization", absl::StrCat("Bearer ", *options_.token));
  }
  stream_ = stub_->ProcessBatch(context_.get());
  return absl::OkStatus();
}

absl::Status Pusher::SendOne() {
  if (stream_ == nullptr) return absl::OkStatus();  // resume emptied the queue
  OutBatch& b = batches_[in_flight_];
  b.batch.set_batch_id(next_batch_id_++);
  if (!stream_->Write(b.batch)) return absl::UnavailableError("pusher: write failed");
  ++in_flight_;
  ++stats_.batches_sent;
  return absl::OkStatus();
}

absl::Status Pusher::ReadOne() {
  if (stream_ == nullptr) return absl::OkStatus();
  BatchResponse r;
  if (!stream_->Read(&r)) return absl::UnavailableError("pusher: stream ended");
  if (batches_.empty() || in_flight_ == 0 || r.batch_id() != batches_.front().batch.batch_id()) {
    return absl::DataLossError(absl::StrCat("pusher: answer for batch ", r.batch_id(),
                                            " does not match the oldest batch sent"));
  }
  const MessageBatch& sent = batches_.front().batch;
  for (const Rejection& rej : r.rejections()) {
    if (rej.code() == CODE_DUPLICATE) {
      ++stats_.duplicates;
      continue;
    }
    ++stats_.rejected;
    PushRejection pr;
    if (rej.index() < static_cast<uint32_t>(sent.messages_size())) {
      pr.tag = sent.messages(rej.index()).tag();
      pr.seq = sent.messages(rej.index()).seq();
    }
    pr.id = rej.id();
    pr.code = rej.code();
    pr.msg = rej.msg();
    AddRejection(std::move(pr));
  }
  stats_.delivered += r.accepted();
  for (const TagPosition& p : r.acked()) acked_[p.tag()] = p.seq();
  batches_.pop_front();
  --in_flight_;
  failures_ = 0;
  return absl::OkStatus();
}

absl::Status Pusher::OnStreamFailure(const absl::Status& why, bool stream_done) {
  absl::Status status = why;
  if (stream_ != nullptr) {
    if (!stream_done || why.code() == absl::StatusCode::kDataLoss) context_->TryCancel();
    // Answers that arrived before the break still count.
    while (in_flight_ > 0 && ReadOne().ok()) {
    }
    stream_->WritesDone();
    absl::Status finish = FromGrpc(stream_->Finish());
    if (!finish.ok() && why.code() != absl::StatusCode::kDataLoss) status = finish;
    stream_.reset();
    context_.reset();
  }
  in_flight_ = 0;
  need_resume_ = true;
  if (IsPermanent(status.code())) return status;
  ++failures_;
  ++stats_.reconnects;
  if (failures_ > options_.max_consecutive_failures) {
    const int attempts = failures_;
    failures_ = 0;
    return absl::UnavailableError(absl::StrCat("pusher: giving up on ", options_.target, " after ",
                                               attempts, " attempts: ", status.message()));
  }
  const absl::Duration delay =
      PusherBackoff(failures_, options_.initial_backoff, options_.max_backoff);
  DCP_LOG_EVERY_N_SEC(WARNING, 10) << "pusher: stream to " << options_.target << " failed ("
                                   << status << "); retrying in " << delay;
  clock_->SleepFor(delay);
  return absl::OkStatus();
}

absl::Status Pusher::ResumeFromCollector() {
  std::set<std::string> tags;
  for (const OutBatch& b : batches_) {
    for (const Message& m : b.batch.messages()) tags.insert(m.tag());
  }
  for (const Message& m : open_.batch.messages()) tags.insert(m.tag());
  if (!tags.empty()) {
    ASSIGN_OR_RETURN(std::vector<TagPosition> positions,
                     QueryPositions(std::vector<std::string>(tags.begin(), tags.end())));
    std::map<std::string, uint64_t> reported;
    for (const TagPosition& p : positions) {
      reported[p.tag()] = p.seq();
      acked_[p.tag()] = p.seq();
    }
    // Drop what the collector already answered: resending it would only come back
    // as duplicates.
    auto prune = [&](OutBatch& b) {
      MessageBatch kept;
      for (Message& m : *b.batch.mutable_messages()) {
        auto it = reported.find(m.tag());
        if (it != reported.end() && m.seq() <= it->second) {
          ++stats_.acked_at_resume;
          continue;
        }
        *kept.add_messages() = std::move(m);
      }
      b.batch = std::move(kept);
    };
    for (OutBatch& b : batches_) prune(b);
    prune(open_);
    batches_.erase(std::remove_if(batches_.begin(), batches_.end(),
                                  [](const OutBatch& b) { return b.batch.messages_size() == 0; }),
                   batches_.end());
  }
  need_resume_ = false;
  return absl::OkStatus();
}

absl::StatusOr<std::vector<TagPosition>> Pusher::QueryPositions(
    const std::vector<std::string>& tags) {
  grpc::ClientContext ctx;
  ctx.set_wait_for_ready(true);
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + options_.rpc_timeout));
  if (options_.token.has_value()) {
    ctx.AddMetadata("authorization", absl::StrCat("Bearer ", *options_.token));
  }
  AckedPositionsRequest request;
  for (const std::string& t : tags) request.add_tags(t);
  AckedPositionsResponse response;
  RETURN_IF_ERROR(FromGrpc(stub_->GetAckedPositions(&ctx, request, &response)));
  return std::vector<TagPosition>(response.positions().begin(), response.positions().end());
}

std::vector<PushRejection> Pusher::TakeRejections() {
  std::vector<PushRejection> out;
  out.swap(rejections_);
  return out;
}

void Pusher::AddRejection(PushRejection r) {
  if (rejections_.size() < kMaxKeptRejections) rejections_.push_back(std::move(r));
}

uint64_t Pusher::AckedPosition(const std::string& tag) const {
  auto it = acked_.find(tag);
  return it == acked_.end() ? 0 : it->second;
}

}  // namespace dcp::collector
