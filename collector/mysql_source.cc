#include "collector/mysql_source.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "collector/checkpoint.h"
#include "util/log.h"

namespace dcp::collector {
namespace {

// A checker that never completes a window (a stopped target) must not make the barrier
// bookkeeping grow forever.
constexpr size_t kMaxBarrierPositions = 100'000;

}  // namespace

MysqlSource::MysqlSource(std::string name, MysqlSourceConfig config, ServerInfo server,
                         const BuildContext& context, StartPoint start, std::string from)
    : name_(std::move(name)),
      config_(std::move(config)),
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
  schemas_ = std::make_unique<ConnectionSchemaSource>(config_.dsn);
  collector_ = std::make_unique<MysqlCollector>(
      std::move(o), LiveBinlogSource(config_.dsn, config_.server_id), schemas_.get(), context.sink);
}

MysqlSource::~MysqlSource() { Stop(); }

absl::Status MysqlSource::Start() {
  DCP_LOG(INFO) << "collector " << name_ << ": mysql " << config_.dsn.ToString() << " ("
                << server_.version << ", server id " << server_.server_id << ") as replica "
                << config_.server_id << ", tags " << absl::StrJoin(Tags(), ",") << ", from "
                << from_;
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
  c.address = config_.dsn.Address();
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
    barrier_positions_.erase(barrier_positions_.begin(), it);
  }
  c.flavor = server_.Flavor();
  c.server_id = server_.server_id;
  c.saved_at = clock_->Now();
  return CheckpointStore(checkpoint_path_).Save(c);
}

}  // namespace dcp::collector
