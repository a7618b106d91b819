// MessageSink: where a collector delivers the changes it read or accepted, in order.
//
// Collectors (collector/collector.h) produce checker::Change values (checker/change.h: row
// changes, barriers, reconnects); the daemon's sink hands them to the checker, `dcp
// collect`'s to a Pusher, tests' to a BoundedMessageQueue (collector/message_queue.h).
#ifndef DCP_COLLECTOR_MESSAGE_SINK_H_
#define DCP_COLLECTOR_MESSAGE_SINK_H_

#include <functional>
#include <vector>

#include "absl/status/status.h"
#include "checker/change.h"

namespace dcp::collector {

// Receives a collector's changes in delivery order. Implementations are thread-safe; a
// collector may call Put() from several threads (gRPC handlers) but never concurrently for
// changes whose relative order matters (it serializes delivery).
class MessageSink {
 public:
  virtual ~MessageSink() = default;

  // Delivers all of `changes` (moved from on success), or none of them. Blocks while the
  // sink has no room: this is how a slow consumer slows the collectors down. Returns
  //   OK                 all delivered;
  //   kCancelled         `cancelled()` became true while waiting (polled; nothing delivered);
  //   kUnavailable       the sink is closed (nothing delivered).
  // `cancelled` may be empty (never cancelled).
  virtual absl::Status Put(std::vector<checker::Change>& changes,
                           const std::function<bool()>& cancelled) = 0;
};

}  // namespace dcp::collector

#endif  // DCP_COLLECTOR_MESSAGE_SINK_H_
