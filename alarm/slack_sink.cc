#include "alarm/slack_sink.h"

#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "alarm/text.h"
#include "util/json.h"

namespace dcp::alarm {
namespace {

// Slack's limits for blocks (characters; bytes bound them, alarm/text.h).
constexpr size_t kMaxHeaderBytes = 150;
constexpr size_t kMaxSectionBytes = 3000;
constexpr size_t kMaxFieldBytes = 2000;
constexpr size_t kMaxKeys = 10;
constexpr size_t kMaxKeyLineBytes = 250;

absl::string_view Mark(const Alarm& alarm) {
  if (alarm.kind == AlarmKind::kRecovered) return ":white_check_mark:";
  switch (alarm.EffectiveSeverity()) {
    case Severity::kCritical:
      return ":red_circle:";
    case Severity::kWarning:
      return ":warning:";
    case Severity::kInfo:
      return ":information_source:";
  }
  return "";
}

// A text object: {"type":"mrkdwn","text":"..."} (or plain_text, with emoji codes rendered).
std::string Text(absl::string_view type, absl::string_view text) {
  std::string out = absl::StrCat("{\"type\":\"", type, "\",\"text\":", json::Quote(text));
  if (type == "plain_text") out.append(",\"emoji\":true");
  out.push_back('}');
  return out;
}

std::string FieldsBlock(const Alarm& alarm) {
  std::vector<std::pair<std::string, std::string>> fields = {
      {"Severity", std::string(SeverityName(alarm.EffectiveSeverity()))}};
  if (!alarm.instance.empty()) fields.emplace_back("Instance", alarm.instance);
  if (const std::string b = BarrierText(alarm); !b.empty()) fields.emplace_back("Barriers", b);
  if (alarm.kind == AlarmKind::kDiff) {
    fields.emplace_back("Tables", TablesText(alarm, 10));
    fields.emplace_back("Keys differing", absl::StrCat(alarm.total_keys));
  }
  if (alarm.waited) fields.emplace_back("Waited", absl::FormatDuration(*alarm.waited));
  std::vector<std::string> objects;
  for (const auto& [name, value] : fields) {
    objects.push_back(Text(
        "mrkdwn", Truncate(absl::StrCat("*", name, "*\n", SlackEscape(value)), kMaxFieldBytes)));
  }
  return absl::StrCat("{\"type\":\"section\",\"fields\":[", absl::StrJoin(objects, ","), "]}");
}

// The message, then for a Diff one line per sample key.
std::string DetailText(const Alarm& alarm) {
  std::vector<std::string> lines;
  if (!alarm.message.empty()) lines.push_back(SlackEscape(alarm.message));
  for (size_t i = 0; i < alarm.keys.size() && i < kMaxKeys; ++i) {
    const KeyDiff& k = alarm.keys[i];
    // A key in a code span; a backtick in it would end the span early.
    const std::string key = absl::StrReplaceAll(Truncate(k.key, 120), {{"`", "'"}});
    lines.push_back(
        Truncate(SlackEscape(absl::StrCat("• `", key, "` ", KeyDiffKindName(k.kind), ": source ",
                                          SideText(k.source), "; target ", SideText(k.target))),
                 kMaxKeyLineBytes));
  }
  const uint64_t total = std::max<uint64_t>(alarm.total_keys, alarm.keys.size());
  const uint64_t listed = std::min<uint64_t>(alarm.keys.size(), kMaxKeys);
  if (alarm.kind == AlarmKind::kDiff && total > listed) {
    lines.push_back(absl::StrCat("… and ", total - listed, " more"));
  }
  return Truncate(absl::StrJoin(lines, "\n"), kMaxSectionBytes);
}

std::string ContextText(const Alarm& alarm, uint64_t sequence, const std::string& status_url) {
  std::vector<std::string> parts = {
      SlackEscape(absl::StrCat("incident ", Truncate(alarm.IncidentKey(), 300)))};
  if (sequence != 0) parts.push_back(absl::StrCat("alarm #", sequence));
  if (!status_url.empty())
    parts.push_back(absl::StrCat("<", SlackEscape(status_url), "|dcp status>"));
  return absl::StrJoin(parts, " · ");
}

}  // namespace

std::string SlackEscape(absl::string_view text) {
  return absl::StrReplaceAll(text, {{"&", "&amp;"}, {"<", "&lt;"}, {">", "&gt;"}});
}

std::string SlackFormat::Body(const Alarm& alarm, uint64_t sequence) const {
  const std::string mark(Mark(alarm));
  const std::string title =
      absl::StrCat(absl::AsciiStrToUpper(AlarmKindName(alarm.kind)), " ", PairText(alarm));
  std::vector<std::string> blocks = {
      absl::StrCat("{\"type\":\"header\",\"text\":",
                   Text("plain_text", Truncate(absl::StrCat(mark, " ", title), kMaxHeaderBytes)),
                   "}"),
      FieldsBlock(alarm)};
  if (const std::string detail = DetailText(alarm); !detail.empty()) {
    blocks.push_back(absl::StrCat("{\"type\":\"section\",\"text\":", Text("mrkdwn", detail), "}"));
  }
  blocks.push_back(absl::StrCat("{\"type\":\"context\",\"elements\":[",
                                Text("mrkdwn", ContextText(alarm, sequence, status_url_)), "]}"));
  const std::string fallback = Truncate(
      absl::StrCat(mark, " [", SeverityName(alarm.EffectiveSeverity()), "] ", alarm.Summary()),
      kMaxSectionBytes);
  return absl::StrCat("{\"text\":", json::Quote(SlackEscape(fallback)), ",\"blocks\":[",
                      absl::StrJoin(blocks, ","), "]}");
}

absl::StatusOr<std::unique_ptr<HttpSink>> StartSlackSink(SlackOptions options,
                                                         std::unique_ptr<HttpPoster> poster) {
  auto format = std::make_unique<SlackFormat>(options.status_url);
  return HttpSink::Start(std::move(options), std::move(format), std::move(poster));
}

}  // namespace dcp::alarm
