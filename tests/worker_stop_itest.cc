// Integration tests of stopping single workers gracefully (SIGTERM, as an
// operator, a rollout, systemd or a memory limit would) under a read flood
// against the real stack: no read may fail, the supervisor replaces the
// worker, and the rest of the stack never notices.
#include <doctest/doctest.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "http_client.h"
#include "itest_util.h"
#include "stack.h"

namespace wiki {
namespace {

using Clock = std::chrono::steady_clock;
using testing::ReadFlood;

// Waits (at most 10 s) until `old` is gone and the stack again runs
// `workers` workers; returns the new list (empty on timeout).
std::vector<pid_t> AwaitReplacement(const Stack& stack, pid_t old,
                                    size_t workers) {
  auto deadline = Clock::now() + std::chrono::seconds(10);
  while (Clock::now() < deadline) {
    auto pids = stack.WorkerPids();
    bool gone = ::kill(old, 0) != 0;
    if (gone && pids.size() == workers) return pids;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return {};
}

// True if the stack's workers are still exactly `pids` after `ms` of the
// flood: a replacement that cannot serve (say, on a dead socket) exits at
// once and is replaced again, so its pid would not last.
bool StableFor(const Stack& stack, const std::vector<pid_t>& pids, int ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  return stack.WorkerPids() == pids;
}

// True once the flood has more than `ok_before` good reads, waiting at most
// 10 s: reads must go on after a stop, but on a loaded machine the readers
// may not have been scheduled in the instant the check runs.
bool ReadsProgress(ReadFlood& flood, int ok_before) {
  auto deadline = Clock::now() + std::chrono::seconds(10);
  while (Clock::now() < deadline) {
    if (flood.Count(200) > ok_before) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

// Shedding off: under this flood any non-200 is a failure, not overload.
Stack::Options FloodOptions() {
  Stack::Options o;
  o.workers = 2;
  o.wiki_set = "server.shed_after_ms=0";
  return o;
}

TEST_CASE(
    "SIGTERM to one worker under a read flood: 0 failed reads, replaced") {
  auto stack = Stack::Start(FloodOptions());
  REQUIRE(stack);
  auto before = stack->WorkerPids();
  REQUIRE(before.size() == 2);

  stack->ExpectWorkerDeaths(1);  // multiwatch logs every exit as a death
  // A kept connection the stopping worker closes as nginx reuses it: nginx
  // passes that read to the other worker (none may fail: checked below).
  stack->ExpectReadRetries();
  ReadFlood flood(stack->ArticleUrl(), 6);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const int ok_before_stop = flood.Count(200);
  REQUIRE(::kill(before[0], SIGTERM) == 0);
  auto after = AwaitReplacement(*stack, before[0], 2);
  REQUIRE(after.size() == 2);
  // The other worker is untouched, and a new one took the stopped one's
  // place.
  CHECK(std::count(after.begin(), after.end(), before[1]) == 1);
  CHECK(std::count(after.begin(), after.end(), before[0]) == 0);
  // Reads went on while the worker stopped and after; the new worker stays.
  CHECK(StableFor(*stack, after, 700));
  CHECK(ReadsProgress(flood, ok_before_stop));
  flood.Stop();
  CHECK_MESSAGE(flood.Failed() == 0, flood.FirstFailure());

  // The stack keeps serving: the launcher is still up.
  CHECK(::kill(stack->pid(), 0) == 0);
  HttpClient client;
  auto r = client.Get(stack->ArticleUrl() + "?action=raw");
  REQUIRE(r.ok());
  CHECK(r->status == 200);
  CHECK(stack->Stop());
}

TEST_CASE("SIGTERM to each worker in turn, twice over: 0 failed reads") {
  auto stack = Stack::Start(FloodOptions());
  REQUIRE(stack);
  auto pids = stack->WorkerPids();
  REQUIRE(pids.size() == 2);

  stack->ExpectWorkerDeaths(4);
  stack->ExpectReadRetries();  // as above
  ReadFlood flood(stack->ArticleUrl(), 6);
  std::vector<pid_t> stopped;
  // Four stops in quick succession: also more than multiwatch's default
  // retry budget (3 quick deaths) for one slot.
  for (int round = 0; round < 4; ++round) {
    pid_t victim = pids[round % pids.size()];
    const int ok_before = flood.Count(200);
    REQUIRE(::kill(victim, SIGTERM) == 0);
    stopped.push_back(victim);
    pids = AwaitReplacement(*stack, victim, 2);
    REQUIRE_MESSAGE(pids.size() == 2, "round " << round);
    CHECK_MESSAGE(StableFor(*stack, pids, 300), "round " << round);
    CHECK_MESSAGE(ReadsProgress(flood, ok_before), "round " << round);
  }
  flood.Stop();
  CHECK_MESSAGE(flood.Failed() == 0, flood.FirstFailure());
  for (pid_t p : stopped) {
    CHECK(std::count(pids.begin(), pids.end(), p) == 0);
  }
  CHECK(::kill(stack->pid(), 0) == 0);
  CHECK(stack->Stop());
}

}  // namespace
}  // namespace wiki
