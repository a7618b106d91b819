// padder: replay binlog ranges into a target (gravity-compatible padder.toml) and repair the
// keys of a diff report. The command line is padder/cli.h.
#include <malloc.h>

#include <iostream>
#include <string>
#include <vector>

#include "padder/cli.h"
#include "util/cli.h"

int main(int argc, char** argv) {
  // Each replay batch allocates and frees buffers of hundreds of KB (parameters, the
  // statement's packet); with glibc's defaults they come from fresh mmaps or a trimmed heap,
  // and their page faults were a third of padder's CPU time. Keep them in the heap (bounded
  // by the batch limits). Process-wide, so set here rather than in the library.
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  std::vector<std::string> args(argv + 1, argv + argc);
  // Parsed into `args`: from here on ps shows no password given inline in a DSN.
  dcp::cli::ScrubPasswordsInArgv(argc, argv);
  return dcp::padder::RunCli(args, std::cout, std::cerr);
}
