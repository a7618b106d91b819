#include "cmd/tool_main.h"

int main(int argc, char** argv) {
  static constexpr dcp::cmd::PlannedCommand kCommands[] = {
      {"schema", "compare the schemas of a source and a target"},
      {"data", "compare the data of a source and a target, row-exact"},
      {"--config F", "gravity-compatible verifier.conf mode"},
  };
  return dcp::cmd::RunUnbuiltTool("verifier", "offline schema and data comparison", kCommands,
                                  argc, argv);
}
