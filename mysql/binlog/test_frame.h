// Test helper: wraps an event body in a binlog v4 event header. Header-only, for tests.
#ifndef DCP_MYSQL_BINLOG_TEST_FRAME_H_
#define DCP_MYSQL_BINLOG_TEST_FRAME_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "mysql/binlog/event.h"

namespace dcp::mysql::binlog::testing {

// A whole event: 19-byte v4 header (server id 1, no checksum, next position 0) + body.
inline std::string Frame(EventType type, absl::string_view body, uint32_t timestamp = 0) {
  std::string e(19, '\0');
  for (int i = 0; i < 4; ++i) e[i] = static_cast<char>((timestamp >> (8 * i)) & 0xff);
  e[4] = static_cast<char>(type);
  e[5] = 1;  // server id 1
  const uint32_t size = static_cast<uint32_t>(19 + body.size());
  for (int i = 0; i < 4; ++i) e[9 + i] = static_cast<char>((size >> (8 * i)) & 0xff);
  e.append(body.data(), body.size());
  return e;
}

}  // namespace dcp::mysql::binlog::testing

#endif  // DCP_MYSQL_BINLOG_TEST_FRAME_H_
