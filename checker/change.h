// The checker's input: one change or barrier from a collector, independent of the wire format.
//
// A Change is what every collector (MySQL binlog, gRPC push) hands to the checker through a
// collector::MessageSink; it is also the in-process form of a wire `dcp::Message`
// (proto/dcp.proto), converted only at the gRPC boundary (collector/wire.h). The contract for
// collectors, documented in docs/checker.md:
//   - a row change's key is the row's table and key values (e.g. "shop.orders:42", or the
//     canonical key of docs/encoding.md); keys of different tables must differ;
//   - its checksum is the checksum of the row image (hex of a 64- or 128-bit hash, or any
//     text); two equal row images must get the same checksum on source and target;
//   - a delete carries no checksum: only the fact that the row is gone is compared;
//   - origin is the change's GTID or binlog position, timestamp its commit time.
// This library (dcp::change) depends on nothing but Abseil, so that collectors can produce
// Changes without depending on the checker.
//
// Value types; thread-compatible.
#ifndef DCP_CHECKER_CHANGE_H_
#define DCP_CHECKER_CHANGE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

namespace dcp::checker {

// A barrier: the offset column of the barrier row, as seen in one tag's stream. The checker
// compares offsets only; origin and timestamp travel with it for the wire and for logs.
struct Barrier {
  uint64_t offset = 0;
  std::string origin;      // GTID or binlog position of the barrier's transaction
  uint64_t timestamp = 0;  // its commit time, seconds since the epoch
  bool operator==(const Barrier& o) const {
    return offset == o.offset && origin == o.origin && timestamp == o.timestamp;
  }
};

// A row change. `checksum` is ignored when `deleted`.
struct RowChange {
  std::string key;       // table + key values
  std::string checksum;  // checksum of the row image
  bool deleted = false;
  std::string origin;                  // GTID or binlog position of the change
  uint64_t timestamp = 0;              // commit time, seconds since the epoch
  std::optional<std::string> content;  // the row image as text, when the collector sends it
  bool operator==(const RowChange& o) const {
    return key == o.key && checksum == o.checksum && deleted == o.deleted && origin == o.origin &&
           timestamp == o.timestamp && content == o.content;
  }
};

// The collector feeding a tag lost its stream and reconnected: whatever it delivered since the
// tag's last barrier may be incomplete or repeated.
struct Reconnect {
  std::string cause;
  bool operator==(const Reconnect& o) const { return cause == o.cause; }
};

struct Change {
  std::string tag;
  std::variant<Barrier, RowChange, Reconnect> body;
  // Binlog (or arrival) order within the tag, strictly increasing when non-zero. A row change
  // whose seq is not above the tag's last one is a duplicate and is dropped. 0: unknown.
  uint64_t seq = 0;

  bool is_barrier() const { return std::holds_alternative<Barrier>(body); }
  bool is_row() const { return std::holds_alternative<RowChange>(body); }
  std::string ToString() const;
  bool operator==(const Change& o) const { return tag == o.tag && body == o.body && seq == o.seq; }

  static Change MakeBarrier(std::string tag, uint64_t offset, uint64_t seq = 0);
  static Change MakeRow(std::string tag, std::string key, std::string checksum,
                        std::string origin = "", uint64_t timestamp = 0, uint64_t seq = 0);
  static Change MakeDelete(std::string tag, std::string key, std::string origin = "",
                           uint64_t timestamp = 0, uint64_t seq = 0);
};

}  // namespace dcp::checker

#endif  // DCP_CHECKER_CHANGE_H_
