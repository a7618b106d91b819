#include "checker/change.h"

#include <utility>

#include "absl/strings/str_cat.h"

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
  Barrier b;
  b.offset = offset;
  c.body = std::move(b);
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

}  // namespace dcp::checker
