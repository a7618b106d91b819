// padder: replay binlog ranges into a target (gravity-compatible padder.toml) and repair the
// keys of a diff report. Flags -> Options -> library -> exit code (0 ok, 1 run failed or
// stopped by a conflict/DDL, 2 usage or config error).
#include <malloc.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "padder/engine.h"
#include "padder/options.h"
#include "padder/repair.h"

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

int Repair(int argc, char** argv) {
  dcp::padder::RepairOptions o;
  std::string source, target;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&](std::string& v) {
      if (i + 1 >= argc) return false;
      v = argv[++i];
      return true;
    };
    std::string batch, rename;
    if (a == "--report" && value(o.report_file)) {
    } else if (a == "--source" && value(source)) {
    } else if (a == "--target" && value(target)) {
    } else if (a == "--dry-run") {
      o.dry_run = true;
    } else if (a == "--batch-size" && value(batch)) {
      o.batch_size = std::atoi(batch.c_str());
      if (o.batch_size <= 0) {
        std::cerr << "padder repair: --batch-size must be > 0\n";
        return 2;
      }
    } else if (a == "--schema-rename" && value(rename)) {
      const size_t eq = rename.find('=');
      if (eq == std::string::npos) {
        std::cerr << "padder repair: --schema-rename takes src=dst\n";
        return 2;
      }
      o.rename[rename.substr(0, eq)] = rename.substr(eq + 1);
    } else {
      std::cerr << "padder repair: unknown or incomplete argument '" << a << "'\n";
      Usage(std::cerr);
      return 2;
    }
  }
  if (o.report_file.empty() || source.empty() || (target.empty() && !o.dry_run)) {
    std::cerr << "padder repair: --report, --source and --target are required\n";
    return 2;
  }
  auto s = dcp::mysql::Dsn::Parse(source);
  if (!s.ok()) {
    std::cerr << "padder repair: --source: " << s.status().message() << "\n";
    return 2;
  }
  o.source = *s;
  if (!target.empty()) {
    auto t = dcp::mysql::Dsn::Parse(target);
    if (!t.ok()) {
      std::cerr << "padder repair: --target: " << t.status().message() << "\n";
      return 2;
    }
    o.target = *t;
  }
  const absl::Status st = dcp::padder::RunRepair(o, std::cout);
  if (!st.ok()) {
    std::cerr << "padder repair: " << st.message() << "\n";
    // A report that is no report, or a corrupt one: nothing was done, an input error.
    return absl::IsInvalidArgument(st) || absl::IsDataLoss(st) ? 2 : 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Each replay batch allocates and frees buffers of hundreds of KB (parameters, the
  // statement's packet); with glibc's defaults they come from fresh mmaps or a trimmed heap,
  // and their page faults were a third of padder's CPU time. Keep them in the heap (bounded
  // by the batch limits). Process-wide, so set here rather than in the library.
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  if (argc >= 2 && (std::strcmp(argv[1], "-h") == 0 || std::strcmp(argv[1], "--help") == 0 ||
                    std::strcmp(argv[1], "help") == 0)) {
    Usage(std::cout);
    return 0;
  }
  if (argc >= 2 && std::strcmp(argv[1], "--version") == 0) {
    std::cout << "padder " << DCP_VERSION << "\n";
    return 0;
  }
  if (argc >= 2 && std::strcmp(argv[1], "repair") == 0) return Repair(argc, argv);
  return Replay(argc, argv);
}
