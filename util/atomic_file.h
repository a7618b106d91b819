// Crash-safe small files (checkpoints, state): the new content is written to a temporary
// file beside the target, fsync'ed, renamed over the target, and the directory fsync'ed, so
// after a crash the file holds either the old or the new content, never a mix.
#ifndef DCP_UTIL_ATOMIC_FILE_H_
#define DCP_UTIL_ATOMIC_FILE_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace dcp {

// Replaces `path` with `content` atomically. kInternal with errno text on failure.
absl::Status WriteFileAtomically(const std::string& path, absl::string_view content);

// The content of `path`, or std::nullopt if it does not exist.
absl::StatusOr<std::optional<std::string>> ReadFileIfExists(const std::string& path);

}  // namespace dcp

#endif  // DCP_UTIL_ATOMIC_FILE_H_
