// The alertmanager sink against a real Alertmanager (Debian's prometheus-alertmanager): a
// throwaway process on a free loopback port with its own config and data directory, killed
// and removed at the end of the test whatever happens (killed with the test process too,
// PR_SET_PDEATHSIG; the directory of a test killed with SIGKILL is removed by the next run).
// Skipped, saying so, when the binary is not installed (DCP_ALERTMANAGER overrides its path).
//
// A Diff and a Timeout go through the sink as the daemon sends them (stamped, through the
// registry); the v2 API and amtool show both active with their labels; a Diff raised two
// hours ago and delivered now is active too (endsAt counts from delivery); the Recovered
// resolves the Timeout's alert and leaves the Diffs.
#include <curl/curl.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "alarm/sinks.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace dcp::alarm {
namespace {

using ::nlohmann::json;

std::string Binary() {
  const char* override_path = std::getenv("DCP_ALERTMANAGER");
  return override_path != nullptr ? override_path : "/usr/bin/prometheus-alertmanager";
}

// Waits for `done` (polling every 50 ms) until `timeout`; false when it never held.
bool WaitFor(const std::function<bool()>& done, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!done()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(50));
  }
  return true;
}

size_t Append(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

// GET `url`: the status code and body; code 0 when nothing answered.
std::pair<long, std::string> Get(const std::string& url) {
  std::string body;
  long code = 0;
  CURL* c = curl_easy_init();
  if (c == nullptr) return {0, ""};
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &Append);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
  if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  curl_easy_cleanup(c);
  return {code, body};
}

uint16_t FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  const bool ok = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
                  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
  close(fd);
  return ok ? ntohs(addr.sin_port) : 0;
}

// A temp directory, removed with everything in it; it names its owner process so that the
// next run removes it if that process was killed before it could (SIGKILL).
class TempDir {
 public:
  TempDir() {
    const char* env = std::getenv("TMPDIR");
    const std::string base = env ? env : "/tmp";
    SweepStale(base);
    std::string tmpl = base + "/dcp-alertmanager-XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) return;
    path_ = tmpl;
    std::ofstream(path_ + "/owner.pid") << getpid() << "\n";
  }
  ~TempDir() {
    if (!path_.empty()) std::filesystem::remove_all(path_);
  }
  const std::string& path() const { return path_; }

 private:
  static void SweepStale(const std::string& base) {
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(base, ec)) {
      if (e.path().filename().string().rfind("dcp-alertmanager-", 0) != 0) continue;
      pid_t owner = 0;
      std::ifstream(e.path() / "owner.pid") >> owner;
      if (owner > 0 && kill(owner, 0) != 0 && errno == ESRCH) {
        std::filesystem::remove_all(e.path(), ec);
      }
    }
  }

  std::string path_;
};

// One Alertmanager process; stopped (SIGTERM, then SIGKILL) when destroyed.
class Alertmanager {
 public:
  static absl::StatusOr<std::unique_ptr<Alertmanager>> Start(const std::string& binary,
                                                             const std::string& dir) {
    const std::string config = dir + "/alertmanager.yml";
    std::ofstream(config) << "route:\n  receiver: blackhole\n  group_by: ['incident_key']\n"
                          << "receivers:\n  - name: blackhole\n";
    // A port found free may be taken before Alertmanager binds it: try a few.
    std::string why;
    for (int attempt = 0; attempt < 3; ++attempt) {
      auto am = std::unique_ptr<Alertmanager>(new Alertmanager());
      am->port_ = FreePort();
      am->Spawn(binary, config, dir, attempt);
      if (am->pid_ <= 0) return absl::InternalError("fork failed");
      if (am->WaitReady(&why)) return am;
    }
    return absl::UnavailableError(absl::StrCat("Alertmanager did not start: ", why));
  }
  ~Alertmanager() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    if (!WaitFor([this] { return waitpid(pid_, nullptr, WNOHANG) == pid_; }, absl::Seconds(10))) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  std::string url() const { return absl::StrCat("http://127.0.0.1:", port_); }

 private:
  Alertmanager() = default;
  void Spawn(const std::string& binary, const std::string& config, const std::string& dir,
             int attempt) {
    const std::vector<std::string> args = {binary,
                                           "--config.file=" + config,
                                           absl::StrCat("--storage.path=", dir, "/data-", attempt),
                                           absl::StrCat("--web.listen-address=127.0.0.1:", port_),
                                           "--cluster.listen-address=",  // no gossip port
                                           "--log.level=warn"};
    std::vector<char*> argv;
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    const std::string log = absl::StrCat(dir, "/alertmanager-", attempt, ".log");
    pid_ = fork();
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);  // dies with the test, even on SIGKILL
      const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
      }
      execv(argv[0], argv.data());
      _exit(127);
    }
    log_ = log;
  }
  bool WaitReady(std::string* why) {
    bool exited = false;
    const bool ready = WaitFor(
        [&] {
          if (waitpid(pid_, nullptr, WNOHANG) == pid_) return exited = true;
          return Get(url() + "/-/ready").first == 200;
        },
        absl::Seconds(60));
    if (ready && !exited) return true;
    std::ifstream in(log_);
    std::string line, last;
    while (std::getline(in, line)) last = line;
    *why = exited ? absl::StrCat("exited: ", last) : "not ready within 60s";
    if (!exited) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    pid_ = -1;
    return false;
  }

  pid_t pid_ = -1;
  uint16_t port_ = 0;
  std::string log_;
};

// The alerts Alertmanager holds as active or pending (resolved ones are not listed).
json ActiveAlerts(const std::string& url) {
  const auto [code, body] = Get(url + "/api/v2/alerts");
  if (code != 200) return json::array();
  json alerts = json::parse(body, nullptr, false);
  return alerts.is_array() ? alerts : json::array();
}

const json* Find(const json& alerts, const std::string& incident_key) {
  for (const json& a : alerts) {
    if (a["labels"].value("incident_key", "") == incident_key) return &a;
  }
  return nullptr;
}

Alarm Raised(AlarmKind kind, absl::Time at) {
  Alarm a;
  a.kind = kind;
  a.time = at;
  a.source_tag = "src";
  a.target_tag = "dst";
  a.from_barrier = 41;
  a.to_barrier = 44;
  if (kind == AlarmKind::kDiff) {
    a.mode = "state";
    a.total_keys = 1;
    KeyDiff k;
    k.key = "shop.orders:42";
    k.table = "shop.orders";
    k.source = {true, false, "9e107d9d", "0-11-1234", 1, 1, {}};
    k.target = {true, false, "e4d909c2", "0-12-98", 2, 1, {}};
    a.keys.push_back(k);
    a.message = "1 key differs between 'src' and 'dst'";
  } else {
    a.waited = absl::Seconds(12);
    a.message = "'dst' has not delivered barrier 44 for 12s";
  }
  return a;
}

TEST(AlertmanagerE2e, DiffAndTimeoutAreActiveThenTheRecoveredResolvesTheTimeout) {
  const std::string binary = Binary();
  if (access(binary.c_str(), X_OK) != 0) {
    GTEST_SKIP() << binary
                 << " is not installed: apt-get install prometheus-alertmanager (scripts/setup "
                    "installs it)";
  }
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  auto am = Alertmanager::Start(binary, dir.path());
  ASSERT_TRUE(am.ok()) << am.status();
  const std::string url = (*am)->url();

  SinkConfig c;
  c.type = c.name = "alertmanager";
  c.strings["url"] = url;
  AlarmSettings settings;
  settings.instance = "dcp-e2e";
  settings.status_url = "http://dcp.example:8080/";
  auto sink = CreateSink(c, SinkContext(dir.path() + "/state", settings));
  ASSERT_TRUE(sink.ok()) << sink.status();
  StampingSink stamping(settings, sink->get());

  const absl::Time now = absl::Now();
  Alarm old_diff = Raised(AlarmKind::kDiff, now - absl::Hours(2));  // as if spooled that long
  old_diff.keys[0].key = "shop.orders:7";
  stamping.Emit(Raised(AlarmKind::kDiff, now));
  stamping.Emit(Raised(AlarmKind::kTimeout, now));
  stamping.Emit(old_diff);
  ASSERT_TRUE((*sink)->Flush(absl::Seconds(30)));
  EXPECT_EQ((*sink)->stats().delivered, 3u);
  EXPECT_EQ((*sink)->stats().errors, 0u) << (*sink)->stats().last_error;

  json alerts;
  ASSERT_TRUE(WaitFor(
      [&] {
        alerts = ActiveAlerts(url);
        return Find(alerts, "diff:src->dst:shop.orders:42") && Find(alerts, "timeout:src->dst") &&
               Find(alerts, "diff:src->dst:shop.orders:7");
      },
      absl::Seconds(30)))
      << alerts.dump();
  const json& diff = *Find(alerts, "diff:src->dst:shop.orders:42");
  EXPECT_EQ(diff["labels"], json({{"alertname", "DcpDiff"},
                                  {"kind", "diff"},
                                  {"severity", "critical"},
                                  {"instance", "dcp-e2e"},
                                  {"source_tag", "src"},
                                  {"target_tag", "dst"},
                                  {"incident_key", "diff:src->dst:shop.orders:42"}}));
  EXPECT_EQ(diff["status"]["state"], "active");
  EXPECT_EQ(diff["annotations"]["summary"], Raised(AlarmKind::kDiff, now).Summary());
  EXPECT_EQ(diff["generatorURL"], "http://dcp.example:8080/");
  const json& timeout = *Find(alerts, "timeout:src->dst");
  EXPECT_EQ(timeout["labels"]["alertname"], "DcpTimeout");
  EXPECT_EQ(timeout["labels"]["severity"], "warning");
  EXPECT_EQ(timeout["status"]["state"], "active");
  EXPECT_EQ(Find(alerts, "diff:src->dst:shop.orders:7")->at("status")["state"], "active");

  // What an operator sees with amtool (same package).
  if (access("/usr/bin/amtool", X_OK) == 0) {
    const std::string cmd = absl::StrCat("/usr/bin/amtool alert query --alertmanager.url=", url,
                                         " -o json alertname=DcpTimeout");
    std::string out;
    if (FILE* p = popen(cmd.c_str(), "r")) {
      char buf[4096];
      for (size_t n; (n = fread(buf, 1, sizeof(buf), p)) > 0;) out.append(buf, n);
      EXPECT_EQ(pclose(p), 0) << out;
    }
    const json queried = json::parse(out, nullptr, false);
    ASSERT_TRUE(queried.is_array()) << out;
    ASSERT_EQ(queried.size(), 1u) << out;
    EXPECT_EQ(queried[0]["labels"]["incident_key"], "timeout:src->dst");
  }

  stamping.Emit(Raised(AlarmKind::kRecovered, absl::Now()));
  ASSERT_TRUE((*sink)->Flush(absl::Seconds(30)));
  ASSERT_TRUE(WaitFor(
      [&] {
        alerts = ActiveAlerts(url);
        return Find(alerts, "timeout:src->dst") == nullptr;
      },
      absl::Seconds(30)))
      << "the Timeout's alert is still active: " << alerts.dump();
  EXPECT_NE(Find(alerts, "diff:src->dst:shop.orders:42"), nullptr) << alerts.dump();
  EXPECT_NE(Find(alerts, "diff:src->dst:shop.orders:7"), nullptr) << alerts.dump();
  EXPECT_EQ((*sink)->stats().delivered, 4u);
  (*sink)->Stop();
}

}  // namespace
}  // namespace dcp::alarm
