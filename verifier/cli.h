// The verifier's command line: parses arguments into the library's options, runs the command
// and returns the process exit status (0 identical, 1 differences found, 2 error).
//
//   verifier schema --source DSN --target DSN [filters] [--ignore CLASS,...] [--column-order]
//   verifier data   --source DSN --target DSN [filters] [data options]
//   verifier --config verifier.conf
//
// Reports go to `out`, errors and progress to `err`. Thread-compatible.
#ifndef DCP_VERIFIER_CLI_H_
#define DCP_VERIFIER_CLI_H_

#include <ostream>
#include <string>
#include <vector>

namespace dcp::verifier {

// The --help text (mentions "Commands").
std::string UsageText();

// `args` excludes the program name.
int RunCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace dcp::verifier

#endif  // DCP_VERIFIER_CLI_H_
