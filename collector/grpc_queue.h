// Where the gRPC collector delivers accepted messages: the MessageSink interface and a
// bounded blocking queue implementing it.
#ifndef DCP_COLLECTOR_GRPC_QUEUE_H_
#define DCP_COLLECTOR_GRPC_QUEUE_H_

#include <cstddef>
#include <deque>
#include <functional>
#include <optional>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "proto/dcp.pb.h"

namespace dcp::collector {

// Receives the messages a collector accepted, in acceptance order. Implementations are
// thread-safe; the collector calls Put() from several RPC threads but never concurrently for
// messages whose relative order matters (it serializes acceptance).
class MessageSink {
 public:
  virtual ~MessageSink() = default;

  // Delivers all of `messages` (moved from on success), or none of them. Blocks while the
  // sink has no room: this is how a slow consumer slows the pushers down. Returns
  //   OK                 all delivered;
  //   kCancelled         `cancelled()` became true while waiting (polled; nothing delivered);
  //   kUnavailable       the sink is closed (nothing delivered).
  // `cancelled` may be empty (never cancelled).
  virtual absl::Status Put(std::vector<Message>& messages,
                           const std::function<bool()>& cancelled) = 0;
};

// A FIFO of Messages with a capacity in messages. Memory stays bounded: Put() admits a batch
// only when it fits, or when the queue is empty (so a batch larger than the capacity still
// passes, alone), so at most capacity + one batch messages are held. Thread-safe; any number
// of producers and consumers.
class BoundedMessageQueue final : public MessageSink {
 public:
  // `capacity` >= 1. `poll` is how often a blocked Put() re-checks its `cancelled`.
  explicit BoundedMessageQueue(size_t capacity, absl::Duration poll = absl::Milliseconds(20));

  absl::Status Put(std::vector<Message>& messages, const std::function<bool()>& cancelled) override;

  // Blocks until a message is available or the queue is closed and empty (then nullopt), or
  // `timeout` passes (nullopt).
  std::optional<Message> Pop(absl::Duration timeout = absl::InfiniteDuration());

  // Takes up to `max` messages, blocking like Pop() for the first one. Empty when closed and
  // drained, or on timeout.
  std::vector<Message> PopBatch(size_t max, absl::Duration timeout = absl::InfiniteDuration());

  // After Close(), Put() fails with kUnavailable and wakes blocked producers; consumers still
  // receive everything queued before (the drain), then nullopt / empty.
  void Close();

  bool closed() const;
  size_t size() const;
  size_t capacity() const { return capacity_; }

 private:
  const size_t capacity_;
  const absl::Duration poll_;
  mutable absl::Mutex mu_;
  std::deque<Message> items_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace dcp::collector

#endif  // DCP_COLLECTOR_GRPC_QUEUE_H_
