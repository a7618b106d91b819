// The gRPC collector's core, free of gRPC: validates pushed messages, keeps per-tag state
// (first barrier seen, acknowledged position), and delivers accepted messages to a sink as
// checker::Changes (collector/wire.h).
#ifndef DCP_COLLECTOR_GRPC_INGEST_H_
#define DCP_COLLECTOR_GRPC_INGEST_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/node_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "collector/message_sink.h"
#include "google/protobuf/io/zero_copy_stream.h"
#include "proto/dcp.pb.h"

namespace dcp::collector {

// The most bytes of a client's string (a message id, a tag) that one answer echoes, so that
// an answer's size does not follow the client's strings (docs/protocol.md, "Limits").
inline constexpr size_t kMaxEchoBytes = 256;

// `s` as an answer echoes it: unchanged when at most kMaxEchoBytes long; else its first
// bytes, cut at a UTF-8 character boundary, followed by the marker "...[truncated from N
// bytes]" (N = s.size()), kMaxEchoBytes at most in all. `s` is expected to be UTF-8 (proto3
// strings are); then so is the result.
std::string EchoForAnswer(absl::string_view s);

// Limits on one request that bound what parsing it costs: a parsed field takes 50 to 100
// bytes of memory however few bytes (2) it takes on the wire, so the request size alone
// (gRPC's limit) lets a 10 MB MessageBatch of empty messages take half a gigabyte.
struct RequestLimits {
  // Fields in all, counting those inside every Message and Payload and unknown fields
  // (which are kept). A pushed message has about 9; 2^20 fields parse to at most ~100 MiB.
  size_t max_fields = 1 << 20;
  // MessageBatch.messages entries.
  size_t max_batch_messages = 100000;
  // AckedPositionsRequest.tags entries.
  size_t max_requested_tags = 10000;
};

// The request messages of DCPService.
enum class RequestType { kMessage, kMessageBatch, kAckedPositionsRequest };

// Checks the serialized request `bytes` (`size` bytes) of type `type` against `limits`
// without parsing it: kResourceExhausted naming the limit exceeded ("more than N ..."), or
// kInvalidArgument when the bytes are not a protobuf encoding. A request that passes may
// still fail to parse (for one, proto3 strings must be UTF-8). Every counted field takes at
// least 2 bytes, so a request too small to exceed a limit is not read at all; else the check
// reads its tags and lengths only, skipping the contents. Thread-compatible (reads `bytes`).
absl::Status CheckRequestLimits(RequestType type, size_t size,
                                google::protobuf::io::ZeroCopyInputStream* bytes,
                                const RequestLimits& limits);

struct IngestOptions {
  // The tags this collector accepts; anything else is answered CODE_UNKNOWN_TAG.
  std::vector<std::string> tags;
  // A message whose serialized size exceeds this is answered CODE_TOO_LARGE.
  size_t max_message_bytes = 1 << 20;
  // Pass each payload's content on to the sink (checker::RowChange::content); off, only key,
  // checksum, origin and time are.
  bool keep_content = false;
};

// Counters since construction.
struct IngestStats {
  uint64_t accepted = 0;    // delivered to the sink
  uint64_t rejected = 0;    // answered with a code other than OK and DUPLICATE
  uint64_t duplicates = 0;  // answered CODE_DUPLICATE
};

// Thread-safe. Ingest() calls are serialized (one batch at a time reaches the sink, so the
// sink sees messages in acceptance order), and a blocked sink blocks every Ingest() caller;
// AckedPositions() and stats() never wait for the sink.
//
// Per message, in this order (docs/protocol.md has the table):
//   empty tag -> MISSING_TAG; unconfigured tag -> UNKNOWN_TAG;
//   seq != 0 and seq <= acked -> DUPLICATE; seq > acked + 1 (acked set) -> OUT_OF_SEQUENCE;
//   empty id -> MISSING_ID; too large -> TOO_LARGE; no body or empty payload id -> MALFORMED;
//   payload before the tag's first barrier -> BEFORE_FIRST_BARRIER; else accepted.
// A sequenced message answered anything but DUPLICATE or OUT_OF_SEQUENCE moves its tag's
// acknowledged position to its seq. Rejection ids, and tags quoted in reasons, are echoed
// through EchoForAnswer(). A tag's first sequenced message sets the position
// whatever its seq (a fresh collector does not know where a pusher stands).
class IngestCore {
 public:
  // `sink` is not owned and must outlive the core.
  IngestCore(IngestOptions options, MessageSink* sink);

  // Validates `messages` in order and delivers the accepted ones to the sink in one Put().
  // The answer lists every message not delivered, by index, and the acknowledged position of
  // each tag with sequenced messages in the batch. If the sink fails (kCancelled: `cancelled`
  // became true while the sink was full; kUnavailable: sink closed), nothing of the batch
  // counts: no state changes and the error is returned.
  absl::StatusOr<BatchResponse> Ingest(std::vector<Message> messages,
                                       const std::function<bool()>& cancelled);

  // The acknowledged positions of `tags` (all configured tags, in configuration order, when
  // empty); unknown tags are left out.
  std::vector<TagPosition> AckedPositions(const std::vector<std::string>& tags) const;

  IngestStats stats() const;

 private:
  struct TagState {
    bool first_barrier_seen = false;
    bool sequenced = false;  // `acked` is meaningful
    uint64_t acked = 0;
  };

  const IngestOptions options_;
  MessageSink* const sink_;
  absl::Mutex ingest_mu_;  // serializes Ingest(); held across the sink's Put()
  mutable absl::Mutex mu_;
  // Keys fixed at construction; node map so that TagState addresses are stable.
  absl::node_hash_map<std::string, TagState> tags_ ABSL_GUARDED_BY(mu_);
  IngestStats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dcp::collector

#endif  // DCP_COLLECTOR_GRPC_INGEST_H_
