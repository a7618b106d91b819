#include "collector/message_queue.h"

#include <atomic>
#include <thread>

#include "gtest/gtest.h"

namespace dcp::collector {
namespace {

using checker::Barrier;
using checker::Change;

std::vector<Change> Batch(uint64_t first, uint64_t n) {
  std::vector<Change> v;
  for (uint64_t i = 0; i < n; ++i) v.push_back(Change::MakeBarrier("t", first + i));
  return v;
}

uint64_t Offset(const Change& c) { return std::get<Barrier>(c.body).offset; }

TEST(BoundedMessageQueue, FifoAcrossBatches) {
  BoundedMessageQueue q(10);
  auto a = Batch(1, 3), b = Batch(4, 2);
  ASSERT_TRUE(q.Put(a, nullptr).ok());
  ASSERT_TRUE(q.Put(b, nullptr).ok());
  EXPECT_EQ(q.size(), 5u);
  auto got = q.PopBatch(4);
  ASSERT_EQ(got.size(), 4u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(Offset(got[i]), uint64_t(i + 1));
  auto last = q.Pop();
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(Offset(*last), 5u);
  EXPECT_FALSE(q.Pop(absl::Milliseconds(1)).has_value());
}

TEST(BoundedMessageQueue, FullQueueBlocksProducerUntilConsumed) {
  BoundedMessageQueue q(4, absl::Milliseconds(1));
  auto a = Batch(1, 4);
  ASSERT_TRUE(q.Put(a, nullptr).ok());
  std::atomic<bool> done{false};
  std::thread producer([&] {
    auto b = Batch(5, 2);
    EXPECT_TRUE(q.Put(b, nullptr).ok());
    done = true;
  });
  q.AwaitWaitingProducers(1);  // the producer found no room
  EXPECT_FALSE(done.load());
  EXPECT_EQ(q.size(), 4u);
  EXPECT_EQ(q.PopBatch(1).size(), 1u);  // 3 + 2 > 4: still no room
  EXPECT_EQ(q.waiting_producers(), 1u);
  EXPECT_FALSE(done.load());
  EXPECT_EQ(q.PopBatch(1).size(), 1u);  // 2 + 2 fits
  producer.join();
  EXPECT_TRUE(done.load());
  EXPECT_EQ(q.waiting_producers(), 0u);
  EXPECT_EQ(q.size(), 4u);
}

TEST(BoundedMessageQueue, OversizedBatchPassesAloneWhenEmpty) {
  BoundedMessageQueue q(2);
  auto a = Batch(1, 5);
  ASSERT_TRUE(q.Put(a, nullptr).ok());
  EXPECT_EQ(q.size(), 5u);
}

TEST(BoundedMessageQueue, CancelledPutDeliversNothing) {
  BoundedMessageQueue q(1, absl::Milliseconds(1));
  auto a = Batch(1, 1);
  ASSERT_TRUE(q.Put(a, nullptr).ok());
  std::atomic<bool> cancel{false};
  std::thread canceller([&] {
    q.AwaitWaitingProducers(1);
    cancel = true;
  });
  auto b = Batch(2, 1);
  absl::Status s = q.Put(b, [&] { return cancel.load(); });
  canceller.join();
  EXPECT_EQ(s.code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(q.size(), 1u);
  EXPECT_EQ(q.waiting_producers(), 0u);
}

TEST(BoundedMessageQueue, CloseWakesProducersAndDrains) {
  BoundedMessageQueue q(2);
  auto a = Batch(1, 2);
  ASSERT_TRUE(q.Put(a, nullptr).ok());
  absl::Status blocked;
  std::thread producer([&] {
    auto b = Batch(3, 1);
    blocked = q.Put(b, nullptr);
  });
  q.AwaitWaitingProducers(1);
  q.Close();
  producer.join();
  EXPECT_EQ(blocked.code(), absl::StatusCode::kUnavailable);
  auto c = Batch(9, 1);
  EXPECT_EQ(q.Put(c, nullptr).code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(q.PopBatch(10).size(), 2u);  // drained
  EXPECT_FALSE(q.Pop().has_value());     // closed and empty: no wait
}

}  // namespace
}  // namespace dcp::collector
