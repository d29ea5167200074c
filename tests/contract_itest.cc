// Integration tests of HTTP contract rows (README "HTTP interface" and "Bad
// input") that had no test of their own: Cache-Control on reads, 400 for an
// unknown action and for a long summary, 422 for conflict markers, the
// author from REMOTE_USER, the history JSON's title, and 503 + Retry-After
// both for the app's load shedding (marked X-Wiki-Shed: 1) and for no
// worker reachable (nginx's, unmarked).
//
// One stack with shedding off serves the functional rows; the two 503 rows
// start their own. Each stack must stop clean (Stack::Stop reads its logs).
#include <doctest/doctest.h>
#include <signal.h>
#include <stdio.h>

#include <atomic>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "http_client.h"
#include "itest_util.h"
#include "stack.h"
#include "test_util.h"

namespace wiki {
namespace {

using testing::GetRaw;
using testing::IsShed;
using testing::Put;
using testing::Raw;
using testing::Slurp;
using testing::StartGate;
using testing::ToId;

constexpr char kTitle[] = "Latest_plane_crash";

Stack* ContractStack() {
  static std::unique_ptr<Stack> stack = [] {
    Stack::Options o;
    o.wiki_set = "server.shed_after_ms=0 massage.fib_n=20";
    return Stack::Start(o);
  }();
  return stack.get();
}

// The article before and after must be the same revision and bytes.
void CheckUnchanged(HttpClient& client, Stack* stack, const Raw& before) {
  Raw after = GetRaw(client, stack->ArticleUrl());
  CHECK(after.status == 200);
  CHECK(after.rev == before.rev);
  CHECK(after.body == before.body);
  CHECK(Slurp(stack->data_dir() + "/" + kTitle + ".html") == before.body);
}

nlohmann::json History(HttpClient& client, Stack* stack) {
  auto r = testing::GetRetrying(
      client, stack->ArticleUrl() + "?action=history&format=json");
  REQUIRE(r.ok());
  REQUIRE(r->status == 200);
  auto doc = nlohmann::json::parse(r->body, nullptr, false);
  REQUIRE_FALSE(doc.is_discarded());
  return doc;
}

Result<HttpResponse> PostEdit(
    HttpClient& client, Stack* stack, const std::string& text, uint64_t base,
    const std::string& summary,
    std::vector<std::pair<std::string, std::string>> headers = {}) {
  return client.PostForm(stack->ArticleUrl(),
                         {{"text", text},
                          {"base_revision", std::to_string(base)},
                          {"summary", summary}},
                         std::move(headers));
}

TEST_CASE("contract: every article read says Cache-Control: no-cache") {
  Stack* stack = ContractStack();
  REQUIRE(stack != nullptr);
  HttpClient client;
  for (const char* q : {"", "?action=raw", "?oldid=1", "?oldid=1&action=raw"}) {
    for (const char* enc : {"", "gzip"}) {
      CAPTURE(std::string(q));
      CAPTURE(std::string(enc));
      auto r = client.Get(stack->ArticleUrl() + q, {{"Accept-Encoding", enc}});
      REQUIRE(r.ok());
      CHECK(r->status == 200);
      CHECK(r->Header("cache-control") == "no-cache");
    }
  }
}

TEST_CASE("contract: an unknown action gets 400 and changes nothing") {
  Stack* stack = ContractStack();
  REQUIRE(stack != nullptr);
  HttpClient client;
  Raw before = GetRaw(client, stack->ArticleUrl());
  REQUIRE(before.status == 200);
  for (const char* action : {"delete", "purge", "RAW", "raw2", ""}) {
    CAPTURE(std::string(action));
    auto r = client.Get(stack->ArticleUrl() + "?action=" + action);
    REQUIRE(r.ok());
    CHECK(r->status == 400);
    CHECK(r->Header("content-type").rfind("text/plain", 0) == 0);
    CHECK(r->body.size() < 200);
  }
  CheckUnchanged(client, stack, before);
}

TEST_CASE("contract: a summary over 500 bytes gets 400; 500 bytes are saved") {
  Stack* stack = ContractStack();
  REQUIRE(stack != nullptr);
  HttpClient client;
  Raw before = GetRaw(client, stack->ArticleUrl());
  REQUIRE(before.status == 200);
  const std::string text = before.body + "<p>Summary row.</p>\n";

  auto too_long =
      PostEdit(client, stack, text, before.rev, std::string(501, 's'));
  REQUIRE(too_long.ok());
  CHECK(too_long->status == 400);
  CHECK(too_long->Header("content-type").rfind("text/plain", 0) == 0);
  CheckUnchanged(client, stack, before);

  const std::string longest(500, 'm');
  auto ok = PostEdit(client, stack, text, before.rev, longest);
  REQUIRE(ok.ok());
  CHECK(ok->status == 303);
  auto doc = History(client, stack);
  REQUIRE(doc["revisions"].size() >= 1);
  CHECK(doc["revisions"][0].value("id", uint64_t{0}) == before.rev + 1);
  CHECK(doc["revisions"][0].value("summary", std::string()) == longest);
}

TEST_CASE("contract: unresolved conflict markers get 422 over HTTP") {
  Stack* stack = ContractStack();
  REQUIRE(stack != nullptr);
  HttpClient client;
  Raw before = GetRaw(client, stack->ArticleUrl());
  REQUIRE(before.status == 200);
  const std::string marked = before.body +
                             "<<<<<<< mine\n<p>119 people</p>\n=======\n"
                             "<p>118 people</p>\n>>>>>>> theirs\n";
  auto put = Put(client, stack->ArticleUrl(), marked, before.etag);
  REQUIRE(put.ok());
  CHECK(put->status == 422);
  CHECK(put->body.find("conflict marker") != std::string::npos);
  auto post = PostEdit(client, stack, marked, before.rev, "markers");
  REQUIRE(post.ok());
  CHECK(post->status == 422);
  CHECK(post->body.find("conflict marker") != std::string::npos);
  // A marker alone on a line is enough.
  auto one =
      Put(client, stack->ArticleUrl(), before.body + "=======\n", before.etag);
  REQUIRE(one.ok());
  CHECK(one->status == 422);
  CheckUnchanged(client, stack, before);
}

TEST_CASE(
    "contract: without editor authentication the author is the client "
    "address, whatever Authorization says; history JSON names the title") {
  Stack* stack = ContractStack();
  REQUIRE(stack != nullptr);
  HttpClient client;
  Raw before = GetRaw(client, stack->ArticleUrl());
  REQUIRE(before.status == 200);
  // nginx sets $remote_user from any Basic credentials, checked or not;
  // without EDITOR_AUTH nothing checks them, so they name no author
  // (tests/security_itest.cc covers EDITOR_AUTH). "YWxpY2U6c2VjcmV0" is
  // base64("alice:secret").
  auto as_alice =
      PostEdit(client, stack, before.body + "<p>By alice.</p>\n", before.rev,
               "alice's edit", {{"Authorization", "Basic YWxpY2U6c2VjcmV0"}});
  REQUIRE(as_alice.ok());
  REQUIRE(as_alice->status == 303);
  const uint64_t alice_rev = ToId(as_alice->Header("x-revision"));
  Raw mid = GetRaw(client, stack->ArticleUrl());
  auto anon = PostEdit(client, stack, mid.body + "<p>Anonymous.</p>\n", mid.rev,
                       "no credentials");
  REQUIRE(anon.ok());
  REQUIRE(anon->status == 303);

  auto doc = History(client, stack);
  CHECK(doc.value("title", std::string()) == kTitle);
  REQUIRE(doc["revisions"].size() >= 2);
  CHECK(doc["revisions"][0].value("author", std::string()) == "127.0.0.1");
  CHECK(doc["revisions"][1].value("id", uint64_t{0}) == alice_rev);
  CHECK(doc["revisions"][1].value("author", std::string()) == "127.0.0.1");
}

TEST_CASE("contract: the functional stack stops clean") {
  Stack* stack = ContractStack();
  REQUIRE(stack != nullptr);
  CHECK(stack->Stop());
}

TEST_CASE("contract: shed reads get 503 + Retry-After: 1 + X-Wiki-Shed: 1") {
  // Per-request massaging of fib(34) (~5-11 ms each, one at a time per
  // worker) and the shipped 30 ms queueing limit: of 16 reads released
  // together into one worker, those behind the first few wait longer.
  Stack::Options o;
  o.workers = 1;
  o.wiki_set =
      "massage.mode=per-request massage.fib_n=34 server.shed_after_ms=30";
  o.max_shed_share = 1.0;  // shedding is what this stack is for
  auto stack = Stack::Start(o);
  REQUIRE(stack != nullptr);
  constexpr int kThreads = 16;
  StartGate gate(kThreads);
  std::vector<HttpResponse> got(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      HttpClient c;
      gate.ArriveAndWait();
      auto r = c.Get(stack->ArticleUrl() + (i % 2 ? "?action=raw" : ""));
      if (r.ok()) got[i] = std::move(*r);
    });
  }
  for (auto& t : threads) t.join();
  int served = 0, shed = 0;
  for (const HttpResponse& r : got) {
    CAPTURE(r.status);
    CAPTURE(r.body);
    if (r.status == 200) {
      ++served;
      continue;
    }
    CHECK(r.status == 503);
    CHECK(r.Header("retry-after") == "1");
    CHECK(r.Header("x-wiki-shed") == "1");
    CHECK(r.Header("content-type").rfind("text/plain", 0) == 0);
    if (IsShed(r)) ++shed;
  }
  CHECK(shed >= 1);
  CHECK(served + shed == kThreads);
  CHECK(stack->Stop());
}

TEST_CASE(
    "contract: no worker reachable gets nginx's 503 + Retry-After, "
    "without the shedding marker") {
  Stack::Options o;
  o.workers = 1;
  o.wiki_set = "server.shed_after_ms=0 massage.fib_n=20";
  auto stack = Stack::Start(o);
  REQUIRE(stack != nullptr);
  const std::string sock = stack->run_dir() + "/fcgi.0.sock";
  const std::set<pid_t> before = testing::AsSet(stack->WorkerPids());
  REQUIRE(before.size() == 1);
  // Take the socket's name away and kill the worker, so that no connection
  // nginx keeps to it survives either; the restarted worker listens on the
  // same (now nameless) socket, which nginx cannot reach.
  REQUIRE(::rename(sock.c_str(), (sock + ".away").c_str()) == 0);
  stack->ExpectWorkerDeaths(1);
  stack->ExpectUpstreamErrors(2);
  REQUIRE(::kill(*before.begin(), SIGKILL) == 0);
  std::set<pid_t> now;
  for (int i = 0; i < 500; ++i) {
    now = testing::AsSet(stack->WorkerPids());
    if (now.size() == 1 && now != before) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  REQUIRE(now.size() == 1);
  REQUIRE(now != before);

  HttpClient client;
  // (The current page and raw text are served by nginx's front cache even
  // then: only requests that need a worker get the 503.)
  for (const char* q : {"?action=raw&oldid=1", "?action=history"}) {
    CAPTURE(std::string(q));
    auto r = client.Get(stack->ArticleUrl() + q);
    REQUIRE(r.ok());
    CHECK(r->status == 503);
    CHECK(r->Header("retry-after") == "1");
    CHECK(r->Header("x-wiki-shed").empty());
    CHECK_FALSE(IsShed(*r));
  }
  REQUIRE(::rename((sock + ".away").c_str(), sock.c_str()) == 0);
  Raw back = GetRaw(client, stack->ArticleUrl());
  CHECK(back.status == 200);
  CHECK(stack->Stop());
}

}  // namespace
}  // namespace wiki
