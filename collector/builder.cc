#include "collector/builder.h"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "collector/checkpoint.h"
#include "collector/grpc_collector.h"
#include "collector/mysql_source.h"
#include "collector/server_check.h"
#include "collector/topology.h"
#include "util/log.h"
#include "util/status_macros.h"

namespace dcp::collector {
namespace {

// "file:pos" -> StartPoint.
absl::StatusOr<StartPoint> ParsePosition(const std::string& text) {
  const size_t colon = text.rfind(':');
  StartPoint p;
  if (colon == std::string::npos || colon == 0 ||
      !absl::SimpleAtoi(text.substr(colon + 1), &p.position)) {
    return absl::InvalidArgumentError(
        absl::StrCat("start-position '", text, "': expected FILE:POSITION"));
  }
  p.file = text.substr(0, colon);
  return p;
}

// Where a MySQL collector begins when it has no checkpoint, and how that was decided. The
// start carries the GTID position there, so that it can be resumed on another server.
absl::StatusOr<std::pair<StartPoint, std::string>> StartWithoutCheckpoint(
    const MysqlSourceConfig& config, const ServerInfo& server, const mysql::Dsn& dsn) {
  StartPoint start;
  if (config.start_gtid) {
    start.gtid = *config.start_gtid;
    start.file.clear();
    return std::make_pair(start, absl::StrCat("configured start ", start.ToString()));
  }
  if (config.start_position) {
    ASSIGN_OR_RETURN(start, ParsePosition(*config.start_position));
    start.server_id = server.server_id;
    if (server.mariadb) {
      ASSIGN_OR_RETURN(mysql::Connection conn, mysql::Connection::Open(dsn));
      ASSIGN_OR_RETURN(start.gtid, GtidPositionAt(conn, start.file, start.position));
    }
    return std::make_pair(start, absl::StrCat("configured start ", start.ToString()));
  }
  start.file = server.binlog_file;
  start.position = server.binlog_position;
  start.gtid = server.gtid_position;
  start.server_id = server.server_id;
  return std::make_pair(start, absl::StrCat("current end ", start.ToString()));
}

// The candidate to validate at build time: a source collector's writable one, else the first
// reachable one (the stream's server is chosen again at each connection, MysqlSource::Open).
mysql::Dsn ServerToCheck(const std::vector<mysql::Dsn>& candidates, CollectorRole role) {
  if (candidates.size() == 1) return candidates.front();
  std::optional<size_t> reachable;
  for (size_t i = 0; i < candidates.size(); ++i) {
    mysql::Dsn dsn = candidates[i];
    dsn.connect_timeout_s = std::min(dsn.connect_timeout_s, 3);
    const ServerProbe p = ProbeServer(dsn);
    if (!p.error.ok()) continue;
    if (role == CollectorRole::kSource && !p.read_only) return candidates[i];
    if (!reachable) reachable = i;
  }
  return candidates[reachable.value_or(0)];
}

absl::StatusOr<std::unique_ptr<Collector>> BuildMysql(const std::string& name,
                                                      const MysqlSourceConfig& config,
                                                      const BuildContext& context) {
  const mysql::Dsn dsn = ServerToCheck(Candidates(config), RoleOf(config, context));
  ASSIGN_OR_RETURN(ServerCheckResult check,
                   ConnectAndCheckServer(dsn, config.server_id, TagMatcher(config.tags)));
  for (const std::string& w : check.warnings) {
    DCP_LOG(WARNING) << "collector " << name << ": " << w;
  }
  std::error_code ec;
  std::filesystem::create_directories(context.state_dir, ec);
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot create the state directory ", context.state_dir, ": ", ec.message()));
  }
  const std::string path = CheckpointPath(name, context);
  ASSIGN_OR_RETURN(std::optional<Checkpoint> saved, CheckpointStore(path).Load());
  std::pair<StartPoint, std::string> start;
  std::string from;
  if (saved) {
    if (saved->server_id != 0 && saved->server_id != check.info.server_id && saved->gtid.empty()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "checkpoint ", path, " was saved on server id ", saved->server_id,
          " without a GTID position, so it can only be resumed there, but ", dsn.Address(),
          " has server id ", check.info.server_id,
          "; point the collector at that server, or remove the file to start afresh at the "
          "current end (the windows in between are not checked)"));
    }
    from = absl::StrCat("checkpoint ", saved->ToString());
    if (saved->server_id != 0 && saved->server_id != check.info.server_id) {
      absl::StrAppend(&from, " saved on server id ", saved->server_id, ", resumed by GTID");
    }
  } else {
    ASSIGN_OR_RETURN(start, StartWithoutCheckpoint(config, check.info, dsn));
    from = start.second;
  }
  return std::unique_ptr<Collector>(std::make_unique<MysqlSource>(
      name, config, check.info, context, std::move(start.first), std::move(from)));
}

// type = "grpc": a GrpcCollector bound at Start().
class GrpcSource final : public Collector {
 public:
  GrpcSource(std::string name, GrpcSourceConfig config, const BuildContext& context)
      : name_(std::move(name)), config_(std::move(config)), context_(context) {}
  ~GrpcSource() override { Stop(); }

  absl::Status Start() override {
    GrpcCollectorOptions o;
    o.listen_address = config_.listen;
    o.tags = config_.tags;
    o.token = config_.token;
    o.keep_content = context_.keep_content;
    if (!config_.tls_cert.empty()) o.tls = TlsServerFiles{config_.tls_cert, config_.tls_key};
    absl::StatusOr<std::unique_ptr<GrpcCollector>> server = GrpcCollector::Start(o, context_.sink);
    if (!server.ok()) {
      return absl::Status(server.status().code(),
                          absl::StrCat("collector '", name_, "' (", config_.listen,
                                       "): ", server.status().message()));
    }
    server_ = *std::move(server);
    const size_t colon = config_.listen.rfind(':');
    address_ = absl::StrCat(config_.listen.substr(0, colon), ":", server_->port());
    DCP_LOG(INFO) << "collector " << name_ << ": grpc listening on " << address_ << ", tags "
                  << absl::StrJoin(config_.tags, ",") << (config_.token ? ", token required" : "")
                  << (config_.tls_cert.empty() ? "" : ", TLS");
    return absl::OkStatus();
  }
  void Stop() override {
    if (server_) server_->Stop();
    stopped_ = true;
  }
  std::vector<std::string> Tags() const override { return config_.tags; }
  CollectorStatus Status() const override {
    CollectorStatus c;
    c.name = name_;
    c.type = "grpc";
    c.address = address_;
    c.tags = config_.tags;
    c.connected = server_ != nullptr && !stopped_;  // a listening server
    if (server_) {
      const IngestStats st = server_->core().stats();
      c.messages = st.accepted;
      c.rejected = st.rejected;
    }
    return c;
  }

 private:
  const std::string name_;
  const GrpcSourceConfig config_;
  const BuildContext context_;
  std::unique_ptr<GrpcCollector> server_;
  std::string address_;
  std::atomic<bool> stopped_{false};
};

}  // namespace

std::string CheckpointPath(const std::string& name, const BuildContext& context) {
  const bool by_window = context.checkpoints == BuildContext::Checkpoints::kByWindow;
  return (std::filesystem::path(context.state_dir) /
          (by_window ? absl::StrCat("collector-", name, ".json")
                     : absl::StrCat("collect-", name, ".checkpoint")))
      .string();
}

absl::StatusOr<std::unique_ptr<Collector>> BuildCollector(const CollectorConfig& config,
                                                          const BuildContext& context) {
  if (context.sink == nullptr) return absl::InvalidArgumentError("BuildCollector: no sink");
  if (const MysqlSourceConfig* m = config.mysql()) {
    absl::StatusOr<std::unique_ptr<Collector>> c = BuildMysql(config.name, *m, context);
    if (!c.ok()) {
      return absl::Status(c.status().code(),
                          absl::StrCat("collector '", config.name, "' (", m->dsn.Address(),
                                       "): ", c.status().message()));
    }
    return c;
  }
  return std::unique_ptr<Collector>(
      std::make_unique<GrpcSource>(config.name, *config.grpc(), context));
}

}  // namespace dcp::collector
