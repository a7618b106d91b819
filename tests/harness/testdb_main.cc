// dcp-testdb: starts and stops throwaway MariaDB servers for ctest fixtures and scripts.
//
//   dcp-testdb start --state FILE [--replica [--standby]] [--server-id N] [-- mariadbd args]
//       starts a primary (and a native replica of it), detached, and writes FILE as shell
//       assignments: DCP_TESTDB_{PRIMARY,REPLICA}_{DIR,PORT,SOCKET,DSN}.
//   dcp-testdb stop --state FILE     stops what FILE names and removes it
//   dcp-testdb sweep [--all]         removes servers/dirs of dead test processes (--all: every one)
//   dcp-testdb leftovers             exit 1 (and list them) if any harness server dir remains
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/match.h"
#include "tests/harness/mariadb_server.h"

namespace {

using dcp::testing::MariaDbServer;

int Usage() {
  std::fprintf(stderr,
               "usage: dcp-testdb start --state FILE [--replica [--standby]] [--server-id N]"
               " [-- ARGS]\n"
               "       dcp-testdb stop --state FILE\n"
               "       dcp-testdb sweep [--all]\n"
               "       dcp-testdb leftovers\n");
  return 2;
}

void AppendServer(std::string* out, const char* role, const MariaDbServer& s) {
  absl::StrAppend(out, "DCP_TESTDB_", role, "_DIR=", s.dir(), "\n");
  absl::StrAppend(out, "DCP_TESTDB_", role, "_PORT=", s.port(), "\n");
  absl::StrAppend(out, "DCP_TESTDB_", role, "_SOCKET=", s.socket_path(), "\n");
  absl::StrAppend(out, "DCP_TESTDB_", role, "_DSN=mysql://dcp:dcp@127.0.0.1:", s.port(), "\n");
}

// A standby is a second replica of the primary (server id + 2), for failover tests.
int Start(const std::string& state, int replicas, uint32_t server_id,
          std::vector<std::string> extra) {
  MariaDbServer::Options options;
  options.detached = true;
  options.server_id = server_id;
  options.extra_args = std::move(extra);
  auto primary = MariaDbServer::Start(options);
  if (!primary.ok()) {
    std::fprintf(stderr, "dcp-testdb: primary: %s\n", primary.status().ToString().c_str());
    return 1;
  }
  std::string env;
  AppendServer(&env, "PRIMARY", **primary);
  std::vector<std::unique_ptr<MariaDbServer>> started;
  for (int i = 0; i < replicas; ++i) {
    const char* role = i == 0 ? "REPLICA" : "STANDBY";
    options.server_id = server_id + 1 + i;
    auto r = MariaDbServer::Start(options);
    if (!r.ok()) {
      std::fprintf(stderr, "dcp-testdb: %s: %s\n", role, r.status().ToString().c_str());
      return 1;  // the destructors stop what was started
    }
    if (absl::Status s = (*r)->ReplicateFrom(**primary); !s.ok()) {
      std::fprintf(stderr, "dcp-testdb: replication: %s\n", s.ToString().c_str());
      return 1;
    }
    AppendServer(&env, role, **r);
    started.push_back(*std::move(r));
  }
  std::ofstream out(state, std::ios::trunc);
  out << env;
  out.close();
  if (!out) {
    std::fprintf(stderr, "dcp-testdb: cannot write %s\n", state.c_str());
    return 1;
  }
  (*primary)->Release();
  for (auto& r : started) r->Release();
  std::fputs(env.c_str(), stdout);
  return 0;
}

int Stop(const std::string& state) {
  std::ifstream in(state);
  if (!in) {
    std::fprintf(stderr, "dcp-testdb: no state file %s (nothing to stop)\n", state.c_str());
    return 0;
  }
  std::string line;
  int rc = 0;
  while (std::getline(in, line)) {
    std::pair<std::string, std::string> kv = absl::StrSplit(line, absl::MaxSplits('=', 1));
    if (!absl::EndsWith(kv.first, "_DIR")) continue;
    absl::Status s = MariaDbServer::StopDetached(kv.second);
    if (!s.ok() && !absl::IsNotFound(s)) {
      std::fprintf(stderr, "dcp-testdb: %s\n", s.ToString().c_str());
      rc = 1;
    }
  }
  std::remove(state.c_str());
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return Usage();
  const std::string cmd = argv[1];
  std::string state;
  int replicas = 0;
  bool all = false;
  uint32_t server_id = 1;
  std::vector<std::string> extra;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--state" && i + 1 < argc) {
      state = argv[++i];
    } else if (a == "--replica") {
      replicas = std::max(replicas, 1);
    } else if (a == "--standby") {
      replicas = 2;
    } else if (a == "--all") {
      all = true;
    } else if (a == "--server-id" && i + 1 < argc) {
      if (!absl::SimpleAtoi(argv[++i], &server_id) || server_id == 0) return Usage();
    } else if (a == "--") {
      for (++i; i < argc; ++i) extra.push_back(argv[i]);
    } else {
      return Usage();
    }
  }
  if (cmd == "start" && !state.empty()) return Start(state, replicas, server_id, extra);
  if (cmd == "stop" && !state.empty()) return Stop(state);
  if (cmd == "sweep") {
    std::printf("dcp-testdb: removed %d server directories\n", MariaDbServer::Sweep(all));
    return 0;
  }
  if (cmd == "leftovers") {
    // Counts without removing: Sweep would hide a leak.
    int n = 0;
    const char* root = std::getenv("DCP_TEST_TMPDIR");
    std::string dir = root != nullptr && root[0] != '\0' ? root : "/tmp";
    std::string cmdline = "ls -d " + dir + "/dcp-mariadb-* 2>/dev/null";
    if (FILE* p = popen(cmdline.c_str(), "r")) {
      char buf[4096];
      while (std::fgets(buf, sizeof(buf), p) != nullptr) {
        std::printf("leftover: %s", buf);
        ++n;
      }
      pclose(p);
    }
    return n == 0 ? 0 : 1;
  }
  return Usage();
}
