// Progress of a padder replay over its whole range (util/progress.h): the binlog files from
// the start (or checkpoint) position to the stop position, in bytes, one item per file; on a
// live source with a GTID range, the sequence numbers of each domain up to gtid_stop; on a
// live source without one, events (no total, no ETA).
//
// OnEvent() is called for every event and is cheap (the reporter is updated every 256 events
// and at file changes). Not thread-safe: the engine's thread only.
#ifndef DCP_PADDER_REPLAY_PROGRESS_H_
#define DCP_PADDER_REPLAY_PROGRESS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "padder/checkpoint.h"
#include "padder/options.h"
#include "util/clock.h"
#include "util/progress.h"

namespace dcp::padder {

class ReplayProgress {
 public:
  // `start`: where this run starts (a checkpoint's position), else the options' start.
  ReplayProgress(const Options& options, const std::optional<Position>& start, Clock* clock);

  // The event ending at `end_offset` of `file` (a base name) was read.
  void OnEvent(absl::string_view file, uint64_t end_offset);
  // A MariaDB GTID was read.
  void OnGtid(uint32_t domain, uint64_t sequence);
  // Nothing was read (a throttle pause): reports if the interval has passed.
  void Tick() { reporter_.MaybeReport(); }
  // The last report; `completed`: the whole range was replayed.
  void Finish(bool completed);

  // The current report text (tests).
  std::string Line() const { return reporter_.Line(); }

 private:
  enum class Kind { kFiles, kGtid, kEvents };
  void Update(size_t file, uint64_t end_offset);

  ProgressReporter reporter_;
  Kind kind_ = Kind::kEvents;
  std::vector<std::string> files_;  // base names, in order
  std::vector<uint64_t> bases_;     // per file: the offset its item starts at
  size_t current_ = 0;
  struct Domain {
    size_t item = 0;
    uint64_t start = 0;
  };
  std::map<uint32_t, Domain> domains_;
  uint64_t events_ = 0;
  size_t items_ = 0;
};

}  // namespace dcp::padder

#endif  // DCP_PADDER_REPLAY_PROGRESS_H_
