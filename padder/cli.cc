#include "padder/cli.h"

#include <unistd.h>

#include <memory>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "mysql/credentials.h"
#include "mysql/throttle_probes.h"
#include "padder/engine.h"
#include "padder/options.h"
#include "padder/repair.h"
#include "util/cli.h"
#include "util/log.h"
#include "util/status_macros.h"

namespace dcp::padder {
namespace {

// What both commands take for progress, throttling and passwords.
struct RunFlags {
  std::string progress = "auto", max_lag, barrier_table, defaults_file;
  std::vector<std::string> replicas, max_load;
  bool no_progress = false;
};

struct ReplayFlags {
  std::string config;
  bool preview = false;
};

struct RepairFlags {
  std::string report, source, target;
  std::vector<std::string> renames;
  int batch_size = 500;
  bool dry_run = false;
};

void AddRunFlags(CLI::App* c, RunFlags* f, const char* load_on) {
  c->add_option("--defaults-file", f->defaults_file,
                "my.cnf-style file whose [client] password (and user) DSNs without one use");
  c->add_option("--progress", f->progress,
                "auto|tty|log|none[,INTERVAL]: per item and overall, with ETA (default auto)")
      ->expected(0, 1);
  c->add_flag("--no-progress", f->no_progress, "same as --progress=none");
  c->add_option("--max-lag", f->max_lag,
                "pause between batches while a --replica lags more than this (e.g. 2s)")
      ->group("Throttling");
  c->add_option("--replica", f->replicas, "a replica of the target to watch (repeatable)")
      ->group("Throttling");
  c->add_option("--barrier-table", f->barrier_table,
                "read lag from this heartbeat table (e.g. drc.barrier) instead of "
                "Seconds_Behind_Master")
      ->group("Throttling");
  c->add_option("--max-load", f->max_load,
                absl::StrCat("pause while a global status variable exceeds N on ", load_on,
                             " (e.g. Threads_running=25; repeatable)"))
      ->group("Throttling");
}

absl::StatusOr<mysql::Dsn> FlagDsn(const char* flag, const std::string& text,
                                   const mysql::CredentialSources& sources, std::ostream& err) {
  std::vector<std::string> warnings;
  ASSIGN_OR_RETURN(mysql::Dsn dsn, mysql::CommandLineDsn(flag, text, sources, &warnings));
  for (const std::string& w : warnings) err << FormatUserLine(LogLevel::kWarning, "padder", w);
  return dsn;
}

// Progress spec and throttle from the flags; load is read on `load_servers`.
absl::Status ApplyRunFlags(const RunFlags& f, const mysql::CredentialSources& sources,
                           std::vector<mysql::Dsn> load_servers, std::ostream& err,
                           ProgressSpec* progress, std::shared_ptr<Throttle>* throttle) {
  ASSIGN_OR_RETURN(*progress, ParseProgressSpec(f.no_progress ? "none" : f.progress,  // "": auto
                                                isatty(STDERR_FILENO) != 0));
  mysql::ThrottleConfig t;
  if (!f.max_lag.empty()) {
    ASSIGN_OR_RETURN(t.max_lag, cli::ParseDuration("--max-lag", f.max_lag));
    for (const std::string& r : f.replicas) {
      ASSIGN_OR_RETURN(mysql::Dsn dsn, FlagDsn("--replica", r, sources, err));
      t.replicas.push_back(dsn);
    }
    t.heartbeat_table = f.barrier_table;
  }
  for (const std::string& m : f.max_load) {
    ASSIGN_OR_RETURN(auto limit, mysql::ParseMaxLoad(m));
    t.max_load.push_back(limit);
  }
  t.load_servers = std::move(load_servers);
  ASSIGN_OR_RETURN(std::vector<ThrottleCheck> checks, mysql::BuildThrottleChecks(t));
  if (!checks.empty()) *throttle = std::make_shared<Throttle>(std::move(checks));
  return absl::OkStatus();
}

// A server of padder.toml without a password takes --defaults-file's or MYSQL_PWD.
void FillPassword(const mysql::CredentialSources& sources, mysql::Dsn& dsn) {
  if (dsn.password.has_value()) return;
  if (sources.defaults && sources.defaults->password) {
    dsn.password = *sources.defaults->password;
  } else if (sources.mysql_pwd) {
    dsn.password = *sources.mysql_pwd;
  }
}

int Replay(const ReplayFlags& flags, const RunFlags& run, std::ostream& out, std::ostream& err) {
  auto options = ParseConfigFile(flags.config);
  if (!options.ok()) return cli::Fail(err, "padder", options.status(), cli::kUsageExit);
  absl::StatusOr<mysql::CredentialSources> sources =
      mysql::CredentialSourcesFromEnvironment(run.defaults_file);
  if (!sources.ok()) return cli::Fail(err, "padder", sources.status(), cli::kUsageExit);
  FillPassword(*sources, options->target);
  if (options->source) FillPassword(*sources, *options->source);
  options->preview = flags.preview;
  const absl::Status applied = ApplyRunFlags(run, *sources, {options->target}, err,
                                             &options->progress, &options->throttle);
  if (!applied.ok()) return cli::Fail(err, "padder", applied, cli::kUsageExit);
  const absl::Status s = RunReplay(*options, out);
  if (!s.ok()) return cli::Fail(err, "padder", s, 1);
  return 0;
}

absl::StatusOr<RepairOptions> RepairOptionsOf(const RepairFlags& f, const RunFlags& run,
                                              std::ostream& err) {
  RepairOptions o;
  o.report_file = f.report;
  o.dry_run = f.dry_run;
  if (f.batch_size <= 0) return absl::InvalidArgumentError("--batch-size must be > 0");
  o.batch_size = f.batch_size;
  for (const std::string& rename : f.renames) {
    const size_t eq = rename.find('=');
    if (eq == std::string::npos) {
      return absl::InvalidArgumentError("--schema-rename takes src=dst");
    }
    o.rename[rename.substr(0, eq)] = rename.substr(eq + 1);
  }
  if (f.target.empty() && !f.dry_run) {
    return absl::InvalidArgumentError("--target is required (unless --dry-run)");
  }
  ASSIGN_OR_RETURN(const mysql::CredentialSources sources,
                   mysql::CredentialSourcesFromEnvironment(run.defaults_file));
  ASSIGN_OR_RETURN(o.source, FlagDsn("--source", f.source, sources, err));
  std::vector<mysql::Dsn> load = {o.source};
  if (!f.target.empty()) {
    ASSIGN_OR_RETURN(o.target, FlagDsn("--target", f.target, sources, err));
    load.push_back(o.target);
  }
  RETURN_IF_ERROR(ApplyRunFlags(run, sources, load, err, &o.progress, &o.throttle));
  return o;
}

int Repair(const RepairFlags& flags, const RunFlags& run, std::ostream& out, std::ostream& err) {
  absl::StatusOr<RepairOptions> o = RepairOptionsOf(flags, run, err);
  if (!o.ok()) return cli::Fail(err, "padder repair", o.status(), cli::kUsageExit);
  const absl::Status st = RunRepair(*o, out);
  if (!st.ok()) {
    // A report that is no report, or a corrupt one: nothing was done, an input error.
    const bool input = absl::IsInvalidArgument(st) || absl::IsDataLoss(st);
    return cli::Fail(err, "padder repair", st, input ? cli::kUsageExit : 1);
  }
  return 0;
}

}  // namespace

int RunCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  cli::CommonFlags common;
  ReplayFlags replay;
  RepairFlags repair;
  RunFlags replay_run, repair_run;
  auto app = cli::NewApp("padder",
                         "padder: backfill and repair a target (docs/padder.md). Exit status: 0 "
                         "ok, 1 the run failed or stopped, 2 usage or configuration error.",
                         &common);
  app->add_option("--config", replay.config,
                  "replay the binlog range of this padder.toml into its target (also -config)");
  app->add_flag("--preview", replay.preview,
                "apply nothing: run the range in one transaction, roll it back, write stats.json");
  AddRunFlags(app.get(), &replay_run, "the target");
  CLI::App* rep = cli::AddCommand(
      *app, "repair",
      "make the keys of a verifier JSON report (or a dcp Diff alarm) equal to the source's "
      "current rows on the target",
      &common);
  rep->add_option("--report", repair.report, "the verifier JSON report or Diff alarm")->required();
  rep->add_option("--source", repair.source,
                  "source DSN: mysql://user@host:port[?password-env=VAR|password-file=PATH]")
      ->required();
  rep->add_option("--target", repair.target, "target DSN (same form)");
  rep->add_flag("--dry-run", repair.dry_run, "print the SQL instead of running it");
  rep->add_option("--batch-size", repair.batch_size, "keys per batch (default 500)");
  rep->add_option("--schema-rename", repair.renames, "source schema = target schema (repeatable)")
      ->take_all()
      ->expected(1);
  AddRunFlags(rep, &repair_run, "the source and the target");
  // gravity's padder spelled them with one dash.
  std::vector<std::string> translated = args;
  for (std::string& a : translated) {
    if (a == "-config" || a == "-preview") a = "-" + a;
  }
  if (std::optional<int> code = cli::Parse(*app, translated, common, out, err)) return *code;
  if (rep->parsed()) return Repair(repair, repair_run, out, err);
  if (replay.config.empty()) {
    err << app->help();
    return cli::kUsageExit;
  }
  return Replay(replay, replay_run, out, err);
}

}  // namespace dcp::padder
