#include "collector/grpc_ingest.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "collector/wire.h"

namespace dcp::collector {
namespace {

struct Verdict {
  ResponseCode code = CODE_OK;
  std::string msg;
};

}  // namespace

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
        v = {CODE_UNKNOWN_TAG, absl::StrCat("unknown tag \"", m.tag(), "\"")};
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
                 absl::StrCat("payload before the first barrier of tag \"", m.tag(), "\"")};
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
      r->set_id(m.id());
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
