// AlarmSpool: a durable FIFO of alarm documents on disk, so that no alarm is lost while a
// webhook is down or dcp restarts.
//
// Files in `dir`:
//   alarms.spool  append-only records: "DS" u32le length, u32le crc32(body), u64le sequence,
//                 body (the JSON document);
//   alarms.ack    "<offset> <sequence>\n": the records before `offset` are delivered; written
//                 to a temp file, fsynced and renamed, so it is always whole.
// Append() fsyncs before returning. On Open() a torn or corrupt tail (a crash mid-append) is
// cut off and logged; the records before it survive. When everything is delivered and the
// spool has grown past `compact_bytes`, the spool file is truncated.
//
// Delivery is exactly once in order as long as the process does not die between a successful
// POST and Ack() (a few microseconds); then the record is sent again with the same sequence,
// which receivers can use to drop the duplicate.
//
// Not thread-safe; WebhookSink guards it.
#ifndef DCP_ALARM_SPOOL_H_
#define DCP_ALARM_SPOOL_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace dcp::alarm {

class AlarmSpool {
 public:
  struct Entry {
    uint64_t sequence = 0;
    std::string body;
  };

  // Creates `dir` if needed and loads the undelivered records. kUnavailable when the
  // directory or files cannot be created or read.
  static absl::StatusOr<std::unique_ptr<AlarmSpool>> Open(const std::string& dir,
                                                          uint64_t compact_bytes = 1 << 20);
  ~AlarmSpool();
  AlarmSpool(const AlarmSpool&) = delete;
  AlarmSpool& operator=(const AlarmSpool&) = delete;

  // The sequence number the next record appended without one gets (1 for a new spool).
  uint64_t next_sequence() const { return next_sequence_; }
  // Appends a record and makes it durable. Its sequence is `sequence` (the alarm's own
  // number, increasing) or, when 0, next_sequence(). A failed append leaves no trace.
  absl::Status Append(absl::string_view body, uint64_t sequence = 0);
  // The oldest undelivered record.
  const Entry* Front() const { return pending_.empty() ? nullptr : &pending_.front(); }
  // Marks Front() delivered, durably.
  absl::Status Ack();
  size_t pending() const { return pending_.size(); }
  // Records cut off as corrupt by Open().
  uint64_t dropped_corrupt_bytes() const { return dropped_corrupt_bytes_; }

 private:
  AlarmSpool(std::string dir, uint64_t compact_bytes)
      : dir_(std::move(dir)), compact_bytes_(compact_bytes) {}
  absl::Status Load();
  absl::Status WriteAck();

  std::string dir_;
  uint64_t compact_bytes_;
  int fd_ = -1;
  uint64_t size_ = 0;        // bytes in alarms.spool
  uint64_t ack_offset_ = 0;  // delivered up to here
  uint64_t ack_sequence_ = 0;
  uint64_t next_sequence_ = 1;
  uint64_t dropped_corrupt_bytes_ = 0;
  std::deque<Entry> pending_;
  std::deque<uint64_t> pending_ends_;  // end offset of each pending record
};

}  // namespace dcp::alarm

#endif  // DCP_ALARM_SPOOL_H_
