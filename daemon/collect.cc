#include "daemon/collect.h"

#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "collector/builder.h"
#include "collector/wire.h"
#include "util/cli.h"
#include "util/status_macros.h"

namespace dcp::daemon {
namespace {

std::atomic<bool> g_signalled{false};
void OnSignal(int) { g_signalled.store(true); }

absl::StatusOr<collector::PusherOptions> PusherOptionsOf(const CollectConfig& c) {
  collector::PusherOptions po;
  po.target = c.target;
  po.token = c.token;
  if (!c.tls_ca.empty()) {
    std::ifstream f(c.tls_ca);
    if (!f) return absl::InvalidArgumentError(absl::StrCat("cannot read ", c.tls_ca));
    std::stringstream ss;
    ss << f.rdbuf();
    po.tls_root_certs_pem = ss.str();
  }
  return po;
}

// One MySQL collector with its own Pusher.
struct Running {
  std::unique_ptr<collector::Pusher> pusher;
  std::unique_ptr<PusherSink> sink;
  std::unique_ptr<collector::Collector> collector;
};

}  // namespace

absl::Status PusherSink::Put(std::vector<checker::Change>& changes, const std::function<bool()>&) {
  bool barrier = false;
  for (const checker::Change& c : changes) {
    barrier = barrier || c.is_barrier();
    ASSIGN_OR_RETURN(Message m, collector::ToProto(c));
    if (auto it = resume_after_.find(m.tag()); it != resume_after_.end()) {
      m.set_seq(it->second + 1);
      resume_after_.erase(it);
    }
    RETURN_IF_ERROR(pusher_->Push(std::move(m)));
  }
  changes.clear();
  return barrier ? pusher_->Flush() : absl::OkStatus();
}

absl::Status RunCollect(const Config& config, const std::function<bool()>& stop) {
  if (!config.collect) return absl::InvalidArgumentError("no [collect] section in the config");
  ASSIGN_OR_RETURN(collector::PusherOptions po, PusherOptionsOf(*config.collect));
  if (!config.state.dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(config.state.dir, ec);
  }
  std::vector<Running> running;
  for (const collector::CollectorConfig& c : config.collectors) {
    if (c.mysql() == nullptr) continue;
    Running r;
    ASSIGN_OR_RETURN(r.pusher, collector::Pusher::Create(po));
    r.sink = std::make_unique<PusherSink>(r.pusher.get());
    collector::Pusher* pusher = r.pusher.get();
    PusherSink* sink = r.sink.get();
    collector::BuildContext context;
    context.sink = sink;
    context.state_dir = config.state.dir;
    if (config.barrier) context.barrier_id = config.barrier->options.id;
    context.checkpoints = collector::BuildContext::Checkpoints::kByTransaction;
    context.checkpoint_seqs = [pusher] { return pusher->LastSequences(); };
    context.restore_seqs = [sink](const std::map<std::string, uint64_t>& s) {
      sink->ResumeAfter(s);
    };
    context.keep_content = true;  // the wire carries contents (docs/protocol.md)
    ASSIGN_OR_RETURN(r.collector, collector::BuildCollector(c, context));
    running.push_back(std::move(r));
  }
  if (running.empty()) return absl::InvalidArgumentError("no mysql [[collector]] to run");
  for (Running& r : running) RETURN_IF_ERROR(r.collector->Start());

  // Until asked to stop, or a collector stops on its own (an error a retry cannot fix).
  auto failed = [&running]() -> absl::Status {
    for (const Running& r : running) {
      absl::Status s = r.collector->Failure();
      if (!s.ok()) {
        return absl::Status(
            s.code(), absl::StrCat("collector ", r.collector->Status().name, ": ", s.message()));
      }
    }
    return absl::OkStatus();
  };
  // `stop` is a flag set by a signal handler, so it is polled.
  absl::Status first_error;
  while (!stop() && first_error.ok()) {
    absl::SleepFor(absl::Milliseconds(100));
    first_error = failed();
  }
  for (Running& r : running) r.collector->Stop();
  for (Running& r : running) {
    absl::Status s = r.pusher->Flush();
    if (first_error.ok() && !s.ok()) first_error = s;
  }
  return first_error;
}

int RunCollectCommand(const std::string& config_path) {
  absl::StatusOr<Config> config = LoadConfig(config_path);
  if (!config.ok()) return cli::Fail("dcp collect", config.status(), cli::kUsageExit);
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  absl::Status s = RunCollect(*config, [] { return g_signalled.load(); });
  if (!s.ok()) return cli::Fail("dcp collect", s, cli::kUsageExit);
  return 0;
}

}  // namespace dcp::daemon
