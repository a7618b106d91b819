#include "util/log.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "util/json.h"

namespace dcp {
namespace {

LogLevel LevelFromEnv() {
  const char* env = std::getenv("DCP_LOG_LEVEL");
  if (env == nullptr) return LogLevel::kInfo;
  return ParseLogLevel(env).value_or(LogLevel::kInfo);
}

std::atomic<int> g_format{static_cast<int>(LogFormat::kText)};

std::atomic<int>& MinLevelStorage() {
  static std::atomic<int> level{static_cast<int>(LevelFromEnv())};
  return level;
}

absl::Mutex& OutputMutex() {
  static absl::Mutex mu;
  return mu;
}

FILE* g_output ABSL_GUARDED_BY(OutputMutex()) = nullptr;  // nullptr means stderr
std::string& Program() {
  static std::string* program = new std::string("dcp");
  return *program;
}

const char* LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarning: return "warning";
    case LogLevel::kError: return "error";
  }
  return "info";
}

// One JSON object (with its newline) for a message; `src` may be empty.
std::string JsonLine(LogLevel level, absl::string_view program, absl::string_view src,
                     absl::string_view message) {
  std::string line = "{\"ts\":\"";
  line += absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone());
  line += "\",\"level\":\"";
  line += LevelName(level);
  line += "\",\"program\":";
  json::AppendString(program, &line);
  if (!src.empty()) {
    line += ",\"src\":";
    json::AppendString(src, &line);
  }
  line += ",\"msg\":";
  json::AppendString(message, &line);
  line += "}\n";
  return line;
}

void Write(const std::string& line) {
  absl::MutexLock lock(&OutputMutex());
  FILE* out = g_output != nullptr ? g_output : stderr;
  std::fwrite(line.data(), 1, line.size(), out);
  std::fflush(out);
}

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

std::optional<LogLevel> ParseLogLevel(absl::string_view name) {
  if (name == "debug") return LogLevel::kDebug;
  if (name == "info") return LogLevel::kInfo;
  if (name == "warning" || name == "warn") return LogLevel::kWarning;
  if (name == "error") return LogLevel::kError;
  return std::nullopt;
}

std::optional<LogFormat> ParseLogFormat(absl::string_view name) {
  if (name == "text") return LogFormat::kText;
  if (name == "json") return LogFormat::kJson;
  return std::nullopt;
}

void SetLogFormat(LogFormat format) { g_format.store(static_cast<int>(format)); }
LogFormat GetLogFormat() { return static_cast<LogFormat>(g_format.load()); }

void SetLogProgram(absl::string_view program) {
  absl::MutexLock lock(&OutputMutex());
  Program() = std::string(program);
}

std::string FormatUserLine(LogLevel level, absl::string_view program, absl::string_view message) {
  std::string name;
  if (program.empty()) {
    absl::MutexLock lock(&OutputMutex());
    name = Program();
  } else {
    name = std::string(program);
  }
  if (GetLogFormat() == LogFormat::kJson) return JsonLine(level, name, "", message);
  std::string line = absl::StrCat(name, ": ", level == LogLevel::kWarning ? "warning: " : "");
  line.append(message.data(), message.size());
  line += "\n";
  return line;
}

void LogUser(LogLevel level, absl::string_view message) {
  Write(FormatUserLine(level, "", message));
}

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

LogMessage::LogMessage(LogLevel level, const char* file, int line)
    : level_(level), file_(file), line_(line) {
  if (GetLogFormat() == LogFormat::kJson) return;  // the message alone; framed at the end
  const char* base = std::strrchr(file, '/');
  stream_ << absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ ", absl::Now(), absl::UTCTimeZone())
          << LevelChar(level_) << ' ' << (base ? base + 1 : file) << ':' << line << "] ";
}

LogMessage::~LogMessage() {
  if (GetLogFormat() == LogFormat::kJson) {
    const char* base = std::strrchr(file_, '/');
    std::string program;
    {
      absl::MutexLock lock(&OutputMutex());
      program = Program();
    }
    Write(JsonLine(level_, program, absl::StrCat(base ? base + 1 : file_, ":", line_),
                   stream_.str()));
    return;
  }
  stream_ << '\n';
  Write(stream_.str());
}

bool ShouldLogEvery(std::atomic<int64_t>* last_ns, int64_t interval_ns) {
  const int64_t now = absl::GetCurrentTimeNanos();
  int64_t last = last_ns->load(std::memory_order_relaxed);
  if (last != 0 && now - last < interval_ns) return false;
  return last_ns->compare_exchange_strong(last, now, std::memory_order_relaxed);
}

}  // namespace log_internal
}  // namespace dcp
