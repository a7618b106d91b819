// `dcp collect`: runs only the configured MySQL collectors and streams their changes to a
// remote dcp's gRPC collector (the [collect] section of the config, docs/config.md), one
// Pusher per collector. The checker side is an ordinary daemon with a gRPC collector.
//
// Collectors are built by the same BuildCollector() as `dcp run` (collector/builder.h): the
// servers are validated first, and each collector starts from its checkpoint under [state]
// dir, else its configured start, else the server's current end. Here each saves its own
// checkpoints (after delivered transactions and barriers, with the Pusher's sequence
// numbers). Changes reach the remote collector in binlog order; a slow remote slows the
// binlog reader (Push() blocks), memory stays bounded.
#ifndef DCP_DAEMON_COLLECT_H_
#define DCP_DAEMON_COLLECT_H_

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "collector/message_sink.h"
#include "collector/pusher.h"
#include "daemon/config.h"

namespace dcp::daemon {

// A MessageSink that converts changes to wire messages (collector/wire.h) and hands them to a
// Pusher in order. Put() blocks while the Pusher waits for answers (backpressure) and
// flushes when the changes hold a barrier, so that a window's rows are all delivered once its
// closing barrier is. Not thread-safe: one producer (the Pusher is single-threaded).
class PusherSink final : public collector::MessageSink {
 public:
  explicit PusherSink(collector::Pusher* pusher) : pusher_(pusher) {}  // not owned
  // kUnavailable when the Pusher gave up (as a closed sink), its other errors as they are.
  absl::Status Put(std::vector<checker::Change>& changes,
                   const std::function<bool()>& cancelled) override;

  // After a restart from a checkpoint: the first message of each tag in `last` gets seq
  // last + 1 (the Pusher continues from there), so that messages delivered again after a
  // crash keep the numbers they had and the remote collector answers DUPLICATE.
  void ResumeAfter(const std::map<std::string, uint64_t>& last) { resume_after_ = last; }

 private:
  collector::Pusher* pusher_;
  std::map<std::string, uint64_t> resume_after_;
};

// Runs every [[collector]] of type mysql until `stop()` returns true, pushing to
// config.collect. Errors: kInvalidArgument (no [collect] section, no mysql collector),
// kFailedPrecondition and others from a server check (before anything runs), the first
// collector's error otherwise (the others are then stopped).
absl::Status RunCollect(const Config& config, const std::function<bool()>& stop);

// `dcp collect --config F`: loads the config, runs until SIGINT/SIGTERM. Exit 0, 2 on errors.
int RunCollectCommand(const std::string& config_path);

}  // namespace dcp::daemon

#endif  // DCP_DAEMON_COLLECT_H_
