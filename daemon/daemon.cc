#include "daemon/daemon.h"

#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <functional>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "barrier/barrier_writer.h"
#include "barrier/lag.h"
#include "checker/alarm.h"
#include "checker/change.h"
#include "checker/webhook.h"
#include "collector/checkpoint.h"
#include "collector/grpc_collector.h"
#include "collector/grpc_queue.h"
#include "collector/mysql_collector.h"
#include "collector/server_check.h"
#include "collector/tags.h"
#include "daemon/http_server.h"
#include "util/log.h"
#include "util/status_macros.h"

namespace dcp::daemon {
namespace {

// Feeds one collector's messages to the checker in the collector's own thread. A mutex keeps
// the seq increasing even when a gRPC collector calls from several RPC threads.
class CheckerSink final : public collector::MessageSink {
 public:
  CheckerSink(std::string collector, checker::Checker* checker, bool keep_content)
      : collector_(std::move(collector)), checker_(checker), keep_content_(keep_content) {}

  absl::Status Put(std::vector<::dcp::Message>& messages,
                   const std::function<bool()>& cancelled) override {
    absl::MutexLock lock(&mu_);
    for (const ::dcp::Message& m : messages) {
      absl::StatusOr<checker::Change> change = checker::FromProto(m, ++seq_, keep_content_);
      if (!change.ok()) {
        ++invalid_;
        DCP_LOG_EVERY_N_SEC(WARNING, 30)
            << "collector " << collector_ << ": message not checked: " << change.status();
        continue;
      }
      // An unknown tag is reported once by the checker and counted there.
      checker_->Add(*change).IgnoreError();
    }
    messages.clear();
    return absl::OkStatus();
  }

 private:
  const std::string collector_;
  checker::Checker* const checker_;
  const bool keep_content_;
  absl::Mutex mu_;
  uint64_t seq_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t invalid_ ABSL_GUARDED_BY(mu_) = 0;
};

// Counts alarms by kind and logs each one's summary, then passes it on.
class CountingSink final : public checker::AlarmSink {
 public:
  explicit CountingSink(checker::AlarmSink* next) : next_(next) {}
  void Emit(const checker::Alarm& alarm) override {
    {
      absl::MutexLock lock(&mu_);
      ++counts_[std::string(checker::AlarmKindName(alarm.kind))];
    }
    DCP_LOG(WARNING) << "alarm: " << alarm.Summary();
    next_->Emit(alarm);
  }
  std::map<std::string, uint64_t> counts() const {
    absl::MutexLock lock(&mu_);
    return counts_;
  }

 private:
  checker::AlarmSink* const next_;
  mutable absl::Mutex mu_;
  std::map<std::string, uint64_t> counts_ ABSL_GUARDED_BY(mu_);
};

absl::StatusOr<collector::StartPoint> ParseStartPosition(const std::string& text) {
  const size_t colon = text.rfind(':');
  collector::StartPoint p;
  if (colon == std::string::npos || colon == 0 ||
      !absl::SimpleAtoi(text.substr(colon + 1), &p.position)) {
    return absl::InvalidArgumentError(
        absl::StrCat("start-position '", text, "': expected FILE:POSITION"));
  }
  p.file = text.substr(0, colon);
  return p;
}

std::string RedactUrl(const std::string& url) {
  // http://user:secret@host/... -> http://***@host/...
  const size_t scheme = url.find("://");
  const size_t at = url.find('@');
  const size_t slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  if (scheme == std::string::npos || at == std::string::npos ||
      (slash != std::string::npos && at > slash)) {
    return url;
  }
  return absl::StrCat(url.substr(0, scheme + 3), "***", url.substr(at));
}

}  // namespace

class Daemon::Impl {
 public:
  struct Mysql {
    CollectorConfig config;
    std::string checkpoint_path;
    collector::ServerInfo server;
    std::unique_ptr<CheckerSink> sink;
    std::unique_ptr<collector::ConnectionSchemaSource> schemas;
    std::unique_ptr<collector::MysqlCollector> collector;
    std::thread thread;
    absl::Mutex mu;
    std::map<uint64_t, collector::StartPoint> barrier_positions ABSL_GUARDED_BY(mu);
    std::string error ABSL_GUARDED_BY(mu);
  };
  struct Grpc {
    CollectorConfig config;
    std::unique_ptr<CheckerSink> sink;
    std::unique_ptr<collector::GrpcCollector> server;
    std::string address;
  };

  explicit Impl(Options options) : options_(std::move(options)) {}
  ~Impl() { Stop(); }

  absl::Status Start();
  void Stop();
  void ReopenLogs();
  StatusSnapshot Snapshot() const;
  int http_port() const { return http_ ? http_->port() : 0; }

 private:
  absl::Status CheckServers();
  absl::Status OpenSinks();
  absl::Status StartMysql(Mysql& m);
  void TickLoop();
  void PersistCheckpoints();

  Options options_;
  const Config& config() const { return options_.config; }
  absl::Time started_;
  std::atomic<bool> stopping_{false};
  absl::Mutex stop_mu_;
  bool stopped_ ABSL_GUARDED_BY(stop_mu_) = false;
  std::atomic<bool> running_{false};  // Start() succeeded

  std::unique_ptr<checker::JsonLinesSink> log_sink_;
  std::unique_ptr<checker::WebhookSink> webhook_;
  std::unique_ptr<checker::FanOutSink> fan_out_;
  std::unique_ptr<CountingSink> counting_;
  barrier::LagTracker lag_;
  std::unique_ptr<checker::Checker> checker_;
  std::vector<std::unique_ptr<Mysql>> mysql_;
  std::vector<std::unique_ptr<Grpc>> grpc_;
  std::unique_ptr<barrier::SqlConnector> barrier_connector_;
  std::unique_ptr<barrier::BarrierWriter> barrier_;
  std::thread barrier_thread_;
  std::thread tick_thread_;
  absl::Notification tick_stop_;
  std::unique_ptr<HttpServer> http_;

  mutable absl::Mutex checkpoint_mu_;
  std::optional<uint64_t> checkpoint_barrier_ ABSL_GUARDED_BY(checkpoint_mu_);
};

absl::Status Daemon::Impl::CheckServers() {
  for (size_t i = 0; i < config().collectors.size(); ++i) {
    const CollectorConfig& c = config().collectors[i];
    if (c.type != CollectorConfig::Type::kMysql) continue;
    auto m = std::make_unique<Mysql>();
    m->config = c;
    std::vector<collector::TagRule> rules;
    for (const TagConfig& t : c.tags) {
      rules.push_back({t.name, t.tables, t.rename, t.ignore_columns, t.key_columns});
    }
    collector::TagMatcher matcher(rules);
    absl::StatusOr<collector::ServerCheckResult> check =
        collector::ConnectAndCheckServer(c.dsn, c.server_id, matcher);
    if (!check.ok()) {
      return absl::Status(check.status().code(),
                          absl::StrCat(config().path, ": collector '", c.name, "' (",
                                       c.dsn.Address(), "): ", check.status().message()));
    }
    for (const std::string& w : check->warnings) {
      DCP_LOG(WARNING) << "collector " << c.name << ": " << w;
    }
    m->server = check->info;
    m->checkpoint_path =
        (std::filesystem::path(config().state.dir) / absl::StrCat("collector-", c.name, ".json"))
            .string();
    mysql_.push_back(std::move(m));
  }
  return absl::OkStatus();
}

absl::Status Daemon::Impl::OpenSinks() {
  std::vector<checker::AlarmSink*> sinks;
  const AlarmConfig& a = config().alarm;
  if (!a.log.empty()) {
    ASSIGN_OR_RETURN(log_sink_, checker::JsonLinesSink::Open(a.log));
    sinks.push_back(log_sink_.get());
  }
  if (!a.webhook.empty()) {
    checker::WebhookOptions w;
    w.url = a.webhook;
    w.spool_dir = (std::filesystem::path(config().state.dir) / "webhook-spool").string();
    w.hmac_secret = a.webhook_secret.value_or("");
    w.slack_text = a.slack_text;
    w.request_timeout = a.webhook_timeout;
    ASSIGN_OR_RETURN(webhook_, checker::WebhookSink::Start(w));
    sinks.push_back(webhook_.get());
  }
  fan_out_ = std::make_unique<checker::FanOutSink>(std::move(sinks));
  counting_ = std::make_unique<CountingSink>(fan_out_.get());
  DCP_LOG(INFO) << "alarms: log " << (a.log.empty() ? "(none)" : a.log) << ", webhook "
                << (a.webhook.empty() ? "(none)" : RedactUrl(a.webhook))
                << (a.webhook.empty()
                        ? ""
                        : absl::StrCat(" (spool ", config().state.dir, "/webhook-spool)"));
  return absl::OkStatus();
}

absl::Status Daemon::Impl::StartMysql(Mysql& m) {
  const CollectorConfig& c = m.config;
  collector::MysqlCollector::Options o;
  o.name = c.name;
  for (const TagConfig& t : c.tags) {
    o.tags.push_back({t.name, t.tables, t.rename, t.ignore_columns, t.key_columns});
  }
  o.barrier_id = config().barrier ? config().barrier->id : 1;
  o.checkpoint_path = m.checkpoint_path;
  o.auto_checkpoint = false;
  o.clock = options_.clock;
  std::string from;
  collector::CheckpointStore store(m.checkpoint_path);
  ASSIGN_OR_RETURN(std::optional<collector::Checkpoint> saved, store.Load());
  if (c.start_gtid) {
    o.start.gtid = *c.start_gtid;
    o.start.file.clear();
  } else if (c.start_position) {
    ASSIGN_OR_RETURN(o.start, ParseStartPosition(*c.start_position));
  } else {
    o.start.file = m.server.binlog_file;
    o.start.position = m.server.binlog_position;
  }
  if (saved) {
    if (saved->server_id != 0 && saved->server_id != m.server.server_id) {
      return absl::FailedPreconditionError(
          absl::StrCat(config().path, ": collector '", c.name, "': checkpoint ", m.checkpoint_path,
                       " was saved for server id ", saved->server_id, " but ", c.dsn.Address(),
                       " has server id ", m.server.server_id, "; remove the file to start afresh"));
    }
    from = absl::StrCat("checkpoint ", saved->ToString());
  } else {
    from = absl::StrCat(c.start_gtid || c.start_position ? "configured start " : "current end ",
                        o.start.ToString());
  }
  const std::vector<std::string> tags = c.TagNames();
  CheckerSink* sink = m.sink.get();
  // A lost stream is not a Gap: the collector drops the partial transaction and resumes
  // exactly after the last delivered one, so the window stays complete (the outage is
  // logged and counted in dcp_collector_reconnects_total). Reporting it as a Gap would leave
  // the window unchecked and hide any divergence in it.
  Mysql* mp = &m;
  o.on_barrier_position = [mp](uint64_t offset, const collector::StartPoint& before) {
    absl::MutexLock lock(&mp->mu);
    mp->barrier_positions[offset] = before;
    // A checker that never completes a window (a stopped target) must not grow this forever.
    while (mp->barrier_positions.size() > 100'000) {
      mp->barrier_positions.erase(mp->barrier_positions.begin());
    }
  };
  m.schemas = std::make_unique<collector::ConnectionSchemaSource>(c.dsn);
  m.collector = std::make_unique<collector::MysqlCollector>(
      std::move(o), collector::LiveBinlogSource(c.dsn, c.server_id), m.schemas.get(), sink);
  DCP_LOG(INFO) << "collector " << c.name << ": mysql " << c.dsn.ToString() << " ("
                << m.server.version << ", server id " << m.server.server_id << ") as replica "
                << c.server_id << ", tags " << absl::StrJoin(tags, ",") << ", from " << from;
  m.thread = std::thread([this, mp] {
    absl::Status s = mp->collector->Run([this] { return stopping_.load(); });
    if (!s.ok()) {
      DCP_LOG(ERROR) << "collector " << mp->config.name << " stopped: " << s;
      absl::MutexLock lock(&mp->mu);
      mp->error = std::string(s.message());
    }
  });
  return absl::OkStatus();
}

absl::Status Daemon::Impl::Start() {
  started_ = options_.clock->Now();
  if (!options_.log_file.empty() && !SetLogFile(options_.log_file.c_str())) {
    return absl::InvalidArgumentError(absl::StrCat("cannot open log file ", options_.log_file));
  }
  std::error_code ec;
  std::filesystem::create_directories(config().state.dir, ec);
  if (ec) {
    return absl::InvalidArgumentError(absl::StrCat(config().path, ": state.dir: cannot create ",
                                                   config().state.dir, ": ", ec.message()));
  }
  DCP_LOG(INFO) << "dcp starting: " << config().ToString();
  RETURN_IF_ERROR(CheckServers());
  RETURN_IF_ERROR(OpenSinks());

  checker::CheckerOptions co;
  co.source_tag = config().checker.source_tag;
  co.target_tags = config().checker.target_tags;
  co.mode = config().checker.mode == CheckerConfig::Mode::kSequence ? checker::Mode::kSequence
                                                                    : checker::Mode::kState;
  co.tolerance = config().checker.tolerance;
  co.timeout = config().checker.timeout;
  co.max_buffered_changes = static_cast<size_t>(config().checker.max_buffered_changes);
  co.max_sample_keys = static_cast<size_t>(config().checker.max_sample_keys);
  co.on_barrier = [this](const std::string& tag, uint64_t offset, absl::Time arrival) {
    lag_.OnArrived(tag, offset, arrival);
  };
  ASSIGN_OR_RETURN(checker_, checker::Checker::Create(co, options_.clock, counting_.get()));
  DCP_LOG(INFO) << "checker: " << co.source_tag << " -> " << absl::StrJoin(co.target_tags, ",")
                << ", mode " << checker::ModeName(co.mode) << ", tolerance " << co.tolerance
                << ", timeout " << absl::FormatDuration(co.timeout);

  for (auto& m : mysql_) {
    m->sink = std::make_unique<CheckerSink>(m->config.name, checker_.get(), false);
    RETURN_IF_ERROR(StartMysql(*m));
  }
  for (const CollectorConfig& c : config().collectors) {
    if (c.type != CollectorConfig::Type::kGrpc) continue;
    auto g = std::make_unique<Grpc>();
    g->config = c;
    g->sink = std::make_unique<CheckerSink>(c.name, checker_.get(), false);
    collector::GrpcCollectorOptions go;
    go.listen_address = c.listen;
    go.tags = c.grpc_tags;
    go.token = c.token;
    if (!c.tls_cert.empty()) go.tls = collector::TlsServerFiles{c.tls_cert, c.tls_key};
    absl::StatusOr<std::unique_ptr<collector::GrpcCollector>> server =
        collector::GrpcCollector::Start(go, g->sink.get());
    if (!server.ok()) {
      return absl::Status(server.status().code(),
                          absl::StrCat(config().path, ": collector '", c.name, "' (", c.listen,
                                       "): ", server.status().message()));
    }
    g->server = std::move(*server);
    const size_t colon = c.listen.rfind(':');
    g->address = absl::StrCat(c.listen.substr(0, colon), ":", g->server->port());
    DCP_LOG(INFO) << "collector " << c.name << ": grpc listening on " << g->address << ", tags "
                  << absl::StrJoin(c.grpc_tags, ",") << (c.token ? ", token required" : "")
                  << (c.tls_cert.empty() ? "" : ", TLS");
    grpc_.push_back(std::move(g));
  }

  if (config().barrier) {
    const BarrierConfig& b = *config().barrier;
    barrier::BarrierOptions bo;
    bo.id = b.id;
    bo.interval = b.interval;
    barrier_connector_ = barrier::NewMysqlConnector(b.dsn);
    barrier_ = std::make_unique<barrier::BarrierWriter>(
        bo, barrier_connector_.get(), options_.clock,
        [this](const barrier::BarrierEvent& e) { lag_.OnWritten(e.offset, e.committed); });
    barrier_thread_ = std::thread([this] { barrier_->Run(); });
    DCP_LOG(INFO) << "barrier writer: " << b.dsn.ToString() << " drc.barrier id " << b.id
                  << " every " << absl::FormatDuration(b.interval);
  } else {
    DCP_LOG(INFO) << "barrier writer: none configured (barriers come from another writer)";
  }

  tick_thread_ = std::thread([this] { TickLoop(); });

  if (!config().http.listen.empty()) {
    ASSIGN_OR_RETURN(http_, HttpServer::Start(config().http.listen,
                                              HttpServer::Handlers{
                                                  [this] { return RenderMetrics(Snapshot()); },
                                                  [this] { return RenderStatusJson(Snapshot()); },
                                                  [this] { return Health(Snapshot()); }}));
    DCP_LOG(INFO) << "http: listening on " << http_->address() << " (/metrics /status /healthz)";
  }
  running_ = true;
  DCP_LOG(INFO) << "dcp running";
  return absl::OkStatus();
}

void Daemon::Impl::TickLoop() {
  while (!tick_stop_.WaitForNotificationWithTimeout(options_.tick)) {
    checker_->Tick();
    PersistCheckpoints();
  }
}

void Daemon::Impl::PersistCheckpoints() {
  if (mysql_.empty()) return;
  const std::optional<uint64_t> resume = checker_->ResumeBarrier();
  if (!resume) return;
  absl::MutexLock lock(&checkpoint_mu_);
  if (checkpoint_barrier_ && *resume <= *checkpoint_barrier_) return;
  // The highest barrier <= resume whose position every MySQL collector knows.
  std::optional<uint64_t> chosen;
  {
    Mysql& first = *mysql_[0];
    absl::MutexLock l(&first.mu);
    auto it = first.barrier_positions.upper_bound(*resume);
    while (it != first.barrier_positions.begin()) {
      --it;
      const uint64_t b = it->first;
      if (checkpoint_barrier_ && b <= *checkpoint_barrier_) break;
      bool everywhere = true;
      for (size_t i = 1; i < mysql_.size() && everywhere; ++i) {
        absl::MutexLock li(&mysql_[i]->mu);
        everywhere = mysql_[i]->barrier_positions.count(b) > 0;
      }
      if (everywhere) {
        chosen = b;
        break;
      }
    }
  }
  if (!chosen) return;
  for (auto& m : mysql_) {
    collector::Checkpoint c;
    {
      absl::MutexLock l(&m->mu);
      const collector::StartPoint& p = m->barrier_positions.at(*chosen);
      c.file = p.file;
      c.position = p.position;
      c.gtid = p.gtid;
      m->barrier_positions.erase(m->barrier_positions.begin(),
                                 m->barrier_positions.lower_bound(*chosen));
    }
    c.flavor = m->server.Flavor();
    c.server_id = m->server.server_id;
    c.saved_at = options_.clock->Now();
    absl::Status s = collector::CheckpointStore(m->checkpoint_path).Save(c);
    if (!s.ok()) {
      DCP_LOG_EVERY_N_SEC(ERROR, 30)
          << "collector " << m->config.name << ": cannot save checkpoint: " << s;
      return;
    }
  }
  checkpoint_barrier_ = chosen;
  DCP_LOG(DEBUG) << "checkpoints saved before barrier " << *chosen;
}

void Daemon::Impl::Stop() {
  {
    absl::MutexLock lock(&stop_mu_);
    if (stopped_) return;
    stopped_ = true;
  }
  // After a failed Start() only the error line is wanted.
  if (running_) DCP_LOG(INFO) << "dcp stopping";
  stopping_.store(true);
  if (barrier_) barrier_->Stop();
  for (auto& g : grpc_) {
    if (g->server) g->server->Stop();
  }
  for (auto& m : mysql_) {
    if (m->thread.joinable()) m->thread.join();
  }
  if (barrier_thread_.joinable()) barrier_thread_.join();
  if (tick_thread_.joinable()) {
    tick_stop_.Notify();
    tick_thread_.join();
  }
  // Every delivered window is already compared (the checker compares on arrival); save where
  // the next run resumes.
  if (checker_) {
    checker_->Tick();
    PersistCheckpoints();
  }
  if (webhook_) {
    if (!webhook_->WaitIdle(absl::Seconds(3))) {
      DCP_LOG(WARNING) << "webhook: " << webhook_->stats().pending
                       << " alarms not delivered yet; they stay in the spool for the next run";
    }
    webhook_->Stop();
  }
  if (http_) http_->Stop();
  if (running_) DCP_LOG(INFO) << "dcp stopped";
}

void Daemon::Impl::ReopenLogs() {
  if (!options_.log_file.empty() && !SetLogFile(options_.log_file.c_str())) {
    DCP_LOG(ERROR) << "cannot reopen log file " << options_.log_file;
  }
  if (log_sink_) {
    absl::Status s = log_sink_->Reopen();
    if (!s.ok()) DCP_LOG(ERROR) << "cannot reopen alarm log: " << s;
  }
  DCP_LOG(INFO) << "log files reopened";
}

StatusSnapshot Daemon::Impl::Snapshot() const {
  StatusSnapshot s;
  s.now = options_.clock->Now();
  s.started = started_;
  for (const auto& m : mysql_) {
    CollectorStatus c;
    c.name = m->config.name;
    c.type = "mysql";
    c.address = m->config.dsn.Address();
    c.tags = m->config.TagNames();
    if (m->collector) {
      const collector::MysqlCollector::Stats st = m->collector->stats();
      c.connected = st.connected;
      c.events = st.events;
      c.rows = st.rows;
      c.messages = st.messages;
      c.barriers = st.barriers;
      c.reconnects = st.reconnects;
      c.position = m->collector->position().ToString();
    }
    absl::MutexLock lock(&m->mu);
    c.error = m->error;
    if (!c.error.empty()) c.connected = false;
    s.collectors.push_back(std::move(c));
  }
  for (const auto& g : grpc_) {
    CollectorStatus c;
    c.name = g->config.name;
    c.type = "grpc";
    c.address = g->address;
    c.tags = g->config.grpc_tags;
    c.connected = !stopping_.load();  // a listening server
    const collector::IngestStats st = g->server->core().stats();
    c.messages = st.accepted;
    c.rejected = st.rejected;
    s.collectors.push_back(std::move(c));
  }
  if (checker_) {
    checker::CheckerStats cs = checker_->Stats();
    for (checker::TagStats& t : cs.tags) {
      TagStatus ts;
      ts.lag = lag_.CurrentLag(t.tag, s.now);
      ts.stats = std::move(t);
      s.tags.push_back(std::move(ts));
    }
    for (checker::TargetStats& t : cs.targets) {
      TargetStatus ts;
      ts.lag = lag_.CurrentLag(t.tag, s.now);
      ts.stats = std::move(t);
      s.targets.push_back(std::move(ts));
    }
  }
  if (counting_) s.alarms.raised = counting_->counts();
  if (webhook_) {
    const checker::WebhookSink::Stats w = webhook_->stats();
    s.alarms.webhook = true;
    s.alarms.webhook_sent = w.delivered;
    s.alarms.webhook_spooled = w.pending;
    s.alarms.webhook_failed = w.failed_attempts;
    s.alarms.webhook_spool_errors = w.spool_errors;
  }
  if (barrier_) {
    const barrier::BarrierWriter::Stats b = barrier_->stats();
    s.barrier = true;
    s.barrier_bumps = b.bumps;
    s.barrier_failures = b.failures;
    s.barrier_offset = b.offset;
    s.barrier_connected = b.connected;
  }
  absl::MutexLock lock(&checkpoint_mu_);
  s.checkpoint_barrier = checkpoint_barrier_;
  return s;
}

Daemon::Daemon(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Daemon::~Daemon() { Stop(); }

absl::StatusOr<std::unique_ptr<Daemon>> Daemon::Start(Options options) {
  auto impl = std::make_unique<Impl>(std::move(options));
  absl::Status s = impl->Start();
  if (!s.ok()) {
    impl->Stop();
    return s;
  }
  return std::unique_ptr<Daemon>(new Daemon(std::move(impl)));
}

void Daemon::Stop() { impl_->Stop(); }
void Daemon::ReopenLogs() { impl_->ReopenLogs(); }
StatusSnapshot Daemon::Snapshot() const { return impl_->Snapshot(); }
int Daemon::http_port() const { return impl_->http_port(); }

absl::Status RunUntilSignal(Options options) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  // A shell starts background jobs with SIGINT ignored; an ignored signal never reaches
  // sigwait(), so restore the defaults (harmless while blocked).
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  signal(SIGHUP, SIG_DFL);
  // A webhook receiver that goes away must not kill the process.
  signal(SIGPIPE, SIG_IGN);
  ASSIGN_OR_RETURN(std::unique_ptr<Daemon> daemon, Daemon::Start(std::move(options)));
  while (true) {
    int sig = 0;
    if (sigwait(&set, &sig) != 0) continue;
    if (sig == SIGHUP) {
      daemon->ReopenLogs();
      continue;
    }
    DCP_LOG(INFO) << "signal " << sig << " received";
    break;
  }
  daemon->Stop();
  return absl::OkStatus();
}

}  // namespace dcp::daemon
