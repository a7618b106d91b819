#include "collector/grpc_ingest.h"

#include "collector/grpc_test_util.h"
#include "gmock/gmock.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
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

TEST(EchoForAnswer, ShortStringsAreEchoedWholeLongOnesCutWithAMarker) {
  EXPECT_EQ(EchoForAnswer(""), "");
  const std::string max(kMaxEchoBytes, 'a');
  EXPECT_EQ(EchoForAnswer(max), max);
  const std::string big(4 << 20, 'b');
  const std::string echoed = EchoForAnswer(big);
  EXPECT_LE(echoed.size(), kMaxEchoBytes);
  EXPECT_THAT(echoed, ::testing::StartsWith("bbbbbbbb"));
  EXPECT_THAT(echoed, ::testing::EndsWith("...[truncated from 4194304 bytes]"));
  EXPECT_EQ(EchoForAnswer(max + "a").size(), kMaxEchoBytes);
}

TEST(EchoForAnswer, CutsBetweenUtf8Characters) {
  // Every possible cut position relative to 2-, 3- and 4-byte characters.
  for (const std::string ch : {"\u00e9", "\u20ac", "\U0001F600"}) {
    for (size_t lead = 0; lead < 4; ++lead) {
      std::string s(lead, 'x');
      while (s.size() <= kMaxEchoBytes) s += ch;
      const std::string echoed = EchoForAnswer(s);
      EXPECT_LE(echoed.size(), kMaxEchoBytes);
      const size_t prefix = echoed.find("...[truncated from ");
      ASSERT_NE(prefix, std::string::npos) << echoed;
      // The prefix is `lead` x's and whole characters only.
      ASSERT_GE(prefix, lead);
      EXPECT_EQ((prefix - lead) % ch.size(), 0u) << "lead " << lead << " char " << ch.size();
      EXPECT_EQ(echoed.compare(0, prefix, s, 0, prefix), 0);
    }
  }
}

TEST_F(IngestTest, RejectionsEchoLongIdsAndTagsShortened) {
  const std::string long_id(100000, 'i'), long_tag(100000, 't');
  Message unknown = Barrier(long_tag, 1);
  unknown.set_id(long_id);
  Message too_large = Payload("src", long_id, "k", "x");
  BatchResponse r = Ingest({unknown, too_large, Payload("src", "short", "k", "x")});
  ASSERT_EQ(r.rejections_size(), 3);
  EXPECT_EQ(r.rejections(0).code(), CODE_UNKNOWN_TAG);
  EXPECT_EQ(r.rejections(0).id(), EchoForAnswer(long_id));
  EXPECT_THAT(r.rejections(0).msg(), ::testing::HasSubstr(EchoForAnswer(long_tag)));
  EXPECT_LE(r.rejections(0).msg().size(), 2 * kMaxEchoBytes);
  EXPECT_EQ(r.rejections(1).code(), CODE_TOO_LARGE);
  EXPECT_EQ(r.rejections(1).id(), EchoForAnswer(long_id));
  EXPECT_EQ(r.rejections(2).code(), CODE_BEFORE_FIRST_BARRIER);
  EXPECT_EQ(r.rejections(2).id(), "short");
}

absl::Status Check(RequestType type, const std::string& bytes, const RequestLimits& limits) {
  google::protobuf::io::ArrayInputStream in(bytes.data(), static_cast<int>(bytes.size()));
  return CheckRequestLimits(type, bytes.size(), &in, limits);
}

void AddUnknownVarint(google::protobuf::Message* m) {
  m->GetReflection()->MutableUnknownFields(m)->AddVarint(9, 0);
}

std::string Repeat(const std::string& s, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += s;
  return out;
}

// A field 9 (unknown to every request type) varint 0, an empty length-delimited field 9.
const std::string kUnknownVarint("\x48\x00", 2);
const std::string kUnknownEmpty("\x4a\x00", 2);

TEST(CheckRequestLimits, CountsBatchMessagesAndEveryFieldInside) {
  const RequestLimits limits{/*max_fields=*/100, /*max_batch_messages=*/10,
                             /*max_requested_tags=*/5};
  // A pushed message has 9 fields: the batch's entry, id, tag, payload (id, content), seq,
  // timestamp, checksum.
  MessageBatch full;
  full.set_batch_id(1);
  for (int i = 0; i < 10; ++i) {
    Message* m = full.add_messages();
    *m = Payload("src", "g", "k", std::string(50, 'x'), i + 1);
    m->set_checksum("c");
  }
  EXPECT_TRUE(Check(RequestType::kMessageBatch, full.SerializeAsString(), limits).ok());
  MessageBatch more = full;
  *more.add_messages() = Barrier("src", 1);
  absl::Status s = Check(RequestType::kMessageBatch, more.SerializeAsString(), limits);
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(s.message(), ::testing::HasSubstr("more than 10 messages"));
  // 92 fields pass, 102 do not: unknown fields count, also inside each payload.
  Message* last = full.mutable_messages(9);
  AddUnknownVarint(last->mutable_payload());
  EXPECT_TRUE(Check(RequestType::kMessageBatch, full.SerializeAsString(), limits).ok());
  for (int i = 0; i < 10; ++i) AddUnknownVarint(last->mutable_payload());
  s = Check(RequestType::kMessageBatch, full.SerializeAsString(), limits);
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(s.message(), ::testing::HasSubstr("more than 100 protobuf fields"));
}

TEST(CheckRequestLimits, EmptyMessagesAndUnknownFieldsCountThoughTheyAreSmall) {
  const RequestLimits limits{1000, 100, 5};
  // The batch in small: empty messages, 2 bytes each.
  EXPECT_TRUE(
      Check(RequestType::kMessageBatch, Repeat(std::string("\x12\x00", 2), 100), limits).ok());
  EXPECT_EQ(
      Check(RequestType::kMessageBatch, Repeat(std::string("\x12\x00", 2), 101), limits).code(),
      absl::StatusCode::kResourceExhausted);
  for (const std::string& field : {kUnknownVarint, kUnknownEmpty}) {
    EXPECT_TRUE(Check(RequestType::kMessage, Repeat(field, 1000), limits).ok());
    EXPECT_EQ(Check(RequestType::kMessage, Repeat(field, 1001), limits).code(),
              absl::StatusCode::kResourceExhausted);
  }
  // Inside a Message's payload (field 4).
  const std::string inner = Repeat(kUnknownEmpty, 1001);
  std::string payload = "\x22";
  google::protobuf::io::StringOutputStream out(&payload);
  {
    google::protobuf::io::CodedOutputStream coded(&out);
    coded.WriteVarint32(static_cast<uint32_t>(inner.size()));
  }
  payload += inner;
  EXPECT_EQ(Check(RequestType::kMessage, payload, limits).code(),
            absl::StatusCode::kResourceExhausted);
  // Groups (unknown) count their fields too; their end tags do not.
  const std::string group = "\x4b" + Repeat(kUnknownVarint, 10) + "\x4c";
  EXPECT_TRUE(Check(RequestType::kMessage, Repeat(group, 90), limits).ok());  // 990 fields
  EXPECT_EQ(Check(RequestType::kMessage, Repeat(group, 91), limits).code(),
            absl::StatusCode::kResourceExhausted);
}

TEST(CheckRequestLimits, CountsRequestedTags) {
  const RequestLimits limits{1000, 100, 5};
  AckedPositionsRequest r;
  for (int i = 0; i < 5; ++i) r.add_tags("t");
  EXPECT_TRUE(Check(RequestType::kAckedPositionsRequest, r.SerializeAsString(), limits).ok());
  r.add_tags("t");
  absl::Status s = Check(RequestType::kAckedPositionsRequest, r.SerializeAsString(), limits);
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(s.message(), ::testing::HasSubstr("more than 5 tags"));
}

TEST(CheckRequestLimits, SmallRequestsAreNotReadLargeMalformedOnesAreRefused) {
  const RequestLimits limits{10, 10, 10};
  // Too small to hold 11 fields: passed unread (the parser rejects the bytes later).
  const std::string garbage(20, '\xff');
  EXPECT_TRUE(Check(RequestType::kMessage, garbage, limits).ok());
  const std::string more_garbage(22, '\xff');
  EXPECT_EQ(Check(RequestType::kMessage, more_garbage, limits).code(),
            absl::StatusCode::kInvalidArgument);
  // An end-group tag without its group.
  EXPECT_EQ(Check(RequestType::kMessage, Repeat(kUnknownVarint, 10) + "\x4c\x4c", limits).code(),
            absl::StatusCode::kInvalidArgument);
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
