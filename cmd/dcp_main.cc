#include <cstring>

#include "cmd/tool_main.h"
#include "mysql/binlog/tool.h"

int main(int argc, char** argv) {
  // Built commands dispatch to their libraries; the rest still say they are not built.
  if (argc >= 2 && std::strcmp(argv[1], "binlog") == 0) {
    return dcp::mysql::binlog::BinlogMain(argc - 1, argv + 1);
  }
  static constexpr dcp::cmd::PlannedCommand kCommands[] = {
      {"run", "run the checker daemon from a TOML config (--config F)"},
      {"check-config", "validate a config file without connecting"},
      {"binlog", "decode binlog files or a live binlog stream to JSON lines (built)"},
      {"push", "push JSON-lines row changes to a dcp gRPC collector"},
      {"collect", "run only the configured collectors and stream to a remote checker"},
  };
  return dcp::cmd::RunUnbuiltTool(
      "dcp", "online data-consistency checker for replicated MySQL/MariaDB", kCommands, argc, argv);
}
