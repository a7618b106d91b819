#include "barrier/barrier_writer.h"

#include <algorithm>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "mysql/connection.h"
#include "util/log.h"
#include "util/status_macros.h"

namespace dcp::barrier {
namespace {

class MysqlSession final : public SqlSession {
 public:
  explicit MysqlSession(mysql::Connection conn) : conn_(std::move(conn)) {}
  absl::StatusOr<uint64_t> Execute(absl::string_view sql) override {
    RETURN_IF_ERROR(conn_.Execute(sql));
    return conn_.affected_rows();
  }
  absl::StatusOr<std::optional<std::string>> QueryValue(absl::string_view sql) override {
    return conn_.QueryValue(sql);
  }

 private:
  mysql::Connection conn_;
};

class MysqlConnector final : public SqlConnector {
 public:
  explicit MysqlConnector(mysql::Dsn dsn) : dsn_(std::move(dsn)) {}
  absl::StatusOr<std::unique_ptr<SqlSession>> Connect() override {
    ASSIGN_OR_RETURN(mysql::Connection conn, mysql::Connection::Open(dsn_));
    return std::unique_ptr<SqlSession>(new MysqlSession(std::move(conn)));
  }

 private:
  mysql::Dsn dsn_;
};

// Whether the server behind `conn` accepts writes: read_only and (MySQL) super_read_only off.
absl::StatusOr<bool> Writable(mysql::Connection& conn) {
  ASSIGN_OR_RETURN(std::optional<std::string> ro, conn.QueryValue("SELECT @@read_only"));
  if (ro && *ro != "0") return false;
  // MariaDB has no super_read_only: an error here means "no such variable".
  auto sro = conn.QueryValue("SELECT @@super_read_only");
  return !(sro.ok() && *sro && **sro != "0");
}

class TopologyConnector final : public SqlConnector {
 public:
  explicit TopologyConnector(std::vector<mysql::Dsn> candidates)
      : candidates_(std::move(candidates)) {}

  absl::StatusOr<std::unique_ptr<SqlSession>> Connect() override {
    if (candidates_.size() == 1) {
      ASSIGN_OR_RETURN(mysql::Connection conn, mysql::Connection::Open(candidates_[0]));
      server_ = candidates_[0].Address();
      return std::unique_ptr<SqlSession>(new MysqlSession(std::move(conn)));
    }
    ASSIGN_OR_RETURN(Found found, FindWritable());
    server_ = candidates_[found.index].Address();
    return std::unique_ptr<SqlSession>(new MysqlSession(std::move(found.conn)));
  }

  absl::Status Verify() override {
    if (candidates_.size() == 1) return absl::OkStatus();
    ASSIGN_OR_RETURN(Found found, FindWritable());
    if (candidates_[found.index].Address() != server_) {
      return absl::UnavailableError(absl::StrCat("the writable server is now ",
                                                 candidates_[found.index].Address()));
    }
    return absl::OkStatus();
  }

  std::string Server() const override { return server_; }

 private:
  struct Found {
    size_t index;
    mysql::Connection conn;
  };

  absl::StatusOr<Found> FindWritable() {
    std::vector<std::string> notes;
    std::vector<size_t> writable;
    std::optional<mysql::Connection> chosen;
    for (size_t i = 0; i < candidates_.size(); ++i) {
      mysql::Dsn dsn = candidates_[i];
      dsn.connect_timeout_s = std::min(dsn.connect_timeout_s, 3);
      absl::StatusOr<mysql::Connection> conn = mysql::Connection::Open(dsn);
      absl::StatusOr<bool> w = conn.ok() ? Writable(*conn) : absl::StatusOr<bool>(conn.status());
      if (!w.ok()) {
        notes.push_back(absl::StrCat(dsn.Address(), ": ", w.status().message()));
        continue;
      }
      if (!*w) {
        notes.push_back(absl::StrCat(dsn.Address(), " read-only"));
        continue;
      }
      writable.push_back(i);
      if (!chosen) chosen.emplace(*std::move(conn));
    }
    if (writable.size() > 1) {
      std::vector<std::string> names;
      for (size_t i : writable) names.push_back(candidates_[i].Address());
      return absl::FailedPreconditionError(absl::StrCat(
          "split brain: ", absl::StrJoin(names, " and "),
          " are all writable; no barrier is written until only one is"));
    }
    if (writable.empty()) {
      return absl::UnavailableError(
          absl::StrCat("no writable server among the candidates (", absl::StrJoin(notes, "; "), ")"));
    }
    return Found{writable.front(), *std::move(chosen)};
  }

  const std::vector<mysql::Dsn> candidates_;
  std::string server_;
};

}  // namespace

std::unique_ptr<SqlConnector> NewMysqlConnector(mysql::Dsn dsn) {
  return std::make_unique<MysqlConnector>(std::move(dsn));
}

std::unique_ptr<SqlConnector> NewTopologyConnector(std::vector<mysql::Dsn> candidates) {
  return std::make_unique<TopologyConnector>(std::move(candidates));
}

absl::Status BarrierOptions::Validate() const {
  if (id == 0) return absl::InvalidArgumentError("barrier: id must be >= 1");
  if (interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("barrier: interval must be positive");
  }
  if (initial_backoff <= absl::ZeroDuration() || max_backoff < initial_backoff) {
    return absl::InvalidArgumentError("barrier: backoff must be positive, max >= initial");
  }
  return absl::OkStatus();
}

BarrierWriter::BarrierWriter(BarrierOptions options, SqlConnector* connector, Clock* clock,
                             std::function<void(const BarrierEvent&)> on_barrier)
    : options_(std::move(options)),
      connector_(connector),
      clock_(clock),
      on_barrier_(std::move(on_barrier)),
      high_water_(options_.floor),
      backoff_(options_.initial_backoff) {}

BarrierWriter::Stats BarrierWriter::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

absl::Duration BarrierWriter::Fail(absl::string_view what, const absl::Status& status) {
  session_.reset();
  {
    absl::MutexLock lock(&mu_);
    ++stats_.failures;
    stats_.connected = false;
    stats_.last_error = status;
  }
  DCP_LOG_EVERY_N_SEC(WARNING, 30) << "barrier writer: " << what << " failed: " << status
                                   << "; retrying in " << absl::FormatDuration(backoff_);
  absl::Duration wait = backoff_;
  backoff_ = std::min(backoff_ * 2, options_.max_backoff);
  return wait;
}

void BarrierWriter::Report(uint64_t offset, bool confirmed_late) {
  offset_ = offset;
  high_water_ = std::max(high_water_, offset);
  BarrierEvent e;
  e.offset = offset;
  e.committed = clock_->Now();
  e.confirmed_late = confirmed_late;
  {
    absl::MutexLock lock(&mu_);
    ++stats_.bumps;
    stats_.offset = offset;
    stats_.last_error = absl::OkStatus();
  }
  if (on_barrier_) on_barrier_(e);
}

absl::Status BarrierWriter::Setup() {
  const uint32_t id = options_.id;
  RETURN_IF_ERROR(session_->Execute("CREATE DATABASE IF NOT EXISTS drc").status());
  RETURN_IF_ERROR(session_
                      ->Execute("CREATE TABLE IF NOT EXISTS drc.barrier ("
                                "id int(11) unsigned NOT NULL AUTO_INCREMENT, "
                                "`offset` BIGINT unsigned NOT NULL DEFAULT 0, "
                                "ts timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP "
                                "ON UPDATE CURRENT_TIMESTAMP, PRIMARY KEY (id)) "
                                "ENGINE=InnoDB DEFAULT CHARSET=utf8")
                      .status());
  RETURN_IF_ERROR(session_
                      ->Execute(absl::StrCat(
                          "INSERT IGNORE INTO drc.barrier (id, `offset`) VALUES (", id, ", 0)"))
                      .status());
  ASSIGN_OR_RETURN(
      std::optional<std::string> value,
      session_->QueryValue(absl::StrCat("SELECT `offset` FROM drc.barrier WHERE id = ", id)));
  uint64_t current = 0;
  if (!value || !absl::SimpleAtoi(*value, &current)) {
    return absl::DataLossError(
        absl::StrCat("drc.barrier row ", id, " has offset '", value.value_or("NULL"), "'"));
  }
  if (pending_) {
    if (current == *pending_) {
      // The bump committed before the connection was lost.
      Report(current, /*confirmed_late=*/true);
    } else if (offset_ && current != *offset_) {
      DCP_LOG(WARNING) << "barrier writer: row " << id << " moved from " << *offset_ << " to "
                       << current << " while disconnected; is another writer using id " << id
                       << "?";
    }
    pending_.reset();
  }
  if (current < high_water_) {
    DCP_LOG(WARNING) << "barrier writer: row " << id << " on " << connector_->Server()
                     << " is at " << current << ", behind barrier " << high_water_
                     << " written before (a failover lost the last bumps); continuing at "
                     << high_water_ + 1;
  }
  offset_ = current;
  high_water_ = std::max(high_water_, current);
  return absl::OkStatus();
}

absl::Duration BarrierWriter::RunOnce() {
  if (!session_) {
    auto session = connector_->Connect();
    if (!session.ok()) return Fail("connect", session.status());
    session_ = std::move(*session);
    if (absl::Status s = Setup(); !s.ok()) return Fail("setup", s);
    backoff_ = options_.initial_backoff;
    verified_at_ = clock_->Now();
    absl::MutexLock lock(&mu_);
    ++stats_.connects;
    stats_.connected = true;
  } else if (options_.recheck > absl::ZeroDuration() &&
             clock_->Now() - verified_at_ >= options_.recheck) {
    if (absl::Status v = connector_->Verify(); !v.ok()) return Fail("checking the server", v);
    verified_at_ = clock_->Now();
  }

  const uint64_t from = *offset_;
  const uint64_t to = std::max(from, high_water_) + 1;
  pending_ = to;
  auto affected =
      session_->Execute(absl::StrCat("UPDATE drc.barrier SET `offset` = ", to,
                                     " WHERE id = ", options_.id, " AND `offset` = ", from));
  if (!affected.ok()) return Fail(absl::StrCat("bump to ", to), affected.status());
  pending_.reset();
  if (*affected == 1) {
    backoff_ = options_.initial_backoff;
    Report(to, /*confirmed_late=*/false);
    return options_.interval;
  }
  // The row is not where we left it (another writer, a manual change): re-read it and bump
  // from there at the next tick.
  auto value = session_->QueryValue(
      absl::StrCat("SELECT `offset` FROM drc.barrier WHERE id = ", options_.id));
  uint64_t current = 0;
  if (!value.ok() || !*value || !absl::SimpleAtoi(**value, &current)) {
    // Missing row: recreate it through a fresh setup.
    return Fail("re-reading the barrier row",
                value.ok() ? absl::NotFoundError("row missing or not a number") : value.status());
  }
  DCP_LOG_EVERY_N_SEC(WARNING, 30) << "barrier writer: row " << options_.id << " was at " << current
                                   << ", expected " << from << "; is another writer using this id?";
  offset_ = current;
  high_water_ = std::max(high_water_, current);
  return options_.interval;
}

void BarrierWriter::Run() {
  while (!stop_.load()) {
    const absl::Time deadline = clock_->Now() + RunOnce();
    // Sleep in slices so that Stop() is honoured promptly.
    for (absl::Time now = clock_->Now(); !stop_.load() && now < deadline; now = clock_->Now()) {
      clock_->SleepFor(std::min(deadline - now, absl::Milliseconds(100)));
    }
  }
}

}  // namespace dcp::barrier
