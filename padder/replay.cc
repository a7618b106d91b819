// RunReplay (declared in engine.h): the `padder --config` command.
#include <fstream>

#include "absl/strings/str_cat.h"
#include "padder/engine.h"
#include "padder/mysql_target.h"
#include "util/atomic_file.h"
#include "util/status_macros.h"

namespace dcp::padder {

absl::Status RunReplay(const Options& options, std::ostream& out) {
  std::optional<Checkpoint> checkpoint;
  if (!options.checkpoint_file.empty() && !options.preview) {
    ASSIGN_OR_RETURN(std::optional<std::string> text, ReadFileIfExists(options.checkpoint_file));
    if (text.has_value()) {
      ASSIGN_OR_RETURN(Checkpoint c, Checkpoint::Parse(*text));
      checkpoint = c;
      out << "resuming at " << c.position.ToString()
          << (c.gtid.empty() ? "" : absl::StrCat(" (gtid ", c.gtid, ")")) << "\n";
    }
  }
  ASSIGN_OR_RETURN(std::unique_ptr<MysqlTarget> target, MysqlTarget::Open(options.target));
  mysql::binlog::Decoder::Options decoder_options;
  ASSIGN_OR_RETURN(std::unique_ptr<mysql::binlog::RawEventSource> source,
                   BuildSource(options, checkpoint, decoder_options));
  Engine engine(options, target.get());
  Engine::Result result = engine.Run(source.get(), decoder_options);
  if (options.preview) {
    RETURN_IF_ERROR(WriteFileAtomically(options.stats_file, result.stats.ToJson()));
    out << "preview: nothing applied; statistics in " << options.stats_file << "\n";
  }
  out << result.stats.Summary();
  return result.status;
}

}  // namespace dcp::padder
