// The configuration of each collector kind, as parsed from `[[collector]]` tables of the
// daemon's TOML file (daemon/config.h, docs/config.md) and built into a Collector by
// BuildCollector() (collector/builder.h). Value types.
#ifndef DCP_COLLECTOR_CONFIG_H_
#define DCP_COLLECTOR_CONFIG_H_

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/time/time.h"
#include "collector/tags.h"
#include "mysql/dsn.h"

namespace dcp::collector {

// type = "mysql": a replica connection reading the server's binlog.
struct MysqlSourceConfig {
  mysql::Dsn dsn;  // the first candidate
  // Every server of `dsn = [...]`, `dsn` first: candidates of one replication topology the
  // collector may read from (collector/topology.h). Empty: `dsn` alone.
  std::vector<mysql::Dsn> candidates;
  // How long a writable candidate must lack the collector's position before the difference
  // is accepted as transactions lost in a failover.
  absl::Duration loss_grace = absl::Seconds(10);
  uint32_t server_id = 0;                     // the replica id this collector registers as
  std::optional<std::string> start_gtid;      // GTID set / MariaDB GTID position
  std::optional<std::string> start_position;  // "file:pos"
  std::vector<TagRule> tags;
};

// type = "grpc": a DCPService server that pushers (gravity, `dcp push`, `dcp collect`) stream
// changes to.
struct GrpcSourceConfig {
  std::string listen;                // host:port
  std::vector<std::string> tags;     // the tags it accepts
  std::optional<std::string> token;  // secret: "authorization: Bearer <token>" required
  std::string tls_cert;              // PEM files; empty: plaintext
  std::string tls_key;
};

// The servers a collector may read from: `candidates`, or `dsn` alone.
std::vector<mysql::Dsn> Candidates(const MysqlSourceConfig& config);

struct CollectorConfig {
  std::string name;
  std::variant<MysqlSourceConfig, GrpcSourceConfig> source;

  const MysqlSourceConfig* mysql() const { return std::get_if<MysqlSourceConfig>(&source); }
  const GrpcSourceConfig* grpc() const { return std::get_if<GrpcSourceConfig>(&source); }
  // "mysql" | "grpc".
  const char* type() const { return mysql() != nullptr ? "mysql" : "grpc"; }
  // Names of the tags this collector produces.
  std::vector<std::string> TagNames() const;
};

}  // namespace dcp::collector

#endif  // DCP_COLLECTOR_CONFIG_H_
