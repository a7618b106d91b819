#include "verifier/data_config.h"

#include <toml++/toml.h>

#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "util/status_macros.h"

namespace dcp::verifier {
namespace {

// Reads the keys of one TOML table, each at most once, and refuses the keys it never read.
class Reader {
 public:
  Reader(const toml::table& t, std::string prefix, const std::string& origin)
      : t_(t), prefix_(std::move(prefix)), origin_(origin) {}

  absl::Status Error(const toml::node* n, absl::string_view key, absl::string_view what) const {
    const toml::source_region where = n != nullptr ? n->source() : t_.source();
    return absl::InvalidArgumentError(absl::StrCat(origin_, ":", where.begin.line, ":",
                                                   where.begin.column, ": ", prefix_, key, ": ",
                                                   what));
  }

  template <typename T>
  absl::Status Get(const char* key, std::optional<T>& out, const char* type) {
    seen_.insert(key);
    const toml::node* n = t_.get(key);
    if (n == nullptr) return absl::OkStatus();
    std::optional<T> v = n->value<T>();
    if (!v) return Error(n, key, absl::StrCat("must be ", type));
    out = *v;
    return absl::OkStatus();
  }
  absl::Status String(const char* key, std::optional<std::string>& out) {
    return Get(key, out, "a string");
  }
  absl::Status Int(const char* key, std::optional<int>& out) {
    std::optional<int64_t> v;
    RETURN_IF_ERROR(Get(key, v, "an integer"));
    if (v && (*v < 0 || *v > 1000000000)) return Error(t_.get(key), key, "out of range");
    if (v) out = static_cast<int>(*v);
    return absl::OkStatus();
  }
  absl::Status Bool(const char* key, std::optional<bool>& out) {
    return Get(key, out, "true or false");
  }
  absl::Status Strings(const char* key, std::optional<std::vector<std::string>>& out) {
    seen_.insert(key);
    const toml::node* n = t_.get(key);
    if (n == nullptr) return absl::OkStatus();
    const toml::array* a = n->as_array();
    if (a == nullptr) return Error(n, key, "must be an array of strings");
    std::vector<std::string> v;
    for (const toml::node& e : *a) {
      std::optional<std::string> s = e.value<std::string>();
      if (!s) return Error(&e, key, "must be an array of strings");
      v.push_back(*s);
    }
    out = std::move(v);
    return absl::OkStatus();
  }
  absl::Status Done() const {
    for (const auto& [k, v] : t_) {
      if (seen_.count(std::string(k.str())) == 0) {
        return Error(&v, std::string(k.str()),
                     absl::StrCat("unknown key (known: ", absl::StrJoin(seen_, ", "),
                                               ")"));
      }
    }
    return absl::OkStatus();
  }

 private:
  const toml::table& t_;
  std::string prefix_;
  const std::string& origin_;
  std::set<std::string> seen_;
};

// [source] / [target]: a DSN and where its password is.
absl::StatusOr<mysql::Dsn> ReadSide(const toml::table& t, const std::string& name,
                                    const std::string& origin) {
  Reader r(t, name + ".", origin);
  std::optional<std::string> dsn_text, env, file;
  RETURN_IF_ERROR(r.String("dsn", dsn_text));
  RETURN_IF_ERROR(r.String("password-env", env));
  RETURN_IF_ERROR(r.String("password-file", file));
  RETURN_IF_ERROR(r.Done());
  if (!dsn_text) return r.Error(nullptr, "dsn", "missing");
  absl::StatusOr<mysql::Dsn> dsn = mysql::Dsn::Parse(*dsn_text);
  if (!dsn.ok()) return r.Error(t.get("dsn"), "dsn", dsn.status().message());
  if (env || file) {
    if (dsn->password || (env && file)) {
      return r.Error(t.get(env ? "password-env" : "password-file"), "password",
                     "give the password in one place only");
    }
    absl::StatusOr<std::string> pw =
        env ? mysql::PasswordFromEnv(*env) : mysql::PasswordFromFile(*file);
    if (!pw.ok()) {
      return r.Error(t.get(env ? "password-env" : "password-file"),
                     env ? "password-env" : "password-file", pw.status().message());
    }
    dsn->password = *pw;
  }
  return *dsn;
}

absl::Status ReadData(const toml::table& t, const std::string& origin, DataConfig& c) {
  Reader r(t, "data.", origin);
  for (auto [key, field] : {std::pair{"format", &c.format}, {"where", &c.where},
                            {"fix-sql", &c.fix_sql}, {"junit", &c.junit}, {"resume", &c.resume},
                            {"progress", &c.progress}, {"chunk-time", &c.chunk_time},
                            {"recheck-delay", &c.recheck_delay}, {"max-lag", &c.max_lag},
                            {"barrier-table", &c.barrier_table}}) {
    RETURN_IF_ERROR(r.String(key, *field));
  }
  for (auto [key, field] : {std::pair{"parallel", &c.parallel}, {"recheck", &c.recheck},
                            {"row-fetch-limit", &c.row_fetch_limit}}) {
    RETURN_IF_ERROR(r.Int(key, *field));
  }
  RETURN_IF_ERROR(r.Bool("snapshot", c.snapshot));
  RETURN_IF_ERROR(r.Bool("full-scan", c.full_scan));
  for (auto [key, field] : {std::pair{"tables", &c.tables}, {"exclude", &c.exclude},
                            {"map", &c.map}, {"columns", &c.columns},
                            {"ignore-columns", &c.ignore_columns}, {"max-load", &c.max_load}}) {
    RETURN_IF_ERROR(r.Strings(key, *field));
  }
  std::optional<std::vector<std::string>> replicas;
  RETURN_IF_ERROR(r.Strings("replicas", replicas));
  for (const std::string& text : replicas.value_or(std::vector<std::string>())) {
    absl::StatusOr<mysql::Dsn> dsn = mysql::Dsn::Parse(text);
    if (!dsn.ok()) return r.Error(t.get("replicas"), "replicas", dsn.status().message());
    c.replicas.push_back(*dsn);
  }
  return r.Done();
}

// One [[table]] entry.
absl::StatusOr<TableOverride> ReadTable(const toml::table& t, size_t index,
                                        const std::string& origin) {
  Reader r(t, absl::StrCat("table[", index, "]."), origin);
  TableOverride o;
  std::optional<std::string> name, chunk_time;
  std::optional<int> chunk_rows;
  RETURN_IF_ERROR(r.String("name", name));
  RETURN_IF_ERROR(r.String("where", o.where));
  RETURN_IF_ERROR(r.Strings("columns", o.columns));
  RETURN_IF_ERROR(r.Strings("ignore-columns", o.ignore_columns));
  RETURN_IF_ERROR(r.String("chunk-time", chunk_time));
  RETURN_IF_ERROR(r.Int("chunk-rows", chunk_rows));
  RETURN_IF_ERROR(r.Done());
  if (!name || name->empty()) return r.Error(nullptr, "name", "missing (a schema.table glob)");
  o.table = *name;
  if (chunk_time) {
    absl::Duration d;
    if (!absl::ParseDuration(*chunk_time, &d) || d <= absl::ZeroDuration()) {
      return r.Error(t.get("chunk-time"), "chunk-time", "not a positive duration (e.g. 500ms)");
    }
    o.chunk_time = d;
  }
  if (chunk_rows) {
    if (*chunk_rows < 1) return r.Error(t.get("chunk-rows"), "chunk-rows", "must be at least 1");
    o.chunk_rows = static_cast<uint64_t>(*chunk_rows);
  }
  return o;
}

}  // namespace

absl::StatusOr<DataConfig> ParseDataConfig(absl::string_view text, const std::string& origin) {
  toml::table root;
  try {
    root = toml::parse(std::string_view(text.data(), text.size()), std::string_view(origin));
  } catch (const toml::parse_error& e) {
    return absl::InvalidArgumentError(absl::StrCat(origin, ":", e.source().begin.line, ":",
                                                   e.source().begin.column, ": ",
                                                   std::string(e.description())));
  }
  DataConfig c;
  Reader top(root, "", origin);
  for (const auto& [key, node] : root) {
    const std::string k(key.str());
    if (k == "source" || k == "target") {
      const toml::table* t = node.as_table();
      if (t == nullptr) return top.Error(&node, k, "must be a table");
      ASSIGN_OR_RETURN((k == "source" ? c.source : c.target), ReadSide(*t, k, origin));
    } else if (k == "data") {
      const toml::table* t = node.as_table();
      if (t == nullptr) return top.Error(&node, k, "must be a table");
      RETURN_IF_ERROR(ReadData(*t, origin, c));
    } else if (k == "table") {
      const toml::array* a = node.as_array();
      if (a == nullptr) return top.Error(&node, k, "must be [[table]] entries");
      for (size_t i = 0; i < a->size(); ++i) {
        const toml::table* t = (*a)[i].as_table();
        if (t == nullptr) return top.Error(&(*a)[i], k, "must be [[table]] entries");
        ASSIGN_OR_RETURN(TableOverride o, ReadTable(*t, i, origin));
        c.table_overrides.push_back(std::move(o));
      }
    } else {
      return top.Error(&node, k, "unknown section (known: source, target, data, table)");
    }
  }
  return c;
}

absl::StatusOr<DataConfig> ReadDataConfig(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("--config: cannot read ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseDataConfig(ss.str(), path);
}

}  // namespace dcp::verifier
