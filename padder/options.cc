#include "padder/options.h"

#include <toml++/toml.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "util/status_macros.h"

namespace dcp::padder {
namespace {

absl::Status KeyError(const std::string& origin, const toml::node& node, const std::string& key,
                      const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat(origin, ":", node.source().begin.line, ":",
                                                 node.source().begin.column, ": ", key, ": ",
                                                 what));
}

absl::StatusOr<mysql::Dsn> ServerConfig(const toml::table& t, const std::string& origin,
                                        const std::string& name) {
  mysql::Dsn dsn;
  dsn.host = t["host"].value_or(std::string("127.0.0.1"));
  const int64_t port = t["port"].value_or(int64_t{3306});
  if (port <= 0 || port > 65535) {
    return KeyError(origin, *t.get("port"), name + ".port", "out of range");
  }
  dsn.port = static_cast<uint16_t>(port);
  dsn.user = t["username"].value_or(std::string());
  if (auto p = t["password"].value<std::string>()) dsn.password = *p;
  if (auto env = t["password-env"].value<std::string>()) {
    const char* v = std::getenv(env->c_str());
    if (v == nullptr) {
      return KeyError(origin, *t.get("password-env"), name + ".password-env",
                      absl::StrCat("environment variable ", *env, " is not set"));
    }
    dsn.password = v;
  }
  if (auto file = t["password-file"].value<std::string>()) {
    absl::StatusOr<std::string> v = mysql::PasswordFromFile(*file);
    if (!v.ok()) {
      return KeyError(origin, *t.get("password-file"), name + ".password-file",
                      std::string(v.status().message()));
    }
    dsn.password = *v;
  }
  if (auto s = t["socket"].value<std::string>()) dsn.socket = *s;
  return dsn;
}

absl::StatusOr<std::vector<std::string>> StringList(const toml::table& t, const char* key,
                                                    const std::string& origin,
                                                    const std::string& prefix) {
  std::vector<std::string> out;
  const toml::node* n = t.get(key);
  if (n == nullptr) return out;
  const toml::array* a = n->as_array();
  if (a == nullptr) return KeyError(origin, *n, prefix + key, "must be an array of strings");
  for (const toml::node& e : *a) {
    auto s = e.value<std::string>();
    if (!s) return KeyError(origin, e, prefix + key, "must be an array of strings");
    out.push_back(*s);
  }
  return out;
}

// The keys of [padder] itself: the binlog list, policies, limits, files, table selection.
absl::Status ParsePadderKeys(const toml::table& p, const std::string& origin, Options& o) {
  ASSIGN_OR_RETURN(o.binlog_files, StringList(p, "binlog-list", origin, "padder."));
  o.enable_delete = p["enable-delete"].value_or(false);
  if (auto v = p["conflict-policy"].value<std::string>()) {
    auto policy = ParseConflictPolicy(*v);
    if (!policy.ok()) {
      return KeyError(origin, *p.get("conflict-policy"), "padder.conflict-policy",
                      std::string(policy.status().message()));
    }
    o.policy = *policy;
  }
  if (auto v = p["ddl"].value<std::string>()) {
    if (*v == "stop") {
      o.ddl = DdlPolicy::kStop;
    } else if (*v == "skip") {
      o.ddl = DdlPolicy::kSkip;
    } else {
      return KeyError(origin, *p.get("ddl"), "padder.ddl", "must be \"stop\" or \"skip\"");
    }
  }
  const int64_t batch = p["batch-size"].value_or(int64_t{1});
  if (batch < 1 || batch > 1000000) {
    return KeyError(origin, *p.get("batch-size"), "padder.batch-size", "must be 1..1000000");
  }
  o.batch_size = static_cast<int>(batch);
  const int64_t max_tx = p["max-transactions"].value_or(int64_t{0});
  if (max_tx < 0) {
    return KeyError(origin, *p.get("max-transactions"), "padder.max-transactions", "must be >= 0");
  }
  o.max_transactions = static_cast<uint64_t>(max_tx);
  o.checkpoint_file = p["checkpoint-file"].value_or(std::string());
  o.conflict_log = p["conflict-log"].value_or(std::string("conflict.log"));
  o.stats_file = p["stats-file"].value_or(std::string("stats.json"));
  ASSIGN_OR_RETURN(o.include, StringList(p, "include-tables", origin, "padder."));
  ASSIGN_OR_RETURN(o.exclude, StringList(p, "exclude-tables", origin, "padder."));
  if (const toml::node* n = p.get("schema-rename")) {
    const toml::table* t = n->as_table();
    if (t == nullptr) {
      return KeyError(origin, *n, "padder.schema-rename", "must be a table of source = \"target\"");
    }
    for (const auto& [k, v] : *t) {
      auto s = v.value<std::string>();
      if (!s) return KeyError(origin, v, "padder.schema-rename", "values must be strings");
      o.rename[std::string(k.str())] = *s;
    }
  }
  return absl::OkStatus();
}

// [padder.mysql.start-position], [padder.mysql.stop-position], [padder.mysql.gtid-range].
absl::Status ParseRange(const toml::table& mysql, const std::string& origin, Options& o) {
  if (const toml::table* start = mysql["start-position"].as_table()) {
    o.start_file = (*start)["binlog-name"].value_or(std::string());
    const int64_t pos = (*start)["binlog-pos"].value_or(int64_t{4});
    if (pos < 4) {
      return KeyError(origin, *start->get("binlog-pos"), "padder.mysql.start-position.binlog-pos",
                      "must be >= 4");
    }
    o.start_position = static_cast<uint64_t>(pos);
  }
  if (const toml::table* stop = mysql["stop-position"].as_table()) {
    o.stop_file = (*stop)["binlog-name"].value_or(std::string());
    if (auto pos = (*stop)["binlog-pos"].value<int64_t>()) o.stop_position = *pos;
    if (o.stop_file.empty() || !o.stop_position.has_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat(origin, ": [padder.mysql.stop-position] needs binlog-name and binlog-pos"));
    }
  }
  if (const toml::table* gtid = mysql["gtid-range"].as_table()) {
    o.gtid_start = (*gtid)["start"].value_or(std::string());
    o.gtid_stop = (*gtid)["stop"].value_or(std::string());
  }
  return absl::OkStatus();
}

// [padder.mysql.source], a live server read as a replica, or else the binlog list.
absl::Status ParseSource(const toml::table& mysql, const std::string& origin, Options& o) {
  if (const toml::table* source = mysql["source"].as_table()) {
    ASSIGN_OR_RETURN(o.source, ServerConfig(*source, origin, "padder.mysql.source"));
    const int64_t id = (*source)["server-id"].value_or(int64_t{0});
    if (id <= 0 || id > 0xffffffffLL) {
      return absl::InvalidArgumentError(
          absl::StrCat(origin, ": padder.mysql.source.server-id is required (1..4294967295)"));
    }
    o.source_server_id = static_cast<uint32_t>(id);
  } else if (o.binlog_files.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(origin, ": padder.binlog-list or [padder.mysql.source] is required"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ConflictPolicy> ParseConflictPolicy(absl::string_view text) {
  if (text == "skip") return ConflictPolicy::kSkip;
  if (text == "override") return ConflictPolicy::kOverride;
  if (text == "fail") return ConflictPolicy::kFail;
  return absl::InvalidArgumentError(
      absl::StrCat("conflict policy '", text, "' is not one of skip, override, fail"));
}

absl::string_view ConflictPolicyName(ConflictPolicy p) {
  switch (p) {
    case ConflictPolicy::kSkip:
      return "skip";
    case ConflictPolicy::kOverride:
      return "override";
    case ConflictPolicy::kFail:
      return "fail";
  }
  return "";
}

absl::StatusOr<Options> ParseConfigFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseConfigText(ss.str(), path);
}

absl::StatusOr<Options> ParseConfigText(absl::string_view text, const std::string& origin) {
  toml::table root;
  try {
    root = toml::parse(std::string_view(text.data(), text.size()), std::string_view(origin));
  } catch (const toml::parse_error& e) {
    return absl::InvalidArgumentError(absl::StrCat(origin, ":", e.source().begin.line, ":",
                                                   e.source().begin.column, ": ",
                                                   std::string(e.description())));
  }
  const toml::table* padder = root["padder"].as_table();
  if (padder == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(origin, ": [padder] is missing"));
  }
  Options o;
  RETURN_IF_ERROR(ParsePadderKeys(*padder, origin, o));
  const toml::table* mysql = (*padder)["mysql"].as_table();
  const toml::table* target = mysql == nullptr ? nullptr : (*mysql)["target"].as_table();
  if (target == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(origin, ": [padder.mysql.target] is missing"));
  }
  ASSIGN_OR_RETURN(o.target, ServerConfig(*target, origin, "padder.mysql.target"));
  const std::string schema = (*target)["schema"].value_or(std::string());
  if (o.include.empty() && !schema.empty()) o.include.push_back(schema + ".*");
  RETURN_IF_ERROR(ParseRange(*mysql, origin, o));
  RETURN_IF_ERROR(ParseSource(*mysql, origin, o));
  return o;
}

}  // namespace dcp::padder
