#include <cstring>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "mysql/binlog/event.h"
#include "mysql/gtid.h"
#include "util/status_macros.h"

namespace dcp::mysql::binlog {
namespace {

// Field ids of GTID_TAGGED's message: MySQL's Gtid_event::define_fields
// (libs/mysql/binlog/event/control_events.h).
enum TaggedGtidField : uint64_t {
  kFlags = 0,
  kUuid = 1,
  kGno = 2,
  kTag = 3,
  kLastCommitted = 4,
  kSequenceNumber = 5,
  kImmediateCommitTimestamp = 6,
  kOriginalCommitTimestamp = 7,
  kTransactionLength = 8,
  kImmediateServerVersion = 9,
  kOriginalServerVersion = 10,
  kCommitGroupTicket = 11,
};
constexpr uint64_t kLastKnownField = kCommitGroupTicket;
constexpr size_t kMaxTagLength = 32;

// The message header of a GTID_TAGGED body: checks the format version and the size and
// returns a cursor over the fields.
absl::StatusOr<Cursor> TaggedGtidFields(Cursor& body) {
  const size_t start = body.position();
  ASSIGN_OR_RETURN(uint64_t version, body.SerialVarUint("serialization format version"));
  if (version != 1) {
    return absl::UnimplementedError(absl::StrCat("GTID_TAGGED serialization format version ",
                                                 version, " at offset ", body.absolute_offset(),
                                                 " is not supported (only 1)"));
  }
  ASSIGN_OR_RETURN(uint64_t size, body.SerialVarUint("message size"));
  ASSIGN_OR_RETURN(uint64_t last_non_ignorable, body.SerialVarUint("last non-ignorable field"));
  const size_t header_bytes = body.position() - start;
  if (size < header_bytes) return body.Corrupt("message size smaller than its header");
  ASSIGN_OR_RETURN(Cursor fields, body.Sub(size - header_bytes, "GTID_TAGGED message"));
  if (!body.empty()) return body.Corrupt("bytes after the GTID_TAGGED message");
  // The header holds the id of the last non-ignorable field plus one (0: none).
  if (last_non_ignorable > kLastKnownField + 1) {
    return absl::UnimplementedError(absl::StrCat("GTID_TAGGED at offset ", fields.absolute_offset(),
                                                 " has an unknown non-ignorable field (id ",
                                                 last_non_ignorable - 1, ")"));
  }
  return fields;
}

// Reads the (field id, value) pairs of a GTID_TAGGED message into a GtidEvent. One reader
// per message.
class TaggedGtidReader {
 public:
  explicit TaggedGtidReader(Cursor& fields) : f_(fields) {}

  absl::StatusOr<GtidEvent> Read() {
    uint64_t previous = 0;
    bool first = true;
    while (!f_.empty()) {
      ASSIGN_OR_RETURN(uint64_t id, f_.SerialVarUint("field id"));
      // A later version's fields follow the known ones; ignorable, so the rest is skipped.
      if (id > kLastKnownField) break;
      if (!first && id <= previous) return f_.Corrupt("GTID_TAGGED field ids out of order");
      first = false;
      previous = id;
      RETURN_IF_ERROR(ReadField(id));
    }
    if (!have_uuid_ || !have_gno_) return f_.Corrupt("GTID_TAGGED without uuid or gno");
    // MySQL's gnos are 1 .. 2^63 - 2.
    if (gno_ < 1 || gno_ == INT64_MAX) return f_.Corrupt("GTID_TAGGED gno out of range");
    g_.sequence = static_cast<uint64_t>(gno_);
    if (!have_original_ts_) g_.original_commit_timestamp = g_.immediate_commit_timestamp;
    if (!have_original_ver_) g_.original_server_version = g_.immediate_server_version;
    return std::move(g_);
  }

 private:
  // The value of field `id` (at most kLastKnownField).
  absl::Status ReadField(uint64_t id) {
    switch (id) {
      case kFlags:
        return ReadU8(g_.flags, "gtid flags");
      case kUuid:
        for (uint8_t& b : g_.uuid) RETURN_IF_ERROR(ReadU8(b, "gtid uuid byte"));
        have_uuid_ = true;
        return absl::OkStatus();
      case kGno:
        have_gno_ = true;
        return Store(gno_, f_.SerialVarInt("gtid gno"));
      case kTag:
        return ReadTag();
      case kLastCommitted:
        return Store(g_.last_committed, f_.SerialVarInt("last_committed"));
      case kSequenceNumber:
        return Store(g_.sequence_number, f_.SerialVarInt("sequence_number"));
      case kImmediateCommitTimestamp:
        return Store(g_.immediate_commit_timestamp, f_.SerialVarUint("immediate_commit_timestamp"));
      case kOriginalCommitTimestamp:
        have_original_ts_ = true;
        return Store(g_.original_commit_timestamp, f_.SerialVarUint("original_commit_timestamp"));
      case kTransactionLength:
        return Store(g_.transaction_length, f_.SerialVarUint("transaction_length"));
      case kImmediateServerVersion:
        return ReadU32(g_.immediate_server_version, "immediate_server_version");
      case kOriginalServerVersion:
        have_original_ver_ = true;
        return ReadU32(g_.original_server_version, "original_server_version");
      case kCommitGroupTicket:
        return Store(g_.commit_group_ticket, f_.SerialVarUint("commit_group_ticket"));
    }
    return absl::OkStatus();
  }

  template <typename T, typename V>
  static absl::Status Store(T& field, absl::StatusOr<V> value) {
    if (!value.ok()) return value.status();
    field = *value;
    return absl::OkStatus();
  }
  // An unsigned varint that must fit the field.
  template <typename T>
  absl::Status ReadNarrow(T& field, uint64_t max, absl::string_view what) {
    ASSIGN_OR_RETURN(uint64_t v, f_.SerialVarUint(what));
    if (v > max) return f_.Corrupt(absl::StrCat(what, " out of range"));
    field = static_cast<T>(v);
    return absl::OkStatus();
  }
  absl::Status ReadU8(uint8_t& field, absl::string_view what) {
    return ReadNarrow(field, 0xff, what);
  }
  absl::Status ReadU32(uint32_t& field, absl::string_view what) {
    return ReadNarrow(field, 0xffffffffu, what);
  }
  absl::Status ReadTag() {
    ASSIGN_OR_RETURN(uint64_t len, f_.SerialVarUint("gtid tag length"));
    if (len > kMaxTagLength) return f_.Corrupt("gtid tag longer than 32 characters");
    ASSIGN_OR_RETURN(absl::string_view tag, f_.Bytes(len, "gtid tag"));
    if (tag.empty()) return absl::OkStatus();
    auto normalized = NormalizeGtidTag(tag);
    if (!normalized.ok()) return f_.Corrupt("invalid gtid tag");
    g_.tag = *std::move(normalized);
    return absl::OkStatus();
  }

  Cursor& f_;
  GtidEvent g_;
  int64_t gno_ = 0;
  bool have_uuid_ = false;
  bool have_gno_ = false;
  bool have_original_ts_ = false;
  bool have_original_ver_ = false;
};

}  // namespace

std::string GtidEvent::ToString() const {
  if (anonymous) return "";
  if (mariadb) return absl::StrCat(domain_id, "-", server_id, "-", sequence);
  Uuid u;
  std::memcpy(u.bytes.data(), uuid, sizeof(uuid));
  std::string s = u.ToString();
  if (!tag.empty()) absl::StrAppend(&s, ":", tag);
  absl::StrAppend(&s, ":", sequence);
  return s;
}

absl::StatusOr<GtidEvent> DecodeMySqlGtid(Cursor& body, bool anonymous) {
  GtidEvent g;
  ASSIGN_OR_RETURN(g.flags, body.U8("gtid flags"));
  ASSIGN_OR_RETURN(absl::string_view sid, body.Bytes(16, "gtid uuid"));
  std::memcpy(g.uuid, sid.data(), 16);
  ASSIGN_OR_RETURN(g.sequence, body.U64("gtid gno"));
  g.anonymous = anonymous;
  return g;
}

absl::StatusOr<GtidEvent> DecodeTaggedGtid(Cursor& body) {
  ASSIGN_OR_RETURN(Cursor fields, TaggedGtidFields(body));
  return TaggedGtidReader(fields).Read();
}

absl::StatusOr<GtidEvent> DecodeMariaGtid(Cursor& body, uint32_t server_id) {
  GtidEvent g;
  g.mariadb = true;
  g.server_id = server_id;
  ASSIGN_OR_RETURN(g.sequence, body.U64("gtid seq_no"));
  ASSIGN_OR_RETURN(g.domain_id, body.U32("gtid domain"));
  ASSIGN_OR_RETURN(g.flags, body.U8("gtid flags"));
  return g;
}

absl::StatusOr<MariaGtidListEvent> DecodeMariaGtidList(Cursor& body) {
  MariaGtidListEvent l;
  ASSIGN_OR_RETURN(uint32_t count, body.U32("gtid list count"));
  count &= 0x0fffffff;  // the top 4 bits are flags
  if (count > body.remaining() / 16) return body.Corrupt("gtid list count too large");
  l.gtids.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    MariaGtidListEvent::Entry e;
    e.domain_id = *body.U32();
    e.server_id = *body.U32();
    e.sequence = *body.U64();
    l.gtids.push_back(e);
  }
  return l;
}

absl::StatusOr<PreviousGtidsEvent> DecodePreviousGtids(Cursor& body) {
  PreviousGtidsEvent p;
  p.encoded = body.Rest();
  auto set = GtidSet::Decode(p.encoded);
  if (!set.ok()) return body.Corrupt(set.status().message());
  p.text = set->ToString();
  return p;
}

std::string MariaGtidListEvent::ToString() const {
  std::string s;
  for (const Entry& e : gtids) {
    if (!s.empty()) s.push_back(',');
    absl::StrAppend(&s, e.domain_id, "-", e.server_id, "-", e.sequence);
  }
  return s;
}
}  // namespace dcp::mysql::binlog
