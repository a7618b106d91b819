#include "mysql/binlog/file_reader.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "mysql/binlog/event.h"
#include "util/status_macros.h"

namespace dcp::mysql::binlog {

absl::StatusOr<std::unique_ptr<FileReader>> FileReader::Open(Options options) {
  if (options.files.empty()) return absl::InvalidArgumentError("no binlog file given");
  if (options.start_position < 4) {
    return absl::InvalidArgumentError("start position must be at least 4");
  }
  std::unique_ptr<FileReader> r(new FileReader(std::move(options)));
  r->pending_.assign(r->options_.files.begin() + 1, r->options_.files.end());
  RETURN_IF_ERROR(r->OpenFile(r->options_.files[0]));
  r->skip_to_start_ = r->options_.start_position > 4;
  return r;
}

FileReader::~FileReader() { CloseFile(); }

void FileReader::CloseFile() {
  if (map_ != nullptr && size_ > 0) munmap(const_cast<char*>(map_), size_);
  map_ = nullptr;
  size_ = 0;
}

absl::Status FileReader::OpenFile(const std::string& path) {
  CloseFile();
  path_ = path;
  name_ = std::filesystem::path(path).filename().string();
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int e = errno;
    const std::string msg = absl::StrCat("cannot open binlog ", path, ": ", std::strerror(e));
    if (e == ENOENT) return absl::NotFoundError(msg);
    if (e == EACCES) return absl::PermissionDeniedError(msg);
    return absl::UnavailableError(msg);
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    ::close(fd);
    return absl::UnavailableError(absl::StrCat("cannot stat ", path));
  }
  size_ = static_cast<size_t>(st.st_size);
  if (size_ > 0) {
    void* m = mmap(nullptr, size_, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    if (m == MAP_FAILED) {
      ::close(fd);
      size_ = 0;
      return absl::UnavailableError(absl::StrCat("cannot map ", path, ": ", std::strerror(errno)));
    }
    // MAP_POPULATE: fault the file in at once (binlog files are at most max_binlog_size,
    // 1 GiB by default); page faults otherwise cost as much as decoding.
    madvise(m, size_, MADV_SEQUENTIAL);
    map_ = static_cast<const char*>(m);
  }
  ::close(fd);
  if (size_ < 4 || absl::string_view(map_, 4) != kBinlogMagic) {
    return absl::DataLossError(absl::StrCat(path, " is not a binlog file (bad magic)"));
  }
  pos_ = 4;
  last_was_rotate_ = false;
  return absl::OkStatus();
}

absl::StatusOr<std::optional<RawEvent>> FileReader::Next() {
  for (;;) {
    const bool last_file = pending_.empty();
    if (pos_ >= size_ || (last_file && options_.stop_position && !skip_to_start_ &&
                          pos_ >= *options_.stop_position)) {
      // End of this file: continue with the next one, if any.
      std::string next;
      if (!pending_.empty()) {
        next = pending_.front();
        pending_.pop_front();
      } else if (options_.follow_rotation && last_was_rotate_ && pos_ >= size_) {
        const auto candidate = std::filesystem::path(path_).parent_path() / rotate_target_;
        std::error_code ec;
        if (!std::filesystem::exists(candidate, ec)) return std::nullopt;
        next = candidate.string();
      } else {
        return std::nullopt;
      }
      RETURN_IF_ERROR(OpenFile(next));
      first_file_ = false;
      continue;
    }
    if (size_ - pos_ < EventHeader::kSize) {
      return absl::DataLossError(absl::StrCat("binlog ", path_, " ends inside an event header at offset ",
                                              pos_, " (", size_ - pos_, " bytes left)"));
    }
    uint32_t event_size;
    std::memcpy(&event_size, map_ + pos_ + 9, 4);
    const uint8_t type = static_cast<uint8_t>(map_[pos_ + 4]);
    if (event_size < EventHeader::kSize) {
      return absl::DataLossError(absl::StrCat("corrupt event header in ", path_, " at offset ",
                                              pos_, ": size ", event_size));
    }
    if (event_size > size_ - pos_) {
      return absl::DataLossError(absl::StrCat(
          "binlog ", path_, " truncated: event ", EventTypeName(static_cast<EventType>(type)),
          " at offset ", pos_, " needs ", event_size, " bytes, ", size_ - pos_, " left"));
    }
    RawEvent ev;
    ev.bytes = absl::string_view(map_ + pos_, event_size);
    ev.file = name_;
    ev.offset = pos_;
    pos_ += event_size;
    const auto etype = static_cast<EventType>(type);
    last_was_rotate_ = etype == EventType::kRotate;
    if (last_was_rotate_ && event_size >= EventHeader::kSize + 8) {
      // The target name; a trailing CRC32 is harmless here since only existence is checked,
      // but strip it when the name would otherwise not exist.
      rotate_target_.assign(ev.bytes.data() + EventHeader::kSize + 8,
                            event_size - EventHeader::kSize - 8);
      const auto dir = std::filesystem::path(path_).parent_path();
      std::error_code ec;
      if (!std::filesystem::exists(dir / rotate_target_, ec) && rotate_target_.size() > 4) {
        rotate_target_.resize(rotate_target_.size() - 4);
      }
    }
    if (skip_to_start_) {
      // Keep the FORMAT_DESCRIPTION at 4 (the decoder needs it), then jump to the start.
      skip_to_start_ = false;
      pos_ = options_.start_position;
      if (etype == EventType::kFormatDescription) return ev;
      continue;
    }
    return ev;
  }
}

BufferReader::BufferReader(absl::string_view bytes, std::string name)
    : bytes_(bytes), name_(std::move(name)) {
  if (absl::StartsWith(bytes_, kBinlogMagic)) pos_ = 4;
}

absl::StatusOr<std::optional<RawEvent>> BufferReader::Next() {
  if (pos_ >= bytes_.size()) return std::nullopt;
  const uint64_t left = bytes_.size() - pos_;
  if (left < EventHeader::kSize) {
    return absl::DataLossError(absl::StrCat(name_, " ends inside an event header at offset ", pos_));
  }
  uint32_t event_size;
  std::memcpy(&event_size, bytes_.data() + pos_ + 9, 4);
  if (event_size < EventHeader::kSize || event_size > left) {
    return absl::DataLossError(absl::StrCat(name_, ": event at offset ", pos_, " has size ",
                                            event_size, " with ", left, " bytes left"));
  }
  RawEvent ev;
  ev.bytes = bytes_.substr(pos_, event_size);
  ev.file = name_;
  ev.offset = pos_;
  pos_ += event_size;
  return ev;
}

}  // namespace dcp::mysql::binlog
