#include "mysql/dsn.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <tuple>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace dcp::mysql {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

absl::StatusOr<std::string> PercentDecode(absl::string_view in, absl::string_view what) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out.push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size()) {
      return absl::InvalidArgumentError(absl::StrCat("DSN: truncated %-escape in ", what));
    }
    const int hi = HexValue(in[i + 1]);
    const int lo = HexValue(in[i + 2]);
    if (hi < 0 || lo < 0) {
      return absl::InvalidArgumentError(absl::StrCat("DSN: bad %-escape in ", what));
    }
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

std::string PercentEncode(absl::string_view in) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : in) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

absl::StatusOr<int> ParseSeconds(absl::string_view key, absl::string_view value) {
  int v = 0;
  if (!absl::SimpleAtoi(value, &v) || v < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("DSN: ", key, " must be a non-negative number of seconds, got '", value, "'"));
  }
  return v;
}

}  // namespace

absl::StatusOr<std::string> PasswordFromEnv(absl::string_view variable) {
  const char* v = std::getenv(std::string(variable).c_str());
  if (v == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("DSN: password-env: environment variable ", variable, " is not set"));
  }
  if (*v == '\0') {
    return absl::InvalidArgumentError(
        absl::StrCat("DSN: password-env: environment variable ", variable, " is empty"));
  }
  return std::string(v);
}

absl::StatusOr<std::string> PasswordFromFile(absl::string_view path) {
  std::ifstream in{std::string(path), std::ios::binary};
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat("DSN: password-file: cannot read ", path));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  std::string v = ss.str();
  if (absl::EndsWith(v, "\n")) v.pop_back();
  if (absl::EndsWith(v, "\r")) v.pop_back();
  if (v.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("DSN: password-file: ", path, " is empty"));
  }
  return v;
}

absl::StatusOr<Dsn> Dsn::Parse(absl::string_view text) {
  Dsn dsn;
  absl::string_view rest = text;
  if (!absl::ConsumePrefix(&rest, "mysql://")) {
    return absl::InvalidArgumentError(
        "DSN must start with mysql:// (mysql://user[:password]@host[:port][/db][?opts])");
  }
  absl::string_view query;
  if (size_t q = rest.find('?'); q != absl::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  // The userinfo ends at the last '@' so that an unencoded '@' in a password still parses.
  if (size_t at = rest.rfind('@'); at != absl::string_view::npos) {
    absl::string_view userinfo = rest.substr(0, at);
    rest = rest.substr(at + 1);
    absl::string_view user = userinfo;
    if (size_t colon = userinfo.find(':'); colon != absl::string_view::npos) {
      user = userinfo.substr(0, colon);
      auto password = PercentDecode(userinfo.substr(colon + 1), "password");
      if (!password.ok()) return password.status();
      dsn.password = *std::move(password);
      dsn.password_in_text = true;
    }
    auto decoded_user = PercentDecode(user, "user");
    if (!decoded_user.ok()) return decoded_user.status();
    dsn.user = *std::move(decoded_user);
  }
  absl::string_view hostport = rest;
  if (size_t slash = rest.find('/'); slash != absl::string_view::npos) {
    hostport = rest.substr(0, slash);
    auto db = PercentDecode(rest.substr(slash + 1), "database");
    if (!db.ok()) return db.status();
    dsn.database = *std::move(db);
  }
  absl::string_view port_text;
  if (absl::ConsumePrefix(&hostport, "[")) {
    size_t close = hostport.find(']');
    if (close == absl::string_view::npos) {
      return absl::InvalidArgumentError("DSN: unterminated [ in IPv6 host");
    }
    dsn.host = std::string(hostport.substr(0, close));
    absl::string_view after = hostport.substr(close + 1);
    if (!after.empty()) {
      if (!absl::ConsumePrefix(&after, ":")) {
        return absl::InvalidArgumentError("DSN: expected :port after ]");
      }
      port_text = after;
    }
  } else if (size_t colon = hostport.rfind(':'); colon != absl::string_view::npos) {
    dsn.host = std::string(hostport.substr(0, colon));
    port_text = hostport.substr(colon + 1);
  } else if (!hostport.empty()) {
    dsn.host = std::string(hostport);
  }
  if (dsn.host.empty()) dsn.host = "127.0.0.1";
  if (!port_text.empty()) {
    int port = 0;
    if (!absl::SimpleAtoi(port_text, &port) || port <= 0 || port > 65535) {
      return absl::InvalidArgumentError(
          absl::StrCat("DSN: port must be 1..65535, got '", port_text, "'"));
    }
    dsn.port = static_cast<uint16_t>(port);
  }
  if (!query.empty()) {
    for (absl::string_view kv : absl::StrSplit(query, '&', absl::SkipEmpty())) {
      std::pair<absl::string_view, absl::string_view> p = absl::StrSplit(kv, absl::MaxSplits('=', 1));
      auto value_or = PercentDecode(p.second, p.first);
      if (!value_or.ok()) return value_or.status();
      const std::string& value = *value_or;
      if (p.first == "socket") {
        dsn.socket = value;
      } else if (p.first == "connect-timeout") {
        auto v = ParseSeconds(p.first, value);
        if (!v.ok()) return v.status();
        dsn.connect_timeout_s = *v;
      } else if (p.first == "read-timeout") {
        auto v = ParseSeconds(p.first, value);
        if (!v.ok()) return v.status();
        dsn.read_timeout_s = *v;
      } else if (p.first == "write-timeout") {
        auto v = ParseSeconds(p.first, value);
        if (!v.ok()) return v.status();
        dsn.write_timeout_s = *v;
      } else if (p.first == "ssl-mode") {
        if (value != "disabled" && value != "preferred" && value != "required") {
          return absl::InvalidArgumentError(absl::StrCat(
              "DSN: ssl-mode must be disabled, preferred or required, got '", value, "'"));
        }
        dsn.ssl_mode = value;
      } else if (p.first == "ssl-ca") {
        dsn.ssl_ca = value;
      } else if (p.first == "password-env" || p.first == "password-file") {
        if (dsn.password.has_value()) {
          return absl::InvalidArgumentError(
              "DSN: give the password once: in the DSN, password-env or password-file");
        }
        auto password = p.first == "password-env" ? PasswordFromEnv(value)
                                                  : PasswordFromFile(value);
        if (!password.ok()) return password.status();
        dsn.password = *std::move(password);
      } else {
        return absl::InvalidArgumentError(absl::StrCat(
            "DSN: unknown option '", p.first,
            "' (known: socket, connect-timeout, read-timeout, write-timeout, ssl-mode, ssl-ca, "
            "password-env, password-file)"));
      }
    }
  }
  return dsn;
}

std::string Dsn::ToString() const {
  std::string out = "mysql://";
  if (!user.empty() || password.has_value()) {
    absl::StrAppend(&out, PercentEncode(user), password.has_value() ? ":***" : "", "@");
  }
  if (host.find(':') != std::string::npos) {
    absl::StrAppend(&out, "[", host, "]");
  } else {
    absl::StrAppend(&out, host);
  }
  absl::StrAppend(&out, ":", port);
  if (!database.empty()) absl::StrAppend(&out, "/", PercentEncode(database));
  std::string sep = "?";
  auto add = [&](absl::string_view k, absl::string_view v) {
    absl::StrAppend(&out, sep, k, "=", PercentEncode(v));
    sep = "&";
  };
  if (!socket.empty()) add("socket", socket);
  if (connect_timeout_s != 10) add("connect-timeout", std::to_string(connect_timeout_s));
  if (read_timeout_s != 0) add("read-timeout", std::to_string(read_timeout_s));
  if (write_timeout_s != 0) add("write-timeout", std::to_string(write_timeout_s));
  if (ssl_mode != "preferred") add("ssl-mode", ssl_mode);
  if (!ssl_ca.empty()) add("ssl-ca", ssl_ca);
  return out;
}

std::string Dsn::Address() const {
  if (!socket.empty()) return socket;
  if (host.find(':') != std::string::npos) return absl::StrCat("[", host, "]:", port);
  return absl::StrCat(host, ":", port);
}

bool operator==(const Dsn& a, const Dsn& b) {
  auto tie = [](const Dsn& d) {
    return std::tie(d.user, d.password, d.host, d.port, d.database, d.socket,
                    d.connect_timeout_s, d.read_timeout_s, d.write_timeout_s, d.ssl_mode, d.ssl_ca);
  };
  return tie(a) == tie(b);
}

}  // namespace dcp::mysql
