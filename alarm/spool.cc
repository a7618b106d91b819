#include "alarm/spool.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "util/log.h"
#include "util/status_macros.h"

namespace dcp::alarm {
namespace {

constexpr size_t kHeader = 2 + 4 + 4 + 8;

absl::Status Errno(absl::string_view what, const std::string& path) {
  return absl::UnavailableError(absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

void PutLe(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// A bounds-checked little-endian reader over the spool bytes.
class Cursor {
 public:
  explicit Cursor(absl::string_view data) : data_(data) {}
  size_t offset() const { return pos_; }
  size_t remaining() const { return data_.size() - pos_; }
  bool Read(size_t n, absl::string_view& out) {
    if (remaining() < n) return false;
    out = data_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  bool ReadLe(int bytes, uint64_t& out) {
    absl::string_view b;
    if (!Read(bytes, b)) return false;
    out = 0;
    for (int i = bytes - 1; i >= 0; --i) out = (out << 8) | static_cast<unsigned char>(b[i]);
    return true;
  }

 private:
  absl::string_view data_;
  size_t pos_ = 0;
};

uint32_t Crc(absl::string_view body) {
  return static_cast<uint32_t>(
      crc32(0L, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size())));
}

}  // namespace

absl::StatusOr<std::unique_ptr<AlarmSpool>> AlarmSpool::Open(const std::string& dir,
                                                             uint64_t compact_bytes) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("cannot create alarm spool directory ", dir, ": ", ec.message()));
  }
  std::unique_ptr<AlarmSpool> spool(new AlarmSpool(dir, compact_bytes));
  RETURN_IF_ERROR(spool->Load());
  return spool;
}

AlarmSpool::~AlarmSpool() {
  if (fd_ >= 0) close(fd_);
}

absl::Status AlarmSpool::Load() {
  const std::string ack_path = dir_ + "/alarms.ack";
  {
    std::ifstream in(ack_path);
    if (in) {
      std::stringstream ss;
      ss << in.rdbuf();
      std::vector<std::string> parts =
          absl::StrSplit(ss.str(), absl::ByAnyChar(" \n"), absl::SkipEmpty());
      if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &ack_offset_) ||
          !absl::SimpleAtoi(parts[1], &ack_sequence_)) {
        return absl::DataLossError(
            absl::StrCat("alarm spool ack file ", ack_path, " is corrupt: \"", ss.str(), "\""));
      }
    }
  }
  const std::string path = dir_ + "/alarms.spool";
  fd_ = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ < 0) return Errno("cannot open alarm spool", path);
  std::string data;
  {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    data = ss.str();
  }
  // The spool was compacted after the ack was written, or the ack is stale.
  if (ack_offset_ > data.size()) {
    ack_offset_ = 0;
    RETURN_IF_ERROR(WriteAck());
  }
  Cursor c(data);
  uint64_t last_sequence = ack_sequence_;
  size_t good_end = 0;
  while (c.remaining() > 0) {
    absl::string_view magic, body;
    uint64_t len, crc, seq;
    const size_t start = c.offset();
    if (!c.Read(2, magic) || magic != "DS" || !c.ReadLe(4, len) || !c.ReadLe(4, crc) ||
        !c.ReadLe(8, seq) || !c.Read(len, body) || Crc(body) != crc) {
      dropped_corrupt_bytes_ = data.size() - start;
      DCP_LOG(WARNING) << "alarm spool " << path << ": cutting " << dropped_corrupt_bytes_
                       << " corrupt or torn bytes at offset " << start;
      break;
    }
    good_end = c.offset();
    last_sequence = std::max(last_sequence, seq);
    if (start >= ack_offset_) {
      pending_.push_back(Entry{seq, std::string(body)});
      pending_ends_.push_back(good_end);
    }
  }
  if (good_end != data.size() && ftruncate(fd_, static_cast<off_t>(good_end)) != 0) {
    return Errno("cannot truncate alarm spool", path);
  }
  size_ = good_end;
  next_sequence_ = last_sequence + 1;
  if (lseek(fd_, static_cast<off_t>(size_), SEEK_SET) < 0) return Errno("cannot seek", path);
  return absl::OkStatus();
}

absl::Status AlarmSpool::Append(absl::string_view body, uint64_t sequence) {
  const uint64_t seq = sequence != 0 ? sequence : next_sequence_;
  std::string rec;
  rec.reserve(kHeader + body.size());
  rec.append("DS");
  PutLe(rec, body.size(), 4);
  PutLe(rec, Crc(body), 4);
  PutLe(rec, seq, 8);
  rec.append(body.data(), body.size());
  const std::string path = dir_ + "/alarms.spool";
  size_t done = 0;
  while (done < rec.size()) {
    ssize_t n = write(fd_, rec.data() + done, rec.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      // Leave no torn record behind for the next append.
      (void)!ftruncate(fd_, static_cast<off_t>(size_));
      lseek(fd_, static_cast<off_t>(size_), SEEK_SET);
      return Errno("cannot write alarm spool", path);
    }
    done += static_cast<size_t>(n);
  }
  if (fdatasync(fd_) != 0) {
    absl::Status s = Errno("cannot sync alarm spool", path);
    (void)!ftruncate(fd_, static_cast<off_t>(size_));
    lseek(fd_, static_cast<off_t>(size_), SEEK_SET);
    return s;
  }
  size_ += rec.size();
  pending_.push_back(Entry{seq, std::string(body)});
  pending_ends_.push_back(size_);
  next_sequence_ = std::max(next_sequence_, seq + 1);
  return absl::OkStatus();
}

absl::Status AlarmSpool::Ack() {
  if (pending_.empty()) return absl::OkStatus();
  ack_offset_ = pending_ends_.front();
  ack_sequence_ = pending_.front().sequence;
  pending_.pop_front();
  pending_ends_.pop_front();
  RETURN_IF_ERROR(WriteAck());
  if (pending_.empty() && size_ > compact_bytes_) {
    const std::string path = dir_ + "/alarms.spool";
    if (ftruncate(fd_, 0) != 0) return Errno("cannot truncate alarm spool", path);
    lseek(fd_, 0, SEEK_SET);
    size_ = 0;
    ack_offset_ = 0;
    RETURN_IF_ERROR(WriteAck());
  }
  return absl::OkStatus();
}

absl::Status AlarmSpool::WriteAck() {
  const std::string path = dir_ + "/alarms.ack";
  const std::string tmp = path + ".tmp";
  const std::string text = absl::StrCat(ack_offset_, " ", ack_sequence_, "\n");
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Errno("cannot write", tmp);
  bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
            fdatasync(fd) == 0;
  close(fd);
  if (!ok) return Errno("cannot write", tmp);
  if (rename(tmp.c_str(), path.c_str()) != 0) return Errno("cannot rename", tmp);
  return absl::OkStatus();
}

}  // namespace dcp::alarm
