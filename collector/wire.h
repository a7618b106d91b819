// The gRPC boundary: wire `dcp::Message`s (proto/dcp.proto, gravity-compatible) to and from
// the in-process checker::Change. Only the gRPC collector, the pusher and `dcp push`/`dcp
// collect` see protobuf; everything else passes Changes.
//
// On the wire a delete is a payload whose content is the op word DELETE, optionally followed
// by a space and anything (gravity's "DELETE [...]"); its checksum is not compared. Pure
// functions; thread-safe.
#ifndef DCP_COLLECTOR_WIRE_H_
#define DCP_COLLECTOR_WIRE_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "checker/change.h"
#include "proto/dcp.pb.h"

namespace dcp::collector {

// True when `content` starts with the op word DELETE (alone or followed by a space).
bool IsDeleteContent(absl::string_view content);

// Converts a wire message. kInvalidArgument when the tag is empty, the body is missing or a
// payload has an empty key. The content is kept only when `keep_content`. `seq` becomes the
// Change's seq (the message's own seq is the pusher's numbering, checked by the collector).
absl::StatusOr<checker::Change> FromProto(const Message& message, uint64_t seq = 0,
                                          bool keep_content = false);
// The same, moving the strings out of `message` (the gRPC collector's hot path).
absl::StatusOr<checker::Change> FromProto(Message&& message, uint64_t seq = 0,
                                          bool keep_content = false);

// Converts a Change for the wire (`seq` left 0: the pusher numbers messages). A row's content
// is sent when the Change has it; a delete goes as content "DELETE" with the checksum of that
// word, as the MySQL collector has always sent it. A Reconnect has no wire form: kInvalidArgument.
absl::StatusOr<Message> ToProto(const checker::Change& change);

}  // namespace dcp::collector

#endif  // DCP_COLLECTOR_WIRE_H_
