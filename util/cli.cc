#include "util/cli.h"

#include <algorithm>
#include <cstring>
#include <iostream>
#include <map>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "util/log.h"
#include "util/url.h"
#include "util/version.h"

namespace dcp::cli {
namespace {

std::string VersionText(const std::string& program) {
  return absl::StrCat(program, " ", Version(), " (revision ", Revision(), ")");
}

const CLI::App* Root(const CLI::App& app) {
  const CLI::App* a = &app;
  while (a->get_parent() != nullptr) a = a->get_parent();
  return a;
}

void Setup(CLI::App& app, CommonFlags* common) {
  app.set_help_flag("-h,--help", "print this help and exit");
  app.set_version_flag("--version", VersionText(Root(app)->get_name()),
                       "print the version and git revision and exit");
  app.add_option("--log-level", common->log_level,
                 "debug, info, warning or error (default: $DCP_LOG_LEVEL, else info)")
      ->group("Logging");
  app.add_option("--log-format", common->log_format,
                 "text, or json: one JSON object per line on stderr (default: text)")
      ->group("Logging");
  app.get_formatter()->column_width(34);
}

// "verifier data": the names from the root to the deepest selected command.
std::string CommandName(const CLI::App& root, const CLI::App** deepest) {
  const CLI::App* a = &root;
  std::string name = a->get_name();
  while (!a->get_subcommands().empty()) {
    a = a->get_subcommands().front();
    absl::StrAppend(&name, " ", a->get_name());
  }
  *deepest = a;
  return name;
}

// Every long and short flag name of `app` ("--chunk-time", "-h").
std::vector<std::string> FlagNames(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::Option* o : app.get_options()) {
    for (const std::string& l : o->get_lnames()) names.push_back("--" + l);
    for (const std::string& s : o->get_snames()) names.push_back("-" + s);
  }
  return names;
}

std::vector<std::string> SubcommandNames(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::App* s : app.get_subcommands({})) names.push_back(s->get_name());
  return names;
}

// The message for arguments nothing accepted: the first unknown flag (or word) with the
// closest known one.
std::string ExtrasMessage(const CLI::App& root, const std::vector<std::string>& extras,
                          const CLI::App& deepest) {
  const std::string first = extras.empty() ? "" : extras.front();
  std::string suggestion;
  std::string what;
  if (absl::StartsWith(first, "-")) {
    const std::string flag = first.substr(0, first.find('='));
    what = absl::StrCat("unknown option '", flag, "'");
    suggestion = Suggest(flag, FlagNames(deepest));
  } else if (!deepest.get_subcommands({}).empty()) {
    what = absl::StrCat("unknown command '", first, "'");
    suggestion = Suggest(first, SubcommandNames(deepest));
  } else {
    what = absl::StrCat("unexpected argument '", first, "'");
  }
  std::string msg = what;
  if (!suggestion.empty()) absl::StrAppend(&msg, "; did you mean '", suggestion, "'?");
  const CLI::App* ignored = nullptr;
  absl::StrAppend(&msg, " (see '", CommandName(root, &ignored), " --help')");
  return msg;
}

// Applies --log-format early, from the raw arguments, so that usage errors use it too.
void PreApplyLogFormat(const std::vector<std::string>& args) {
  for (size_t i = 0; i < args.size(); ++i) {
    std::string value;
    if (args[i] == "--log-format" && i + 1 < args.size()) {
      value = args[i + 1];
    } else if (absl::StartsWith(args[i], "--log-format=")) {
      value = args[i].substr(std::strlen("--log-format="));
    } else {
      continue;
    }
    if (std::optional<LogFormat> f = ParseLogFormat(value)) SetLogFormat(*f);
  }
}

absl::Status ApplyCommonFlags(const CommonFlags& common) {
  const std::optional<LogFormat> format = ParseLogFormat(common.log_format);
  if (!format) {
    return absl::InvalidArgumentError(
        absl::StrCat("--log-format must be text or json, not '", common.log_format, "'"));
  }
  SetLogFormat(*format);
  if (!common.log_level.empty()) {
    const std::optional<LogLevel> level = ParseLogLevel(common.log_level);
    if (!level) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--log-level must be debug, info, warning or error, not '", common.log_level, "'"));
    }
    SetMinLogLevel(*level);
  }
  return absl::OkStatus();
}

size_t EditDistance(absl::string_view a, absl::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

}  // namespace

std::unique_ptr<CLI::App> NewApp(const std::string& name, const std::string& description,
                                 CommonFlags* common) {
  auto app = std::make_unique<CLI::App>(description, name);
  Setup(*app, common);
  app->set_help_all_flag("--help-all", "print the help of every command and exit");
  const CLI::App* root = app.get();
  app->add_flag_callback(
         "--bash-completion",
         [root] { throw CLI::CallForVersion(BashCompletion(*root), 0); },
         "print a bash completion script and exit")
      ->group("");
  SetLogProgram(name);
  return app;
}

CLI::App* AddCommand(CLI::App& parent, const std::string& name, const std::string& description,
                     CommonFlags* common) {
  CLI::App* sub = parent.add_subcommand(name, description);
  Setup(*sub, common);
  return sub;
}

std::optional<int> Parse(CLI::App& app, const std::vector<std::string>& args, CommonFlags& common,
                         std::ostream& out, std::ostream& err) {
  PreApplyLogFormat(args);
  std::vector<std::string> reversed(args.rbegin(), args.rend());
  const CLI::App* deepest = &app;
  try {
    app.parse(reversed);
  } catch (const CLI::Success& e) {  // --help, --version
    return app.exit(e, out, err);
  } catch (const CLI::ExtrasError& e) {
    const std::string name = CommandName(app, &deepest);
    err << FormatUserLine(LogLevel::kError, name,
                          RedactUrlPasswords(ExtrasMessage(app, app.remaining(true), *deepest)));
    return kUsageExit;
  } catch (const CLI::Error& e) {
    const std::string name = CommandName(app, &deepest);
    // A required flag is checked before unknown ones: the unknown flag is likely the
    // misspelt required one, so it is what to report.
    const std::vector<std::string> extras = app.remaining(true);
    if (!extras.empty() && absl::StartsWith(extras.front(), "-")) {
      err << FormatUserLine(LogLevel::kError, name,
                            RedactUrlPasswords(ExtrasMessage(app, extras, *deepest)));
      return kUsageExit;
    }
    err << FormatUserLine(
        LogLevel::kError, name,
        absl::StrCat(RedactUrlPasswords(e.what()), " (see '", name, " --help')"));
    return kUsageExit;
  }
  if (absl::Status s = ApplyCommonFlags(common); !s.ok()) {
    return Fail(err, CommandName(app, &deepest), s, kUsageExit);
  }
  return std::nullopt;
}

std::optional<int> Parse(CLI::App& app, int argc, char** argv, CommonFlags& common) {
  std::vector<std::string> args(argv + 1, argv + argc);
  std::optional<int> code = Parse(app, args, common, std::cout, std::cerr);
  std::cout.flush();
  return code;
}

int Fail(std::ostream& err, absl::string_view program, const absl::Status& status, int code) {
  err << FormatUserLine(LogLevel::kError, program, RedactUrlPasswords(status.message()));
  err.flush();
  return code;
}

int Fail(absl::string_view program, const absl::Status& status, int code) {
  return Fail(std::cerr, program, status, code);
}

std::string Suggest(absl::string_view word, const std::vector<std::string>& candidates) {
  if (word.empty() || word == "-" || word == "--") return "";
  std::string best;
  size_t best_distance = std::max<size_t>(2, word.size() / 3) + 1;
  for (const std::string& c : candidates) {
    // A prefix of a flag ("--chunk") is what was meant when only one flag starts so.
    if (word.size() >= 3 && absl::StartsWith(c, word)) return c;
    const size_t d = EditDistance(word, c);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  return best;
}

std::vector<std::vector<std::string>> CommandPaths(const CLI::App& app) {
  std::vector<std::vector<std::string>> paths = {{}};
  for (const CLI::App* sub : app.get_subcommands({})) {
    for (std::vector<std::string> p : CommandPaths(*sub)) {
      p.insert(p.begin(), sub->get_name());
      paths.push_back(std::move(p));
    }
  }
  return paths;
}

absl::StatusOr<absl::Duration> ParseDuration(absl::string_view flag, absl::string_view text) {
  absl::Duration d;
  double secs = 0;
  if (absl::SimpleAtod(text, &secs)) {
    d = absl::Seconds(secs);
  } else if (!absl::ParseDuration(text, &d)) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": not a duration: '", text, "' (e.g. 2s, 500ms, 1m30s)"));
  }
  if (d < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(flag, ": must not be negative"));
  }
  return d;
}

int ScrubPasswordsInArgv(int argc, char** argv) {
  int scrubbed = 0;
  for (int i = 1; i < argc; ++i) {
    for (const auto& [begin, end] : UrlPasswordSpans(argv[i])) {
      std::memset(argv[i] + begin, 'x', end - begin);
      ++scrubbed;
    }
  }
  return scrubbed;
}

}  // namespace dcp::cli
