#include "collector/grpc_test_util.h"

#include <arpa/inet.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/support/byte_buffer.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace dcp::collector::testing {

Message Barrier(const std::string& tag, uint64_t offset, uint64_t seq) {
  Message m;
  m.set_id(absl::StrCat("barrier-", offset));
  m.set_tag(tag);
  m.set_barrier(offset);
  m.set_seq(seq);
  return m;
}

Message Payload(const std::string& tag, const std::string& id, const std::string& key,
                const std::string& content, uint64_t seq) {
  Message m;
  m.set_id(id);
  m.set_tag(tag);
  m.mutable_payload()->set_id(key);
  m.mutable_payload()->set_content(content);
  m.set_seq(seq);
  m.set_timestamp(1700000000);
  return m;
}

RawCallResult RawCall(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                      const std::vector<std::string>& requests) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  grpc::CompletionQueue cq;
  // One operation is outstanding at a time, so its completion is the next event.
  const auto completed = [&cq] {
    void* tag;
    bool ok = false;
    return cq.Next(&tag, &ok) && ok;
  };
  std::unique_ptr<grpc::GenericClientAsyncReaderWriter> call =
      stub.PrepareCall(&context, method, &cq);
  call->StartCall(nullptr);
  bool ok = completed();
  for (size_t i = 0; ok && i < requests.size(); ++i) {
    grpc::Slice slice(requests[i]);
    call->Write(grpc::ByteBuffer(&slice, 1), nullptr);
    ok = completed();
  }
  if (ok) {
    call->WritesDone(nullptr);
    completed();
  }
  RawCallResult result;
  for (;;) {
    grpc::ByteBuffer answer;
    call->Read(&answer, nullptr);
    if (!completed()) break;
    std::vector<grpc::Slice> slices;
    if (!answer.Dump(&slices).ok()) break;
    std::string bytes;
    for (const grpc::Slice& s : slices) bytes.append(s.begin(), s.end());
    result.answers.push_back(std::move(bytes));
  }
  call->Finish(&result.status, nullptr);
  completed();
  cq.Shutdown();
  void* tag;
  bool drained;
  while (cq.Next(&tag, &drained)) {
  }
  return result;
}

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = absl::StrCat(base != nullptr ? base : "/tmp", "/dcp-grpc-test-XXXXXX");
  if (mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  if (!path_.empty()) std::filesystem::remove_all(path_, ec);
}

absl::StatusOr<std::string> MakeSelfSignedCert(const std::string& dir) {
  const std::string cmd = absl::StrCat(
      "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost"
      " -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout ",
      dir, "/key.pem -out ", dir, "/cert.pem >", dir, "/openssl.log 2>&1");
  if (std::system(cmd.c_str()) != 0) {
    return absl::InternalError(absl::StrCat("openssl failed: ", cmd));
  }
  std::ifstream in(dir + "/cert.pem");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

absl::StatusOr<std::unique_ptr<TcpProxy>> TcpProxy::Start(int target_port) {
  std::unique_ptr<TcpProxy> p(new TcpProxy());
  p->target_port_ = target_port;
  p->listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (p->listen_fd_ < 0 || bind(p->listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) ||
      listen(p->listen_fd_, 16)) {
    return absl::UnavailableError("proxy: cannot listen");
  }
  socklen_t len = sizeof addr;
  getsockname(p->listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  p->port_ = ntohs(addr.sin_port);
  p->acceptor_ = std::thread([raw = p.get()] { raw->AcceptLoop(); });
  return p;
}

TcpProxy::~TcpProxy() {
  stopping_ = true;
  shutdown(listen_fd_, SHUT_RDWR);
  acceptor_.join();
  close(listen_fd_);
  CutAll();
  std::vector<std::thread> pumps;
  {
    absl::MutexLock lock(&mu_);
    pumps.swap(pumps_);
  }
  for (std::thread& t : pumps) t.join();
  absl::MutexLock lock(&mu_);
  for (int fd : fds_) close(fd);
}

void TcpProxy::CutAfter(int64_t bytes) { cut_budget_ = bytes; }

void TcpProxy::CutAll() {
  absl::MutexLock lock(&mu_);
  for (int fd : fds_) shutdown(fd, SHUT_RDWR);
}

void TcpProxy::AcceptLoop() {
  while (!stopping_) {
    pollfd pfd{listen_fd_, POLLIN, 0};
    if (poll(&pfd, 1, 50) <= 0) continue;
    int client = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    int upstream = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(target_port_);
    if (connect(upstream, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      close(client);
      close(upstream);
      continue;
    }
    int one = 1;
    setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(upstream, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    absl::MutexLock lock(&mu_);
    fds_.push_back(client);
    fds_.push_back(upstream);
    pumps_.emplace_back([this, client, upstream] { Pump(client, upstream, true); });
    pumps_.emplace_back([this, client, upstream] { Pump(upstream, client, false); });
  }
}

void TcpProxy::Pump(int from, int to, bool upstream) {
  char buf[16384];
  while (true) {
    ssize_t n = read(from, buf, sizeof buf);
    if (n <= 0) break;
    if (upstream) {
      const int64_t budget = cut_budget_.load();
      if (budget >= 0) {
        if (n >= budget) {
          // Forward part of this chunk, then cut: the server sees a request end mid-way.
          if (budget > 0 && send(to, buf, budget, MSG_NOSIGNAL) < 0) break;
          cut_budget_ = -1;
          ++cuts_;
          CutAll();
          break;
        }
        cut_budget_ -= n;
      }
    }
    ssize_t off = 0;
    while (off < n) {
      ssize_t w = send(to, buf + off, n - off, MSG_NOSIGNAL);
      if (w <= 0) {
        off = -1;
        break;
      }
      off += w;
    }
    if (off < 0) break;
  }
  shutdown(from, SHUT_RDWR);
  shutdown(to, SHUT_RDWR);
}

}  // namespace dcp::collector::testing
