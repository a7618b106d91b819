// BoundedMessageQueue: a MessageSink that queues changes for a consumer thread, with a
// bounded size (tests, benchmarks, and any consumer that pulls).
#ifndef DCP_COLLECTOR_MESSAGE_QUEUE_H_
#define DCP_COLLECTOR_MESSAGE_QUEUE_H_

#include <cstddef>
#include <deque>
#include <functional>
#include <optional>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "checker/change.h"
#include "collector/message_sink.h"

namespace dcp::collector {

// A FIFO of Changes with a capacity in changes. Memory stays bounded: Put() admits a batch
// only when it fits, or when the queue is empty (so a batch larger than the capacity still
// passes, alone), so at most capacity + one batch messages are held. Thread-safe; any number
// of producers and consumers.
class BoundedMessageQueue final : public MessageSink {
 public:
  // `capacity` >= 1. `poll` is how often a blocked Put() re-checks its `cancelled`.
  explicit BoundedMessageQueue(size_t capacity, absl::Duration poll = absl::Milliseconds(20));

  absl::Status Put(std::vector<checker::Change>& messages, const std::function<bool()>& cancelled) override;

  // Blocks until a message is available or the queue is closed and empty (then nullopt), or
  // `timeout` passes (nullopt).
  std::optional<checker::Change> Pop(absl::Duration timeout = absl::InfiniteDuration());

  // Takes up to `max` messages, blocking like Pop() for the first one. Empty when closed and
  // drained, or on timeout.
  std::vector<checker::Change> PopBatch(size_t max, absl::Duration timeout = absl::InfiniteDuration());

  // After Close(), Put() fails with kUnavailable and wakes blocked producers; consumers still
  // receive everything queued before (the drain), then nullopt / empty.
  void Close();

  bool closed() const;
  size_t size() const;
  // Put() callers waiting for room right now.
  size_t waiting_producers() const;
  // Blocks until exactly `n` Put() callers wait for room (tests: no sleeping).
  void AwaitWaitingProducers(size_t n) const;
  size_t capacity() const { return capacity_; }

 private:
  const size_t capacity_;
  const absl::Duration poll_;
  mutable absl::Mutex mu_;
  std::deque<checker::Change> items_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  size_t waiting_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace dcp::collector

#endif  // DCP_COLLECTOR_MESSAGE_QUEUE_H_
