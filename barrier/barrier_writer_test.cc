#include "barrier/barrier_writer.h"

#include <cstdio>
#include <map>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/clock.h"

namespace dcp::barrier {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// An in-memory drc.barrier that understands exactly the writer's statements, with failure
// injection.
struct FakeDb {
  bool up = true;
  bool has_db = false;
  bool has_table = false;
  std::map<uint64_t, uint64_t> rows;  // id -> offset
  std::vector<std::string> statements;
  int connects = 0;
  // The next UPDATE loses the connection, after (true) or before (false) committing.
  std::optional<bool> lose_next_update_after_commit;

  absl::StatusOr<uint64_t> Execute(absl::string_view sql) {
    statements.emplace_back(sql);
    if (!up) return absl::UnavailableError("server gone");
    if (absl::StartsWith(sql, "CREATE DATABASE IF NOT EXISTS drc")) {
      has_db = true;
      return 1;
    }
    if (absl::StartsWith(sql, "CREATE TABLE IF NOT EXISTS drc.barrier")) {
      if (!has_db) return absl::NotFoundError("no database drc");
      has_table = true;
      return 0;
    }
    unsigned long long id, to, from;
    if (std::sscanf(std::string(sql).c_str(),
                    "INSERT IGNORE INTO drc.barrier (id, `offset`) VALUES (%llu, 0)", &id) == 1) {
      if (!has_table) return absl::NotFoundError("no table");
      return rows.emplace(id, 0).second ? 1 : 0;
    }
    if (std::sscanf(std::string(sql).c_str(),
                    "UPDATE drc.barrier SET `offset` = %llu WHERE id = %llu AND `offset` = %llu",
                    &to, &id, &from) == 3) {
      auto it = rows.find(id);
      bool applied = false;
      if (it != rows.end() && it->second == from) {
        if (!lose_next_update_after_commit || *lose_next_update_after_commit) {
          it->second = to;
          applied = true;
        }
      }
      if (lose_next_update_after_commit) {
        lose_next_update_after_commit.reset();
        up = false;
        return absl::UnavailableError("lost connection during query");
      }
      return applied ? 1 : 0;
    }
    return absl::InvalidArgumentError(absl::StrCat("fake: unknown statement ", sql));
  }
  absl::StatusOr<std::optional<std::string>> QueryValue(absl::string_view sql) {
    statements.emplace_back(sql);
    if (!up) return absl::UnavailableError("server gone");
    unsigned long long id;
    if (std::sscanf(std::string(sql).c_str(), "SELECT `offset` FROM drc.barrier WHERE id = %llu",
                    &id) == 1) {
      auto it = rows.find(id);
      if (it == rows.end()) return absl::NotFoundError("no row");
      return std::optional<std::string>(absl::StrCat(it->second));
    }
    return absl::InvalidArgumentError(absl::StrCat("fake: unknown query ", sql));
  }
};

class FakeSession final : public SqlSession {
 public:
  explicit FakeSession(FakeDb* db) : db_(db) {}
  absl::StatusOr<uint64_t> Execute(absl::string_view sql) override { return db_->Execute(sql); }
  absl::StatusOr<std::optional<std::string>> QueryValue(absl::string_view sql) override {
    return db_->QueryValue(sql);
  }

 private:
  FakeDb* db_;
};

class FakeConnector final : public SqlConnector {
 public:
  explicit FakeConnector(FakeDb* db) : db_(db) {}
  absl::StatusOr<std::unique_ptr<SqlSession>> Connect() override {
    ++db_->connects;
    if (!connect_status.ok()) return connect_status;
    if (!db_->up) return absl::UnavailableError("connection refused");
    return std::unique_ptr<SqlSession>(new FakeSession(db_));
  }
  absl::Status Verify() override {
    ++verifies;
    return verify_status;
  }
  // The server behind the connector (a failover points it at another one).
  void Repoint(FakeDb* db) { db_ = db; }

  absl::Status connect_status;
  absl::Status verify_status;
  int verifies = 0;

 private:
  FakeDb* db_;
};

class BarrierWriterTest : public ::testing::Test {
 protected:
  BarrierWriter Make(uint32_t id = 1, uint64_t floor = 0,
                     absl::Duration recheck = absl::ZeroDuration()) {
    BarrierOptions o;
    o.id = id;
    o.floor = floor;
    o.recheck = recheck;
    o.interval = absl::Seconds(2);
    o.initial_backoff = absl::Milliseconds(500);
    o.max_backoff = absl::Seconds(4);
    return BarrierWriter(o, &connector_, &clock_,
                         [this](const BarrierEvent& e) { events_.push_back(e); });
  }
  std::vector<uint64_t> Offsets() const {
    std::vector<uint64_t> out;
    for (const auto& e : events_) out.push_back(e.offset);
    return out;
  }

  FakeDb db_;
  FakeConnector connector_{&db_};
  FakeClock clock_;
  std::vector<BarrierEvent> events_;
};

TEST_F(BarrierWriterTest, CreatesTheTableAndBumpsEveryInterval) {
  BarrierWriter w = Make();
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(w.RunOnce(), absl::Seconds(2));
    clock_.Advance(absl::Seconds(2));
  }
  EXPECT_TRUE(db_.has_table);
  EXPECT_THAT(db_.statements[1], HasSubstr("`offset` BIGINT unsigned NOT NULL DEFAULT 0"));
  EXPECT_THAT(db_.statements[1], HasSubstr("ON UPDATE CURRENT_TIMESTAMP, PRIMARY KEY (id)"));
  EXPECT_EQ(db_.rows.at(1), 3u);
  EXPECT_THAT(Offsets(), ElementsAre(1, 2, 3));
  // Each barrier carries its commit time: one interval apart.
  EXPECT_EQ(events_[1].committed - events_[0].committed, absl::Seconds(2));
  EXPECT_EQ(w.stats().bumps, 3u);
  EXPECT_EQ(w.stats().offset, 3u);
  EXPECT_TRUE(w.stats().connected);
}

TEST_F(BarrierWriterTest, ContinuesAnExistingRowAndUsesItsOwnId) {
  db_.has_db = db_.has_table = true;
  db_.rows[1] = 41;  // another checker's row
  db_.rows[7] = 100;
  BarrierWriter w = Make(7);
  w.RunOnce();
  w.RunOnce();
  EXPECT_THAT(Offsets(), ElementsAre(101, 102));
  EXPECT_EQ(db_.rows.at(1), 41u);
}

TEST_F(BarrierWriterTest, LostConnectionAfterCommitDoesNotBumpTwice) {
  BarrierWriter w = Make();
  w.RunOnce();  // 1
  db_.lose_next_update_after_commit = true;
  EXPECT_EQ(w.RunOnce(), absl::Milliseconds(500));  // bump to 2 committed, answer lost
  EXPECT_EQ(db_.rows.at(1), 2u);
  db_.up = true;
  w.RunOnce();  // reconnect: 2 is confirmed, then 3
  w.RunOnce();
  EXPECT_THAT(Offsets(), ElementsAre(1, 2, 3, 4));
  EXPECT_TRUE(events_[1].confirmed_late);
  EXPECT_EQ(db_.rows.at(1), 4u);
  EXPECT_EQ(w.stats().failures, 1u);
  EXPECT_EQ(w.stats().connects, 2u);
}

TEST_F(BarrierWriterTest, LostConnectionBeforeCommitIsRetriedNotSkipped) {
  BarrierWriter w = Make();
  w.RunOnce();  // 1
  db_.lose_next_update_after_commit = false;
  w.RunOnce();  // bump to 2 lost
  EXPECT_EQ(db_.rows.at(1), 1u);
  db_.up = true;
  w.RunOnce();  // 2
  w.RunOnce();  // 3
  EXPECT_THAT(Offsets(), ElementsAre(1, 2, 3));
  EXPECT_FALSE(events_[1].confirmed_late);
}

TEST_F(BarrierWriterTest, ServerDownBacksOffExponentiallyThenRecovers) {
  db_.up = false;
  BarrierWriter w = Make();
  std::vector<absl::Duration> waits;
  for (int i = 0; i < 5; ++i) waits.push_back(w.RunOnce());
  EXPECT_THAT(waits, ElementsAre(absl::Milliseconds(500), absl::Seconds(1), absl::Seconds(2),
                                 absl::Seconds(4), absl::Seconds(4)));
  EXPECT_EQ(w.stats().failures, 5u);
  EXPECT_FALSE(w.stats().connected);
  EXPECT_EQ(w.stats().last_error.code(), absl::StatusCode::kUnavailable);
  db_.up = true;
  EXPECT_EQ(w.RunOnce(), absl::Seconds(2));
  EXPECT_THAT(Offsets(), ElementsAre(1));
  EXPECT_TRUE(w.stats().last_error.ok());
  db_.up = false;  // and again: the backoff starts over
  EXPECT_EQ(w.RunOnce(), absl::Milliseconds(500));
}

TEST_F(BarrierWriterTest, RowMovedByAnotherWriterIsFollowed) {
  BarrierWriter w = Make();
  w.RunOnce();  // 1
  db_.rows[1] = 50;
  w.RunOnce();  // CAS fails: re-read 50
  w.RunOnce();  // 51
  EXPECT_THAT(Offsets(), ElementsAre(1, 51));
}

TEST_F(BarrierWriterTest, OffsetsNeverGoBackwardsAcrossAFailover) {
  BarrierWriter w = Make();
  for (int i = 0; i < 5; ++i) w.RunOnce();  // 1..5 on the old primary
  // The new primary received the bumps up to 3 only; the old one is gone.
  FakeDb promoted;
  promoted.has_db = promoted.has_table = true;
  promoted.rows[1] = 3;
  db_.up = false;
  w.RunOnce();  // the bump to 6 fails: reconnect
  connector_.Repoint(&promoted);
  w.RunOnce();  // setup reads 3; bumps to 6 in one step
  w.RunOnce();
  EXPECT_THAT(Offsets(), ElementsAre(1, 2, 3, 4, 5, 6, 7));
  EXPECT_EQ(promoted.rows.at(1), 7u);
  EXPECT_THAT(promoted.statements,
              ::testing::Contains("UPDATE drc.barrier SET `offset` = 6 WHERE id = 1 AND `offset` = 3"));
}

TEST_F(BarrierWriterTest, FloorFromBeforeARestart) {
  db_.has_db = db_.has_table = true;
  db_.rows[1] = 10;
  BarrierWriter w = Make(1, /*floor=*/40);
  w.RunOnce();
  w.RunOnce();
  EXPECT_THAT(Offsets(), ElementsAre(41, 42));
}

TEST_F(BarrierWriterTest, SplitBrainWritesNothingAndSaysWhy) {
  connector_.connect_status =
      absl::FailedPreconditionError("split brain: a:1 and c:3 are all writable");
  BarrierWriter w = Make();
  w.RunOnce();
  w.RunOnce();
  EXPECT_TRUE(Offsets().empty());
  EXPECT_TRUE(db_.statements.empty());
  EXPECT_TRUE(absl::IsFailedPrecondition(w.stats().last_error));
  EXPECT_THAT(w.stats().last_error.message(), HasSubstr("split brain"));
  connector_.connect_status = absl::OkStatus();
  w.RunOnce();
  EXPECT_THAT(Offsets(), ElementsAre(1));
  EXPECT_TRUE(w.stats().last_error.ok());
}

TEST_F(BarrierWriterTest, RecheckDropsTheSessionWhenTheServerIsNoLongerTheOne) {
  BarrierWriter w = Make(1, 0, /*recheck=*/absl::Seconds(10));
  w.RunOnce();  // 1
  clock_.Advance(absl::Seconds(4));
  w.RunOnce();  // 2, no check yet
  EXPECT_EQ(connector_.verifies, 0);
  clock_.Advance(absl::Seconds(6));
  connector_.verify_status = absl::FailedPreconditionError("split brain: a and c");
  w.RunOnce();  // checked: dropped, nothing written
  EXPECT_EQ(connector_.verifies, 1);
  EXPECT_THAT(Offsets(), ElementsAre(1, 2));
  EXPECT_FALSE(w.stats().connected);
  connector_.verify_status = absl::OkStatus();
  w.RunOnce();
  EXPECT_THAT(Offsets(), ElementsAre(1, 2, 3));
}

TEST_F(BarrierWriterTest, RunStopsOnRequest) {
  BarrierWriter w = Make();
  std::thread t([&] { w.Run(); });
  clock_.AwaitSleepers(1);
  clock_.Advance(absl::Seconds(2));
  while (w.stats().bumps < 2) std::this_thread::yield();
  w.Stop();
  clock_.Advance(absl::Seconds(2));
  t.join();
  EXPECT_GE(w.stats().bumps, 2u);
}

TEST(BarrierOptions, Validation) {
  BarrierOptions o;
  EXPECT_TRUE(o.Validate().ok());
  o.id = 0;
  EXPECT_FALSE(o.Validate().ok());
  o.id = 1;
  o.interval = absl::ZeroDuration();
  EXPECT_FALSE(o.Validate().ok());
}

}  // namespace
}  // namespace dcp::barrier
