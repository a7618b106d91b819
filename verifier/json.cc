#include "verifier/json.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "util/json.h"

namespace dcp::verifier {
namespace {

using Json = nlohmann::json;

// Records where nlohmann-json's parser stopped; validates only (builds nothing). Used after a
// failed parse, to say where the input is bad.
class ErrorLocator final : public nlohmann::json_sax<Json> {
 public:
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override { return true; }
  bool key(string_t&) override { return true; }
  bool end_object() override { return true; }
  bool start_array(std::size_t) override { return true; }
  bool end_array() override { return true; }
  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::json::exception& ex) override {
    position_ = position;
    what_ = ex.what();
    return false;
  }

  size_t position() const { return position_; }  // characters read, 1-based
  const std::string& what() const { return what_; }

 private:
  size_t position_ = 0;
  std::string what_;
};

// nlohmann-json's "[json.exception.parse_error.101] parse error at line 1, column 4: syntax
// error ... - <reason>; last read: '<token>'; expected ..." without the id and position (said
// separately) and without the token, which may be long or binary.
std::string Reason(absl::string_view what) {
  if (const size_t column = what.find(", column "); column != absl::string_view::npos) {
    if (const size_t colon = what.find(": ", column); colon != absl::string_view::npos) {
      what.remove_prefix(colon + 2);
    }
  }
  const size_t last = what.find("; last read: ");
  if (last == absl::string_view::npos) return std::string(what);
  const size_t expected = what.find("; expected ", last);
  return absl::StrCat(what.substr(0, last),
                      expected == absl::string_view::npos ? "" : what.substr(expected));
}

absl::Status ParseError(absl::string_view text, int first_line) {
  ErrorLocator locator;
  Json::sax_parse(text.begin(), text.end(), &locator);
  const size_t consumed =
      std::min(text.size(), locator.position() > 0 ? locator.position() - 1 : 0);
  const absl::string_view before = text.substr(0, consumed);
  const size_t newline = before.rfind('\n');
  const int line = first_line + static_cast<int>(std::count(before.begin(), before.end(), '\n'));
  const size_t column = newline == absl::string_view::npos ? consumed + 1 : consumed - newline;
  const std::string reason = Reason(locator.what());
  const std::string message = absl::StrCat("line ", line, ", column ", column, ": ", reason);
  if (locator.position() > text.size()) {  // the parser read past the last byte
    return absl::DataLossError(absl::StrCat(message, " (the text ends early: truncated?)"));
  }
  if (absl::StrContains(reason, "ill-formed UTF-8")) return absl::DataLossError(message);
  return absl::InvalidArgumentError(message);
}

}  // namespace

bool IsPrintableUtf8(absl::string_view s) {
  for (const char c : s) {
    const auto b = static_cast<unsigned char>(c);
    if ((b < 0x20 && b != '\t' && b != '\n' && b != '\r') || b == 0x7f) return false;
  }
  return dcp::json::IsValidUtf8(s);
}

std::string DisplayValue(const std::optional<std::string>& v) {
  if (!v) return "NULL";
  if (IsPrintableUtf8(*v)) return *v;
  return absl::StrCat("0x", absl::BytesToHexString(*v));
}

std::string ValueJson(absl::string_view bytes) {
  if (!IsPrintableUtf8(bytes)) {
    return absl::StrCat("{\"hex\":\"", absl::BytesToHexString(bytes), "\"}");
  }
  return dcp::json::Quote(bytes);
}

std::string ValueOrNullJson(const std::optional<std::string>& v) {
  return v ? ValueJson(*v) : std::string("null");
}

absl::StatusOr<std::string> ValueFromJson(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return v.dump();
  if (v.is_object()) {
    const auto hex = v.find("hex");
    if (hex != v.end() && hex->is_string() && v.size() == 1) {
      const std::string& h = hex->get_ref<const std::string&>();
      if (h.size() % 2 != 0 || !std::all_of(h.begin(), h.end(), [](char c) {
            return absl::ascii_isxdigit(static_cast<unsigned char>(c));
          })) {
        return absl::InvalidArgumentError(absl::StrCat("bad hex value \"", h.substr(0, 64), "\""));
      }
      return absl::HexStringToBytes(h);
    }
  }
  return absl::InvalidArgumentError(
      absl::StrCat("a value is neither a string, an integer nor {\"hex\": ...}: ",
                   v.dump(-1, ' ', false, Json::error_handler_t::replace).substr(0, 64)));
}

absl::StatusOr<nlohmann::json> ParseJson(absl::string_view text, int first_line) {
  if (absl::StripAsciiWhitespace(text).empty()) {
    return absl::InvalidArgumentError("empty input: no JSON document");
  }
  Json doc = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return ParseError(text, first_line);
  return doc;
}

}  // namespace dcp::verifier
