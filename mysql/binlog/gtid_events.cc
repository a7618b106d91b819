#include <string>

#include "absl/strings/str_cat.h"
#include "mysql/binlog/event.h"
#include "mysql/gtid.h"
#include "util/status_macros.h"

namespace dcp::mysql::binlog {
namespace {

void AppendUuid(const uint8_t* u, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out->push_back('-');
    out->push_back(kHex[u[i] >> 4]);
    out->push_back(kHex[u[i] & 15]);
  }
}

}  // namespace

std::string GtidEvent::ToString() const {
  if (anonymous) return "";
  if (mariadb) return absl::StrCat(domain_id, "-", server_id, "-", sequence);
  std::string s;
  AppendUuid(uuid, &s);
  if (!tag.empty()) absl::StrAppend(&s, ":", tag);
  absl::StrAppend(&s, ":", sequence);
  return s;
}

absl::StatusOr<GtidEvent> DecodeTaggedGtid(Cursor& body) {
  // Field ids of MySQL's Gtid_event::define_fields (libs/mysql/binlog/event/control_events.h).
  enum : uint64_t {
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

  GtidEvent g;
  bool have_uuid = false, have_gno = false, have_original_ts = false, have_original_ver = false;
  int64_t gno = 0;
  uint64_t previous = 0;
  bool first = true;
  auto u8 = [&fields](absl::string_view what) -> absl::StatusOr<uint8_t> {
    ASSIGN_OR_RETURN(uint64_t v, fields.SerialVarUint(what));
    if (v > 0xff) return fields.Corrupt(absl::StrCat(what, " out of range"));
    return static_cast<uint8_t>(v);
  };
  auto u32 = [&fields](absl::string_view what) -> absl::StatusOr<uint32_t> {
    ASSIGN_OR_RETURN(uint64_t v, fields.SerialVarUint(what));
    if (v > 0xffffffffu) return fields.Corrupt(absl::StrCat(what, " out of range"));
    return static_cast<uint32_t>(v);
  };
  while (!fields.empty()) {
    ASSIGN_OR_RETURN(uint64_t id, fields.SerialVarUint("field id"));
    // A later version's fields follow the known ones; ignorable, so the rest is skipped.
    if (id > kLastKnownField) break;
    if (!first && id <= previous) return fields.Corrupt("GTID_TAGGED field ids out of order");
    first = false;
    previous = id;
    switch (id) {
      case kFlags: {
        ASSIGN_OR_RETURN(g.flags, u8("gtid flags"));
        break;
      }
      case kUuid: {
        for (uint8_t& b : g.uuid) {
          ASSIGN_OR_RETURN(b, u8("gtid uuid byte"));
        }
        have_uuid = true;
        break;
      }
      case kGno: {
        ASSIGN_OR_RETURN(gno, fields.SerialVarInt("gtid gno"));
        have_gno = true;
        break;
      }
      case kTag: {
        ASSIGN_OR_RETURN(uint64_t len, fields.SerialVarUint("gtid tag length"));
        if (len > kMaxTagLength) return fields.Corrupt("gtid tag longer than 32 characters");
        ASSIGN_OR_RETURN(absl::string_view tag, fields.Bytes(len, "gtid tag"));
        if (!tag.empty()) {
          auto normalized = NormalizeGtidTag(tag);
          if (!normalized.ok()) return fields.Corrupt("invalid gtid tag");
          g.tag = *std::move(normalized);
        }
        break;
      }
      case kLastCommitted: {
        ASSIGN_OR_RETURN(g.last_committed, fields.SerialVarInt("last_committed"));
        break;
      }
      case kSequenceNumber: {
        ASSIGN_OR_RETURN(g.sequence_number, fields.SerialVarInt("sequence_number"));
        break;
      }
      case kImmediateCommitTimestamp: {
        ASSIGN_OR_RETURN(g.immediate_commit_timestamp,
                         fields.SerialVarUint("immediate_commit_timestamp"));
        break;
      }
      case kOriginalCommitTimestamp: {
        ASSIGN_OR_RETURN(g.original_commit_timestamp,
                         fields.SerialVarUint("original_commit_timestamp"));
        have_original_ts = true;
        break;
      }
      case kTransactionLength: {
        ASSIGN_OR_RETURN(g.transaction_length, fields.SerialVarUint("transaction_length"));
        break;
      }
      case kImmediateServerVersion: {
        ASSIGN_OR_RETURN(g.immediate_server_version, u32("immediate_server_version"));
        break;
      }
      case kOriginalServerVersion: {
        ASSIGN_OR_RETURN(g.original_server_version, u32("original_server_version"));
        have_original_ver = true;
        break;
      }
      case kCommitGroupTicket: {
        ASSIGN_OR_RETURN(g.commit_group_ticket, fields.SerialVarUint("commit_group_ticket"));
        break;
      }
    }
  }
  if (!have_uuid || !have_gno) return fields.Corrupt("GTID_TAGGED without uuid or gno");
  // MySQL's gnos are 1 .. 2^63 - 2.
  if (gno < 1 || gno == INT64_MAX) return fields.Corrupt("GTID_TAGGED gno out of range");
  g.sequence = static_cast<uint64_t>(gno);
  if (!have_original_ts) g.original_commit_timestamp = g.immediate_commit_timestamp;
  if (!have_original_ver) g.original_server_version = g.immediate_server_version;
  return g;
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
