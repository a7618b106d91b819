// dcp::collector::Pusher: the C++ client of the gRPC collector. Takes ready Messages (built
// with the canonical row encoding elsewhere), numbers them per tag, sends them in batches
// over ProcessBatch, and on a broken stream reconnects with bounded backoff and resumes from
// the collector's acknowledged positions: nothing lost, nothing delivered twice.
//
//   PusherOptions options;
//   options.target = "checker.example:7000";
//   ASSIGN_OR_RETURN(auto pusher, Pusher::Create(options));
//   for (...) RETURN_IF_ERROR(pusher->Push(std::move(message)));
//   RETURN_IF_ERROR(pusher->Flush());
//   for (const PushRejection& r : pusher->TakeRejections()) ...;  // rejected by the collector
#ifndef DCP_COLLECTOR_PUSHER_H_
#define DCP_COLLECTOR_PUSHER_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "proto/dcp.grpc.pb.h"
#include "proto/dcp.pb.h"
#include "util/clock.h"

namespace grpc {
class Channel;
class ClientContext;
template <class W, class R>
class ClientReaderWriter;
}  // namespace grpc

namespace dcp::collector {

struct PusherOptions {
  // The collector's host:port.
  std::string target;
  // Sent as "authorization: Bearer <token>" when set.
  std::optional<std::string> token;
  // When set, TLS is used and the server must present a certificate signed by these PEM
  // roots. `tls_server_name` overrides the name checked against the certificate.
  std::optional<std::string> tls_root_certs_pem;
  std::string tls_server_name;
  // A batch is sent when it holds this many messages or bytes (or on Flush()).
  size_t max_batch_messages = 1000;
  size_t max_batch_bytes = 1 << 20;
  // Batches sent and not yet answered; Push() blocks on answers beyond this.
  size_t max_in_flight_batches = 8;
  // Reconnect delays: initial_backoff, doubled per consecutive failure, capped at max_backoff.
  absl::Duration initial_backoff = absl::Milliseconds(50);
  absl::Duration max_backoff = absl::Seconds(5);
  // After this many consecutive failed attempts (no answer in between) Push()/Flush() give up
  // with kUnavailable; the buffered messages stay and a later call tries again.
  int max_consecutive_failures = 20;
  // Deadline of each GetAckedPositions call (it waits for the channel to connect).
  absl::Duration rpc_timeout = absl::Seconds(10);
  // Backoff sleeps go through this clock; not owned. nullptr: the real clock.
  Clock* clock = nullptr;
};

// A message the collector refused (any code but DUPLICATE, which counts as delivered).
struct PushRejection {
  std::string tag;
  uint64_t seq = 0;
  std::string id;
  int32_t code = 0;
  std::string msg;
};

struct PusherStats {
  uint64_t delivered = 0;   // answered OK
  uint64_t duplicates = 0;  // answered DUPLICATE
  // Unanswered when a stream broke, then found acknowledged by GetAckedPositions at resume
  // (delivered, or rejected for good, before the answer was lost); not resent.
  uint64_t acked_at_resume = 0;
  uint64_t rejected = 0;    // other codes
  uint64_t batches_sent = 0;
  uint64_t reconnects = 0;
};

// The delay before reconnect attempt `failures` (1-based): initial * 2^(failures-1), capped.
absl::Duration PusherBackoff(int failures, absl::Duration initial, absl::Duration max);

// Not thread-safe: one thread uses a Pusher. Memory is bounded by max_in_flight_batches + 2
// batches.
class Pusher {
 public:
  // Errors: kInvalidArgument (empty target, zero batch sizes). Does not connect yet.
  static absl::StatusOr<std::unique_ptr<Pusher>> Create(PusherOptions options);
  ~Pusher();  // cancels the stream; unflushed messages are dropped

  Pusher(const Pusher&) = delete;
  Pusher& operator=(const Pusher&) = delete;

  // Queues `message`. A message with seq 0 gets its tag's next position (the first message
  // of a tag asks the collector where the tag stands and continues from there); a message
  // with seq set keeps it, and later ones continue after it. Sends full batches and reads
  // answers; blocks while max_in_flight_batches are unanswered. Errors:
  // kInvalidArgument (empty tag), kUnauthenticated / kPermissionDenied /
  // kResourceExhausted (not retried), kUnavailable (gave up retrying).
  absl::Status Push(Message message);

  // Sends everything queued and returns once all of it was answered. Errors as Push().
  absl::Status Flush();

  // Rejections seen since the last call (at most 10000 kept; the rest only counted).
  std::vector<PushRejection> TakeRejections();

  // Per tag, the seq of the last message queued by Push() (numbered by the Pusher or not).
  std::map<std::string, uint64_t> LastSequences() const;

  // The collector's acknowledged position for `tag` as last reported (0: none).
  uint64_t AckedPosition(const std::string& tag) const;

  const PusherStats& stats() const { return stats_; }

 private:
  struct OutBatch {
    MessageBatch batch;
    size_t bytes = 0;
  };

  explicit Pusher(PusherOptions options);
  absl::Status Pump(bool flush);
  absl::Status EnsureStream();
  absl::Status ReadOne();
  absl::Status SendOne();
  void CloseOpenBatch();
  // Ends the current stream after a failure; returns the error to give up with, or OK to
  // retry after a backoff.
  absl::Status OnStreamFailure(const absl::Status& why, bool stream_done);
  absl::Status ResumeFromCollector();
  absl::StatusOr<std::vector<TagPosition>> QueryPositions(const std::vector<std::string>& tags);
  void AddRejection(PushRejection r);

  const PusherOptions options_;
  Clock* const clock_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<DCPService::Stub> stub_;
  std::unique_ptr<grpc::ClientContext> context_;
  std::unique_ptr<grpc::ClientReaderWriter<MessageBatch, BatchResponse>> stream_;
  bool need_resume_ = false;  // a stream broke: ask positions before sending again

  OutBatch open_;                 // being filled
  std::deque<OutBatch> batches_;  // closed, unanswered; the first in_flight_ are sent
  size_t in_flight_ = 0;
  uint64_t next_batch_id_ = 1;
  std::map<std::string, uint64_t> next_seq_;
  std::map<std::string, uint64_t> acked_;
  int failures_ = 0;
  std::vector<PushRejection> rejections_;
  PusherStats stats_;
};

}  // namespace dcp::collector

#endif  // DCP_COLLECTOR_PUSHER_H_
