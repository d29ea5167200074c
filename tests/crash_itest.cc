// A worker killed in the middle of a commit, at a known step. The worker
// runs with a test-only fault point (fcgi-app/fault.h): armed by a file,
// the committing thread announces "paused after <step>" in fcgi-error.log
// and sleeps; the test checks that the editor has no answer yet (the commit
// is in progress), SIGKILLs that worker, and checks what multiwatch's
// restarted worker recovers:
//   revision-file, article-file   not acknowledged: the previous revision
//                                 stays current, its files and history as
//                                 they were, the next edit gets the next id
//   history-record                past the commit point: the new revision
//                                 is current (the editor just never heard);
//                                 served even before the kill, though never
//                                 announced (the workers' periodic recheck)
// Then a cold restart of the whole stack on the same data dir serves the
// same.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "fault.h"
#include "http_client.h"
#include "itest_util.h"
#include "stack.h"
#include "test_util.h"

namespace wiki {
namespace {

using testing::Exists;
using testing::GetRaw;
using testing::HistoryIds;
using testing::Put;
using testing::Raw;
using testing::Slurp;
using testing::Spit;
using testing::TempDir;
using testing::TempFiles;
using testing::ToId;

constexpr char kArticleFile[] = "Latest_plane_crash.html";

// Waits (at most 30 s) for the fault point's announcement; its pid, or 0.
pid_t AwaitPause(Stack* stack, const std::string& step) {
  const std::string want = "paused after " + step;
  for (int i = 0; i < 1500; ++i) {
    const std::string log = Slurp(stack->run_dir() + "/fcgi-error.log");
    size_t at = log.find(want);
    if (at != std::string::npos) {
      size_t line = log.rfind("wiki-fault: pid ", at);
      if (line != std::string::npos)
        return static_cast<pid_t>(std::atoi(log.c_str() + line + 16));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return 0;
}

std::vector<uint64_t> Descending(uint64_t newest) {
  std::vector<uint64_t> v;
  for (uint64_t i = newest; i >= 1; --i) v.push_back(i);
  return v;
}

void CheckServes(Stack* stack, uint64_t rev, const std::string& body) {
  HttpClient client;
  // The edit was never acknowledged, so the front cache may show the
  // previous revision until a worker publishes the current one (at its
  // start, or the backstop within 0.5 s).
  Raw cur = GetRaw(client, stack->ArticleUrl());
  for (int i = 0; i < 100 && cur.rev != rev; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    cur = GetRaw(client, stack->ArticleUrl());
  }
  CHECK(cur.status == 200);
  CHECK(cur.rev == rev);
  CHECK(cur.body == body);
  CHECK(HistoryIds(client, stack->ArticleUrl()) == Descending(rev));
  CHECK(Slurp(stack->data_dir() + "/" + kArticleFile) == body);
  CHECK(Exists(stack->data_dir() + "/revisions/" + std::to_string(rev) +
               ".html"));
  CHECK_FALSE(Exists(stack->data_dir() + "/revisions/" +
                     std::to_string(rev + 1) + ".html"));
  CHECK(TempFiles(stack->data_dir()).empty());
  CHECK(TempFiles(stack->data_dir() + "/revisions").empty());
}

void CrashAt(const std::string& step, bool committed) {
  CAPTURE(step);
  TempDir data("wiki-itest-crash");
  REQUIRE(::chmod(data.path().c_str(), 0755) == 0);  // nginx sends files
  TempDir arm_dir("wiki-itest-arm");
  const std::string arm = arm_dir / "arm";
  Stack::Options o;
  o.workers = 1;  // the restarted worker is the one that recovers
  o.data_dir = data.path();
  o.wiki_set = "server.shed_after_ms=0 massage.fib_n=20";
  o.env["WIKI_FAULT"] = "pause-after:" + step + ":" + arm;
  auto stack = Stack::Start(o);
  REQUIRE(stack != nullptr);
  const std::string url = stack->ArticleUrl();
  HttpClient client;
  Raw before = GetRaw(client, url);
  REQUIRE(before.status == 200);

  Spit(arm, "");
  const std::string body = "<p>Written at the moment of the crash.</p>\n";
  std::atomic<bool> answered{false};
  long put_status = 0;
  std::string put_shed;
  std::thread editor([&] {
    HttpClient c;
    auto r = Put(c, url, body, before.etag);
    if (r.ok()) {
      put_status = r->status;
      put_shed = r->Header("x-wiki-shed");
    }
    answered = true;
  });
  const pid_t paused = AwaitPause(stack.get(), step);
  CHECK_FALSE(Exists(arm));      // the fault point took it
  CHECK_FALSE(answered.load());  // the commit is in progress, unacknowledged
  if (committed && paused > 0) {
    // Past the commit point, never announced (the shared generation is
    // bumped after this step): the worker's periodic recheck finds the
    // revision, and the app and the front cache serve it while the
    // committing thread is still stopped.
    std::vector<uint64_t> ids;
    Raw seen;
    for (int i = 0; i < 300; ++i) {
      ids = HistoryIds(client, url);
      seen = GetRaw(client, url);
      if (!ids.empty() && ids.front() == before.rev + 1 &&
          seen.rev == before.rev + 1) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    CHECK(ids == Descending(before.rev + 1));
    CHECK(seen.rev == before.rev + 1);
    CHECK(seen.body == body);
    CHECK_FALSE(answered.load());
  }
  if (paused > 0) {
    stack->ExpectWorkerDeaths(1);
    stack->ExpectUpstreamErrors(1);
    CHECK(::kill(paused, SIGKILL) == 0);
  }
  editor.join();
  REQUIRE(paused > 0);
  CHECK(put_status != 200);  // never acknowledged: nginx's 503
  CHECK(put_shed.empty());

  std::set<pid_t> now;
  for (int i = 0; i < 500; ++i) {
    now = testing::AsSet(stack->WorkerPids());
    if (now.size() == 1 && now.count(paused) == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  REQUIRE(now.size() == 1);
  REQUIRE(now.count(paused) == 0);

  const uint64_t rev = committed ? before.rev + 1 : before.rev;
  const std::string& current = committed ? body : before.body;
  CheckServes(stack.get(), rev, current);
  // Editing goes on with the next id.
  Raw cur = GetRaw(client, url);
  const std::string next = "<p>The edit after the crash.</p>\n";
  auto put = Put(client, url, next, cur.etag);
  REQUIRE(put.ok());
  CHECK(put->status == 200);
  CHECK(ToId(put->Header("x-revision")) == rev + 1);
  CHECK(stack->Stop());

  // Cold start on the same data dir: the same state.
  o.env.clear();
  auto again = Stack::Start(o);
  REQUIRE(again != nullptr);
  CheckServes(again.get(), rev + 1, next);
  CHECK(GetRaw(client, again->ArticleUrl(), rev).body == current);
  CHECK(again->Stop());
}

TEST_CASE("crash: a worker killed after writing the revision file") {
  CrashAt(kFaultRevisionFile, false);
}

TEST_CASE("crash: a worker killed after renaming the article file") {
  CrashAt(kFaultArticleFile, false);
}

TEST_CASE("crash: a worker killed after the commit point") {
  CrashAt(kFaultHistoryRecord, true);
}

}  // namespace
}  // namespace wiki
