// Minimal leveled logging to stderr (Abseil 20220623 has no absl/log).
//
// Thread-safe: each call writes one whole line under a mutex. In the text format (the
// default) lines look like
//   2026-11-21T10:00:00.123Z I collector.cc:42] connected to 127.0.0.1:3306
// and in the JSON format (--log-format=json) each line is one object:
//   {"ts":"2026-11-21T10:00:00.123Z","level":"info","program":"dcp","src":"collector.cc:42",
//    "msg":"connected to 127.0.0.1:3306"}
// (a message with newlines stays one line: they are escaped).
// Usage:
//   DCP_LOG(INFO) << "connected to " << addr;
//   DCP_LOG_EVERY_N_SEC(WARNING, 10) << "reconnecting";  // at most once per 10 s per site
// Never log secrets: DSNs are logged through mysql::Dsn::ToString(), which redacts passwords.
#ifndef DCP_UTIL_LOG_H_
#define DCP_UTIL_LOG_H_

#include <atomic>
#include <cstdint>
#include <optional>
#include <sstream>
#include <string>

#include "absl/strings/string_view.h"

namespace dcp {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };
enum class LogFormat { kText, kJson };

// "debug", "info", "warning" (or "warn"), "error"; std::nullopt otherwise.
std::optional<LogLevel> ParseLogLevel(absl::string_view name);
// "text", "json"; std::nullopt otherwise.
std::optional<LogFormat> ParseLogFormat(absl::string_view name);

void SetLogFormat(LogFormat format);
LogFormat GetLogFormat();
// The program name in JSON lines and before LogUser() messages ("dcp" by default).
void SetLogProgram(absl::string_view program);

// Messages below this level are dropped. Default kInfo; DCP_LOG_LEVEL=debug|info|warning|error
// in the environment overrides it at first use.
void SetMinLogLevel(LogLevel level);
LogLevel MinLogLevel();

// Redirects log output to `path` (appending), or back to stderr when `path` is empty.
// Used for SIGHUP log reopening. Returns false if the file cannot be opened.
bool SetLogFile(const char* path);

// A message for the person at the terminal (a usage error, a final error, a warning about
// the command line), written whatever the minimum level: in the text format as the line
// "program: message" without timestamp; in the JSON format as a log object.
void LogUser(LogLevel level, absl::string_view message);
// The line LogUser() writes (with its newline), for `program` (empty: the one set by
// SetLogProgram), for writers that take a stream.
std::string FormatUserLine(LogLevel level, absl::string_view program, absl::string_view message);

namespace log_internal {

// Builds one line and writes it on destruction.
class LogMessage {
 public:
  LogMessage(LogLevel level, const char* file, int line);
  ~LogMessage();
  LogMessage(const LogMessage&) = delete;
  LogMessage& operator=(const LogMessage&) = delete;
  std::ostream& stream() { return stream_; }

 private:
  LogLevel level_;
  const char* file_;
  int line_;
  std::ostringstream stream_;
};

// Swallows the stream expression when a message is disabled.
struct Voidify {
  void operator&(std::ostream&) {}
};

// True at most once per `interval_ns` for the call site owning `last_ns`.
bool ShouldLogEvery(std::atomic<int64_t>* last_ns, int64_t interval_ns);

}  // namespace log_internal
}  // namespace dcp

#define DCP_LOG_LEVEL_DEBUG ::dcp::LogLevel::kDebug
#define DCP_LOG_LEVEL_INFO ::dcp::LogLevel::kInfo
#define DCP_LOG_LEVEL_WARNING ::dcp::LogLevel::kWarning
#define DCP_LOG_LEVEL_ERROR ::dcp::LogLevel::kError

#define DCP_LOG(level)                                        \
  (DCP_LOG_LEVEL_##level < ::dcp::MinLogLevel())              \
      ? (void)0                                               \
      : ::dcp::log_internal::Voidify() &                      \
            ::dcp::log_internal::LogMessage(DCP_LOG_LEVEL_##level, __FILE__, __LINE__).stream()

#define DCP_LOG_EVERY_N_SEC(level, seconds)                                           \
  static std::atomic<int64_t> DCP_LOG_CONCAT_(dcp_log_last_, __LINE__){0};            \
  if (::dcp::log_internal::ShouldLogEvery(&DCP_LOG_CONCAT_(dcp_log_last_, __LINE__),  \
                                          static_cast<int64_t>((seconds) * 1e9)))     \
  DCP_LOG(level)

#define DCP_LOG_CONCAT_INNER_(a, b) a##b
#define DCP_LOG_CONCAT_(a, b) DCP_LOG_CONCAT_INNER_(a, b)

#endif  // DCP_UTIL_LOG_H_
