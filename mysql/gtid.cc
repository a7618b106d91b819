#include "mysql/gtid.h"

#include <algorithm>
#include <cstring>
#include <optional>

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

// MySQL Gtid_format: the top byte of a binary GTID set's tsid count.
constexpr uint64_t kTaggedFormat = 1;
constexpr size_t kMaxTagLength = 32;

// A variable-length unsigned integer of MySQL's serialization library (see
// binlog::Cursor::SerialVarUint): the first byte's trailing one bits plus one give the
// length, 1..9 bytes. nullopt when truncated.
std::optional<uint64_t> ReadSerialVarUint(absl::string_view bytes, size_t& pos) {
  if (pos >= bytes.size()) return std::nullopt;
  const auto first = static_cast<uint8_t>(bytes[pos]);
  size_t n = 1;
  while (n < 9 && (first >> (n - 1)) & 1) ++n;
  if (bytes.size() - pos < n) return std::nullopt;
  uint64_t rest = 0;
  for (size_t i = 1; i < n; ++i) {
    rest |= static_cast<uint64_t>(static_cast<uint8_t>(bytes[pos + i])) << (8 * (i - 1));
  }
  pos += n;
  if (n == 9) return rest;
  return (static_cast<uint64_t>(first) >> n) | (n > 1 ? rest << (8 - n) : 0);
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

absl::StatusOr<std::string> NormalizeGtidTag(absl::string_view text) {
  if (text.empty() || text.size() > kMaxTagLength) return Invalid("bad GTID tag", text);
  std::string tag(text);
  for (size_t i = 0; i < tag.size(); ++i) {
    const char c = absl::ascii_tolower(tag[i]);
    const bool ok = (c >= 'a' && c <= 'z') || c == '_' || (i > 0 && c >= '0' && c <= '9');
    if (!ok) return Invalid("bad GTID tag", text);
    tag[i] = c;
  }
  return tag;
}

std::string Tsid::ToString() const {
  std::string s = uuid.ToString();
  if (!tag.empty()) absl::StrAppend(&s, ":", tag);
  return s;
}

absl::StatusOr<Gtid> Gtid::Parse(absl::string_view text) {
  std::vector<absl::string_view> parts = absl::StrSplit(absl::StripAsciiWhitespace(text), ':');
  if (parts.size() != 2 && parts.size() != 3) return Invalid("bad GTID", text);
  Gtid g;
  ASSIGN_OR_RETURN(g.tsid.uuid, Uuid::Parse(parts[0]));
  if (parts.size() == 3) {
    ASSIGN_OR_RETURN(g.tsid.tag, NormalizeGtidTag(parts[1]));
  }
  if (!absl::SimpleAtoi(parts.back(), &g.gno) || g.gno < 1 || g.gno == INT64_MAX ||
      parts.back()[0] == '+') {
    return Invalid("bad GTID transaction number", text);
  }
  return g;
}

std::string Gtid::ToString() const { return absl::StrCat(tsid.ToString(), ":", gno); }

absl::StatusOr<GtidSet> GtidSet::Parse(absl::string_view text) {
  GtidSet set;
  for (absl::string_view element : absl::StrSplit(text, ',')) {
    element = absl::StripAsciiWhitespace(element);
    if (element.empty()) {
      if (absl::StripAsciiWhitespace(text).empty()) break;
      return Invalid("empty element in GTID set", text);
    }
    std::vector<absl::string_view> parts = absl::StrSplit(element, ':');
    Tsid tsid;
    ASSIGN_OR_RETURN(tsid.uuid, Uuid::Parse(absl::StripAsciiWhitespace(parts[0])));
    if (parts.size() < 2) return Invalid("GTID set element without intervals", element);
    // Whether the current tag (or the bare uuid) has had an interval yet.
    bool has_interval = false;
    for (size_t i = 1; i < parts.size(); ++i) {
      absl::string_view iv = absl::StripAsciiWhitespace(parts[i]);
      if (!iv.empty() && !absl::ascii_isdigit(iv[0])) {
        if (!tsid.tag.empty() && !has_interval) return Invalid("GTID tag without intervals", iv);
        ASSIGN_OR_RETURN(tsid.tag, NormalizeGtidTag(iv));
        has_interval = false;
        continue;
      }
      int64_t start = 0, end = 0;
      const size_t dash = iv.find('-');
      if (dash == absl::string_view::npos) {
        if (!absl::SimpleAtoi(iv, &start)) return Invalid("bad GTID interval", iv);
        end = start;
      } else if (!absl::SimpleAtoi(iv.substr(0, dash), &start) ||
                 !absl::SimpleAtoi(iv.substr(dash + 1), &end)) {
        return Invalid("bad GTID interval", iv);
      }
      // INT64_MAX is one past MySQL's largest gno, and the exclusive end on the wire.
      if (start < 1 || end < start || end == INT64_MAX) return Invalid("bad GTID interval", iv);
      set.Add(tsid, {start, end});
      has_interval = true;
    }
    if (!has_interval) return Invalid("GTID tag without intervals", element);
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
  uint64_t head;
  if (!u64(head)) return corrupt("truncated sid count");
  const uint64_t format = head >> 56;
  if (format > kTaggedFormat) return corrupt(absl::StrCat("unknown GTID set format ", format));
  const bool tagged = format == kTaggedFormat;
  const uint64_t n_sids = tagged ? (head >> 8) & 0xffffffffffffULL : head & 0xffffffffffffffULL;
  if (n_sids > (bytes.size() - pos) / 24) return corrupt("sid count too large");
  for (uint64_t i = 0; i < n_sids; ++i) {
    if (bytes.size() - pos < 16) return corrupt("truncated sid");
    Tsid tsid;
    std::memcpy(tsid.uuid.bytes.data(), bytes.data() + pos, 16);
    pos += 16;
    if (tagged) {
      auto len = ReadSerialVarUint(bytes, pos);
      if (!len.has_value()) return corrupt("truncated tag length");
      if (*len > kMaxTagLength) return corrupt("tag too long");
      if (bytes.size() - pos < *len) return corrupt("truncated tag");
      if (*len > 0) {
        auto tag = NormalizeGtidTag(bytes.substr(pos, *len));
        if (!tag.ok()) return corrupt("invalid tag");
        tsid.tag = *std::move(tag);
      }
      pos += *len;
    }
    uint64_t n_intervals;
    if (!u64(n_intervals)) return corrupt("truncated interval count");
    if (n_intervals > (bytes.size() - pos) / 16) return corrupt("interval count too large");
    for (uint64_t k = 0; k < n_intervals; ++k) {
      uint64_t start = 0, end = 0;
      u64(start);
      u64(end);
      const auto s = static_cast<int64_t>(start), e = static_cast<int64_t>(end);
      if (s < 1 || e <= s) return corrupt("empty or negative interval");
      set.Add(tsid, {s, e - 1});
    }
  }
  if (pos != bytes.size()) return corrupt("trailing bytes");
  return set;
}

std::string GtidSet::ToString() const {
  std::string s;
  const Uuid* last = nullptr;
  for (const auto& [tsid, ivs] : sets_) {
    if (last == nullptr || *last != tsid.uuid) {
      if (last != nullptr) s.push_back(',');
      s.append(tsid.uuid.ToString());
      last = &tsid.uuid;
    }
    if (!tsid.tag.empty()) absl::StrAppend(&s, ":", tsid.tag);
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

bool GtidSet::tagged() const {
  for (const auto& [tsid, ivs] : sets_) {
    if (!tsid.tag.empty()) return true;
  }
  return false;
}

std::string GtidSet::Encode() const {
  std::string out;
  const bool is_tagged = tagged();
  if (is_tagged) {
    PutLe(out, kTaggedFormat << 56 | static_cast<uint64_t>(sets_.size()) << 8 | kTaggedFormat);
  } else {
    PutLe(out, sets_.size());
  }
  for (const auto& [tsid, ivs] : sets_) {
    out.append(reinterpret_cast<const char*>(tsid.uuid.bytes.data()), 16);
    if (is_tagged) {
      // Serialization-library varint: one byte, value << 1, for lengths up to 127.
      out.push_back(static_cast<char>(tsid.tag.size() << 1));
      out.append(tsid.tag);
    }
    PutLe(out, ivs.size());
    for (const Interval& iv : ivs) {
      PutLe(out, static_cast<uint64_t>(iv.first));
      PutLe(out, static_cast<uint64_t>(iv.second + 1));  // exclusive end on the wire
    }
  }
  return out;
}

namespace {

bool IntervalsContain(const std::vector<GtidSet::Interval>& ivs, GtidSet::Interval iv) {
  // Merged intervals: one of ours must cover the whole of `iv`.
  auto pos = std::upper_bound(ivs.begin(), ivs.end(), GtidSet::Interval{iv.first, INT64_MAX});
  if (pos == ivs.begin()) return false;
  --pos;
  return pos->first <= iv.first && iv.second <= pos->second;
}

}  // namespace

bool GtidSet::Contains(const Uuid& uuid, int64_t gno) const {
  return Contains(Gtid{Tsid{uuid, ""}, gno});
}

bool GtidSet::Contains(const Gtid& gtid) const {
  auto it = sets_.find(gtid.tsid);
  return it != sets_.end() && IntervalsContain(it->second, {gtid.gno, gtid.gno});
}

bool GtidSet::Contains(const GtidSet& other) const {
  for (const auto& [tsid, ivs] : other.sets_) {
    auto it = sets_.find(tsid);
    if (it == sets_.end()) return false;
    for (const Interval& iv : ivs) {
      if (!IntervalsContain(it->second, iv)) return false;
    }
  }
  return true;
}

void GtidSet::Add(const Uuid& uuid, int64_t gno) { Add(Tsid{uuid, ""}, {gno, gno}); }

void GtidSet::Add(const Uuid& uuid, Interval iv) { Add(Tsid{uuid, ""}, iv); }

void GtidSet::Add(const Gtid& gtid) { Add(gtid.tsid, {gtid.gno, gtid.gno}); }

void GtidSet::Add(const Tsid& tsid, Interval iv) {
  auto& ivs = sets_[tsid];
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

GtidSet GtidSet::Subtract(const GtidSet& other) const {
  GtidSet out;
  for (const auto& [tsid, ivs] : sets_) {
    auto it = other.sets_.find(tsid);
    for (Interval iv : ivs) {
      if (it != other.sets_.end()) {
        // Walk `other`'s sorted intervals, emitting the parts of `iv` between them.
        for (const Interval& cut : it->second) {
          if (cut.second < iv.first) continue;
          if (cut.first > iv.second) break;
          if (cut.first > iv.first) out.Add(tsid, {iv.first, cut.first - 1});
          iv.first = cut.second + 1;
          if (iv.first > iv.second) break;
        }
      }
      if (iv.first <= iv.second) out.Add(tsid, iv);
    }
  }
  return out;
}

GtidSet GtidSet::Intersect(const GtidSet& other) const { return Subtract(Subtract(other)); }

uint64_t GtidSet::size() const {
  uint64_t n = 0;
  for (const auto& [tsid, ivs] : sets_) {
    for (const Interval& iv : ivs) n += static_cast<uint64_t>(iv.second - iv.first + 1);
  }
  return n;
}

void GtidSet::Add(const GtidSet& other) {
  for (const auto& [tsid, ivs] : other.sets_) {
    for (const Interval& iv : ivs) Add(tsid, iv);
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

absl::StatusOr<MariaGtidState> MariaGtidState::Parse(absl::string_view text) {
  MariaGtidState state;
  if (absl::StripAsciiWhitespace(text).empty()) return state;
  for (absl::string_view element : absl::StrSplit(text, ',')) {
    ASSIGN_OR_RETURN(MariaGtid g, MariaGtid::Parse(element));
    if (!state.last_.emplace(std::make_pair(g.domain_id, g.server_id), g).second) {
      return Invalid("two GTIDs for one domain and server", text);
    }
  }
  return state;
}

std::string MariaGtidState::ToString() const {
  std::string s;
  for (const auto& [key, g] : last_) {
    if (!s.empty()) s.push_back(',');
    s.append(g.ToString());
  }
  return s;
}

bool MariaGtidState::Contains(const MariaGtid& gtid) const {
  auto it = last_.find({gtid.domain_id, gtid.server_id});
  return it != last_.end() && gtid.sequence <= it->second.sequence;
}

bool MariaGtidState::Contains(const MariaGtidPosition& position) const {
  for (const auto& [domain, g] : position.by_domain()) {
    if (!Contains(g)) return false;
  }
  return true;
}

std::optional<MariaGtid> MariaGtidState::Get(uint32_t domain_id, uint32_t server_id) const {
  auto it = last_.find({domain_id, server_id});
  if (it == last_.end()) return std::nullopt;
  return it->second;
}

}  // namespace dcp::mysql
