// RenderStatusPage of daemon.h: the status page for people at "/". One self-contained HTML
// document (inline CSS and SVG, no script, no external asset) that reloads itself every 5 s.
#include <algorithm>
#include <cmath>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "daemon/daemon.h"

namespace dcp::daemon {
namespace {

std::string Html(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::string Seconds(std::optional<absl::Duration> d) {
  return d ? absl::StrFormat("%.2f s", absl::ToDoubleSeconds(*d)) : "—";
}

// "ok", "timeout" or "diff" (a Diff in the last hour).
std::string TargetState(const TargetStatus& t, absl::Time now) {
  if (t.stats.in_timeout) return "timeout";
  if (t.last_alarm && t.last_alarm->kind == alarm::AlarmKind::kDiff &&
      now - t.last_alarm->time < absl::Hours(1)) {
    return "diff";
  }
  return "ok";
}

// The lag of the last hour as an SVG polyline, 0 at the bottom, the hour's maximum (at
// least 1 s) at the top; holes (no lag known) break the line.
std::string Sparkline(const std::vector<History::Point>& points, absl::Time now) {
  constexpr double kWidth = 240, kHeight = 40;
  double top = 1;
  for (const History::Point& p : points) {
    if (p.value) top = std::max(top, *p.value);
  }
  std::string lines, segment;
  for (const History::Point& p : points) {
    if (!p.value) {
      if (!segment.empty()) absl::StrAppend(&lines, "<polyline points=\"", segment, "\"/>");
      segment.clear();
      continue;
    }
    const double x = kWidth * (1 - absl::ToDoubleSeconds(now - p.time) / 3600.0);
    const double y = kHeight - kHeight * (*p.value / top);
    absl::StrAppendFormat(&segment, "%s%.1f,%.1f", segment.empty() ? "" : " ", x, y);
  }
  if (!segment.empty()) absl::StrAppend(&lines, "<polyline points=\"", segment, "\"/>");
  return absl::StrFormat(
      "<svg class=\"sparkline\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
      "data-points=\"%d\" data-max=\"%.2f\"><title>lag over the last hour, max %.2f s</title>"
      "<rect width=\"100%%\" height=\"100%%\"/>%s</svg>",
      static_cast<int>(kWidth), static_cast<int>(kHeight), static_cast<int>(kWidth),
      static_cast<int>(kHeight), points.size(), top, top, lines);
}

std::string AlarmLine(const alarm::Alarm& a) {
  std::vector<std::string> keys;
  for (const alarm::KeyDiff& k : a.keys) {
    keys.push_back(absl::StrCat("<code>", Html(k.key), "</code> ",
                                Html(alarm::KeyDiffKindName(k.kind))));
  }
  const std::string kind = absl::AsciiStrToUpper(alarm::AlarmKindName(a.kind));
  const std::string summary = a.Summary();  // starts with the kind, shown in bold instead
  return absl::StrCat(
      "<li class=\"alarm ", alarm::AlarmKindName(a.kind), "\"><span class=\"time\">",
      Html(absl::FormatTime("%Y-%m-%d %H:%M:%S", a.time, absl::UTCTimeZone())), "</span> #",
      a.sequence, " <b>", Html(kind), "</b> ", Html(absl::StripPrefix(summary, kind + " ")),
      keys.empty() ? "" : "<br>", absl::StrJoin(keys, ", "), "</li>");
}

constexpr char kStyle[] = R"(
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222;background:#fafafa}
h1{margin:0 0 .2em}h2{margin:1.4em 0 .4em;font-size:1.1em}
table{border-collapse:collapse;background:#fff}td,th{border:1px solid #ddd;padding:.3em .6em;text-align:left;vertical-align:middle}
.state{font-weight:bold;padding:.1em .5em;border-radius:3px;color:#fff}
.state.ok{background:#2e7d32}.state.timeout{background:#c62828}.state.diff{background:#ef6c00}
.badge{font-weight:bold}.badge.ok{color:#2e7d32}.badge.bad{color:#c62828}
.sparkline rect{fill:#f0f4f8}.sparkline polyline{fill:none;stroke:#1565c0;stroke-width:1.5}
ul.alarms{list-style:none;padding:0}.alarm{background:#fff;border-left:4px solid #999;margin:.3em 0;padding:.3em .6em}
.alarm.diff{border-color:#ef6c00}.alarm.timeout,.alarm.gap,.alarm.overflow{border-color:#c62828}.alarm.recovered{border-color:#2e7d32}
.time{color:#666}code{font-size:.95em}footer{margin-top:2em;color:#666}
)";

std::string TargetsTable(const StatusSnapshot& s) {
  std::string out =
      "<table id=\"targets\"><tr><th>target</th><th>state</th><th>windows compared</th>"
      "<th>same / diff</th><th>lag now</th><th>lag, last hour</th><th>last alarm</th></tr>";
  for (const TargetStatus& t : s.targets) {
    const std::string state = TargetState(t, s.now);
    absl::StrAppend(
        &out, "<tr class=\"target\" data-target=\"", Html(t.stats.tag), "\" data-state=\"", state,
        "\"><td>", Html(t.stats.tag), "</td><td><span class=\"state ", state, "\">",
        absl::AsciiStrToUpper(state), "</span></td><td>", t.stats.windows_compared, "</td><td>",
        t.stats.windows_same, " / ", t.stats.windows_diff, "</td><td>", Seconds(t.lag),
        "</td><td>", Sparkline(t.lag_history, s.now), "</td><td>",
        t.last_alarm ? Html(t.last_alarm->Summary()) : "none", "</td></tr>");
  }
  return out + "</table>";
}

std::string CollectorsTable(const StatusSnapshot& s) {
  std::string out =
      "<table id=\"collectors\"><tr><th>collector</th><th>type</th><th>server</th>"
      "<th>connected</th><th>position</th><th>changes/s</th><th>reconnects</th></tr>";
  for (const CollectorStatus& c : s.collectors) {
    auto rate = s.collector_rates.find(c.name);
    absl::StrAppend(
        &out, "<tr class=\"collector\" data-collector=\"", Html(c.name), "\"><td>", Html(c.name),
        "</td><td>", Html(c.type), "</td><td>", Html(c.address), "</td><td>",
        c.connected ? "yes" : absl::StrCat("<b>no</b>", c.error.empty() ? "" : ": ", Html(c.error)),
        "</td><td>", Html(c.position.empty() ? "—" : c.position), "</td><td>",
        rate == s.collector_rates.end() ? "—" : absl::StrFormat("%.1f", rate->second),
        "</td><td>", c.reconnects, "</td></tr>");
  }
  return out + "</table>";
}

}  // namespace

std::string RenderStatusPage(const StatusSnapshot& s) {
  const auto [ready, reason] = Health(s);
  std::string alarms;
  for (const alarm::Alarm& a : s.alarms.recent) alarms += AlarmLine(a);
  return absl::StrCat(
      "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta http-equiv=\"refresh\" content=\"5\"><title>dcp status</title><style>",
      kStyle, "</style></head><body><h1>dcp</h1><div>", Html(s.version), " (",
      Html(s.revision), "), up ", absl::FormatDuration(absl::Trunc(s.now - s.started, absl::Seconds(1))),
      " · <span id=\"ready\" class=\"badge ", ready ? "ok\">ready" : "bad\">not ready: ",
      ready ? "" : Html(reason), "</span></div><h2>Targets</h2>", TargetsTable(s),
      "<h2>Collectors</h2>", CollectorsTable(s), "<h2>Recent alarms</h2><ul class=\"alarms\">",
      alarms.empty() ? "<li>none</li>" : alarms,
      "</ul><footer><a href=\"/metrics\">/metrics</a> · <a href=\"/status\">/status</a> · "
      "<a href=\"/livez\">/livez</a> · <a href=\"/readyz\">/readyz</a></footer></body></html>\n");
}

}  // namespace dcp::daemon
