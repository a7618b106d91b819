#include "verifier/cli.h"

#include <unistd.h>

#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "mysql/dsn.h"
#include "util/status_macros.h"
#include "verifier/data_compare.h"
#include "verifier/data_report.h"
#include "verifier/gravity_mode.h"
#include "verifier/schema_compare.h"

namespace dcp::verifier {
namespace {

// Parsed "--name value" / "--name=value" / "--flag" arguments. List flags take every following
// argument up to the next "--..." and may be repeated; commas separate values too.
class Args {
 public:
  static absl::StatusOr<Args> Parse(const std::vector<std::string>& args, size_t start,
                                    const std::set<std::string>& bool_flags,
                                    const std::set<std::string>& list_flags,
                                    const std::set<std::string>& value_flags) {
    Args out;
    for (size_t i = start; i < args.size(); ++i) {
      const std::string& a = args[i];
      if (!absl::StartsWith(a, "--")) {
        return absl::InvalidArgumentError(absl::StrCat("unexpected argument '", a, "'"));
      }
      std::string name = a.substr(2);
      std::optional<std::string> inline_value;
      if (size_t eq = name.find('='); eq != std::string::npos) {
        inline_value = name.substr(eq + 1);
        name = name.substr(0, eq);
      }
      if (bool_flags.count(name) > 0) {
        if (inline_value)
          return absl::InvalidArgumentError(absl::StrCat("--", name, " takes no value"));
        out.flags_.insert(name);
      } else if (list_flags.count(name) > 0) {
        std::vector<std::string>& list = out.lists_[name];
        auto add = [&list](const std::string& v) {
          for (absl::string_view p : absl::StrSplit(v, ',', absl::SkipEmpty()))
            list.emplace_back(p);
        };
        if (inline_value) {
          add(*inline_value);
        } else {
          bool any = false;
          while (i + 1 < args.size() && !absl::StartsWith(args[i + 1], "--")) {
            add(args[++i]);
            any = true;
          }
          if (!any) return absl::InvalidArgumentError(absl::StrCat("--", name, " needs a value"));
        }
      } else if (value_flags.count(name) > 0) {
        if (inline_value) {
          out.values_[name] = *inline_value;
        } else if (i + 1 < args.size()) {
          out.values_[name] = args[++i];
        } else {
          return absl::InvalidArgumentError(absl::StrCat("--", name, " needs a value"));
        }
      } else {
        return absl::InvalidArgumentError(absl::StrCat("unknown option --", name));
      }
    }
    return out;
  }

  bool Has(const std::string& flag) const { return flags_.count(flag) > 0; }
  std::vector<std::string> List(const std::string& name) const {
    auto it = lists_.find(name);
    return it == lists_.end() ? std::vector<std::string>() : it->second;
  }
  std::optional<std::string> Value(const std::string& name) const {
    auto it = values_.find(name);
    if (it == values_.end()) return std::nullopt;
    return it->second;
  }

 private:
  std::set<std::string> flags_;
  std::map<std::string, std::vector<std::string>> lists_;
  std::map<std::string, std::string> values_;
};

absl::StatusOr<mysql::Dsn> RequiredDsn(const Args& args, const std::string& name) {
  std::optional<std::string> v = args.Value(name);
  if (!v) return absl::InvalidArgumentError(absl::StrCat("--", name, " DSN is required"));
  return mysql::Dsn::Parse(*v);
}

absl::StatusOr<OutputFormat> ParseFormat(const Args& args) {
  std::string f = args.Value("format").value_or("text");
  if (f == "text") return OutputFormat::kText;
  if (f == "json") return OutputFormat::kJson;
  return absl::InvalidArgumentError(absl::StrCat("--format must be text or json, not '", f, "'"));
}

// What every comparison command takes: both sides and the output format.
struct CommonFlags {
  mysql::Dsn source;
  mysql::Dsn target;
  OutputFormat format = OutputFormat::kText;
};

absl::StatusOr<CommonFlags> ParseCommonFlags(const Args& args) {
  CommonFlags f;
  ASSIGN_OR_RETURN(f.source, RequiredDsn(args, "source"));
  ASSIGN_OR_RETURN(f.target, RequiredDsn(args, "target"));
  ASSIGN_OR_RETURN(f.format, ParseFormat(args));
  return f;
}

int Fail(std::ostream& err, const absl::Status& status) {
  err << "verifier: " << status.message() << "\n";
  return 2;
}

int RunSchema(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  auto parsed = Args::Parse(args, 1, {"column-order"}, {"tables", "exclude", "map", "ignore"},
                            {"source", "target", "format"});
  if (!parsed.ok()) return Fail(err, parsed.status());
  SchemaOptions options;
  auto common = ParseCommonFlags(*parsed);
  if (!common.ok()) return Fail(err, common.status());
  auto ignore = ParseIgnoreClasses(parsed->List("ignore"));
  if (!ignore.ok()) return Fail(err, ignore.status());
  options.source = common->source;
  options.target = common->target;
  options.tables = parsed->List("tables");
  options.exclude = parsed->List("exclude");
  options.maps = parsed->List("map");
  options.ignore = *ignore;
  options.check_column_order = parsed->Has("column-order");
  auto report = CompareSchemas(options);
  if (!report.ok()) return Fail(err, report.status());
  if (report->tables_compared == 0 && report->differences.empty()) {
    // A filter that matches nothing must not pass in CI as "identical".
    return Fail(err, absl::NotFoundError("no table matched the filters on either side"));
  }
  WriteSchemaReport(*report, common->format, out);
  return report->differences.empty() ? 0 : 1;
}

absl::StatusOr<absl::Duration> ParseDurationFlag(const std::string& name, const std::string& v) {
  absl::Duration d;
  double secs = 0;
  if (absl::SimpleAtod(v, &secs)) return absl::Seconds(secs);
  if (absl::ParseDuration(v, &d)) return d;
  return absl::InvalidArgumentError(absl::StrCat("--", name, ": not a duration: '", v, "'"));
}

absl::StatusOr<int> ParseIntFlag(const std::string& name, const std::string& v) {
  int n = 0;
  if (!absl::SimpleAtoi(v, &n) || n < 0) {
    return absl::InvalidArgumentError(absl::StrCat("--", name, ": not a count: '", v, "'"));
  }
  return n;
}

// The tuning flags of `verifier data`: parallelism, chunk sizes, rechecks.
absl::Status ParseTuningFlags(const Args& args, DataOptions& options) {
  if (auto v = args.Value("parallel")) {
    ASSIGN_OR_RETURN(options.parallel, ParseIntFlag("parallel", *v));
    if (options.parallel < 1) return absl::InvalidArgumentError("--parallel must be at least 1");
  }
  if (auto v = args.Value("chunk-time")) {
    ASSIGN_OR_RETURN(options.chunk_time, ParseDurationFlag("chunk-time", *v));
    if (options.chunk_time <= absl::ZeroDuration()) {
      return absl::InvalidArgumentError("--chunk-time must be positive");
    }
  }
  if (auto v = args.Value("row-fetch-limit")) {
    ASSIGN_OR_RETURN(const int n, ParseIntFlag("row-fetch-limit", *v));
    options.row_fetch_limit = std::max(1, n);
  }
  if (auto v = args.Value("recheck")) {
    ASSIGN_OR_RETURN(options.recheck_rounds, ParseIntFlag("recheck", *v));
    options.recheck_delay = absl::Seconds(1);
  }
  if (auto v = args.Value("recheck-delay")) {
    ASSIGN_OR_RETURN(options.recheck_delay, ParseDurationFlag("recheck-delay", *v));
  }
  return absl::OkStatus();
}

// Writes the report as `format` to `out` and the files asked for (--fix-sql, --junit).
absl::Status WriteDataOutputs(const DataReport& report, OutputFormat format, const Args& args,
                              std::ostream& out) {
  if (format == OutputFormat::kJson) {
    WriteDataJson(report, out);
  } else {
    WriteDataText(report, out);
  }
  for (const auto& [flag, write] :
       {std::pair{"fix-sql", &WriteFixSql}, std::pair{"junit", &WriteDataJunit}}) {
    const std::optional<std::string> path = args.Value(flag);
    if (!path) continue;
    std::ofstream f(*path, std::ios::trunc);
    write(report, f);
    if (!f.good()) return absl::UnavailableError(absl::StrCat("cannot write ", *path));
  }
  return absl::OkStatus();
}

int RunData(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  auto parsed =
      Args::Parse(args, 1, {"snapshot", "full-scan", "no-progress"},
                  {"tables", "exclude", "map", "columns", "ignore-columns"},
                  {"source", "target", "format", "where", "parallel", "chunk-time", "fix-sql",
                   "resume", "recheck", "recheck-delay", "junit", "row-fetch-limit"});
  if (!parsed.ok()) return Fail(err, parsed.status());
  auto common = ParseCommonFlags(*parsed);
  if (!common.ok()) return Fail(err, common.status());
  DataOptions options;
  options.source = common->source;
  options.target = common->target;
  options.tables = parsed->List("tables");
  options.exclude = parsed->List("exclude");
  options.maps = parsed->List("map");
  options.columns = parsed->List("columns");
  options.ignore_columns = parsed->List("ignore-columns");
  options.where = parsed->Value("where").value_or("");
  options.snapshot = parsed->Has("snapshot");
  options.allow_full_scan = parsed->Has("full-scan");
  if (absl::Status s = ParseTuningFlags(*parsed, options); !s.ok()) return Fail(err, s);
  options.collect_fix_values =
      parsed->Value("fix-sql").has_value() || common->format == OutputFormat::kJson;
  options.resume_file = parsed->Value("resume").value_or("");
  if (!parsed->Has("no-progress") && isatty(STDERR_FILENO) && &err == &std::cerr) {
    options.progress = &err;
  }
  auto report = CompareData(options);
  if (!report.ok()) return Fail(err, report.status());
  if (report->tables.empty()) {
    return Fail(err, absl::NotFoundError("no table matched the filters on either side"));
  }
  const absl::Status written = WriteDataOutputs(*report, common->format, *parsed, out);
  if (!written.ok()) return Fail(err, written);
  if (report->has_error()) return 2;
  return report->identical() ? 0 : 1;
}

}  // namespace

std::string UsageText() {
  return R"(verifier: offline schema and data comparison of a source and a target

Usage:
  verifier schema --source DSN --target DSN [FILTERS] [--ignore CLASS,...] [--column-order]
                  [--format text|json]
  verifier data   --source DSN --target DSN [FILTERS] [DATA OPTIONS] [--format text|json]
  verifier --config verifier.conf

Commands:
  schema         compare the schemas of a source and a target
  data           compare the data of a source and a target, row-exact
  --config F     gravity-compatible verifier.conf mode

Filters:
  --tables GLOB...     compare only tables matching schema.table globs (default: all)
  --exclude GLOB...    skip tables matching these globs
  --map SRC=DST...     'src_schema.*=dst_schema.*' or 'src.t=dst.u': target names

Schema options:
  --ignore CLASS,...   difference classes to ignore: table, column, column_order, type,
                       nullability, default, charset, collation, generated, auto_increment,
                       extra, comment, primary_key, index, foreign_key, engine,
                       table_charset, table_collation, row_format, create_options
  --column-order       also report columns at different positions

Data options:
  --columns COL...          compare only these columns (key columns are always used)
  --ignore-columns COL...   never compare these columns
  --where COND              compare only rows matching this SQL condition (both sides)
  --parallel N              workers, each with a source and a target connection (default 2)
  --chunk-time D            target time per chunk checksum (default 0.5s)
  --snapshot                the target is a native GTID replica of the source: compare both
                            at one GTID position (pauses and resumes the replica)
  --recheck N               re-verify differing rows N times, --recheck-delay apart (1s)
  --full-scan               compare tables without a usable key as a whole
  --fix-sql FILE            write REPLACE/DELETE statements that fix the target
  --resume FILE             record progress in FILE; a rerun continues after the last
                            verified chunk
  --junit FILE              write a JUnit XML report (one test case per table)
  --row-fetch-limit N       bisect mismatching chunks down to N rows (default 100000)
  --no-progress             no progress line on a terminal

DSN: mysql://user:password@host:port/database (see docs/verifier.md)
Exit status: 0 identical, 1 differences found, 2 error.
)";
}

int RunCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (args.empty()) {
    err << UsageText();
    return 2;
  }
  const std::string& cmd = args[0];
  if (cmd == "-h" || cmd == "--help" || cmd == "help") {
    out << UsageText();
    return 0;
  }
  if (cmd == "--version") {
    out << "verifier " << DCP_VERSION << "\n";
    return 0;
  }
  if (cmd == "--config" || absl::StartsWith(cmd, "--config=") || cmd == "-config") {
    std::string path = cmd.find('=') != std::string::npos ? cmd.substr(cmd.find('=') + 1)
                       : args.size() > 1                  ? args[1]
                                                          : "";
    if (path.empty()) return Fail(err, absl::InvalidArgumentError("--config needs a file"));
    std::ifstream f(path);
    if (!f) return Fail(err, absl::NotFoundError(absl::StrCat("cannot read ", path)));
    std::stringstream text;
    text << f.rdbuf();
    auto config = GravityConfig::Parse(text.str());
    if (!config.ok()) return Fail(err, config.status());
    return RunGravityMode(*config, out, err);
  }
  if (cmd == "schema") return RunSchema(args, out, err);
  if (cmd == "data") return RunData(args, out, err);
  err << "verifier: unknown command '" << cmd << "'\n" << UsageText();
  return 2;
}

}  // namespace dcp::verifier
