// verifier: offline schema and data comparison of a source and a target. See docs/verifier.md.
#include <iostream>
#include <string>
#include <vector>

#include "verifier/cli.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return dcp::verifier::RunCli(args, std::cout, std::cerr);
}
