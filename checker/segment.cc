#include "checker/segment.h"

#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace dcp::checker {
namespace {

// 0-15 for a hex digit, 0xff otherwise.
struct HexTable {
  uint8_t value[256];
  constexpr HexTable() : value() {
    for (int i = 0; i < 256; ++i) value[i] = 0xff;
    for (int i = 0; i < 10; ++i) value['0' + i] = static_cast<uint8_t>(i);
    for (int i = 0; i < 6; ++i) {
      value['a' + i] = static_cast<uint8_t>(10 + i);
      value['A' + i] = static_cast<uint8_t>(10 + i);
    }
  }
};
constexpr HexTable kHex;

bool ParseHex64(absl::string_view s, uint64_t& out) {
  uint64_t v = 0;
  uint8_t bad = 0;
  for (char c : s) {
    const uint8_t h = kHex.value[static_cast<unsigned char>(c)];
    bad |= h & 0xf0;
    v = (v << 4) | (h & 0x0f);
  }
  out = v;
  return bad == 0;
}

}  // namespace

Digest Digest::Of(absl::string_view checksum) {
  Digest d;
  if (checksum.empty()) return d;
  if (checksum.size() == 32 && ParseHex64(checksum.substr(0, 16), d.hi) &&
      ParseHex64(checksum.substr(16), d.lo)) {
    d.format = kHex128;
    return d;
  }
  if (checksum.size() == 16 && ParseHex64(checksum, d.lo)) {
    d.hi = 0;
    d.format = kHex64;
    return d;
  }
  // Two independent 64-bit hashes; in-process stable, which is all the checker needs.
  d.hi = absl::Hash<std::pair<int, absl::string_view>>()({1, checksum});
  d.lo = absl::Hash<std::pair<int, absl::string_view>>()({2, checksum});
  d.format = kHashed;
  return d;
}

std::string Digest::ToString() const {
  switch (format) {
    case kNone:
      return "";
    case kHex64:
      return absl::StrFormat("%016x", lo);
    case kHex128:
      return absl::StrFormat("%016x%016x", hi, lo);
    case kHashed:
      return absl::StrFormat("~%016x%016x", hi, lo);
  }
  return "";
}

Interner::Interner(size_t max_entries) : max_entries_(std::max<size_t>(max_entries, 2)) {
  strings_ = {"", "?"};
  ids_[""] = 0;
  ids_["?"] = 1;
}

uint32_t Interner::Intern(absl::string_view s) {
  // Consecutive changes usually share their origin prefix (one server's GTID domain).
  if (strings_[last_].size() == s.size() && strings_[last_] == s) return last_;
  auto it = ids_.find(s);
  if (it != ids_.end()) return last_ = it->second;
  if (strings_.size() >= max_entries_) return 1;
  uint32_t id = static_cast<uint32_t>(strings_.size());
  strings_.emplace_back(s);
  ids_.emplace(std::string(s), id);
  return last_ = id;
}

size_t Interner::MemoryBytes() const {
  size_t n = strings_.capacity() * sizeof(std::string) +
             ids_.bucket_count() * (sizeof(std::string) + sizeof(uint32_t) + 1);
  for (const auto& s : strings_) n += 2 * s.capacity();
  return n;
}

Origin Origin::Of(absl::string_view origin, Interner& interner) {
  Origin o;
  size_t digits = 0;
  while (digits < origin.size() && digits < 19 && origin[origin.size() - 1 - digits] >= '0' &&
         origin[origin.size() - 1 - digits] <= '9') {
    ++digits;
  }
  if (digits > 0 && !(digits > 1 && origin[origin.size() - digits] == '0')) {
    uint64_t v = 0;
    for (size_t i = origin.size() - digits; i < origin.size(); ++i) v = v * 10 + (origin[i] - '0');
    o.has_number = true;
    o.number = v;
    o.prefix = interner.Intern(origin.substr(0, origin.size() - digits));
  } else {
    o.prefix = interner.Intern(origin);
  }
  return o;
}

std::string Origin::ToString(const Interner& interner) const {
  if (!has_number) return std::string(interner.Get(prefix));
  return absl::StrCat(interner.Get(prefix), number);
}

Segment::Segment(bool keep_content)
    : keep_content_(keep_content), index_(0, KeyHash{this}, KeyEq{this}) {}

void Segment::Append(const RowChange& row, Interner& interner) {
  const uint32_t i = static_cast<uint32_t>(records_.size());
  Record r{};
  Digest d = row.deleted ? Digest{} : Digest::Of(row.checksum);
  r.digest_hi = d.hi;
  r.digest_lo = d.lo;
  Origin o = Origin::Of(row.origin, interner);
  r.origin_prefix = o.prefix;
  r.origin_number = o.number;
  r.timestamp = static_cast<uint32_t>(
      std::min<uint64_t>(row.timestamp, std::numeric_limits<uint32_t>::max()));
  r.flags = static_cast<uint8_t>((row.deleted ? kDeletedFlag : 0) |
                                 (o.has_number ? kOriginNumberFlag : 0) | (d.format << 2));
  r.next = kNone;
  auto it = index_.find(absl::string_view(row.key));
  if (it != index_.end()) {
    const Record& first = records_[it->first];
    r.key_offset = first.key_offset;
    r.key_length = first.key_length;
    records_.push_back(r);
    records_[it->second].next = i;
    it->second = i;
  } else {
    r.key_offset = static_cast<uint32_t>(arena_.size());
    r.key_length = static_cast<uint32_t>(row.key.size());
    arena_.append(row.key);
    records_.push_back(r);
    index_.emplace(i, i);
  }
  if (keep_content_) contents_.push_back(row.content.value_or(""));
}

void Segment::Shrink() {
  records_.shrink_to_fit();
  arena_.shrink_to_fit();
  contents_.shrink_to_fit();
}

size_t Segment::MemoryBytes() const {
  size_t n = sizeof(Segment) + records_.capacity() * sizeof(Record) + arena_.capacity() +
             index_.bucket_count() * (sizeof(std::pair<uint32_t, uint32_t>) + 1);
  n += contents_.capacity() * sizeof(std::string);
  for (const auto& c : contents_) n += c.capacity() > 15 ? c.capacity() + 1 : 0;
  return n;
}

std::optional<std::pair<uint32_t, uint32_t>> Segment::Find(absl::string_view key) const {
  auto it = index_.find(key);
  if (it == index_.end()) return std::nullopt;
  return std::make_pair(it->first, it->second);
}

Image Segment::ImageOf(uint32_t i) const {
  const Record& r = records_[i];
  Image img;
  img.state = (r.flags & kDeletedFlag) ? Image::kDeleted : Image::kPresent;
  img.digest.hi = r.digest_hi;
  img.digest.lo = r.digest_lo;
  img.digest.format = static_cast<Digest::Format>((r.flags >> 2) & 3);
  img.origin.prefix = r.origin_prefix;
  img.origin.has_number = (r.flags & kOriginNumberFlag) != 0;
  img.origin.number = r.origin_number;
  img.timestamp = r.timestamp;
  if (keep_content_) img.content = contents_[i];
  return img;
}

uint32_t Segment::ChainLength(uint32_t first) const {
  uint32_t n = 0;
  for (uint32_t i = first; i != kNone; i = records_[i].next) ++n;
  return n;
}

}  // namespace dcp::checker
