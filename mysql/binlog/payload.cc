#include <zlib.h>
#include <zstd.h>

#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "mysql/binlog/event.h"
#include "util/status_macros.h"

namespace dcp::mysql::binlog {
namespace {

// Most a compressed event may inflate to: MariaDB's and MySQL's max_allowed_packet limit.
constexpr uint64_t kMaxUncompressed = 1ull << 30;

// The header fields of a TRANSACTION_PAYLOAD.
struct PayloadHeader {
  uint64_t payload_size = 0;
  uint64_t compression = 0;  // 0 zstd, 255 none
  std::optional<uint64_t> uncompressed_size;
};

// Header fields: type, length, value (all packed integers), up to the end mark (type 0).
absl::StatusOr<PayloadHeader> ReadPayloadHeader(Cursor& body) {
  PayloadHeader p;
  for (;;) {
    ASSIGN_OR_RETURN(uint64_t type, body.PackedInt("payload field type"));
    if (type == 0) break;
    ASSIGN_OR_RETURN(uint64_t len, body.PackedInt("payload field length"));
    ASSIGN_OR_RETURN(Cursor f, body.Sub(len, "payload field"));
    switch (type) {
      case 1: {
        ASSIGN_OR_RETURN(p.payload_size, f.PackedInt("payload size"));
        break;
      }
      case 2: {
        ASSIGN_OR_RETURN(p.compression, f.PackedInt("compression type"));
        break;
      }
      case 3: {
        ASSIGN_OR_RETURN(p.uncompressed_size, f.PackedInt("uncompressed size"));
        break;
      }
      default:
        break;  // unknown fields are skippable by design
    }
  }
  return p;
}

// Inflates the zstd frame `data` into `out` (replaced), of `size` bytes or the frame's
// content size; errors name the position of `at`.
absl::Status ZstdInflate(absl::string_view data, std::optional<uint64_t> size, const Cursor& at,
                         std::string* out) {
  if (!size.has_value()) {
    const unsigned long long fcs = ZSTD_getFrameContentSize(data.data(), data.size());
    if (fcs == ZSTD_CONTENTSIZE_ERROR || fcs == ZSTD_CONTENTSIZE_UNKNOWN) {
      return at.Corrupt("zstd payload without a content size");
    }
    size = fcs;
  }
  // A zstd block inflates at most ~32768:1 (RLE); refuse sizes the data cannot hold.
  if (*size > kMaxUncompressed || *size > data.size() * 32768ull + 65536) {
    return at.Corrupt(absl::StrCat("implausible uncompressed size ", *size));
  }
  out->resize(*size);
  const size_t got = ZSTD_decompress(out->data(), out->size(), data.data(), data.size());
  if (ZSTD_isError(got) || got != *size) {
    return at.Corrupt(absl::StrCat("zstd decompression failed: ",
                                   ZSTD_isError(got) ? ZSTD_getErrorName(got) : "short"));
  }
  return absl::OkStatus();
}

}  // namespace

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

absl::StatusOr<TransactionPayloadEvent> Decoder::DecodePayload(Cursor& body) {
  ASSIGN_OR_RETURN(const PayloadHeader header, ReadPayloadHeader(body));
  ASSIGN_OR_RETURN(absl::string_view data, body.Bytes(header.payload_size, "payload"));
  TransactionPayloadEvent p;
  p.compression = header.compression;
  if (p.compression == 255) {
    p.events = data;
  } else if (p.compression == 0) {
    RETURN_IF_ERROR(ZstdInflate(data, header.uncompressed_size, body, &payload_buffer_));
    p.events = payload_buffer_;
  } else {
    return absl::UnimplementedError(absl::StrCat("payload compression type ", p.compression));
  }
  return p;
}

}  // namespace dcp::mysql::binlog
