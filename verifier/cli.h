// The verifier's command line (CLI11, util/cli.h): parses arguments into the library's
// options, runs the command and returns the process exit status (0 identical, 1 differences
// found, 2 error).
//
//   verifier schema --source DSN --target DSN [filters] [--ignore CLASS,...] [--column-order]
//   verifier data   --source DSN --target DSN [filters] [data options]
//   verifier data   --config verifier.toml [flags that override the file]
//   verifier --config verifier.conf      (gravity-compatible)
//
// Reports go to `out`, help to `out`, errors and warnings to `err`; progress and throttling
// go through the logger (stderr). Thread-compatible.
#ifndef DCP_VERIFIER_CLI_H_
#define DCP_VERIFIER_CLI_H_

#include <ostream>
#include <string>
#include <vector>

namespace dcp::verifier {

// The --help text.
std::string UsageText();

// `args` excludes the program name.
int RunCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace dcp::verifier

#endif  // DCP_VERIFIER_CLI_H_
