#include "collector/encoding.h"

#include <xxhash.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string_view>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "util/json.h"

namespace dcp::collector::encoding {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Normalises [+-]digits[.digits] to the canonical number text; false if malformed.
bool NormaliseNumber(absl::string_view text, std::string* out) {
  bool negative = false;
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) {
    negative = text[0] == '-';
    text.remove_prefix(1);
  }
  absl::string_view int_part = text;
  absl::string_view frac_part;
  if (size_t dot = text.find('.'); dot != absl::string_view::npos) {
    int_part = text.substr(0, dot);
    frac_part = text.substr(dot + 1);
  }
  if (int_part.empty() && frac_part.empty()) return false;
  for (char c : int_part) {
    if (!IsDigit(c)) return false;
  }
  for (char c : frac_part) {
    if (!IsDigit(c)) return false;
  }
  while (!int_part.empty() && int_part[0] == '0') int_part.remove_prefix(1);
  while (!frac_part.empty() && frac_part.back() == '0') frac_part.remove_suffix(1);
  out->clear();
  if (int_part.empty() && frac_part.empty()) {
    *out = "0";  // also turns -0 and -0.00 into 0
    return true;
  }
  if (negative) out->push_back('-');
  if (int_part.empty()) {
    out->push_back('0');
  } else {
    out->append(int_part.data(), int_part.size());
  }
  if (!frac_part.empty()) {
    out->push_back('.');
    out->append(frac_part.data(), frac_part.size());
  }
  return true;
}

// Expands the shortest round-trip digits (scientific form, which is unique, unlike the
// fixed form whose trailing integer digits implementations choose differently) into a plain
// decimal without exponent.
template <typename T>
std::string FloatingText(T v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v < 0 ? "-inf" : "inf";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  absl::string_view sci(buf, res.ptr - buf);  // [-]d[.ddd]e[+-]xx
  const bool negative = !sci.empty() && sci[0] == '-';
  if (negative) sci.remove_prefix(1);
  const size_t e = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e)) {
    if (c != '.') digits.push_back(c);
  }
  int exponent = 0;
  std::from_chars(sci.data() + e + 1 + (sci[e + 1] == '+'), sci.data() + sci.size(), exponent);
  // The value is 0.digits * 10^(exponent + 1).
  const int point = exponent + 1;
  std::string text;
  if (point <= 0) {
    text = absl::StrCat("0.", std::string(-point, '0'), digits);
  } else if (point >= static_cast<int>(digits.size())) {
    text = absl::StrCat(digits, std::string(point - digits.size(), '0'));
  } else {
    text = absl::StrCat(digits.substr(0, point), ".", digits.substr(point));
  }
  std::string out;
  NormaliseNumber(absl::StrCat(negative ? "-" : "", text), &out);
  return out;
}

// Validates and normalises a fraction of 0-6 digits starting at text[pos] == '.'.
bool AppendFraction(absl::string_view frac, std::string* out) {
  if (frac.empty() || frac.size() > 7 || frac[0] != '.') return false;
  frac.remove_prefix(1);
  for (char c : frac) {
    if (!IsDigit(c)) return false;
  }
  while (!frac.empty() && frac.back() == '0') frac.remove_suffix(1);
  if (!frac.empty()) absl::StrAppend(out, ".", frac);
  return true;
}

bool AllDigits(absl::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), IsDigit);
}

bool ValidDate(absl::string_view d) {
  return d.size() == 10 && AllDigits(d.substr(0, 4)) && d[4] == '-' && AllDigits(d.substr(5, 2)) &&
         d[7] == '-' && AllDigits(d.substr(8, 2));
}

// hh:mm:ss with 2+ hour digits; appends it normalised (hours without extra leading zeros,
// at least two digits).
bool AppendClock(absl::string_view t, std::string* out) {
  size_t colon = t.find(':');
  if (colon == absl::string_view::npos || t.size() != colon + 6) return false;
  absl::string_view hours = t.substr(0, colon);
  if (!AllDigits(hours) || !AllDigits(t.substr(colon + 1, 2)) || t[colon + 3] != ':' ||
      !AllDigits(t.substr(colon + 4, 2))) {
    return false;
  }
  while (hours.size() > 2 && hours[0] == '0') hours.remove_prefix(1);
  if (hours.size() < 2) out->push_back('0');
  absl::StrAppend(out, hours, t.substr(colon));
  return true;
}

absl::Status Malformed(absl::string_view what, absl::string_view text) {
  return absl::InvalidArgumentError(
      absl::StrCat("not a ", what, " value: \"", absl::CHexEscape(text.substr(0, 64)), "\""));
}

void AppendCanonicalJson(const nlohmann::json& j, std::string* out) {
  using T = nlohmann::json::value_t;
  switch (j.type()) {
    case T::null:
      out->append("null");
      return;
    case T::boolean:
      out->append(j.get<bool>() ? "true" : "false");
      return;
    case T::number_integer:
      absl::StrAppend(out, j.get<int64_t>());
      return;
    case T::number_unsigned:
      absl::StrAppend(out, j.get<uint64_t>());
      return;
    case T::number_float:
      out->append(FloatingText(j.get<double>()));
      return;
    case T::string: {
      const std::string& s = j.get_ref<const std::string&>();
      json::AppendString(absl::string_view(s.data(), s.size()), out);
      return;
    }
    case T::array: {
      out->push_back('[');
      bool first = true;
      for (const auto& e : j) {
        if (!first) out->push_back(',');
        first = false;
        AppendCanonicalJson(e, out);
      }
      out->push_back(']');
      return;
    }
    case T::object: {
      // nlohmann::json keeps object members in a std::map: sorted by key bytes.
      out->push_back('{');
      bool first = true;
      for (const auto& [k, v] : j.items()) {
        if (!first) out->push_back(',');
        first = false;
        json::AppendString(absl::string_view(k.data(), k.size()), out);
        out->push_back(':');
        AppendCanonicalJson(v, out);
      }
      out->push_back('}');
      return;
    }
    case T::binary:
    case T::discarded:
      out->append("null");
      return;
  }
}

}  // namespace

std::string Integer(int64_t v) { return absl::StrCat("n:", v); }
std::string Unsigned(uint64_t v) { return absl::StrCat("n:", v); }

absl::StatusOr<std::string> Decimal(absl::string_view text) {
  std::string n;
  if (!NormaliseNumber(text, &n)) return Malformed("DECIMAL", text);
  return absl::StrCat("n:", n);
}

std::string Float(float v) { return absl::StrCat("n:", FloatingText(v)); }
std::string Double(double v) { return absl::StrCat("n:", FloatingText(v)); }

std::string Text(absl::string_view text) { return absl::StrCat("s:", text); }

std::string Char(absl::string_view text) {
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  return Text(text);
}

std::string Binary(absl::string_view bytes) { return absl::StrCat("b:", absl::Base64Escape(bytes)); }

absl::StatusOr<std::string> Date(absl::string_view text) {
  if (!ValidDate(text)) return Malformed("DATE", text);
  return absl::StrCat("t:", text);
}

absl::StatusOr<std::string> Time(absl::string_view text) {
  std::string out = "t:";
  absl::string_view t = text;
  const bool negative = !t.empty() && t[0] == '-';
  if (negative) t.remove_prefix(1);
  absl::string_view frac;
  if (size_t dot = t.find('.'); dot != absl::string_view::npos) {
    frac = t.substr(dot);
    t = t.substr(0, dot);
  }
  std::string body;
  if (!AppendClock(t, &body) || (!frac.empty() && !AppendFraction(frac, &body))) {
    return Malformed("TIME", text);
  }
  const bool zero = body.find_first_not_of("0:.") == std::string::npos;
  if (negative && !zero) out.push_back('-');
  out += body;
  return out;
}

absl::StatusOr<std::string> DateTime(absl::string_view text) {
  if (text.size() < 19 || !ValidDate(text.substr(0, 10)) || (text[10] != ' ' && text[10] != 'T')) {
    return Malformed("DATETIME", text);
  }
  std::string out = absl::StrCat("t:", text.substr(0, 10), " ");
  absl::string_view clock = text.substr(11, 8);
  if (clock.size() != 8 || !AppendClock(clock, &out) ||
      (text.size() > 19 && !AppendFraction(text.substr(19), &out))) {
    return Malformed("DATETIME", text);
  }
  return out;
}

absl::StatusOr<std::string> Json(absl::string_view text) {
  nlohmann::json j =
      nlohmann::json::parse(std::string_view(text.data(), text.size()), nullptr,
                            /*allow_exceptions=*/false);
  if (j.is_discarded()) return Malformed("JSON", text);
  std::string out = "j:";
  AppendCanonicalJson(j, &out);
  return out;
}

std::string Content(std::vector<Column> columns) {
  for (Column& c : columns) absl::AsciiStrToLower(&c.name);
  std::stable_sort(columns.begin(), columns.end(),
                   [](const Column& a, const Column& b) { return a.name < b.name; });
  std::string out = "{";
  for (size_t i = 0; i < columns.size(); ++i) {
    if (i > 0) out.push_back(',');
    json::AppendString(columns[i].name, &out);
    out.push_back(':');
    if (columns[i].value) {
      json::AppendString(*columns[i].value, &out);
    } else {
      out.append("null");
    }
  }
  out.push_back('}');
  return out;
}

std::string Key(absl::string_view table, const std::vector<Value>& key_values) {
  std::string out = "[";
  json::AppendString(table, &out);
  for (const Value& v : key_values) {
    out.push_back(',');
    if (v) {
      json::AppendString(*v, &out);
    } else {
      out.append("null");
    }
  }
  out.push_back(']');
  return out;
}

std::string Checksum(absl::string_view content) {
  const XXH128_hash_t h = XXH3_128bits(content.data(), content.size());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(32, '0');
  for (int i = 0; i < 16; ++i) {
    out[15 - i] = kHex[(h.high64 >> (4 * i)) & 15];
    out[31 - i] = kHex[(h.low64 >> (4 * i)) & 15];
  }
  return out;
}

}  // namespace dcp::collector::encoding
