// padder: replay binlog ranges into a target (gravity-compatible padder.toml) and repair the
// keys of a diff report. Flags -> Options -> library -> exit code (0 ok, 1 run failed or
// stopped by a conflict/DDL, 2 usage or config error).
#include <unistd.h>

#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "padder/engine.h"
#include "padder/options.h"

namespace {

void Usage(std::ostream& out) {
  out << "padder " << DCP_VERSION << ": backfill and repair a target\n\n"
      << "Commands:\n"
      << "  padder --config padder.toml [--preview] [--progress|--no-progress]\n"
      << "      replay the binlog range of padder.toml into the target (docs/padder.md);\n"
      << "      --preview applies nothing and writes stats.json\n"
      << "  padder repair --report FILE --source DSN --target DSN [--dry-run]\n"
      << "             [--batch-size N] [--schema-rename src=dst]\n"
      << "      make the keys of a verifier JSON report (or a dcp Diff alarm) equal to the\n"
      << "      source's current rows; --dry-run prints the SQL\n";
}

int Replay(int argc, char** argv) {
  std::string config;
  bool preview = false;
  int progress = -1;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if ((a == "--config" || a == "-config") && i + 1 < argc) {
      config = argv[++i];
    } else if (a == "--preview" || a == "-preview") {
      preview = true;
    } else if (a == "--progress") {
      progress = 1;
    } else if (a == "--no-progress") {
      progress = 0;
    } else {
      std::cerr << "padder: unknown argument '" << a << "'\n";
      Usage(std::cerr);
      return 2;
    }
  }
  if (config.empty()) {
    Usage(std::cerr);
    return 2;
  }
  auto options = dcp::padder::ParseConfigFile(config);
  if (!options.ok()) {
    std::cerr << "padder: " << options.status().message() << "\n";
    return 2;
  }
  options->preview = preview;
  options->progress = progress < 0 ? isatty(2) : progress == 1;
  const absl::Status s = dcp::padder::RunReplay(*options, std::cout);
  if (!s.ok()) {
    std::cerr << "padder: " << s.message() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && (std::strcmp(argv[1], "-h") == 0 || std::strcmp(argv[1], "--help") == 0 ||
                    std::strcmp(argv[1], "help") == 0)) {
    Usage(std::cout);
    return 0;
  }
  if (argc >= 2 && std::strcmp(argv[1], "--version") == 0) {
    std::cout << "padder " << DCP_VERSION << "\n";
    return 0;
  }
  return Replay(argc, argv);
}
