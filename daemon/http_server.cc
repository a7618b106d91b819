#include "daemon/http_server.h"

#include <httplib.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace dcp::daemon {

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(const std::string& listen,
                                                              Handlers handlers) {
  const size_t colon = listen.rfind(':');
  int port = -1;
  if (colon == std::string::npos || colon == 0 ||
      !absl::SimpleAtoi(listen.substr(colon + 1), &port) || port < 0 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("http.listen '", listen, "': expected HOST:PORT"));
  }
  std::string host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  auto s = std::unique_ptr<HttpServer>(new HttpServer());
  s->server_ = std::make_unique<httplib::Server>();
  s->host_ = host;
  s->server_->Get("/metrics",
                  [h = handlers.metrics](const httplib::Request&, httplib::Response& res) {
                    res.set_content(h(), "text/plain; version=0.0.4; charset=utf-8");
                  });
  s->server_->Get("/status",
                  [h = handlers.status](const httplib::Request&, httplib::Response& res) {
                    res.set_content(h(), "application/json");
                  });
  auto probe = [](std::function<std::pair<bool, std::string>()> h) {
    return [h = std::move(h)](const httplib::Request&, httplib::Response& res) {
      auto [ok, reason] = h();
      res.status = ok ? 200 : 503;
      res.set_content(ok ? std::string("ok\n") : reason + "\n", "text/plain");
    };
  };
  s->server_->Get("/livez", probe(handlers.live));
  s->server_->Get("/readyz", probe(handlers.ready));
  s->server_->Get("/healthz", probe(handlers.ready));
  s->server_->Get("/", [h = handlers.page](const httplib::Request&, httplib::Response& res) {
    res.set_content(h(), "text/html; charset=utf-8");
  });
  auto seconds = [](absl::Duration d) { return static_cast<time_t>(absl::ToInt64Seconds(d)); };
  s->server_->set_read_timeout(seconds(kReadTimeout));
  s->server_->set_write_timeout(seconds(kWriteTimeout));
  s->server_->set_keep_alive_timeout(seconds(kReadTimeout));
  s->server_->set_payload_max_length(kMaxRequestBytes);
  s->server_->new_task_queue = [] { return new httplib::ThreadPool(kWorkers); };
  if (port == 0) {
    port = s->server_->bind_to_any_port(host);
    if (port < 0) {
      return absl::UnavailableError(absl::StrCat("http.listen '", listen, "': cannot bind"));
    }
  } else if (!s->server_->bind_to_port(host, port)) {
    return absl::UnavailableError(
        absl::StrCat("http.listen '", listen, "': cannot bind (address in use?)"));
  }
  s->port_ = port;
  httplib::Server* server = s->server_.get();
  s->thread_ = std::thread([server] { server->listen_after_bind(); });
  return s;
}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace dcp::daemon
