// In-process checker throughput and memory (issue: checker, barrier writer and alarms).
//
//   build/bin/checker_bench [--keys=1000000] [--per_window=1000] [--mode=state|sequence]
//
// 1. Throughput: 1 source + 1 target, every key changed once on each side, `per_window`
//    changes per window; the feeding thread's CPU time is measured around Checker::Add() only
//    (the Change values are built outside the timed section). Prints messages/s per core, and
//    the same for a reference: a naive checker that keeps each window as
//    flat_hash_map<string key, string checksum> and compares at the barrier (what a direct
//    port of gravity's buffers would do), as a machine-independent ratio.
// 2. Memory: the target is stopped, so every source change stays buffered; prints heap bytes
//    (bytes the allocator has handed out: tcmalloc's generic.current_allocated_bytes, or
//    glibc's mallinfo2 without tcmalloc) per buffered change, and the checker's own estimate.
#include <malloc.h>
#ifdef DCP_TCMALLOC
#include <gperftools/malloc_extension.h>
#endif
#include <time.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "alarm/alarm.h"
#include "checker/checker.h"
#include "util/clock.h"

namespace dcp::checker {

using alarm::MemorySink;
namespace {

double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

struct Config {
  uint64_t keys = 1'000'000;
  uint64_t per_window = 1000;
  Mode mode = Mode::kState;
};

// One window of changes for `tag`: keys [first, first + n).
void BuildWindow(const std::string& tag, uint64_t first, uint64_t n, uint64_t gtid_base,
                 std::vector<Change>& out) {
  out.clear();
  for (uint64_t k = first; k < first + n; ++k) {
    const uint64_t h = k * 0x9e3779b97f4a7c15ULL;
    out.push_back(Change::MakeRow(
        tag, absl::StrCat("sbtest.sbtest1:", k), absl::StrFormat("%016x%016x", h, ~h),
        absl::StrCat("3e11fa47-71ca-11e1-9e33-c80aa9429562:", gtid_base + k),
        1700000000 + k / 1000));
  }
}

// Messages/s of the checker; alarms must stay at zero (source and target agree).
double CheckerThroughput(const Config& c, size_t& alarms) {
  FakeClock clock;
  MemorySink sink;
  CheckerOptions o;
  o.source_tag = "src";
  o.target_tags = {"dst"};
  o.mode = c.mode;
  o.max_buffered_changes = 100'000'000;
  auto checker = std::move(*Checker::Create(o, &clock, &sink));
  std::vector<Change> src, dst;
  double cpu = 0;
  uint64_t messages = 0;
  auto add = [&](const Change& ch) {
    if (!checker->Add(ch).ok()) std::abort();
  };
  add(Change::MakeBarrier("src", 1));
  add(Change::MakeBarrier("dst", 1));
  uint64_t barrier = 1;
  for (uint64_t first = 0; first < c.keys; first += c.per_window) {
    const uint64_t n = std::min(c.per_window, c.keys - first);
    BuildWindow("src", first, n, 0, src);
    BuildWindow("dst", first, n, 0, dst);
    const Change src_barrier = Change::MakeBarrier("src", barrier + 1);
    const Change dst_barrier = Change::MakeBarrier("dst", barrier + 1);
    const double t0 = ThreadCpuSeconds();
    for (const Change& ch : src) add(ch);
    add(src_barrier);
    for (const Change& ch : dst) add(ch);
    add(dst_barrier);
    cpu += ThreadCpuSeconds() - t0;
    messages += 2 * n + 2;
    ++barrier;
  }
  alarms = sink.All().size();
  if (checker->Stats().targets[0].windows_compared != barrier - 1) std::abort();
  return messages / cpu;
}

// The reference: per window, flat_hash_map<string, string> per side, compared at the barrier.
double ReferenceThroughput(const Config& c) {
  std::vector<Change> src, dst;
  double cpu = 0;
  uint64_t messages = 0;
  uint64_t diffs = 0;
  for (uint64_t first = 0; first < c.keys; first += c.per_window) {
    const uint64_t n = std::min(c.per_window, c.keys - first);
    BuildWindow("src", first, n, 0, src);
    BuildWindow("dst", first, n, 0, dst);
    const double t0 = ThreadCpuSeconds();
    absl::flat_hash_map<std::string, std::string> a, b;
    for (const Change& ch : src) {
      const auto& r = std::get<RowChange>(ch.body);
      a[r.key] = r.checksum;
    }
    for (const Change& ch : dst) {
      const auto& r = std::get<RowChange>(ch.body);
      b[r.key] = r.checksum;
    }
    for (const auto& [k, v] : a) {
      auto it = b.find(k);
      diffs += it == b.end() || it->second != v;
    }
    cpu += ThreadCpuSeconds() - t0;
    messages += 2 * n + 2;
  }
  if (diffs != 0) std::abort();
  return messages / cpu;
}

// Bytes of heap the program holds (allocated, not yet freed).
size_t HeapAllocatedBytes() {
#ifdef DCP_TCMALLOC
  size_t bytes = 0;
  if (!MallocExtension::instance()->GetNumericProperty("generic.current_allocated_bytes", &bytes)) {
    std::abort();
  }
  return bytes;
#else
  return mallinfo2().uordblks;
#endif
}

void Memory(const Config& c) {
  FakeClock clock;
  MemorySink sink;
  CheckerOptions o;
  o.source_tag = "src";
  o.target_tags = {"dst"};
  o.mode = c.mode;
  o.max_buffered_changes = 100'000'000;
  auto checker = std::move(*Checker::Create(o, &clock, &sink));
  std::vector<Change> src;
  if (!checker->Add(Change::MakeBarrier("src", 1)).ok()) std::abort();
  if (!checker->Add(Change::MakeBarrier("dst", 1)).ok()) std::abort();
  malloc_trim(0);
  const size_t before = HeapAllocatedBytes();
  uint64_t barrier = 1;
  for (uint64_t first = 0; first < c.keys; first += c.per_window) {
    const uint64_t n = std::min(c.per_window, c.keys - first);
    BuildWindow("src", first, n, 0, src);
    for (const Change& ch : src) {
      if (!checker->Add(ch).ok()) std::abort();
    }
    if (!checker->Add(Change::MakeBarrier("src", ++barrier)).ok()) std::abort();
  }
  src.clear();
  src.shrink_to_fit();
  const size_t after = HeapAllocatedBytes();
  const auto stats = checker->Stats();
  const uint64_t buffered = stats.targets[0].buffered_changes;
  std::printf(
      "memory: %llu changes buffered (target stopped), heap %.1f bytes/change, "
      "checker estimate %.1f bytes/change\n",
      static_cast<unsigned long long>(buffered), static_cast<double>(after - before) / buffered,
      static_cast<double>(checker->MemoryBytes()) / buffered);
}

int Main(int argc, char** argv) {
  Config c;
  for (int i = 1; i < argc; ++i) {
    absl::string_view a = argv[i];
    if (absl::ConsumePrefix(&a, "--keys=")) {
      if (!absl::SimpleAtoi(a, &c.keys) || c.keys == 0) return 2;
    } else if (absl::ConsumePrefix(&a, "--per_window=")) {
      if (!absl::SimpleAtoi(a, &c.per_window) || c.per_window == 0) return 2;
    } else if (absl::ConsumePrefix(&a, "--mode=")) {
      auto m = ParseMode(a);
      if (!m.ok()) return 2;
      c.mode = *m;
    } else {
      std::fprintf(stderr, "usage: checker_bench [--keys=N] [--per_window=N] [--mode=M]\n");
      return 2;
    }
  }
  std::printf("checker_bench: mode %s, %llu keys, %llu changes per window, 1 source + 1 target\n",
              std::string(ModeName(c.mode)).c_str(), static_cast<unsigned long long>(c.keys),
              static_cast<unsigned long long>(c.per_window));
  size_t alarms = 0;
  const double ours = CheckerThroughput(c, alarms);
  const double ref = ReferenceThroughput(c);
  std::printf(
      "throughput: %.0f messages/s per core (reference naive map checker %.0f; "
      "ratio %.2f), %zu alarms\n",
      ours, ref, ours / ref, alarms);
  Memory(c);
  return alarms == 0 ? 0 : 1;
}

}  // namespace
}  // namespace dcp::checker

int main(int argc, char** argv) { return dcp::checker::Main(argc, argv); }
