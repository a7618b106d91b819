#include <zlib.h>
#include <zstd.h>

#include "absl/strings/str_cat.h"
#include "mysql/binlog/event.h"
#include "util/status_macros.h"

namespace dcp::mysql::binlog {
namespace {

// Most a compressed event may inflate to: MariaDB's and MySQL's max_allowed_packet limit.
constexpr uint64_t kMaxUncompressed = 1ull << 30;

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
}  // namespace dcp::mysql::binlog
