#include "mysql/throttle_probes.h"

#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "mysql/connection.h"

namespace dcp::mysql {
namespace {

// A connection opened on demand and dropped after an error, shared by a probe's calls.
class LazyConnection {
 public:
  explicit LazyConnection(Dsn dsn) : dsn_(std::move(dsn)) {}

  // Runs `sql`; a failure drops the connection so that the next call reconnects.
  absl::StatusOr<ResultSet> Query(absl::string_view sql) {
    absl::MutexLock lock(&mu_);
    if (!conn_.has_value()) {
      absl::StatusOr<Connection> c = Connection::Open(dsn_);
      if (!c.ok()) return absl::UnavailableError(std::string(c.status().message()));
      conn_ = *std::move(c);
    }
    absl::StatusOr<ResultSet> rs = conn_->Query(sql);
    if (!rs.ok()) conn_.reset();
    return rs;
  }

 private:
  const Dsn dsn_;
  absl::Mutex mu_;
  std::optional<Connection> conn_ ABSL_GUARDED_BY(mu_);
};

absl::StatusOr<std::optional<double>> Number(const std::optional<std::string>& v) {
  if (!v.has_value()) return std::optional<double>();
  double d = 0;
  if (!absl::SimpleAtod(*v, &d)) {
    return absl::InternalError(absl::StrCat("not a number: '", *v, "'"));
  }
  return std::optional<double>(d);
}

absl::StatusOr<std::optional<double>> NativeLag(LazyConnection& conn) {
  absl::StatusOr<ResultSet> rs = conn.Query("SHOW REPLICA STATUS");
  if (!rs.ok() && !absl::IsUnavailable(rs.status())) rs = conn.Query("SHOW SLAVE STATUS");
  if (!rs.ok()) return rs.status();
  if (rs->rows.empty()) return absl::FailedPreconditionError("the server is not a replica");
  std::optional<size_t> col = rs->ColumnIndex("Seconds_Behind_Master");
  if (!col) col = rs->ColumnIndex("Seconds_Behind_Source");
  if (!col) return absl::InternalError("no Seconds_Behind_Master in SHOW REPLICA STATUS");
  // Several sources (multi-source replication): the largest lag; any NULL is unknown.
  std::optional<double> lag = 0.0;
  for (const Row& row : rs->rows) {
    absl::StatusOr<std::optional<double>> v = Number(row[*col]);
    if (!v.ok()) return v.status();
    if (!v->has_value()) return std::optional<double>();
    lag = std::max(*lag, **v);
  }
  return lag;
}

absl::StatusOr<std::optional<double>> HeartbeatLag(LazyConnection& conn, const std::string& sql) {
  absl::StatusOr<ResultSet> rs = conn.Query(sql);
  if (!rs.ok()) return rs.status();
  if (rs->rows.empty() || rs->rows[0].empty()) return std::optional<double>();
  return Number(rs->rows[0][0]);  // NULL: no heartbeat row yet, unknown
}

absl::StatusOr<std::optional<double>> StatusVariable(LazyConnection& conn,
                                                     const std::string& name) {
  // SHOW ... LIKE takes a plain string literal only (no introducer, no hex); `name` is letters,
  // digits and '_' (ParseMaxLoad), so quoting is enough. '_' matches any character in LIKE:
  // the row is chosen by its exact name.
  absl::StatusOr<ResultSet> rs = conn.Query(absl::StrCat("SHOW GLOBAL STATUS LIKE '", name, "'"));
  if (!rs.ok()) return rs.status();
  for (const Row& row : rs->rows) {
    if (row.size() >= 2 && row[0].has_value() && absl::EqualsIgnoreCase(*row[0], name)) {
      return Number(row[1]);
    }
  }
  return absl::InvalidArgumentError(absl::StrCat("no global status variable ", name));
}

}  // namespace

absl::StatusOr<std::pair<std::string, double>> ParseMaxLoad(absl::string_view text) {
  const std::pair<absl::string_view, absl::string_view> kv =
      absl::StrSplit(text, absl::MaxSplits('=', 1));
  double max = 0;
  const absl::string_view name = absl::StripAsciiWhitespace(kv.first);
  if (name.empty() || !absl::SimpleAtod(kv.second, &max) || max < 0 ||
      name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") !=
          absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--max-load: expected STATUS_VARIABLE=N (e.g. Threads_running=25), got '", text, "'"));
  }
  return std::make_pair(std::string(name), max);
}

absl::StatusOr<std::vector<ThrottleCheck>> BuildThrottleChecks(const ThrottleConfig& config) {
  std::vector<ThrottleCheck> checks;
  if (config.max_lag.has_value()) {
    if (config.replicas.empty()) {
      return absl::InvalidArgumentError("--max-lag needs the replicas to watch (--replica DSN)");
    }
    std::string sql;
    if (!config.heartbeat_table.empty()) {
      const std::vector<std::string> parts = absl::StrSplit(config.heartbeat_table, '.');
      if (parts.size() != 2 || parts[0].empty() || parts[1].empty()) {
        return absl::InvalidArgumentError("--barrier-table: expected schema.table");
      }
      sql = absl::StrCat("SELECT TIMESTAMPDIFF(MICROSECOND, MAX(ts), NOW(6)) / 1e6 FROM ",
                         QuoteIdentifier(parts[0]), ".", QuoteIdentifier(parts[1]));
    }
    for (const Dsn& r : config.replicas) {
      auto conn = std::make_shared<LazyConnection>(r);
      ThrottleCheck c;
      c.name = absl::StrCat(sql.empty() ? "lag of replica " : "heartbeat lag of replica ",
                            r.Address());
      c.max = absl::ToDoubleSeconds(*config.max_lag);
      c.unit = "s";
      if (sql.empty()) {
        c.read = [conn] { return NativeLag(*conn); };
      } else {
        c.read = [conn, sql] { return HeartbeatLag(*conn, sql); };
      }
      checks.push_back(std::move(c));
    }
  }
  for (const auto& [variable, max] : config.max_load) {
    for (const Dsn& s : config.load_servers) {
      auto conn = std::make_shared<LazyConnection>(s);
      ThrottleCheck c;
      c.name = absl::StrCat(variable, " on ", s.Address());
      c.max = max;
      c.read = [conn, name = variable] { return StatusVariable(*conn, name); };
      checks.push_back(std::move(c));
    }
  }
  return checks;
}

}  // namespace dcp::mysql
