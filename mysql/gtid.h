// GTID value types.
//
// Tsid / Gtid / GtidSet: MySQL GTIDs and GTID sets, untagged ("uuid:7") and tagged (MySQL 8.3+,
// "uuid:tag:7"), e.g. "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5:mytag:1-3:7,<uuid>:3" (parse,
// canonical format, contains, add, and the binary encoding used by PREVIOUS_GTIDS and
// COM_BINLOG_DUMP_GTID, in MySQL 8.3's tagged form when the set holds a tag).
// MariaGtid / MariaGtidPosition: MariaDB "domain-server-seq" GTIDs and positions (one GTID
// per replication domain, "0-1-100,1-2-7"), as in @@gtid_binlog_pos and @slave_connect_state.
//
// Value types; thread-compatible.
#ifndef DCP_MYSQL_GTID_H_
#define DCP_MYSQL_GTID_H_

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace dcp::mysql {

struct Uuid {
  std::array<uint8_t, 16> bytes{};

  // 36-character form with dashes, or 32 hex digits; case-insensitive.
  static absl::StatusOr<Uuid> Parse(absl::string_view text);
  std::string ToString() const;  // lower-case with dashes

  friend bool operator==(const Uuid& a, const Uuid& b) { return a.bytes == b.bytes; }
  friend bool operator!=(const Uuid& a, const Uuid& b) { return !(a == b); }
  friend bool operator<(const Uuid& a, const Uuid& b) { return a.bytes < b.bytes; }
};

// Validates a MySQL 8.3+ GTID tag, [a-z_][a-z0-9_]{0,31} case-insensitively (no surrounding
// whitespace), and returns it in lower case, the form MySQL stores and prints.
// kInvalidArgument otherwise (also for "").
absl::StatusOr<std::string> NormalizeGtidTag(absl::string_view text);

// A transaction source: the server uuid plus a tag (empty for untagged GTIDs). Ordered by
// uuid, then tag (the untagged one first).
struct Tsid {
  Uuid uuid;
  std::string tag;  // lower case; empty: untagged

  std::string ToString() const;  // "uuid" or "uuid:tag"

  friend bool operator==(const Tsid& a, const Tsid& b) {
    return a.uuid == b.uuid && a.tag == b.tag;
  }
  friend bool operator!=(const Tsid& a, const Tsid& b) { return !(a == b); }
  friend bool operator<(const Tsid& a, const Tsid& b) {
    return a.uuid != b.uuid ? a.uuid < b.uuid : a.tag < b.tag;
  }
};

// One MySQL GTID: "uuid:gno" or "uuid:tag:gno" (gno >= 1).
struct Gtid {
  Tsid tsid;
  int64_t gno = 0;

  // kInvalidArgument on malformed text; the tag is normalized to lower case.
  static absl::StatusOr<Gtid> Parse(absl::string_view text);
  std::string ToString() const;

  friend bool operator==(const Gtid& a, const Gtid& b) {
    return a.tsid == b.tsid && a.gno == b.gno;
  }
  friend bool operator!=(const Gtid& a, const Gtid& b) { return !(a == b); }
};

class GtidSet {
 public:
  // Inclusive interval of transaction numbers (gno >= 1).
  using Interval = std::pair<int64_t, int64_t>;

  GtidSet() = default;

  // Parses "uuid:1-5:7,uuid2:3" and MySQL 8.3's tagged form "uuid:1-5:tag:1-3:7" (after a
  // uuid, intervals and "tag:intervals" groups; intervals belong to the tag before them, or
  // to no tag); whitespace and newlines around elements allowed, as MySQL prints them; ""
  // is the empty set. Tags are normalized to lower case. kInvalidArgument on malformed text
  // (also a tag without intervals).
  static absl::StatusOr<GtidSet> Parse(absl::string_view text);
  // Decodes the binary form (MySQL Gtid_set::encode): a u64 whose top byte is the format
  // (0 untagged: n_tsids in the low 56 bits; 1 tagged, MySQL 8.3+: n_tsids in bits 8..55 and
  // 1 again in the low byte); per tsid the 16 uuid bytes, in the tagged format the tag as a
  // serialization-library varint length plus its characters, then n_intervals u64 and
  // [start, end) pairs of i64. kDataLoss on malformed bytes (also an unknown format or a
  // tag that is not a valid tag).
  static absl::StatusOr<GtidSet> Decode(absl::string_view bytes);

  // Canonical text: uuids in ascending order, per uuid its untagged intervals then its tags
  // in ascending order each followed by its intervals, intervals merged, "," between uuids.
  std::string ToString() const;
  // The binary form above: the untagged format when no tsid has a tag (byte-identical to
  // MySQL before 8.3), else the tagged one (which only MySQL 8.3+ accepts).
  std::string Encode() const;

  bool empty() const { return sets_.empty(); }
  // Whether any tsid carries a tag.
  bool tagged() const;
  bool Contains(const Uuid& uuid, int64_t gno) const;  // untagged GTID
  bool Contains(const Gtid& gtid) const;
  bool Contains(const GtidSet& other) const;  // other is a subset of this

  void Add(const Uuid& uuid, int64_t gno);        // untagged GTID
  void Add(const Uuid& uuid, Interval interval);  // untagged interval
  void Add(const Gtid& gtid);
  void Add(const Tsid& tsid, Interval interval);
  void Add(const GtidSet& other);

  // The GTIDs of this set that are not in `other`, and those in both.
  GtidSet Subtract(const GtidSet& other) const;
  GtidSet Intersect(const GtidSet& other) const;
  // The number of GTIDs in the set.
  uint64_t size() const;

  const std::map<Tsid, std::vector<Interval>>& intervals() const { return sets_; }

  friend bool operator==(const GtidSet& a, const GtidSet& b) { return a.sets_ == b.sets_; }
  friend bool operator!=(const GtidSet& a, const GtidSet& b) { return !(a == b); }

 private:
  // Per tsid: sorted, non-overlapping, non-adjacent intervals.
  std::map<Tsid, std::vector<Interval>> sets_;
};

struct MariaGtid {
  uint32_t domain_id = 0;
  uint32_t server_id = 0;
  uint64_t sequence = 0;

  static absl::StatusOr<MariaGtid> Parse(absl::string_view text);  // "0-1-100"
  std::string ToString() const;

  friend bool operator==(const MariaGtid& a, const MariaGtid& b) {
    return a.domain_id == b.domain_id && a.server_id == b.server_id && a.sequence == b.sequence;
  }
  friend bool operator!=(const MariaGtid& a, const MariaGtid& b) { return !(a == b); }
};

class MariaGtidPosition {
 public:
  // "0-1-100,1-2-7"; "" is the empty position. Two GTIDs of one domain are
  // kInvalidArgument.
  static absl::StatusOr<MariaGtidPosition> Parse(absl::string_view text);
  std::string ToString() const;  // domains ascending

  // Records `gtid` as the last of its domain.
  void Update(const MariaGtid& gtid) { by_domain_[gtid.domain_id] = gtid; }
  std::optional<MariaGtid> Get(uint32_t domain_id) const;
  // Whether `gtid` is at or before this position in its domain (sequence numbers are
  // monotonic per domain).
  bool Contains(const MariaGtid& gtid) const;
  bool empty() const { return by_domain_.empty(); }
  const std::map<uint32_t, MariaGtid>& by_domain() const { return by_domain_; }

  friend bool operator==(const MariaGtidPosition& a, const MariaGtidPosition& b) {
    return a.by_domain_ == b.by_domain_;
  }
  friend bool operator!=(const MariaGtidPosition& a, const MariaGtidPosition& b) {
    return !(a == b);
  }

 private:
  std::map<uint32_t, MariaGtid> by_domain_;
};

// A MariaDB server's @@gtid_binlog_state: the last GTID in its binlog of every (domain,
// server id) pair, e.g. "0-1-100,0-3-107" after server 3 took over domain 0 from server 1.
// Sequence numbers are monotonic per domain and a replica applies a domain in order, so a
// server whose state has (d, s, m) holds every transaction d-s-n with n <= m that it was
// sent. Value type.
class MariaGtidState {
 public:
  // "0-1-100,0-3-107"; "" is the empty state. Two GTIDs of one (domain, server) are
  // kInvalidArgument.
  static absl::StatusOr<MariaGtidState> Parse(absl::string_view text);
  std::string ToString() const;

  // Whether the server has binlogged `gtid` (see above).
  bool Contains(const MariaGtid& gtid) const;
  // Whether it holds the transaction of every domain of `position`.
  bool Contains(const MariaGtidPosition& position) const;
  // The last GTID of (domain, server id), if any.
  std::optional<MariaGtid> Get(uint32_t domain_id, uint32_t server_id) const;

 private:
  std::map<std::pair<uint32_t, uint32_t>, MariaGtid> last_;
};

}  // namespace dcp::mysql

#endif  // DCP_MYSQL_GTID_H_
