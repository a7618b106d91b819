#include "mysql/sql_literal.h"

namespace dcp::mysql {
namespace {

void AppendHex(absl::string_view bytes, std::string* out) {
  static constexpr char kDigits[] = "0123456789abcdef";
  const size_t start = out->size();
  out->resize(start + 2 * bytes.size());
  char* p = out->data() + start;
  for (const char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    *p++ = kDigits[b >> 4];
    *p++ = kDigits[b & 0xf];
  }
}

std::string Prefixed(absl::string_view prefix, absl::string_view bytes) {
  std::string out;
  out.reserve(prefix.size() + 2 * bytes.size() + 1);
  out.append(prefix.data(), prefix.size());
  AppendHex(bytes, &out);
  out.push_back('\'');
  return out;
}

}  // namespace

std::string HexLiteral(absl::string_view bytes) { return Prefixed("X'", bytes); }

std::string BinaryLiteral(absl::string_view bytes) { return Prefixed("_binary X'", bytes); }

std::string Utf8mb4Literal(absl::string_view text) { return Prefixed("_utf8mb4 X'", text); }

std::string StringLiteral(absl::string_view value, bool binary) {
  return binary ? BinaryLiteral(value) : Utf8mb4Literal(value);
}

}  // namespace dcp::mysql
