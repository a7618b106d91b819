// dcp: the online consistency checker. Each command parses its flags into options, calls
// its library, and maps the status to an exit code (0 ok, 1 inconsistency found, 2 error).
#include <cstdio>
#include <cstring>
#include <string>

#include "collector/push.h"
#include "daemon/collect.h"
#include "daemon/config.h"
#include "daemon/daemon.h"
#include "mysql/binlog/tool.h"

namespace {

constexpr char kUsage[] =
    "dcp " DCP_VERSION
    ": online data-consistency checker for replicated MySQL/MariaDB\n"
    "\n"
    "Commands:\n"
    "  run --config F [--log-file L]\n"
    "                   run the checker daemon (also: dcp --config F); docs/operations.md\n"
    "  check-config F   validate a config file (docs/config.md) without connecting\n"
    "  binlog           decode binlog files to JSON lines (docs/binlog.md; dcp binlog --help)\n"
    "  push             push JSON-lines row changes to a dcp gRPC collector (docs/protocol.md)\n"
    "  collect          run only the MySQL collectors, stream to a remote checker (--config F)\n";

int CheckConfig(int argc, char** argv) {
  if (argc != 1) {
    std::fprintf(stderr, "usage: dcp check-config FILE\n");
    return 2;
  }
  auto config = dcp::daemon::LoadConfig(argv[0]);
  if (!config.ok()) {
    std::fprintf(stderr, "dcp: %s\n", std::string(config.status().message()).c_str());
    return 2;
  }
  for (const std::string& w : dcp::daemon::ConfigWarnings(*config)) {
    std::fprintf(stderr, "dcp: warning: %s\n", w.c_str());
  }
  std::printf("%s\nconfig OK\n", config->ToString().c_str());
  return 0;
}

int Run(int argc, char** argv) {
  std::string config_path;
  dcp::daemon::Options options;
  for (int i = 0; i < argc; ++i) {
    const std::string a = argv[i];
    if ((a == "--config" || a == "-c") && i + 1 < argc) {
      config_path = argv[++i];
    } else if (a.rfind("--config=", 0) == 0) {
      config_path = a.substr(9);
    } else if (a == "--log-file" && i + 1 < argc) {
      options.log_file = argv[++i];
    } else if (a.rfind("--log-file=", 0) == 0) {
      options.log_file = a.substr(11);
    } else {
      std::fprintf(stderr, "usage: dcp run --config FILE [--log-file FILE]\n");
      return 2;
    }
  }
  if (config_path.empty()) {
    std::fprintf(stderr, "usage: dcp run --config FILE [--log-file FILE]\n");
    return 2;
  }
  auto config = dcp::daemon::LoadConfig(config_path);
  if (!config.ok()) {
    std::fprintf(stderr, "dcp: %s\n", std::string(config.status().message()).c_str());
    return 2;
  }
  for (const std::string& w : dcp::daemon::ConfigWarnings(*config)) {
    std::fprintf(stderr, "dcp: warning: %s\n", w.c_str());
  }
  options.config = *std::move(config);
  absl::Status status = dcp::daemon::RunUntilSignal(std::move(options));
  if (!status.ok()) {
    std::fprintf(stderr, "dcp: %s\n", std::string(status.message()).c_str());
    return 2;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "-h") == 0 || std::strcmp(argv[1], "--help") == 0 ||
      std::strcmp(argv[1], "help") == 0) {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  const std::string command = argv[1];
  if (command == "--version") {
    std::printf("dcp %s\n", DCP_VERSION);
    return 0;
  }
  if (command == "check-config") return CheckConfig(argc - 2, argv + 2);
  if (command == "run") return Run(argc - 2, argv + 2);
  if (command == "--config" || command == "-c" || command.rfind("--config=", 0) == 0) {
    return Run(argc - 1, argv + 1);
  }
  if (command == "collect") return dcp::daemon::CollectMain(argc - 1, argv + 1);
  if (command == "push") return dcp::collector::PushMain(argc - 1, argv + 1);
  if (command == "binlog") return dcp::mysql::binlog::BinlogMain(argc - 1, argv + 1);
  std::fprintf(stderr, "dcp: '%s' is not available in this build\n\n%s", command.c_str(), kUsage);
  return 2;
}
