#include "mysql/binlog/event.h"

#include <libdeflate.h>
#include <zlib.h>
#include <zstd.h>

#include <cstdio>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "mysql/gtid.h"
#include "util/status_macros.h"

namespace dcp::mysql::binlog {
namespace {

constexpr uint16_t kBinlogInUseFlag = 0x1;

// Most a compressed event may inflate to: MariaDB's and MySQL's max_allowed_packet limit.
constexpr uint64_t kMaxUncompressed = 1ull << 30;

// Whether `version` ("10.11.6-MariaDB-log", "8.0.31") is at least the release that added
// binlog checksums: MySQL 5.6.1, MariaDB 5.3.0.
bool VersionHasChecksum(absl::string_view version) {
  int parts[3] = {0, 0, 0};
  size_t i = 0;
  for (int p = 0; p < 3; ++p) {
    int v = 0;
    while (i < version.size() && version[i] >= '0' && version[i] <= '9') {
      v = v * 10 + (version[i] - '0');
      if (v > 100000) break;
      ++i;
    }
    parts[p] = v;
    if (i < version.size() && version[i] == '.')
      ++i;
    else
      break;
  }
  const bool maria = version.find("MariaDB") != absl::string_view::npos;
  const int split[3] = {5, maria ? 3 : 6, maria ? 0 : 1};
  for (int p = 0; p < 3; ++p) {
    if (parts[p] != split[p]) return parts[p] > split[p];
  }
  return true;
}

bool IsNumericType(ColumnType t) {
  switch (t) {
    case ColumnType::kTiny:
    case ColumnType::kShort:
    case ColumnType::kInt24:
    case ColumnType::kLong:
    case ColumnType::kLongLong:
    case ColumnType::kNewDecimal:
    case ColumnType::kDecimal:
    case ColumnType::kFloat:
    case ColumnType::kDouble:
      return true;
    default:
      return false;
  }
}

// Which columns the charset metadata lists. MariaDB lists every column with a character set
// in its binlog type info, GEOMETRY (binary) included. MySQL (Table_map_log_event's
// is_character_type) lists the binlog types STRING (CHAR/BINARY; ENUM and SET have their own
// fields), VAR_STRING, VARCHAR, BLOB (every TEXT and BLOB) and, from 9.0, VECTOR (binary);
// not JSON or GEOMETRY.
bool IsCharacterType(const ColumnDef& c, bool mariadb) {
  if (c.type == ColumnType::kGeometry) return mariadb;
  if (c.type == ColumnType::kVector) return true;
  switch (c.real_type) {
    case ColumnType::kString:
    case ColumnType::kVarString:
    case ColumnType::kVarchar:
    case ColumnType::kBlob:
    case ColumnType::kTinyBlob:
    case ColumnType::kMediumBlob:
    case ColumnType::kLongBlob:
      return c.type != ColumnType::kJson;
    default:
      return false;
  }
}

bool IsEnumOrSet(const ColumnDef& c) {
  return c.real_type == ColumnType::kEnum || c.real_type == ColumnType::kSet;
}

// A bitmap of `n` bits stored most-significant bit first (optional metadata).
bool MsbBit(absl::string_view bits, size_t i) {
  return (static_cast<uint8_t>(bits[i / 8]) >> (7 - i % 8)) & 1;
}

absl::Status Annotate(const absl::Status& s, const EventHeader& h, uint64_t offset) {
  if (s.ok()) return s;
  return absl::Status(s.code(), absl::StrCat(s.message(), " (event ", EventTypeName(h.type),
                                             " at offset ", offset, ")"));
}

void AppendUuid(const uint8_t* u, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out->push_back('-');
    out->push_back(kHex[u[i] >> 4]);
    out->push_back(kHex[u[i] & 15]);
  }
}

}  // namespace

absl::StatusOr<EventHeader> EventHeader::Parse(Cursor& c) {
  RETURN_IF_ERROR(c.Need(kSize, "event header"));
  EventHeader h;
  h.timestamp = *c.U32();
  h.type = static_cast<EventType>(*c.U8());
  h.server_id = *c.U32();
  h.event_size = *c.U32();
  h.log_pos = *c.U32();
  h.flags = *c.U16();
  if (h.event_size < kSize) {
    return absl::DataLossError(absl::StrCat("corrupt event header at offset ",
                                            c.absolute_offset() - kSize, ": event size ",
                                            h.event_size, " < 19"));
  }
  return h;
}

namespace {

// MySQL 5.1.0-5.1.15 and 5.2.0-5.2.2 preview builds of row-based replication ("drops"):
// Format_description_log_event recognises them by the version string (5.1.0-5.1.5 drop 5,
// 5.1.4 drop 6, 5.2.0-5.2.2 drop 6) and renumbers event types 15-22.
bool IsRowsDropVersion(absl::string_view v) {
  if (v.size() < 13 || v[0] != '5' || v[1] != '.' || v[3] != '.' || v.substr(5, 7) != "-a_drop") {
    return false;
  }
  return (v[2] == '1' && v[4] >= '0' && v[4] <= '5' && v[12] == '5') ||
         (v[2] == '1' && v[4] == '4' && v[12] == '6') ||
         (v[2] == '2' && v[4] >= '0' && v[4] <= '2' && v[12] == '6');
}

// The drops' codes 15-22 in today's numbering (index: drop code - 15).
constexpr EventType kDropTypes[] = {
    EventType::kFormatDescription, EventType::kTableMap,         EventType::kPreGaWriteRows,
    EventType::kPreGaUpdateRows,   EventType::kPreGaDeleteRows,  EventType::kXid,
    EventType::kBeginLoadQuery,    EventType::kExecuteLoadQuery,
};

}  // namespace

EventType FormatDescription::TypeOf(EventType raw) const {
  const auto code = static_cast<uint8_t>(raw);
  if (!drop_type_codes || code < 15 || code > 22) return raw;
  return kDropTypes[code - 15];
}

bool FormatDescription::IsMariaDb() const {
  return server_version.find("MariaDB") != std::string::npos;
}

uint8_t FormatDescription::PostHeaderLength(EventType type, uint8_t fallback) const {
  const size_t i = static_cast<size_t>(type);
  if (i == 0 || i > post_header_lengths.size()) return fallback;
  return post_header_lengths[i - 1];
}

absl::StatusOr<FormatDescription> FormatDescription::Parse(Cursor& body, uint32_t event_size) {
  FormatDescription f;
  ASSIGN_OR_RETURN(f.binlog_version, body.U16("binlog version"));
  ASSIGN_OR_RETURN(absl::string_view version, body.Bytes(50, "server version"));
  f.server_version = std::string(version.substr(0, version.find('\0')));
  ASSIGN_OR_RETURN(f.create_timestamp, body.U32("create timestamp"));
  ASSIGN_OR_RETURN(f.header_length, body.U8("header length"));
  if (f.binlog_version != 4 || f.header_length < EventHeader::kSize) {
    return body.Corrupt(absl::StrCat("unsupported binlog version ", f.binlog_version,
                                     " / header length ", f.header_length));
  }
  absl::string_view rest = body.Rest();
  if (VersionHasChecksum(f.server_version)) {
    // The last 5 bytes: the checksum algorithm byte and the (possibly unused) CRC32.
    if (rest.size() < 5) return body.Corrupt("FORMAT_DESCRIPTION too short for its checksum");
    const uint8_t alg = static_cast<uint8_t>(rest[rest.size() - 5]);
    if (alg != 0 && alg != 1 && alg != 255) {
      return body.Corrupt(absl::StrCat("unknown checksum algorithm ", alg));
    }
    f.checksum = static_cast<ChecksumAlg>(alg);
    if (f.checksum == ChecksumAlg::kUndefined) f.checksum = ChecksumAlg::kOff;
    rest.remove_suffix(5);
  } else {
    f.checksum = ChecksumAlg::kOff;
  }
  (void)event_size;
  f.post_header_lengths.assign(rest.begin(), rest.end());
  if (IsRowsDropVersion(f.server_version) && f.post_header_lengths.size() >= 22) {
    f.drop_type_codes = true;
    const std::vector<uint8_t> drop = f.post_header_lengths;
    for (uint8_t code = 15; code <= 22; ++code) {
      f.post_header_lengths[static_cast<size_t>(kDropTypes[code - 15]) - 1] = drop[code - 1];
    }
  }
  return f;
}

absl::StatusOr<TableMap> TableMap::Parse(Cursor& c, uint8_t post_header_len, bool mariadb,
                                         bool legacy) {
  TableMap t;
  ASSIGN_OR_RETURN(t.table_id, c.UintLe(post_header_len == 6 ? 4 : 6, "table id"));
  ASSIGN_OR_RETURN(t.flags, c.U16("table map flags"));
  if (post_header_len > 8) RETURN_IF_ERROR(c.Skip(post_header_len - 8, "post-header"));
  ASSIGN_OR_RETURN(uint8_t schema_len, c.U8("schema length"));
  ASSIGN_OR_RETURN(absl::string_view schema, c.Bytes(schema_len, "schema"));
  RETURN_IF_ERROR(c.Skip(1, "schema terminator"));
  ASSIGN_OR_RETURN(uint8_t table_len, c.U8("table length"));
  ASSIGN_OR_RETURN(absl::string_view table, c.Bytes(table_len, "table"));
  RETURN_IF_ERROR(c.Skip(1, "table terminator"));
  t.schema = std::string(schema);
  t.table = std::string(table);
  ASSIGN_OR_RETURN(uint64_t n, c.PackedInt("column count"));
  ASSIGN_OR_RETURN(absl::string_view types, c.Bytes(n, "column types"));
  t.columns.resize(n);
  for (size_t i = 0; i < n; ++i) {
    t.columns[i].type = static_cast<ColumnType>(types[i]);
    t.columns[i].real_type = t.columns[i].type;
  }
  // The 5.1 previews (FormatDescription::drop_type_codes) ended the event here: no column
  // metadata, no null bitmap.
  if (c.empty() && legacy) return t;
  ASSIGN_OR_RETURN(uint64_t meta_len, c.PackedInt("metadata length"));
  ASSIGN_OR_RETURN(Cursor meta, c.Sub(meta_len, "column metadata"));
  for (ColumnDef& col : t.columns) {
    switch (col.type) {
      case ColumnType::kFloat:
      case ColumnType::kDouble:
      case ColumnType::kTimestamp2:
      case ColumnType::kDateTime2:
      case ColumnType::kTime2: {
        ASSIGN_OR_RETURN(col.meta, meta.U8("column metadata"));
        break;
      }
      case ColumnType::kBlob:
      case ColumnType::kTinyBlob:
      case ColumnType::kMediumBlob:
      case ColumnType::kLongBlob:
      case ColumnType::kGeometry:
      case ColumnType::kJson:
      case ColumnType::kVector: {
        ASSIGN_OR_RETURN(col.meta, meta.U8("column metadata"));
        if (col.meta < 1 || col.meta > 4) {
          return meta.Corrupt(absl::StrCat("blob length size ", col.meta));
        }
        col.max_length = col.meta;
        break;
      }
      case ColumnType::kVarchar:
      case ColumnType::kVarString: {
        ASSIGN_OR_RETURN(col.meta, meta.U16("column metadata"));
        col.max_length = col.meta;
        break;
      }
      case ColumnType::kBit:
      case ColumnType::kNewDecimal:
      case ColumnType::kDecimal: {
        // Stored as two bytes: BIT (bits % 8, bytes), DECIMAL (precision, scale).
        ASSIGN_OR_RETURN(uint8_t b0, meta.U8("column metadata"));
        ASSIGN_OR_RETURN(uint8_t b1, meta.U8("column metadata"));
        col.meta = static_cast<uint16_t>(b0 << 8 | b1);
        if (col.type == ColumnType::kNewDecimal && DecimalBinarySize(b0, b1) == 0) {
          return meta.Corrupt(absl::StrCat("DECIMAL(", b0, ",", b1, ")"));
        }
        break;
      }
      case ColumnType::kString:
      case ColumnType::kEnum:
      case ColumnType::kSet: {
        ASSIGN_OR_RETURN(uint8_t b0, meta.U8("column metadata"));
        ASSIGN_OR_RETURN(uint8_t b1, meta.U8("column metadata"));
        col.meta = static_cast<uint16_t>(b0 << 8 | b1);
        // CHAR lengths > 255 carry their two high bits, inverted, in bits 4-5 of byte 0.
        if ((b0 & 0x30) != 0x30) {
          col.real_type = static_cast<ColumnType>(b0 | 0x30);
          col.max_length = b1 | (((b0 & 0x30) ^ 0x30) << 4);
        } else {
          col.real_type = static_cast<ColumnType>(b0);
          col.max_length = b1;
        }
        if (col.type != ColumnType::kString) col.real_type = col.type;
        break;
      }
      default:
        break;
    }
  }
  ASSIGN_OR_RETURN(absl::string_view nulls, c.Bytes((n + 7) / 8, "null bitmap"));
  for (size_t i = 0; i < n; ++i) {
    t.columns[i].nullable = (static_cast<uint8_t>(nulls[i / 8]) >> (i % 8)) & 1;
  }
  // Optional metadata (binlog_row_metadata=MINIMAL/FULL): type, packed length, value.
  while (!c.empty()) {
    ASSIGN_OR_RETURN(uint8_t type, c.U8("optional metadata type"));
    ASSIGN_OR_RETURN(uint64_t len, c.PackedInt("optional metadata length"));
    ASSIGN_OR_RETURN(Cursor f, c.Sub(len, "optional metadata"));
    switch (type) {
      case 1: {  // SIGNEDNESS: one bit per numeric column, MSB first
        size_t k = 0;
        absl::string_view bits = f.Rest();
        for (ColumnDef& col : t.columns) {
          if (!IsNumericType(col.type)) continue;
          if (k / 8 >= bits.size()) return f.Corrupt("short SIGNEDNESS bitmap");
          col.is_unsigned = MsbBit(bits, k++);
        }
        break;
      }
      case 2:     // DEFAULT_CHARSET: default, then (column index, charset) pairs
      case 10: {  // ENUM_AND_SET_DEFAULT_CHARSET
        const bool enums = type == 10;
        ASSIGN_OR_RETURN(uint64_t def, f.PackedInt("default charset"));
        std::vector<ColumnDef*> cols;
        for (ColumnDef& col : t.columns) {
          if (enums ? IsEnumOrSet(col) : IsCharacterType(col, mariadb)) {
            col.charset = static_cast<uint16_t>(def);
            cols.push_back(&col);
          }
        }
        while (!f.empty()) {
          ASSIGN_OR_RETURN(uint64_t idx, f.PackedInt("charset column index"));
          ASSIGN_OR_RETURN(uint64_t cs, f.PackedInt("charset"));
          if (idx >= cols.size()) return f.Corrupt("charset column index out of range");
          cols[idx]->charset = static_cast<uint16_t>(cs);
        }
        break;
      }
      case 3:     // COLUMN_CHARSET
      case 11: {  // ENUM_AND_SET_COLUMN_CHARSET
        const bool enums = type == 11;
        for (ColumnDef& col : t.columns) {
          if (!(enums ? IsEnumOrSet(col) : IsCharacterType(col, mariadb))) continue;
          ASSIGN_OR_RETURN(uint64_t cs, f.PackedInt("column charset"));
          col.charset = static_cast<uint16_t>(cs);
        }
        break;
      }
      case 4:  // COLUMN_NAME
        for (ColumnDef& col : t.columns) {
          ASSIGN_OR_RETURN(absl::string_view name, f.PackedString("column name"));
          col.name = std::string(name);
        }
        t.has_names = true;
        break;
      case 5:    // SET_STR_VALUE
      case 6: {  // ENUM_STR_VALUE
        const ColumnType want = type == 5 ? ColumnType::kSet : ColumnType::kEnum;
        for (ColumnDef& col : t.columns) {
          if (col.real_type != want) continue;
          ASSIGN_OR_RETURN(uint64_t count, f.PackedInt("enum value count"));
          if (count > f.remaining()) return f.Corrupt("enum value count too large");
          col.enum_values.reserve(count);
          for (uint64_t k = 0; k < count; ++k) {
            ASSIGN_OR_RETURN(absl::string_view s, f.PackedString("enum value"));
            col.enum_values.emplace_back(s);
          }
        }
        break;
      }
      case 7:  // GEOMETRY_TYPE
        for (ColumnDef& col : t.columns) {
          if (col.type != ColumnType::kGeometry) continue;
          ASSIGN_OR_RETURN(uint64_t g, f.PackedInt("geometry type"));
          col.geometry_type = static_cast<uint32_t>(g);
        }
        break;
      case 8:  // SIMPLE_PRIMARY_KEY
        while (!f.empty()) {
          ASSIGN_OR_RETURN(uint64_t idx, f.PackedInt("primary key column"));
          if (idx >= t.columns.size()) return f.Corrupt("primary key column out of range");
          t.columns[idx].primary_key = true;
        }
        break;
      case 9:  // PRIMARY_KEY_WITH_PREFIX
        while (!f.empty()) {
          ASSIGN_OR_RETURN(uint64_t idx, f.PackedInt("primary key column"));
          RETURN_IF_ERROR(f.PackedInt("primary key prefix").status());
          if (idx >= t.columns.size()) return f.Corrupt("primary key column out of range");
          t.columns[idx].primary_key = true;
        }
        break;
      default:  // COLUMN_VISIBILITY, VECTOR dimensions, future fields: not needed
        break;
    }
  }
  return t;
}

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

absl::Status MariaDbUncompress(Cursor& c, std::string* out) {
  ASSIGN_OR_RETURN(uint8_t head, c.U8("compression header"));
  const int lenlen = head & 0x07;
  if ((head & 0x80) == 0 || lenlen < 1 || lenlen > 4) {
    return c.Corrupt(absl::StrCat("bad compression header ", head));
  }
  ASSIGN_OR_RETURN(uint64_t len, c.UintBe(lenlen, "uncompressed length"));
  const absl::string_view compressed = c.Rest();
  // zlib cannot inflate by more than 1032:1; refuse lengths the data cannot hold.
  if (len > kMaxUncompressed || len > compressed.size() * 1032 + 64) {
    return c.Corrupt(absl::StrCat("implausible uncompressed length ", len));
  }
  out->resize(len);
  uLongf dest_len = static_cast<uLongf>(len);
  const int rc = uncompress(reinterpret_cast<Bytef*>(out->data()), &dest_len,
                            reinterpret_cast<const Bytef*>(compressed.data()), compressed.size());
  if (rc != Z_OK || dest_len != len) {
    return c.Corrupt(absl::StrCat("zlib inflate failed (", rc, ")"));
  }
  return absl::OkStatus();
}

Decoder::Decoder(Options options) : options_(options) {
  // Until a FORMAT_DESCRIPTION arrives: v4 with the configured checksum.
  format_.checksum = options_.initial_checksum;
}

absl::StatusOr<Event> Decoder::Decode(absl::string_view raw, uint64_t offset, bool in_payload) {
  Cursor c(raw, offset);
  ASSIGN_OR_RETURN(EventHeader h, EventHeader::Parse(c));
  h.type = format_.TypeOf(h.type);
  if (h.event_size != raw.size()) {
    return absl::DataLossError(absl::StrCat("event at offset ", offset, " (", EventTypeName(h.type),
                                            ") says size ", h.event_size, " but ", raw.size(),
                                            " bytes were framed"));
  }
  Event event;
  event.header = h;
  event.offset = offset;
  size_t body_end = raw.size();
  // FORMAT_DESCRIPTION carries its own checksum algorithm; others follow the current one.
  ChecksumAlg alg = format_.checksum;
  std::optional<FormatDescription> new_format;
  if (h.type == EventType::kFormatDescription) {
    Cursor fc(raw.substr(EventHeader::kSize), offset + EventHeader::kSize);
    auto f = FormatDescription::Parse(fc, h.event_size);
    if (!f.ok()) return Annotate(f.status(), h, offset);
    alg = f->checksum;
    new_format = *std::move(f);
  }
  if (in_payload) alg = ChecksumAlg::kOff;
  if (alg == ChecksumAlg::kCrc32) {
    if (raw.size() < EventHeader::kSize + 4) {
      return Annotate(absl::DataLossError("event too short for its checksum"), h, offset);
    }
    body_end -= 4;
    if (options_.verify_checksums) {
      uint32_t stored;
      std::memcpy(&stored, raw.data() + body_end, 4);
      const auto* bytes = reinterpret_cast<const uint8_t*>(raw.data());
      uint32_t computed;
      if (h.type == EventType::kFormatDescription && (h.flags & kBinlogInUseFlag)) {
        // The server clears LOG_EVENT_BINLOG_IN_USE_F on close without re-checksumming;
        // the checksum is defined over the header with that flag clear.
        const uint8_t flags_low = static_cast<uint8_t>(bytes[17] & ~kBinlogInUseFlag);
        computed = libdeflate_crc32(0, bytes, 17);
        computed = libdeflate_crc32(computed, &flags_low, 1);
        computed = libdeflate_crc32(computed, bytes + 18, body_end - 18);
      } else {
        computed = libdeflate_crc32(0, bytes, body_end);
      }
      if (stored != computed) {
        char buf[64];
        std::snprintf(buf, sizeof(buf), "CRC32 mismatch: stored %08x, computed %08x", stored,
                      computed);
        return Annotate(absl::DataLossError(buf), h, offset);
      }
    }
  }
  if (new_format.has_value()) {
    format_ = *new_format;
    event.body = *std::move(new_format);
    return event;
  }
  // Some forks wrote longer common headers (MDEV-4645); the extra bytes are skipped.
  const size_t header_len = format_.header_length;
  if (body_end < header_len) {
    return Annotate(absl::DataLossError("event shorter than the common header"), h, offset);
  }
  Cursor body(raw.substr(header_len, body_end - header_len), offset + header_len);
  RETURN_IF_ERROR(Annotate(DecodeBody(h, body, in_payload, event), h, offset));
  return event;
}

absl::Status Decoder::DecodeBody(const EventHeader& h, Cursor& body, bool in_payload,
                                 Event& event) {
  switch (h.type) {
    case EventType::kStartV3: {
      // Binlog v3 (MySQL 4.x): fixed post-header lengths, QUERY's being 11; no checksums.
      ASSIGN_OR_RETURN(uint16_t version, body.U16("binlog version"));
      ASSIGN_OR_RETURN(absl::string_view server, body.Bytes(50, "server version"));
      if (version < 1 || version > 3) {
        return body.Corrupt(absl::StrCat("START_V3 with binlog version ", version));
      }
      format_ = FormatDescription();
      format_.binlog_version = version;
      format_.server_version = std::string(server.substr(0, server.find('\0')));
      format_.post_header_lengths = {0, 11};
      event.body = OtherEvent{};
      return absl::OkStatus();
    }
    case EventType::kRotate: {
      RotateEvent r;
      ASSIGN_OR_RETURN(r.position, body.U64("rotate position"));
      r.next_file = body.Rest();
      event.body = r;
      return absl::OkStatus();
    }
    case EventType::kStop:
      event.body = StopEvent{};
      return absl::OkStatus();
    case EventType::kQuery:
    case EventType::kQueryCompressed: {
      const uint8_t post = format_.PostHeaderLength(h.type, 13);
      if (post < 11) return body.Corrupt("QUERY post-header too short");
      QueryEvent q;
      ASSIGN_OR_RETURN(q.thread_id, body.U32("thread id"));
      ASSIGN_OR_RETURN(q.exec_time, body.U32("exec time"));
      ASSIGN_OR_RETURN(uint8_t db_len, body.U8("schema length"));
      ASSIGN_OR_RETURN(q.error_code, body.U16("error code"));
      uint16_t status_len = 0;
      if (post >= 13) {
        ASSIGN_OR_RETURN(status_len, body.U16("status vars length"));
        RETURN_IF_ERROR(body.Skip(post - 13, "post-header"));
      }
      RETURN_IF_ERROR(body.Skip(status_len, "status vars"));
      ASSIGN_OR_RETURN(q.schema, body.Bytes(db_len, "schema"));
      RETURN_IF_ERROR(body.Skip(1, "schema terminator"));
      if (h.type == EventType::kQueryCompressed) {
        RETURN_IF_ERROR(MariaDbUncompress(body, &rows_buffer_));
        q.statement = rows_buffer_;
      } else {
        q.statement = body.Rest();
      }
      event.body = q;
      return absl::OkStatus();
    }
    case EventType::kXid: {
      XidEvent x;
      ASSIGN_OR_RETURN(x.xid, body.U64("xid"));
      event.body = x;
      return absl::OkStatus();
    }
    case EventType::kTableMap: {
      ASSIGN_OR_RETURN(TableMap t, TableMap::Parse(body, format_.PostHeaderLength(h.type, 8),
                                                   format_.IsMariaDb(), format_.drop_type_codes));
      auto& slot = tables_[t.table_id];
      if (slot == nullptr) {
        slot = std::make_unique<TableMap>(std::move(t));
      } else {
        *slot = std::move(t);
      }
      event.body = static_cast<const TableMap*>(slot.get());
      return absl::OkStatus();
    }
    case EventType::kPreGaWriteRows:
    case EventType::kPreGaUpdateRows:
    case EventType::kPreGaDeleteRows:
    case EventType::kWriteRowsV1:
    case EventType::kUpdateRowsV1:
    case EventType::kDeleteRowsV1:
    case EventType::kWriteRowsV2:
    case EventType::kUpdateRowsV2:
    case EventType::kDeleteRowsV2:
    case EventType::kWriteRowsCompressedV1:
    case EventType::kUpdateRowsCompressedV1:
    case EventType::kDeleteRowsCompressedV1:
    case EventType::kWriteRowsCompressed:
    case EventType::kUpdateRowsCompressed:
    case EventType::kDeleteRowsCompressed:
    case EventType::kPartialUpdateRows:
      return DecodeRows(h, body, event);
    case EventType::kGtid:
    case EventType::kAnonymousGtid: {
      GtidEvent g;
      ASSIGN_OR_RETURN(g.flags, body.U8("gtid flags"));
      ASSIGN_OR_RETURN(absl::string_view sid, body.Bytes(16, "gtid uuid"));
      std::memcpy(g.uuid, sid.data(), 16);
      ASSIGN_OR_RETURN(uint64_t gno, body.U64("gtid gno"));
      g.sequence = gno;
      g.anonymous = h.type == EventType::kAnonymousGtid;
      event.body = g;
      return absl::OkStatus();
    }
    case EventType::kGtidTagged: {
      ASSIGN_OR_RETURN(GtidEvent g, DecodeTaggedGtid(body));
      event.body = std::move(g);
      return absl::OkStatus();
    }
    case EventType::kMariaGtid: {
      GtidEvent g;
      g.mariadb = true;
      g.server_id = h.server_id;
      ASSIGN_OR_RETURN(g.sequence, body.U64("gtid seq_no"));
      ASSIGN_OR_RETURN(g.domain_id, body.U32("gtid domain"));
      ASSIGN_OR_RETURN(g.flags, body.U8("gtid flags"));
      event.body = g;
      return absl::OkStatus();
    }
    case EventType::kMariaGtidList: {
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
      event.body = std::move(l);
      return absl::OkStatus();
    }
    case EventType::kPreviousGtids: {
      PreviousGtidsEvent p;
      p.encoded = body.Rest();
      auto set = GtidSet::Decode(p.encoded);
      if (!set.ok()) return body.Corrupt(set.status().message());
      p.text = set->ToString();
      event.body = std::move(p);
      return absl::OkStatus();
    }
    case EventType::kRowsQuery: {
      RETURN_IF_ERROR(body.Skip(1, "rows query length"));  // a truncated length; unused
      event.body = RowsQueryEvent{body.Rest()};
      return absl::OkStatus();
    }
    case EventType::kAnnotateRows:
      event.body = RowsQueryEvent{body.Rest()};
      return absl::OkStatus();
    case EventType::kBinlogCheckpoint: {
      ASSIGN_OR_RETURN(uint32_t len, body.U32("checkpoint file length"));
      ASSIGN_OR_RETURN(absl::string_view file, body.Bytes(len, "checkpoint file"));
      event.body = BinlogCheckpointEvent{file};
      return absl::OkStatus();
    }
    case EventType::kHeartbeat: {
      HeartbeatEvent hb;
      hb.log_ident = body.Rest();
      event.body = hb;
      return absl::OkStatus();
    }
    case EventType::kHeartbeatV2: {
      // MySQL 8.0.26+: fields of (packed type, packed length, value) up to the end mark (0):
      // 1 the log file name, 2 the position (a packed integer).
      HeartbeatEvent hb;
      while (!body.empty()) {
        ASSIGN_OR_RETURN(uint64_t type, body.PackedInt("heartbeat field type"));
        if (type == 0) break;
        ASSIGN_OR_RETURN(uint64_t len, body.PackedInt("heartbeat field length"));
        ASSIGN_OR_RETURN(Cursor f, body.Sub(len, "heartbeat field"));
        if (type == 1) {
          hb.log_ident = f.Rest();
        } else if (type == 2) {
          ASSIGN_OR_RETURN(hb.position, f.PackedInt("heartbeat position"));
        }
      }
      event.body = hb;
      return absl::OkStatus();
    }
    case EventType::kTransactionPayload:
      if (in_payload) return body.Corrupt("TRANSACTION_PAYLOAD nested in a payload");
      return DecodePayload(body, event);
    case EventType::kStartEncryption:
      return absl::UnimplementedError(
          "encrypted binlog (START_ENCRYPTION): decryption is not supported; read the binlog "
          "through the server (live stream) instead");
    default:
      event.body = OtherEvent{};
      return absl::OkStatus();
  }
}

absl::Status Decoder::DecodeRows(const EventHeader& h, Cursor& body, Event& event) {
  RowsEvent r;
  bool v2 = false, compressed = false;
  switch (h.type) {
    case EventType::kPreGaWriteRows:
      r.op = RowOp::kInsert, r.pre_ga = true;
      break;
    case EventType::kPreGaUpdateRows:
      r.op = RowOp::kUpdate, r.pre_ga = true;
      break;
    case EventType::kPreGaDeleteRows:
      r.op = RowOp::kDelete, r.pre_ga = true;
      break;
    case EventType::kWriteRowsV1:
      r.op = RowOp::kInsert;
      break;
    case EventType::kUpdateRowsV1:
      r.op = RowOp::kUpdate;
      break;
    case EventType::kDeleteRowsV1:
      r.op = RowOp::kDelete;
      break;
    case EventType::kWriteRowsV2:
      r.op = RowOp::kInsert, v2 = true;
      break;
    case EventType::kUpdateRowsV2:
      r.op = RowOp::kUpdate, v2 = true;
      break;
    case EventType::kPartialUpdateRows:
      r.op = RowOp::kUpdate, v2 = true, r.partial_json = true;
      break;
    case EventType::kDeleteRowsV2:
      r.op = RowOp::kDelete, v2 = true;
      break;
    case EventType::kWriteRowsCompressedV1:
      r.op = RowOp::kInsert, compressed = true;
      break;
    case EventType::kUpdateRowsCompressedV1:
      r.op = RowOp::kUpdate, compressed = true;
      break;
    case EventType::kDeleteRowsCompressedV1:
      r.op = RowOp::kDelete, compressed = true;
      break;
    case EventType::kWriteRowsCompressed:
      r.op = RowOp::kInsert, compressed = true, v2 = true;
      break;
    case EventType::kUpdateRowsCompressed:
      r.op = RowOp::kUpdate, compressed = true, v2 = true;
      break;
    default:
      r.op = RowOp::kDelete, compressed = true, v2 = true;
      break;
  }
  const uint8_t post = format_.PostHeaderLength(h.type, v2 ? 10 : 8);
  ASSIGN_OR_RETURN(r.table_id, body.UintLe(post == 6 ? 4 : 6, "table id"));
  ASSIGN_OR_RETURN(r.flags, body.U16("rows flags"));
  if (v2) {
    ASSIGN_OR_RETURN(uint16_t extra_len, body.U16("extra data length"));
    if (extra_len < 2) return body.Corrupt("extra data length < 2");
    ASSIGN_OR_RETURN(r.extra, body.Bytes(extra_len - 2, "extra data"));
  }
  ASSIGN_OR_RETURN(uint64_t n, body.PackedInt("column count"));
  if (n > body.remaining() * 8) return body.Corrupt("column count larger than the event");
  r.column_count = static_cast<uint32_t>(n);
  ASSIGN_OR_RETURN(r.present_before, body.Bytes((n + 7) / 8, "columns bitmap"));
  r.present_after = r.present_before;
  if (r.op == RowOp::kUpdate) {
    ASSIGN_OR_RETURN(r.present_after, body.Bytes((n + 7) / 8, "update columns bitmap"));
  }
  if (r.table_id == 0x00ffffff && (r.flags & 1) && n == 0) {
    // A dummy event that only ends the statement (table id ~0).
    r.table = nullptr;
  } else {
    auto it = tables_.find(r.table_id);
    if (it == tables_.end()) {
      return body.Corrupt(absl::StrCat("rows for table id ", r.table_id, " without a TABLE_MAP"));
    }
    r.table = it->second.get();
    if (r.table->columns.size() != n) {
      return body.Corrupt(
          absl::StrCat("rows event has ", n, " columns, table map ", r.table->columns.size()));
    }
  }
  if (compressed) {
    r.rows_offset = event.offset;
    RETURN_IF_ERROR(MariaDbUncompress(body, &rows_buffer_));
    r.rows = rows_buffer_;
  } else {
    r.rows_offset = body.absolute_offset();
    r.rows = body.Rest();
  }
  event.body = r;
  return absl::OkStatus();
}

absl::Status Decoder::DecodePayload(Cursor& body, Event& event) {
  TransactionPayloadEvent p;
  uint64_t payload_size = 0, uncompressed_size = 0;
  bool have_uncompressed_size = false;
  // Header fields: type, length, value (all packed integers), up to the end mark (type 0).
  for (;;) {
    ASSIGN_OR_RETURN(uint64_t type, body.PackedInt("payload field type"));
    if (type == 0) break;
    ASSIGN_OR_RETURN(uint64_t len, body.PackedInt("payload field length"));
    ASSIGN_OR_RETURN(Cursor f, body.Sub(len, "payload field"));
    switch (type) {
      case 1: {
        ASSIGN_OR_RETURN(payload_size, f.PackedInt("payload size"));
        break;
      }
      case 2: {
        ASSIGN_OR_RETURN(p.compression, f.PackedInt("compression type"));
        break;
      }
      case 3: {
        ASSIGN_OR_RETURN(uncompressed_size, f.PackedInt("uncompressed size"));
        have_uncompressed_size = true;
        break;
      }
      default:
        break;  // unknown fields are skippable by design
    }
  }
  ASSIGN_OR_RETURN(absl::string_view data, body.Bytes(payload_size, "payload"));
  if (p.compression == 255) {
    p.events = data;
  } else if (p.compression == 0) {
    if (!have_uncompressed_size) {
      const unsigned long long fcs = ZSTD_getFrameContentSize(data.data(), data.size());
      if (fcs == ZSTD_CONTENTSIZE_ERROR || fcs == ZSTD_CONTENTSIZE_UNKNOWN) {
        return body.Corrupt("zstd payload without a content size");
      }
      uncompressed_size = fcs;
    }
    // A zstd block inflates at most ~32768:1 (RLE); refuse sizes the data cannot hold.
    if (uncompressed_size > kMaxUncompressed ||
        uncompressed_size > data.size() * 32768ull + 65536) {
      return body.Corrupt(absl::StrCat("implausible uncompressed size ", uncompressed_size));
    }
    payload_buffer_.resize(uncompressed_size);
    const size_t got =
        ZSTD_decompress(payload_buffer_.data(), payload_buffer_.size(), data.data(), data.size());
    if (ZSTD_isError(got) || got != uncompressed_size) {
      return body.Corrupt(absl::StrCat("zstd decompression failed: ",
                                       ZSTD_isError(got) ? ZSTD_getErrorName(got) : "short"));
    }
    p.events = payload_buffer_;
  } else {
    return absl::UnimplementedError(absl::StrCat("payload compression type ", p.compression));
  }
  event.body = p;
  return absl::OkStatus();
}

absl::string_view EventTypeName(EventType type) {
  switch (type) {
    case EventType::kUnknown:
      return "UNKNOWN";
    case EventType::kStartV3:
      return "START_V3";
    case EventType::kQuery:
      return "QUERY";
    case EventType::kStop:
      return "STOP";
    case EventType::kRotate:
      return "ROTATE";
    case EventType::kIntvar:
      return "INTVAR";
    case EventType::kRand:
      return "RAND";
    case EventType::kUserVar:
      return "USER_VAR";
    case EventType::kFormatDescription:
      return "FORMAT_DESCRIPTION";
    case EventType::kXid:
      return "XID";
    case EventType::kBeginLoadQuery:
      return "BEGIN_LOAD_QUERY";
    case EventType::kExecuteLoadQuery:
      return "EXECUTE_LOAD_QUERY";
    case EventType::kTableMap:
      return "TABLE_MAP";
    case EventType::kPreGaWriteRows:
      return "PRE_GA_WRITE_ROWS";
    case EventType::kPreGaUpdateRows:
      return "PRE_GA_UPDATE_ROWS";
    case EventType::kPreGaDeleteRows:
      return "PRE_GA_DELETE_ROWS";
    case EventType::kWriteRowsV1:
      return "WRITE_ROWS_V1";
    case EventType::kUpdateRowsV1:
      return "UPDATE_ROWS_V1";
    case EventType::kDeleteRowsV1:
      return "DELETE_ROWS_V1";
    case EventType::kIncident:
      return "INCIDENT";
    case EventType::kHeartbeat:
      return "HEARTBEAT";
    case EventType::kIgnorable:
      return "IGNORABLE";
    case EventType::kRowsQuery:
      return "ROWS_QUERY";
    case EventType::kWriteRowsV2:
      return "WRITE_ROWS_V2";
    case EventType::kUpdateRowsV2:
      return "UPDATE_ROWS_V2";
    case EventType::kDeleteRowsV2:
      return "DELETE_ROWS_V2";
    case EventType::kGtid:
      return "GTID";
    case EventType::kAnonymousGtid:
      return "ANONYMOUS_GTID";
    case EventType::kPreviousGtids:
      return "PREVIOUS_GTIDS";
    case EventType::kTransactionContext:
      return "TRANSACTION_CONTEXT";
    case EventType::kViewChange:
      return "VIEW_CHANGE";
    case EventType::kXaPrepare:
      return "XA_PREPARE";
    case EventType::kPartialUpdateRows:
      return "PARTIAL_UPDATE_ROWS";
    case EventType::kTransactionPayload:
      return "TRANSACTION_PAYLOAD";
    case EventType::kHeartbeatV2:
      return "HEARTBEAT_V2";
    case EventType::kGtidTagged:
      return "GTID_TAGGED";
    case EventType::kAnnotateRows:
      return "ANNOTATE_ROWS";
    case EventType::kBinlogCheckpoint:
      return "BINLOG_CHECKPOINT";
    case EventType::kMariaGtid:
      return "MARIADB_GTID";
    case EventType::kMariaGtidList:
      return "MARIADB_GTID_LIST";
    case EventType::kStartEncryption:
      return "START_ENCRYPTION";
    case EventType::kQueryCompressed:
      return "QUERY_COMPRESSED";
    case EventType::kWriteRowsCompressedV1:
      return "WRITE_ROWS_COMPRESSED_V1";
    case EventType::kUpdateRowsCompressedV1:
      return "UPDATE_ROWS_COMPRESSED_V1";
    case EventType::kDeleteRowsCompressedV1:
      return "DELETE_ROWS_COMPRESSED_V1";
    case EventType::kWriteRowsCompressed:
      return "WRITE_ROWS_COMPRESSED";
    case EventType::kUpdateRowsCompressed:
      return "UPDATE_ROWS_COMPRESSED";
    case EventType::kDeleteRowsCompressed:
      return "DELETE_ROWS_COMPRESSED";
  }
  return "UNKNOWN_TYPE";
}

}  // namespace dcp::mysql::binlog
