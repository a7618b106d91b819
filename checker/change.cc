#include "checker/change.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "proto/dcp.pb.h"

namespace dcp::checker {

std::string Change::ToString() const {
  if (const auto* b = std::get_if<Barrier>(&body)) {
    return absl::StrCat(tag, " barrier ", b->offset);
  }
  if (const auto* r = std::get_if<Reconnect>(&body)) {
    return absl::StrCat(tag, " reconnect (", r->cause, ")");
  }
  const auto& row = std::get<RowChange>(body);
  return absl::StrCat(tag, " ", row.key, " ", row.deleted ? "deleted" : row.checksum, " @",
                      row.origin);
}

Change Change::MakeBarrier(std::string tag, uint64_t offset, uint64_t seq) {
  Change c;
  c.tag = std::move(tag);
  c.body = Barrier{offset};
  c.seq = seq;
  return c;
}

Change Change::MakeRow(std::string tag, std::string key, std::string checksum, std::string origin,
                       uint64_t timestamp, uint64_t seq) {
  Change c;
  c.tag = std::move(tag);
  RowChange row;
  row.key = std::move(key);
  row.checksum = std::move(checksum);
  row.origin = std::move(origin);
  row.timestamp = timestamp;
  c.body = std::move(row);
  c.seq = seq;
  return c;
}

Change Change::MakeDelete(std::string tag, std::string key, std::string origin, uint64_t timestamp,
                          uint64_t seq) {
  Change c = MakeRow(std::move(tag), std::move(key), "", std::move(origin), timestamp, seq);
  std::get<RowChange>(c.body).deleted = true;
  return c;
}

bool IsDeleteContent(absl::string_view content) {
  if (!absl::StartsWith(content, "DELETE")) return false;
  return content.size() == 6 || content[6] == ' ';
}

absl::StatusOr<Change> FromProto(const ::dcp::Message& message, uint64_t seq, bool keep_content) {
  if (message.tag().empty()) {
    return absl::InvalidArgumentError(absl::StrCat("message ", message.id(), " has no tag"));
  }
  Change c;
  c.tag = message.tag();
  c.seq = seq;
  switch (message.body_case()) {
    case ::dcp::Message::kBarrier:
      c.body = Barrier{message.barrier()};
      return c;
    case ::dcp::Message::kPayload: {
      const auto& p = message.payload();
      if (p.id().empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat("message ", message.id(), " of tag ", c.tag, " has an empty key"));
      }
      RowChange row;
      row.key = p.id();
      row.deleted = IsDeleteContent(p.content());
      if (!row.deleted) row.checksum = message.checksum();
      row.origin = message.id();
      row.timestamp = message.timestamp();
      if (keep_content) row.content = p.content();
      c.body = std::move(row);
      return c;
    }
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("message ", message.id(), " of tag ", c.tag, " has no body"));
  }
}

}  // namespace dcp::checker
