// FileReader: reads binlog files written by MySQL/MariaDB servers, event by event.
//
// Checks the magic, frames events by their header's size, honours a start and a stop
// position, and at a ROTATE event at the end of a file continues with the next file (the
// next name given to Open(), else, with Options::follow_rotation, the file the ROTATE names
// in the same directory, if it exists). Files are memory-mapped; a returned RawEvent's bytes
// are valid until the next call of Next(). Not thread-safe.
//
// Errors: kNotFound/kPermissionDenied for files that cannot be opened, kDataLoss for a bad
// magic or an event cut short or overrunning the file (with file and offset).
#ifndef DCP_MYSQL_BINLOG_FILE_READER_H_
#define DCP_MYSQL_BINLOG_FILE_READER_H_

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace dcp::mysql::binlog {

struct RawEvent {
  absl::string_view bytes;  // the whole event: header, body, checksum
  absl::string_view file;   // the file's base name
  uint64_t offset = 0;      // position of the event in that file
};

// A source of raw events: files or a live stream.
class RawEventSource {
 public:
  virtual ~RawEventSource() = default;
  // The next event, or std::nullopt at the end.
  virtual absl::StatusOr<std::optional<RawEvent>> Next() = 0;
};

class FileReader final : public RawEventSource {
 public:
  struct Options {
    std::vector<std::string> files;       // read in this order
    uint64_t start_position = 4;          // in the first file; events before it are skipped
                                          // except the FORMAT_DESCRIPTION at 4
    std::optional<uint64_t> stop_position;  // in the last file: stop before an event at or
                                            // beyond it
    bool follow_rotation = false;
  };

  static absl::StatusOr<std::unique_ptr<FileReader>> Open(Options options);
  ~FileReader() override;
  FileReader(const FileReader&) = delete;
  FileReader& operator=(const FileReader&) = delete;

  absl::StatusOr<std::optional<RawEvent>> Next() override;

  const std::string& current_file() const { return name_; }

 private:
  explicit FileReader(Options options) : options_(std::move(options)) {}
  absl::Status OpenFile(const std::string& path);
  void CloseFile();

  Options options_;
  std::deque<std::string> pending_;
  std::string path_;
  std::string name_;
  const char* map_ = nullptr;
  size_t size_ = 0;
  uint64_t pos_ = 0;
  bool first_file_ = true;
  bool skip_to_start_ = false;
  bool last_was_rotate_ = false;
  std::string rotate_target_;
};

// Events framed from a buffer holding a binlog file's bytes (with or without the magic).
// The buffer is not owned. Used by tests and the fuzzer.
class BufferReader final : public RawEventSource {
 public:
  BufferReader(absl::string_view bytes, std::string name);
  absl::StatusOr<std::optional<RawEvent>> Next() override;

 private:
  absl::string_view bytes_;
  std::string name_;
  uint64_t pos_ = 0;
};

}  // namespace dcp::mysql::binlog

#endif  // DCP_MYSQL_BINLOG_FILE_READER_H_
