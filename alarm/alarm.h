// Alarm: what the checker reports to the operator, and AlarmSink, the interface every
// destination implements (the checker depends on this header only; the sinks themselves,
// with their network and disk code, are in alarm/sinks.h).
//
// Kinds (docs/alarms.md has the JSON document):
//   Diff      a window (or a suspect kept over several windows) where source and target differ;
//             carries up to `max_sample_keys` keys with what each side did, and the total.
//   Timeout   a target's window did not arrive within the timeout; once per target per episode.
//   Recovered the target caught up after a Timeout.
//   Gap       a window that could not be checked (barrier jump, duplicate or out-of-order
//             barrier, collector reconnect, payload before the first barrier), with its cause.
//   Overflow  a window dropped unchecked because the memory cap was reached.
// Same windows are only counted (CheckerStats), never alarmed.
//
// Value types; thread-compatible. Sinks are thread-safe.
//
// Adding a destination (Alertmanager, PagerDuty, Slack, ...): a class implementing AlarmSink
// in alarm/, and one line in the registry of alarm/sinks.cc; docs/development.md shows it.
#ifndef DCP_ALARM_ALARM_H_
#define DCP_ALARM_ALARM_H_

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace dcp::alarm {

enum class AlarmKind { kDiff, kTimeout, kRecovered, kGap, kOverflow };
inline constexpr std::array<AlarmKind, 5> kAllAlarmKinds = {AlarmKind::kDiff, AlarmKind::kTimeout,
                                                            AlarmKind::kRecovered, AlarmKind::kGap,
                                                            AlarmKind::kOverflow};

absl::string_view AlarmKindName(AlarmKind kind);  // "diff", "timeout", ...
std::optional<AlarmKind> ParseAlarmKind(absl::string_view name);

// How urgent an alarm is, in increasing order (a `min-severity` filter compares them).
enum class Severity { kInfo, kWarning, kCritical };
absl::string_view SeverityName(Severity severity);  // "info", "warning", "critical"
std::optional<Severity> ParseSeverity(absl::string_view name);

// The default severity of each kind (docs/alarms.md says why): diff critical (data differs:
// someone must look), timeout, gap and overflow warning (something was not checked or is
// late; it may heal), recovered info.
Severity DefaultSeverity(AlarmKind kind);

// The severity of each kind: DefaultSeverity() unless overridden ([alarm] severity).
// A value type.
class SeverityTable {
 public:
  SeverityTable();
  Severity For(AlarmKind kind) const { return by_kind_[static_cast<size_t>(kind)]; }
  void Set(AlarmKind kind, Severity severity) { by_kind_[static_cast<size_t>(kind)] = severity; }

 private:
  std::array<Severity, kAllAlarmKinds.size()> by_kind_;
};

// What one side did to a key, as far as the checker saw it.
struct SideImage {
  bool seen = false;     // false: no change to this key on this side in the compared windows
  bool deleted = false;  // the last change deleted the row
  std::string checksum;  // of the last change (empty when deleted or not seen)
  std::string origin;    // GTID/position of the last change
  uint64_t timestamp = 0;
  uint64_t changes = 0;                // number of changes in the compared windows
  std::optional<std::string> content;  // the last row image, when kept
};

// Why a key differs.
enum class KeyDiffKind {
  kMissingOnTarget,     // source has the row, target deleted it
  kExtraOnTarget,       // source deleted the row, target still has it
  kDifferent,           // both have the row with different checksums
  kNotAppliedOnTarget,  // source changed the key, target never did
  kTargetOnlyChange,    // target changed the key, source never did
  kSequenceDiffers,     // sequence mode: the ordered lists of changes differ
};
absl::string_view KeyDiffKindName(KeyDiffKind kind);  // "missing_on_target", ...

struct KeyDiff {
  std::string key;
  std::string table;  // the table of a canonical key (docs/encoding.md: ["shop.orders",...]),
                      // else the key's text before the first ':', else empty
  KeyDiffKind kind = KeyDiffKind::kDifferent;
  SideImage source;
  SideImage target;
};

struct Alarm {
  AlarmKind kind = AlarmKind::kDiff;
  absl::Time time;  // when the checker raised it
  std::string source_tag;
  std::string target_tag;  // empty for a Gap that concerns the source alone before matching
  // The barrier range [from_barrier, to_barrier) concerned, when known.
  std::optional<uint64_t> from_barrier;
  std::optional<uint64_t> to_barrier;
  std::string mode;           // "state" or "sequence" (Diff only)
  std::string message;        // one human line: the cause of a Gap, the wait of a Timeout, ...
  std::vector<KeyDiff> keys;  // Diff: sample of differing keys
  uint64_t total_keys = 0;    // Diff: number of differing keys (>= keys.size())
  std::optional<absl::Duration> waited;  // Timeout/Recovered: how long the target was late
  // The delivery number, unique and increasing across restarts (alarm/sequence.h); 0 when
  // not numbered.
  uint64_t sequence = 0;
  // Set by the daemon on every alarm it raises (StampingSink below): the kind's
  // severity from the SeverityTable, and this dcp's identity ([alarm] instance, by default
  // the host name). Unset or empty (an alarm no daemon stamped): left out of the document.
  std::optional<Severity> severity;
  std::string instance;

  // `severity`, or else the kind's default.
  Severity EffectiveSeverity() const { return severity.value_or(DefaultSeverity(kind)); }

  // The same for every alarm about one divergence, across windows and restarts, so that
  // receivers can deduplicate and resolve: "<kind group>:<source>-><target>:<what>", where a
  // Timeout and its Recovered share "timeout:..."; a Diff names its table and key (or, for
  // several keys, a digest of the sorted keys); a Gap or Overflow its barrier range.
  std::string IncidentKey() const;

  // One line of text for people and chat: "DIFF src->dst barriers [4,5): 3 keys differ ...".
  std::string Summary() const;
  // The JSON document of docs/alarms.md, on one line. `sequence` is the delivery number
  // (0: omitted); `slack_text` adds a "text" field with Summary().
  std::string ToJson(uint64_t sequence = 0, bool slack_text = false) const;
};

// The [alarm] settings shared by the daemon and the sinks (docs/config.md).
struct AlarmSettings {
  SeverityTable severities;  // [alarm] severity
  std::string instance;      // [alarm] instance: this dcp's identity (default: the host name)
  std::string status_url;    // [alarm] status-url: dcp's status page, linked; empty: none
};

// A sink's delivery counters, for /metrics and /status.
struct SinkStats {
  uint64_t emitted = 0;          // alarms handed to the sink
  uint64_t delivered = 0;        // written or accepted by the receiver
  uint64_t pending = 0;          // emitted, not delivered yet (queued or spooled)
  uint64_t failed_attempts = 0;  // deliveries tried and failed (retried)
  uint64_t errors = 0;           // local failures: a write, a spool append
  std::string last_error;        // the latest failure, for people; no secrets
};

// Receives alarms. Implementations are thread-safe. Emit() must not block: the checker calls
// it while holding its lock, so no network, no fsync and no waiting on a full queue there;
// a sink that delivers remotely queues and delivers on its own thread.
class AlarmSink {
 public:
  virtual ~AlarmSink() = default;
  virtual void Emit(const Alarm& alarm) = 0;
  // Waits until every alarm emitted so far is delivered or durably queued for a later run;
  // false when `timeout` passed first.
  virtual bool Flush(absl::Duration timeout) { return true; }
  // Ends background work (after Flush when wanted); idempotent. Emit() after Stop() is a
  // no-op that the sink counts as an error.
  virtual void Stop() {}
  // Reopens files after log rotation (SIGHUP).
  virtual absl::Status Reopen() { return absl::OkStatus(); }
  virtual SinkStats stats() const { return {}; }
};

// Keeps every alarm in memory; for tests and /status. Thread-safe.
class MemorySink final : public AlarmSink {
 public:
  void Emit(const Alarm& alarm) override;
  std::vector<Alarm> Take();  // returns and clears
  std::vector<Alarm> All() const;
  size_t Count(AlarmKind kind) const;

 private:
  mutable absl::Mutex mu_;
  std::vector<Alarm> alarms_ ABSL_GUARDED_BY(mu_);
};

// Sends each alarm to every sink in order. Does not own them.
class FanOutSink final : public AlarmSink {
 public:
  explicit FanOutSink(std::vector<AlarmSink*> sinks) : sinks_(std::move(sinks)) {}
  void Emit(const Alarm& alarm) override {
    for (AlarmSink* s : sinks_) s->Emit(alarm);
  }

 private:
  std::vector<AlarmSink*> sinks_;
};

// Sets each alarm's severity (from the table) and instance, then passes it on to `next`
// (not owned): the daemon puts it in front of its sinks, so every sink sees the same ones.
class StampingSink final : public AlarmSink {
 public:
  StampingSink(const AlarmSettings& settings, AlarmSink* next)
      : severities_(settings.severities), instance_(settings.instance), next_(next) {}
  void Emit(const Alarm& alarm) override;

 private:
  const SeverityTable severities_;
  const std::string instance_;
  AlarmSink* const next_;
};

}  // namespace dcp::alarm

#endif  // DCP_ALARM_ALARM_H_
