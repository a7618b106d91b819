#include "collector/mysql_source.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "collector/checkpoint.h"
#include "util/log.h"

namespace dcp::collector {
namespace {

// A checker that never completes a window (a stopped target) must not make the barrier
// bookkeeping grow forever.
constexpr size_t kMaxBarrierPositions = 100'000;
// Probes of candidates wait at most this long for a connection.
constexpr int kProbeConnectTimeoutSeconds = 3;

}  // namespace

CollectorRole RoleOf(const MysqlSourceConfig& config, const BuildContext& context) {
  for (const TagRule& t : config.tags) {
    if (context.source_tags.count(t.name)) return CollectorRole::kSource;
  }
  return CollectorRole::kTarget;
}

MysqlSource::MysqlSource(std::string name, MysqlSourceConfig config, ServerInfo server,
                         const BuildContext& context, StartPoint start, std::string from)
    : name_(std::move(name)),
      config_(std::move(config)),
      candidates_(Candidates(config_)),
      role_(RoleOf(config_, context)),
      on_loss_(context.on_failover_loss),
      server_(std::move(server)),
      by_window_(context.checkpoints == BuildContext::Checkpoints::kByWindow),
      checkpoint_path_(CheckpointPath(name_, context)),
      clock_(context.clock),
      from_(std::move(from)) {
  MysqlCollector::Options o;
  o.name = name_;
  o.tags = config_.tags;
  o.barrier_id = context.barrier_id;
  o.start = std::move(start);
  o.checkpoint_path = checkpoint_path_;
  o.auto_checkpoint = !by_window_;
  o.clock = context.clock;
  o.keep_content = context.keep_content;
  o.checkpoint_seqs = context.checkpoint_seqs;
  o.restore_seqs = context.restore_seqs;
  if (by_window_) {
    o.on_barrier_position = [this](uint64_t offset, const StartPoint& before) {
      absl::MutexLock lock(&mu_);
      barrier_positions_[offset] = before;
      while (barrier_positions_.size() > kMaxBarrierPositions) {
        barrier_positions_.erase(barrier_positions_.begin());
      }
    };
  }
  if (role_ == CollectorRole::kSource) {
    o.on_delivered = [this](const std::string& gtid, const std::vector<checker::Change>& changes) {
      delivered_.Add(gtid, changes);
    };
  }
  o.on_reconnect = [this](const std::string&) {
    if (!stream_lost_at_) stream_lost_at_ = clock_->Now();
  };
  {
    absl::MutexLock lock(&mu_);
    current_server_id_ = server_.server_id;
    for (size_t i = 0; i < candidates_.size(); ++i) {
      if (candidates_[i].Address() == server_.address) current_ = i;
    }
  }
  validated_server_id_ = server_.server_id;
  schemas_ = std::make_unique<ConnectionSchemaSource>(candidates_[current_index()]);
  collector_ = std::make_unique<MysqlCollector>(
      std::move(o), [this](const StartPoint& from) { return Open(from); }, schemas_.get(),
      context.sink);
}

size_t MysqlSource::current_index() const {
  absl::MutexLock lock(&mu_);
  return current_;
}

std::string MysqlSource::ServerName(size_t index, uint32_t server_id) const {
  return absl::StrCat(candidates_[index].Address(), " (server id ", server_id, ")");
}

absl::StatusOr<MysqlSource::Chosen> MysqlSource::Choose(const StartPoint& from) {
  std::vector<ServerProbe> probes;
  for (const mysql::Dsn& dsn : candidates_) {
    mysql::Dsn probe_dsn = dsn;
    probe_dsn.connect_timeout_s = std::min(probe_dsn.connect_timeout_s, kProbeConnectTimeoutSeconds);
    probes.push_back(ProbeServer(probe_dsn));
  }
  ChooseOptions options;
  options.role = role_;
  const TopologyPosition position{from.gtid, from.server_id};
  absl::StatusOr<Choice> choice = ChooseServer(position, probes, options);
  if (absl::IsUnavailable(choice.status()) &&
      absl::StartsWith(choice.status().message(), "loss suspected")) {
    const absl::Time now = clock_->Now();
    if (!loss_seen_since_) loss_seen_since_ = now;
    if (now - *loss_seen_since_ >= config_.loss_grace) {
      options.loss_confirmed = true;
      choice = ChooseServer(position, probes, options);
    }
  } else {
    loss_seen_since_.reset();
  }
  if (!choice.ok()) return choice.status();
  loss_seen_since_.reset();
  Chosen c;
  c.index = choice->index;
  c.probe = probes[c.index];
  c.lost = choice->lost;
  c.lost_complete = choice->lost_complete;
  c.start = from;
  c.start.server_id = c.probe.server_id;
  if (c.probe.server_id != from.server_id || from.file.empty() || !c.lost.empty()) {
    // Another server: its file names and offsets are its own; continue by GTID.
    c.start.file.clear();
    c.start.position = 4;
    c.start.gtid = choice->gtid;
  }
  return c;
}

absl::Status MysqlSource::ValidateSwitch(size_t index) {
  absl::StatusOr<ServerCheckResult> check =
      ConnectAndCheckServer(candidates_[index], config_.server_id, TagMatcher(config_.tags),
                            kServerIdInUseGrace, clock_);
  if (!check.ok()) {
    // Another candidate may do, or an operator may fix this one: wait and probe again.
    return absl::UnavailableError(absl::StrCat("server check of ", candidates_[index].Address(),
                                               " failed: ", check.status().message()));
  }
  for (const std::string& w : check->warnings) {
    DCP_LOG(WARNING) << "collector " << name_ << ": " << w;
  }
  validated_server_id_ = check->info.server_id;
  return absl::OkStatus();
}

void MysqlSource::ReportLoss(const Chosen& chosen, const StartPoint& from) {
  FailoverLoss loss;
  loss.collector = name_;
  loss.tags = Tags();
  {
    absl::MutexLock lock(&mu_);
    loss.from = ServerName(current_, current_server_id_);
  }
  loss.to = ServerName(chosen.index, chosen.probe.server_id);
  loss.resumed_at = chosen.start.gtid;
  loss.gtids = chosen.lost;
  loss.gtids_complete = chosen.lost_complete;
  const ServerProbe& probe = chosen.probe;
  DeliveredLog::Lost lost =
      delivered_.TakeLost([&probe](const std::string& gtid) { return ServerHolds(probe, gtid); });
  loss.keys = std::move(lost.keys);
  loss.keys_complete = lost.complete;
  DCP_LOG(ERROR) << "collector " << name_ << ": failover lost transactions: " << loss.to
                 << " lacks " << (loss.gtids.size() == 1 ? loss.gtids[0] : absl::StrCat(
                                      loss.gtids.size(), " GTIDs from ", loss.gtids.front()))
                 << " that " << loss.from << " had and dcp delivered (" << loss.keys.size()
                 << " keys in " << lost.transactions << " transactions); continuing from "
                 << loss.resumed_at << " (position was " << from.gtid << ")";
  if (on_loss_) on_loss_(loss);
}

void MysqlSource::NoteServer(const Chosen& chosen, const StartPoint& from) {
  const absl::Time now = clock_->Now();
  absl::MutexLock lock(&mu_);
  waiting_.clear();
  const bool changed = chosen.probe.server_id != current_server_id_ || chosen.index != current_;
  if (changed) {
    ++server_changes_;
    last_change_ = absl::StrCat(ServerName(current_, current_server_id_), " -> ",
                                ServerName(chosen.index, chosen.probe.server_id), " at ",
                                chosen.start.ToString());
    last_change_gap_.reset();
    if (stream_lost_at_) last_change_gap_ = absl::ToDoubleSeconds(now - *stream_lost_at_);
    DCP_LOG(WARNING) << "collector " << name_ << ": server changed: " << last_change_
                     << " (position was " << from.ToString() << ")"
                     << (last_change_gap_ ? absl::StrFormat("; %.1f s without a stream",
                                                            *last_change_gap_)
                                          : std::string());
  }
  current_ = chosen.index;
  current_server_id_ = chosen.probe.server_id;
  stream_lost_at_.reset();
}

absl::StatusOr<std::unique_ptr<mysql::binlog::RawEventSource>> MysqlSource::Open(
    const StartPoint& from) {
  absl::StatusOr<Chosen> chosen = Choose(from);
  if (chosen.ok() && chosen->probe.server_id != validated_server_id_) {
    if (absl::Status v = ValidateSwitch(chosen->index); !v.ok()) chosen = v;
  }
  if (!chosen.ok()) {
    DCP_LOG_EVERY_N_SEC(WARNING, 10) << "collector " << name_ << ": no server to read from: "
                                     << chosen.status();
    absl::MutexLock lock(&mu_);
    waiting_ = std::string(chosen.status().message());
    return chosen.status();
  }
  if (!chosen->lost.empty()) ReportLoss(*chosen, from);
  NoteServer(*chosen, from);
  collector_->RestartFrom(chosen->start);
  schemas_->Repoint(candidates_[chosen->index]);
  return LiveBinlogSource(candidates_[chosen->index], config_.server_id)(chosen->start);
}

MysqlSource::~MysqlSource() { Stop(); }

absl::Status MysqlSource::Start() {
  DCP_LOG(INFO) << "collector " << name_ << ": mysql " << candidates_[current_index()].ToString()
                << " (" << server_.version << ", server id " << server_.server_id
                << ") as replica " << config_.server_id << ", tags " << absl::StrJoin(Tags(), ",")
                << ", from " << from_
                << (candidates_.size() > 1
                        ? absl::StrCat(", ", candidates_.size(), " candidate servers")
                        : std::string())
                << (role_ == CollectorRole::kSource ? ", source" : "");
  thread_ = std::thread([this] {
    absl::Status s = collector_->Run([this] { return stopping_.load(); });
    if (!s.ok()) {
      DCP_LOG(ERROR) << "collector " << name_ << " stopped: " << s;
      absl::MutexLock lock(&mu_);
      failure_ = s;
    }
  });
  return absl::OkStatus();
}

void MysqlSource::Stop() {
  stopping_.store(true);
  if (thread_.joinable()) thread_.join();
}

std::vector<std::string> MysqlSource::Tags() const {
  std::vector<std::string> tags;
  for (const TagRule& t : config_.tags) tags.push_back(t.name);
  return tags;
}

CollectorStatus MysqlSource::Status() const {
  CollectorStatus c;
  c.name = name_;
  c.type = "mysql";
  c.tags = Tags();
  const MysqlCollector::Stats st = collector_->stats();
  c.connected = st.connected;
  c.events = st.events;
  c.rows = st.rows;
  c.messages = st.messages;
  c.barriers = st.barriers;
  c.reconnects = st.reconnects;
  const StartPoint position = collector_->position();
  c.position = position.ToString();
  c.binlog_file = position.file;
  c.binlog_position = position.position;
  absl::MutexLock lock(&mu_);
  c.address = candidates_[current_].Address();
  c.server_id = current_server_id_;
  c.waiting = waiting_;
  c.server_changes = server_changes_;
  c.last_server_change = last_change_;
  c.last_server_change_gap_seconds = last_change_gap_;
  c.error = std::string(failure_.message());
  if (!failure_.ok()) c.connected = false;
  return c;
}

absl::Status MysqlSource::Failure() const {
  absl::MutexLock lock(&mu_);
  return failure_;
}

std::vector<uint64_t> MysqlSource::KnownBarriers() const {
  absl::MutexLock lock(&mu_);
  std::vector<uint64_t> out;
  out.reserve(barrier_positions_.size());
  for (const auto& [offset, unused] : barrier_positions_) out.push_back(offset);
  return out;
}

bool MysqlSource::KnowsBarrier(uint64_t offset) const {
  absl::MutexLock lock(&mu_);
  return barrier_positions_.count(offset) > 0;
}

absl::Status MysqlSource::SaveCheckpointAt(uint64_t offset) {
  Checkpoint c;
  {
    absl::MutexLock lock(&mu_);
    auto it = barrier_positions_.find(offset);
    if (it == barrier_positions_.end()) {
      return absl::NotFoundError(
          absl::StrCat("collector ", name_, ": no position for barrier ", offset));
    }
    c.file = it->second.file;
    c.position = it->second.position;
    c.gtid = it->second.gtid;
    c.server_id = it->second.server_id;
    barrier_positions_.erase(barrier_positions_.begin(), it);
  }
  c.flavor = server_.Flavor();
  c.saved_at = clock_->Now();
  return CheckpointStore(checkpoint_path_).Save(c);
}

}  // namespace dcp::collector
