#include "collector/collect.h"

#include <atomic>
#include <csignal>
#include <filesystem>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "collector/mysql_collector.h"
#include "collector/server_check.h"
#include "collector/tags.h"
#include "util/status_macros.h"

namespace dcp::collector {
namespace {

std::atomic<bool> g_signalled{false};
void OnSignal(int) { g_signalled.store(true); }

std::vector<TagRule> Rules(const daemon::CollectorConfig& c) {
  std::vector<TagRule> rules;
  for (const daemon::TagConfig& t : c.tags) {
    TagRule r;
    r.name = t.name;
    r.tables = t.tables;
    r.rename = t.rename;
    r.ignore_columns = t.ignore_columns;
    r.key_columns = t.key_columns;
    rules.push_back(std::move(r));
  }
  return rules;
}

absl::StatusOr<StartPoint> Start(const daemon::CollectorConfig& c) {
  StartPoint start;
  if (c.start_gtid) start.gtid = *c.start_gtid;
  if (c.start_position) {
    std::pair<std::string, std::string> fp =
        absl::StrSplit(*c.start_position, absl::MaxSplits(':', 1));
    if (fp.first.empty() || !absl::SimpleAtoi(fp.second, &start.position)) {
      return absl::InvalidArgumentError(
          absl::StrCat("collector ", c.name, ": bad start position ", *c.start_position));
    }
    start.file = fp.first;
  }
  return start;
}

}  // namespace

absl::Status PusherSink::Put(std::vector<Message>& messages, const std::function<bool()>&) {
  bool barrier = false;
  for (Message& m : messages) {
    barrier = barrier || m.has_barrier();
    if (auto it = resume_after_.find(m.tag()); it != resume_after_.end()) {
      m.set_seq(it->second + 1);
      resume_after_.erase(it);
    }
    absl::Status s = pusher_->Push(std::move(m));
    if (!s.ok()) return s;
  }
  messages.clear();
  return barrier ? pusher_->Flush() : absl::OkStatus();
}

absl::Status RunCollect(const daemon::Config& config, const std::function<bool()>& stop) {
  if (!config.collect) return absl::InvalidArgumentError("no [collect] section in the config");
  PusherOptions po;
  po.target = config.collect->target;
  po.token = config.collect->token;
  if (!config.collect->tls_ca.empty()) {
    std::ifstream f(config.collect->tls_ca);
    if (!f) return absl::InvalidArgumentError(absl::StrCat("cannot read ", config.collect->tls_ca));
    std::stringstream ss;
    ss << f.rdbuf();
    po.tls_root_certs_pem = ss.str();
  }

  struct Running {
    std::unique_ptr<Pusher> pusher;
    std::unique_ptr<PusherSink> sink;
    std::unique_ptr<ConnectionSchemaSource> schemas;
    std::unique_ptr<MysqlCollector> collector;
  };
  std::vector<Running> running;
  for (const daemon::CollectorConfig& c : config.collectors) {
    if (c.type != daemon::CollectorConfig::Type::kMysql) continue;
    std::vector<TagRule> rules = Rules(c);
    absl::StatusOr<ServerCheckResult> check =
        ConnectAndCheckServer(c.dsn, c.server_id, TagMatcher(rules));
    if (!check.ok()) {
      return absl::Status(check.status().code(),
                          absl::StrCat("collector ", c.name, ": ", check.status().message()));
    }
    for (const std::string& w : check->warnings) {
      std::fprintf(stderr, "dcp collect: collector %s: warning: %s\n", c.name.c_str(), w.c_str());
    }
    MysqlCollector::Options mo;
    mo.name = c.name;
    mo.tags = std::move(rules);
    if (config.barrier) mo.barrier_id = config.barrier->id;
    ASSIGN_OR_RETURN(mo.start, Start(c));
    mo.checkpoint_path = absl::StrCat(config.state.dir, "/collect-", c.name, ".checkpoint");
    mo.auto_checkpoint = true;
    Running r;
    ASSIGN_OR_RETURN(r.pusher, Pusher::Create(po));
    r.sink = std::make_unique<PusherSink>(r.pusher.get());
    Pusher* pusher = r.pusher.get();
    PusherSink* sink = r.sink.get();
    mo.checkpoint_seqs = [pusher] { return pusher->LastSequences(); };
    mo.restore_seqs = [sink](const std::map<std::string, uint64_t>& s) { sink->ResumeAfter(s); };
    r.schemas = std::make_unique<ConnectionSchemaSource>(c.dsn);
    r.collector = std::make_unique<MysqlCollector>(
        std::move(mo), LiveBinlogSource(c.dsn, c.server_id), r.schemas.get(), r.sink.get());
    running.push_back(std::move(r));
  }
  if (running.empty()) return absl::InvalidArgumentError("no mysql [[collector]] to run");
  if (!config.state.dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(config.state.dir, ec);
  }

  std::atomic<bool> failed{false};
  absl::Mutex mu;
  absl::Status first_error;
  std::vector<std::thread> threads;
  auto stopped = [&] { return failed.load() || stop(); };
  for (Running& r : running) {
    threads.emplace_back([&r, &stopped, &failed, &mu, &first_error] {
      absl::Status s = r.collector->Run(stopped);
      if (s.ok()) s = r.pusher->Flush();
      if (!s.ok()) {
        absl::MutexLock lock(&mu);
        if (first_error.ok()) first_error = s;
        failed.store(true);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  return first_error;
}

int CollectMain(int argc, char** argv) {
  if (argc != 3 || std::string(argv[1]) != "--config") {
    std::fprintf(stderr, "usage: dcp collect --config F\n");
    return 2;
  }
  absl::StatusOr<daemon::Config> config = daemon::LoadConfig(argv[2]);
  if (!config.ok()) {
    std::fprintf(stderr, "dcp collect: %s\n", std::string(config.status().message()).c_str());
    return 2;
  }
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  absl::Status s = RunCollect(*config, [] { return g_signalled.load(); });
  if (!s.ok()) {
    std::fprintf(stderr, "dcp collect: %s\n", s.ToString().c_str());
    return 2;
  }
  return 0;
}

}  // namespace dcp::collector
