// The alarm sink registry: every kind of alarm destination, the options each takes, and how
// a configured one is built. The daemon's config reads `[[alarm.sink]]` tables against these
// option lists (so typos, types and secrets are checked with file:line positions there, in
// daemon/config.cc) and builds the sinks with CreateSink().
//
// Adding a kind: write the sink (a class implementing AlarmSink, or an HttpFormat for an
// HTTP receiver) in alarm/, and add one SinkKind line to the table in sinks.cc.
#ifndef DCP_ALARM_SINKS_H_
#define DCP_ALARM_SINKS_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "alarm/alarm.h"

namespace dcp::alarm {

enum class OptionType {
  kString,
  kBool,
  kDuration,  // a string with a unit: "500ms", "5s"
  kStringList,
  kSecret,  // given as <key>-env (an environment variable) or <key>-file, never inline
  kInt,
  // A secret that may also be given inline as <key> (a URL whose path is its credential, like
  // a Slack incoming webhook's): one of <key>, <key>-env, <key>-file.
  kSecretOrInline,
};

// Bounds of a sink's duration options unless its OptionSpec says otherwise.
inline constexpr absl::Duration kMinSinkDuration = absl::Milliseconds(100);
inline constexpr absl::Duration kMaxSinkDuration = absl::Minutes(10);

struct OptionSpec {
  const char* key;
  OptionType type;
  bool required;
  const char* help;  // one line, for errors and docs
  // kDuration only: the accepted range.
  absl::Duration min = kMinSinkDuration;
  absl::Duration max = kMaxSinkDuration;
};

// One [[alarm.sink]] table, parsed and typed (secrets resolved).
struct SinkConfig {
  std::string type;  // a SinkKind's type
  std::string name;  // unique among sinks; defaults to the type (then "type-2", ...)
  std::map<std::string, std::string> strings;  // kString, kSecret, kSecretOrInline values
  std::map<std::string, bool> bools;
  std::map<std::string, absl::Duration> durations;
  std::map<std::string, std::vector<std::string>> lists;
  std::map<std::string, int64_t> ints;

  std::string String(const std::string& key, const std::string& fallback = "") const;
  bool Bool(const std::string& key, bool fallback) const;
  absl::Duration Duration(const std::string& key, absl::Duration fallback) const;
  std::vector<std::string> List(const std::string& key) const;
};

// What every sink may use.
struct SinkContext {
  explicit SinkContext(std::string state_dir, AlarmSettings settings = {})
      : state_dir(std::move(state_dir)), settings(std::move(settings)) {}
  std::string state_dir;   // spools live under it, one directory per sink
  AlarmSettings settings;  // [alarm]: severities (and so min-severity), instance, status URL
};

struct SinkKind {
  const char* type;
  const char* summary;
  std::vector<OptionSpec> options;  // besides the common ones (CommonOptions())
  // Cross-option checks with no side effect (check-config runs them): kInvalidArgument
  // naming the option.
  absl::Status (*validate)(const SinkConfig& config);
  absl::StatusOr<std::unique_ptr<AlarmSink>> (*create)(const SinkConfig& config,
                                                       const SinkContext& context);
};

// Options every kind accepts: name; `kinds` (the alarm kinds the sink receives; all when
// absent) and `min-severity` (the least severity it receives: info, warning or critical; all
// when absent). A Recovered also goes to every sink that takes its Timeout (of that kind and
// the Timeout's severity), so that a receiver told of a Timeout is told when it ends (the
// Alertmanager and PagerDuty sinks resolve its incident).
const std::vector<OptionSpec>& CommonOptions();

// All kinds, in documentation order.
const std::vector<SinkKind>& SinkKinds();
const SinkKind* FindSinkKind(absl::string_view type);

// Validates `config` (its kind's validate plus the common options).
absl::Status ValidateSink(const SinkConfig& config);

// Builds the sink, wrapped so that it sees only the alarms it asked for (kinds,
// min-severity; the severity of an alarm the daemon did not stamp is the context's).
absl::StatusOr<std::unique_ptr<AlarmSink>> CreateSink(const SinkConfig& config,
                                                      const SinkContext& context);

// The spool directory of an HTTP sink: <state_dir>/<name>-spool (the sink named "webhook"
// keeps the directory dcp has always used, <state_dir>/webhook-spool).
std::string SpoolDir(const SinkConfig& config, const SinkContext& context);

}  // namespace dcp::alarm

#endif  // DCP_ALARM_SINKS_H_
