#include "util/log.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace dcp {
namespace {

LogLevel LevelFromEnv() {
  const char* env = std::getenv("DCP_LOG_LEVEL");
  if (env == nullptr) return LogLevel::kInfo;
  if (std::strcmp(env, "debug") == 0) return LogLevel::kDebug;
  if (std::strcmp(env, "warning") == 0) return LogLevel::kWarning;
  if (std::strcmp(env, "error") == 0) return LogLevel::kError;
  return LogLevel::kInfo;
}

std::atomic<int>& MinLevelStorage() {
  static std::atomic<int> level{static_cast<int>(LevelFromEnv())};
  return level;
}

absl::Mutex& OutputMutex() {
  static absl::Mutex mu;
  return mu;
}

FILE* g_output ABSL_GUARDED_BY(OutputMutex()) = nullptr;  // nullptr means stderr

char LevelChar(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return 'D';
    case LogLevel::kInfo: return 'I';
    case LogLevel::kWarning: return 'W';
    case LogLevel::kError: return 'E';
  }
  return '?';
}

}  // namespace

void SetMinLogLevel(LogLevel level) { MinLevelStorage().store(static_cast<int>(level)); }

LogLevel MinLogLevel() { return static_cast<LogLevel>(MinLevelStorage().load()); }

bool SetLogFile(const char* path) {
  FILE* f = nullptr;
  if (path != nullptr && path[0] != '\0') {
    f = std::fopen(path, "a");
    if (f == nullptr) return false;
  }
  absl::MutexLock lock(&OutputMutex());
  if (g_output != nullptr) std::fclose(g_output);
  g_output = f;
  return true;
}

namespace log_internal {

LogMessage::LogMessage(LogLevel level, const char* file, int line) : level_(level) {
  const char* base = std::strrchr(file, '/');
  stream_ << absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ ", absl::Now(), absl::UTCTimeZone())
          << LevelChar(level_) << ' ' << (base ? base + 1 : file) << ':' << line << "] ";
}

LogMessage::~LogMessage() {
  stream_ << '\n';
  const std::string line = stream_.str();
  absl::MutexLock lock(&OutputMutex());
  FILE* out = g_output != nullptr ? g_output : stderr;
  std::fwrite(line.data(), 1, line.size(), out);
  std::fflush(out);
}

bool ShouldLogEvery(std::atomic<int64_t>* last_ns, int64_t interval_ns) {
  const int64_t now = absl::GetCurrentTimeNanos();
  int64_t last = last_ns->load(std::memory_order_relaxed);
  if (last != 0 && now - last < interval_ns) return false;
  return last_ns->compare_exchange_strong(last, now, std::memory_order_relaxed);
}

}  // namespace log_internal
}  // namespace dcp
