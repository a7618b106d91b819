#include "alarm/sinks.h"

#include <algorithm>
#include <filesystem>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "alarm/alertmanager_sink.h"
#include "alarm/json_lines_sink.h"
#include "alarm/pagerduty_sink.h"
#include "alarm/slack_sink.h"
#include "alarm/webhook_sink.h"
#include "util/status_macros.h"

namespace dcp::alarm {
namespace {

// Passes on only the alarms a sink asked for (`kinds`, `min-severity`); a Recovered also
// whenever its Timeout would pass (sinks.h).
class Filter final : public AlarmSink {
 public:
  Filter(std::optional<std::vector<AlarmKind>> kinds, std::optional<Severity> min_severity,
         SeverityTable severities, std::unique_ptr<AlarmSink> next)
      : kinds_(std::move(kinds)),
        min_severity_(min_severity),
        severities_(severities),
        next_(std::move(next)) {}
  void Emit(const Alarm& alarm) override {
    const Severity severity = alarm.severity.value_or(severities_.For(alarm.kind));
    if (Accepts(alarm.kind, severity) ||
        (alarm.kind == AlarmKind::kRecovered &&
         Accepts(AlarmKind::kTimeout, severities_.For(AlarmKind::kTimeout)))) {
      next_->Emit(alarm);
    }
  }
  bool Flush(absl::Duration timeout) override { return next_->Flush(timeout); }
  void Stop() override { next_->Stop(); }
  absl::Status Reopen() override { return next_->Reopen(); }
  SinkStats stats() const override { return next_->stats(); }

 private:
  bool Accepts(AlarmKind kind, Severity severity) const {
    if (kinds_ && std::find(kinds_->begin(), kinds_->end(), kind) == kinds_->end()) return false;
    return !min_severity_ || severity >= *min_severity_;
  }

  const std::optional<std::vector<AlarmKind>> kinds_;
  const std::optional<Severity> min_severity_;
  const SeverityTable severities_;
  const std::unique_ptr<AlarmSink> next_;
};

absl::StatusOr<std::vector<AlarmKind>> ParseKinds(const std::vector<std::string>& names) {
  std::vector<AlarmKind> kinds;
  for (const std::string& n : names) {
    std::optional<AlarmKind> kind = ParseAlarmKind(n);
    if (!kind) {
      return absl::InvalidArgumentError(
          absl::StrCat("kinds: unknown alarm kind \"", n,
                       "\" (known: diff, timeout, recovered, gap, overflow)"));
    }
    kinds.push_back(*kind);
  }
  return kinds;
}

absl::StatusOr<std::optional<Severity>> ParseMinSeverity(const SinkConfig& c) {
  if (c.strings.count("min-severity") == 0) return std::nullopt;
  std::optional<Severity> s = ParseSeverity(c.String("min-severity"));
  if (!s) {
    return absl::InvalidArgumentError(
        absl::StrCat("min-severity: expected \"info\", \"warning\" or \"critical\", got \"",
                     c.String("min-severity"), "\""));
  }
  return s;
}

// --- log: one JSON document per line -----------------------------------------------------

absl::Status ValidateLog(const SinkConfig& c) {
  if (c.String("path").empty()) return absl::InvalidArgumentError("path: must not be empty");
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<AlarmSink>> CreateLog(const SinkConfig& c, const SinkContext&) {
  ASSIGN_OR_RETURN(std::unique_ptr<JsonLinesSink> sink, JsonLinesSink::Open(c.String("path")));
  return std::unique_ptr<AlarmSink>(std::move(sink));
}

// --- webhook: the alarm document POSTed as it is ------------------------------------------

absl::Status ValidateUrl(const SinkConfig& c) {
  const std::string url = c.String("url");
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
    return absl::InvalidArgumentError("url: expected an http:// or https:// URL");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<AlarmSink>> CreateWebhook(const SinkConfig& c,
                                                         const SinkContext& context) {
  WebhookOptions o;
  o.url = c.String("url");
  o.spool_dir = SpoolDir(c, context);
  o.request_timeout = c.Duration("timeout", o.request_timeout);
  o.hmac_secret = c.String("secret");
  o.slack_text = c.Bool("slack-text", false);
  ASSIGN_OR_RETURN(std::unique_ptr<HttpSink> sink, StartWebhookSink(std::move(o)));
  return std::unique_ptr<AlarmSink>(std::move(sink));
}

// --- alertmanager: one alert per divergence, resolved by its Recovered or by time -----------

absl::StatusOr<std::unique_ptr<AlarmSink>> CreateAlertmanager(const SinkConfig& c,
                                                              const SinkContext& context) {
  AlertmanagerOptions o;
  o.url = c.String("url");
  o.spool_dir = SpoolDir(c, context);
  o.request_timeout = c.Duration("timeout", o.request_timeout);
  o.ends_after = c.Duration("ends-after", o.ends_after);
  o.timeout_ends_after = c.Duration("timeout-ends-after", o.timeout_ends_after);
  o.severities = context.settings.severities;
  o.status_url = context.settings.status_url;
  ASSIGN_OR_RETURN(std::unique_ptr<HttpSink> sink, StartAlertmanagerSink(std::move(o)));
  return std::unique_ptr<AlarmSink>(std::move(sink));
}

// --- pagerduty: Events API v2, trigger and resolve by incident key -----------------------

absl::Status ValidatePagerDuty(const SinkConfig& c) {
  if (c.strings.count("url") != 0) return ValidateUrl(c);
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<AlarmSink>> CreatePagerDuty(const SinkConfig& c,
                                                           const SinkContext& context) {
  PagerDutyOptions o;
  o.url = c.String("url", kPagerDutyEventsUrl);
  o.spool_dir = SpoolDir(c, context);
  o.request_timeout = c.Duration("timeout", o.request_timeout);
  o.routing_key = c.String("routing-key");
  o.status_url = context.settings.status_url;
  ASSIGN_OR_RETURN(std::unique_ptr<HttpSink> sink, StartPagerDutySink(std::move(o)));
  return std::unique_ptr<AlarmSink>(std::move(sink));
}

// --- slack: an incoming-webhook message with blocks ---------------------------------------

absl::StatusOr<std::unique_ptr<AlarmSink>> CreateSlack(const SinkConfig& c,
                                                       const SinkContext& context) {
  SlackOptions o;
  o.url = c.String("url");
  o.spool_dir = SpoolDir(c, context);
  o.request_timeout = c.Duration("timeout", o.request_timeout);
  o.status_url = context.settings.status_url;
  ASSIGN_OR_RETURN(std::unique_ptr<HttpSink> sink, StartSlackSink(std::move(o)));
  return std::unique_ptr<AlarmSink>(std::move(sink));
}

}  // namespace

const std::vector<OptionSpec>& CommonOptions() {
  static const auto* options = new std::vector<OptionSpec>{
      {"type", OptionType::kString, true, "the sink kind"},
      {"name", OptionType::kString, false, "unique name (default: the type)"},
      {"kinds", OptionType::kStringList, false,
       "alarm kinds to receive: diff, timeout, recovered, gap, overflow (default: all)"},
      {"min-severity", OptionType::kString, false,
       "the least severity to receive: info, warning, critical (default: all)"},
  };
  return *options;
}

const std::vector<SinkKind>& SinkKinds() {
  static const auto* kinds = new std::vector<SinkKind>{
      {"log",
       "one JSON document per line, appended to a file (\"-\": stdout)",
       {{"path", OptionType::kString, true, "the file, or \"-\" for stdout"}},
       &ValidateLog,
       &CreateLog},
      {"webhook",
       "each alarm's JSON document POSTed to a URL (spooled, retried)",
       {{"url", OptionType::kString, true, "http:// or https:// URL"},
        {"secret", OptionType::kSecret, false, "HMAC-SHA256 key for X-Dcp-Signature"},
        {"timeout", OptionType::kDuration, false, "per request (default 5s)"},
        {"slack-text", OptionType::kBool, false, "add a Slack-compatible \"text\" field"}},
       &ValidateUrl,
       &CreateWebhook},
      {"alertmanager",
       "alerts POSTed to Alertmanager's v2 API; a Recovered resolves its Timeout",
       {{"url", OptionType::kString, true, "Alertmanager's base URL, e.g. http://127.0.0.1:9093"},
        {"timeout", OptionType::kDuration, false, "per request (default 5s)"},
        {"ends-after", OptionType::kDuration, false,
         "a Diff, Gap or Overflow alert resolves this long after delivery (default 1h)",
         absl::Minutes(1), absl::Hours(24 * 30)},
        {"timeout-ends-after", OptionType::kDuration, false,
         "a Timeout alert never recovered resolves this long after delivery (default 24h)",
         absl::Minutes(1), absl::Hours(24 * 30)}},
       &ValidateUrl,
       &CreateAlertmanager},
      {"pagerduty",
       "PagerDuty Events API v2: trigger, and resolve a Timeout's incident on its Recovered",
       {{"routing-key", OptionType::kSecret, true, "the integration's routing key"},
        {"url", OptionType::kString, false, "events endpoint (default the PagerDuty one)"},
        {"timeout", OptionType::kDuration, false, "per request (default 5s)"}},
       &ValidatePagerDuty,
       &CreatePagerDuty},
      {"slack",
       "a Slack incoming-webhook message with blocks",
       {{"url", OptionType::kSecretOrInline, true, "the incoming webhook's URL (a secret)"},
        {"timeout", OptionType::kDuration, false, "per request (default 5s)"}},
       &ValidateUrl,
       &CreateSlack},
  };
  return *kinds;
}

const SinkKind* FindSinkKind(absl::string_view type) {
  for (const SinkKind& k : SinkKinds()) {
    if (type == k.type) return &k;
  }
  return nullptr;
}

absl::Status ValidateSink(const SinkConfig& config) {
  const SinkKind* kind = FindSinkKind(config.type);
  if (kind == nullptr) {
    std::vector<std::string> known;
    for (const SinkKind& k : SinkKinds()) known.push_back(k.type);
    return absl::InvalidArgumentError(absl::StrCat("type: unknown sink type \"", config.type,
                                                   "\" (known: ", absl::StrJoin(known, ", "), ")"));
  }
  RETURN_IF_ERROR(ParseKinds(config.List("kinds")).status());
  RETURN_IF_ERROR(ParseMinSeverity(config).status());
  return kind->validate(config);
}

absl::StatusOr<std::unique_ptr<AlarmSink>> CreateSink(const SinkConfig& config,
                                                      const SinkContext& context) {
  RETURN_IF_ERROR(ValidateSink(config));
  ASSIGN_OR_RETURN(std::unique_ptr<AlarmSink> sink,
                   FindSinkKind(config.type)->create(config, context));
  std::optional<std::vector<AlarmKind>> kinds;
  if (config.lists.count("kinds") != 0) {
    ASSIGN_OR_RETURN(kinds, ParseKinds(config.List("kinds")));
  }
  ASSIGN_OR_RETURN(std::optional<Severity> min_severity, ParseMinSeverity(config));
  if (!kinds && !min_severity) return sink;
  return std::unique_ptr<AlarmSink>(std::make_unique<Filter>(
      std::move(kinds), min_severity, context.settings.severities, std::move(sink)));
}

std::string SpoolDir(const SinkConfig& config, const SinkContext& context) {
  return (std::filesystem::path(context.state_dir) / absl::StrCat(config.name, "-spool")).string();
}

std::string SinkConfig::String(const std::string& key, const std::string& fallback) const {
  auto it = strings.find(key);
  return it == strings.end() ? fallback : it->second;
}

bool SinkConfig::Bool(const std::string& key, bool fallback) const {
  auto it = bools.find(key);
  return it == bools.end() ? fallback : it->second;
}

absl::Duration SinkConfig::Duration(const std::string& key, absl::Duration fallback) const {
  auto it = durations.find(key);
  return it == durations.end() ? fallback : it->second;
}

std::vector<std::string> SinkConfig::List(const std::string& key) const {
  auto it = lists.find(key);
  return it == lists.end() ? std::vector<std::string>() : it->second;
}

}  // namespace dcp::alarm
