// dcp: the online consistency checker. Each command parses its flags into options (the
// grammar of util/cli.h), calls its library, and maps the status to an exit code (0 ok,
// 1 a failed decode, 2 error).
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "collector/push.h"
#include "daemon/collect.h"
#include "daemon/config.h"
#include "daemon/daemon.h"
#include "mysql/binlog/tool.h"
#include "util/cli.h"
#include "util/log.h"

namespace {

// Loads the config; its warnings are logged. Exit code 2 on errors.
std::optional<dcp::daemon::Config> Load(const std::string& path, const char* command) {
  auto config = dcp::daemon::LoadConfig(path);
  if (!config.ok()) {
    dcp::cli::Fail(command, config.status(), dcp::cli::kUsageExit);
    return std::nullopt;
  }
  for (const std::string& w : dcp::daemon::ConfigWarnings(*config)) {
    std::cerr << dcp::FormatUserLine(dcp::LogLevel::kWarning, command, w);
  }
  return *std::move(config);
}

int CheckConfig(const std::string& path) {
  std::optional<dcp::daemon::Config> config = Load(path, "dcp");
  if (!config) return dcp::cli::kUsageExit;
  std::cout << config->ToString() << "\nconfig OK\n";
  return 0;
}

int Run(const std::string& path, const std::string& log_file) {
  std::optional<dcp::daemon::Config> config = Load(path, "dcp");
  if (!config) return dcp::cli::kUsageExit;
  dcp::daemon::Options options;
  options.log_file = log_file;
  options.config = *std::move(config);
  const absl::Status status = dcp::daemon::RunUntilSignal(std::move(options));
  if (!status.ok()) return dcp::cli::Fail("dcp", status, dcp::cli::kUsageExit);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  dcp::cli::CommonFlags common;
  auto app = dcp::cli::NewApp(
      "dcp",
      "dcp: online data-consistency checker for replicated MySQL/MariaDB (docs/operations.md)",
      &common);
  std::string legacy_config, run_config, log_file, check_path, collect_config;
  app->add_option("--config,-c", legacy_config, "same as `dcp run --config F`");
  CLI::App* run = dcp::cli::AddCommand(*app, "run", "run the checker daemon", &common);
  run->add_option("--config,-c", run_config, "the config file (docs/config.md)")->required();
  run->add_option("--log-file", log_file, "append the log here (reopened on SIGHUP)");
  CLI::App* check = dcp::cli::AddCommand(
      *app, "check-config", "validate a config file (docs/config.md) without connecting", &common);
  check->add_option("FILE", check_path, "the config file")->required();
  CLI::App* binlog = dcp::cli::AddCommand(
      *app, "binlog", "decode binlog files or a live stream to JSON lines (docs/binlog.md)",
      &common);
  dcp::mysql::binlog::ToolFlags binlog_flags;
  dcp::mysql::binlog::AddToolFlags(binlog, &binlog_flags);
  CLI::App* push = dcp::cli::AddCommand(
      *app, "push", "push JSON-lines row changes to a dcp gRPC collector (docs/protocol.md)",
      &common);
  dcp::collector::PushFlags push_flags;
  dcp::collector::AddPushFlags(push, &push_flags);
  CLI::App* collect = dcp::cli::AddCommand(
      *app, "collect", "run only the MySQL collectors, streaming to a remote checker", &common);
  collect->add_option("--config,-c", collect_config, "the config file ([collect])")->required();

  if (std::optional<int> code = dcp::cli::Parse(*app, argc, argv, common)) return *code;
  dcp::cli::ScrubPasswordsInArgv(argc, argv);  // a --dsn password: no longer in ps
  if (run->parsed()) return Run(run_config, log_file);
  if (check->parsed()) return CheckConfig(check_path);
  if (collect->parsed()) return dcp::daemon::RunCollectCommand(collect_config);
  if (binlog->parsed()) {
    auto options = dcp::mysql::binlog::FinishToolOptions(*binlog, binlog_flags);
    if (!options.ok()) return dcp::cli::Fail("dcp binlog", options.status(), dcp::cli::kUsageExit);
    return dcp::mysql::binlog::RunBinlogCommand(*options);
  }
  if (push->parsed()) {
    auto options = dcp::collector::FinishPushOptions(push_flags);
    if (!options.ok()) return dcp::cli::Fail("dcp push", options.status(), dcp::cli::kUsageExit);
    return dcp::collector::RunPushCommand(*options);
  }
  if (!legacy_config.empty()) return Run(legacy_config, log_file);
  std::cerr << app->help();
  return dcp::cli::kUsageExit;
}
