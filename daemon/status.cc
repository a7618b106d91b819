// RenderMetrics, RenderStatusJson and Health of daemon.h.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "daemon/daemon.h"
#include "util/json.h"

namespace dcp::daemon {
namespace {

std::string Label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// Numbers as text without absl's six significant digits: counters past a million must not
// print as "1e+06" (Prometheus and JSON readers would see a rounded value). Integral values
// print as integers, others with as many digits as it takes to read back the same double.
std::string FormatNumber(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::trunc(v) && std::fabs(v) < 9007199254740992.0) {
    return absl::StrCat(static_cast<int64_t>(v));
  }
  std::string s = absl::StrFormat("%.15g", v);
  if (std::strtod(s.c_str(), nullptr) != v) s = absl::StrFormat("%.17g", v);
  return s;
}

class Metrics {
 public:
  void Family(const std::string& name, const std::string& type, const std::string& help) {
    absl::StrAppend(&out_, "# HELP ", name, " ", help, "\n# TYPE ", name, " ", type, "\n");
  }
  void Sample(const std::string& name, const std::string& labels, double value) {
    absl::StrAppend(&out_, name, labels.empty() ? "" : absl::StrCat("{", labels, "}"), " ",
                    FormatNumber(value), "\n");
  }
  // A histogram family: cumulative buckets, sum and count.
  void Histogram(const std::string& name, const std::string& help, const std::string& labels,
                 const dcp::Histogram::Snapshot& h) {
    Family(name, "histogram", help);
    HistogramSamples(name, labels, h);
  }
  // One labelled series of a histogram family declared with Family().
  void HistogramSamples(const std::string& name, const std::string& labels,
                        const dcp::Histogram::Snapshot& h) {
    const std::string prefix = labels.empty() ? "" : labels + ",";
    uint64_t cumulative = 0;
    if (h.counts.empty()) Sample(name + "_bucket", prefix + "le=\"+Inf\"", 0);
    for (size_t i = 0; i < h.counts.size(); ++i) {
      cumulative += h.counts[i];
      const std::string le = i < h.bounds.size() ? FormatNumber(h.bounds[i]) : "+Inf";
      Sample(name + "_bucket", prefix + "le=\"" + le + "\"", static_cast<double>(cumulative));
    }
    Sample(name + "_sum", labels, h.sum);
    Sample(name + "_count", labels, static_cast<double>(h.count));
  }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

std::string L(const std::string& key, const std::string& value) {
  return absl::StrCat(key, "=\"", Label(value), "\"");
}

void Field(std::string& out, const char* name, const std::string& value, bool comma = true) {
  if (comma) out += ",";
  json::AppendString(name, &out);
  out += ":";
  json::AppendString(value, &out);
}

void Number(std::string& out, const char* name, double value) {
  out += ",";
  json::AppendString(name, &out);
  // JSON has no NaN or infinities.
  absl::StrAppend(&out, ":", std::isfinite(value) ? FormatNumber(value) : "null");
}

void Bool(std::string& out, const char* name, bool value) {
  out += ",";
  json::AppendString(name, &out);
  out += value ? ":true" : ":false";
}

void OptNumber(std::string& out, const char* name, std::optional<double> value) {
  out += ",";
  json::AppendString(name, &out);
  out += value && std::isfinite(*value) ? absl::StrCat(":", FormatNumber(*value))
                                        : std::string(":null");
}

void StringArray(std::string& out, const char* name, const std::vector<std::string>& values) {
  out += ",";
  json::AppendString(name, &out);
  out += ":[";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ",";
    json::AppendString(values[i], &out);
  }
  out += "]";
}

// An alarm in /status: what a person needs to recognise it (the full document is in the
// alarm sinks).
void AlarmBrief(std::string& out, const alarm::Alarm& a) {
  absl::StrAppend(&out, "{\"sequence\":", a.sequence);
  Field(out, "kind", std::string(alarm::AlarmKindName(a.kind)));
  Field(out, "time", absl::FormatTime(absl::RFC3339_sec, a.time, absl::UTCTimeZone()));
  Field(out, "target", a.target_tag);
  Field(out, "incident_key", a.IncidentKey());
  Field(out, "summary", a.Summary());
  std::vector<std::string> keys;
  for (const alarm::KeyDiff& k : a.keys) keys.push_back(k.key);
  StringArray(out, "keys", keys);
  out += "}";
}

std::optional<double> Seconds(const std::optional<absl::Duration>& d) {
  if (!d) return std::nullopt;
  return absl::ToDoubleSeconds(*d);
}

void RenderProcessMetrics(Metrics& m, const StatusSnapshot& s) {
  if (!s.process) return;
  const ProcessStats& p = *s.process;
  m.Family("process_start_time_seconds", "gauge", "Start time of the process since the epoch.");
  m.Sample("process_start_time_seconds", "", p.start_time_seconds);
  m.Family("process_cpu_seconds_total", "counter", "User and system CPU time spent.");
  m.Sample("process_cpu_seconds_total", "", p.cpu_seconds);
  m.Family("process_resident_memory_bytes", "gauge", "Resident memory size.");
  m.Sample("process_resident_memory_bytes", "", static_cast<double>(p.resident_bytes));
  m.Family("process_virtual_memory_bytes", "gauge", "Virtual memory size.");
  m.Sample("process_virtual_memory_bytes", "", static_cast<double>(p.virtual_bytes));
  m.Family("process_open_fds", "gauge", "Open file descriptors.");
  m.Sample("process_open_fds", "", static_cast<double>(p.open_fds));
  m.Family("process_max_fds", "gauge", "The limit of open file descriptors.");
  m.Sample("process_max_fds", "", static_cast<double>(p.max_fds));
}

// The number in a binlog file name ("mysql-bin.000123" -> 123), 0 when there is none.
double BinlogFileNumber(const std::string& file) {
  const size_t dot = file.rfind('.');
  uint64_t n = 0;
  if (dot == std::string::npos || !absl::SimpleAtoi(file.substr(dot + 1), &n)) return 0;
  return static_cast<double>(n);
}

void RenderCollectorMetrics(Metrics& m, const StatusSnapshot& s) {
  struct CollectorMetric {
    const char* name;
    const char* type;
    const char* help;
    double (*get)(const CollectorStatus&);
  };
  const CollectorMetric collector_metrics[] = {
      {"dcp_collector_connected", "gauge", "1 when the collector's stream (or server) is up.",
       [](const CollectorStatus& c) { return c.connected ? 1.0 : 0.0; }},
      {"dcp_collector_events_total", "counter", "Binlog events read.",
       [](const CollectorStatus& c) { return static_cast<double>(c.events); }},
      {"dcp_collector_rows_total", "counter", "Rows read from row events.",
       [](const CollectorStatus& c) { return static_cast<double>(c.rows); }},
      {"dcp_collector_messages_total", "counter", "Changes delivered to the checker.",
       [](const CollectorStatus& c) { return static_cast<double>(c.messages); }},
      {"dcp_collector_barriers_total", "counter", "Barriers delivered.",
       [](const CollectorStatus& c) { return static_cast<double>(c.barriers); }},
      {"dcp_collector_reconnects_total", "counter", "Lost streams resumed.",
       [](const CollectorStatus& c) { return static_cast<double>(c.reconnects); }},
      {"dcp_collector_rejected_total", "counter", "gRPC messages answered with an error code.",
       [](const CollectorStatus& c) { return static_cast<double>(c.rejected); }},
      {"dcp_collector_server_changes_total", "counter",
       "Binlog readers: switches to another server of the candidate list (failover).",
       [](const CollectorStatus& c) { return static_cast<double>(c.server_changes); }},
  };
  for (const CollectorMetric& cm : collector_metrics) {
    m.Family(cm.name, cm.type, cm.help);
    for (const CollectorStatus& c : s.collectors) {
      m.Sample(cm.name, absl::StrCat(L("collector", c.name), ",", L("type", c.type)), cm.get(c));
    }
  }
  // The resume position as two gauges (a position label would start a new series with every
  // transaction).
  m.Family("dcp_collector_server_change_gap_seconds", "gauge",
           "Binlog readers: at the last server change, from losing the stream to streaming "
           "from the next server.");
  for (const CollectorStatus& c : s.collectors) {
    if (!c.last_server_change_gap_seconds) continue;
    m.Sample("dcp_collector_server_change_gap_seconds", L("collector", c.name),
             *c.last_server_change_gap_seconds);
  }
  m.Family("dcp_collector_binlog_file_number", "gauge",
           "Binlog readers: the number of the binlog file of the resume position.");
  for (const CollectorStatus& c : s.collectors) {
    if (c.binlog_file.empty()) continue;
    m.Sample("dcp_collector_binlog_file_number", L("collector", c.name),
             BinlogFileNumber(c.binlog_file));
  }
  m.Family("dcp_collector_binlog_position_bytes", "gauge",
           "Binlog readers: the offset of the resume position in its file.");
  for (const CollectorStatus& c : s.collectors) {
    if (c.binlog_file.empty()) continue;
    m.Sample("dcp_collector_binlog_position_bytes", L("collector", c.name),
             static_cast<double>(c.binlog_position));
  }
}

void RenderTagAndTargetMetrics(Metrics& m, const StatusSnapshot& s) {
  m.Family("dcp_tag_last_barrier", "gauge", "The last barrier offset the tag delivered.");
  for (const TagStatus& t : s.tags) {
    if (t.stats.last_barrier) {
      m.Sample("dcp_tag_last_barrier", L("tag", t.stats.tag),
               static_cast<double>(*t.stats.last_barrier));
    }
  }
  m.Family("dcp_tag_changes_total", "counter", "Row changes the checker received for the tag.");
  for (const TagStatus& t : s.tags) {
    m.Sample("dcp_tag_changes_total", L("tag", t.stats.tag), static_cast<double>(t.stats.changes));
  }
  m.Family("dcp_tag_lag_seconds", "gauge",
           "Barrier commit on the source to its arrival in the tag's stream: for a target tag, "
           "its replication lag.");
  for (const TagStatus& t : s.tags) {
    if (t.lag) m.Sample("dcp_tag_lag_seconds", L("tag", t.stats.tag), ToDoubleSeconds(*t.lag));
  }
  m.Family("dcp_target_windows_total", "counter", "Windows compared, by result (same, diff).");
  for (const TargetStatus& t : s.targets) {
    m.Sample("dcp_target_windows_total", absl::StrCat(L("target", t.stats.tag), ",", L("result", "same")),
             static_cast<double>(t.stats.windows_same));
    m.Sample("dcp_target_windows_total", absl::StrCat(L("target", t.stats.tag), ",", L("result", "diff")),
             static_cast<double>(t.stats.windows_diff));
  }
  struct TargetMetric {
    const char* name;
    const char* type;
    const char* help;
    double (*get)(const TargetStatus&);
  };
  const TargetMetric target_metrics[] = {
      {"dcp_target_diff_keys_total", "counter", "Keys reported in Diff alarms.",
       [](const TargetStatus& t) { return static_cast<double>(t.stats.diff_keys); }},
      {"dcp_target_timeouts_total", "counter", "Timeout episodes.",
       [](const TargetStatus& t) { return static_cast<double>(t.stats.timeouts); }},
      {"dcp_target_recovered_total", "counter", "Recoveries after a Timeout.",
       [](const TargetStatus& t) { return static_cast<double>(t.stats.recovered); }},
      {"dcp_target_gaps_total", "counter", "Windows that could not be checked.",
       [](const TargetStatus& t) { return static_cast<double>(t.stats.gaps); }},
      {"dcp_target_overflows_total", "counter", "Windows dropped by the memory cap.",
       [](const TargetStatus& t) { return static_cast<double>(t.stats.overflows); }},
      {"dcp_target_suspects", "gauge", "Keys differing but still within tolerance.",
       [](const TargetStatus& t) { return static_cast<double>(t.stats.suspects); }},
      {"dcp_target_buffered_changes", "gauge", "Changes buffered waiting for comparison.",
       [](const TargetStatus& t) { return static_cast<double>(t.stats.buffered_changes); }},
      {"dcp_target_in_timeout", "gauge", "1 while the target is in Timeout.",
       [](const TargetStatus& t) { return t.stats.in_timeout ? 1.0 : 0.0; }},
  };
  for (const TargetMetric& tm : target_metrics) {
    m.Family(tm.name, tm.type, tm.help);
    for (const TargetStatus& t : s.targets) m.Sample(tm.name, L("target", t.stats.tag), tm.get(t));
  }
}

void RenderAlarmMetrics(Metrics& m, const StatusSnapshot& s) {
  m.Family("dcp_alarms_total", "counter", "Alarms raised, by kind.");
  for (const char* kind : {"diff", "timeout", "recovered", "gap", "overflow"}) {
    auto it = s.alarms.raised.find(kind);
    m.Sample("dcp_alarms_total", L("kind", kind),
             it == s.alarms.raised.end() ? 0.0 : static_cast<double>(it->second));
  }
  struct SinkMetric {
    const char* name;
    const char* type;
    const char* help;
    double (*get)(const alarm::SinkStats&);
  };
  const SinkMetric sink_metrics[] = {
      {"dcp_alarm_sink_delivered_total", "counter", "Alarms the sink delivered.",
       [](const alarm::SinkStats& k) { return static_cast<double>(k.delivered); }},
      {"dcp_alarm_sink_pending", "gauge", "Alarms emitted and not delivered yet.",
       [](const alarm::SinkStats& k) { return static_cast<double>(k.pending); }},
      {"dcp_alarm_sink_failed_attempts_total", "counter", "Deliveries tried and failed.",
       [](const alarm::SinkStats& k) { return static_cast<double>(k.failed_attempts); }},
      {"dcp_alarm_sink_errors_total", "counter",
       "Local failures: writes, spool appends, dead letters, drops.",
       [](const alarm::SinkStats& k) { return static_cast<double>(k.errors); }},
  };
  for (const SinkMetric& sm : sink_metrics) {
    m.Family(sm.name, sm.type, sm.help);
    for (const SinkStatus& k : s.alarms.sinks) {
      m.Sample(sm.name, absl::StrCat(L("sink", k.name), ",", L("type", k.type)), sm.get(k.stats));
    }
  }
  m.Family("dcp_alarm_sink_delivery_seconds", "histogram",
           "An alarm raised to its delivery by the sink.");
  for (const SinkStatus& k : s.alarms.sinks) {
    m.HistogramSamples("dcp_alarm_sink_delivery_seconds",
                       absl::StrCat(L("sink", k.name), ",", L("type", k.type)),
                       k.stats.delivery_seconds);
  }
}

}  // namespace

std::string RenderMetrics(const StatusSnapshot& s) {
  Metrics m;
  m.Family("dcp_build_info", "gauge", "Always 1; the labels say which dcp runs.");
  m.Sample("dcp_build_info", absl::StrCat(L("version", s.version), ",", L("revision", s.revision)),
           1);
  RenderProcessMetrics(m, s);
  RenderCollectorMetrics(m, s);
  RenderTagAndTargetMetrics(m, s);
  RenderAlarmMetrics(m, s);
  m.Histogram("dcp_window_compare_seconds", "Processing time of one window comparison.",
              "", s.compare_seconds);
  m.Histogram("dcp_detection_latency_seconds",
              "Diff alarms: commit of the earliest differing change to the alarm.", "",
              s.detection_seconds);
  if (s.barrier) {
    m.Family("dcp_barrier_bumps_total", "counter", "Barriers written on the source.");
    m.Sample("dcp_barrier_bumps_total", "", static_cast<double>(s.barrier_bumps));
    m.Family("dcp_barrier_failures_total", "counter", "Failed barrier connects and writes.");
    m.Sample("dcp_barrier_failures_total", "", static_cast<double>(s.barrier_failures));
    m.Family("dcp_barrier_connected", "gauge", "1 while the barrier writer is connected.");
    m.Sample("dcp_barrier_connected", "", s.barrier_connected ? 1 : 0);
  }
  m.Family("dcp_checkpoint_barrier", "gauge",
           "The barrier collectors resume before after a restart (0: none saved yet).");
  m.Sample("dcp_checkpoint_barrier", "",
           static_cast<double>(s.checkpoint_barrier.value_or(0)));
  return m.Take();
}

std::string RenderStatusJson(const StatusSnapshot& s) {
  const auto [healthy, reason] = Health(s);
  std::string out = "{";
  Field(out, "time", absl::FormatTime(absl::RFC3339_sec, s.now, absl::UTCTimeZone()), false);
  Field(out, "version", s.version);
  Field(out, "revision", s.revision);
  Field(out, "started", absl::FormatTime(absl::RFC3339_sec, s.started, absl::UTCTimeZone()));
  Bool(out, "healthy", healthy);
  Field(out, "health", healthy ? std::string("ok") : reason);
  out += ",\"collectors\":[";
  for (size_t i = 0; i < s.collectors.size(); ++i) {
    const CollectorStatus& c = s.collectors[i];
    out += i ? ",{" : "{";
    Field(out, "name", c.name, false);
    Field(out, "type", c.type);
    Field(out, "address", c.address);
    StringArray(out, "tags", c.tags);
    Bool(out, "connected", c.connected);
    Number(out, "events", static_cast<double>(c.events));
    Number(out, "rows", static_cast<double>(c.rows));
    Number(out, "messages", static_cast<double>(c.messages));
    Number(out, "barriers", static_cast<double>(c.barriers));
    Number(out, "reconnects", static_cast<double>(c.reconnects));
    if (c.type == "mysql") {
      Field(out, "position", c.position);
      if (c.server_id != 0) Number(out, "server_id", c.server_id);
      Number(out, "server_changes", static_cast<double>(c.server_changes));
      if (!c.last_server_change.empty()) Field(out, "last_server_change", c.last_server_change);
      OptNumber(out, "last_server_change_gap_seconds", c.last_server_change_gap_seconds);
      if (!c.waiting.empty()) Field(out, "waiting", c.waiting);
    }
    if (auto it = s.collector_rates.find(c.name); it != s.collector_rates.end()) {
      Number(out, "messages_per_second", it->second);
    }
    if (!c.error.empty()) Field(out, "error", c.error);
    out += "}";
  }
  out += "],\"tags\":[";
  for (size_t i = 0; i < s.tags.size(); ++i) {
    const TagStatus& t = s.tags[i];
    out += i ? ",{" : "{";
    Field(out, "tag", t.stats.tag, false);
    OptNumber(out, "last_barrier",
              t.stats.last_barrier ? std::optional<double>(*t.stats.last_barrier) : std::nullopt);
    Number(out, "changes", static_cast<double>(t.stats.changes));
    OptNumber(out, "lag_seconds", Seconds(t.lag));
    out += "}";
  }
  out += "],\"targets\":[";
  for (size_t i = 0; i < s.targets.size(); ++i) {
    const TargetStatus& t = s.targets[i];
    out += i ? ",{" : "{";
    Field(out, "target", t.stats.tag, false);
    Number(out, "windows_compared", static_cast<double>(t.stats.windows_compared));
    Number(out, "windows_same", static_cast<double>(t.stats.windows_same));
    Number(out, "windows_diff", static_cast<double>(t.stats.windows_diff));
    Number(out, "diff_keys", static_cast<double>(t.stats.diff_keys));
    Number(out, "timeouts", static_cast<double>(t.stats.timeouts));
    Number(out, "recovered", static_cast<double>(t.stats.recovered));
    Number(out, "gaps", static_cast<double>(t.stats.gaps));
    Number(out, "overflows", static_cast<double>(t.stats.overflows));
    Number(out, "suspects", static_cast<double>(t.stats.suspects));
    Number(out, "buffered_changes", static_cast<double>(t.stats.buffered_changes));
    Bool(out, "in_timeout", t.stats.in_timeout);
    OptNumber(out, "replication_lag_seconds", Seconds(t.lag));
    if (t.last_alarm) {
      out += ",\"last_alarm\":";
      AlarmBrief(out, *t.last_alarm);
    }
    out += "}";
  }
  out += "],\"alarms\":{";
  bool first = true;
  for (const auto& [kind, n] : s.alarms.raised) {
    if (!first) out += ",";
    first = false;
    json::AppendString(kind, &out);
    absl::StrAppend(&out, ":", n);
  }
  out += "}";
  out += ",\"recent_alarms\":[";
  for (size_t i = 0; i < s.alarms.recent.size(); ++i) {
    if (i > 0) out += ",";
    AlarmBrief(out, s.alarms.recent[i]);
  }
  out += "]";
  out += ",\"alarm_sinks\":[";
  for (size_t i = 0; i < s.alarms.sinks.size(); ++i) {
    const SinkStatus& k = s.alarms.sinks[i];
    out += i ? ",{" : "{";
    Field(out, "name", k.name, false);
    Field(out, "type", k.type);
    Number(out, "delivered", static_cast<double>(k.stats.delivered));
    Number(out, "pending", static_cast<double>(k.stats.pending));
    Number(out, "failed_attempts", static_cast<double>(k.stats.failed_attempts));
    Number(out, "errors", static_cast<double>(k.stats.errors));
    if (!k.stats.last_error.empty()) Field(out, "last_error", k.stats.last_error);
    out += "}";
  }
  out += "]";
  if (s.barrier) {
    out += ",\"barrier\":{";
    absl::StrAppend(&out, "\"connected\":", s.barrier_connected ? "true" : "false",
                    ",\"bumps\":", s.barrier_bumps, ",\"failures\":", s.barrier_failures);
    OptNumber(out, "offset",
              s.barrier_offset ? std::optional<double>(*s.barrier_offset) : std::nullopt);
    out += "}";
  }
  OptNumber(out, "checkpoint_barrier",
            s.checkpoint_barrier ? std::optional<double>(*s.checkpoint_barrier) : std::nullopt);
  out += "}\n";
  return out;
}

std::pair<bool, std::string> Liveness(const StatusSnapshot& s) {
  const absl::Duration since = s.now - s.last_tick;
  if (since <= kLivenessWindow) return {true, ""};
  return {false,
          absl::StrCat("the daemon's tick loop has not run for ", absl::FormatDuration(since))};
}

std::pair<bool, std::string> Health(const StatusSnapshot& s) {
  std::vector<std::string> reasons;
  for (const CollectorStatus& c : s.collectors) {
    if (!c.error.empty()) {
      reasons.push_back(absl::StrCat("collector '", c.name, "' stopped: ", c.error));
    } else if (!c.connected) {
      reasons.push_back(absl::StrCat("collector '", c.name, "' not connected"));
    }
  }
  for (const TargetStatus& t : s.targets) {
    if (t.stats.in_timeout) {
      reasons.push_back(absl::StrCat("target '", t.stats.tag, "' in timeout"));
    }
  }
  return {reasons.empty(), absl::StrJoin(reasons, "; ")};
}

}  // namespace dcp::daemon
