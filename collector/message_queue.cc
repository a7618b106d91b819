#include "collector/message_queue.h"

#include <algorithm>
#include <utility>

namespace dcp::collector {

BoundedMessageQueue::BoundedMessageQueue(size_t capacity, absl::Duration poll)
    : capacity_(std::max<size_t>(capacity, 1)), poll_(poll) {}

absl::Status BoundedMessageQueue::Put(std::vector<checker::Change>& messages,
                                      const std::function<bool()>& cancelled) {
  if (messages.empty()) return absl::OkStatus();
  const size_t n = messages.size();
  absl::MutexLock lock(&mu_);
  auto admissible = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return closed_ || items_.empty() || items_.size() + n <= capacity_;
  };
  if (!admissible()) {
    ++waiting_;
    while (!admissible()) {
      if (cancelled && cancelled()) {
        --waiting_;
        return absl::CancelledError("cancelled while the queue was full");
      }
      // Waiting on a condition with a timeout, so that cancellation is noticed.
      mu_.AwaitWithTimeout(absl::Condition(&admissible), poll_);
    }
    --waiting_;
  }
  if (closed_) return absl::UnavailableError("the collector's queue is closed");
  for (checker::Change& m : messages) items_.push_back(std::move(m));
  return absl::OkStatus();
}

std::optional<checker::Change> BoundedMessageQueue::Pop(absl::Duration timeout) {
  std::vector<checker::Change> one = PopBatch(1, timeout);
  if (one.empty()) return std::nullopt;
  return std::move(one.front());
}

std::vector<checker::Change> BoundedMessageQueue::PopBatch(size_t max, absl::Duration timeout) {
  std::vector<checker::Change> out;
  absl::MutexLock lock(&mu_);
  auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return closed_ || !items_.empty(); };
  if (timeout == absl::InfiniteDuration()) {
    mu_.Await(absl::Condition(&ready));
  } else if (!mu_.AwaitWithTimeout(absl::Condition(&ready), timeout)) {
    return out;
  }
  const size_t n = std::min(max, items_.size());
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    out.push_back(std::move(items_.front()));
    items_.pop_front();
  }
  return out;
}

void BoundedMessageQueue::Close() {
  absl::MutexLock lock(&mu_);
  closed_ = true;
}

bool BoundedMessageQueue::closed() const {
  absl::MutexLock lock(&mu_);
  return closed_;
}

size_t BoundedMessageQueue::waiting_producers() const {
  absl::MutexLock lock(&mu_);
  return waiting_;
}

void BoundedMessageQueue::AwaitWaitingProducers(size_t n) const {
  absl::MutexLock lock(&mu_);
  auto reached = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return waiting_ == n; };
  mu_.Await(absl::Condition(&reached));
}

size_t BoundedMessageQueue::size() const {
  absl::MutexLock lock(&mu_);
  return items_.size();
}

}  // namespace dcp::collector
