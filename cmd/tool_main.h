// Shared argument handling for the three tools' thin mains while their libraries are being
// built: each tool lists its commands and says plainly which are not available yet.
#ifndef DCP_CMD_TOOL_MAIN_H_
#define DCP_CMD_TOOL_MAIN_H_

#include <cstdio>
#include <cstring>

namespace dcp::cmd {

struct PlannedCommand {
  const char* name;
  const char* summary;
};

// Prints usage for `tool`; returns the process exit code: 0 for -h/--help/--version,
// 2 for anything else, since no command of the tool is built yet.
template <size_t N>
int RunUnbuiltTool(const char* tool, const char* what, const PlannedCommand (&commands)[N],
                   int argc, char** argv) {
  const bool help = argc >= 2 && (std::strcmp(argv[1], "-h") == 0 ||
                                  std::strcmp(argv[1], "--help") == 0 ||
                                  std::strcmp(argv[1], "help") == 0);
  if (argc >= 2 && std::strcmp(argv[1], "--version") == 0) {
    std::printf("%s %s\n", tool, DCP_VERSION);
    return 0;
  }
  FILE* out = help ? stdout : stderr;
  std::fprintf(out, "%s %s: %s\n\n", tool, DCP_VERSION, what);
  std::fprintf(out, "Commands (none is built in this version yet; each arrives with its issue):\n");
  for (const PlannedCommand& c : commands) std::fprintf(out, "  %-14s %s\n", c.name, c.summary);
  std::fprintf(out, "\nThis build only prints this message.\n");
  if (!help && argc >= 2) {
    std::fprintf(stderr, "%s: '%s' is not available in this build\n", tool, argv[1]);
  }
  return help ? 0 : 2;
}

}  // namespace dcp::cmd

#endif  // DCP_CMD_TOOL_MAIN_H_
