#include "mysql/binlog/event.h"

#include <libdeflate.h>

#include <cstdio>
#include <cstring>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "util/status_macros.h"

namespace dcp::mysql::binlog {
namespace {

constexpr uint16_t kBinlogInUseFlag = 0x1;

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

absl::Status Annotate(const absl::Status& s, const EventHeader& h, uint64_t offset) {
  if (s.ok()) return s;
  return absl::Status(s.code(), absl::StrCat(s.message(), " (event ", EventTypeName(h.type),
                                             " at offset ", offset, ")"));
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

namespace {

// Checks the CRC32 stored in raw[body_end, body_end + 4) against the bytes before it.
absl::Status VerifyCrc32(absl::string_view raw, size_t body_end, const EventHeader& h) {
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
  if (stored == computed) return absl::OkStatus();
  char buf[64];
  std::snprintf(buf, sizeof(buf), "CRC32 mismatch: stored %08x, computed %08x", stored, computed);
  return absl::DataLossError(buf);
}

absl::StatusOr<RotateEvent> DecodeRotate(Cursor& body) {
  RotateEvent r;
  ASSIGN_OR_RETURN(r.position, body.U64("rotate position"));
  r.next_file = body.Rest();
  return r;
}

absl::StatusOr<XidEvent> DecodeXid(Cursor& body) {
  XidEvent x;
  ASSIGN_OR_RETURN(x.xid, body.U64("xid"));
  return x;
}

absl::StatusOr<RowsQueryEvent> DecodeRowsQuery(Cursor& body) {
  RETURN_IF_ERROR(body.Skip(1, "rows query length"));  // a truncated length; unused
  return RowsQueryEvent{body.Rest()};
}

absl::StatusOr<BinlogCheckpointEvent> DecodeBinlogCheckpoint(Cursor& body) {
  ASSIGN_OR_RETURN(uint32_t len, body.U32("checkpoint file length"));
  ASSIGN_OR_RETURN(absl::string_view file, body.Bytes(len, "checkpoint file"));
  return BinlogCheckpointEvent{file};
}

absl::StatusOr<HeartbeatEvent> DecodeHeartbeatV2(Cursor& body) {
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
  return hb;
}

}  // namespace

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
    if (options_.verify_checksums)
      RETURN_IF_ERROR(Annotate(VerifyCrc32(raw, body_end, h), h, offset));
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
  auto decoded = DecodeBody(h, body, in_payload, offset);
  if (!decoded.ok()) return Annotate(decoded.status(), h, offset);
  event.body = *std::move(decoded);
  return event;
}

absl::StatusOr<Event::Body> Decoder::DecodeBody(const EventHeader& h, Cursor& body, bool in_payload,
                                                uint64_t event_offset) {
  switch (h.type) {
    case EventType::kStartV3:
      return DecodeStartV3(body);
    case EventType::kRotate:
      return DecodeRotate(body);
    case EventType::kStop:
      return StopEvent{};
    case EventType::kQuery:
    case EventType::kQueryCompressed:
      return DecodeQuery(h, body);
    case EventType::kXid:
      return DecodeXid(body);
    case EventType::kTableMap:
      return DecodeTableMap(h, body);
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
      return DecodeRows(h, body, event_offset);
    case EventType::kGtid:
    case EventType::kAnonymousGtid:
      return DecodeMySqlGtid(body, /*anonymous=*/h.type == EventType::kAnonymousGtid);
    case EventType::kGtidTagged:
      return DecodeTaggedGtid(body);
    case EventType::kMariaGtid:
      return DecodeMariaGtid(body, h.server_id);
    case EventType::kMariaGtidList:
      return DecodeMariaGtidList(body);
    case EventType::kPreviousGtids:
      return DecodePreviousGtids(body);
    case EventType::kRowsQuery:
      return DecodeRowsQuery(body);
    case EventType::kAnnotateRows:
      return RowsQueryEvent{body.Rest()};
    case EventType::kBinlogCheckpoint:
      return DecodeBinlogCheckpoint(body);
    case EventType::kHeartbeat:
      return HeartbeatEvent{body.Rest(), std::nullopt};
    case EventType::kHeartbeatV2:
      return DecodeHeartbeatV2(body);
    case EventType::kTransactionPayload:
      if (in_payload) return body.Corrupt("TRANSACTION_PAYLOAD nested in a payload");
      return DecodePayload(body);
    case EventType::kStartEncryption:
      return absl::UnimplementedError(
          "encrypted binlog (START_ENCRYPTION): decryption is not supported; read the binlog "
          "through the server (live stream) instead");
    default:
      return OtherEvent{};
  }
}

absl::StatusOr<OtherEvent> Decoder::DecodeStartV3(Cursor& body) {
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
  return OtherEvent{};
}

absl::StatusOr<QueryEvent> Decoder::DecodeQuery(const EventHeader& h, Cursor& body) {
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
  return q;
}

}  // namespace dcp::mysql::binlog
