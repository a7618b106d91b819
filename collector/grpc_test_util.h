// Helpers for the gRPC collector's and the pusher's tests: message builders, a client that
// sends raw bytes, a throwaway TLS certificate, and a TCP proxy that can cut connections.
// Test-only.
#ifndef DCP_COLLECTOR_GRPC_TEST_UTIL_H_
#define DCP_COLLECTOR_GRPC_TEST_UTIL_H_

#include <grpcpp/channel.h>
#include <grpcpp/support/status.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "proto/dcp.pb.h"

namespace dcp::collector::testing {

Message Barrier(const std::string& tag, uint64_t offset, uint64_t seq = 0);
Message Payload(const std::string& tag, const std::string& id, const std::string& key,
                const std::string& content, uint64_t seq = 0);

// What RawCall() got: every answer's bytes, in order, and the call's final status.
struct RawCallResult {
  std::vector<std::string> answers;
  grpc::Status status;
};

// Calls `method` (e.g. "/dcp.DCPService/Process"; a unary method takes one request) with
// requests given as bytes, which a typed stub cannot send (bytes that are not protobuf, a
// batch built on the wire): sends each as one gRPC message until a write fails (the server
// ended the call), half-closes, then reads every answer until the call ends. Blocking.
RawCallResult RawCall(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                      const std::vector<std::string>& requests);

// A fresh temporary directory under $TMPDIR (or /tmp), removed by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Writes cert.pem and key.pem (self-signed, CN=localhost, SAN DNS:localhost and
// IP:127.0.0.1) into `dir` with the openssl command. Returns the cert's PEM text.
absl::StatusOr<std::string> MakeSelfSignedCert(const std::string& dir);

// Forwards TCP connections from a loopback port to 127.0.0.1:`target_port`. CutAfter(n)
// arms a fault: once n more bytes went client->server, every open connection is closed
// abruptly (new connections are forwarded normally). Thread-safe.
class TcpProxy {
 public:
  static absl::StatusOr<std::unique_ptr<TcpProxy>> Start(int target_port);
  ~TcpProxy();
  int port() const { return port_; }
  void CutAfter(int64_t bytes);
  // How many times connections were cut.
  int cuts() const { return cuts_.load(); }

 private:
  TcpProxy() = default;
  void AcceptLoop();
  void Pump(int from, int to, bool upstream);
  void CutAll();

  int listen_fd_ = -1;
  int port_ = 0;
  int target_port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int64_t> cut_budget_{-1};  // -1: no fault armed
  std::atomic<int> cuts_{0};
  std::thread acceptor_;
  absl::Mutex mu_;
  std::vector<int> fds_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> pumps_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dcp::collector::testing

#endif  // DCP_COLLECTOR_GRPC_TEST_UTIL_H_
