// The dcp daemon's configuration: a TOML file (documented key by key in docs/config.md)
// parsed and validated into plain structs.
//
// Every error is one line naming the file, the line, the key and what is expected, e.g.
//   dcp.toml:12:1: collector[2].server-id: duplicate server id 1001 (also collector[1])
// Secrets (passwords, tokens, webhook secrets) are resolved from the DSN, an environment
// variable (`*-env`) or a file (`*-file`) and never appear in ToString() or in errors.
#ifndef DCP_DAEMON_CONFIG_H_
#define DCP_DAEMON_CONFIG_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "mysql/dsn.h"

namespace dcp::daemon {

struct BarrierConfig {
  mysql::Dsn dsn;
  uint32_t id = 1;
  absl::Duration interval = absl::Seconds(2);
};

// A named set of tables produced by one collector.
struct TagConfig {
  std::string name;
  std::vector<std::string> tables;  // schema.table globs
  // Target table (glob) -> source table (glob), e.g. "shop_v2.*" -> "shop.*": rows of the
  // target table are compared under the source table's name.
  std::vector<std::pair<std::string, std::string>> rename;
  std::vector<std::string> ignore_columns;  // schema.table.column globs
  // schema.table -> key columns, for tables without a primary key.
  std::map<std::string, std::vector<std::string>> key_columns;
};

struct CollectorConfig {
  enum class Type { kMysql, kGrpc };
  std::string name;
  Type type = Type::kMysql;
  // type = "mysql"
  mysql::Dsn dsn;
  uint32_t server_id = 0;
  std::optional<std::string> start_gtid;      // GTID set / MariaDB GTID position
  std::optional<std::string> start_position;  // file:pos
  std::vector<TagConfig> tags;
  // type = "grpc"
  std::string listen;
  std::vector<std::string> grpc_tags;
  std::optional<std::string> token;  // secret
  std::string tls_cert;
  std::string tls_key;

  // Names of the tags this collector produces.
  std::vector<std::string> TagNames() const;
};

struct CheckerConfig {
  enum class Mode { kState, kSequence };
  std::string source_tag;
  std::vector<std::string> target_tags;
  Mode mode = Mode::kState;
  int tolerance = 2;
  absl::Duration timeout = absl::Seconds(10);
  int64_t max_buffered_changes = 1'000'000;  // per target
  int max_sample_keys = 20;
};

struct AlarmConfig {
  std::string log;  // path, "-" for stdout, empty for none
  std::string webhook;
  std::optional<std::string> webhook_secret;  // HMAC-SHA256 key; secret
  absl::Duration webhook_timeout = absl::Seconds(5);
  bool slack_text = false;
};

struct HttpConfig {
  std::string listen = "127.0.0.1:8080";  // empty: no HTTP server
};

struct StateConfig {
  std::string dir = "./dcp-state";
};

// [collect]: where `dcp collect` streams the MySQL collectors' messages (a remote dcp's gRPC
// collector). With this section the [checker] section is not required.
struct CollectConfig {
  std::string target;                // host:port
  std::optional<std::string> token;  // secret
  std::string tls_ca;                // PEM roots file; empty: plaintext
};

struct Config {
  std::string path;  // the file it came from, for messages
  std::optional<BarrierConfig> barrier;
  std::vector<CollectorConfig> collectors;
  CheckerConfig checker;
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
