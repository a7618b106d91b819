// verifier: offline schema and data comparison of a source and a target. See docs/verifier.md.
#include <iostream>
#include <string>
#include <vector>

#include "util/cli.h"
#include "verifier/cli.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  // Parsed into `args`: from here on ps shows no password given inline in a DSN.
  dcp::cli::ScrubPasswordsInArgv(argc, argv);
  return dcp::verifier::RunCli(args, std::cout, std::cerr);
}
