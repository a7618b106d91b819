// GTID value types.
//
// GtidSet: a MySQL GTID set, "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5:7,<uuid>:3" (parse,
// canonical format, contains, add, and the binary encoding used by PREVIOUS_GTIDS and
// COM_BINLOG_DUMP_GTID). Tagged GTIDs (MySQL 8.3 "uuid:tag:n") are rejected as
// kInvalidArgument.
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

class GtidSet {
 public:
  // Inclusive interval of transaction numbers (gno >= 1).
  using Interval = std::pair<int64_t, int64_t>;

  GtidSet() = default;

  // Parses "uuid:1-5:7,uuid2:3" (whitespace and newlines around elements allowed, as MySQL
  // prints them); "" is the empty set. kInvalidArgument on malformed text.
  static absl::StatusOr<GtidSet> Parse(absl::string_view text);
  // Decodes the binary form: n_sids u64, per sid uuid[16], n_intervals u64, then
  // [start, end) pairs of i64. kDataLoss on malformed bytes.
  static absl::StatusOr<GtidSet> Decode(absl::string_view bytes);

  // Canonical text: uuids in ascending order, intervals merged, "," between uuids.
  std::string ToString() const;
  std::string Encode() const;

  bool empty() const { return sets_.empty(); }
  bool Contains(const Uuid& uuid, int64_t gno) const;
  bool Contains(const GtidSet& other) const;  // other is a subset of this

  void Add(const Uuid& uuid, int64_t gno);
  void Add(const Uuid& uuid, Interval interval);
  void Add(const GtidSet& other);

  const std::map<Uuid, std::vector<Interval>>& intervals() const { return sets_; }

  friend bool operator==(const GtidSet& a, const GtidSet& b) { return a.sets_ == b.sets_; }
  friend bool operator!=(const GtidSet& a, const GtidSet& b) { return !(a == b); }

 private:
  // Per uuid: sorted, non-overlapping, non-adjacent intervals.
  std::map<Uuid, std::vector<Interval>> sets_;
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

  friend bool operator==(const MariaGtidPosition& a, const MariaGtidPosition& b) {
    return a.by_domain_ == b.by_domain_;
  }
  friend bool operator!=(const MariaGtidPosition& a, const MariaGtidPosition& b) {
    return !(a == b);
  }

 private:
  std::map<uint32_t, MariaGtid> by_domain_;
};

}  // namespace dcp::mysql

#endif  // DCP_MYSQL_GTID_H_
