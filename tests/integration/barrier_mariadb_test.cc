// The barrier writer against a throwaway MariaDB: creates drc.barrier, bumps its row, and
// keeps the offsets consecutive across a server crash and restart.
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "barrier/barrier_writer.h"
#include "barrier/lag.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/harness/mariadb_server.h"
#include "util/clock.h"

namespace dcp::barrier {
namespace {

using ::testing::HasSubstr;

class Events {
 public:
  void Add(const BarrierEvent& e) {
    absl::MutexLock lock(&mu_);
    events_.push_back(e);
  }
  bool WaitFor(size_t n, absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    auto enough = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return events_.size() >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&enough), timeout);
  }
  std::vector<BarrierEvent> Get() {
    absl::MutexLock lock(&mu_);
    return events_;
  }

 private:
  absl::Mutex mu_;
  std::vector<BarrierEvent> events_ ABSL_GUARDED_BY(mu_);
};

TEST(BarrierWriterMariaDb, BumpsConsecutivelyAcrossAServerRestart) {
  testing::MariaDbServer::Options so;
  so.server_id = 61;
  auto server = testing::MariaDbServer::Start(so);
  ASSERT_TRUE(server.ok()) << server.status();

  BarrierOptions o;
  o.id = 3;
  o.interval = absl::Milliseconds(100);
  o.initial_backoff = absl::Milliseconds(100);
  o.max_backoff = absl::Milliseconds(400);
  auto connector = NewMysqlConnector((*server)->Dsn());
  Events events;
  BarrierWriter writer(o, connector.get(), Clock::Real(),
                       [&](const BarrierEvent& e) { events.Add(e); });
  std::thread thread([&] { writer.Run(); });

  ASSERT_TRUE(events.WaitFor(3, absl::Seconds(30)));
  {
    auto conn = (*server)->Connect();
    ASSERT_TRUE(conn.ok()) << conn.status();
    auto ddl = conn->Query("SHOW CREATE TABLE drc.barrier");
    ASSERT_TRUE(ddl.ok()) << ddl.status();
    EXPECT_THAT(*ddl->rows[0][1], HasSubstr("`offset` bigint(20) unsigned NOT NULL DEFAULT 0"));
    EXPECT_THAT(*ddl->rows[0][1], HasSubstr("ON UPDATE current_timestamp()"));
  }

  ASSERT_TRUE((*server)->Kill().ok());
  // The writer notices: a failed bump or reconnect, then backoff.
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (writer.stats().failures == 0 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  ASSERT_GE(writer.stats().failures, 1u);
  const size_t before_restart = events.Get().size();
  ASSERT_TRUE((*server)->Restart().ok());
  ASSERT_TRUE(events.WaitFor(before_restart + 3, absl::Seconds(60)));
  writer.Stop();
  thread.join();

  std::vector<BarrierEvent> got = events.Get();
  ASSERT_GE(got.size(), 6u);
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].offset, i + 1) << "offsets must be consecutive, never skipped or doubled";
  }
  EXPECT_GE(writer.stats().failures, 1u);
  EXPECT_GE(writer.stats().connects, 2u);
  auto conn = (*server)->Connect();
  ASSERT_TRUE(conn.ok()) << conn.status();
  auto offset = conn->QueryValue("SELECT `offset` FROM drc.barrier WHERE id = 3");
  ASSERT_TRUE(offset.ok()) << offset.status();
  uint64_t value = 0;
  ASSERT_TRUE(absl::SimpleAtoi(offset->value_or(""), &value));
  EXPECT_EQ(value, got.back().offset);
}

// The barrier as a heartbeat: written on a primary, read back on its native replica, it gives
// the replica's lag, which grows while the replica's SQL thread is stopped and falls back after.
TEST(BarrierWriterMariaDb, HeartbeatGivesReplicaLag) {
  auto pair = testing::StartReplicatedPair(/*first_server_id=*/63);
  ASSERT_TRUE(pair.ok()) << pair.status();
  BarrierOptions o;
  o.interval = absl::Milliseconds(100);
  auto connector = NewMysqlConnector(pair->primary->Dsn());
  LagTracker lag;
  BarrierWriter writer(o, connector.get(), Clock::Real(),
                       [&](const BarrierEvent& e) { lag.OnWritten(e.offset, e.committed); });
  std::thread thread([&] { writer.Run(); });

  auto replica = pair->replica->Connect();
  ASSERT_TRUE(replica.ok()) << replica.status();
  uint64_t seen = 0;
  // Plays the target's collector: each new offset on the replica is an arrival.
  auto poll = [&]() {
    auto v = replica->QueryValue("SELECT `offset` FROM drc.barrier WHERE id = 1");
    uint64_t offset = 0;
    if (v.ok() && *v && absl::SimpleAtoi(**v, &offset) && offset > seen) {
      seen = offset;
      lag.OnArrived("replica", offset, absl::Now());
    }
  };
  for (int i = 0; i < 600 && !lag.LastLag("replica"); ++i) {
    poll();
    absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_TRUE(lag.LastLag("replica").has_value());

  ASSERT_TRUE(replica->Execute("STOP SLAVE SQL_THREAD").ok());  // returns once stopped
  poll();
  const uint64_t stopped_at = seen;
  // Twelve more bumps on the primary (at 100 ms each, over a second): none reaches the
  // replica while its SQL thread is stopped.
  for (int i = 0; i < 1500 && writer.stats().offset.value_or(0) < stopped_at + 12; ++i) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  ASSERT_GE(writer.stats().offset.value_or(0), stopped_at + 12);
  poll();
  EXPECT_EQ(seen, stopped_at);  // nothing arrives while stopped
  auto stalled = lag.CurrentLag("replica", absl::Now());
  ASSERT_TRUE(stalled.has_value());
  EXPECT_GE(*stalled, absl::Seconds(1));  // at least the time since the first unarrived bump

  ASSERT_TRUE(replica->Execute("START SLAVE SQL_THREAD").ok());
  const uint64_t target = writer.stats().offset.value_or(0) + 3;
  for (int i = 0; i < 1500 && seen < target; ++i) {
    poll();
    absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_GE(seen, target);
  auto caught_up = lag.CurrentLag("replica", absl::Now());
  ASSERT_TRUE(caught_up.has_value());
  EXPECT_LT(*caught_up, *stalled);
  writer.Stop();
  thread.join();
}

}  // namespace
}  // namespace dcp::barrier
