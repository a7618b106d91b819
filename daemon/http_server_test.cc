#include "daemon/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dcp::daemon {
namespace {

int Connect(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// GET `path`; returns the status line ("" on failure).
std::string Get(int port, const std::string& path) {
  const int fd = Connect(port);
  if (fd < 0) return "";
  const std::string req =
      absl::StrCat("GET ", path, " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  std::string answer;
  if (write(fd, req.data(), req.size()) == static_cast<ssize_t>(req.size())) {
    char buf[4096];
    ssize_t n;
    while ((n = read(fd, buf, sizeof(buf))) > 0) answer.append(buf, n);
  }
  close(fd);
  return answer.substr(0, answer.find("\r\n"));
}

HttpServer::Handlers Handlers() {
  HttpServer::Handlers h;
  h.metrics = [] { return std::string("dcp_up 1\n"); };
  h.status = [] { return std::string("{}"); };
  h.page = [] { return std::string("<!doctype html><title>dcp</title>"); };
  h.live = [] { return std::make_pair(true, std::string()); };
  h.ready = [] { return std::make_pair(false, std::string("target 'dst' in timeout")); };
  return h;
}

TEST(HttpServer, LivenessAndReadinessAreSeparate) {
  auto server = HttpServer::Start("127.0.0.1:0", Handlers());
  ASSERT_TRUE(server.ok()) << server.status();
  const int port = (*server)->port();
  EXPECT_EQ(Get(port, "/livez"), "HTTP/1.1 200 OK");
  EXPECT_THAT(Get(port, "/readyz"), ::testing::HasSubstr("503"));
  EXPECT_THAT(Get(port, "/healthz"), ::testing::HasSubstr("503"));  // an alias of /readyz
  EXPECT_EQ(Get(port, "/metrics"), "HTTP/1.1 200 OK");
  EXPECT_EQ(Get(port, "/"), "HTTP/1.1 200 OK");
}

// Clients that open a connection and never finish their request hold a worker each until the
// read timeout: 50 of them must not delay a probe.
TEST(HttpServer, SlowClientsDoNotStarveTheProbes) {
  auto server = HttpServer::Start("127.0.0.1:0", Handlers());
  ASSERT_TRUE(server.ok()) << server.status();
  const int port = (*server)->port();
  std::vector<int> slow;
  for (int i = 0; i < 50; ++i) {
    const int fd = Connect(port);
    ASSERT_GE(fd, 0);
    const std::string partial = "GET /status HTTP/1.1\r\nHost: x\r\n";  // no blank line
    ASSERT_EQ(write(fd, partial.data(), partial.size()), static_cast<ssize_t>(partial.size()));
    slow.push_back(fd);
  }
  // A starved probe would wait for a slow client's read timeout to free a worker, so it
  // would take at least kReadTimeout; anything shorter proves it was served beside them
  // (the bound is causal, not a speed expectation: a loaded CI machine may take ~1 s).
  for (int i = 0; i < 5; ++i) {
    const absl::Time start = absl::Now();
    EXPECT_EQ(Get(port, "/livez"), "HTTP/1.1 200 OK");
    EXPECT_LT(absl::Now() - start, HttpServer::kReadTimeout);
  }
  for (int fd : slow) close(fd);
}

}  // namespace
}  // namespace dcp::daemon
