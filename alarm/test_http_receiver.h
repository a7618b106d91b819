// Test helper: a one-connection-at-a-time HTTP/1.1 receiver on 127.0.0.1 that records every
// request and answers as told, for the HTTP alarm sinks' tests. Header-only, test-only.
#ifndef DCP_ALARM_TEST_HTTP_RECEIVER_H_
#define DCP_ALARM_TEST_HTTP_RECEIVER_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace dcp::alarm::testing {

struct Request {
  std::string target;                          // "/hook", "/api/v2/alerts", ...
  std::map<std::string, std::string> headers;  // lowercase names
  std::string body;
};

// A one-connection-at-a-time HTTP/1.1 receiver. Mode decides the answer.
class Receiver {
 public:
  // kOk: 200; kFail503: a retryable failure; kRefuse413: a permanent refusal; kHang: never
  // answers (the client's timeout must fire); kBadRequest400: a malformed request (a
  // permanent refusal); kThrottle429: too many requests (retryable).
  enum class Mode { kOk, kFail503, kRefuse413, kHang, kBadRequest400, kThrottle429 };

  // Listens on `port` (0: any free port).
  explicit Receiver(uint16_t port = 0) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    ok_ = bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 && listen(fd_, 16) == 0;
    socklen_t len = sizeof(addr);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~Receiver() {
    stop_ = true;
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    thread_.join();
  }
  bool ok() const { return ok_; }
  uint16_t port() const { return port_; }
  std::string url() const { return absl::StrCat("http://127.0.0.1:", port_, "/hook"); }
  // Answers `refusal` (413 by default) to every request whose body contains `marker` (empty:
  // none), whatever the mode.
  void refuse_bodies_with(std::string marker, Mode refusal = Mode::kRefuse413) {
    absl::MutexLock lock(&mu_);
    refuse_marker_ = std::move(marker);
    refusal_ = refusal;
  }
  void set_mode(Mode m) {
    absl::MutexLock lock(&mu_);
    mode_ = m;
  }
  std::vector<Request> requests() {
    absl::MutexLock lock(&mu_);
    return requests_;
  }
  // Requests answered 2xx.
  std::vector<Request> accepted() {
    absl::MutexLock lock(&mu_);
    return accepted_;
  }
  bool WaitForRequests(size_t n, absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    auto enough = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return requests_.size() >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&enough), timeout);
  }

 private:
  void Serve() {
    while (!stop_) {
      int c = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) return;
      Handle(c);
      close(c);
    }
  }
  void Handle(int c) {
    std::string data;
    char buf[4096];
    size_t header_end;
    while ((header_end = data.find("\r\n\r\n")) == std::string::npos) {
      ssize_t n = read(c, buf, sizeof(buf));
      if (n <= 0) return;
      data.append(buf, n);
    }
    Request r;
    std::vector<std::string> lines = absl::StrSplit(data.substr(0, header_end), "\r\n");
    std::vector<std::string> request_line = absl::StrSplit(lines[0], ' ');
    if (request_line.size() > 1) r.target = request_line[1];
    size_t length = 0;
    for (size_t i = 1; i < lines.size(); ++i) {
      size_t colon = lines[i].find(':');
      if (colon == std::string::npos) continue;
      std::string name = absl::AsciiStrToLower(lines[i].substr(0, colon));
      std::string value(absl::StripAsciiWhitespace(lines[i].substr(colon + 1)));
      r.headers[name] = value;
      if (name == "content-length") (void)absl::SimpleAtoi(value, &length);
    }
    r.body = data.substr(header_end + 4);
    while (r.body.size() < length) {
      ssize_t n = read(c, buf, sizeof(buf));
      if (n <= 0) return;
      r.body.append(buf, n);
    }
    Mode mode;
    {
      absl::MutexLock lock(&mu_);
      mode = mode_;
      if (!refuse_marker_.empty() && r.body.find(refuse_marker_) != std::string::npos) {
        mode = refusal_;
      }
      requests_.push_back(r);
    }
    if (mode == Mode::kHang) {
      // Never answer; the client's request timeout must fire.
      while (!stop_ && read(c, buf, sizeof(buf)) > 0) {
      }
      return;
    }
    const char* status = mode == Mode::kOk              ? "200 OK"
                         : mode == Mode::kRefuse413     ? "413 Too Large"
                         : mode == Mode::kBadRequest400 ? "400 Bad Request"
                         : mode == Mode::kThrottle429   ? "429 Too Many Requests"
                                                        : "503 Busy";
    const std::string answer =
        mode == Mode::kOk ? "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
                          : absl::StrCat("HTTP/1.1 ", status,
                                         "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    if (mode == Mode::kOk) {
      absl::MutexLock lock(&mu_);
      accepted_.push_back(r);
    }
    (void)!write(c, answer.data(), answer.size());
  }

  int fd_ = -1;
  bool ok_ = false;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  absl::Mutex mu_;
  Mode mode_ ABSL_GUARDED_BY(mu_) = Mode::kOk;
  std::string refuse_marker_ ABSL_GUARDED_BY(mu_);
  Mode refusal_ ABSL_GUARDED_BY(mu_) = Mode::kRefuse413;
  std::vector<Request> requests_ ABSL_GUARDED_BY(mu_);
  std::vector<Request> accepted_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dcp::alarm::testing

#endif  // DCP_ALARM_TEST_HTTP_RECEIVER_H_
