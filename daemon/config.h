// The daemon's configuration: a TOML file (documented key by key in docs/config.md) parsed
// and validated into the option structs of the components it configures (collectors,
// checker, barrier writer, alarm sinks): each default lives in one place, the component's.
//
// Every error is one line naming the file, the line, the key and what is expected, e.g.
//   dcp.toml:12:1: collector[2].server-id: duplicate server id 1001 (also collector[1])
// Secrets (passwords, tokens, webhook secrets) are resolved from the DSN, an environment
// variable (`*-env`) or a file (`*-file`) and never appear in ToString() or in errors.
#ifndef DCP_DAEMON_CONFIG_H_
#define DCP_DAEMON_CONFIG_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "alarm/sinks.h"
#include "barrier/barrier_writer.h"
#include "checker/checker.h"
#include "collector/config.h"
#include "mysql/dsn.h"

namespace dcp::daemon {

struct BarrierConfig {
  mysql::Dsn dsn;  // the first candidate
  // Every server of `dsn = [...]` (dsn first): the writer writes to the one writable
  // candidate (barrier/barrier_writer.h).
  std::vector<mysql::Dsn> candidates;
  barrier::BarrierOptions options;  // id, interval
};

// [[alarm.sink]] tables, in order; the older [alarm] keys (log, webhook, webhook-secret-*,
// webhook-timeout, slack) become a "log" sink and a "webhook" sink. `settings`: [alarm]
// severity (overrides of the per-kind defaults), instance (default: the host name) and
// status-url.
struct AlarmConfig {
  std::vector<alarm::SinkConfig> sinks;
  alarm::AlarmSettings settings;
};

struct HttpConfig {
  std::string listen = "127.0.0.1:8080";  // empty: no HTTP server
};

struct StateConfig {
  std::string dir = "./dcp-state";
};

// [collect]: where `dcp collect` streams the MySQL collectors' changes (a remote dcp's gRPC
// collector). With this section the [checker] section is not required.
struct CollectConfig {
  std::string target;                // host:port
  std::optional<std::string> token;  // secret
  std::string tls_ca;                // PEM roots file; empty: plaintext
};

struct Config {
  std::string path;  // the file it came from, for messages
  std::optional<BarrierConfig> barrier;
  std::vector<collector::CollectorConfig> collectors;
  checker::CheckerOptions checker;
  AlarmConfig alarm;
  HttpConfig http;
  StateConfig state;
  std::optional<CollectConfig> collect;

  // A summary for logs: no secrets.
  std::string ToString() const;
};

// Parses `toml_text` (`path` is used only in messages) and validates it. Environment
// variables and secret files named by `*-env`/`*-file` keys are read here.
absl::StatusOr<Config> ParseConfig(absl::string_view toml_text, absl::string_view path);

// Reads `path` and calls ParseConfig. kInvalidArgument for every configuration error,
// kNotFound/kPermissionDenied when the file itself cannot be read.
absl::StatusOr<Config> LoadConfig(const std::string& path);

// Warnings that do not stop the daemon (e.g. a tag produced but never compared).
std::vector<std::string> ConfigWarnings(const Config& config);

}  // namespace dcp::daemon

#endif  // DCP_DAEMON_CONFIG_H_
