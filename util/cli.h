// The one command-line grammar of dcp, verifier and padder: CLI11 apps set up the same way.
//
// Every command and subcommand has -h/--help (usage on stdout, exit 0), --version (version
// and git revision), --log-level and --log-format=text|json. A usage error exits 2 with one
// message through LogUser() (so it is a JSON object under --log-format=json); an unknown
// flag or command gets a "did you mean" when one is close. Passwords in URLs echoed by an
// error are redacted.
//
//   dcp::cli::CommonFlags common;
//   auto app = dcp::cli::NewApp("padder", "backfill and repair a target", &common);
//   CLI::App* repair = dcp::cli::AddCommand(*app, "repair", "repair keys", &common);
//   repair->add_option("--report", options.report_file, "...")->required();
//   if (std::optional<int> code = dcp::cli::Parse(*app, argc, argv, common)) return *code;
//
// CLI11 throws; Parse() is the only place its exceptions are caught, so nothing escapes.
// Thread-compatible; a process parses its command line once.
#ifndef DCP_UTIL_CLI_H_
#define DCP_UTIL_CLI_H_

#include <CLI/CLI.hpp>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace dcp::cli {

// The exit code of a usage or configuration error, of every tool.
inline constexpr int kUsageExit = 2;

// Flags every command has.
struct CommonFlags {
  std::string log_level;  // empty: DCP_LOG_LEVEL, else info
  std::string log_format = "text";
};

// A top-level app named `name` with the common flags bound to `common` (not owned; must
// outlive the app) and --version.
std::unique_ptr<CLI::App> NewApp(const std::string& name, const std::string& description,
                                 CommonFlags* common);

// A subcommand of `parent` with the same help, version and common flags.
CLI::App* AddCommand(CLI::App& parent, const std::string& name, const std::string& description,
                     CommonFlags* common);

// Parses `args` (without the program name). std::nullopt: go on. Otherwise the exit code to
// return at once: 0 after --help or --version (written to `out`), 2 after a usage error
// (written to `err` as LogUser would). On success the common flags are applied (log level
// and format; an invalid value is a usage error). Before parsing, a --log-format in `args`
// is applied so that even a usage error comes out in that format.
std::optional<int> Parse(CLI::App& app, const std::vector<std::string>& args, CommonFlags& common,
                         std::ostream& out, std::ostream& err);
std::optional<int> Parse(CLI::App& app, int argc, char** argv, CommonFlags& common);

// The user-facing line for `message` in the current log format (with its newline).
std::string UserLine(absl::string_view program, bool warning, absl::string_view message);

// Writes an error of `program` to `err` and returns `code` (2 for usage and configuration
// errors, 1 for failed runs by the tools' conventions).
int Fail(std::ostream& err, absl::string_view program, const absl::Status& status, int code);
// Same, to stderr through the logger.
int Fail(absl::string_view program, const absl::Status& status, int code);

// The closest of `candidates` to `word`, when close enough to be what was meant (a prefix,
// or a small edit distance); empty otherwise.
std::string Suggest(absl::string_view word, const std::vector<std::string>& candidates);

// The names of every command of `app`: {} for the app itself, then {"sub"}, {"sub", "subsub"}.
std::vector<std::vector<std::string>> CommandPaths(const CLI::App& app);

// A bash completion script for `app` (commands, their flags, and file names for values).
std::string BashCompletion(const CLI::App& app);

// "10s", "1m30s", "500ms" (absl::ParseDuration) or a plain number of seconds ("2", "0.5").
// kInvalidArgument naming `flag` otherwise or when negative.
absl::StatusOr<absl::Duration> ParseDuration(absl::string_view flag, absl::string_view text);

// Overwrites, in place, the password of every URL-style argument ("mysql://user:pw@host")
// in argv with 'x's, as the mysql client does, so that ps and /proc/PID/cmdline stop showing
// it once the process has parsed its arguments. Returns how many were scrubbed.
int ScrubPasswordsInArgv(int argc, char** argv);

}  // namespace dcp::cli

#endif  // DCP_UTIL_CLI_H_
