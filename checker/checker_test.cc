#include "checker/checker.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/clock.h"

namespace dcp::checker {

using alarm::AlarmKind;
using alarm::KeyDiffKind;
namespace {

using ::testing::HasSubstr;
using ::testing::SizeIs;

std::string Sum(int v) { return absl::StrFormat("%016x", v); }

class CheckerTest : public ::testing::Test {
 protected:
  void Make(Mode mode = Mode::kState, std::vector<std::string> targets = {"dst"}, int tolerance = 2,
            size_t cap = 1'000'000) {
    CheckerOptions o;
    o.source_tag = "src";
    o.target_tags = std::move(targets);
    o.mode = mode;
    o.tolerance = tolerance;
    o.timeout = absl::Seconds(10);
    o.max_buffered_changes = cap;
    auto c = Checker::Create(o, &clock_, &sink_);
    ASSERT_TRUE(c.ok()) << c.status();
    checker_ = std::move(*c);
  }
  void Row(const std::string& tag, const std::string& key, int sum) {
    ASSERT_TRUE(
        checker_
            ->Add(Change::MakeRow(tag, key, Sum(sum), absl::StrCat("0-1-", ++gtid_), 1700000000))
            .ok());
  }
  void Del(const std::string& tag, const std::string& key) {
    ASSERT_TRUE(checker_->Add(Change::MakeDelete(tag, key, absl::StrCat("0-1-", ++gtid_))).ok());
  }
  void Bar(const std::string& tag, uint64_t n) {
    ASSERT_TRUE(checker_->Add(Change::MakeBarrier(tag, n)).ok());
  }
  // The barrier on the source and every listed target.
  void BarAll(uint64_t n, std::vector<std::string> tags = {"src", "dst"}) {
    for (const auto& t : tags) Bar(t, n);
  }
  TargetStats Target(size_t i = 0) { return checker_->Stats().targets[i]; }
  std::vector<alarm::Alarm> Take() { return sink_.Take(); }

  FakeClock clock_;
  alarm::MemorySink sink_;
  std::unique_ptr<Checker> checker_;
  int gtid_ = 0;
};

// --- gravity's four cases -------------------------------------------------------------

TEST_F(CheckerTest, GravityOneIdenticalBatch) {
  for (Mode mode : {Mode::kState, Mode::kSequence}) {
    Make(mode);
    BarAll(1);
    for (const char* tag : {"src", "dst"}) {
      Row(tag, "t:1", 1);
      Row(tag, "t:2", 2);
      Row(tag, "t:3", 3);
    }
    BarAll(2);
    EXPECT_THAT(Take(), SizeIs(0));
    EXPECT_EQ(Target().windows_compared, 1u);
    EXPECT_EQ(Target().windows_same, 1u);
    EXPECT_EQ(Target().buffered_changes, 0u);
    EXPECT_EQ(Target().last_done_barrier, 2u);
  }
}

TEST_F(CheckerTest, GravityTwoSeveralBatchesSeveralUpdatesPerKey) {
  for (Mode mode : {Mode::kState, Mode::kSequence}) {
    Make(mode);
    BarAll(10);
    for (int batch = 0; batch < 4; ++batch) {
      for (const char* tag : {"src", "dst"}) {
        for (int u = 0; u < 3; ++u) {
          for (int k = 0; k < 5; ++k) Row(tag, absl::StrCat("t:", k), batch * 100 + u * 10 + k);
        }
      }
      BarAll(11 + batch);
    }
    EXPECT_THAT(Take(), SizeIs(0));
    EXPECT_EQ(Target().windows_compared, 4u);
    EXPECT_EQ(Target().windows_same, 4u);
  }
}

TEST_F(CheckerTest, GravityThreeDifferentChecksumIsADiffNamingTheKey) {
  Make(Mode::kSequence);
  BarAll(1);
  Row("src", "shop.orders:7", 1);
  Row("src", "shop.orders:8", 2);
  Row("dst", "shop.orders:7", 1);
  Row("dst", "shop.orders:8", 3);
  BarAll(2);
  auto alarms = Take();
  ASSERT_THAT(alarms, SizeIs(1));
  const alarm::Alarm& a = alarms[0];
  EXPECT_EQ(a.kind, AlarmKind::kDiff);
  EXPECT_EQ(a.source_tag, "src");
  EXPECT_EQ(a.target_tag, "dst");
  EXPECT_EQ(a.from_barrier, 1u);
  EXPECT_EQ(a.to_barrier, 2u);
  EXPECT_EQ(a.total_keys, 1u);
  ASSERT_THAT(a.keys, SizeIs(1));
  EXPECT_EQ(a.keys[0].key, "shop.orders:8");
  EXPECT_EQ(a.keys[0].table, "shop.orders");
  EXPECT_EQ(a.keys[0].kind, KeyDiffKind::kSequenceDiffers);
  EXPECT_EQ(a.keys[0].source.checksum, Sum(2));
  EXPECT_EQ(a.keys[0].target.checksum, Sum(3));
  EXPECT_EQ(a.keys[0].source.origin, "0-1-2");
  EXPECT_EQ(a.keys[0].target.origin, "0-1-4");
  EXPECT_EQ(a.keys[0].source.timestamp, 1700000000u);
  EXPECT_EQ(Target().windows_diff, 1u);

  // State mode with tolerance 0 reports at once too.
  Make(Mode::kState, {"dst"}, /*tolerance=*/0);
  BarAll(1);
  Row("src", "shop.orders:8", 2);
  Row("dst", "shop.orders:8", 3);
  BarAll(2);
  alarms = Take();
  ASSERT_THAT(alarms, SizeIs(1));
  EXPECT_EQ(alarms[0].keys[0].kind, KeyDiffKind::kDifferent);
}

TEST_F(CheckerTest, GravityFourMissingTargetSegmentIsATimeout) {
  Make();
  BarAll(1);
  Row("src", "t:1", 1);
  Bar("src", 2);
  clock_.Advance(absl::Seconds(9));
  checker_->Tick();
  EXPECT_THAT(Take(), SizeIs(0));
  clock_.Advance(absl::Seconds(2));
  checker_->Tick();
  auto alarms = Take();
  ASSERT_THAT(alarms, SizeIs(1));
  EXPECT_EQ(alarms[0].kind, AlarmKind::kTimeout);
  EXPECT_EQ(alarms[0].target_tag, "dst");
  EXPECT_EQ(alarms[0].from_barrier, 1u);
  EXPECT_EQ(alarms[0].to_barrier, 2u);
  EXPECT_EQ(alarms[0].waited, absl::Seconds(11));
  EXPECT_THAT(alarms[0].message, HasSubstr("last barrier is 1"));
  // One per episode, not one per window.
  for (int i = 3; i < 8; ++i) {
    Bar("src", i);
    clock_.Advance(absl::Seconds(20));
    checker_->Tick();
  }
  EXPECT_THAT(Take(), SizeIs(0));
  EXPECT_EQ(Target().timeouts, 1u);
  EXPECT_TRUE(Target().in_timeout);
}

// --- state mode -------------------------------------------------------------------------

// Source changes t:1 in window [1,2); the target applies it `late` windows later.
class LateTest : public CheckerTest {
 public:
  std::vector<alarm::Alarm> Run(int late) {
    Make(Mode::kState, {"dst"}, /*tolerance=*/2);
    BarAll(1);
    Row("src", "t:1", 5);
    Row("src", "t:2", 6);
    Row("dst", "t:2", 6);
    for (int w = 0; w < 6; ++w) {
      if (w == late) Row("dst", "t:1", 5);
      BarAll(2 + w);
    }
    return Take();
  }
};

TEST_F(LateTest, OneOrTwoBarriersLateIsNoAlarm) {
  EXPECT_THAT(Run(1), SizeIs(0));
  EXPECT_EQ(Target().suspects_cleared, 1u);
  EXPECT_EQ(Target().suspects, 0u);
  EXPECT_THAT(Run(2), SizeIs(0));
  EXPECT_EQ(Target().suspects_cleared, 1u);
  EXPECT_THAT(Run(0), SizeIs(0));
  EXPECT_EQ(Target().suspects_cleared, 0u);
}

TEST_F(LateTest, ThreeBarriersLateIsADiff) {
  auto alarms = Run(3);
  ASSERT_THAT(alarms, SizeIs(1));
  const alarm::Alarm& a = alarms[0];
  EXPECT_EQ(a.kind, AlarmKind::kDiff);
  EXPECT_EQ(a.mode, "state");
  EXPECT_EQ(a.from_barrier, 1u);
  EXPECT_EQ(a.to_barrier, 4u);  // still unexplained two windows after [1,2)
  ASSERT_THAT(a.keys, SizeIs(1));
  EXPECT_EQ(a.keys[0].key, "t:1");
  EXPECT_EQ(a.keys[0].kind, KeyDiffKind::kNotAppliedOnTarget);
  EXPECT_TRUE(a.keys[0].source.seen);
  EXPECT_FALSE(a.keys[0].target.seen);
}

TEST_F(CheckerTest, HotKeyOneWindowLateIsNoAlarm) {
  // A pipeline that is always one window late on a key the source changes every window.
  Make(Mode::kState);
  BarAll(1);
  for (int w = 0; w < 8; ++w) {
    Row("src", "t:hot", 100 + w);
    if (w > 0) Row("dst", "t:hot", 100 + w - 1);
    BarAll(2 + w);
  }
  Row("dst", "t:hot", 107);
  BarAll(10);
  EXPECT_THAT(Take(), SizeIs(0));
  EXPECT_EQ(Target().suspects, 0u);
}

TEST_F(CheckerTest, TargetOnlyChangeIsADiffNamingTheKey) {
  Make(Mode::kState);
  BarAll(1);
  Row("src", "shop.orders:1", 1);
  Row("dst", "shop.orders:1", 1);
  Row("dst", "shop.orders:99", 42);  // written directly on the target
  for (int b = 2; b <= 5; ++b) BarAll(b);
  auto alarms = Take();
  ASSERT_THAT(alarms, SizeIs(1));
  ASSERT_THAT(alarms[0].keys, SizeIs(1));
  EXPECT_EQ(alarms[0].keys[0].key, "shop.orders:99");
  EXPECT_EQ(alarms[0].keys[0].kind, KeyDiffKind::kTargetOnlyChange);
  EXPECT_FALSE(alarms[0].keys[0].source.seen);
  EXPECT_EQ(alarms[0].keys[0].target.checksum, Sum(42));
  EXPECT_EQ(alarms[0].to_barrier, 4u);
}

TEST_F(CheckerTest, DeleteNotAppliedOnTargetIsADiff) {
  Make(Mode::kState);
  BarAll(1);
  Del("src", "t:1");
  for (int b = 2; b <= 5; ++b) BarAll(b);
  auto alarms = Take();
  ASSERT_THAT(alarms, SizeIs(1));
  ASSERT_THAT(alarms[0].keys, SizeIs(1));
  EXPECT_EQ(alarms[0].keys[0].key, "t:1");
  EXPECT_EQ(alarms[0].keys[0].kind, KeyDiffKind::kNotAppliedOnTarget);
  EXPECT_TRUE(alarms[0].keys[0].source.deleted);
}

TEST_F(CheckerTest, DeletedOnSourceButPresentOnTargetIsExtra) {
  Make(Mode::kState, {"dst"}, 0);
  BarAll(1);
  Del("src", "t:1");
  Row("dst", "t:1", 3);
  BarAll(2);
  auto alarms = Take();
  ASSERT_THAT(alarms, SizeIs(1));
  EXPECT_EQ(alarms[0].keys[0].kind, KeyDiffKind::kExtraOnTarget);
  Make(Mode::kState, {"dst"}, 0);
  BarAll(1);
  Row("src", "t:1", 3);
  Del("dst", "t:1");
  BarAll(2);
  alarms = Take();
  ASSERT_THAT(alarms, SizeIs(1));
  EXPECT_EQ(alarms[0].keys[0].kind, KeyDiffKind::kMissingOnTarget);
}

TEST_F(CheckerTest, MergedUpdateIsFineInStateModeAndADiffInSequenceMode) {
  for (Mode mode : {Mode::kState, Mode::kSequence}) {
    Make(mode);
    BarAll(1);
    Row("src", "t:1", 1);  // INSERT
    Row("src", "t:1", 2);  // UPDATE, merged by the pipeline
    Row("dst", "t:1", 2);
    // REPLACE applied as DELETE + INSERT on the target.
    Row("src", "t:2", 7);
    Del("dst", "t:2");
    Row("dst", "t:2", 7);
    for (int b = 2; b <= 5; ++b) BarAll(b);
    auto alarms = Take();
    if (mode == Mode::kState) {
      EXPECT_THAT(alarms, SizeIs(0));
    } else {
      ASSERT_THAT(alarms, SizeIs(1));
      EXPECT_EQ(alarms[0].total_keys, 2u);
      EXPECT_EQ(alarms[0].keys[0].kind, KeyDiffKind::kSequenceDiffers);
      EXPECT_EQ(alarms[0].keys[0].source.changes, 2u);
      EXPECT_EQ(alarms[0].keys[0].target.changes, 1u);
    }
  }
}

TEST_F(CheckerTest, SampleIsCappedButTotalIsCounted) {
  CheckerOptions o;
  o.source_tag = "src";
  o.target_tags = {"dst"};
  o.mode = Mode::kSequence;
  o.max_sample_keys = 3;
  checker_ = std::move(*Checker::Create(o, &clock_, &sink_));
  BarAll(1);
  for (int k = 999; k >= 0; --k) Row("src", absl::StrCat("t:", k), k);
  BarAll(2);
  auto alarms = Take();
  ASSERT_THAT(alarms, SizeIs(1));
  EXPECT_EQ(alarms[0].total_keys, 1000u);
  ASSERT_THAT(alarms[0].keys, SizeIs(3));  // the smallest keys, sorted
  EXPECT_EQ(alarms[0].keys[0].key, "t:0");
  EXPECT_EQ(alarms[0].keys[1].key, "t:1");
  EXPECT_EQ(alarms[0].keys[2].key, "t:10");
}

// --- several targets --------------------------------------------------------------------

TEST_F(CheckerTest, StoppedTargetDoesNotDelayTheOther) {
  Make(Mode::kSequence, {"fast", "slow"});
  auto all = std::vector<std::string>{"src", "fast", "slow"};
  BarAll(1, all);
  // "slow" stops after barrier 1.
  for (int w = 0; w < 10; ++w) {
    Row("src", "t:1", w);
    Row("fast", "t:1", w);
    BarAll(2 + w, {"src", "fast"});
    clock_.Advance(absl::Seconds(3));
    checker_->Tick();
    EXPECT_EQ(Target(0).windows_compared, static_cast<uint64_t>(w + 1));  // on time
  }
  auto alarms = Take();
  ASSERT_THAT(alarms, SizeIs(1));
  EXPECT_EQ(alarms[0].kind, AlarmKind::kTimeout);
  EXPECT_EQ(alarms[0].target_tag, "slow");
  EXPECT_EQ(Target(1).windows_compared, 0u);
  // "slow" resumes and delivers its backlog, with one difference in window [5,6).
  for (int w = 0; w < 10; ++w) {
    Row("slow", "t:1", w == 4 ? 999 : w);
    Bar("slow", 2 + w);
  }
  alarms = Take();
  ASSERT_THAT(alarms, SizeIs(2));
  EXPECT_EQ(alarms[0].kind, AlarmKind::kDiff);  // its late windows are compared
  EXPECT_EQ(alarms[0].target_tag, "slow");
  EXPECT_EQ(alarms[0].from_barrier, 5u);
  EXPECT_EQ(alarms[1].kind, AlarmKind::kRecovered);
  EXPECT_EQ(alarms[1].target_tag, "slow");
  EXPECT_EQ(Target(1).windows_compared, 10u);
  EXPECT_EQ(Target(1).timeouts, 1u);
  EXPECT_EQ(Target(1).recovered, 1u);
  EXPECT_EQ(Target(0).timeouts, 0u);
}

// A target catching up from a long stop, window by window, whose backlog still reaches back
// almost `timeout`: one Timeout and one Recovered, not a Recovered/Timeout flap (seen in the
// fault-injection scenario when the replica's SQL thread restarted).
TEST_F(CheckerTest, CatchingUpAtTheThresholdDoesNotFlap) {
  Make();
  BarAll(1);
  // The source closes window [b-1, b) at second b; the target delivers nothing.
  for (uint64_t b = 2; b <= 21; ++b) {
    clock_.Advance(absl::Seconds(1));
    Bar("src", b);
    checker_->Tick();
  }
  auto alarms = Take();
  ASSERT_THAT(alarms, SizeIs(1));
  EXPECT_EQ(alarms[0].kind, AlarmKind::kTimeout);
  // The target delivers up to barrier 12: its oldest missing window, [12,13), closed 8 s ago,
  // under the timeout (10 s) but still far behind.
  for (uint64_t b = 2; b <= 12; ++b) Bar("dst", b);
  checker_->Tick();
  EXPECT_THAT(Take(), SizeIs(0));
  clock_.Advance(absl::Milliseconds(2500));  // now that window is 10.5 s old
  checker_->Tick();
  EXPECT_THAT(Take(), SizeIs(0));  // still the same episode
  for (uint64_t b = 13; b <= 21; ++b) Bar("dst", b);
  alarms = Take();
  ASSERT_THAT(alarms, SizeIs(1));
  EXPECT_EQ(alarms[0].kind, AlarmKind::kRecovered);
  EXPECT_EQ(Target(0).timeouts, 1u);
  EXPECT_EQ(Target(0).recovered, 1u);
}

// --- robustness -------------------------------------------------------------------------

class RobustTest : public CheckerTest {
 protected:
  // After an anomaly, a fresh window [b, b+1) with a real difference must still be found.
  void ExpectStillChecking(uint64_t b) {
    Take();
    Row("src", "t:after", 1);
    Row("dst", "t:after", 2);
    BarAll(b + 1);
    auto alarms = Take();
    ASSERT_THAT(alarms, SizeIs(1));
    EXPECT_EQ(alarms[0].kind, AlarmKind::kDiff);
    EXPECT_EQ(alarms[0].from_barrier, b);
    EXPECT_EQ(alarms[0].keys[0].key, "t:after");
  }
};

TEST_F(RobustTest, PayloadBeforeFirstBarrier) {
  Make(Mode::kSequence);
  Row("src", "t:1", 1);
  Row("src", "t:2", 1);
  Bar("src", 1);
  auto alarms = Take();
  ASSERT_THAT(alarms, SizeIs(1));
  EXPECT_EQ(alarms[0].kind, AlarmKind::kGap);
  EXPECT_EQ(alarms[0].to_barrier, 1u);
  EXPECT_THAT(alarms[0].message, HasSubstr("2 changes of tag 'src' arrived before its first"));
  Bar("dst", 1);
  ExpectStillChecking(1);
}

TEST_F(RobustTest, UnknownTag) {
  Make(Mode::kSequence);
  BarAll(1);
  auto s = checker_->Add(Change::MakeRow("nope", "t:1", Sum(1)));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(checker_->Add(Change::MakeBarrier("nope", 3)).code(),
            absl::StatusCode::kInvalidArgument);
  auto alarms = Take();
  ASSERT_THAT(alarms, SizeIs(1));  // reported once
  EXPECT_EQ(alarms[0].kind, AlarmKind::kGap);
  EXPECT_THAT(alarms[0].message, HasSubstr("unknown tag 'nope'"));
  EXPECT_EQ(checker_->Stats().unknown_tag_messages, 2u);
  ExpectStillChecking(1);
}

TEST_F(RobustTest, DuplicateBarrier) {
  Make(Mode::kSequence);
  BarAll(1);
  Bar("dst", 1);  // a harmless resend: nothing to report
  EXPECT_THAT(Take(), SizeIs(0));
  Row("dst", "t:1", 1);
  Bar("dst", 1);  // a resend after changes: the window restarts
  Row("src", "t:1", 1);
  Row("dst", "t:1", 1);
  auto alarms = Take();
  ASSERT_THAT(alarms, SizeIs(1));
  EXPECT_EQ(alarms[0].kind, AlarmKind::kGap);
  EXPECT_THAT(alarms[0].message, HasSubstr("duplicate barrier 1"));
  BarAll(2);
  EXPECT_THAT(Take(), SizeIs(0));  // the restarted window matches
  ExpectStillChecking(2);
}

TEST_F(RobustTest, OutOfOrderBarrier) {
  Make(Mode::kSequence);
  BarAll(1);
  BarAll(2);
  BarAll(3);
  Row("dst", "t:x", 1);
  Bar("dst", 2);  // the target's collector went back (replay)
  auto alarms = Take();
  ASSERT_THAT(alarms, SizeIs(1));
  EXPECT_EQ(alarms[0].kind, AlarmKind::kGap);
  EXPECT_THAT(alarms[0].message, HasSubstr("out-of-order barrier 2 after 3"));
  Row("dst", "t:replayed", 1);  // ignored until barrier 3 comes back
  Bar("dst", 3);
  EXPECT_EQ(checker_->Stats().tags[1].dropped_in_resync, 1u);
  ExpectStillChecking(3);
}

TEST_F(RobustTest, OutOfOrderBarrierThatNeverComesBack) {
  Make(Mode::kSequence);
  BarAll(1);
  BarAll(2);
  BarAll(3);
  Bar("dst", 2);  // went back
  Row("dst", "t:x", 1);
  Row("src", "t:x", 1);
  Bar("src", 4);
  Bar("dst", 4);  // 3 never came back: [3,4) was not collected on the target
  auto alarms = Take();
  ASSERT_THAT(alarms, SizeIs(2));
  EXPECT_THAT(alarms[0].message, HasSubstr("out-of-order barrier 2 after 3"));
  EXPECT_EQ(alarms[1].kind, AlarmKind::kGap);
  EXPECT_EQ(alarms[1].from_barrier, 3u);
  EXPECT_EQ(alarms[1].to_barrier, 4u);
  EXPECT_THAT(alarms[1].message, HasSubstr("without barrier 3 coming back"));
  EXPECT_EQ(Target().gaps, 2u);
  ExpectStillChecking(4);
}

TEST_F(RobustTest, BarrierJump) {
  Make(Mode::kSequence);
  BarAll(1);
  Row("src", "t:1", 1);
  Row("dst", "t:1", 2);  // would differ, but the source window is unknown
  Bar("src", 4);         // 2 and 3 were never seen on the source
  auto alarms = Take();
  ASSERT_THAT(alarms, SizeIs(1));
  EXPECT_EQ(alarms[0].kind, AlarmKind::kGap);
  EXPECT_EQ(alarms[0].from_barrier, 1u);
  EXPECT_EQ(alarms[0].to_barrier, 4u);
  EXPECT_THAT(alarms[0].message, HasSubstr("barrier jump from 1 to 4"));
  for (int b = 2; b <= 4; ++b) Bar("dst", b);
  EXPECT_THAT(Take(), SizeIs(0));
  EXPECT_EQ(Target().pending_target_windows, 0u);
  EXPECT_EQ(Target().pending_source_windows, 0u);
  ExpectStillChecking(4);
}

TEST_F(RobustTest, CollectorReconnect) {
  Make(Mode::kSequence);
  BarAll(1);
  BarAll(2);
  Row("src", "t:1", 1);
  Row("dst", "t:1", 1);
  ASSERT_TRUE(checker_->Add(Change{"dst", Reconnect{"connection reset"}, 0}).ok());
  Row("dst", "t:2", 5);
  BarAll(3);
  auto alarms = Take();
  ASSERT_THAT(alarms, SizeIs(1));
  EXPECT_EQ(alarms[0].kind, AlarmKind::kGap);
  EXPECT_EQ(alarms[0].from_barrier, 2u);
  EXPECT_EQ(alarms[0].to_barrier, 3u);
  EXPECT_THAT(alarms[0].message, HasSubstr("reconnected (connection reset)"));
  ExpectStillChecking(3);
}

TEST_F(RobustTest, DuplicateChangesBySeqAreDropped) {
  Make(Mode::kSequence);
  BarAll(1);
  ASSERT_TRUE(checker_->Add(Change::MakeRow("src", "t:1", Sum(1), "", 0, 10)).ok());
  ASSERT_TRUE(checker_->Add(Change::MakeRow("src", "t:1", Sum(1), "", 0, 10)).ok());  // resent
  Row("dst", "t:1", 1);
  BarAll(2);
  EXPECT_THAT(Take(), SizeIs(0));
  EXPECT_EQ(checker_->Stats().tags[0].duplicates, 1u);
}

// --- memory cap -------------------------------------------------------------------------

TEST_F(CheckerTest, MemoryCapWithStoppedTarget) {
  Make(Mode::kSequence, {"dst"}, 2, /*cap=*/100);
  BarAll(1);
  size_t max_memory = 0;
  for (int w = 0; w < 50; ++w) {
    for (int k = 0; k < 10; ++k) Row("src", absl::StrCat("t:", w * 10 + k), k);
    Bar("src", 2 + w);
    EXPECT_LE(Target().buffered_changes, 100u);
    max_memory = std::max(max_memory, checker_->MemoryBytes());
  }
  EXPECT_LT(max_memory, 100u * 1000);  // bounded by the cap, not by 500 changes
  auto alarms = Take();
  ASSERT_THAT(alarms, SizeIs(1));
  EXPECT_EQ(alarms[0].kind, AlarmKind::kOverflow);
  EXPECT_EQ(alarms[0].from_barrier, 1u);
  EXPECT_EQ(alarms[0].to_barrier, 2u);
  EXPECT_EQ(Target().overflows, 40u);
  EXPECT_EQ(Target().pending_source_windows, 11u);  // the dropped windows merged into one
  // The target comes back with the same content: the remaining windows match, and the
  // episode ends with the full unchecked range.
  for (int w = 0; w < 50; ++w) {
    for (int k = 0; k < 10; ++k) Row("dst", absl::StrCat("t:", w * 10 + k), k);
    Bar("dst", 2 + w);
  }
  alarms = Take();
  ASSERT_THAT(alarms, SizeIs(1));
  EXPECT_EQ(alarms[0].kind, AlarmKind::kOverflow);
  EXPECT_EQ(alarms[0].from_barrier, 1u);
  EXPECT_EQ(alarms[0].to_barrier, 41u);
  EXPECT_EQ(Target().windows_compared, 10u);
  EXPECT_EQ(Target().windows_same, 10u);
  EXPECT_EQ(Target().buffered_changes, 0u);
}

TEST_F(CheckerTest, OversizedOpenWindowIsAnOverflow) {
  Make(Mode::kSequence, {"dst"}, 2, /*cap=*/5);
  BarAll(1);
  for (int k = 0; k < 8; ++k) Row("src", absl::StrCat("t:", k), k);
  Bar("src", 2);
  auto alarms = Take();
  ASSERT_THAT(alarms, SizeIs(1));
  EXPECT_EQ(alarms[0].kind, AlarmKind::kOverflow);
  EXPECT_THAT(alarms[0].message, HasSubstr("more than 5 changes"));
  Bar("dst", 2);
  EXPECT_THAT(Take(), SizeIs(0));
}

TEST_F(CheckerTest, CollectorsOnSeveralThreads) {
  Make(Mode::kState, {"dst"});
  auto feed = [this](const std::string& tag) {
    for (int w = 0; w < 200; ++w) {
      for (int k = 0; k < 20; ++k) {
        EXPECT_TRUE(
            checker_->Add(Change::MakeRow(tag, absl::StrCat("t:", w * 20 + k), Sum(k))).ok());
      }
      EXPECT_TRUE(checker_->Add(Change::MakeBarrier(tag, 1 + w)).ok());
    }
  };
  std::thread a(feed, "src");
  std::thread b(feed, "dst");
  std::thread ticker([this] {
    for (int i = 0; i < 100; ++i) checker_->Tick();
  });
  a.join();
  b.join();
  ticker.join();
  EXPECT_THAT(Take(), SizeIs(2));  // each tag's changes before its first barrier: one Gap each
  EXPECT_EQ(Target().windows_compared, 199u);
  EXPECT_EQ(Target().windows_same, 199u);
}

TEST_F(CheckerTest, ReportsBarrierArrivalsForLag) {
  CheckerOptions o;
  o.source_tag = "src";
  o.target_tags = {"dst"};
  std::vector<std::string> seen;
  o.on_barrier = [&](const std::string& tag, uint64_t offset, absl::Time at) {
    seen.push_back(absl::StrCat(tag, ":", offset, "@", absl::ToUnixSeconds(at)));
  };
  clock_.SetTime(absl::FromUnixSeconds(100));
  checker_ = std::move(*Checker::Create(o, &clock_, &sink_));
  Bar("src", 5);
  clock_.Advance(absl::Seconds(3));
  Bar("dst", 5);
  EXPECT_THAT(seen, ::testing::ElementsAre("src:5@100", "dst:5@103"));
}

// Random streams with every anomaly mixed in: the checker must never crash, keep its caps,
// and still compare windows.
TEST_F(CheckerTest, RandomAnomaliesNeverBreakIt) {
  for (Mode mode : {Mode::kState, Mode::kSequence}) {
    Make(mode, {"d1", "d2"}, 2, /*cap=*/300);
    std::mt19937_64 rng(42);
    const std::vector<std::string> tags = {"src", "d1", "d2", "bogus"};
    std::map<std::string, uint64_t> barrier;
    for (int i = 0; i < 200000; ++i) {
      const std::string& tag = tags[rng() % (rng() % 50 == 0 ? 4 : 3)];
      const int r = static_cast<int>(rng() % 1000);
      Change c;
      if (r < 30) {
        uint64_t& b = barrier[tag];
        const int kind = static_cast<int>(rng() % 100);
        if (kind < 85) {
          ++b;  // normal
        } else if (kind < 90) {
          b += 1 + rng() % 4;  // jump
        } else if (kind < 95 && b > 0) {
          b -= rng() % std::min<uint64_t>(b, 3);  // duplicate or out of order
        }
        c = Change::MakeBarrier(tag, b);
      } else if (r < 32) {
        c = Change{tag, Reconnect{"test"}, 0};
      } else if (r < 40) {
        c = Change::MakeDelete(tag, absl::StrCat("t:", rng() % 50));
      } else {
        c = Change::MakeRow(tag, absl::StrCat("t:", rng() % 50), Sum(static_cast<int>(rng() % 3)),
                            absl::StrCat("u:", i), 0, rng() % 20 == 0 ? 1 : 0);
      }
      (void)checker_->Add(c);
      if (i % 1000 == 0) {
        clock_.Advance(absl::Seconds(1 + rng() % 5));
        checker_->Tick();
      }
      if (i % 5000 == 0) {
        for (const auto& t : checker_->Stats().targets) ASSERT_LE(t.buffered_changes, 300u);
      }
    }
    auto stats = checker_->Stats();
    EXPECT_GT(stats.targets[0].windows_compared + stats.targets[1].windows_compared, 0u);
    EXPECT_GT(sink_.All().size(), 0u);
    Take();
  }
}

TEST(CheckerOptions, Validation) {
  CheckerOptions o;
  EXPECT_FALSE(o.Validate().ok());
  o.source_tag = "a";
  o.target_tags = {"b", "c"};
  EXPECT_TRUE(o.Validate().ok());
  o.target_tags = {"b", "a"};
  EXPECT_THAT(std::string(o.Validate().message()), HasSubstr("both the source and a target"));
  o.target_tags = {"b", "b"};
  EXPECT_FALSE(o.Validate().ok());
  o.target_tags = {"b"};
  o.tolerance = -1;
  EXPECT_FALSE(o.Validate().ok());
  EXPECT_EQ(*ParseMode("sequence"), Mode::kSequence);
  EXPECT_FALSE(ParseMode("strict").ok());
}

TEST(AlarmJson, DiffDocument) {
  alarm::Alarm a;
  a.kind = AlarmKind::kDiff;
  a.time = absl::FromUnixSeconds(1700000000);
  a.source_tag = "src";
  a.target_tag = "dst";
  a.from_barrier = 4;
  a.to_barrier = 5;
  a.mode = "state";
  a.message = "1 key differs";
  a.total_keys = 1;
  alarm::KeyDiff k;
  k.key = "shop.orders:\"7\"";
  k.table = "shop.orders";
  k.kind = KeyDiffKind::kDifferent;
  k.source.seen = true;
  k.source.checksum = "00ff";
  k.source.content = "a\nb";
  a.keys.push_back(k);
  EXPECT_EQ(a.ToJson(3, true),
            "{\"sequence\":3,\"kind\":\"diff\","
            "\"incident_key\":\"diff:src->dst:shop.orders:\\\"7\\\"\",\"time\":\"2023-11-14T22:13:20.000Z\","
            "\"source_tag\":\"src\",\"target_tag\":\"dst\",\"from_barrier\":4,\"to_barrier\":5,"
            "\"mode\":\"state\",\"message\":\"1 key differs\",\"total_keys\":1,\"keys\":["
            "{\"key\":\"shop.orders:\\\"7\\\"\",\"table\":\"shop.orders\",\"what\":\"different\","
            "\"source\":{\"seen\":true,\"deleted\":false,\"checksum\":\"00ff\",\"origin\":\"\","
            "\"timestamp\":0,\"changes\":0,\"content\":\"a\\nb\"},\"target\":{\"seen\":false}}],"
            "\"text\":\"DIFF src->dst barriers [4,5): 1 key differs (shop.orders:\\\"7\\\" "
            "different): 1 key differs\"}");
}

// --- restarts --------------------------------------------------------------------------

TEST_F(CheckerTest, ResumeBarrierFollowsComparedWindowsAndHoldsForSuspects) {
  Make(Mode::kState, {"dst", "dst2"}, /*tolerance=*/2);
  EXPECT_EQ(checker_->ResumeBarrier(), std::nullopt);
  BarAll(1, {"src", "dst", "dst2"});
  BarAll(2, {"src", "dst", "dst2"});
  EXPECT_EQ(checker_->ResumeBarrier(), 2u);
  BarAll(3, {"src", "dst"});  // dst2 is behind: its window [2,3) is not compared yet
  EXPECT_EQ(checker_->ResumeBarrier(), 2u);
  EXPECT_EQ(Target(0).checked_to, 3u);
  Bar("dst2", 3);
  EXPECT_EQ(checker_->ResumeBarrier(), 3u);
  // A key differing in [3,4) is a suspect, not yet reported: a restart must re-read [3,4).
  Row("src", "t:1", 1);
  Row("dst", "t:1", 2);
  Row("dst2", "t:1", 1);
  BarAll(4, {"src", "dst", "dst2"});
  EXPECT_EQ(Target(0).suspects, 1u);
  EXPECT_EQ(checker_->ResumeBarrier(), 3u);
  BarAll(5, {"src", "dst", "dst2"});
  EXPECT_EQ(checker_->ResumeBarrier(), 3u);
  // Reported after `tolerance` windows: from then on nothing needs re-reading.
  BarAll(6, {"src", "dst", "dst2"});
  ASSERT_EQ(sink_.Count(AlarmKind::kDiff), 1u);
  EXPECT_EQ(checker_->ResumeBarrier(), 6u);
}

TEST_F(CheckerTest, DiffNamesTheTableOfACanonicalKey) {
  Make(Mode::kState, {"dst"}, /*tolerance=*/0);
  BarAll(1);
  Row("src", R"(["shop.orders","n:7"])", 1);
  Row("dst", R"(["shop.orders","n:7"])", 2);
  Row("src", R"(["a\"b.c","s:x"])", 1);
  BarAll(2);
  std::vector<alarm::Alarm> alarms = Take();
  ASSERT_THAT(alarms, SizeIs(1));
  ASSERT_THAT(alarms[0].keys, SizeIs(2));
  std::map<std::string, std::string> tables;
  for (const alarm::KeyDiff& k : alarms[0].keys) tables[k.key] = k.table;
  EXPECT_EQ(tables[R"(["shop.orders","n:7"])"], "shop.orders");
  EXPECT_EQ(tables[R"(["a\"b.c","s:x"])"], "a\"b.c");
}

}  // namespace
}  // namespace dcp::checker
