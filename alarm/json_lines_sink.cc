#include "alarm/json_lines_sink.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "util/log.h"

namespace dcp::alarm {
namespace {

int OpenAppend(const std::string& path) {
  return open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
}

}  // namespace

absl::StatusOr<std::unique_ptr<JsonLinesSink>> JsonLinesSink::Open(const std::string& path) {
  if (path == "-") return std::unique_ptr<JsonLinesSink>(new JsonLinesSink(path, STDOUT_FILENO));
  const int fd = OpenAppend(path);
  if (fd < 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot open alarm log ", path, ": ", std::strerror(errno)));
  }
  return std::unique_ptr<JsonLinesSink>(new JsonLinesSink(path, fd));
}

JsonLinesSink::~JsonLinesSink() {
  absl::MutexLock lock(&mu_);
  if (fd_ >= 0 && fd_ != STDOUT_FILENO) close(fd_);
}

absl::Status JsonLinesSink::WriteLine(const std::string& line) {
  // Where the line starts, to cut a partial write back off (regular files; a pipe or a
  // terminal has no size and is written as it is).
  struct stat st;
  const bool regular = fstat(fd_, &st) == 0 && S_ISREG(st.st_mode);
  size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = write(fd_, line.data() + done, line.size() - done);
    if (n > 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    const std::string why = n < 0 ? std::strerror(errno) : "no progress";
    if (done > 0 && regular && ftruncate(fd_, st.st_size) != 0) {
      // The torn line stays; the next write starts a new line, so every other line parses.
      backlog_.front().first.insert(0, "\n");
    }
    return absl::UnavailableError(absl::StrCat("cannot write alarm log ", path_, ": ", why));
  }
  return absl::OkStatus();
}

void JsonLinesSink::WriteBacklog() {
  while (!backlog_.empty() && fd_ >= 0) {
    absl::Status s = WriteLine(backlog_.front().first);
    if (!s.ok()) {
      ++stats_.errors;
      stats_.last_error = std::string(s.message());
      DCP_LOG_EVERY_N_SEC(ERROR, 30)
          << s << "; " << backlog_.size() << " alarms kept in memory and retried";
      return;
    }
    delivery_.Observe(absl::ToDoubleSeconds(absl::Now() - backlog_.front().second));
    backlog_.pop_front();
    ++stats_.delivered;
  }
}

void JsonLinesSink::Emit(const Alarm& alarm) {
  absl::MutexLock lock(&mu_);
  ++stats_.emitted;
  // The daemon numbers alarms once for every sink (alarm/sequence.h); unnumbered ones (tests,
  // tools) get this sink's own count.
  ++sequence_;
  std::string line = alarm.ToJson(alarm.sequence != 0 ? alarm.sequence : sequence_);
  line.push_back('\n');
  if (backlog_.size() >= kMaxBacklog) {
    backlog_.pop_front();
    ++stats_.errors;
    stats_.last_error = absl::StrCat("alarm log ", path_, ": backlog full, an alarm was dropped");
    DCP_LOG_EVERY_N_SEC(ERROR, 30) << stats_.last_error;
  }
  backlog_.emplace_back(std::move(line), alarm.time);
  WriteBacklog();
}

bool JsonLinesSink::Flush(absl::Duration) {
  absl::MutexLock lock(&mu_);
  WriteBacklog();
  return backlog_.empty();
}

absl::Status JsonLinesSink::Reopen() {
  absl::MutexLock lock(&mu_);
  if (fd_ == STDOUT_FILENO) return absl::OkStatus();
  const int fd = OpenAppend(path_);
  if (fd < 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot reopen alarm log ", path_, ": ", std::strerror(errno)));
  }
  if (fd_ >= 0) close(fd_);
  fd_ = fd;
  WriteBacklog();
  return absl::OkStatus();
}

SinkStats JsonLinesSink::stats() const {
  absl::MutexLock lock(&mu_);
  SinkStats s = stats_;
  s.pending = backlog_.size();
  s.delivery_seconds = delivery_.Get();
  return s;
}

}  // namespace dcp::alarm
