// Binlog events: the common header, FORMAT_DESCRIPTION, TABLE_MAP and the decoded forms of
// the events dcp uses, and Decoder, which turns raw event bytes into them.
//
// Views (absl::string_view) inside a decoded Event point into the raw event bytes passed to
// Decoder::Decode() or into buffers owned by the Decoder (decompressed events); they are
// valid until the next call of Decode() for a top-level event, and until the raw bytes go.
// Decoder is not thread-safe; use one per stream.
//
// The decoders are split by event family: event.cc (common header, FORMAT_DESCRIPTION,
// Decoder::Decode and its dispatch, the small events), table_map.cc, gtid_events.cc,
// payload.cc (TRANSACTION_PAYLOAD and MariaDB's compressed events) and rows_event.cc (the
// rows event header; the row images are rows.h's).
#ifndef DCP_MYSQL_BINLOG_EVENT_H_
#define DCP_MYSQL_BINLOG_EVENT_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mysql/binlog/cursor.h"
#include "mysql/binlog/types.h"
#include "mysql/binlog/value.h"

namespace dcp::mysql::binlog {

inline constexpr absl::string_view kBinlogMagic = "\xfe\x62\x69\x6e";

struct EventHeader {
  static constexpr size_t kSize = 19;
  uint32_t timestamp = 0;
  EventType type = EventType::kUnknown;
  uint32_t server_id = 0;
  uint32_t event_size = 0;
  uint32_t log_pos = 0;  // position of the next event (0 in some relay logs and payloads)
  uint16_t flags = 0;

  // Reads the 19-byte v4 header; kDataLoss if short or event_size < 19.
  static absl::StatusOr<EventHeader> Parse(Cursor& c);
};

enum class ChecksumAlg : uint8_t { kOff = 0, kCrc32 = 1, kUndefined = 255 };

struct FormatDescription {
  uint16_t binlog_version = 4;
  std::string server_version;
  uint32_t create_timestamp = 0;
  uint8_t header_length = 19;
  std::vector<uint8_t> post_header_lengths;  // index: event type - 1
  ChecksumAlg checksum = ChecksumAlg::kOff;
  // Written by a MySQL 5.1/5.2 row-based-replication preview ("5.1.x-a_drop5p…",
  // "5.2.x-a_drop6p…"), which numbered the event types 15-22 differently; Parse() detects it
  // (as MySQL's own decoder does) and stores post_header_lengths in today's numbering.
  bool drop_type_codes = false;

  bool IsMariaDb() const;
  // The event type of a header's type byte under this description's numbering.
  EventType TypeOf(EventType raw) const;
  // The post-header length of `type` from this description, or `fallback` if absent.
  uint8_t PostHeaderLength(EventType type, uint8_t fallback) const;
  // Parses the body (after the common header) of a whole FORMAT_DESCRIPTION event of
  // `event_size` bytes.
  static absl::StatusOr<FormatDescription> Parse(Cursor& body, uint32_t event_size);
};

// One column of a TABLE_MAP, with whatever the optional metadata told.
struct ColumnDef {
  ColumnType type = ColumnType::kNull;       // as in the type array
  ColumnType real_type = ColumnType::kNull;  // STRING resolved to ENUM/SET/STRING
  uint16_t meta = 0;                         // raw metadata (STRING: byte0 << 8 | byte1)
  uint32_t max_length = 0;                   // CHAR/VARCHAR length in bytes, BLOB length bytes
  bool nullable = true;
  std::optional<bool> is_unsigned;       // from SIGNEDNESS metadata
  uint16_t charset = 0;                  // collation id; 0 unknown; 63 binary
  std::string name;                      // empty when unknown
  std::vector<std::string> enum_values;  // ENUM/SET strings when known
  std::optional<uint32_t> geometry_type;
  bool primary_key = false;
};

struct TableMap {
  uint64_t table_id = 0;
  uint16_t flags = 0;
  std::string schema;
  std::string table;
  std::vector<ColumnDef> columns;
  bool has_names = false;

  // Parses a TABLE_MAP body; `post_header_len` 6 means a 4-byte table id; `mariadb`: the
  // binlog is MariaDB's (its charset metadata also lists GEOMETRY columns); `legacy`: a 5.1
  // preview's (FormatDescription::drop_type_codes), which may end after the column types.
  static absl::StatusOr<TableMap> Parse(Cursor& body, uint8_t post_header_len, bool mariadb,
                                        bool legacy = false);
};

enum class RowOp : uint8_t { kInsert, kUpdate, kDelete };

struct RowsEvent {
  RowOp op = RowOp::kInsert;
  uint64_t table_id = 0;
  uint16_t flags = 0;
  const TableMap* table = nullptr;  // owned by the Decoder
  uint32_t column_count = 0;
  absl::string_view present_before;  // bitmap of columns in the before (or only) image
  absl::string_view present_after;   // UPDATE: bitmap of columns in the after image
  absl::string_view extra;           // v2 extra data
  absl::string_view rows;            // the row images (decompressed if the event was)
  uint64_t rows_offset = 0;          // absolute offset of rows[0] (of the event if compressed)
  bool partial_json = false;         // PARTIAL_UPDATE_ROWS: after images may hold JSON diffs
  // PRE_GA_*_ROWS (MySQL 5.1 previews): each image starts with the table's record null
  // bytes, whose layout depends on the storage engine's row format, which the binlog does not
  // carry (MySQL's own mysqlbinlog -v does not print them either). RowIterator reports their
  // images as kUnimplemented.
  bool pre_ga = false;
  bool end_of_statement() const { return flags & 1; }
};

struct RotateEvent {
  uint64_t position = 0;
  absl::string_view next_file;
};
struct QueryEvent {
  uint32_t thread_id = 0;
  uint32_t exec_time = 0;
  uint16_t error_code = 0;
  absl::string_view schema;
  absl::string_view statement;  // decompressed for QUERY_COMPRESSED
};
struct XidEvent {
  uint64_t xid = 0;
};
// MariaDB domain-server-seq or MySQL uuid:gno / uuid:tag:gno (empty for ANONYMOUS_GTID).
// GTID_TAGGED (MySQL 8.3+) decodes to this too, with `tag` set.
struct GtidEvent {
  bool mariadb = false;
  uint32_t domain_id = 0;
  uint32_t server_id = 0;
  uint64_t sequence = 0;  // MariaDB seq_no or MySQL gno
  uint8_t flags = 0;
  uint8_t uuid[16] = {};
  bool anonymous = false;
  std::string tag;  // MySQL GTID tag, lower case; empty when untagged
  // Transaction metadata, decoded from GTID_TAGGED only (0 for the other GTID events).
  // The original_* fields equal the immediate_* ones when the event omits them.
  int64_t last_committed = 0;
  int64_t sequence_number = 0;
  uint64_t immediate_commit_timestamp = 0;  // microseconds since the epoch
  uint64_t original_commit_timestamp = 0;
  uint64_t transaction_length = 0;
  uint32_t immediate_server_version = 0;
  uint32_t original_server_version = 0;
  uint64_t commit_group_ticket = 0;
  // "domain-server-seq", "uuid:gno", "uuid:tag:gno", or "" for ANONYMOUS_GTID.
  std::string ToString() const;
};

// Decodes the body of a GTID_TAGGED event (MySQL 8.3+): one message of MySQL's
// serialization library (format version 1): varint version, varint message size (counted
// from the version byte), varint last-non-ignorable field id + 1, then (varint field id,
// value) pairs in ascending id order: 0 gtid_flags, 1 uuid (16 one-byte varints), 2 gno
// (signed), 3 tag (varint length + characters), 4 last_committed (signed), 5
// sequence_number (signed), 6 immediate_commit_timestamp, 7 original_commit_timestamp, 8
// transaction_length, 9 immediate_server_version, 10 original_server_version, 11
// commit_group_ticket. Fields of later versions (ids above 11) are skipped when they are
// ignorable; a non-ignorable one is kUnimplemented. Corrupt or truncated bytes are
// kDataLoss with the offset. `body` must hold exactly the event body (no checksum).
absl::StatusOr<GtidEvent> DecodeTaggedGtid(Cursor& body);
// The other GTID events, from `body` holding exactly the event body (no checksum); truncated
// bytes are kDataLoss with the offset. GTID and ANONYMOUS_GTID (MySQL): flags, uuid, gno;
// MariaDB's GTID: seq_no, domain id, flags (`server_id` is the header's).
absl::StatusOr<GtidEvent> DecodeMySqlGtid(Cursor& body, bool anonymous);
absl::StatusOr<GtidEvent> DecodeMariaGtid(Cursor& body, uint32_t server_id);

struct MariaGtidListEvent {
  struct Entry {
    uint32_t domain_id;
    uint32_t server_id;
    uint64_t sequence;
  };
  std::vector<Entry> gtids;
  std::string ToString() const;  // "0-1-5,1-2-7"
};
// Decodes a MariaDB GTID_LIST body (as DecodeMySqlGtid): a count (its top 4 bits flags),
// then (domain id, server id, seq_no) per GTID.
absl::StatusOr<MariaGtidListEvent> DecodeMariaGtidList(Cursor& body);

// PREVIOUS_GTIDS: the raw encoded GTID set (see mysql/gtid.h) and its text form.
struct PreviousGtidsEvent {
  absl::string_view encoded;
  std::string text;
};
// Decodes a PREVIOUS_GTIDS body (as DecodeMySqlGtid); a set GtidSet::Decode refuses is
// kDataLoss.
absl::StatusOr<PreviousGtidsEvent> DecodePreviousGtids(Cursor& body);

// ANNOTATE_ROWS, ROWS_QUERY: the statement behind the following row events.
struct RowsQueryEvent {
  absl::string_view statement;
};
struct BinlogCheckpointEvent {
  absl::string_view file;
};
struct HeartbeatEvent {
  absl::string_view log_ident;
  std::optional<uint64_t> position;  // HEARTBEAT_V2 only (v1: the header's log_pos)
};
// TRANSACTION_PAYLOAD: the (decompressed) bytes of the inner events.
struct TransactionPayloadEvent {
  uint64_t compression = 0;  // 0 zstd, 255 none
  absl::string_view events;
};
struct StopEvent {};
// Any event dcp does not decode further (INTVAR, USER_VAR, INCIDENT, ...).
struct OtherEvent {};

struct Event {
  using Body =
      std::variant<OtherEvent, FormatDescription, RotateEvent, StopEvent, QueryEvent, XidEvent,
                   const TableMap*, RowsEvent, GtidEvent, MariaGtidListEvent, PreviousGtidsEvent,
                   RowsQueryEvent, BinlogCheckpointEvent, HeartbeatEvent, TransactionPayloadEvent>;
  EventHeader header;
  uint64_t offset = 0;  // absolute offset of the event in its file or stream
  Body body;
};

class Decoder {
 public:
  struct Options {
    bool verify_checksums = true;
    // The checksum of events before the first FORMAT_DESCRIPTION: kOff for files; a live
    // stream's artificial ROTATE carries the negotiated one (StreamReader::checksum()).
    ChecksumAlg initial_checksum = ChecksumAlg::kOff;
  };
  Decoder() : Decoder(Options()) {}
  explicit Decoder(Options options);

  // Decodes one whole event (header, body, and checksum if the current format has one).
  // `offset` is its absolute position, for errors. Errors: kDataLoss (corrupt, truncated,
  // checksum mismatch, rows for an unknown table id) and kUnimplemented (encrypted binlogs,
  // unknown compression); each message names the offset and the event type.
  // `in_payload`: the event comes from inside a TRANSACTION_PAYLOAD (no checksum).
  absl::StatusOr<Event> Decode(absl::string_view raw, uint64_t offset, bool in_payload = false);

  const FormatDescription& format() const { return format_; }
  // Forgets table maps (after a ROTATE to a new file) but keeps the format.
  void ResetTables() { tables_.clear(); }

 private:
  // The body of an event other than FORMAT_DESCRIPTION, by type; `event_offset` is the
  // event's absolute offset.
  absl::StatusOr<Event::Body> DecodeBody(const EventHeader& h, Cursor& body, bool in_payload,
                                         uint64_t event_offset);
  // The events that read or change the decoder's state, one per family (event.cc,
  // table_map.cc, rows_event.cc, payload.cc).
  absl::StatusOr<OtherEvent> DecodeStartV3(Cursor& body);
  absl::StatusOr<QueryEvent> DecodeQuery(const EventHeader& h, Cursor& body);
  absl::StatusOr<const TableMap*> DecodeTableMap(const EventHeader& h, Cursor& body);
  absl::StatusOr<RowsEvent> DecodeRows(const EventHeader& h, Cursor& body, uint64_t event_offset);
  absl::StatusOr<TransactionPayloadEvent> DecodePayload(Cursor& body);

  Options options_;
  FormatDescription format_;
  absl::flat_hash_map<uint64_t, std::unique_ptr<TableMap>> tables_;
  std::string rows_buffer_;     // decompressed MariaDB rows / query
  std::string payload_buffer_;  // decompressed TRANSACTION_PAYLOAD
};

// Inflates MariaDB's compressed-event format: one byte (0x80 | n), an n-byte big-endian
// uncompressed length, then a zlib stream. Replaces `out`.
absl::Status MariaDbUncompress(Cursor& c, std::string* out);

}  // namespace dcp::mysql::binlog

#endif  // DCP_MYSQL_BINLOG_EVENT_H_
