// Row images of WRITE/UPDATE/DELETE_ROWS events decoded into typed Values.
//
// RowIterator walks the rows of one RowsEvent. Values point into the event (see event.h for
// lifetimes). Images are indexed by column position; columns not present in an image
// (binlog_row_image=MINIMAL or NOBLOB) are ValueKind::kAbsent.
#ifndef DCP_MYSQL_BINLOG_ROWS_H_
#define DCP_MYSQL_BINLOG_ROWS_H_

#include <vector>

#include "absl/status/status.h"
#include "mysql/binlog/cursor.h"
#include "mysql/binlog/event.h"
#include "mysql/binlog/value.h"

namespace dcp::mysql::binlog {

// One row change. INSERT fills `after`, DELETE `before`, UPDATE both.
struct RowChange {
  RowOp op = RowOp::kInsert;
  std::vector<Value> before;
  std::vector<Value> after;
};

class RowIterator {
 public:
  // `event` must outlive the iterator; its table must be non-null.
  explicit RowIterator(const RowsEvent& event)
      : event_(event), cursor_(event.rows, event.rows_offset) {}

  bool done() const { return cursor_.empty(); }

  // Decodes the next row change into `change`. The RowChange is an in/out parameter on
  // purpose: reusing its vectors keeps decoding free of per-row allocations.
  // kDataLoss (with the offset) when the image does not match the table map.
  absl::Status Next(RowChange& change);

 private:
  absl::Status NextImages(RowChange& change);
  absl::Status ReadImage(absl::string_view present, bool after_image, std::vector<Value>& image);

  const RowsEvent& event_;
  Cursor cursor_;
};

// Decodes one non-NULL value of `col` at the cursor into `v`.
absl::Status DecodeValue(const ColumnDef& col, Cursor& c, Value& v);

}  // namespace dcp::mysql::binlog

#endif  // DCP_MYSQL_BINLOG_ROWS_H_
