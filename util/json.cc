#include "util/json.h"

#include <cstdint>
#include <cstring>

namespace dcp::json {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// Length of the longest prefix of [p, end) of printable ASCII other than '"' and '\\', eight
// bytes at a time: these runs are most of any text and are copied in one append.
size_t PlainAsciiRun(const uint8_t* p, const uint8_t* end) {
  const uint8_t* start = p;
  while (end - p >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    constexpr uint64_t kOnes = 0x0101010101010101ull, kHigh = 0x8080808080808080ull;
    // A byte is special if >= 0x80, < 0x20, == '"' (0x22) or == '\\' (0x5c).
    const uint64_t high = w & kHigh;
    const uint64_t low = (w - kOnes * 0x20) & ~w & kHigh;
    const uint64_t q = w ^ (kOnes * 0x22), b = w ^ (kOnes * 0x5c);
    const uint64_t quote = (q - kOnes) & ~q & kHigh;
    const uint64_t bslash = (b - kOnes) & ~b & kHigh;
    if (high | low | quote | bslash) break;
    p += 8;
  }
  while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\') ++p;
  return static_cast<size_t>(p - start);
}

// Length of the well-formed UTF-8 sequence at p (a byte >= 0x80), or 0.
size_t Utf8Length(const uint8_t* p, const uint8_t* end) {
  const uint8_t c = *p;
  size_t n;
  uint8_t lo = 0x80, hi = 0xbf;  // the allowed range of the second byte
  if (c >= 0xc2 && c <= 0xdf) {
    n = 2;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    if (c == 0xe0) lo = 0xa0;  // overlong
    if (c == 0xed) hi = 0x9f;  // surrogates
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    if (c == 0xf0) lo = 0x90;  // overlong
    if (c == 0xf4) hi = 0x8f;  // above U+10FFFF
  } else {
    return 0;
  }
  if (static_cast<size_t>(end - p) < n || p[1] < lo || p[1] > hi) return 0;
  for (size_t k = 2; k < n; ++k) {
    if ((p[k] & 0xc0) != 0x80) return 0;
  }
  return n;
}

void AppendControl(uint8_t c, std::string* out) {
  switch (c) {
    case '"':
      out->append("\\\"");
      return;
    case '\\':
      out->append("\\\\");
      return;
    case '\n':
      out->append("\\n");
      return;
    case '\r':
      out->append("\\r");
      return;
    case '\t':
      out->append("\\t");
      return;
    case '\b':
      out->append("\\b");
      return;
    case '\f':
      out->append("\\f");
      return;
    default: {
      const char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
      out->append(esc, 6);
    }
  }
}

// The escaper. `strict`: stop at the first byte that is not well-formed UTF-8 and return
// false; else write it as its Latin-1 character.
bool Escape(absl::string_view s, bool strict, std::string* out) {
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    const size_t run = PlainAsciiRun(p, end);
    if (run > 0) {
      out->append(reinterpret_cast<const char*>(p), run);
      p += run;
      if (p == end) break;
    }
    if (*p < 0x80) {
      AppendControl(*p++, out);
      continue;
    }
    const size_t n = Utf8Length(p, end);
    if (n > 0) {
      out->append(reinterpret_cast<const char*>(p), n);
      p += n;
      continue;
    }
    if (strict) return false;
    const char two[2] = {static_cast<char>(0xc0 | (*p >> 6)),
                         static_cast<char>(0x80 | (*p & 0x3f))};
    out->append(two, 2);
    ++p;
  }
  return true;
}

}  // namespace

bool IsValidUtf8(absl::string_view s) {
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    if (*p < 0x80) {
      ++p;
      continue;
    }
    const size_t n = Utf8Length(p, end);
    if (n == 0) return false;
    p += n;
  }
  return true;
}

void AppendEscaped(absl::string_view s, std::string* out) { Escape(s, /*strict=*/false, out); }

void AppendString(absl::string_view s, std::string* out) {
  out->push_back('"');
  Escape(s, /*strict=*/false, out);
  out->push_back('"');
}

std::string Quote(absl::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  AppendString(s, &out);
  return out;
}

bool AppendStringIfUtf8(absl::string_view s, std::string* out) {
  const size_t rollback = out->size();
  out->push_back('"');
  if (!Escape(s, /*strict=*/true, out)) {
    out->resize(rollback);
    return false;
  }
  out->push_back('"');
  return true;
}

}  // namespace dcp::json
