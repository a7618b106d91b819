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
#include "absl/synchronization/mutex.h"
#include "collector/message_sink.h"
#include "proto/dcp.pb.h"

namespace dcp::collector {

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
// acknowledged position to its seq. A tag's first sequenced message sets the position
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
