#include "padder/replay_progress.h"

#include <filesystem>
#include <system_error>

namespace dcp::padder {
namespace {

constexpr uint64_t kEventsPerUpdate = 256;

std::string BaseName(const std::string& path) {
  return std::filesystem::path(path).filename().string();
}

const char* Unit(const Options& o) {
  if (!o.binlog_files.empty()) return "bytes";
  return ParseGtidPosition(o.gtid_stop).ok() && !o.gtid_stop.empty() ? "transactions" : "events";
}

}  // namespace

ReplayProgress::ReplayProgress(const Options& options, const std::optional<Position>& start,
                               Clock* clock)
    : reporter_(options.progress, Unit(options), clock) {
  if (!options.binlog_files.empty()) {
    kind_ = Kind::kFiles;
    const std::string start_file = start ? start->file : options.start_file;
    const uint64_t start_offset = start ? start->offset : options.start_position;
    bool started = start_file.empty();
    for (const std::string& path : options.binlog_files) {
      const std::string name = BaseName(path);
      if (!started && name != start_file) continue;
      const uint64_t base = started ? 0 : start_offset;
      started = true;
      std::error_code ec;
      uint64_t end = std::filesystem::file_size(path, ec);
      if (ec) end = 0;
      if (name == options.stop_file && options.stop_position) end = *options.stop_position;
      files_.push_back(name);
      bases_.push_back(base);
      reporter_.AddItem(name, end > base ? end - base : 0);
      ++items_;
      if (name == options.stop_file && options.stop_position) break;
    }
    return;
  }
  if (!options.gtid_stop.empty()) {
    absl::StatusOr<GtidPosition> stop = ParseGtidPosition(options.gtid_stop);
    absl::StatusOr<GtidPosition> from = ParseGtidPosition(options.gtid_start);
    if (stop.ok()) {
      kind_ = Kind::kGtid;
      for (const auto& [domain, server_seq] : *stop) {
        uint64_t first = 0;
        if (from.ok()) {
          if (auto it = from->find(domain); it != from->end()) first = it->second.second;
        }
        const uint64_t last = server_seq.second;
        domains_[domain] = Domain{
            reporter_.AddItem("domain " + std::to_string(domain), last > first ? last - first : 0),
            first};
        ++items_;
      }
      return;
    }
  }
  reporter_.AddItem("stream", 0);
  items_ = 1;
}

void ReplayProgress::Finish(bool completed) {
  if (completed) {
    for (size_t i = 0; i < items_; ++i) reporter_.FinishItem(i);
  }
  reporter_.Finish();
}

void ReplayProgress::Update(size_t file, uint64_t end_offset) {
  for (; current_ < file; ++current_) reporter_.FinishItem(current_);
  reporter_.SetDone(file, end_offset > bases_[file] ? end_offset - bases_[file] : 0);
  reporter_.MaybeReport();
}

void ReplayProgress::OnEvent(absl::string_view file, uint64_t end_offset) {
  if (!reporter_.enabled()) return;
  ++events_;
  if (kind_ == Kind::kFiles) {
    if (current_ < files_.size() && file == files_[current_]) {
      if (events_ % kEventsPerUpdate == 0) Update(current_, end_offset);
      return;
    }
    for (size_t i = current_; i < files_.size(); ++i) {
      if (files_[i] == file) {
        Update(i, end_offset);
        return;
      }
    }
    return;
  }
  if (kind_ == Kind::kEvents && events_ % kEventsPerUpdate == 0) {
    reporter_.Advance(0, kEventsPerUpdate);
    reporter_.MaybeReport();
  }
}

void ReplayProgress::OnGtid(uint32_t domain, uint64_t sequence) {
  if (kind_ != Kind::kGtid) return;
  auto it = domains_.find(domain);
  if (it == domains_.end()) return;
  reporter_.SetDone(it->second.item, sequence > it->second.start ? sequence - it->second.start : 0);
  reporter_.MaybeReport();
}

}  // namespace dcp::padder
