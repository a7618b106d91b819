// padder's command line (CLI11, util/cli.h): parses arguments into the library's options, runs
// the command and returns the process exit status (0 ok; 1 the run failed or stopped at a
// conflict or DDL; 2 usage, configuration or report errors).
//
//   padder --config padder.toml [--preview] [--progress SPEC] [throttling]
//   padder repair --report FILE --source DSN --target DSN [--dry-run] [--batch-size N]
//                 [--schema-rename src=dst]... [--progress SPEC] [throttling]
//
// Summaries and --dry-run SQL go to `out`, help to `out`, errors and warnings to `err`;
// progress and throttling go through the logger (stderr). Thread-compatible.
#ifndef DCP_PADDER_CLI_H_
#define DCP_PADDER_CLI_H_

#include <ostream>
#include <string>
#include <vector>

namespace dcp::padder {

// `args` excludes the program name.
int RunCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace dcp::padder

#endif  // DCP_PADDER_CLI_H_
