#include "daemon/toml_reader.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "util/status_macros.h"

namespace dcp::daemon {
namespace {

absl::StatusOr<std::string> ReadSecretFile(const std::string& file) {
  std::ifstream in(file);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("cannot read secret file ", file));
  std::stringstream ss;
  ss << in.rdbuf();
  std::string v = ss.str();
  while (!v.empty() && (v.back() == '\n' || v.back() == '\r')) v.pop_back();
  return v;
}

}  // namespace

absl::Status TableReader::Error(const toml::node* node, absl::string_view key,
                                absl::string_view msg) const {
  std::string where = path_;
  const toml::source_region& src = node != nullptr ? node->source() : table_.source();
  if (src.begin.line > 0) absl::StrAppend(&where, ":", src.begin.line, ":", src.begin.column);
  return absl::InvalidArgumentError(absl::StrCat(where, ": ", Qualified(key), ": ", msg));
}

std::string TableReader::Qualified(absl::string_view key) const {
  return prefix_.empty() ? std::string(key) : absl::StrCat(prefix_, ".", key);
}

const toml::node* TableReader::Get(absl::string_view key) {
  seen_.insert(std::string(key));
  return table_.get(Std(key));
}

absl::StatusOr<std::optional<std::string>> TableReader::String(absl::string_view key) {
  const toml::node* n = Get(key);
  if (n == nullptr) return std::nullopt;
  if (!n->is_string()) return Error(n, key, absl::StrCat("expected a string, got ", TypeName(*n)));
  return std::string(n->as_string()->get());
}

absl::StatusOr<std::optional<int64_t>> TableReader::Int(absl::string_view key) {
  const toml::node* n = Get(key);
  if (n == nullptr) return std::nullopt;
  if (!n->is_integer()) {
    return Error(n, key, absl::StrCat("expected an integer, got ", TypeName(*n)));
  }
  return n->as_integer()->get();
}

absl::StatusOr<std::optional<bool>> TableReader::Bool(absl::string_view key) {
  const toml::node* n = Get(key);
  if (n == nullptr) return std::nullopt;
  if (!n->is_boolean()) {
    return Error(n, key, absl::StrCat("expected true or false, got ", TypeName(*n)));
  }
  return n->as_boolean()->get();
}

absl::StatusOr<std::optional<absl::Duration>> TableReader::Duration(absl::string_view key,
                                                                    absl::Duration min,
                                                                    absl::Duration max) {
  const toml::node* n = Get(key);
  if (n == nullptr) return std::nullopt;
  absl::Duration d;
  if (!n->is_string() || !absl::ParseDuration(n->as_string()->get(), &d) || d < min || d > max) {
    return Error(n, key,
                 absl::StrCat("expected a duration from ", absl::FormatDuration(min), " to ",
                              absl::FormatDuration(max),
                              " as a string such as \"500ms\", "
                              "\"2s\" or \"1m\""));
  }
  return d;
}

absl::StatusOr<std::optional<std::vector<std::string>>> TableReader::StringArray(
    absl::string_view key) {
  const toml::node* n = Get(key);
  if (n == nullptr) return std::nullopt;
  const toml::array* arr = n->as_array();
  if (arr == nullptr) {
    return Error(n, key, absl::StrCat("expected an array of strings, got ", TypeName(*n)));
  }
  std::vector<std::string> out;
  for (const toml::node& e : *arr) {
    if (!e.is_string()) {
      return Error(&e, key, absl::StrCat("expected an array of strings, found ", TypeName(e)));
    }
    out.emplace_back(e.as_string()->get());
  }
  return out;
}

absl::StatusOr<const toml::table*> TableReader::Table(absl::string_view key) {
  const toml::node* n = Get(key);
  if (n == nullptr) return nullptr;
  if (!n->is_table()) return Error(n, key, absl::StrCat("expected a table, got ", TypeName(*n)));
  return n->as_table();
}

absl::StatusOr<std::vector<const toml::table*>> TableReader::TableArray(absl::string_view key) {
  std::vector<const toml::table*> out;
  const toml::node* n = Get(key);
  if (n == nullptr) return out;
  const toml::array* arr = n->as_array();
  if (arr == nullptr || !arr->is_array_of_tables()) {
    return Error(n, key, absl::StrCat("expected [[", Qualified(key), "]] tables"));
  }
  for (const toml::node& e : *arr) out.push_back(e.as_table());
  return out;
}

absl::Status TableReader::CheckNoUnknownKeys(absl::string_view known_list) const {
  for (const auto& [k, v] : table_) {
    if (seen_.count(std::string(k.str())) == 0) {
      // Point at the key itself, not at its value.
      std::string where = path_;
      const toml::source_region& src = k.source().begin.line > 0 ? k.source() : v.source();
      if (src.begin.line > 0) {
        absl::StrAppend(&where, ":", src.begin.line, ":", src.begin.column);
      }
      return absl::InvalidArgumentError(absl::StrCat(
          where, ": ", Qualified(Absl(k.str())), ": unknown key (known here: ", known_list, ")"));
    }
  }
  return absl::OkStatus();
}

std::string TableReader::TypeName(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::table:
      return "a table";
    case toml::node_type::date:
    case toml::node_type::time:
    case toml::node_type::date_time:
      return "a date/time";
    default:
      return "nothing";
  }
}

// Resolves a secret given inline (`key`, only where allowed), by `key-env` or by `key-file`.
absl::StatusOr<std::optional<std::string>> TableReader::Secret(absl::string_view key,
                                                               bool inline_allowed) {
  TableReader& r = *this;
  std::optional<std::string> value;
  int given = 0;
  if (inline_allowed) {
    ASSIGN_OR_RETURN(value, r.String(key));
    given += value.has_value();
  }
  const std::string env_key = absl::StrCat(key, "-env");
  const std::string file_key = absl::StrCat(key, "-file");
  ASSIGN_OR_RETURN(std::optional<std::string> env, r.String(env_key));
  ASSIGN_OR_RETURN(std::optional<std::string> file, r.String(file_key));
  given += env.has_value() + file.has_value();
  if (given > 1) {
    return r.Error(r.table().get(env ? env_key : file_key), key,
                   absl::StrCat("give only one of ", inline_allowed ? absl::StrCat(key, ", ") : "",
                                env_key, ", ", file_key));
  }
  if (env) {
    const char* v = std::getenv(env->c_str());
    if (v == nullptr) {
      return r.Error(r.table().get(env_key), env_key,
                     absl::StrCat("environment variable ", *env, " is not set"));
    }
    if (*v == '\0') {
      return r.Error(r.table().get(env_key), env_key,
                     absl::StrCat("environment variable ", *env, " is empty"));
    }
    return std::string(v);
  }
  if (file) {
    auto v = ReadSecretFile(*file);
    if (!v.ok()) return r.Error(r.table().get(file_key), file_key, v.status().message());
    if (v->empty()) {
      return r.Error(r.table().get(file_key), file_key,
                     absl::StrCat("secret file ", *file, " is empty"));
    }
    return *v;
  }
  return value;
}

absl::StatusOr<std::vector<mysql::Dsn>> ReadDsns(TableReader& r) {
  const toml::node* node = r.table().get("dsn");
  std::vector<std::string> texts;
  if (node != nullptr && node->is_array()) {
    ASSIGN_OR_RETURN(std::optional<std::vector<std::string>> list, r.StringArray("dsn"));
    if (!list || list->empty()) {
      return r.Error(node, "dsn", "expected a DSN or a non-empty array of DSNs");
    }
    texts = *list;
  } else {
    ASSIGN_OR_RETURN(std::optional<std::string> text, r.String("dsn"));
    if (!text) {
      return r.Error(nullptr, "dsn", "missing (e.g. dsn = \"mysql://dcp@127.0.0.1:3306\")");
    }
    texts.push_back(*text);
  }
  ASSIGN_OR_RETURN(std::optional<std::string> password, r.Secret("password", false));
  std::vector<mysql::Dsn> out;
  for (const std::string& text : texts) {
    auto dsn = mysql::Dsn::Parse(text);
    if (!dsn.ok()) return r.Error(node, "dsn", dsn.status().message());
    if (password) {
      if (dsn->password) {
        return r.Error(r.table().get("password-env") ? r.table().get("password-env")
                                                     : r.table().get("password-file"),
                       "password", "the DSN already has a password; give it in one place only");
      }
      dsn->password = *password;
    }
    for (const mysql::Dsn& earlier : out) {
      if (earlier.Address() == dsn->Address()) {
        return r.Error(node, "dsn", absl::StrCat(dsn->Address(), " is listed twice"));
      }
    }
    out.push_back(*std::move(dsn));
  }
  return out;
}

absl::StatusOr<mysql::Dsn> ReadDsn(TableReader& r) {
  ASSIGN_OR_RETURN(std::vector<mysql::Dsn> dsns, ReadDsns(r));
  if (dsns.size() > 1) {
    return r.Error(r.table().get("dsn"), "dsn", "expected one DSN here, not a list");
  }
  return dsns.front();
}

absl::Status CheckListen(TableReader& r, absl::string_view key, const std::string& listen) {
  size_t colon = listen.rfind(':');
  int port = -1;
  if (colon == std::string::npos || !absl::SimpleAtoi(listen.substr(colon + 1), &port) ||
      port < 0 || port > 65535) {
    return r.Error(r.table().get(Std(key)), key,
                   absl::StrCat("expected host:port (port 0..65535), got \"", listen, "\""));
  }
  return absl::OkStatus();
}

absl::Status CheckTomlShape(absl::string_view text, absl::string_view path) {
  auto error = [&](int line, int col, absl::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat(path, ":", line, ":", col, ": ", what));
  };
  if (text.size() > kMaxConfigBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": larger than ", kMaxConfigBytes, " bytes; not a dcp configuration"));
  }
  int line = 1, col = 0, depth = 0, dots = 0;
  // Inside a string: its closing delimiter (one or three quotes); empty outside.
  absl::string_view quote;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    ++col;
    if (c == '\n') {
      ++line, col = 0, dots = 0;
      if (quote.size() == 1) quote = {};  // a one-line string cannot go on
      continue;
    }
    if (!quote.empty()) {
      if (c == '\\' && quote[0] == '"') {
        ++i, ++col;  // an escaped character
      } else if (text.substr(i, quote.size()) == quote) {
        i += quote.size() - 1;
        quote = {};
      }
      continue;
    }
    switch (c) {
      case '#':
        while (i + 1 < text.size() && text[i + 1] != '\n') ++i;
        break;
      case '"':
      case '\'': {
        const bool triple = text.substr(i, 3) == std::string(3, c);
        quote = text.substr(i, triple ? 3 : 1);
        if (triple) i += 2;
        break;
      }
      case '[':
      case '{':
        if (++depth > kMaxNesting) {
          return error(line, col, absl::StrCat("nested more than ", kMaxNesting, " levels deep"));
        }
        break;
      case ']':
      case '}':
        --depth;
        break;
      case '.':
        if (++dots > kMaxDotsPerLine) {
          return error(line, col,
                       absl::StrCat("a key more than ", kMaxDotsPerLine, " levels deep"));
        }
        break;
      default:
        break;
    }
  }
  return absl::OkStatus();
}

}  // namespace dcp::daemon
