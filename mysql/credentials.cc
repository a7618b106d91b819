#include "mysql/credentials.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace dcp::mysql {
namespace {

// A value as my.cnf writes it: quoted ('...' or "...", with \ escapes) or bare (a trailing
// comment after whitespace dropped).
std::string Unquote(absl::string_view v) {
  v = absl::StripAsciiWhitespace(v);
  if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front()) {
    std::string out;
    for (size_t i = 1; i + 1 < v.size(); ++i) {
      if (v[i] == '\\' && i + 2 < v.size()) {
        ++i;
        out.push_back(v[i] == 'n' ? '\n' : v[i] == 't' ? '\t' : v[i]);
      } else {
        out.push_back(v[i]);
      }
    }
    return out;
  }
  for (size_t i = 1; i < v.size(); ++i) {
    if (v[i] == '#' && absl::ascii_isspace(static_cast<unsigned char>(v[i - 1]))) {
      v = absl::StripAsciiWhitespace(v.substr(0, i));
      break;
    }
  }
  return std::string(v);
}

}  // namespace

absl::StatusOr<ClientDefaults> ParseClientDefaults(absl::string_view text,
                                                   absl::string_view origin) {
  ClientDefaults d;
  bool in_client = false;
  int number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    if (line.front() == '[') {
      if (line.back() != ']') {
        return absl::InvalidArgumentError(
            absl::StrCat(origin, ":", number, ": unterminated [group] header"));
      }
      in_client = absl::StripAsciiWhitespace(line.substr(1, line.size() - 2)) == "client";
      continue;
    }
    if (line.front() == '!') continue;  // !include / !includedir: not followed
    if (!in_client) continue;
    const size_t eq = line.find('=');
    const std::string key = absl::StrReplaceAll(
        absl::AsciiStrToLower(absl::StripAsciiWhitespace(line.substr(0, eq))), {{"_", "-"}});
    if (eq == absl::string_view::npos) continue;  // a bare option (e.g. "compress")
    const std::string value = Unquote(line.substr(eq + 1));
    if (key == "user") {
      d.user = value;
    } else if (key == "password") {
      d.password = value;
    }
  }
  return d;
}

absl::StatusOr<ClientDefaults> ReadClientDefaults(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("--defaults-file: cannot read ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseClientDefaults(ss.str(), path);
}

absl::StatusOr<CredentialSources> CredentialSourcesFromEnvironment(
    const std::string& defaults_file) {
  CredentialSources s;
  if (!defaults_file.empty()) {
    auto d = ReadClientDefaults(defaults_file);
    if (!d.ok()) return d.status();
    s.defaults = *std::move(d);
  }
  if (const char* pwd = std::getenv("MYSQL_PWD"); pwd != nullptr && *pwd != '\0') {
    s.mysql_pwd = pwd;
  }
  return s;
}

absl::StatusOr<Dsn> CommandLineDsn(absl::string_view flag, absl::string_view text,
                                   const CredentialSources& sources,
                                   std::vector<std::string>* warnings) {
  absl::StatusOr<Dsn> dsn = Dsn::Parse(text);
  if (!dsn.ok()) {
    return absl::Status(dsn.status().code(), absl::StrCat(flag, ": ", dsn.status().message()));
  }
  if (dsn->password_in_text && warnings != nullptr) {
    warnings->push_back(absl::StrCat(
        flag, ": the password in the DSN can be read by every local user (ps, /proc); use "
              "password-env=VAR or password-file=PATH in the DSN, --defaults-file or MYSQL_PWD"));
  }
  if (sources.defaults.has_value() && dsn->user.empty() && sources.defaults->user) {
    dsn->user = *sources.defaults->user;
  }
  if (!dsn->password.has_value()) {
    if (sources.defaults.has_value() && sources.defaults->password) {
      dsn->password = *sources.defaults->password;
    } else if (sources.mysql_pwd) {
      dsn->password = *sources.mysql_pwd;
    }
  }
  return *std::move(dsn);
}

}  // namespace dcp::mysql
