#include "mysql/binlog/reader.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "util/status_macros.h"

namespace dcp::mysql::binlog {

absl::StatusOr<const Event*> EventReader::Next() {
  if (!inner_.empty()) {
    if (inner_.size() < EventHeader::kSize) {
      return absl::DataLossError(absl::StrCat("TRANSACTION_PAYLOAD at offset ", inner_offset_,
                                              " ends inside an event header"));
    }
    uint32_t size;
    std::memcpy(&size, inner_.data() + 9, 4);
    if (size < EventHeader::kSize || size > inner_.size()) {
      return absl::DataLossError(absl::StrCat("TRANSACTION_PAYLOAD at offset ", inner_offset_,
                                              ": inner event size ", size, " with ", inner_.size(),
                                              " bytes left"));
    }
    const absl::string_view raw = inner_.substr(0, size);
    inner_.remove_prefix(size);
    ASSIGN_OR_RETURN(event_, decoder_.Decode(raw, inner_offset_, /*in_payload=*/true));
    return &event_;
  }
  ASSIGN_OR_RETURN(std::optional<RawEvent> raw, source_->Next());
  if (!raw.has_value()) return nullptr;
  if (file_ != raw->file) file_.assign(raw->file.data(), raw->file.size());
  auto decoded = decoder_.Decode(raw->bytes, raw->offset);
  if (!decoded.ok()) {
    return absl::Status(decoded.status().code(),
                        absl::StrCat(file_, ": ", decoded.status().message()));
  }
  event_ = *std::move(decoded);
  if (const auto* p = std::get_if<TransactionPayloadEvent>(&event_.body)) {
    inner_ = p->events;
    inner_offset_ = event_.offset;
  }
  return &event_;
}

}  // namespace dcp::mysql::binlog
