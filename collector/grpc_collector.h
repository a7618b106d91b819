// The gRPC collector: a server for DCPService (gravity's Process, plus ProcessBatch and
// GetAckedPositions) that validates pushed messages and delivers the accepted ones, as
// checker::Changes, to a MessageSink (the daemon's checker, or a BoundedMessageQueue).
//
//   collector::BoundedMessageQueue queue(100000);
//   GrpcCollectorOptions options;
//   options.tags = {"source", "target"};
//   ASSIGN_OR_RETURN(auto server, GrpcCollector::Start(options, &queue));
//   ... consumer: while (auto c = queue.Pop()) Check(*c);
//   server->Stop(); queue.Close();   // the consumer then drains every acknowledged change
#ifndef DCP_COLLECTOR_GRPC_COLLECTOR_H_
#define DCP_COLLECTOR_GRPC_COLLECTOR_H_

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "collector/grpc_ingest.h"
#include "collector/message_sink.h"

namespace grpc {
class Server;
}

namespace dcp::collector {

class ProcessServer;

// PEM files of the server's certificate (chain) and private key.
struct TlsServerFiles {
  std::string cert_file;
  std::string key_file;
};

struct GrpcCollectorOptions {
  // host:port to listen on. Loopback by default; port 0 picks a free port (see port()).
  std::string listen_address = "127.0.0.1:0";
  // The accepted tags (IngestOptions::tags). Must not be empty.
  std::vector<std::string> tags;
  // Per-message limit: larger messages are answered CODE_TOO_LARGE, the stream stays up.
  size_t max_message_bytes = 1 << 20;
  // gRPC's limit on one request (a Message or a whole MessageBatch); a larger request ends
  // its stream with RESOURCE_EXHAUSTED. At least max_message_bytes + 4096 is used.
  size_t max_request_bytes = 64 << 20;
  // What one request may hold (fields in all, messages per batch, tags per
  // GetAckedPositions), checked before it is parsed; a request over a limit ends its stream
  // (or call) with RESOURCE_EXHAUSTED. Together with max_request_bytes this bounds what one
  // request costs once parsed.
  RequestLimits request_limits;
  // Per Process stream: reading pauses while the answers not yet taken by the transport
  // reach 4,096 or this many bytes (at least one answer is always held), and resumes once
  // they are down to half.
  size_t max_unsent_answer_bytes = 1 << 20;
  // When set, every RPC must carry the metadata "authorization: Bearer <token>", else it
  // fails with UNAUTHENTICATED. Never logged.
  std::optional<std::string> token;
  // When set, the server speaks TLS only.
  std::optional<TlsServerFiles> tls;
  // How long Stop() lets open streams finish before cancelling them.
  absl::Duration stop_grace = absl::Seconds(1);
  // Pass payload contents on to the sink (IngestOptions::keep_content).
  bool keep_content = false;
};

// Counters since Start().
struct GrpcCollectorStats {
  // Times a Process stream stopped reading because its unsent answers reached a bound: its
  // client sends faster than it reads the answers.
  uint64_t process_read_pauses = 0;
};

// Thread-safe. Every Response/BatchResponse with code 0 (or accepted count) is sent only
// after the sink took the message, so an acknowledged message is never lost by Stop().
// Process streams are served on one dedicated thread (gRPC's async API), ProcessBatch and
// GetAckedPositions on gRPC's sync-server threads. Requests arrive as bytes and are checked
// (RequestLimits) before they are parsed; bytes that do not parse end the stream (or call)
// with INVALID_ARGUMENT, after the answers to the requests before them. Answers echo ids and
// tags through EchoForAnswer() (at most kMaxEchoBytes each).
class GrpcCollector {
 public:
  // Validates `options`, binds and starts serving. `sink` is not owned and must outlive the
  // collector. Errors: kInvalidArgument (no tags, unreadable TLS files), kUnavailable (the
  // address cannot be bound).
  static absl::StatusOr<std::unique_ptr<GrpcCollector>> Start(GrpcCollectorOptions options,
                                                              MessageSink* sink);
  ~GrpcCollector();  // Stop()s

  GrpcCollector(const GrpcCollector&) = delete;
  GrpcCollector& operator=(const GrpcCollector&) = delete;

  // The bound port (the chosen one when the address said port 0).
  int port() const { return port_; }

  // Stops accepting RPCs, lets open streams finish for stop_grace, then cancels them (a
  // handler blocked on a full sink gives up without acknowledging). Returns when no handler
  // runs anymore: from then on the sink receives nothing. Idempotent.
  void Stop();

  const IngestCore& core() const { return *core_; }
  GrpcCollectorStats stats() const;

 private:
  class Service;
  GrpcCollector() = default;

  absl::Duration stop_grace_;
  std::unique_ptr<IngestCore> core_;
  std::unique_ptr<Service> service_;
  std::unique_ptr<ProcessServer> process_;  // serves Process; outlives server_
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  absl::Mutex stop_mu_;
  bool stopped_ ABSL_GUARDED_BY(stop_mu_) = false;
};

}  // namespace dcp::collector

#endif  // DCP_COLLECTOR_GRPC_COLLECTOR_H_
