// A gRPC collector for tests driven from other languages. Listens (port 0 by default), prints
// "port N", serves until stdin reaches EOF, then stops, drains its queue and prints every
// received message, one per line: "TAG barrier OFFSET ID" or "TAG payload KEY ID".
//
//   grpc_collector_server --tags src,dst [--listen 127.0.0.1:0] [--token-env VAR]
//                         [--tls-cert F --tls-key F]
// The token is read from the environment variable VAR, so it never appears in argv.
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_split.h"
#include "collector/grpc_collector.h"
#include "collector/message_queue.h"

int main(int argc, char** argv) {
  dcp::collector::GrpcCollectorOptions options;
  std::string cert, key;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--tags") {
      options.tags = absl::StrSplit(value, ',', absl::SkipEmpty());
    } else if (flag == "--listen") {
      options.listen_address = value;
    } else if (flag == "--token-env") {
      const char* token = std::getenv(value.c_str());
      if (token == nullptr) {
        std::cerr << "environment variable " << value << " is not set\n";
        return 2;
      }
      options.token = token;
    } else if (flag == "--tls-cert") {
      cert = value;
    } else if (flag == "--tls-key") {
      key = value;
    } else {
      std::cerr << "unknown flag " << flag << "\n";
      return 2;
    }
  }
  if (!cert.empty()) options.tls = dcp::collector::TlsServerFiles{cert, key};
  dcp::collector::BoundedMessageQueue queue(10000);
  auto server = dcp::collector::GrpcCollector::Start(options, &queue);
  if (!server.ok()) {
    std::cerr << server.status() << "\n";
    return 1;
  }
  std::cout << "port " << (*server)->port() << std::endl;
  std::vector<dcp::checker::Change> received;
  std::thread consumer([&] {
    while (auto m = queue.Pop()) received.push_back(std::move(*m));
  });
  std::string line;
  while (std::getline(std::cin, line)) {
  }
  (*server)->Stop();
  queue.Close();
  consumer.join();
  for (const dcp::checker::Change& c : received) {
    if (const auto* row = std::get_if<dcp::checker::RowChange>(&c.body)) {
      std::cout << c.tag << " payload " << row->key << " " << row->origin << "\n";
    } else {
      const auto& b = std::get<dcp::checker::Barrier>(c.body);
      std::cout << c.tag << " barrier " << b.offset << " " << b.origin << "\n";
    }
  }
  return 0;
}
