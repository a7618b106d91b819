// EventReader: decoded events from a RawEventSource (files or a live stream).
//
// Wraps a Decoder; expands TRANSACTION_PAYLOAD events (MySQL binlog_transaction_compression)
// into their inner events, which follow the payload event and carry its file and offset.
// The returned Event and everything it points to are valid until the next call of Next().
// Not thread-safe.
#ifndef DCP_MYSQL_BINLOG_READER_H_
#define DCP_MYSQL_BINLOG_READER_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "mysql/binlog/event.h"
#include "mysql/binlog/file_reader.h"

namespace dcp::mysql::binlog {

class EventReader {
 public:
  // `source` is not owned and must outlive the reader.
  explicit EventReader(RawEventSource* source, Decoder::Options options = Decoder::Options())
      : source_(source), decoder_(options) {}

  // The next event, or nullptr at the end of the source.
  absl::StatusOr<const Event*> Next();

  // The file (base name) of the event last returned.
  absl::string_view file() const { return file_; }
  const Decoder& decoder() const { return decoder_; }

 private:
  RawEventSource* source_;
  Decoder decoder_;
  Event event_;
  std::string file_;
  // Inner events of the current TRANSACTION_PAYLOAD still to return.
  absl::string_view inner_;
  uint64_t inner_offset_ = 0;
};

}  // namespace dcp::mysql::binlog

#endif  // DCP_MYSQL_BINLOG_READER_H_
