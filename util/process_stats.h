// This process's resource figures, read from /proc (Linux), for the standard Prometheus
// `process_*` metrics.
#ifndef DCP_UTIL_PROCESS_STATS_H_
#define DCP_UTIL_PROCESS_STATS_H_

#include <cstdint>
#include <optional>

namespace dcp {

struct ProcessStats {
  double start_time_seconds = 0;  // since the Unix epoch
  double cpu_seconds = 0;         // user + system
  uint64_t resident_bytes = 0;
  uint64_t virtual_bytes = 0;
  uint64_t open_fds = 0;
  uint64_t max_fds = 0;  // the soft limit
};

// std::nullopt when /proc cannot be read.
std::optional<ProcessStats> ReadProcessStats();

}  // namespace dcp

#endif  // DCP_UTIL_PROCESS_STATS_H_
