#include "daemon/config.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "daemon/toml_reader.h"
#include "util/status_macros.h"

namespace dcp::daemon {
namespace {

using collector::CollectorConfig;
using collector::GrpcSourceConfig;
using collector::MysqlSourceConfig;
using collector::TagRule;

// Whether `listen` (host:port) binds to loopback only.
bool IsLoopback(const std::string& listen) {
  std::string host = listen.substr(0, listen.rfind(':'));
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return host == "localhost" || host == "::1" || absl::StartsWith(host, "127.");
}

absl::StatusOr<TagRule> ReadTag(const toml::table& t, const std::string& prefix,
                                const std::string& path) {
  TableReader r(t, prefix, path);
  TagRule tag;
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

absl::StatusOr<MysqlSourceConfig> ReadMysqlSource(TableReader& r, const std::string& prefix) {
  MysqlSourceConfig c;
  ASSIGN_OR_RETURN(c.candidates, ReadDsns(r));
  c.dsn = c.candidates.front();
  ASSIGN_OR_RETURN(std::optional<absl::Duration> grace,
                   r.Duration("failover-loss-grace", absl::ZeroDuration(), absl::Hours(1)));
  if (grace) c.loss_grace = *grace;
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
    ASSIGN_OR_RETURN(TagRule tag,
                     ReadTag(*tags[i], absl::StrCat(prefix, ".tag[", i + 1, "]"), r.path()));
    c.tags.push_back(std::move(tag));
  }
  RETURN_IF_ERROR(r.CheckNoUnknownKeys(
      "name, type, dsn, password-env, password-file, server-id, start-gtid, start-position, "
      "failover-loss-grace, tag"));
  return c;
}

absl::StatusOr<GrpcSourceConfig> ReadGrpcSource(TableReader& r) {
  GrpcSourceConfig c;
  ASSIGN_OR_RETURN(std::optional<std::string> listen, r.String("listen"));
  if (!listen) return r.Error(nullptr, "listen", "missing (e.g. listen = \"127.0.0.1:50051\")");
  RETURN_IF_ERROR(CheckListen(r, "listen", *listen));
  c.listen = *listen;
  ASSIGN_OR_RETURN(std::optional<std::vector<std::string>> tags, r.StringArray("tags"));
  if (!tags || tags->empty()) {
    return r.Error(r.table().get("tags"), "tags",
                   "a grpc collector needs the tags it accepts, e.g. tags = [\"dst2\"]");
  }
  c.tags = *tags;
  ASSIGN_OR_RETURN(c.token, r.Secret("token", false));
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
  ASSIGN_OR_RETURN(std::optional<bool> insecure, r.Bool("allow-insecure"));
  if (!IsLoopback(c.listen) && !c.token && c.tls_cert.empty() && !insecure.value_or(false)) {
    return r.Error(r.table().get("listen"), "listen",
                   absl::StrCat("\"", c.listen,
                                "\" is reachable from other hosts but needs "
                                "neither a token nor TLS, so anyone who reaches it can push "
                                "changes: set token-env or token-file (and tls-cert/tls-key), "
                                "or allow-insecure = true"));
  }
  RETURN_IF_ERROR(r.CheckNoUnknownKeys(
      "name, type, listen, tags, token-env, token-file, tls-cert, tls-key, allow-insecure"));
  return c;
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
    ASSIGN_OR_RETURN(c.source, ReadMysqlSource(r, prefix));
  } else if (*type == "grpc") {
    ASSIGN_OR_RETURN(c.source, ReadGrpcSource(r));
  } else {
    return r.Error(r.table().get("type"), "type",
                   absl::StrCat("expected \"mysql\" or \"grpc\", got \"", *type, "\""));
  }
  return c;
}

absl::StatusOr<BarrierConfig> ReadBarrier(TableReader& r) {
  BarrierConfig b;
  ASSIGN_OR_RETURN(b.candidates, ReadDsns(r));
  b.dsn = b.candidates.front();
  ASSIGN_OR_RETURN(std::optional<int64_t> id, r.Int("id"));
  if (id) {
    if (*id <= 0 || *id > 4294967295) {
      return r.Error(r.table().get("id"), "id", "expected a barrier row id 1..4294967295");
    }
    b.options.id = static_cast<uint32_t>(*id);
  }
  ASSIGN_OR_RETURN(std::optional<absl::Duration> interval,
                   r.Duration("interval", absl::Milliseconds(100), absl::Hours(1)));
  if (interval) b.options.interval = *interval;
  RETURN_IF_ERROR(r.CheckNoUnknownKeys("dsn, password-env, password-file, id, interval"));
  return b;
}

absl::Status ReadChecker(TableReader& r, checker::CheckerOptions& c) {
  ASSIGN_OR_RETURN(std::optional<std::string> source, r.String("source-tag"));
  c.source_tag = source.value_or("");
  ASSIGN_OR_RETURN(std::optional<std::vector<std::string>> targets, r.StringArray("target-tags"));
  if (targets) c.target_tags = *targets;
  ASSIGN_OR_RETURN(std::optional<std::string> mode, r.String("mode"));
  if (mode) {
    absl::StatusOr<checker::Mode> m = checker::ParseMode(*mode);
    if (!m.ok()) {
      return r.Error(r.table().get("mode"), "mode",
                     absl::StrCat("expected \"state\" or \"sequence\", got \"", *mode, "\""));
    }
    c.mode = *m;
  }
  ASSIGN_OR_RETURN(std::optional<int64_t> tolerance, r.Int("tolerance"));
  if (tolerance) {
    if (*tolerance < 0 || *tolerance > 1000) {
      return r.Error(r.table().get("tolerance"), "tolerance",
                     "expected a number of barriers 0..1000");
    }
    c.tolerance = static_cast<int>(*tolerance);
  }
  ASSIGN_OR_RETURN(std::optional<absl::Duration> timeout,
                   r.Duration("timeout", absl::Seconds(1), absl::Hours(24)));
  if (timeout) c.timeout = *timeout;
  ASSIGN_OR_RETURN(std::optional<int64_t> cap, r.Int("max-buffered-changes"));
  if (cap) {
    if (*cap < 1000 || *cap > 1'000'000'000) {
      return r.Error(r.table().get("max-buffered-changes"), "max-buffered-changes",
                     "expected 1000..1000000000 (about 100 bytes of memory each)");
    }
    c.max_buffered_changes = static_cast<size_t>(*cap);
  }
  ASSIGN_OR_RETURN(std::optional<int64_t> samples, r.Int("max-sample-keys"));
  if (samples) {
    if (*samples < 1 || *samples > 10000) {
      return r.Error(r.table().get("max-sample-keys"), "max-sample-keys", "expected 1..10000");
    }
    c.max_sample_keys = static_cast<size_t>(*samples);
  }
  return r.CheckNoUnknownKeys(
      "source-tag, target-tags, mode, tolerance, timeout, max-buffered-changes, "
      "max-sample-keys");
}

// One typed option of a sink kind into `sink`.
absl::Status ReadSinkOption(TableReader& r, const alarm::OptionSpec& o, alarm::SinkConfig& sink) {
  const std::string key = o.key;
  bool present = false;
  switch (o.type) {
    case alarm::OptionType::kString: {
      ASSIGN_OR_RETURN(std::optional<std::string> v, r.String(key));
      if (v) sink.strings[key] = *v;
      present = v.has_value();
      break;
    }
    case alarm::OptionType::kSecret:
    case alarm::OptionType::kSecretOrInline: {
      ASSIGN_OR_RETURN(std::optional<std::string> v,
                       r.Secret(key, o.type == alarm::OptionType::kSecretOrInline));
      if (v) sink.strings[key] = *v;
      present = v.has_value();
      break;
    }
    case alarm::OptionType::kBool: {
      ASSIGN_OR_RETURN(std::optional<bool> v, r.Bool(key));
      if (v) sink.bools[key] = *v;
      present = v.has_value();
      break;
    }
    case alarm::OptionType::kDuration: {
      ASSIGN_OR_RETURN(std::optional<absl::Duration> v, r.Duration(key, o.min, o.max));
      if (v) sink.durations[key] = *v;
      present = v.has_value();
      break;
    }
    case alarm::OptionType::kStringList: {
      ASSIGN_OR_RETURN(std::optional<std::vector<std::string>> v, r.StringArray(key));
      if (v) sink.lists[key] = *v;
      present = v.has_value();
      break;
    }
    case alarm::OptionType::kInt: {
      ASSIGN_OR_RETURN(std::optional<int64_t> v, r.Int(key));
      if (v) sink.ints[key] = *v;
      present = v.has_value();
      break;
    }
  }
  if (o.required && !present) {
    return r.Error(nullptr, key,
                   absl::StrCat("missing: ", o.help,
                                o.type == alarm::OptionType::kSecret
                                    ? absl::StrCat(" (", key, "-env or ", key,
                                                   "-file; a secret is never inline)")
                                    : ""));
  }
  return absl::OkStatus();
}

// One [[alarm.sink]] table, read against its kind's options (alarm/sinks.h).
absl::StatusOr<alarm::SinkConfig> ReadSink(const toml::table& t, const std::string& prefix,
                                           const std::string& path) {
  TableReader r(t, prefix, path);
  alarm::SinkConfig sink;
  ASSIGN_OR_RETURN(std::optional<std::string> type, r.String("type"));
  if (!type) return r.Error(nullptr, "type", "missing: the sink kind, e.g. type = \"webhook\"");
  sink.type = *type;
  const alarm::SinkKind* kind = alarm::FindSinkKind(sink.type);
  if (kind == nullptr) {
    return r.Error(r.table().get("type"), "type", alarm::ValidateSink(sink).message());
  }
  std::vector<std::string> known;
  for (const std::vector<alarm::OptionSpec>* specs : {&alarm::CommonOptions(), &kind->options}) {
    for (const alarm::OptionSpec& o : *specs) {
      if (std::string(o.key) == "type") {
        known.push_back(o.key);
        continue;
      }
      RETURN_IF_ERROR(ReadSinkOption(r, o, sink));
      switch (o.type) {
        case alarm::OptionType::kSecret:
          known.push_back(absl::StrCat(o.key, "-env, ", o.key, "-file"));
          break;
        case alarm::OptionType::kSecretOrInline:
          known.push_back(absl::StrCat(o.key, ", ", o.key, "-env, ", o.key, "-file"));
          break;
        default:
          known.push_back(o.key);
      }
    }
  }
  RETURN_IF_ERROR(r.CheckNoUnknownKeys(absl::StrJoin(known, ", ")));
  sink.name = sink.String("name");
  absl::Status valid = alarm::ValidateSink(sink);
  if (!valid.ok()) {
    // The kind names the option first ("url: ..."): point at it.
    const std::string msg(valid.message());
    const std::string key = msg.substr(0, msg.find(':'));
    return r.Error(r.table().get(Std(key)), key, msg.substr(std::min(msg.size(), key.size() + 2)));
  }
  return sink;
}

// The older [alarm] keys, as sinks named "log" and "webhook".
absl::Status ReadLegacyAlarmKeys(TableReader& r, AlarmConfig& a) {
  ASSIGN_OR_RETURN(std::optional<std::string> log, r.String("log"));
  if (log && !log->empty()) {
    alarm::SinkConfig s;
    s.type = s.name = "log";
    s.strings["path"] = *log;
    a.sinks.push_back(std::move(s));
  }
  ASSIGN_OR_RETURN(std::optional<std::string> webhook, r.String("webhook"));
  ASSIGN_OR_RETURN(std::optional<std::string> secret, r.Secret("webhook-secret", false));
  ASSIGN_OR_RETURN(std::optional<absl::Duration> timeout,
                   r.Duration("webhook-timeout", alarm::kMinSinkDuration, alarm::kMaxSinkDuration));
  ASSIGN_OR_RETURN(std::optional<bool> slack, r.Bool("slack"));
  if (webhook) {
    if (!absl::StartsWith(*webhook, "http://") && !absl::StartsWith(*webhook, "https://")) {
      return r.Error(r.table().get("webhook"), "webhook", "expected an http:// or https:// URL");
    }
    alarm::SinkConfig s;
    s.type = s.name = "webhook";
    s.strings["url"] = *webhook;
    if (secret) s.strings["secret"] = *secret;
    if (timeout) s.durations["timeout"] = *timeout;
    if (slack) s.bools["slack-text"] = *slack;
    a.sinks.push_back(std::move(s));
  }
  return absl::OkStatus();
}

// This host's name, the default [alarm] instance.
std::string HostName() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0 || name[0] == '\0') return "dcp";
  return name;
}

// [alarm] severity, instance, status-url.
absl::Status ReadAlarmSettings(TableReader& r, alarm::AlarmSettings& s) {
  ASSIGN_OR_RETURN(const toml::table* severity, r.Table("severity"));
  if (severity != nullptr) {
    for (const auto& [k, v] : *severity) {
      const std::string key = absl::StrCat("severity.", Absl(k.str()));
      const std::optional<alarm::AlarmKind> kind = alarm::ParseAlarmKind(Absl(k.str()));
      if (!kind) {
        return r.Error(&v, key,
                       "unknown alarm kind (known: diff, timeout, recovered, gap, overflow)");
      }
      const std::optional<alarm::Severity> level =
          v.is_string() ? alarm::ParseSeverity(Absl(v.as_string()->get())) : std::nullopt;
      if (!level) return r.Error(&v, key, "expected \"critical\", \"warning\" or \"info\"");
      s.severities.Set(*kind, *level);
    }
  }
  ASSIGN_OR_RETURN(std::optional<std::string> instance, r.String("instance"));
  if (instance && instance->empty()) {
    return r.Error(r.table().get("instance"), "instance",
                   "must not be empty (leave it out for the host name)");
  }
  s.instance = instance ? *instance : HostName();
  ASSIGN_OR_RETURN(std::optional<std::string> status_url, r.String("status-url"));
  if (status_url && !absl::StartsWith(*status_url, "http://") &&
      !absl::StartsWith(*status_url, "https://")) {
    return r.Error(r.table().get("status-url"), "status-url",
                   "expected an http:// or https:// URL (dcp's status page, linked from alarms)");
  }
  s.status_url = status_url.value_or("");
  return absl::OkStatus();
}

absl::Status ReadAlarm(TableReader& r, AlarmConfig& a) {
  RETURN_IF_ERROR(ReadAlarmSettings(r, a.settings));
  RETURN_IF_ERROR(ReadLegacyAlarmKeys(r, a));
  ASSIGN_OR_RETURN(std::vector<const toml::table*> sinks, r.TableArray("sink"));
  std::map<std::string, int> per_type;
  for (const alarm::SinkConfig& s : a.sinks) ++per_type[s.type];
  for (size_t i = 0; i < sinks.size(); ++i) {
    ASSIGN_OR_RETURN(alarm::SinkConfig s,
                     ReadSink(*sinks[i], absl::StrCat("alarm.sink[", i + 1, "]"), r.path()));
    const int n = ++per_type[s.type];
    if (s.name.empty()) s.name = n == 1 ? s.type : absl::StrCat(s.type, "-", n);
    for (const alarm::SinkConfig& other : a.sinks) {
      if (other.name == s.name) {
        return r.Error(sinks[i], absl::StrCat("sink[", i + 1, "].name"),
                       absl::StrCat("duplicate sink name \"", s.name,
                                    "\"; give each sink of one type its own name"));
      }
    }
    a.sinks.push_back(std::move(s));
  }
  return r.CheckNoUnknownKeys(
      "sink, severity, instance, status-url, log, webhook, webhook-secret-env, "
      "webhook-secret-file, webhook-timeout, slack");
}

absl::StatusOr<CollectConfig> ReadCollect(TableReader& r) {
  CollectConfig c;
  ASSIGN_OR_RETURN(std::optional<std::string> target, r.String("target"));
  if (!target || target->empty()) {
    return r.Error(r.table().get("target"), "target", "missing: host:port of a gRPC collector");
  }
  c.target = *target;
  ASSIGN_OR_RETURN(c.token, r.Secret("token", false));
  ASSIGN_OR_RETURN(std::optional<std::string> ca, r.String("tls-ca"));
  c.tls_ca = ca.value_or("");
  RETURN_IF_ERROR(r.CheckNoUnknownKeys("target, token-env, token-file, tls-ca"));
  return c;
}

absl::Status ReadHttpAndState(TableReader& top, Config& config) {
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
  return absl::OkStatus();
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
    if (const MysqlSourceConfig* m = c.mysql()) {
      if (auto [it, fresh] = server_ids.emplace(m->server_id, i); !fresh) {
        return err(key + ".server-id", collector_node(i),
                   absl::StrCat("duplicate server id ", m->server_id, " (also collector[",
                                it->second + 1, "]); each collector registers as its own replica"));
      }
    }
    for (const std::string& tag : c.TagNames()) {
      if (auto [it, fresh] = producers.emplace(tag, i); !fresh) {
        return err(key, collector_node(i),
                   absl::StrCat("tag \"", tag, "\" is produced twice (also by collector[",
                                it->second + 1, "] \"", config.collectors[it->second].name, "\")"));
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

absl::StatusOr<Config> ParseConfig(absl::string_view toml_text, absl::string_view path) {
  Config config;
  config.path = std::string(path);
  RETURN_IF_ERROR(CheckTomlShape(toml_text, path));
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
    ASSIGN_OR_RETURN(config.barrier, ReadBarrier(r));
  }
  ASSIGN_OR_RETURN(std::vector<const toml::table*> collectors, top.TableArray("collector"));
  for (size_t i = 0; i < collectors.size(); ++i) {
    ASSIGN_OR_RETURN(
        CollectorConfig c,
        ReadCollector(*collectors[i], absl::StrCat("collector[", i + 1, "]"), config.path));
    config.collectors.push_back(std::move(c));
  }
  ASSIGN_OR_RETURN(const toml::table* checker, top.Table("checker"));
  if (checker != nullptr) {
    TableReader r(*checker, "checker", config.path);
    RETURN_IF_ERROR(ReadChecker(r, config.checker));
  }
  ASSIGN_OR_RETURN(const toml::table* alarm, top.Table("alarm"));
  if (alarm != nullptr) {
    TableReader r(*alarm, "alarm", config.path);
    RETURN_IF_ERROR(ReadAlarm(r, config.alarm));
  } else {
    config.alarm.settings.instance = HostName();
  }
  RETURN_IF_ERROR(ReadHttpAndState(top, config));
  ASSIGN_OR_RETURN(const toml::table* collect, top.Table("collect"));
  if (collect != nullptr) {
    TableReader r(*collect, "collect", config.path);
    ASSIGN_OR_RETURN(config.collect, ReadCollect(r));
  }
  RETURN_IF_ERROR(
      top.CheckNoUnknownKeys("barrier, collector, checker, alarm, http, state, collect"));
  RETURN_IF_ERROR(Validate(config, root));
  return config;
}

absl::StatusOr<Config> LoadConfig(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::file_size(path, ec) > kMaxConfigBytes && !ec) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": larger than ", kMaxConfigBytes, " bytes; not a dcp configuration"));
  }
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
  if (!config.http.listen.empty() && !IsLoopback(config.http.listen)) {
    out.push_back(absl::StrCat(config.path, ": [http] listen = \"", config.http.listen,
                               "\": /metrics and /status (table names, positions, alarm "
                               "counts) are readable by anyone who reaches that address"));
  }
  if (config.alarm.sinks.empty()) {
    out.push_back(absl::StrCat(config.path,
                               ": no alarm sink ([alarm] log or webhook, or "
                               "[[alarm.sink]]); alarms are only counted in /metrics"));
  }
  return out;
}

std::string Config::ToString() const {
  std::string out = absl::StrCat("config ", path, ":");
  if (barrier) {
    std::vector<std::string> dsns;
    for (const mysql::Dsn& d : barrier->candidates) dsns.push_back(d.ToString());
    if (dsns.empty()) dsns.push_back(barrier->dsn.ToString());
    absl::StrAppend(&out, " barrier{", absl::StrJoin(dsns, "|"), " id=", barrier->options.id,
                    " interval=", absl::FormatDuration(barrier->options.interval), "}");
  }
  for (const CollectorConfig& c : collectors) {
    if (const MysqlSourceConfig* m = c.mysql()) {
      std::vector<std::string> dsns;
      for (const mysql::Dsn& d : collector::Candidates(*m)) dsns.push_back(d.ToString());
      absl::StrAppend(&out, " collector{", c.name, " mysql ", absl::StrJoin(dsns, "|"),
                      " server-id=", m->server_id, " tags=", absl::StrJoin(c.TagNames(), ","), "}");
    } else {
      const GrpcSourceConfig& g = *c.grpc();
      absl::StrAppend(&out, " collector{", c.name, " grpc ", g.listen,
                      " tags=", absl::StrJoin(g.tags, ","), g.token ? " token=***" : "",
                      g.tls_cert.empty() ? "" : " tls", "}");
    }
  }
  absl::StrAppend(&out, " checker{", checker.source_tag, " -> ",
                  absl::StrJoin(checker.target_tags, ","),
                  " mode=", checker::ModeName(checker.mode), " tolerance=", checker.tolerance,
                  " timeout=", absl::FormatDuration(checker.timeout), "}");
  absl::StrAppend(&out, " alarm{instance=", alarm.settings.instance);
  for (alarm::AlarmKind k : alarm::kAllAlarmKinds) {
    absl::StrAppend(&out, " ", alarm::AlarmKindName(k), "=",
                    alarm::SeverityName(alarm.settings.severities.For(k)));
  }
  absl::StrAppend(&out, "}");
  for (const alarm::SinkConfig& s : alarm.sinks)
    absl::StrAppend(&out, " sink{", s.name, " ", s.type, "}");
  return out;
}

}  // namespace dcp::daemon
