#include "collector/grpc_ingest.h"

#include <climits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "collector/wire.h"
#include "google/protobuf/io/coded_stream.h"

namespace dcp::collector {
namespace {

struct Verdict {
  ResponseCode code = CODE_OK;
  std::string msg;
};

// Counts a serialized request's fields the way the parser allocates them. `nested[d]` is the
// field of a depth-d message that the parser builds a depth-d+1 message for
// (MessageBatch.messages, then Message.payload); every other length-delimited field becomes
// one string (known or unknown) and is skipped whole.
class FieldCounter {
 public:
  FieldCounter(const int* nested, size_t levels, int counted_field, const RequestLimits& limits,
               size_t max_counted)
      : nested_(nested),
        levels_(levels),
        counted_field_(counted_field),
        max_fields_(limits.max_fields),
        max_counted_(max_counted) {}

  // Reads the fields of one message at `depth`, up to the stream's current limit. False when
  // the bytes are not a protobuf encoding, or once a count exceeds its limit (then
  // fields_exceeded() or counted_exceeded()).
  bool Read(google::protobuf::io::CodedInputStream* in, size_t depth) {
    int groups = 0;  // open groups: unknown fields, which the parser keeps as nested sets
    for (;;) {
      const uint32_t tag = in->ReadTag();
      if (tag == 0) return groups == 0 && in->ConsumedEntireMessage();
      const uint32_t number = tag >> 3, wire = tag & 7;
      if (wire == kEndGroup) {
        if (groups == 0) return false;
        --groups;
        continue;
      }
      if (++fields_ > max_fields_) return false;
      if (depth == 0 && groups == 0 && number == static_cast<uint32_t>(counted_field_) &&
          ++counted_ > max_counted_) {
        return false;
      }
      switch (wire) {
        case kVarint: {
          uint64_t value;
          if (!in->ReadVarint64(&value)) return false;
          break;
        }
        case kFixed64:
          if (!in->Skip(8)) return false;
          break;
        case kFixed32:
          if (!in->Skip(4)) return false;
          break;
        case kStartGroup:
          if (++groups > kMaxGroupDepth) return false;
          break;
        case kLengthDelimited: {
          uint32_t length;
          if (!in->ReadVarint32(&length) || length > INT_MAX) return false;
          if (groups == 0 && depth < levels_ && number == static_cast<uint32_t>(nested_[depth])) {
            const auto limit = in->PushLimit(static_cast<int>(length));
            if (!Read(in, depth + 1)) return false;
            in->PopLimit(limit);
          } else if (!in->Skip(static_cast<int>(length))) {
            return false;
          }
          break;
        }
        default:
          return false;
      }
    }
  }

  bool fields_exceeded() const { return fields_ > max_fields_; }
  bool counted_exceeded() const { return counted_ > max_counted_; }

 private:
  enum WireType : uint32_t {
    kVarint = 0,
    kFixed64 = 1,
    kLengthDelimited = 2,
    kStartGroup = 3,
    kEndGroup = 4,
    kFixed32 = 5,
  };
  static constexpr int kMaxGroupDepth = 100;  // protobuf's own recursion limit

  const int* const nested_;
  const size_t levels_;
  const int counted_field_;
  const size_t max_fields_;
  const size_t max_counted_;
  size_t fields_ = 0;
  size_t counted_ = 0;
};

constexpr int kBatchNesting[] = {MessageBatch::kMessagesFieldNumber, Message::kPayloadFieldNumber};
constexpr int kMessageNesting[] = {Message::kPayloadFieldNumber};

}  // namespace

absl::Status CheckRequestLimits(RequestType type, size_t size,
                                google::protobuf::io::ZeroCopyInputStream* bytes,
                                const RequestLimits& limits) {
  const int* nesting = nullptr;
  size_t levels = 0;
  int counted_field = 0;  // a repeated top-level field with a limit of its own
  size_t max_counted = 0;
  std::string counted_what;
  switch (type) {
    case RequestType::kMessage:
      nesting = kMessageNesting;
      levels = 1;
      break;
    case RequestType::kMessageBatch:
      nesting = kBatchNesting;
      levels = 2;
      counted_field = MessageBatch::kMessagesFieldNumber;
      max_counted = limits.max_batch_messages;
      counted_what = "messages in one MessageBatch";
      break;
    case RequestType::kAckedPositionsRequest:
      counted_field = AckedPositionsRequest::kTagsFieldNumber;
      max_counted = limits.max_requested_tags;
      counted_what = "tags in one AckedPositionsRequest";
      break;
  }
  // Every counted field takes at least 2 bytes (a tag and a value or length byte; a group
  // its start and end tags), so only large requests can exceed a limit.
  const bool fields_may_exceed = size / 2 > limits.max_fields;
  const bool counted_may_exceed = counted_field != 0 && size / 2 > max_counted;
  if (!fields_may_exceed && !counted_may_exceed) return absl::OkStatus();
  // Only the top level needs reading when the fields in all cannot exceed their limit.
  FieldCounter counter(nesting, fields_may_exceed ? levels : 0, counted_field, limits, max_counted);
  google::protobuf::io::CodedInputStream in(bytes);
  if (counter.Read(&in, 0)) return absl::OkStatus();
  if (counter.fields_exceeded()) {
    return absl::ResourceExhaustedError(
        absl::StrCat("more than ", limits.max_fields,
                     " protobuf fields in one request, counting those of every message and "
                     "payload (the limit)"));
  }
  if (counter.counted_exceeded()) {
    return absl::ResourceExhaustedError(
        absl::StrCat("more than ", max_counted, " ", counted_what, " (the limit)"));
  }
  return absl::InvalidArgumentError("not a valid protobuf encoding");
}

std::string EchoForAnswer(absl::string_view s) {
  if (s.size() <= kMaxEchoBytes) return std::string(s);
  const std::string marker = absl::StrCat("...[truncated from ", s.size(), " bytes]");
  size_t cut = kMaxEchoBytes - marker.size();
  // s[cut] is the first byte left out: when it continues a character, that character
  // started before the cut and is left out whole.
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return absl::StrCat(s.substr(0, cut), marker);
}

IngestCore::IngestCore(IngestOptions options, MessageSink* sink)
    : options_(std::move(options)), sink_(sink) {
  absl::MutexLock lock(&mu_);
  for (const std::string& tag : options_.tags) tags_[tag];
}

absl::StatusOr<BatchResponse> IngestCore::Ingest(std::vector<Message> messages,
                                                 const std::function<bool()>& cancelled) {
  absl::MutexLock ingest_lock(&ingest_mu_);
  BatchResponse response;
  // The batch works on copies of the states it touches; they are committed only once the
  // sink took the accepted messages, so a failed Put() leaves no trace.
  std::vector<std::pair<const std::string*, TagState>> touched;
  auto state_for = [&touched](const std::string* tag, const TagState& committed) -> TagState& {
    for (auto& [t, s] : touched) {
      if (t == tag) return s;
    }
    touched.emplace_back(tag, committed);
    return touched.back().second;
  };
  size_t kept = 0;
  uint64_t rejected = 0, duplicates = 0;
  {
    absl::MutexLock lock(&mu_);
    for (size_t i = 0; i < messages.size(); ++i) {
      Message& m = messages[i];
      Verdict v;
      if (m.tag().empty()) {
        v = {CODE_MISSING_TAG, "message has no tag"};
      } else if (auto it = tags_.find(m.tag()); it == tags_.end()) {
        v = {CODE_UNKNOWN_TAG, absl::StrCat("unknown tag \"", EchoForAnswer(m.tag()), "\"")};
      } else {
        TagState& st = state_for(&it->first, it->second);
        const uint64_t seq = m.seq();
        if (seq != 0 && st.sequenced && seq <= st.acked) {
          v = {CODE_DUPLICATE,
               absl::StrCat("seq ", seq, " already acknowledged (position ", st.acked, ")")};
        } else if (seq != 0 && st.sequenced && seq > st.acked + 1) {
          v = {CODE_OUT_OF_SEQUENCE,
               absl::StrCat("seq ", seq, " skips positions; resume at ", st.acked + 1)};
        } else {
          if (m.id().empty()) {
            v = {CODE_MISSING_ID, "message has no id"};
          } else if (m.ByteSizeLong() > options_.max_message_bytes) {
            v = {CODE_TOO_LARGE,
                 absl::StrCat("message of ", m.ByteSizeLong(), " bytes exceeds the limit of ",
                              options_.max_message_bytes)};
          } else if (m.body_case() == Message::BODY_NOT_SET) {
            v = {CODE_MALFORMED, "message has neither barrier nor payload"};
          } else if (m.body_case() == Message::kPayload && m.payload().id().empty()) {
            v = {CODE_MALFORMED, "payload has no id"};
          } else if (m.body_case() == Message::kPayload && !st.first_barrier_seen) {
            v = {CODE_BEFORE_FIRST_BARRIER,
                 absl::StrCat("payload before the first barrier of tag \"", EchoForAnswer(m.tag()),
                              "\"")};
          } else if (m.body_case() == Message::kBarrier) {
            st.first_barrier_seen = true;
          }
          if (seq != 0) {
            st.sequenced = true;
            st.acked = seq;
          }
        }
      }
      if (v.code == CODE_OK) {
        if (kept != i) messages[kept] = std::move(m);
        ++kept;
        continue;
      }
      (v.code == CODE_DUPLICATE ? duplicates : rejected)++;
      Rejection* r = response.add_rejections();
      r->set_index(static_cast<uint32_t>(i));
      r->set_id(EchoForAnswer(m.id()));
      r->set_code(v.code);
      r->set_msg(std::move(v.msg));
    }
  }
  if (kept > 0) {
    // The wire form ends here: the sink gets checker::Changes. Validation above guarantees
    // the conversion succeeds.
    std::vector<checker::Change> changes;
    changes.reserve(kept);
    for (size_t i = 0; i < kept; ++i) {
      const uint64_t seq = messages[i].seq();
      absl::StatusOr<checker::Change> c =
          FromProto(std::move(messages[i]), seq, options_.keep_content);
      if (!c.ok()) return c.status();
      changes.push_back(*std::move(c));
    }
    absl::Status put = sink_->Put(changes, cancelled);
    if (!put.ok()) return put;
  }
  absl::MutexLock lock(&mu_);
  for (auto& [tag, state] : touched) {
    tags_[*tag] = state;
    if (state.sequenced) {
      TagPosition* p = response.add_acked();
      p->set_tag(*tag);
      p->set_seq(state.acked);
    }
  }
  response.set_accepted(static_cast<uint32_t>(kept));
  stats_.accepted += kept;
  stats_.rejected += rejected;
  stats_.duplicates += duplicates;
  return response;
}

std::vector<TagPosition> IngestCore::AckedPositions(const std::vector<std::string>& tags) const {
  absl::MutexLock lock(&mu_);
  std::vector<TagPosition> out;
  const std::vector<std::string>& wanted = tags.empty() ? options_.tags : tags;
  for (const std::string& tag : wanted) {
    auto it = tags_.find(tag);
    if (it == tags_.end()) continue;
    TagPosition p;
    p.set_tag(tag);
    p.set_seq(it->second.sequenced ? it->second.acked : 0);
    out.push_back(std::move(p));
  }
  return out;
}

IngestStats IngestCore::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

}  // namespace dcp::collector
