#include "padder/checkpoint.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "util/atomic_file.h"
#include "util/status_macros.h"

namespace dcp::padder {
namespace {

// Replaces `path` with `content` through a temporary file and a rename, without fsync: other
// processes see the old or the new content, never a mix; after an OS crash it may be older.
absl::Status ReplaceFile(const std::string& path, const std::string& content) {
  const std::string tmp = absl::StrCat(path, ".tmp.", getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << content;
    out.close();
    if (!out) return absl::InternalError(absl::StrCat("writing ", tmp, " failed"));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    return absl::InternalError(absl::StrCat("rename to ", path, ": ", ec.message()));
  }
  return absl::OkStatus();
}

}  // namespace

std::string Position::ToString() const { return absl::StrCat(file, ":", offset); }

std::string Checkpoint::Serialize() const {
  return absl::StrCat("file=", position.file, "\nposition=", position.offset, "\ngtid=", gtid,
                      "\ntransactions=", transactions, "\n");
}

absl::StatusOr<Checkpoint> Checkpoint::Parse(absl::string_view text) {
  Checkpoint c;
  bool have_file = false, have_pos = false;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipWhitespace())) {
    const size_t eq = line.find('=');
    if (eq == absl::string_view::npos) {
      return absl::DataLossError(absl::StrCat("checkpoint: bad line '", line, "'"));
    }
    absl::string_view key = line.substr(0, eq), value = line.substr(eq + 1);
    if (key == "file") {
      c.position.file = std::string(value);
      have_file = true;
    } else if (key == "position") {
      if (!absl::SimpleAtoi(value, &c.position.offset)) {
        return absl::DataLossError(absl::StrCat("checkpoint: bad position '", value, "'"));
      }
      have_pos = true;
    } else if (key == "gtid") {
      c.gtid = std::string(value);
    } else if (key == "transactions") {
      if (!absl::SimpleAtoi(value, &c.transactions)) {
        return absl::DataLossError(absl::StrCat("checkpoint: bad transactions '", value, "'"));
      }
    }
  }
  if (!have_file || !have_pos) return absl::DataLossError("checkpoint: file or position missing");
  return c;
}

absl::StatusOr<GtidPosition> ParseGtidPosition(absl::string_view text) {
  GtidPosition p;
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    std::vector<absl::string_view> f = absl::StrSplit(absl::StripAsciiWhitespace(part), '-');
    uint32_t domain = 0, server = 0;
    uint64_t seq = 0;
    if (f.size() != 3 || !absl::SimpleAtoi(f[0], &domain) || !absl::SimpleAtoi(f[1], &server) ||
        !absl::SimpleAtoi(f[2], &seq)) {
      return absl::InvalidArgumentError(
          absl::StrCat("'", part, "' is not a MariaDB GTID (domain-server-sequence)"));
    }
    p[domain] = {server, seq};
  }
  return p;
}

std::string GtidPositionToString(const GtidPosition& p) {
  std::vector<std::string> parts;
  for (const auto& [domain, v] : p)
    parts.push_back(absl::StrCat(domain, "-", v.first, "-", v.second));
  return absl::StrJoin(parts, ",");
}

absl::Status CheckpointWriter::Write(const Checkpoint& checkpoint, bool durable) {
  if (path_.empty()) return absl::OkStatus();
  const absl::Time now = clock_->Now();
  if (durable || now - last_sync_ >= absl::Seconds(1)) {
    RETURN_IF_ERROR(WriteFileAtomically(path_, checkpoint.Serialize()));
    last_sync_ = now;
    synced_ = true;
    return absl::OkStatus();
  }
  synced_ = false;
  return ReplaceFile(path_, checkpoint.Serialize());
}

}  // namespace dcp::padder
