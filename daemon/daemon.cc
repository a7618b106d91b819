#include "daemon/daemon.h"

#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <deque>
#include <atomic>
#include <filesystem>
#include <functional>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "alarm/sequence.h"
#include "alarm/sinks.h"
#include "barrier/barrier_writer.h"
#include "barrier/lag.h"
#include "checker/change.h"
#include "collector/builder.h"
#include "collector/message_sink.h"
#include "daemon/http_server.h"
#include "util/atomic_file.h"
#include "util/log.h"
#include "util/status_macros.h"
#include "util/url.h"
#include "util/version.h"

namespace dcp::daemon {
namespace {

// Feeds one collector's changes to the checker in the collector's own thread. A mutex keeps
// the seq increasing even when a gRPC collector calls from several RPC threads.
class CheckerSink final : public collector::MessageSink {
 public:
  explicit CheckerSink(checker::Checker* checker) : checker_(checker) {}

  absl::Status Put(std::vector<checker::Change>& changes,
                   const std::function<bool()>& cancelled) override {
    absl::MutexLock lock(&mu_);
    for (checker::Change& c : changes) {
      c.seq = ++seq_;
      // An unknown tag is reported once by the checker and counted there.
      checker_->Add(c).IgnoreError();
    }
    changes.clear();
    return absl::OkStatus();
  }

 private:
  checker::Checker* const checker_;
  absl::Mutex mu_;
  uint64_t seq_ ABSL_GUARDED_BY(mu_) = 0;
};

// Numbers every alarm once for all sinks (alarm/sequence.h), counts them by kind and logs
// each one's summary, then passes it on.
class CountingSink final : public alarm::AlarmSink {
 public:
  CountingSink(alarm::AlarmSequence* sequence, alarm::AlarmSink* next)
      : sequence_(sequence), next_(next) {}
  void Emit(const alarm::Alarm& alarm) override {
    alarm::Alarm numbered = alarm;
    numbered.sequence = sequence_->Next();
    {
      absl::MutexLock lock(&mu_);
      ++counts_[std::string(alarm::AlarmKindName(alarm.kind))];
      recent_.push_front(numbered);
      if (recent_.size() > kRecentAlarms) recent_.pop_back();
      last_by_target_[alarm.target_tag] = numbered;
    }
    DCP_LOG(WARNING) << "alarm " << numbered.sequence << ": " << alarm.Summary();
    next_->Emit(numbered);
  }
  std::map<std::string, uint64_t> counts() const {
    absl::MutexLock lock(&mu_);
    return counts_;
  }
  std::vector<alarm::Alarm> recent() const {
    absl::MutexLock lock(&mu_);
    return std::vector<alarm::Alarm>(recent_.begin(), recent_.end());
  }
  std::optional<alarm::Alarm> last(const std::string& target) const {
    absl::MutexLock lock(&mu_);
    auto it = last_by_target_.find(target);
    if (it == last_by_target_.end()) return std::nullopt;
    return it->second;
  }

 private:
  alarm::AlarmSequence* const sequence_;
  alarm::AlarmSink* const next_;
  mutable absl::Mutex mu_;
  std::map<std::string, uint64_t> counts_ ABSL_GUARDED_BY(mu_);
  std::deque<alarm::Alarm> recent_ ABSL_GUARDED_BY(mu_);  // newest first
  std::map<std::string, alarm::Alarm> last_by_target_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

class Daemon::Impl {
 public:
  explicit Impl(Options options) : options_(std::move(options)) {}
  ~Impl() { Stop(); }

  absl::Status Start();
  void Stop();
  void ReopenLogs();
  StatusSnapshot Snapshot() const;
  int http_port() const { return http_ ? http_->port() : 0; }

 private:
  struct Source {
    std::unique_ptr<CheckerSink> sink;
    std::unique_ptr<collector::Collector> collector;
  };
  struct Sink {
    std::string name;
    std::string type;
    std::unique_ptr<alarm::AlarmSink> sink;
  };

  absl::Status OpenSinks();
  absl::Status BuildCollectors();
  void StartBarrier();
  void TickLoop();
  void SampleHistory();
  // /livez without taking any component's lock: only the tick loop's last turn.
  std::pair<bool, std::string> Live() const {
    StatusSnapshot s;
    s.now = options_.clock->Now();
    absl::MutexLock lock(&tick_mu_);
    s.last_tick = last_tick_;
    return Liveness(s);
  }
  void PersistCheckpoints();

  Options options_;
  const Config& config() const { return options_.config; }
  absl::Time started_;
  absl::Mutex stop_mu_;
  bool stopped_ ABSL_GUARDED_BY(stop_mu_) = false;
  std::atomic<bool> running_{false};  // Start() succeeded

  std::vector<Sink> sinks_;
  std::unique_ptr<alarm::AlarmSequence> sequence_;
  std::unique_ptr<alarm::FanOutSink> fan_out_;
  std::unique_ptr<alarm::StampingSink> stamping_;  // severity, instance; then fan_out_
  std::unique_ptr<CountingSink> counting_;
  barrier::LagTracker lag_;
  std::unique_ptr<checker::Checker> checker_;
  std::vector<Source> sources_;
  std::unique_ptr<barrier::SqlConnector> barrier_connector_;
  std::unique_ptr<barrier::BarrierWriter> barrier_;
  std::thread barrier_thread_;
  std::thread tick_thread_;
  absl::Notification tick_stop_;
  std::unique_ptr<HttpServer> http_;

  mutable absl::Mutex checkpoint_mu_;
  std::optional<uint64_t> checkpoint_barrier_ ABSL_GUARDED_BY(checkpoint_mu_);
  History history_;
  mutable absl::Mutex tick_mu_;
  absl::Time last_tick_ ABSL_GUARDED_BY(tick_mu_);
};

absl::Status Daemon::Impl::OpenSinks() {
  std::vector<alarm::AlarmSink*> all;
  for (const alarm::SinkConfig& c : config().alarm.sinks) {
    absl::StatusOr<std::unique_ptr<alarm::AlarmSink>> sink =
        alarm::CreateSink(c, alarm::SinkContext{config().state.dir, config().alarm.settings});
    if (!sink.ok()) {
      return absl::Status(
          sink.status().code(),
          absl::StrCat(config().path, ": alarm sink '", c.name, "': ", sink.status().message()));
    }
    const std::string where =
        c.strings.count("url") ? UrlForLogs(c.String("url")) : c.String("path");
    DCP_LOG(INFO) << "alarm sink " << c.name << ": " << c.type << " " << where;
    all.push_back(sink->get());
    sinks_.push_back({c.name, c.type, *std::move(sink)});
  }
  if (sinks_.empty()) DCP_LOG(INFO) << "alarm sinks: none (alarms are only counted)";
  fan_out_ = std::make_unique<alarm::FanOutSink>(std::move(all));
  stamping_ = std::make_unique<alarm::StampingSink>(config().alarm.settings, fan_out_.get());
  const std::string seq_path =
      (std::filesystem::path(config().state.dir) / "alarm-sequence").string();
  absl::StatusOr<std::unique_ptr<alarm::AlarmSequence>> seq = alarm::AlarmSequence::Open(seq_path);
  if (!seq.ok()) {
    return absl::Status(seq.status().code(),
                        absl::StrCat(config().path, ": state.dir: ", seq.status().message()));
  }
  sequence_ = *std::move(seq);
  counting_ = std::make_unique<CountingSink>(sequence_.get(), stamping_.get());
  return absl::OkStatus();
}

absl::Status Daemon::Impl::BuildCollectors() {
  for (const collector::CollectorConfig& c : config().collectors) {
    Source s;
    s.sink = std::make_unique<CheckerSink>(checker_.get());
    collector::BuildContext context;
    context.sink = s.sink.get();
    context.state_dir = config().state.dir;
    if (config().barrier) context.barrier_id = config().barrier->options.id;
    context.clock = options_.clock;
    context.checkpoints = collector::BuildContext::Checkpoints::kByWindow;
    context.source_tags = {config().checker.source_tag};
    absl::StatusOr<std::unique_ptr<collector::Collector>> built =
        collector::BuildCollector(c, context);
    if (!built.ok()) {
      return absl::Status(built.status().code(),
                          absl::StrCat(config().path, ": ", built.status().message()));
    }
    s.collector = *std::move(built);
    sources_.push_back(std::move(s));
  }
  return absl::OkStatus();
}

void Daemon::Impl::StartBarrier() {
  if (!config().barrier) {
    DCP_LOG(INFO) << "barrier writer: none configured (barriers come from another writer)";
    return;
  }
  const BarrierConfig& b = *config().barrier;
  std::vector<mysql::Dsn> candidates = b.candidates;
  if (candidates.empty()) candidates.push_back(b.dsn);
  barrier::BarrierOptions options = b.options;
  // The highest barrier written before a restart: a failover while dcp was down must not
  // make the offsets go backwards.
  const std::string floor_path = (std::filesystem::path(config().state.dir) /
                                  absl::StrCat("barrier-", options.id, ".offset"))
                                     .string();
  if (auto text = ReadFileIfExists(floor_path); text.ok() && *text) {
    uint64_t floor = 0;
    if (absl::SimpleAtoi(absl::StripAsciiWhitespace(**text), &floor)) options.floor = floor;
  }
  if (candidates.size() > 1) options.recheck = absl::Seconds(10);
  barrier_connector_ = barrier::NewTopologyConnector(candidates);
  barrier_ = std::make_unique<barrier::BarrierWriter>(
      options, barrier_connector_.get(), options_.clock,
      [this, floor_path](const barrier::BarrierEvent& e) {
        lag_.OnWritten(e.offset, e.committed);
        if (absl::Status s = WriteFileAtomically(floor_path, absl::StrCat(e.offset, "\n"));
            !s.ok()) {
          DCP_LOG_EVERY_N_SEC(WARNING, 60) << "barrier writer: cannot save the offset: " << s;
        }
      });
  barrier_thread_ = std::thread([this] { barrier_->Run(); });
  std::vector<std::string> names;
  for (const mysql::Dsn& d : candidates) names.push_back(d.ToString());
  DCP_LOG(INFO) << "barrier writer: " << absl::StrJoin(names, ", ") << " drc.barrier id "
                << options.id << " every " << absl::FormatDuration(options.interval)
                << (options.floor > 0 ? absl::StrCat(", above ", options.floor) : std::string());
}

absl::Status Daemon::Impl::Start() {
  started_ = options_.clock->Now();
  {
    absl::MutexLock lock(&tick_mu_);
    last_tick_ = started_;
  }
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
  RETURN_IF_ERROR(OpenSinks());

  checker::CheckerOptions co = config().checker;
  co.on_barrier = [this](const std::string& tag, uint64_t offset, absl::Time arrival) {
    lag_.OnArrived(tag, offset, arrival);
  };
  ASSIGN_OR_RETURN(checker_, checker::Checker::Create(co, options_.clock, counting_.get()));
  DCP_LOG(INFO) << "checker: " << co.source_tag << " -> " << absl::StrJoin(co.target_tags, ",")
                << ", mode " << checker::ModeName(co.mode) << ", tolerance " << co.tolerance
                << ", timeout " << absl::FormatDuration(co.timeout);

  // Every server is checked before any collector starts.
  RETURN_IF_ERROR(BuildCollectors());
  for (Source& s : sources_) RETURN_IF_ERROR(s.collector->Start());
  StartBarrier();
  tick_thread_ = std::thread([this] { TickLoop(); });

  if (!config().http.listen.empty()) {
    ASSIGN_OR_RETURN(http_, HttpServer::Start(config().http.listen,
                                              HttpServer::Handlers{
                                                  [this] { return RenderMetrics(Snapshot()); },
                                                  [this] { return RenderStatusJson(Snapshot()); },
                                                  [this] { return RenderStatusPage(Snapshot()); },
                                                  [this] { return Live(); },
                                                  [this] { return Health(Snapshot()); }}));
    DCP_LOG(INFO) << "http: listening on " << http_->address()
                  << " (/ /metrics /status /livez /readyz /healthz)";
  }
  running_ = true;
  DCP_LOG(INFO) << "dcp running";
  return absl::OkStatus();
}

void Daemon::Impl::SampleHistory() {
  const absl::Time now = options_.clock->Now();
  for (const std::string& target : config().checker.target_tags) {
    const std::optional<absl::Duration> lag = lag_.CurrentLag(target, now);
    history_.Add("lag:" + target, now,
                 lag ? std::optional<double>(absl::ToDoubleSeconds(*lag)) : std::nullopt);
  }
  for (const Source& src : sources_) {
    const collector::CollectorStatus c = src.collector->Status();
    history_.Add("messages:" + c.name, now, static_cast<double>(c.messages));
  }
}

void Daemon::Impl::TickLoop() {
  while (!tick_stop_.WaitForNotificationWithTimeout(options_.tick)) {
    checker_->Tick();
    PersistCheckpoints();
    absl::Status reserved = sequence_->Reserve();
    if (!reserved.ok()) {
      DCP_LOG_EVERY_N_SEC(ERROR, 30) << "cannot reserve alarm sequence numbers: " << reserved;
    }
    SampleHistory();
    absl::MutexLock lock(&tick_mu_);
    last_tick_ = options_.clock->Now();
  }
}

void Daemon::Impl::PersistCheckpoints() {
  std::vector<collector::Collector*> resumable;
  for (Source& s : sources_) {
    if (s.collector->Resumable()) resumable.push_back(s.collector.get());
  }
  if (resumable.empty()) return;
  const std::optional<uint64_t> resume = checker_->ResumeBarrier();
  if (!resume) return;
  absl::MutexLock lock(&checkpoint_mu_);
  if (checkpoint_barrier_ && *resume <= *checkpoint_barrier_) return;
  // The highest barrier <= resume whose position every resumable collector knows.
  std::optional<uint64_t> chosen;
  const std::vector<uint64_t> known = resumable[0]->KnownBarriers();
  for (auto it = std::upper_bound(known.begin(), known.end(), *resume); it != known.begin();) {
    const uint64_t b = *--it;
    if (checkpoint_barrier_ && b <= *checkpoint_barrier_) break;
    bool everywhere = true;
    for (size_t i = 1; i < resumable.size() && everywhere; ++i) {
      everywhere = resumable[i]->KnowsBarrier(b);
    }
    if (everywhere) {
      chosen = b;
      break;
    }
  }
  if (!chosen) return;
  for (collector::Collector* c : resumable) {
    absl::Status s = c->SaveCheckpointAt(*chosen);
    if (!s.ok()) {
      DCP_LOG_EVERY_N_SEC(ERROR, 30) << "cannot save checkpoint: " << s;
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
  if (barrier_) barrier_->Stop();
  for (Source& s : sources_) s.collector->Stop();
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
  for (Sink& s : sinks_) {
    if (!s.sink->Flush(absl::Seconds(3))) {
      DCP_LOG(WARNING) << "alarm sink " << s.name << ": " << s.sink->stats().pending
                       << " alarms not delivered yet; they stay spooled for the next run";
    }
    s.sink->Stop();
  }
  if (http_) http_->Stop();
  if (running_) DCP_LOG(INFO) << "dcp stopped";
}

void Daemon::Impl::ReopenLogs() {
  if (!options_.log_file.empty() && !SetLogFile(options_.log_file.c_str())) {
    DCP_LOG(ERROR) << "cannot reopen log file " << options_.log_file;
  }
  for (Sink& s : sinks_) {
    absl::Status st = s.sink->Reopen();
    if (!st.ok()) DCP_LOG(ERROR) << "alarm sink " << s.name << ": cannot reopen: " << st;
  }
  DCP_LOG(INFO) << "log files reopened";
}

StatusSnapshot Daemon::Impl::Snapshot() const {
  StatusSnapshot s;
  s.now = options_.clock->Now();
  s.started = started_;
  {
    absl::MutexLock lock(&tick_mu_);
    s.last_tick = last_tick_;
  }
  s.version = std::string(Version());
  s.revision = std::string(Revision());
  s.process = ReadProcessStats();
  for (const Source& src : sources_) {
    s.collectors.push_back(src.collector->Status());
    const std::string& name = s.collectors.back().name;
    if (auto rate = history_.Rate("messages:" + name, absl::Minutes(1))) {
      s.collector_rates[name] = *rate;
    }
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
      ts.lag_history = history_.Get("lag:" + t.tag);
      if (counting_) ts.last_alarm = counting_->last(t.tag);
      ts.stats = std::move(t);
      s.targets.push_back(std::move(ts));
    }
    s.compare_seconds = std::move(cs.compare_seconds);
    s.detection_seconds = std::move(cs.detection_seconds);
  }
  if (counting_) {
    s.alarms.raised = counting_->counts();
    s.alarms.recent = counting_->recent();
  }
  for (const Sink& k : sinks_) s.alarms.sinks.push_back({k.name, k.type, k.sink->stats()});
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
