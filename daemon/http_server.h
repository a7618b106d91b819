// A small HTTP server for the daemon's endpoints (cpp-httplib): the status page at /,
// /metrics, /status, /livez, /readyz and /healthz (an alias of /readyz).
//
// Slow or idle clients cannot starve the probes: a request must arrive within
// kReadTimeout, an answer leave within kWriteTimeout, and kWorkers threads serve connections
// (an idle keep-alive connection is closed after kReadTimeout too).
//
// Thread-safe: handlers run on the server's worker threads and must be thread-safe.
#ifndef DCP_DAEMON_HTTP_SERVER_H_
#define DCP_DAEMON_HTTP_SERVER_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace httplib {
class Server;
}

namespace dcp::daemon {

class HttpServer {
 public:
  struct Handlers {
    std::function<std::string()> metrics;  // Prometheus text
    std::function<std::string()> status;   // JSON
    std::function<std::string()> page;     // HTML, at "/"
    // (ok, reason): 200 "ok" or 503 with the reason.
    std::function<std::pair<bool, std::string>()> live;
    std::function<std::pair<bool, std::string>()> ready;
  };

  static constexpr int kWorkers = 64;
  static constexpr absl::Duration kReadTimeout = absl::Seconds(2);
  static constexpr absl::Duration kWriteTimeout = absl::Seconds(5);
  static constexpr size_t kMaxRequestBytes = 64 << 10;

  // Binds `listen` ("host:port"; port 0 picks a free one) and serves until Stop().
  // kInvalidArgument for a malformed address, kUnavailable when it cannot be bound.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(const std::string& listen,
                                                           Handlers handlers);
  ~HttpServer();  // Stop()s
  void Stop();    // idempotent

  int port() const { return port_; }
  std::string address() const { return host_ + ":" + std::to_string(port_); }

 private:
  HttpServer() = default;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::string host_;
  int port_ = 0;
};

}  // namespace dcp::daemon

#endif  // DCP_DAEMON_HTTP_SERVER_H_
