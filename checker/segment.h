// Segment: the compact in-memory form of one tag's changes between two barriers.
//
// Memory matters here (a stopped target makes the checker buffer every source window), so a
// change is stored as a 48-byte Record plus its key bytes in a per-segment arena:
//   - the checksum as a 128-bit Digest: hex checksums of 16 or 32 digits are decoded exactly
//     (and printed back as lowercase hex); any other text is hashed to 128 bits and printed
//     as "~" + hex (equal texts give equal digests within one process);
//   - the origin (GTID or binlog position) as an interned prefix id + a trailing number
//     ("3e11fa47-...-0000:123" -> id("3e11fa47-...-0000:"), 123), so that a GTID costs 12
//     bytes instead of a string;
//   - the key bytes once per distinct key per segment, in the arena.
// Changes of one key are chained in arrival (binlog) order.
//
// Not thread-safe; the Checker guards segments with its mutex. A closed segment is read-only
// and may be shared between targets.
#ifndef DCP_CHECKER_SEGMENT_H_
#define DCP_CHECKER_SEGMENT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "absl/strings/string_view.h"
#include "checker/change.h"

namespace dcp::checker {

// A compact checksum.
struct Digest {
  enum Format : uint8_t { kNone = 0, kHex64 = 1, kHex128 = 2, kHashed = 3 };
  uint64_t hi = 0;
  uint64_t lo = 0;
  Format format = kNone;

  static Digest Of(absl::string_view checksum);
  std::string ToString() const;
  bool operator==(const Digest& o) const { return hi == o.hi && lo == o.lo && format == o.format; }
  bool operator!=(const Digest& o) const { return !(*this == o); }
};

// Interns strings to dense ids. Id 0 is "" and is also returned once `max_entries` is
// reached (the text is then lost: origins print as "?" + number).
class Interner {
 public:
  explicit Interner(size_t max_entries = 1 << 20);
  uint32_t Intern(absl::string_view s);
  absl::string_view Get(uint32_t id) const {
    if (id < strings_.size()) return strings_[id];
    return absl::string_view();
  }
  size_t size() const { return strings_.size(); }
  size_t MemoryBytes() const;

 private:
  size_t max_entries_;
  std::vector<std::string> strings_;
  absl::flat_hash_map<std::string, uint32_t> ids_;
  uint32_t last_ = 0;
};

// A compact origin: prefix id + optional trailing decimal number.
struct Origin {
  uint32_t prefix = 0;
  bool has_number = false;
  uint64_t number = 0;

  static Origin Of(absl::string_view origin, Interner& interner);
  std::string ToString(const Interner& interner) const;
};

// The image of a key after some change: unknown (not seen), deleted, or present with a digest.
struct Image {
  enum State : uint8_t { kUnknown = 0, kDeleted = 1, kPresent = 2 };
  State state = kUnknown;
  Digest digest;
  Origin origin;
  uint32_t timestamp = 0;
  uint32_t changes = 0;  // changes of this key in the segment it came from
  std::optional<std::string> content;

  // Same row state: both deleted, or both present with the same digest.
  bool SameRow(const Image& o) const {
    if (state != o.state) return false;
    return state != kPresent || digest == o.digest;
  }
};

class Segment {
 public:
  static constexpr uint32_t kNone = 0xffffffffu;

  struct Record {
    uint64_t digest_hi;
    uint64_t digest_lo;
    uint64_t origin_number;
    uint32_t key_offset;
    uint32_t key_length;
    uint32_t next;  // next record of the same key, or kNone
    uint32_t origin_prefix;
    uint32_t timestamp;
    uint8_t flags;  // kDeletedFlag | kOriginNumberFlag | digest format << 2
  };
  static_assert(sizeof(Record) == 48, "Record layout");

  explicit Segment(bool keep_content = false);
  Segment(const Segment&) = delete;
  Segment& operator=(const Segment&) = delete;

  // Appends a change; `interner` interns the origin prefix.
  void Append(const RowChange& row, Interner& interner);
  // Releases spare capacity; call once the segment is closed.
  void Shrink();

  size_t changes() const { return records_.size(); }
  size_t keys() const { return index_.size(); }
  size_t MemoryBytes() const;

  // The first record of every key, in no particular order.
  template <typename F>
  void ForEachKey(F&& f) const {
    for (const auto& [first, last] : index_) f(first, last);
  }
  // The first and last record of `key`, if the segment has it.
  std::optional<std::pair<uint32_t, uint32_t>> Find(absl::string_view key) const;

  const Record& record(uint32_t i) const { return records_[i]; }
  absl::string_view KeyOf(uint32_t i) const {
    const Record& r = records_[i];
    return absl::string_view(arena_.data() + r.key_offset, r.key_length);
  }
  // The image after record `i`; `changes` is filled by the caller when needed.
  Image ImageOf(uint32_t i) const;
  uint32_t ChainLength(uint32_t first) const;

 private:
  static constexpr uint8_t kDeletedFlag = 1;
  static constexpr uint8_t kOriginNumberFlag = 2;

  struct KeyHash {
    using is_transparent = void;
    const Segment* segment;
    size_t operator()(uint32_t i) const {
      return absl::Hash<absl::string_view>()(segment->KeyOf(i));
    }
    size_t operator()(absl::string_view s) const { return absl::Hash<absl::string_view>()(s); }
  };
  struct KeyEq {
    using is_transparent = void;
    const Segment* segment;
    bool operator()(uint32_t a, uint32_t b) const { return segment->KeyOf(a) == segment->KeyOf(b); }
    bool operator()(uint32_t a, absl::string_view b) const { return segment->KeyOf(a) == b; }
    bool operator()(absl::string_view a, uint32_t b) const { return a == segment->KeyOf(b); }
  };

  bool keep_content_;
  std::vector<Record> records_;
  std::string arena_;
  std::vector<std::string> contents_;  // parallel to records_ when keep_content_
  // first record of a key -> last record of that key
  absl::flat_hash_map<uint32_t, uint32_t, KeyHash, KeyEq> index_;
};

}  // namespace dcp::checker

#endif  // DCP_CHECKER_SEGMENT_H_
