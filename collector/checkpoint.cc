#include "collector/checkpoint.h"

#include <tuple>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "util/atomic_file.h"
#include "util/status_macros.h"

namespace dcp::collector {

std::string Checkpoint::ToJson() const {
  nlohmann::json j = {
      {"file", file},           {"position", position},
      {"gtid", gtid},           {"flavor", flavor},
      {"server_id", server_id},
      {"saved_at", absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", saved_at, absl::UTCTimeZone())},
  };
  if (!seqs.empty()) j["seqs"] = seqs;
  return j.dump() + "\n";
}

absl::StatusOr<Checkpoint> Checkpoint::FromJson(absl::string_view json) {
  nlohmann::json j = nlohmann::json::parse(std::string_view(json.data(), json.size()), nullptr,
                                           /*allow_exceptions=*/false);
  auto bad = [](absl::string_view why) {
    return absl::DataLossError(absl::StrCat("not a checkpoint: ", why));
  };
  if (j.is_discarded() || !j.is_object()) return bad("not a JSON object");
  Checkpoint c;
  auto str = [&](const char* key, std::string* out) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_string()) return false;
    *out = it->get<std::string>();
    return true;
  };
  auto num = [&](const char* key, uint64_t* out) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_number_unsigned()) return false;
    *out = it->get<uint64_t>();
    return true;
  };
  uint64_t server_id = 0;
  std::string saved_at;
  if (!str("file", &c.file) || !num("position", &c.position) || !str("gtid", &c.gtid) ||
      !str("flavor", &c.flavor) || !num("server_id", &server_id) || !str("saved_at", &saved_at)) {
    return bad("missing or mistyped field (file, position, gtid, flavor, server_id, saved_at)");
  }
  if (server_id > 0xffffffffu) return bad("server_id out of range");
  c.server_id = static_cast<uint32_t>(server_id);
  if (auto it = j.find("seqs"); it != j.end()) {
    if (!it->is_object()) return bad("seqs is not an object");
    for (const auto& [tag, seq] : it->items()) {
      if (!seq.is_number_unsigned()) return bad("seqs: not an unsigned number");
      c.seqs[tag] = seq.get<uint64_t>();
    }
  }
  std::string err;
  if (!absl::ParseTime("%Y-%m-%dT%H:%M:%E*SZ", saved_at, &c.saved_at, &err)) {
    return bad(absl::StrCat("saved_at: ", err));
  }
  return c;
}

std::string Checkpoint::ToString() const {
  return absl::StrCat(file, ":", position, gtid.empty() ? "" : absl::StrCat(" gtid ", gtid));
}

bool operator==(const Checkpoint& a, const Checkpoint& b) {
  return std::tie(a.file, a.position, a.gtid, a.flavor, a.server_id, a.saved_at, a.seqs) ==
         std::tie(b.file, b.position, b.gtid, b.flavor, b.server_id, b.saved_at, b.seqs);
}

absl::StatusOr<std::optional<Checkpoint>> CheckpointStore::Load() const {
  ASSIGN_OR_RETURN(std::optional<std::string> text, ReadFileIfExists(path_));
  if (!text) return std::nullopt;
  auto c = Checkpoint::FromJson(*text);
  if (!c.ok()) {
    return absl::DataLossError(absl::StrCat(path_, ": ", c.status().message(),
                                            "; move it away to start from the configured position"));
  }
  return *c;
}

absl::Status CheckpointStore::Save(const Checkpoint& checkpoint) const {
  return WriteFileAtomically(path_, checkpoint.ToJson());
}

}  // namespace dcp::collector
