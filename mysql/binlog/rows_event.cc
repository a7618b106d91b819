#include "absl/strings/str_cat.h"
#include "mysql/binlog/event.h"
#include "util/status_macros.h"

namespace dcp::mysql::binlog {

absl::Status Decoder::DecodeRows(const EventHeader& h, Cursor& body, Event& event) {
  RowsEvent r;
  bool v2 = false, compressed = false;
  switch (h.type) {
    case EventType::kPreGaWriteRows:
      r.op = RowOp::kInsert, r.pre_ga = true;
      break;
    case EventType::kPreGaUpdateRows:
      r.op = RowOp::kUpdate, r.pre_ga = true;
      break;
    case EventType::kPreGaDeleteRows:
      r.op = RowOp::kDelete, r.pre_ga = true;
      break;
    case EventType::kWriteRowsV1:
      r.op = RowOp::kInsert;
      break;
    case EventType::kUpdateRowsV1:
      r.op = RowOp::kUpdate;
      break;
    case EventType::kDeleteRowsV1:
      r.op = RowOp::kDelete;
      break;
    case EventType::kWriteRowsV2:
      r.op = RowOp::kInsert, v2 = true;
      break;
    case EventType::kUpdateRowsV2:
      r.op = RowOp::kUpdate, v2 = true;
      break;
    case EventType::kPartialUpdateRows:
      r.op = RowOp::kUpdate, v2 = true, r.partial_json = true;
      break;
    case EventType::kDeleteRowsV2:
      r.op = RowOp::kDelete, v2 = true;
      break;
    case EventType::kWriteRowsCompressedV1:
      r.op = RowOp::kInsert, compressed = true;
      break;
    case EventType::kUpdateRowsCompressedV1:
      r.op = RowOp::kUpdate, compressed = true;
      break;
    case EventType::kDeleteRowsCompressedV1:
      r.op = RowOp::kDelete, compressed = true;
      break;
    case EventType::kWriteRowsCompressed:
      r.op = RowOp::kInsert, compressed = true, v2 = true;
      break;
    case EventType::kUpdateRowsCompressed:
      r.op = RowOp::kUpdate, compressed = true, v2 = true;
      break;
    default:
      r.op = RowOp::kDelete, compressed = true, v2 = true;
      break;
  }
  const uint8_t post = format_.PostHeaderLength(h.type, v2 ? 10 : 8);
  ASSIGN_OR_RETURN(r.table_id, body.UintLe(post == 6 ? 4 : 6, "table id"));
  ASSIGN_OR_RETURN(r.flags, body.U16("rows flags"));
  if (v2) {
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
  if (compressed) {
    r.rows_offset = event.offset;
    RETURN_IF_ERROR(MariaDbUncompress(body, &rows_buffer_));
    r.rows = rows_buffer_;
  } else {
    r.rows_offset = body.absolute_offset();
    r.rows = body.Rest();
  }
  event.body = r;
  return absl::OkStatus();
}
}  // namespace dcp::mysql::binlog
