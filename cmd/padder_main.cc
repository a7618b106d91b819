#include "cmd/tool_main.h"

int main(int argc, char** argv) {
  static constexpr dcp::cmd::PlannedCommand kCommands[] = {
      {"--config F", "replay binlog ranges into a target (gravity-compatible padder.toml)"},
      {"repair", "make the keys of a verifier/dcp diff report equal to the source"},
  };
  return dcp::cmd::RunUnbuiltTool("padder", "backfill and repair a target", kCommands, argc,
                                  argv);
}
