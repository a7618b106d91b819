#include "verifier/json.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace dcp::verifier {

bool IsPrintableUtf8(absl::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') return false;
      if (c == 0x7f) return false;
      ++i;
      continue;
    }
    int len = (c >= 0xf0 && c <= 0xf4) ? 4 : (c >= 0xe0) ? 3 : (c >= 0xc2 && c < 0xe0) ? 2 : 0;
    if (c >= 0xf5) len = 0;
    if (len == 0 || i + len > s.size()) return false;
    for (int k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return false;
    }
    i += len;
  }
  return true;
}

std::string DisplayValue(const std::optional<std::string>& v) {
  if (!v) return "NULL";
  if (IsPrintableUtf8(*v)) return *v;
  return absl::StrCat("0x", absl::BytesToHexString(*v));
}

std::string JsonString(absl::string_view s) {
  if (!IsPrintableUtf8(s)) return absl::StrCat("{\"hex\":\"", absl::BytesToHexString(s), "\"}");
  std::string out = "\"";
  for (char ch : s) {
    switch (ch) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(ch) < 0x20) {
          absl::StrAppendFormat(&out, "\\u%04x", static_cast<unsigned char>(ch));
        } else {
          out += ch;
        }
    }
  }
  out += "\"";
  return out;
}

std::string JsonValue(const std::optional<std::string>& v) {
  return v ? JsonString(*v) : std::string("null");
}

}  // namespace dcp::verifier
