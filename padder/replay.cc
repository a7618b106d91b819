// BuildSource and RunReplay (declared in engine.h): the `padder --config` command around the
// engine.
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "mysql/binlog/file_reader.h"
#include "mysql/binlog/stream_reader.h"
#include "padder/engine.h"
#include "padder/mysql_target.h"
#include "util/atomic_file.h"
#include "util/status_macros.h"

namespace dcp::padder {

namespace bl = ::dcp::mysql::binlog;

absl::StatusOr<std::unique_ptr<bl::RawEventSource>> BuildSource(
    const Options& options, const std::optional<Checkpoint>& checkpoint,
    bl::Decoder::Options& decoder_options) {
  if (options.source.has_value()) {
    bl::StreamReader::Options so;
    so.dsn = *options.source;
    so.server_id = options.source_server_id;
    if (so.server_id == 0) {
      return absl::InvalidArgumentError("a live source needs a replica server id (server-id)");
    }
    if (checkpoint.has_value() && !checkpoint->gtid.empty()) {
      so.gtid = checkpoint->gtid;
    } else if (checkpoint.has_value()) {
      so.file = checkpoint->position.file;
      so.position = checkpoint->position.offset;
    } else if (!options.gtid_start.empty()) {
      so.gtid = options.gtid_start;
    } else {
      so.file = options.start_file;
      so.position = options.start_position;
    }
    ASSIGN_OR_RETURN(std::unique_ptr<bl::StreamReader> stream, bl::StreamReader::Open(so));
    decoder_options.initial_checksum = stream->checksum();
    return std::unique_ptr<bl::RawEventSource>(std::move(stream));
  }
  if (options.binlog_files.empty()) {
    return absl::InvalidArgumentError("no source: give binlog-list or a source server");
  }
  bl::FileReader::Options fo;
  std::string start_file = options.start_file;
  fo.start_position = options.start_position;
  if (checkpoint.has_value()) {
    start_file = checkpoint->position.file;
    fo.start_position = checkpoint->position.offset;
  }
  bool started = start_file.empty();
  for (const std::string& f : options.binlog_files) {
    if (!started && std::filesystem::path(f).filename().string() == start_file) started = true;
    if (started) fo.files.push_back(f);
  }
  if (fo.files.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the start file ", start_file, " is not in binlog-list"));
  }
  if (!options.stop_file.empty() && options.stop_position.has_value() &&
      std::filesystem::path(fo.files.back()).filename().string() == options.stop_file) {
    fo.stop_position = options.stop_position;
  }
  ASSIGN_OR_RETURN(std::unique_ptr<bl::FileReader> reader, bl::FileReader::Open(fo));
  return std::unique_ptr<bl::RawEventSource>(std::move(reader));
}

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
