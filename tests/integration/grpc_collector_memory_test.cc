// The gRPC collector's memory against one abusive client (the "Hardening" issue): a Process
// stream of 4 MiB ids that does not read its answers, a ProcessBatch request of 5·10^6 empty
// messages, and the costliest batch and message the default limits let through. Each test
// runs the collector as a process of its own (tests/integration/grpc_collector_server_main.cc,
// default options) and reads its peak resident set (VmHWM in /proc/PID/status), which must
// stay under 512 MiB (docs/protocol.md, "Limits"). The client holds no more than its requests
// and the answers.
//
// DCP_GRPC_COLLECTOR_SERVER=path runs the tests against another build of that server (e.g.
// one without the limits, to see them fail).
#include <fcntl.h>
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "collector/grpc_test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/dcp.grpc.pb.h"

namespace dcp::collector {
namespace {

constexpr uint64_t kMiB = 1 << 20;
constexpr uint64_t kMaxPeakRss = 512 * kMiB;

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kAsan = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kAsan = true;
#else
constexpr bool kAsan = false;
#endif
#else
constexpr bool kAsan = false;
#endif

// The peak resident set of process `pid` (VmHWM), in bytes.
absl::StatusOr<uint64_t> PeakRss(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    uint64_t kb = 0;
    if (std::sscanf(line.c_str(), "VmHWM: %" SCNu64 " kB", &kb) == 1) return kb * 1024;
  }
  return absl::NotFoundError(absl::StrCat("no VmHWM for process ", pid));
}

// A grpc_collector_server child with the tag "src": it serves until its stdin closes.
class CollectorProcess {
 public:
  static absl::StatusOr<std::unique_ptr<CollectorProcess>> Start() {
    const char* env = std::getenv("DCP_GRPC_COLLECTOR_SERVER");
    const std::string path = env != nullptr ? env : DCP_GRPC_COLLECTOR_SERVER;
    int in[2], out[2];
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) {
      return absl::InternalError("pipe failed");
    }
    // Prepared before fork(): the child may only make async-signal-safe calls.
    const char* argv[] = {path.c_str(), "--tags", "src", nullptr};
    // A server built with ASan keeps freed memory in a quarantine (256 MiB by default), which
    // would count as the collector's: keep it small (other builds ignore the variable).
    std::vector<std::string> env_strings;
    std::string asan = "ASAN_OPTIONS=quarantine_size_mb=16";
    for (char** e = environ; *e != nullptr; ++e) {
      if (absl::StartsWith(*e, "ASAN_OPTIONS=")) {
        asan = absl::StrCat(*e, ":quarantine_size_mb=16");
      } else {
        env_strings.push_back(*e);
      }
    }
    env_strings.push_back(asan);
    std::vector<char*> envp;
    for (std::string& e : env_strings) envp.push_back(e.data());
    envp.push_back(nullptr);
    const pid_t parent = getpid();
    const pid_t pid = fork();
    if (pid < 0) return absl::InternalError("fork failed");
    if (pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);  // dies with the test, whatever happens to it
      if (getppid() != parent) _exit(1);
      dup2(in[0], 0);
      dup2(out[1], 1);
      execve(argv[0], const_cast<char* const*>(argv), envp.data());
      _exit(127);
    }
    close(in[0]);
    close(out[1]);
    std::unique_ptr<CollectorProcess> p(new CollectorProcess(pid, in[1], fdopen(out[0], "r")));
    char line[64] = {};
    if (p->stdout_ == nullptr || std::fgets(line, sizeof line, p->stdout_) == nullptr ||
        std::sscanf(line, "port %d", &p->port_) != 1) {
      return absl::UnavailableError(absl::StrCat(path, " did not report its port"));
    }
    return p;
  }

  ~CollectorProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (stdin_ >= 0) close(stdin_);
    if (stdout_ != nullptr) std::fclose(stdout_);
  }

  int port() const { return port_; }
  absl::StatusOr<uint64_t> PeakRss() const { return dcp::collector::PeakRss(pid_); }

  // Closes its stdin, so it stops; returns its exit status (0: stopped cleanly).
  int Stop() {
    close(stdin_);
    stdin_ = -1;
    char buf[4096];
    while (std::fread(buf, 1, sizeof buf, stdout_) > 0) {
    }
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

 private:
  CollectorProcess(pid_t pid, int in, FILE* out) : pid_(pid), stdin_(in), stdout_(out) {}

  pid_t pid_;
  int stdin_;
  FILE* stdout_;
  int port_ = 0;
};

std::shared_ptr<grpc::Channel> ChannelTo(const CollectorProcess& collector) {
  return grpc::CreateChannel(absl::StrCat("127.0.0.1:", collector.port()),
                             grpc::InsecureChannelCredentials());
}

void ExpectPeakUnderTheBound(const CollectorProcess& collector, const std::string& when) {
  absl::StatusOr<uint64_t> peak = collector.PeakRss();
  ASSERT_TRUE(peak.ok()) << peak.status();
  absl::StatusOr<uint64_t> own = dcp::collector::PeakRss(getpid());
  std::printf("%s: collector peak RSS %.1f MiB (bound %" PRIu64 " MiB), client peak RSS %.1f MiB\n",
              when.c_str(), static_cast<double>(*peak) / kMiB, kMaxPeakRss / kMiB,
              own.ok() ? static_cast<double>(*own) / kMiB : 0.0);
  EXPECT_LT(*peak, kMaxPeakRss) << when;
}

// The first case: every message carries a 4 MiB id and the client reads no answer
// until it has sent them all. Before the fix every answer echoed the whole id and up to
// 4,096 answers were held unsent: 256 messages made the collector hold 1 GiB.
TEST(GrpcCollectorMemory, ProcessStreamOfHugeIdsThatDoesNotReadItsAnswers) {
  auto collector = CollectorProcess::Start();
  ASSERT_TRUE(collector.ok()) << collector.status();
  auto stub = DCPService::NewStub(ChannelTo(**collector));
  const std::string huge_id(4 * kMiB, 'i');
  Message unknown_tag;  // answered CODE_UNKNOWN_TAG
  unknown_tag.set_id(huge_id);
  unknown_tag.set_tag("nope");
  unknown_tag.set_barrier(1);
  Message too_large = unknown_tag;  // answered CODE_TOO_LARGE (over 1 MiB)
  too_large.set_tag("src");
  constexpr int kMessages = 256;
  grpc::ClientContext ctx;
  auto stream = stub->Process(&ctx);
  for (int i = 0; i < kMessages; ++i) {
    ASSERT_TRUE(stream->Write(i % 2 == 0 ? unknown_tag : too_large)) << "message " << i;
  }
  ASSERT_TRUE(stream->WritesDone());
  ExpectPeakUnderTheBound(**collector, "all sent, no answer read");
  // Answers, in order, with the id cut to 256 bytes and marked.
  Response r;
  for (int i = 0; i < kMessages; ++i) {
    if (!stream->Read(&r)) {
      ADD_FAILURE() << "answer " << i << " missing";
      break;
    }
    EXPECT_EQ(r.code(), i % 2 == 0 ? CODE_UNKNOWN_TAG : CODE_TOO_LARGE) << r.msg();
    EXPECT_LE(r.id().size(), 256u);
    EXPECT_TRUE(absl::StartsWith(r.id(), "iiii")) << r.id();
    EXPECT_TRUE(absl::EndsWith(r.id(), "...[truncated from 4194304 bytes]")) << r.id();
  }
  while (stream->Read(&r)) ADD_FAILURE() << "an answer too many";
  grpc::Status status = stream->Finish();
  EXPECT_TRUE(status.ok()) << status.error_message();
  ExpectPeakUnderTheBound(**collector, "all answered");
  EXPECT_EQ((*collector)->Stop(), 0);
}

// The second case: one 10 MB request of 5·10^6 empty messages. Before the fix it was
// parsed (about 470 MB) and answered with 5·10^6 rejections; now it is refused on its bytes.
TEST(GrpcCollectorMemory, BatchOfFiveMillionEmptyMessages) {
  auto collector = CollectorProcess::Start();
  ASSERT_TRUE(collector.ok()) << collector.status();
  std::string batch;
  batch.reserve(10'000'000);
  for (int i = 0; i < 5'000'000; ++i) batch.append("\x12\x00", 2);  // messages: {}
  testing::RawCallResult r =
      testing::RawCall(ChannelTo(**collector), "/dcp.DCPService/ProcessBatch", {batch});
  EXPECT_EQ(r.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(r.status.error_message(),
              ::testing::HasSubstr("request 1 of the stream: more than 100000 messages in one "
                                   "MessageBatch (the limit)"));
  EXPECT_TRUE(r.answers.empty());
  ExpectPeakUnderTheBound(**collector, "batch refused");
  EXPECT_EQ((*collector)->Stop(), 0);
}

// Appends `value` as the length-delimited protobuf field `number`.
void AppendField(std::string* out, uint32_t number, const std::string& value) {
  for (uint64_t v : {uint64_t{number} << 3 | 2, uint64_t{value.size()}}) {
    for (; v >= 0x80; v >>= 7) out->push_back(static_cast<char>(v | 0x80));
    out->push_back(static_cast<char>(v));
  }
  out->append(value);
}

// An empty unknown field (number 9), 2 bytes on the wire; the collector keeps it.
const std::string kUnknownField("\x4a\x00", 2);

// The costliest ProcessBatch request the default limits let through: 100,000 messages (the
// most per batch), 1,000,000 fields (near the most per request), 62 MB (near the most per
// request), every message rejected with a 300-byte id and tag to echo (cut to 256). Built on
// the wire, so that the client holds the bytes only.
TEST(GrpcCollectorMemory, LargestBatchTheLimitsLetThrough) {
  if (kAsan) GTEST_SKIP() << "under ASan the allocator's overhead would count as the collector's";
  auto collector = CollectorProcess::Start();
  ASSERT_TRUE(collector.ok()) << collector.status();
  std::string message;
  AppendField(&message, Message::kIdFieldNumber, std::string(300, 'i'));
  AppendField(&message, Message::kTagFieldNumber, std::string(300, 't'));  // unknown tag
  message.append("\x18\x01", 2);                                           // barrier 1
  for (int f = 0; f < 6; ++f) message += kUnknownField;
  std::string batch;
  for (int i = 0; i < 100000; ++i) {
    AppendField(&batch, MessageBatch::kMessagesFieldNumber, message);
  }
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(-1);  // the answer lists 100,000 rejections: 54 MB
  auto channel = grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", (*collector)->port()),
                                           grpc::InsecureChannelCredentials(), args);
  testing::RawCallResult r = testing::RawCall(channel, "/dcp.DCPService/ProcessBatch", {batch});
  EXPECT_TRUE(r.status.ok()) << r.status.error_message();
  ASSERT_EQ(r.answers.size(), 1u);
  BatchResponse answer;
  ASSERT_TRUE(answer.ParseFromString(r.answers[0]));
  EXPECT_EQ(answer.rejections_size(), 100000);
  EXPECT_EQ(answer.rejections(99999).code(), CODE_UNKNOWN_TAG);
  ExpectPeakUnderTheBound(**collector, "largest batch answered");
  EXPECT_EQ((*collector)->Stop(), 0);
}

// The costliest Process message the default limits let through: 62 MiB of id and 1,048,000
// empty unknown fields (near the most per request), answered CODE_TOO_LARGE.
TEST(GrpcCollectorMemory, LargestMessageTheLimitsLetThrough) {
  if (kAsan) GTEST_SKIP() << "under ASan the allocator's overhead would count as the collector's";
  auto collector = CollectorProcess::Start();
  ASSERT_TRUE(collector.ok()) << collector.status();
  std::string message;
  AppendField(&message, Message::kIdFieldNumber, std::string(62 * kMiB, 'i'));
  AppendField(&message, Message::kTagFieldNumber, "src");
  message.append("\x18\x01", 2);  // barrier 1
  for (int f = 0; f < 1048000; ++f) message += kUnknownField;
  testing::RawCallResult r =
      testing::RawCall(ChannelTo(**collector), "/dcp.DCPService/Process", {message});
  EXPECT_TRUE(r.status.ok()) << r.status.error_message();
  ASSERT_EQ(r.answers.size(), 1u);
  Response answer;
  ASSERT_TRUE(answer.ParseFromString(r.answers[0]));
  EXPECT_EQ(answer.code(), CODE_TOO_LARGE);
  ExpectPeakUnderTheBound(**collector, "largest message answered");
  EXPECT_EQ((*collector)->Stop(), 0);
}

}  // namespace
}  // namespace dcp::collector
