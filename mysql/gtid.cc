#include "mysql/gtid.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "util/status_macros.h"

namespace dcp::mysql {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

absl::Status Invalid(absl::string_view what, absl::string_view text) {
  return absl::InvalidArgumentError(absl::StrCat(what, ": \"", text.substr(0, 100), "\""));
}

void PutLe(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

}  // namespace

absl::StatusOr<Uuid> Uuid::Parse(absl::string_view text) {
  Uuid u;
  size_t n = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '-' && text.size() == 36 && (i == 8 || i == 13 || i == 18 || i == 23)) continue;
    const int v = HexValue(c);
    if (v < 0 || n >= 32) return Invalid("bad UUID", text);
    u.bytes[n / 2] = static_cast<uint8_t>(u.bytes[n / 2] << 4 | v);
    ++n;
  }
  if (n != 32) return Invalid("bad UUID", text);
  return u;
}

std::string Uuid::ToString() const {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  s.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) s.push_back('-');
    s.push_back(kHex[bytes[i] >> 4]);
    s.push_back(kHex[bytes[i] & 15]);
  }
  return s;
}

absl::StatusOr<GtidSet> GtidSet::Parse(absl::string_view text) {
  GtidSet set;
  for (absl::string_view element : absl::StrSplit(text, ',')) {
    element = absl::StripAsciiWhitespace(element);
    if (element.empty()) {
      if (absl::StripAsciiWhitespace(text).empty()) break;
      return Invalid("empty element in GTID set", text);
    }
    std::vector<absl::string_view> parts = absl::StrSplit(element, ':');
    ASSIGN_OR_RETURN(Uuid uuid, Uuid::Parse(absl::StripAsciiWhitespace(parts[0])));
    if (parts.size() < 2) return Invalid("GTID set element without intervals", element);
    for (size_t i = 1; i < parts.size(); ++i) {
      absl::string_view iv = absl::StripAsciiWhitespace(parts[i]);
      int64_t start = 0, end = 0;
      const size_t dash = iv.find('-');
      if (dash == absl::string_view::npos) {
        if (!absl::SimpleAtoi(iv, &start)) return Invalid("bad GTID interval (tagged GTIDs are not supported)", iv);
        end = start;
      } else if (!absl::SimpleAtoi(iv.substr(0, dash), &start) ||
                 !absl::SimpleAtoi(iv.substr(dash + 1), &end)) {
        return Invalid("bad GTID interval", iv);
      }
      if (start < 1 || end < start) return Invalid("bad GTID interval", iv);
      set.Add(uuid, {start, end});
    }
  }
  return set;
}

absl::StatusOr<GtidSet> GtidSet::Decode(absl::string_view bytes) {
  GtidSet set;
  size_t pos = 0;
  auto u64 = [&](uint64_t& v) -> bool {
    if (bytes.size() - pos < 8) return false;
    std::memcpy(&v, bytes.data() + pos, 8);
    pos += 8;
    return true;
  };
  auto corrupt = [&](absl::string_view what) {
    return absl::DataLossError(absl::StrCat("corrupt GTID set encoding at byte ", pos, ": ", what));
  };
  uint64_t n_sids;
  if (!u64(n_sids)) return corrupt("truncated sid count");
  if (n_sids > (bytes.size() - pos) / 24) return corrupt("sid count too large");
  for (uint64_t i = 0; i < n_sids; ++i) {
    if (bytes.size() - pos < 16) return corrupt("truncated sid");
    Uuid uuid;
    std::memcpy(uuid.bytes.data(), bytes.data() + pos, 16);
    pos += 16;
    uint64_t n_intervals;
    if (!u64(n_intervals)) return corrupt("truncated interval count");
    if (n_intervals > (bytes.size() - pos) / 16) return corrupt("interval count too large");
    for (uint64_t k = 0; k < n_intervals; ++k) {
      uint64_t start = 0, end = 0;
      u64(start);
      u64(end);
      const auto s = static_cast<int64_t>(start), e = static_cast<int64_t>(end);
      if (s < 1 || e <= s) return corrupt("empty or negative interval");
      set.Add(uuid, {s, e - 1});
    }
  }
  if (pos != bytes.size()) return corrupt("trailing bytes");
  return set;
}

std::string GtidSet::ToString() const {
  std::string s;
  for (const auto& [uuid, ivs] : sets_) {
    if (!s.empty()) s.push_back(',');
    s.append(uuid.ToString());
    for (const Interval& iv : ivs) {
      if (iv.first == iv.second) {
        absl::StrAppend(&s, ":", iv.first);
      } else {
        absl::StrAppend(&s, ":", iv.first, "-", iv.second);
      }
    }
  }
  return s;
}

std::string GtidSet::Encode() const {
  std::string out;
  PutLe(out, sets_.size());
  for (const auto& [uuid, ivs] : sets_) {
    out.append(reinterpret_cast<const char*>(uuid.bytes.data()), 16);
    PutLe(out, ivs.size());
    for (const Interval& iv : ivs) {
      PutLe(out, static_cast<uint64_t>(iv.first));
      PutLe(out, static_cast<uint64_t>(iv.second + 1));  // exclusive end on the wire
    }
  }
  return out;
}

bool GtidSet::Contains(const Uuid& uuid, int64_t gno) const {
  auto it = sets_.find(uuid);
  if (it == sets_.end()) return false;
  const auto& ivs = it->second;
  auto pos = std::upper_bound(ivs.begin(), ivs.end(), Interval{gno, INT64_MAX});
  if (pos == ivs.begin()) return false;
  --pos;
  return gno >= pos->first && gno <= pos->second;
}

bool GtidSet::Contains(const GtidSet& other) const {
  for (const auto& [uuid, ivs] : other.sets_) {
    auto it = sets_.find(uuid);
    if (it == sets_.end()) return false;
    for (const Interval& iv : ivs) {
      // Merged intervals: one of ours must cover the whole of `iv`.
      const auto& mine = it->second;
      auto pos = std::upper_bound(mine.begin(), mine.end(), Interval{iv.first, INT64_MAX});
      if (pos == mine.begin()) return false;
      --pos;
      if (!(pos->first <= iv.first && iv.second <= pos->second)) return false;
    }
  }
  return true;
}

void GtidSet::Add(const Uuid& uuid, int64_t gno) { Add(uuid, {gno, gno}); }

void GtidSet::Add(const Uuid& uuid, Interval iv) {
  auto& ivs = sets_[uuid];
  std::vector<Interval> merged;
  merged.reserve(ivs.size() + 1);
  bool placed = false;
  for (const Interval& cur : ivs) {
    if (cur.second < iv.first - 1) {
      merged.push_back(cur);
    } else if (iv.second < cur.first - 1) {
      if (!placed) {
        merged.push_back(iv);
        placed = true;
      }
      merged.push_back(cur);
    } else {
      iv = {std::min(iv.first, cur.first), std::max(iv.second, cur.second)};
    }
  }
  if (!placed) merged.push_back(iv);
  ivs = std::move(merged);
}

void GtidSet::Add(const GtidSet& other) {
  for (const auto& [uuid, ivs] : other.sets_) {
    for (const Interval& iv : ivs) Add(uuid, iv);
  }
}

absl::StatusOr<MariaGtid> MariaGtid::Parse(absl::string_view text) {
  std::vector<absl::string_view> parts = absl::StrSplit(absl::StripAsciiWhitespace(text), '-');
  MariaGtid g;
  if (parts.size() != 3 || !absl::SimpleAtoi(parts[0], &g.domain_id) ||
      !absl::SimpleAtoi(parts[1], &g.server_id) || !absl::SimpleAtoi(parts[2], &g.sequence) ||
      parts[0].empty() || parts[0][0] == '+' || parts[1][0] == '+' || parts[2][0] == '+') {
    return Invalid("bad MariaDB GTID (domain-server-seq)", text);
  }
  return g;
}

std::string MariaGtid::ToString() const {
  return absl::StrCat(domain_id, "-", server_id, "-", sequence);
}

absl::StatusOr<MariaGtidPosition> MariaGtidPosition::Parse(absl::string_view text) {
  MariaGtidPosition p;
  if (absl::StripAsciiWhitespace(text).empty()) return p;
  for (absl::string_view element : absl::StrSplit(text, ',')) {
    ASSIGN_OR_RETURN(MariaGtid g, MariaGtid::Parse(element));
    if (!p.by_domain_.emplace(g.domain_id, g).second) {
      return Invalid("two GTIDs for one domain", text);
    }
  }
  return p;
}

std::string MariaGtidPosition::ToString() const {
  std::string s;
  for (const auto& [domain, g] : by_domain_) {
    if (!s.empty()) s.push_back(',');
    s.append(g.ToString());
  }
  return s;
}

std::optional<MariaGtid> MariaGtidPosition::Get(uint32_t domain_id) const {
  auto it = by_domain_.find(domain_id);
  if (it == by_domain_.end()) return std::nullopt;
  return it->second;
}

bool MariaGtidPosition::Contains(const MariaGtid& gtid) const {
  auto it = by_domain_.find(gtid.domain_id);
  return it != by_domain_.end() && gtid.sequence <= it->second.sequence;
}

}  // namespace dcp::mysql
