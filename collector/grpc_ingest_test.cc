#include "collector/grpc_ingest.h"

#include "collector/grpc_test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dcp::collector {
namespace {

using testing::Barrier;
using testing::Payload;

// Records what it receives; can be told to fail.
class FakeSink final : public MessageSink {
 public:
  absl::Status Put(std::vector<checker::Change>& changes,
                   const std::function<bool()>& cancelled) override {
    ++puts;
    if (!fail.ok()) return fail;
    for (checker::Change& c : changes) got.push_back(std::move(c));
    return absl::OkStatus();
  }
  // The origins (wire ids) of what was delivered.
  std::vector<std::string> Ids() const {
    std::vector<std::string> ids;
    for (const checker::Change& c : got) {
      const auto* b = std::get_if<checker::Barrier>(&c.body);
      ids.push_back(b != nullptr ? b->origin : std::get<checker::RowChange>(c.body).origin);
    }
    return ids;
  }
  std::vector<checker::Change> got;
  int puts = 0;
  absl::Status fail;
};

class IngestTest : public ::testing::Test {
 protected:
  IngestTest() : core_(IngestOptions{{"src", "dst"}, 512, false}, &sink_) {}

  BatchResponse Ingest(std::vector<Message> ms) {
    auto r = core_.Ingest(std::move(ms), nullptr);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : BatchResponse();
  }
  int CodeOf(Message m) {
    BatchResponse r = Ingest({std::move(m)});
    return r.rejections().empty() ? 0 : r.rejections(0).code();
  }
  uint64_t Acked(const std::string& tag) { return core_.AckedPositions({tag}).at(0).seq(); }

  FakeSink sink_;
  IngestCore core_;
};

TEST_F(IngestTest, EveryRejectionCode) {
  Message no_tag = Barrier("", 1);
  EXPECT_EQ(CodeOf(no_tag), CODE_MISSING_TAG);
  EXPECT_EQ(CodeOf(Barrier("nope", 1)), CODE_UNKNOWN_TAG);
  EXPECT_EQ(CodeOf(Payload("src", "g:1", "k", "INSERT []")), CODE_BEFORE_FIRST_BARRIER);
  Message no_id = Barrier("src", 1);
  no_id.clear_id();
  EXPECT_EQ(CodeOf(no_id), CODE_MISSING_ID);
  Message no_body = Barrier("src", 1);
  no_body.clear_body();
  EXPECT_EQ(CodeOf(no_body), CODE_MALFORMED);
  EXPECT_EQ(CodeOf(Barrier("src", 7)), CODE_OK);
  EXPECT_EQ(CodeOf(Payload("src", "g:2", "", "INSERT []")), CODE_MALFORMED);
  EXPECT_EQ(CodeOf(Payload("src", "g:3", "k", std::string(600, 'x'))), CODE_TOO_LARGE);
  EXPECT_EQ(CodeOf(Payload("src", "g:4", "k", "INSERT [1]")), CODE_OK);
  // The first barrier of "src" says nothing about "dst".
  EXPECT_EQ(CodeOf(Payload("dst", "g:5", "k", "INSERT [1]")), CODE_BEFORE_FIRST_BARRIER);
  EXPECT_THAT(sink_.Ids(), ::testing::ElementsAre("barrier-7", "g:4"));
  IngestStats st = core_.stats();
  EXPECT_EQ(st.accepted, 2u);
  EXPECT_EQ(st.rejected, 8u);
}

TEST_F(IngestTest, BatchReportsRejectionsByIndexAndDeliversTheRestInOrder) {
  BatchResponse r = Ingest({Barrier("src", 1), Barrier("bad", 1), Payload("src", "a", "1", "x"),
                            Payload("dst", "b", "1", "x"), Payload("src", "c", "2", "y")});
  EXPECT_EQ(r.accepted(), 3u);
  ASSERT_EQ(r.rejections_size(), 2);
  EXPECT_EQ(r.rejections(0).index(), 1u);
  EXPECT_EQ(r.rejections(0).code(), CODE_UNKNOWN_TAG);
  EXPECT_EQ(r.rejections(1).index(), 3u);
  EXPECT_EQ(r.rejections(1).id(), "b");
  EXPECT_EQ(r.rejections(1).code(), CODE_BEFORE_FIRST_BARRIER);
  EXPECT_THAT(sink_.Ids(), ::testing::ElementsAre("barrier-1", "a", "c"));
  EXPECT_EQ(sink_.puts, 1);
}

TEST_F(IngestTest, SequencedMessagesAreDedupedAndGapsRefused) {
  EXPECT_EQ(Acked("src"), 0u);
  BatchResponse r = Ingest({Barrier("src", 1, 1), Payload("src", "a", "1", "x", 2)});
  ASSERT_EQ(r.acked_size(), 1);
  EXPECT_EQ(r.acked(0).tag(), "src");
  EXPECT_EQ(r.acked(0).seq(), 2u);
  // Resending 1..3: 1 and 2 are duplicates, 3 is new; 5 skips 4.
  r = Ingest({Barrier("src", 1, 1), Payload("src", "a", "1", "x", 2),
              Payload("src", "b", "2", "x", 3), Payload("src", "d", "4", "x", 5)});
  EXPECT_EQ(r.accepted(), 1u);
  ASSERT_EQ(r.rejections_size(), 3);
  EXPECT_EQ(r.rejections(0).code(), CODE_DUPLICATE);
  EXPECT_EQ(r.rejections(1).code(), CODE_DUPLICATE);
  EXPECT_EQ(r.rejections(2).code(), CODE_OUT_OF_SEQUENCE);
  EXPECT_EQ(r.acked(0).seq(), 3u);
  EXPECT_THAT(sink_.Ids(), ::testing::ElementsAre("barrier-1", "a", "b"));
  // A rejected-for-good message still takes its position.
  EXPECT_EQ(CodeOf(Payload("src", "e", "", "x", 4)), CODE_MALFORMED);
  EXPECT_EQ(Acked("src"), 4u);
  EXPECT_EQ(core_.stats().duplicates, 2u);
}

TEST_F(IngestTest, FirstSequencedMessageSetsThePosition) {
  EXPECT_EQ(CodeOf(Barrier("dst", 3, 500)), CODE_OK);
  EXPECT_EQ(Acked("dst"), 500u);
  EXPECT_EQ(CodeOf(Barrier("dst", 4, 502)), CODE_OUT_OF_SEQUENCE);
  EXPECT_EQ(CodeOf(Barrier("dst", 4, 501)), CODE_OK);
}

TEST_F(IngestTest, UnsequencedMessagesLeaveThePositionAlone) {
  EXPECT_EQ(CodeOf(Barrier("src", 1, 1)), CODE_OK);
  EXPECT_EQ(CodeOf(Payload("src", "a", "1", "x")), CODE_OK);
  EXPECT_EQ(CodeOf(Payload("src", "a", "1", "x")), CODE_OK);  // no dedupe without seq
  EXPECT_EQ(Acked("src"), 1u);
  EXPECT_EQ(sink_.got.size(), 3u);
}

TEST_F(IngestTest, FailedPutChangesNothing) {
  sink_.fail = absl::CancelledError("gone");
  auto r = core_.Ingest({Barrier("src", 1, 1), Payload("src", "a", "1", "x", 2)}, nullptr);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(Acked("src"), 0u);
  sink_.fail = absl::OkStatus();
  // Still before the first barrier, and position 1 is still free.
  EXPECT_EQ(CodeOf(Payload("src", "a", "1", "x")), CODE_BEFORE_FIRST_BARRIER);
  EXPECT_EQ(CodeOf(Barrier("src", 1, 1)), CODE_OK);
  EXPECT_EQ(core_.stats().accepted, 1u);
}

TEST_F(IngestTest, AckedPositionsListsKnownTags) {
  Ingest({Barrier("dst", 1, 9)});
  auto all = core_.AckedPositions({});
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].tag(), "src");
  EXPECT_EQ(all[0].seq(), 0u);
  EXPECT_EQ(all[1].tag(), "dst");
  EXPECT_EQ(all[1].seq(), 9u);
  auto some = core_.AckedPositions({"nope", "dst"});
  ASSERT_EQ(some.size(), 1u);
  EXPECT_EQ(some[0].tag(), "dst");
}

}  // namespace
}  // namespace dcp::collector
