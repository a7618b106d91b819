#include "mysql/binlog/value.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "mysql/binlog/json_binary.h"
#include "util/status_macros.h"

namespace dcp::mysql::binlog {
namespace {

constexpr int kDigitsToBytes[10] = {0, 1, 1, 2, 2, 3, 3, 4, 4, 4};
constexpr uint32_t kPow10[10] = {1,      10,      100,      1000,      10000,
                                 100000, 1000000, 10000000, 100000000, 1000000000};

// Appends `v` as exactly `width` digits (zero-padded).
void AppendPadded(uint32_t v, int width, std::string* out) {
  char buf[10];
  for (int i = width - 1; i >= 0; --i) {
    buf[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  out->append(buf, width);
}

void AppendFraction(uint32_t microsecond, int fsp, std::string* out) {
  if (fsp <= 0) return;
  if (fsp > 6) fsp = 6;
  out->push_back('.');
  AppendPadded(microsecond / kPow10[6 - fsp], fsp, out);
}

}  // namespace

int DecimalBinarySize(int precision, int scale) {
  if (precision <= 0 || precision > 65 || scale < 0 || scale > 38 || scale > precision) return 0;
  const int intg = precision - scale;
  return (intg / 9) * 4 + kDigitsToBytes[intg % 9] + (scale / 9) * 4 + kDigitsToBytes[scale % 9];
}

absl::Status AppendDecimal(absl::string_view bin, int precision, int scale, std::string* out) {
  const int size = DecimalBinarySize(precision, scale);
  if (size == 0 || static_cast<size_t>(size) != bin.size()) {
    return absl::DataLossError(absl::StrCat("DECIMAL(", precision, ",", scale, ") needs ", size,
                                            " bytes, got ", bin.size()));
  }
  uint8_t buf[40];
  std::memcpy(buf, bin.data(), size);
  const bool negative = (buf[0] & 0x80) == 0;
  buf[0] ^= 0x80;
  if (negative) {
    for (int i = 0; i < size; ++i) buf[i] ^= 0xff;
  }
  const int intg = precision - scale;
  const int intg0 = intg / 9, intg0x = intg % 9;
  const int frac0 = scale / 9, frac0x = scale % 9;
  int pos = 0;
  auto read_be = [&](int n) {
    uint32_t v = 0;
    for (int i = 0; i < n; ++i) v = (v << 8) | buf[pos++];
    return v;
  };
  if (negative) out->push_back('-');
  bool leading = true;  // still skipping leading zero groups
  auto append_int_group = [&](uint32_t v, int digits) -> absl::Status {
    if (v >= kPow10[digits]) return absl::DataLossError("corrupt DECIMAL digit group");
    if (leading) {
      if (v == 0) return absl::OkStatus();
      AppendNumber(v, out);
      leading = false;
    } else {
      AppendPadded(v, digits, out);
    }
    return absl::OkStatus();
  };
  if (intg0x > 0) RETURN_IF_ERROR(append_int_group(read_be(kDigitsToBytes[intg0x]), intg0x));
  for (int i = 0; i < intg0; ++i) RETURN_IF_ERROR(append_int_group(read_be(4), 9));
  if (leading) out->push_back('0');
  if (scale > 0) {
    out->push_back('.');
    for (int i = 0; i < frac0; ++i) {
      const uint32_t v = read_be(4);
      if (v >= kPow10[9]) return absl::DataLossError("corrupt DECIMAL digit group");
      AppendPadded(v, 9, out);
    }
    if (frac0x > 0) {
      const uint32_t v = read_be(kDigitsToBytes[frac0x]);
      if (v >= kPow10[frac0x]) return absl::DataLossError("corrupt DECIMAL digit group");
      AppendPadded(v, frac0x, out);
    }
  }
  return absl::OkStatus();
}

void AppendDate(const Temporal& t, std::string* out) {
  AppendPadded(t.year, 4, out);
  out->push_back('-');
  AppendPadded(t.month, 2, out);
  out->push_back('-');
  AppendPadded(t.day, 2, out);
}

void AppendTime(const Temporal& t, int fsp, std::string* out) {
  if (t.negative) out->push_back('-');
  AppendPadded(t.hour, t.hour >= 100 ? (t.hour >= 1000 ? 4 : 3) : 2, out);
  out->push_back(':');
  AppendPadded(t.minute, 2, out);
  out->push_back(':');
  AppendPadded(t.second, 2, out);
  AppendFraction(t.microsecond, fsp, out);
}

void AppendDateTime(const Temporal& t, int fsp, std::string* out) {
  AppendDate(t, out);
  out->push_back(' ');
  AppendPadded(t.hour % 100, 2, out);
  out->push_back(':');
  AppendPadded(t.minute, 2, out);
  out->push_back(':');
  AppendPadded(t.second, 2, out);
  AppendFraction(t.microsecond, fsp, out);
}

Temporal TemporalFromUnix(uint64_t seconds, uint32_t microsecond) {
  Temporal t;
  t.microsecond = microsecond;
  if (seconds == 0) return t;  // MySQL's zero TIMESTAMP: 0000-00-00 00:00:00
  const int64_t days = static_cast<int64_t>(seconds / 86400);
  const uint32_t rem = static_cast<uint32_t>(seconds % 86400);
  t.hour = rem / 3600;
  t.minute = static_cast<uint8_t>(rem / 60 % 60);
  t.second = static_cast<uint8_t>(rem % 60);
  // Civil-from-days (proleptic Gregorian), days since 1970-01-01.
  const int64_t z = days + 719468;
  const int64_t era = z / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const int64_t m = mp < 10 ? mp + 3 : mp - 9;
  const int64_t y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  t.year = static_cast<uint16_t>(y);
  t.month = static_cast<uint8_t>(m);
  t.day = static_cast<uint8_t>(d);
  return t;
}

absl::Status AppendText(const Value& v, std::string* out) {
  switch (v.kind) {
    case ValueKind::kAbsent:
    case ValueKind::kNull:
      return absl::OkStatus();
    case ValueKind::kInt:
      AppendNumber(v.i, out);
      return absl::OkStatus();
    case ValueKind::kUint:
    case ValueKind::kBit:
    case ValueKind::kEnum:
    case ValueKind::kSet:
      AppendNumber(v.u, out);
      return absl::OkStatus();
    case ValueKind::kYear:
      AppendPadded(static_cast<uint32_t>(v.u), 4, out);
      return absl::OkStatus();
    case ValueKind::kFloat:
      AppendNumber(v.f, out);
      return absl::OkStatus();
    case ValueKind::kDouble:
      AppendNumber(v.d, out);
      return absl::OkStatus();
    case ValueKind::kDecimal:
      return AppendDecimal(v.bytes, v.precision, v.scale, out);
    case ValueKind::kDate:
      AppendDate(v.temporal, out);
      return absl::OkStatus();
    case ValueKind::kTime:
      AppendTime(v.temporal, v.precision, out);
      return absl::OkStatus();
    case ValueKind::kDateTime:
      AppendDateTime(v.temporal, v.precision, out);
      return absl::OkStatus();
    case ValueKind::kTimestamp:
      AppendDateTime(TemporalFromUnix(v.u, v.temporal.microsecond), v.precision, out);
      return absl::OkStatus();
    case ValueKind::kJson:
      return AppendJsonFromBinary(v.bytes, out);
    case ValueKind::kJsonDiff:
      return AppendJsonDiff(v.bytes, out);
    case ValueKind::kString:
    case ValueKind::kBlob:
    case ValueKind::kGeometry:
    case ValueKind::kVector:
      out->append(v.bytes.data(), v.bytes.size());
      return absl::OkStatus();
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ToText(const Value& v) {
  std::string s;
  RETURN_IF_ERROR(AppendText(v, &s));
  return s;
}

}  // namespace dcp::mysql::binlog
