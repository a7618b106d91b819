// Cursor: a bounds-checked reader over untrusted binlog bytes.
//
// Every decoder in mysql/binlog reads through a Cursor. A read past the end returns
// kDataLoss naming the absolute offset (file or stream position of the first byte of the
// buffer plus the cursor position) and what was being read; nothing is ever read outside
// [data, data + size). The Cursor does not own the bytes: they must outlive it.
//
// Integers are little-endian unless the method name says Be (big-endian, used by row images
// of DECIMAL and the v2 temporal types). Thread-compatible value type.
#ifndef DCP_MYSQL_BINLOG_CURSOR_H_
#define DCP_MYSQL_BINLOG_CURSOR_H_

#include <cstdint>
#include <cstring>

#include "absl/base/attributes.h"
#include "absl/base/optimization.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace dcp::mysql::binlog {

class Cursor {
 public:
  // `base_offset` is the absolute position of data[0] in the file or stream, for errors.
  Cursor(const uint8_t* data, size_t size, uint64_t base_offset = 0)
      : data_(data), size_(size), base_offset_(base_offset) {}
  Cursor(absl::string_view bytes, uint64_t base_offset = 0)
      : Cursor(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), base_offset) {}

  size_t position() const { return pos_; }
  size_t size() const { return size_; }
  size_t remaining() const { return size_ - pos_; }
  bool empty() const { return pos_ == size_; }
  uint64_t absolute_offset() const { return base_offset_ + pos_; }
  const uint8_t* current() const { return data_ + pos_; }

  // kDataLoss unless at least `n` bytes remain.
  absl::Status Need(size_t n, absl::string_view what) const {
    if (ABSL_PREDICT_TRUE(n <= size_ - pos_)) return absl::OkStatus();
    return Truncated(n, what);
  }

  // The error for a failed read of `n` bytes; also used by callers that check lengths
  // themselves.
  ABSL_ATTRIBUTE_NOINLINE absl::Status Truncated(size_t n, absl::string_view what) const {
    return absl::DataLossError(absl::StrCat("binlog data truncated at offset ", base_offset_ + pos_,
                                            ": ", what, " needs ", n, " bytes, ", size_ - pos_,
                                            " left"));
  }
  // A kDataLoss error at the current offset.
  ABSL_ATTRIBUTE_NOINLINE absl::Status Corrupt(absl::string_view what) const {
    return absl::DataLossError(
        absl::StrCat("corrupt binlog data at offset ", base_offset_ + pos_, ": ", what));
  }

  // Little-endian unsigned integer of `n` bytes (1..8).
  absl::StatusOr<uint64_t> UintLe(size_t n, absl::string_view what = "integer") {
    if (ABSL_PREDICT_FALSE(n > size_ - pos_)) return Truncated(n, what);
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v |= static_cast<uint64_t>(data_[pos_ + i]) << (8 * i);
    pos_ += n;
    return v;
  }
  // Big-endian unsigned integer of `n` bytes (1..8).
  absl::StatusOr<uint64_t> UintBe(size_t n, absl::string_view what = "integer") {
    if (ABSL_PREDICT_FALSE(n > size_ - pos_)) return Truncated(n, what);
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v = (v << 8) | data_[pos_ + i];
    pos_ += n;
    return v;
  }
  absl::StatusOr<uint8_t> U8(absl::string_view what = "u8") {
    if (ABSL_PREDICT_FALSE(pos_ >= size_)) return Truncated(1, what);
    return data_[pos_++];
  }
  absl::StatusOr<uint16_t> U16(absl::string_view what = "u16") {
    if (ABSL_PREDICT_FALSE(2 > size_ - pos_)) return Truncated(2, what);
    uint16_t v = static_cast<uint16_t>(data_[pos_] | (data_[pos_ + 1] << 8));
    pos_ += 2;
    return v;
  }
  absl::StatusOr<uint32_t> U24(absl::string_view what = "u24") {
    if (ABSL_PREDICT_FALSE(3 > size_ - pos_)) return Truncated(3, what);
    uint32_t v = data_[pos_] | (data_[pos_ + 1] << 8) | (data_[pos_ + 2] << 16);
    pos_ += 3;
    return v;
  }
  absl::StatusOr<uint32_t> U32(absl::string_view what = "u32") {
    if (ABSL_PREDICT_FALSE(4 > size_ - pos_)) return Truncated(4, what);
    uint32_t v;
    std::memcpy(&v, data_ + pos_, 4);  // little-endian hosts only (x86-64, aarch64)
    pos_ += 4;
    return v;
  }
  absl::StatusOr<uint64_t> U48(absl::string_view what = "u48") { return UintLe(6, what); }
  absl::StatusOr<uint64_t> U64(absl::string_view what = "u64") {
    if (ABSL_PREDICT_FALSE(8 > size_ - pos_)) return Truncated(8, what);
    uint64_t v;
    std::memcpy(&v, data_ + pos_, 8);
    pos_ += 8;
    return v;
  }

  // MySQL packed ("length-encoded") integer: < 0xfb one byte, 0xfc + u16, 0xfd + u24,
  // 0xfe + u64. 0xfb (SQL NULL in result sets) and 0xff are corrupt here.
  absl::StatusOr<uint64_t> PackedInt(absl::string_view what = "packed integer") {
    if (ABSL_PREDICT_FALSE(pos_ >= size_)) return Truncated(1, what);
    const uint8_t first = data_[pos_];
    if (first < 0xfb) {
      ++pos_;
      return first;
    }
    size_t n;
    switch (first) {
      case 0xfc:
        n = 2;
        break;
      case 0xfd:
        n = 3;
        break;
      case 0xfe:
        n = 8;
        break;
      default:
        return Corrupt(absl::StrCat(what, ": invalid packed-integer prefix ", first));
    }
    if (ABSL_PREDICT_FALSE(1 + n > size_ - pos_)) return Truncated(1 + n, what);
    ++pos_;
    return UintLe(n, what);
  }

  // Variable-length unsigned integer of MySQL's serialization library (libs/mysql/
  // serialization, used by GTID_TAGGED, MySQL 8.3+): the number of trailing one bits of the
  // first byte plus one is the length, 1..9 bytes, little-endian; for lengths up to 8 the
  // value starts after the first zero bit, for 9 it is the 8 bytes after the first.
  absl::StatusOr<uint64_t> SerialVarUint(absl::string_view what = "varint") {
    if (ABSL_PREDICT_FALSE(pos_ >= size_)) return Truncated(1, what);
    const uint8_t first = data_[pos_];
    size_t n = 1;
    while (n < 9 && ((first >> (n - 1)) & 1)) ++n;
    if (ABSL_PREDICT_FALSE(n > size_ - pos_)) return Truncated(n, what);
    uint64_t rest = 0;
    for (size_t i = 1; i < n; ++i) rest |= static_cast<uint64_t>(data_[pos_ + i]) << (8 * (i - 1));
    pos_ += n;
    if (n == 9) return rest;
    return (static_cast<uint64_t>(first) >> n) | (n > 1 ? rest << (8 - n) : 0);
  }
  // Signed form: the unsigned varint's lowest bit is the sign; x >= 0 is stored as x << 1,
  // x < 0 as (-(x + 1)) << 1 | 1.
  absl::StatusOr<int64_t> SerialVarInt(absl::string_view what = "varint") {
    auto u = SerialVarUint(what);
    if (!u.ok()) return u.status();
    return static_cast<int64_t>((*u >> 1) ^ (~(*u & 1) + 1));
  }

  // The next `n` bytes, as a view into the buffer.
  absl::StatusOr<absl::string_view> Bytes(uint64_t n, absl::string_view what = "bytes") {
    if (ABSL_PREDICT_FALSE(n > size_ - pos_)) return Truncated(n, what);
    absl::string_view v(reinterpret_cast<const char*>(data_ + pos_), n);
    pos_ += n;
    return v;
  }
  // Everything left.
  absl::string_view Rest() {
    absl::string_view v(reinterpret_cast<const char*>(data_ + pos_), size_ - pos_);
    pos_ = size_;
    return v;
  }
  // A string preceded by a packed-integer length.
  absl::StatusOr<absl::string_view> PackedString(absl::string_view what = "string") {
    auto n = PackedInt(what);
    if (!n.ok()) return n.status();
    return Bytes(*n, what);
  }
  absl::Status Skip(uint64_t n, absl::string_view what = "bytes") {
    if (ABSL_PREDICT_FALSE(n > size_ - pos_)) return Truncated(n, what);
    pos_ += n;
    return absl::OkStatus();
  }

  // A sub-cursor over the next `n` bytes (which this cursor skips).
  absl::StatusOr<Cursor> Sub(uint64_t n, absl::string_view what = "section") {
    if (ABSL_PREDICT_FALSE(n > size_ - pos_)) return Truncated(n, what);
    Cursor c(data_ + pos_, n, base_offset_ + pos_);
    pos_ += n;
    return c;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
  uint64_t base_offset_;
};

}  // namespace dcp::mysql::binlog

#endif  // DCP_MYSQL_BINLOG_CURSOR_H_
