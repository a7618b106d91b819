#include "daemon/config.h"

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

// Header-only and without exceptions: errors come back as toml::parse_result.
#define TOML_HEADER_ONLY 1
#define TOML_EXCEPTIONS 0
#include <toml++/toml.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "util/status_macros.h"

namespace dcp::daemon {
namespace {

// Debian's Abseil has its own string_view type, distinct from std::string_view.
std::string_view Std(absl::string_view s) { return std::string_view(s.data(), s.size()); }
absl::string_view Absl(std::string_view s) { return absl::string_view(s.data(), s.size()); }

// Reads one TOML table, remembering which keys were consumed so that unknown keys (typos)
// are reported instead of silently ignored.
class TableReader {
 public:
  TableReader(const toml::table& table, std::string prefix, std::string path)
      : table_(table), prefix_(std::move(prefix)), path_(std::move(path)) {}

  absl::Status Error(const toml::node* node, absl::string_view key, absl::string_view msg) const {
    std::string where = path_;
    const toml::source_region& src = node != nullptr ? node->source() : table_.source();
    if (src.begin.line > 0) absl::StrAppend(&where, ":", src.begin.line, ":", src.begin.column);
    return absl::InvalidArgumentError(absl::StrCat(where, ": ", Qualified(key), ": ", msg));
  }

  std::string Qualified(absl::string_view key) const {
    return prefix_.empty() ? std::string(key) : absl::StrCat(prefix_, ".", key);
  }

  const toml::node* Get(absl::string_view key) {
    seen_.insert(std::string(key));
    return table_.get(Std(key));
  }

  absl::StatusOr<std::optional<std::string>> String(absl::string_view key) {
    const toml::node* n = Get(key);
    if (n == nullptr) return std::nullopt;
    if (!n->is_string()) return Error(n, key, absl::StrCat("expected a string, got ", TypeName(*n)));
    return std::string(n->as_string()->get());
  }

  absl::StatusOr<std::optional<int64_t>> Int(absl::string_view key) {
    const toml::node* n = Get(key);
    if (n == nullptr) return std::nullopt;
    if (!n->is_integer()) {
      return Error(n, key, absl::StrCat("expected an integer, got ", TypeName(*n)));
    }
    return n->as_integer()->get();
  }

  absl::StatusOr<std::optional<bool>> Bool(absl::string_view key) {
    const toml::node* n = Get(key);
    if (n == nullptr) return std::nullopt;
    if (!n->is_boolean()) {
      return Error(n, key, absl::StrCat("expected true or false, got ", TypeName(*n)));
    }
    return n->as_boolean()->get();
  }

  // A duration as a string with a unit: "500ms", "2s", "1m".
  absl::StatusOr<std::optional<absl::Duration>> Duration(absl::string_view key) {
    const toml::node* n = Get(key);
    if (n == nullptr) return std::nullopt;
    absl::Duration d;
    if (!n->is_string() || !absl::ParseDuration(n->as_string()->get(), &d) ||
        d <= absl::ZeroDuration()) {
      return Error(n, key, "expected a positive duration string such as \"500ms\", \"2s\" or \"1m\"");
    }
    return d;
  }

  absl::StatusOr<std::optional<std::vector<std::string>>> StringArray(absl::string_view key) {
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

  // A sub-table; nullptr when absent.
  absl::StatusOr<const toml::table*> Table(absl::string_view key) {
    const toml::node* n = Get(key);
    if (n == nullptr) return nullptr;
    if (!n->is_table()) return Error(n, key, absl::StrCat("expected a table, got ", TypeName(*n)));
    return n->as_table();
  }

  // An array of tables ([[key]]); empty when absent.
  absl::StatusOr<std::vector<const toml::table*>> TableArray(absl::string_view key) {
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

  absl::Status CheckNoUnknownKeys(absl::string_view known_list) const {
    for (const auto& [k, v] : table_) {
      if (seen_.count(std::string(k.str())) == 0) {
        // Point at the key itself, not at its value.
        std::string where = path_;
        const toml::source_region& src = k.source().begin.line > 0 ? k.source() : v.source();
        if (src.begin.line > 0) {
          absl::StrAppend(&where, ":", src.begin.line, ":", src.begin.column);
        }
        return absl::InvalidArgumentError(absl::StrCat(where, ": ", Qualified(Absl(k.str())),
                                                       ": unknown key (known here: ", known_list,
                                                       ")"));
      }
    }
    return absl::OkStatus();
  }

  const std::string& path() const { return path_; }
  const toml::table& table() const { return table_; }

  static std::string TypeName(const toml::node& n) {
    switch (n.type()) {
      case toml::node_type::string: return "a string";
      case toml::node_type::integer: return "an integer";
      case toml::node_type::floating_point: return "a float";
      case toml::node_type::boolean: return "a boolean";
      case toml::node_type::array: return "an array";
      case toml::node_type::table: return "a table";
      case toml::node_type::date:
      case toml::node_type::time:
      case toml::node_type::date_time: return "a date/time";
      default: return "nothing";
    }
  }

 private:
  const toml::table& table_;
  std::string prefix_;
  std::string path_;
  std::set<std::string> seen_;
};

absl::StatusOr<std::string> ReadSecretFile(const std::string& file) {
  std::ifstream in(file);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("cannot read secret file ", file));
  std::stringstream ss;
  ss << in.rdbuf();
  std::string v = ss.str();
  while (!v.empty() && (v.back() == '\n' || v.back() == '\r')) v.pop_back();
  return v;
}

// Resolves a secret given inline (`key`, only where allowed), by `key-env` or by `key-file`.
absl::StatusOr<std::optional<std::string>> Secret(TableReader& r, absl::string_view key,
                                                  bool inline_allowed) {
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
    return std::string(v);
  }
  if (file) {
    auto v = ReadSecretFile(*file);
    if (!v.ok()) return r.Error(r.table().get(file_key), file_key, v.status().message());
    return *v;
  }
  return value;
}

absl::StatusOr<mysql::Dsn> ReadDsn(TableReader& r) {
  ASSIGN_OR_RETURN(std::optional<std::string> text, r.String("dsn"));
  if (!text) return r.Error(nullptr, "dsn", "missing (e.g. dsn = \"mysql://dcp@127.0.0.1:3306\")");
  auto dsn = mysql::Dsn::Parse(*text);
  if (!dsn.ok()) return r.Error(r.table().get("dsn"), "dsn", dsn.status().message());
  ASSIGN_OR_RETURN(std::optional<std::string> password, Secret(r, "password", false));
  if (password) {
    if (dsn->password) {
      return r.Error(r.table().get("password-env") ? r.table().get("password-env")
                                                    : r.table().get("password-file"),
                     "password", "the DSN already has a password; give it in one place only");
    }
    dsn->password = *password;
  }
  return *dsn;
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

absl::StatusOr<TagConfig> ReadTag(const toml::table& t, const std::string& prefix,
                                  const std::string& path) {
  TableReader r(t, prefix, path);
  TagConfig tag;
  ASSIGN_OR_RETURN(std::optional<std::string> name, r.String("name"));
  if (!name || name->empty()) return r.Error(nullptr, "name", "missing tag name");
  tag.name = *name;
  ASSIGN_OR_RETURN(std::optional<std::vector<std::string>> tables, r.StringArray("tables"));
  if (!tables || tables->empty()) {
    return r.Error(r.table().get("tables"), "tables",
                   "expected a non-empty array of schema.table globs, e.g. [\"shop.*\"]");
  }
  for (const std::string& g : *tables) {
    if (g.find('.') == std::string::npos) {
      return r.Error(r.table().get("tables"), "tables",
                     absl::StrCat("\"", g, "\" is not a schema.table glob"));
    }
  }
  tag.tables = *tables;
  ASSIGN_OR_RETURN(const toml::table* rename, r.Table("rename"));
  if (rename != nullptr) {
    for (const auto& [k, v] : *rename) {
      if (!v.is_string()) {
        return r.Error(&v, absl::StrCat("rename.", Absl(k.str())),
                       "expected a string (the source table glob)");
      }
      tag.rename.emplace_back(std::string(k.str()), std::string(v.as_string()->get()));
    }
  }
  ASSIGN_OR_RETURN(std::optional<std::vector<std::string>> ignore, r.StringArray("ignore-columns"));
  if (ignore) tag.ignore_columns = *ignore;
  ASSIGN_OR_RETURN(const toml::table* keys, r.Table("key-columns"));
  if (keys != nullptr) {
    for (const auto& [k, v] : *keys) {
      const toml::array* arr = v.as_array();
      std::vector<std::string> cols;
      if (arr != nullptr) {
        for (const toml::node& e : *arr) {
          if (e.is_string()) cols.emplace_back(e.as_string()->get());
        }
      }
      if (arr == nullptr || cols.size() != arr->size() || cols.empty()) {
        return r.Error(&v, absl::StrCat("key-columns.", Absl(k.str())),
                       "expected a non-empty array of column names");
      }
      tag.key_columns[std::string(k.str())] = cols;
    }
  }
  RETURN_IF_ERROR(r.CheckNoUnknownKeys("name, tables, rename, ignore-columns, key-columns"));
  return tag;
}

absl::StatusOr<CollectorConfig> ReadCollector(const toml::table& t, const std::string& prefix,
                                              const std::string& path) {
  TableReader r(t, prefix, path);
  CollectorConfig c;
  ASSIGN_OR_RETURN(std::optional<std::string> name, r.String("name"));
  if (!name || name->empty()) return r.Error(nullptr, "name", "missing collector name");
  c.name = *name;
  ASSIGN_OR_RETURN(std::optional<std::string> type, r.String("type"));
  if (!type || *type == "mysql") {
    c.type = CollectorConfig::Type::kMysql;
    ASSIGN_OR_RETURN(c.dsn, ReadDsn(r));
    ASSIGN_OR_RETURN(std::optional<int64_t> server_id, r.Int("server-id"));
    if (!server_id || *server_id <= 0 || *server_id > 4294967295) {
      return r.Error(r.table().get("server-id"), "server-id",
                     "expected a server id 1..4294967295, distinct from every server's and "
                     "replica's id");
    }
    c.server_id = static_cast<uint32_t>(*server_id);
    ASSIGN_OR_RETURN(c.start_gtid, r.String("start-gtid"));
    ASSIGN_OR_RETURN(c.start_position, r.String("start-position"));
    if (c.start_gtid && c.start_position) {
      return r.Error(r.table().get("start-position"), "start-position",
                     "give start-gtid or start-position, not both");
    }
    if (c.start_position && c.start_position->find(':') == std::string::npos) {
      return r.Error(r.table().get("start-position"), "start-position",
                     "expected file:position, e.g. \"mysql-bin.000003:4\"");
    }
    ASSIGN_OR_RETURN(std::vector<const toml::table*> tags, r.TableArray("tag"));
    if (tags.empty()) {
      return r.Error(nullptr, "tag", "a mysql collector needs at least one [[collector.tag]]");
    }
    for (size_t i = 0; i < tags.size(); ++i) {
      ASSIGN_OR_RETURN(TagConfig tag,
                       ReadTag(*tags[i], absl::StrCat(prefix, ".tag[", i + 1, "]"), path));
      c.tags.push_back(std::move(tag));
    }
    RETURN_IF_ERROR(r.CheckNoUnknownKeys(
        "name, type, dsn, password-env, password-file, server-id, start-gtid, start-position, "
        "tag"));
  } else if (*type == "grpc") {
    c.type = CollectorConfig::Type::kGrpc;
    ASSIGN_OR_RETURN(std::optional<std::string> listen, r.String("listen"));
    if (!listen) return r.Error(nullptr, "listen", "missing (e.g. listen = \"127.0.0.1:50051\")");
    RETURN_IF_ERROR(CheckListen(r, "listen", *listen));
    c.listen = *listen;
    ASSIGN_OR_RETURN(std::optional<std::vector<std::string>> tags, r.StringArray("tags"));
    if (!tags || tags->empty()) {
      return r.Error(r.table().get("tags"), "tags",
                     "a grpc collector needs the tags it accepts, e.g. tags = [\"dst2\"]");
    }
    c.grpc_tags = *tags;
    ASSIGN_OR_RETURN(c.token, Secret(r, "token", false));
    ASSIGN_OR_RETURN(std::optional<std::string> cert, r.String("tls-cert"));
    ASSIGN_OR_RETURN(std::optional<std::string> key, r.String("tls-key"));
    if (cert.has_value() != key.has_value()) {
      return r.Error(r.table().get(cert ? "tls-cert" : "tls-key"), cert ? "tls-key" : "tls-cert",
                     "tls-cert and tls-key go together");
    }
    for (const auto& [k, v] : {std::pair{"tls-cert", cert}, std::pair{"tls-key", key}}) {
      if (v && !std::ifstream(*v)) {
        return r.Error(r.table().get(k), k, absl::StrCat("cannot read ", *v));
      }
    }
    c.tls_cert = cert.value_or("");
    c.tls_key = key.value_or("");
    RETURN_IF_ERROR(r.CheckNoUnknownKeys(
        "name, type, listen, tags, token-env, token-file, tls-cert, tls-key"));
  } else {
    return r.Error(r.table().get("type"), "type",
                   absl::StrCat("expected \"mysql\" or \"grpc\", got \"", *type, "\""));
  }
  return c;
}

absl::Status Validate(const Config& config, const toml::table& root) {
  auto err = [&](absl::string_view where_key, const toml::node* node, absl::string_view msg) {
    std::string where = config.path;
    if (node != nullptr && node->source().begin.line > 0) {
      absl::StrAppend(&where, ":", node->source().begin.line, ":", node->source().begin.column);
    }
    return absl::InvalidArgumentError(absl::StrCat(where, ": ", where_key, ": ", msg));
  };
  const toml::array* collectors_node = root["collector"].as_array();
  auto collector_node = [&](size_t i) -> const toml::node* {
    return collectors_node != nullptr && i < collectors_node->size() ? collectors_node->get(i)
                                                                      : nullptr;
  };
  std::map<std::string, size_t> names;
  std::map<uint32_t, size_t> server_ids;
  std::map<std::string, size_t> producers;  // tag -> collector index
  for (size_t i = 0; i < config.collectors.size(); ++i) {
    const CollectorConfig& c = config.collectors[i];
    const std::string key = absl::StrCat("collector[", i + 1, "]");
    if (auto [it, fresh] = names.emplace(c.name, i); !fresh) {
      return err(key + ".name", collector_node(i),
                 absl::StrCat("duplicate collector name \"", c.name, "\" (also collector[",
                              it->second + 1, "])"));
    }
    if (c.type == CollectorConfig::Type::kMysql) {
      if (auto [it, fresh] = server_ids.emplace(c.server_id, i); !fresh) {
        return err(key + ".server-id", collector_node(i),
                   absl::StrCat("duplicate server id ", c.server_id, " (also collector[",
                                it->second + 1, "]); each collector registers as its own replica"));
      }
    }
    for (const std::string& tag : c.TagNames()) {
      if (auto [it, fresh] = producers.emplace(tag, i); !fresh) {
        return err(key, collector_node(i),
                   absl::StrCat("tag \"", tag, "\" is produced twice (also by collector[",
                                it->second + 1, "] \"", config.collectors[it->second].name,
                                "\")"));
      }
    }
  }
  const toml::node* checker_node = root.get("checker");
  if (config.collectors.empty()) {
    return err("collector", nullptr, "no [[collector]]: nothing to check");
  }
  if (config.collect.has_value()) return absl::OkStatus();  // dcp collect: no checker here
  if (config.checker.source_tag.empty()) {
    return err("checker.source-tag", checker_node, "missing: the tag of the source's changes");
  }
  if (config.checker.target_tags.empty()) {
    return err("checker.target-tags", checker_node, "missing: at least one target tag");
  }
  std::set<std::string> seen_targets;
  for (const std::string& t : config.checker.target_tags) {
    if (t == config.checker.source_tag) {
      return err("checker.target-tags", checker_node,
                 absl::StrCat("\"", t, "\" is the source tag; a tag cannot be its own target"));
    }
    if (!seen_targets.insert(t).second) {
      return err("checker.target-tags", checker_node, absl::StrCat("\"", t, "\" is listed twice"));
    }
  }
  std::vector<std::string> used = config.checker.target_tags;
  used.push_back(config.checker.source_tag);
  for (const std::string& t : used) {
    if (producers.count(t) == 0) {
      std::vector<std::string> known;
      for (const auto& [name, unused] : producers) known.push_back(name);
      return err(t == config.checker.source_tag ? "checker.source-tag" : "checker.target-tags",
                 checker_node,
                 absl::StrCat("tag \"", t, "\" is used but no collector produces it (produced: ",
                              absl::StrJoin(known, ", "), ")"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<std::string> CollectorConfig::TagNames() const {
  if (type == Type::kGrpc) return grpc_tags;
  std::vector<std::string> out;
  for (const TagConfig& t : tags) out.push_back(t.name);
  return out;
}

absl::StatusOr<Config> ParseConfig(absl::string_view toml_text, absl::string_view path) {
  Config config;
  config.path = std::string(path);
  toml::parse_result parsed = toml::parse(Std(toml_text), Std(path));
  if (!parsed) {
    const toml::parse_error& e = parsed.error();
    return absl::InvalidArgumentError(absl::StrCat(path, ":", e.source().begin.line, ":",
                                                   e.source().begin.column, ": ",
                                                   Absl(e.description())));
  }
  const toml::table& root = parsed.table();
  TableReader top(root, "", config.path);

  ASSIGN_OR_RETURN(const toml::table* barrier, top.Table("barrier"));
  if (barrier != nullptr) {
    TableReader r(*barrier, "barrier", config.path);
    BarrierConfig b;
    ASSIGN_OR_RETURN(b.dsn, ReadDsn(r));
    ASSIGN_OR_RETURN(std::optional<int64_t> id, r.Int("id"));
    if (id) {
      if (*id <= 0 || *id > 4294967295) {
        return r.Error(r.table().get("id"), "id", "expected a barrier row id 1..4294967295");
      }
      b.id = static_cast<uint32_t>(*id);
    }
    ASSIGN_OR_RETURN(std::optional<absl::Duration> interval, r.Duration("interval"));
    if (interval) b.interval = *interval;
    RETURN_IF_ERROR(r.CheckNoUnknownKeys("dsn, password-env, password-file, id, interval"));
    config.barrier = std::move(b);
  }

  ASSIGN_OR_RETURN(std::vector<const toml::table*> collectors, top.TableArray("collector"));
  for (size_t i = 0; i < collectors.size(); ++i) {
    ASSIGN_OR_RETURN(CollectorConfig c, ReadCollector(*collectors[i],
                                                      absl::StrCat("collector[", i + 1, "]"),
                                                      config.path));
    config.collectors.push_back(std::move(c));
  }

  ASSIGN_OR_RETURN(const toml::table* checker, top.Table("checker"));
  if (checker != nullptr) {
    TableReader r(*checker, "checker", config.path);
    CheckerConfig& c = config.checker;
    ASSIGN_OR_RETURN(std::optional<std::string> source, r.String("source-tag"));
    c.source_tag = source.value_or("");
    ASSIGN_OR_RETURN(std::optional<std::vector<std::string>> targets, r.StringArray("target-tags"));
    if (targets) c.target_tags = *targets;
    ASSIGN_OR_RETURN(std::optional<std::string> mode, r.String("mode"));
    if (mode) {
      if (*mode == "state") {
        c.mode = CheckerConfig::Mode::kState;
      } else if (*mode == "sequence") {
        c.mode = CheckerConfig::Mode::kSequence;
      } else {
        return r.Error(r.table().get("mode"), "mode",
                       absl::StrCat("expected \"state\" or \"sequence\", got \"", *mode, "\""));
      }
    }
    ASSIGN_OR_RETURN(std::optional<int64_t> tolerance, r.Int("tolerance"));
    if (tolerance) {
      if (*tolerance < 0 || *tolerance > 1000) {
        return r.Error(r.table().get("tolerance"), "tolerance",
                       "expected a number of barriers 0..1000");
      }
      c.tolerance = static_cast<int>(*tolerance);
    }
    ASSIGN_OR_RETURN(std::optional<absl::Duration> timeout, r.Duration("timeout"));
    if (timeout) c.timeout = *timeout;
    ASSIGN_OR_RETURN(std::optional<int64_t> cap, r.Int("max-buffered-changes"));
    if (cap) {
      if (*cap < 1000) {
        return r.Error(r.table().get("max-buffered-changes"), "max-buffered-changes",
                       "expected at least 1000");
      }
      c.max_buffered_changes = *cap;
    }
    ASSIGN_OR_RETURN(std::optional<int64_t> samples, r.Int("max-sample-keys"));
    if (samples) {
      if (*samples < 1 || *samples > 10000) {
        return r.Error(r.table().get("max-sample-keys"), "max-sample-keys",
                       "expected 1..10000");
      }
      c.max_sample_keys = static_cast<int>(*samples);
    }
    RETURN_IF_ERROR(r.CheckNoUnknownKeys(
        "source-tag, target-tags, mode, tolerance, timeout, max-buffered-changes, "
        "max-sample-keys"));
  }

  ASSIGN_OR_RETURN(const toml::table* alarm, top.Table("alarm"));
  if (alarm != nullptr) {
    TableReader r(*alarm, "alarm", config.path);
    AlarmConfig& a = config.alarm;
    ASSIGN_OR_RETURN(std::optional<std::string> log, r.String("log"));
    a.log = log.value_or("");
    ASSIGN_OR_RETURN(std::optional<std::string> webhook, r.String("webhook"));
    if (webhook) {
      if (!absl::StartsWith(*webhook, "http://") && !absl::StartsWith(*webhook, "https://")) {
        return r.Error(r.table().get("webhook"), "webhook", "expected an http:// or https:// URL");
      }
      a.webhook = *webhook;
    }
    ASSIGN_OR_RETURN(a.webhook_secret, Secret(r, "webhook-secret", false));
    ASSIGN_OR_RETURN(std::optional<absl::Duration> timeout, r.Duration("webhook-timeout"));
    if (timeout) a.webhook_timeout = *timeout;
    ASSIGN_OR_RETURN(std::optional<bool> slack, r.Bool("slack"));
    a.slack_text = slack.value_or(false);
    RETURN_IF_ERROR(r.CheckNoUnknownKeys(
        "log, webhook, webhook-secret-env, webhook-secret-file, webhook-timeout, slack"));
  }

  ASSIGN_OR_RETURN(const toml::table* http, top.Table("http"));
  if (http != nullptr) {
    TableReader r(*http, "http", config.path);
    ASSIGN_OR_RETURN(std::optional<std::string> listen, r.String("listen"));
    if (listen) {
      if (!listen->empty()) RETURN_IF_ERROR(CheckListen(r, "listen", *listen));
      config.http.listen = *listen;
    }
    RETURN_IF_ERROR(r.CheckNoUnknownKeys("listen"));
  }

  ASSIGN_OR_RETURN(const toml::table* state, top.Table("state"));
  if (state != nullptr) {
    TableReader r(*state, "state", config.path);
    ASSIGN_OR_RETURN(std::optional<std::string> dir, r.String("dir"));
    if (dir) {
      if (dir->empty()) return r.Error(r.table().get("dir"), "dir", "must not be empty");
      config.state.dir = *dir;
    }
    RETURN_IF_ERROR(r.CheckNoUnknownKeys("dir"));
  }

  ASSIGN_OR_RETURN(const toml::table* collect, top.Table("collect"));
  if (collect != nullptr) {
    TableReader r(*collect, "collect", config.path);
    CollectConfig c;
    ASSIGN_OR_RETURN(std::optional<std::string> target, r.String("target"));
    if (!target || target->empty()) {
      return r.Error(r.table().get("target"), "target", "missing: host:port of a gRPC collector");
    }
    c.target = *target;
    ASSIGN_OR_RETURN(c.token, Secret(r, "token", false));
    ASSIGN_OR_RETURN(std::optional<std::string> ca, r.String("tls-ca"));
    c.tls_ca = ca.value_or("");
    RETURN_IF_ERROR(r.CheckNoUnknownKeys("target, token-env, token-file, tls-ca"));
    config.collect = std::move(c);
  }

  RETURN_IF_ERROR(
      top.CheckNoUnknownKeys("barrier, collector, checker, alarm, http, state, collect"));
  RETURN_IF_ERROR(Validate(config, root));
  return config;
}

absl::StatusOr<Config> LoadConfig(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot read the config file"));
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseConfig(ss.str(), path);
}

std::vector<std::string> ConfigWarnings(const Config& config) {
  std::vector<std::string> out;
  std::set<std::string> used(config.checker.target_tags.begin(), config.checker.target_tags.end());
  used.insert(config.checker.source_tag);
  for (const CollectorConfig& c : config.collectors) {
    for (const std::string& t : c.TagNames()) {
      if (used.count(t) == 0) {
        out.push_back(absl::StrCat(config.path, ": tag \"", t, "\" of collector \"", c.name,
                                   "\" is produced but not compared by [checker]"));
      }
    }
  }
  if (!config.barrier) {
    out.push_back(absl::StrCat(config.path,
                               ": no [barrier]: dcp will not bump a barrier; windows advance only "
                               "if something else writes drc.barrier on the source"));
  }
  if (config.alarm.log.empty() && config.alarm.webhook.empty()) {
    out.push_back(absl::StrCat(config.path, ": [alarm] has neither log nor webhook; alarms are "
                                            "only counted in /metrics"));
  }
  return out;
}

std::string Config::ToString() const {
  std::string out = absl::StrCat("config ", path, ":");
  if (barrier) {
    absl::StrAppend(&out, " barrier{", barrier->dsn.ToString(), " id=", barrier->id,
                    " interval=", absl::FormatDuration(barrier->interval), "}");
  }
  for (const CollectorConfig& c : collectors) {
    if (c.type == CollectorConfig::Type::kMysql) {
      absl::StrAppend(&out, " collector{", c.name, " mysql ", c.dsn.ToString(),
                      " server-id=", c.server_id, " tags=", absl::StrJoin(c.TagNames(), ","), "}");
    } else {
      absl::StrAppend(&out, " collector{", c.name, " grpc ", c.listen,
                      " tags=", absl::StrJoin(c.grpc_tags, ","), c.token ? " token=***" : "",
                      c.tls_cert.empty() ? "" : " tls", "}");
    }
  }
  absl::StrAppend(&out, " checker{", checker.source_tag, " -> ",
                  absl::StrJoin(checker.target_tags, ","), " mode=",
                  checker.mode == CheckerConfig::Mode::kState ? "state" : "sequence",
                  " tolerance=", checker.tolerance,
                  " timeout=", absl::FormatDuration(checker.timeout), "}");
  return out;
}

}  // namespace dcp::daemon
