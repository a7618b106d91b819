#include "verifier/cli.h"

#include <unistd.h>

#include <fstream>
#include <memory>
#include <optional>
#include <sstream>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "mysql/credentials.h"
#include "mysql/throttle_probes.h"
#include "util/cli.h"
#include "util/log.h"
#include "util/status_macros.h"
#include "verifier/data_compare.h"
#include "verifier/data_config.h"
#include "verifier/data_report.h"
#include "verifier/gravity_mode.h"
#include "verifier/schema_compare.h"

namespace dcp::verifier {
namespace {

// What both comparison commands take, as given.
struct SideFlags {
  std::string source, target, format = "text", defaults_file;
  std::vector<std::string> tables, exclude, map;
};

// The flags of `verifier data`, as given (durations and specs still text).
struct DataFlags {
  std::string config, where, chunk_time = "0.5s", fix_sql, resume, recheck_delay, junit;
  std::string progress = "auto", max_lag, barrier_table;
  std::vector<std::string> columns, ignore_columns, replicas, max_load;
  int parallel = 2, recheck = 0, row_fetch_limit = 100000;
  bool snapshot = false, full_scan = false, no_progress = false;
};

struct SchemaFlags {
  std::vector<std::string> ignore;
  bool column_order = false;
};

void AddSideFlags(CLI::App* c, SideFlags* f) {
  c->add_option("--source", f->source,
                "source DSN: mysql://user@host:port[?password-env=VAR|password-file=PATH]");
  c->add_option("--target", f->target, "target DSN (same form)");
  c->add_option("--defaults-file", f->defaults_file,
                "my.cnf-style file whose [client] password (and user) the DSNs use");
  c->add_option("--format", f->format, "report format: text or json (default text)");
  c->add_option("--tables", f->tables, "compare only tables matching these schema.table globs")
      ->delimiter(',');
  c->add_option("--exclude", f->exclude, "skip tables matching these globs")->delimiter(',');
  c->add_option("--map", f->map, "target names: 'src_schema.*=dst_schema.*' or 'src.t=dst.u'")
      ->delimiter(',');
}

void AddDataFlags(CLI::App* c, DataFlags* f) {
  c->add_option("--config", f->config,
                "TOML file with the run's settings and per-table options ([[table]]); flags win");
  c->add_option("--columns", f->columns, "compare only these columns (keys always)")
      ->delimiter(',');
  c->add_option("--ignore-columns", f->ignore_columns, "never compare these columns")
      ->delimiter(',');
  c->add_option("--where", f->where, "compare only rows matching this SQL condition");
  c->add_option("--parallel", f->parallel, "workers, each with two connections (default 2)");
  c->add_option("--chunk-time", f->chunk_time, "target time per chunk checksum (default 0.5s)");
  c->add_flag("--snapshot", f->snapshot, "compare a native replica at one GTID position");
  c->add_option("--recheck", f->recheck, "re-verify differing rows N times");
  c->add_option("--recheck-delay", f->recheck_delay, "between rechecks (default 1s)");
  c->add_flag("--full-scan", f->full_scan, "compare tables without a usable key as a whole");
  c->add_option("--fix-sql", f->fix_sql, "write REPLACE/DELETE statements that fix the target");
  c->add_option("--resume", f->resume, "record progress in FILE; a rerun continues after it");
  c->add_option("--junit", f->junit, "write a JUnit XML report");
  c->add_option("--row-fetch-limit", f->row_fetch_limit,
                "bisect mismatching chunks down to N rows (default 100000)");
  c->add_option("--progress", f->progress,
                "auto|tty|log|none[,INTERVAL]: progress per table and overall (default auto)");
  c->add_flag("--no-progress", f->no_progress, "same as --progress=none");
  c->add_option("--max-lag", f->max_lag,
                "pause while a replica lags more than this (e.g. 2s); see --replica")
      ->group("Throttling");
  c->add_option("--replica", f->replicas,
                "a replica whose lag --max-lag watches (repeatable; default: the target)")
      ->group("Throttling");
  c->add_option("--barrier-table", f->barrier_table,
                "read lag from this heartbeat table (e.g. drc.barrier) instead of "
                "Seconds_Behind_Master")
      ->group("Throttling");
  c->add_option("--max-load", f->max_load,
                "pause while a global status variable exceeds N on the source or target "
                "(e.g. Threads_running=25; repeatable)")
      ->group("Throttling");
}

// The DSN of a flag, with its password from wherever it is kept; warnings logged.
absl::StatusOr<mysql::Dsn> FlagDsn(const char* flag, const std::string& text,
                                   const mysql::CredentialSources& sources, std::ostream& err) {
  std::vector<std::string> warnings;
  ASSIGN_OR_RETURN(mysql::Dsn dsn, mysql::CommandLineDsn(flag, text, sources, &warnings));
  for (const std::string& w : warnings) err << FormatUserLine(LogLevel::kWarning, "verifier", w);
  return dsn;
}

absl::StatusOr<OutputFormat> ParseFormat(const std::string& f) {
  if (f == "text") return OutputFormat::kText;
  if (f == "json") return OutputFormat::kJson;
  return absl::InvalidArgumentError(absl::StrCat("--format must be text or json, not '", f, "'"));
}

// Source, target and format: from the flags, else from a config file's.
struct Sides {
  mysql::Dsn source, target;
  OutputFormat format = OutputFormat::kText;
};

absl::StatusOr<Sides> ResolveSides(const SideFlags& f, const DataConfig* config, std::ostream& err) {
  ASSIGN_OR_RETURN(const mysql::CredentialSources sources,
                   mysql::CredentialSourcesFromEnvironment(f.defaults_file));
  Sides s;
  for (auto [flag, text, from_config, out] :
       {std::tuple{"--source", &f.source, config ? &config->source : nullptr, &s.source},
        std::tuple{"--target", &f.target, config ? &config->target : nullptr, &s.target}}) {
    if (!text->empty()) {
      ASSIGN_OR_RETURN(*out, FlagDsn(flag, *text, sources, err));
    } else if (from_config != nullptr && from_config->has_value()) {
      *out = **from_config;
    } else {
      return absl::InvalidArgumentError(absl::StrCat(flag, " DSN is required"));
    }
  }
  ASSIGN_OR_RETURN(s.format, ParseFormat(f.format));
  return s;
}

int Fail(std::ostream& err, const absl::Status& status) {
  return cli::Fail(err, "verifier", status, cli::kUsageExit);
}

int RunSchema(const SideFlags& side, const SchemaFlags& flags, std::ostream& out,
              std::ostream& err) {
  auto sides = ResolveSides(side, nullptr, err);
  if (!sides.ok()) return Fail(err, sides.status());
  auto ignore = ParseIgnoreClasses(flags.ignore);
  if (!ignore.ok()) return Fail(err, ignore.status());
  SchemaOptions options;
  options.source = sides->source;
  options.target = sides->target;
  options.tables = side.tables;
  options.exclude = side.exclude;
  options.maps = side.map;
  options.ignore = *ignore;
  options.check_column_order = flags.column_order;
  auto report = CompareSchemas(options);
  if (!report.ok()) return Fail(err, report.status());
  if (report->tables_compared == 0 && report->differences.empty()) {
    // A filter that matches nothing must not pass in CI as "identical".
    return Fail(err, absl::NotFoundError("no table matched the filters on either side"));
  }
  WriteSchemaReport(*report, sides->format, out);
  return report->differences.empty() ? 0 : 1;
}

// Where a flag was not given, the config file's value.
void MergeConfig(const CLI::App& cmd, const DataConfig& c, SideFlags& s, DataFlags& f) {
  auto given = [&cmd](const char* flag) {
    const CLI::Option* o = cmd.get_option_no_throw(flag);
    return o != nullptr && o->count() > 0;
  };
  auto take = [&](const char* flag, auto& field, const auto& value) {
    if (!given(flag) && value.has_value()) field = *value;
  };
  take("--format", s.format, c.format);
  take("--tables", s.tables, c.tables);
  take("--exclude", s.exclude, c.exclude);
  take("--map", s.map, c.map);
  take("--where", f.where, c.where);
  take("--fix-sql", f.fix_sql, c.fix_sql);
  take("--junit", f.junit, c.junit);
  take("--resume", f.resume, c.resume);
  take("--progress", f.progress, c.progress);
  take("--chunk-time", f.chunk_time, c.chunk_time);
  take("--recheck-delay", f.recheck_delay, c.recheck_delay);
  take("--max-lag", f.max_lag, c.max_lag);
  take("--barrier-table", f.barrier_table, c.barrier_table);
  take("--parallel", f.parallel, c.parallel);
  take("--recheck", f.recheck, c.recheck);
  take("--row-fetch-limit", f.row_fetch_limit, c.row_fetch_limit);
  take("--snapshot", f.snapshot, c.snapshot);
  take("--full-scan", f.full_scan, c.full_scan);
  take("--columns", f.columns, c.columns);
  take("--ignore-columns", f.ignore_columns, c.ignore_columns);
  take("--max-load", f.max_load, c.max_load);
}

// The tuning flags of `verifier data`: parallelism, chunk sizes, rechecks, progress.
absl::Status ApplyTuning(const DataFlags& f, DataOptions& o) {
  if (f.parallel < 1) return absl::InvalidArgumentError("--parallel must be at least 1");
  o.parallel = f.parallel;
  ASSIGN_OR_RETURN(o.chunk_time, cli::ParseDuration("--chunk-time", f.chunk_time));
  if (o.chunk_time <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--chunk-time must be positive");
  }
  if (f.row_fetch_limit < 0 || f.recheck < 0) {
    return absl::InvalidArgumentError("--row-fetch-limit and --recheck must not be negative");
  }
  o.row_fetch_limit = static_cast<uint64_t>(std::max(1, f.row_fetch_limit));
  o.recheck_rounds = f.recheck;
  if (f.recheck > 0) o.recheck_delay = absl::Seconds(1);
  if (!f.recheck_delay.empty()) {
    ASSIGN_OR_RETURN(o.recheck_delay, cli::ParseDuration("--recheck-delay", f.recheck_delay));
  }
  ASSIGN_OR_RETURN(o.progress, ParseProgressSpec(f.no_progress ? "none" : f.progress,
                                                 isatty(STDERR_FILENO) != 0));
  return absl::OkStatus();
}

// --max-lag / --max-load: lag of the --replica servers (default: the target), load of the
// source and target.
absl::Status ApplyThrottle(const DataFlags& f, const DataConfig* config, std::ostream& err,
                           const mysql::CredentialSources& sources, DataOptions& o) {
  mysql::ThrottleConfig t;
  if (!f.max_lag.empty()) {
    ASSIGN_OR_RETURN(t.max_lag, cli::ParseDuration("--max-lag", f.max_lag));
    for (const std::string& r : f.replicas) {
      ASSIGN_OR_RETURN(mysql::Dsn dsn, FlagDsn("--replica", r, sources, err));
      t.replicas.push_back(dsn);
    }
    if (t.replicas.empty() && config != nullptr) t.replicas = config->replicas;
    if (t.replicas.empty()) t.replicas.push_back(o.target);
    t.heartbeat_table = f.barrier_table;
  }
  for (const std::string& m : f.max_load) {
    ASSIGN_OR_RETURN(auto limit, mysql::ParseMaxLoad(m));
    t.max_load.push_back(limit);
  }
  t.load_servers = {o.source, o.target};
  ASSIGN_OR_RETURN(std::vector<ThrottleCheck> checks, mysql::BuildThrottleChecks(t));
  if (!checks.empty()) o.throttle = std::make_shared<Throttle>(std::move(checks), o.clock);
  return absl::OkStatus();
}

// Writes the report as `format` to `out` and the files asked for (--fix-sql, --junit).
absl::Status WriteDataOutputs(const DataReport& report, OutputFormat format, const DataFlags& f,
                              std::ostream& out) {
  if (format == OutputFormat::kJson) {
    WriteDataJson(report, out);
  } else {
    WriteDataText(report, out);
  }
  for (const auto& [path, write] :
       {std::pair{&f.fix_sql, &WriteFixSql}, std::pair{&f.junit, &WriteDataJunit}}) {
    if (path->empty()) continue;
    std::ofstream file(*path, std::ios::trunc);
    write(report, file);
    if (!file.good()) return absl::UnavailableError(absl::StrCat("cannot write ", *path));
  }
  return absl::OkStatus();
}

// A `verifier data` run: its options and outputs, from its flags and config file.
struct DataRun {
  DataOptions options;
  OutputFormat format = OutputFormat::kText;
  DataFlags flags;  // with the config file's values where no flag was given
};

absl::StatusOr<DataRun> DataRunOf(const CLI::App& cmd, SideFlags side, DataFlags f,
                                  std::ostream& err) {
  std::optional<DataConfig> config;
  if (!f.config.empty()) {
    ASSIGN_OR_RETURN(config, ReadDataConfig(f.config));
    MergeConfig(cmd, *config, side, f);
  }
  const DataConfig* c = config ? &*config : nullptr;
  ASSIGN_OR_RETURN(Sides sides, ResolveSides(side, c, err));
  DataRun run;
  run.format = sides.format;
  DataOptions& o = run.options;
  o.source = sides.source;
  o.target = sides.target;
  o.tables = side.tables;
  o.exclude = side.exclude;
  o.maps = side.map;
  o.columns = f.columns;
  o.ignore_columns = f.ignore_columns;
  o.where = f.where;
  o.snapshot = f.snapshot;
  o.allow_full_scan = f.full_scan;
  o.resume_file = f.resume;
  o.collect_fix_values = !f.fix_sql.empty() || sides.format == OutputFormat::kJson;
  if (c != nullptr) o.table_overrides = c->table_overrides;
  RETURN_IF_ERROR(ApplyTuning(f, o));
  ASSIGN_OR_RETURN(const mysql::CredentialSources sources,
                   mysql::CredentialSourcesFromEnvironment(side.defaults_file));
  RETURN_IF_ERROR(ApplyThrottle(f, c, err, sources, o));
  run.flags = std::move(f);
  return run;
}

int RunData(const CLI::App& cmd, const SideFlags& side, const DataFlags& flags, std::ostream& out,
            std::ostream& err) {
  absl::StatusOr<DataRun> run = DataRunOf(cmd, side, flags, err);
  if (!run.ok()) return Fail(err, run.status());
  auto report = CompareData(run->options);
  if (!report.ok()) return Fail(err, report.status());
  if (report->tables.empty()) {
    return Fail(err, absl::NotFoundError("no table matched the filters on either side"));
  }
  const absl::Status written = WriteDataOutputs(*report, run->format, run->flags, out);
  if (!written.ok()) return Fail(err, written);
  if (report->has_error()) return 2;
  return report->identical() ? 0 : 1;
}

int RunGravity(const std::string& path, std::ostream& out, std::ostream& err) {
  std::ifstream f(path);
  if (!f) return Fail(err, absl::NotFoundError(absl::StrCat("cannot read ", path)));
  std::stringstream text;
  text << f.rdbuf();
  auto config = GravityConfig::Parse(text.str());
  if (!config.ok()) return Fail(err, config.status());
  return RunGravityMode(*config, out, err);
}

// The whole command line, as CLI11 parses it.
struct Cli {
  cli::CommonFlags common;
  std::string gravity_config;
  SideFlags schema_side, data_side;
  SchemaFlags schema;
  DataFlags data;
  std::unique_ptr<CLI::App> app;
  CLI::App* schema_cmd = nullptr;
  CLI::App* data_cmd = nullptr;

  Cli() {
    app = cli::NewApp("verifier",
                      "verifier: offline schema and data comparison of a source and a target "
                      "(docs/verifier.md). Exit status: 0 identical, 1 differences, 2 error.",
                      &common);
    app->add_option("--config", gravity_config,
                    "gravity-compatible verifier.conf mode (docs/verifier.md)");
    schema_cmd = cli::AddCommand(*app, "schema", "compare the schemas of a source and a target",
                                 &common);
    AddSideFlags(schema_cmd, &schema_side);
    schema_cmd->add_option("--ignore", schema.ignore, "difference classes to ignore")
        ->delimiter(',');
    schema_cmd->add_flag("--column-order", schema.column_order,
                         "also report columns at different positions");
    data_cmd = cli::AddCommand(*app, "data", "compare the data of a source and a target, row-exact",
                               &common);
    AddSideFlags(data_cmd, &data_side);
    AddDataFlags(data_cmd, &data);
  }
};

}  // namespace

std::string UsageText() { return Cli().app->help(); }

int RunCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  Cli c;
  if (std::optional<int> code = cli::Parse(*c.app, args, c.common, out, err)) return *code;
  if (c.schema_cmd->parsed()) return RunSchema(c.schema_side, c.schema, out, err);
  if (c.data_cmd->parsed()) return RunData(*c.data_cmd, c.data_side, c.data, out, err);
  if (!c.gravity_config.empty()) return RunGravity(c.gravity_config, out, err);
  err << c.app->help();
  return cli::kUsageExit;
}

}  // namespace dcp::verifier
