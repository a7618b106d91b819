#include "collector/wire.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "collector/encoding.h"

namespace dcp::collector {

using checker::Barrier;
using checker::Change;
using checker::RowChange;

bool IsDeleteContent(absl::string_view content) {
  if (!absl::StartsWith(content, "DELETE")) return false;
  return content.size() == 6 || content[6] == ' ';
}

absl::StatusOr<Change> FromProto(const Message& message, uint64_t seq, bool keep_content) {
  Message copy = message;
  return FromProto(std::move(copy), seq, keep_content);
}

absl::StatusOr<Change> FromProto(Message&& message, uint64_t seq, bool keep_content) {
  if (message.tag().empty()) {
    return absl::InvalidArgumentError(absl::StrCat("message ", message.id(), " has no tag"));
  }
  Change c;
  c.tag = std::move(*message.mutable_tag());
  c.seq = seq;
  switch (message.body_case()) {
    case Message::kBarrier: {
      Barrier b;
      b.offset = message.barrier();
      b.origin = std::move(*message.mutable_id());
      b.timestamp = message.timestamp();
      c.body = std::move(b);
      return c;
    }
    case Message::kPayload: {
      Payload& p = *message.mutable_payload();
      if (p.id().empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat("message ", message.id(), " of tag ", c.tag, " has an empty key"));
      }
      RowChange row;
      row.key = std::move(*p.mutable_id());
      row.deleted = IsDeleteContent(p.content());
      if (!row.deleted) row.checksum = std::move(*message.mutable_checksum());
      row.origin = std::move(*message.mutable_id());
      row.timestamp = message.timestamp();
      if (keep_content) row.content = std::move(*p.mutable_content());
      c.body = std::move(row);
      return c;
    }
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("message ", message.id(), " of tag ", c.tag, " has no body"));
  }
}

absl::StatusOr<Message> ToProto(const Change& change) {
  Message m;
  m.set_tag(change.tag);
  if (const auto* b = std::get_if<Barrier>(&change.body)) {
    m.set_id(b->origin);
    m.set_timestamp(b->timestamp);
    m.set_barrier(b->offset);
    return m;
  }
  const auto* row = std::get_if<RowChange>(&change.body);
  if (row == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("a reconnect of tag ", change.tag, " has no wire form"));
  }
  m.set_id(row->origin);
  m.set_timestamp(row->timestamp);
  Payload* p = m.mutable_payload();
  p->set_id(row->key);
  if (row->deleted) {
    p->set_content(encoding::kDeleteContent);
    m.set_checksum(encoding::Checksum(encoding::kDeleteContent));
  } else {
    if (row->content) p->set_content(*row->content);
    m.set_checksum(row->checksum);
  }
  return m;
}

}  // namespace dcp::collector
