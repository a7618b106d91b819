#include "absl/strings/str_cat.h"
#include "mysql/binlog/event.h"
#include "util/status_macros.h"

namespace dcp::mysql::binlog {
namespace {

// What a rows event's type says about its body.
struct RowsLayout {
  RowOp op = RowOp::kInsert;
  bool v2 = false;          // v2 post-header with extra data
  bool compressed = false;  // MariaDB: the row images are zlib-compressed
  bool pre_ga = false;
  bool partial_json = false;
};

RowsLayout LayoutOf(EventType type) {
  switch (type) {
    case EventType::kPreGaWriteRows:
      return {RowOp::kInsert, false, false, /*pre_ga=*/true};
    case EventType::kPreGaUpdateRows:
      return {RowOp::kUpdate, false, false, /*pre_ga=*/true};
    case EventType::kPreGaDeleteRows:
      return {RowOp::kDelete, false, false, /*pre_ga=*/true};
    case EventType::kWriteRowsV1:
      return {RowOp::kInsert};
    case EventType::kUpdateRowsV1:
      return {RowOp::kUpdate};
    case EventType::kDeleteRowsV1:
      return {RowOp::kDelete};
    case EventType::kWriteRowsV2:
      return {RowOp::kInsert, /*v2=*/true};
    case EventType::kUpdateRowsV2:
      return {RowOp::kUpdate, /*v2=*/true};
    case EventType::kPartialUpdateRows:
      return {RowOp::kUpdate, /*v2=*/true, false, false, /*partial_json=*/true};
    case EventType::kDeleteRowsV2:
      return {RowOp::kDelete, /*v2=*/true};
    case EventType::kWriteRowsCompressedV1:
      return {RowOp::kInsert, false, /*compressed=*/true};
    case EventType::kUpdateRowsCompressedV1:
      return {RowOp::kUpdate, false, /*compressed=*/true};
    case EventType::kDeleteRowsCompressedV1:
      return {RowOp::kDelete, false, /*compressed=*/true};
    case EventType::kWriteRowsCompressed:
      return {RowOp::kInsert, /*v2=*/true, /*compressed=*/true};
    case EventType::kUpdateRowsCompressed:
      return {RowOp::kUpdate, /*v2=*/true, /*compressed=*/true};
    default:  // kDeleteRowsCompressed
      return {RowOp::kDelete, /*v2=*/true, /*compressed=*/true};
  }
}

}  // namespace

absl::StatusOr<RowsEvent> Decoder::DecodeRows(const EventHeader& h, Cursor& body,
                                              uint64_t event_offset) {
  const RowsLayout layout = LayoutOf(h.type);
  RowsEvent r;
  r.op = layout.op;
  r.pre_ga = layout.pre_ga;
  r.partial_json = layout.partial_json;
  const uint8_t post = format_.PostHeaderLength(h.type, layout.v2 ? 10 : 8);
  ASSIGN_OR_RETURN(r.table_id, body.UintLe(post == 6 ? 4 : 6, "table id"));
  ASSIGN_OR_RETURN(r.flags, body.U16("rows flags"));
  if (layout.v2) {
    ASSIGN_OR_RETURN(uint16_t extra_len, body.U16("extra data length"));
    if (extra_len < 2) return body.Corrupt("extra data length < 2");
    ASSIGN_OR_RETURN(r.extra, body.Bytes(extra_len - 2, "extra data"));
  }
  ASSIGN_OR_RETURN(uint64_t n, body.PackedInt("column count"));
  if (n > body.remaining() * 8) return body.Corrupt("column count larger than the event");
  r.column_count = static_cast<uint32_t>(n);
  ASSIGN_OR_RETURN(r.present_before, body.Bytes((n + 7) / 8, "columns bitmap"));
  r.present_after = r.present_before;
  if (r.op == RowOp::kUpdate) {
    ASSIGN_OR_RETURN(r.present_after, body.Bytes((n + 7) / 8, "update columns bitmap"));
  }
  if (r.table_id == 0x00ffffff && (r.flags & 1) && n == 0) {
    // A dummy event that only ends the statement (table id ~0).
    r.table = nullptr;
  } else {
    auto it = tables_.find(r.table_id);
    if (it == tables_.end()) {
      return body.Corrupt(absl::StrCat("rows for table id ", r.table_id, " without a TABLE_MAP"));
    }
    r.table = it->second.get();
    if (r.table->columns.size() != n) {
      return body.Corrupt(
          absl::StrCat("rows event has ", n, " columns, table map ", r.table->columns.size()));
    }
  }
  if (layout.compressed) {
    r.rows_offset = event_offset;
    RETURN_IF_ERROR(MariaDbUncompress(body, &rows_buffer_));
    r.rows = rows_buffer_;
  } else {
    r.rows_offset = body.absolute_offset();
    r.rows = body.Rest();
  }
  return r;
}

}  // namespace dcp::mysql::binlog
