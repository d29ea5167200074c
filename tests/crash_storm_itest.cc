// Whole-stack crash storm against the real stack: rounds of SIGKILL to
// every process at once (nginx, supervisors, workers) at a random moment
// while editors PUT and POST and readers read, each followed by a restart
// on the same data directory. After every restart: every acknowledged edit
// is present byte for byte (?oldid), the article file equals the current
// revision, revision ids have no gaps, and no temporary file is left.
//
// Rounds: WIKI_CRASH_ROUNDS (default 3 for `make test`; `make test-crash`
// runs 20).
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "http_client.h"
#include "itest_util.h"
#include "stack.h"
#include "test_util.h"

namespace wiki {
namespace {

using Clock = std::chrono::steady_clock;

int Rounds() {
  const char* v = std::getenv("WIKI_CRASH_ROUNDS");
  int n = v ? std::atoi(v) : 0;
  return n > 0 ? n : 3;
}

// Edits by PUT (strict If-Match) and by form POST (merged), from several
// threads, until the stack dies under them. Acknowledged = answered 200
// (PUT) or 303 (POST) with the revision id; the body is then known: for a
// PUT the text sent, for a POST what ?oldid returns later (checked against
// the marker the editor added).
class Editors {
 public:
  Editors(const std::string& url, int round) {
    for (int t = 0; t < 3; ++t) {
      threads_.emplace_back([this, url, round, t] {
        HttpClient client;
        client.set_timeout_ms(3000);
        for (int i = 0; !stop_.load(); ++i) {
          testing::Raw cur = testing::GetRaw(client, url);
          if (cur.status != 200) continue;
          const std::string marker = "<p>crash round " + std::to_string(round) +
                                     " editor " + std::to_string(t) + " edit " +
                                     std::to_string(i) + "</p>\n";
          if (t == 2) {
            auto r = client.PostForm(
                url, {{"text", cur.body + marker},
                      {"base_revision", std::to_string(cur.rev)}});
            if (r.ok() && r->status == 303) {
              Ack(testing::ToId(r->Header("x-revision")), marker, false);
            }
          } else {
            auto r = testing::Put(client, url, cur.body + marker, cur.etag);
            if (r.ok() && r->status == 200) {
              Ack(testing::ToId(r->Header("x-revision")), cur.body + marker,
                  true);
            }
          }
        }
      });
    }
  }
  ~Editors() { Stop(); }
  void Stop() {
    stop_.store(true);
    for (auto& t : threads_) t.join();
    threads_.clear();
  }
  struct Acked {
    std::string text;  // whole body (exact) or a marker it must contain
    bool exact;
  };
  std::map<uint64_t, Acked> acked() {
    std::lock_guard<std::mutex> l(mu_);
    return acked_;
  }

 private:
  void Ack(uint64_t id, const std::string& text, bool exact) {
    std::lock_guard<std::mutex> l(mu_);
    acked_[id] = {text, exact};
  }
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::map<uint64_t, Acked> acked_;
  std::vector<std::thread> threads_;
};

void CheckRecovered(Stack& stack,
                    const std::map<uint64_t, Editors::Acked>& all) {
  HttpClient client;
  const std::string url = stack.ArticleUrl();
  std::vector<uint64_t> ids = testing::HistoryIds(client, url);
  REQUIRE(!ids.empty());
  // No gaps: newest first, down to 1.
  for (size_t i = 0; i < ids.size(); ++i) {
    REQUIRE(ids[i] == ids.size() - i);
  }
  for (auto& [id, acked] : all) {
    CAPTURE(id);
    testing::Raw r = testing::GetRaw(client, url, id);
    REQUIRE(r.status == 200);
    if (acked.exact) {
      CHECK(r.body == acked.text);
    } else {
      CHECK(r.body.find(acked.text) != std::string::npos);
    }
  }
  testing::Raw cur = testing::GetRaw(client, url);
  REQUIRE(cur.status == 200);
  CHECK(cur.rev == ids.front());
  CHECK(testing::Slurp(stack.data_dir() + "/Latest_plane_crash.html") ==
        cur.body);
  CHECK(testing::TempFiles(stack.data_dir()).empty());
  CHECK(testing::TempFiles(stack.data_dir() + "/revisions").empty());
}

TEST_CASE("Crash storm: SIGKILL of every process mid-edit, then recovery") {
  testing::TempDir dir("wiki-crash-storm");
  REQUIRE(::chmod(dir.path().c_str(), 0755) == 0);  // nginx reads files
  std::mt19937 rng(20261201);
  std::map<uint64_t, Editors::Acked> all;
  const int rounds = Rounds();
  int acked_total = 0;
  for (int round = 0; round < rounds; ++round) {
    CAPTURE(round);
    Stack::Options options;
    options.data_dir = dir.path();
    auto stack = Stack::Start(options);
    REQUIRE(stack);
    if (round > 0) CheckRecovered(*stack, all);

    testing::ReadFlood readers(stack->ArticleUrl(), 2);
    Editors editors(stack->ArticleUrl(), round);
    // Let edits land, then crash at a random moment among them.
    auto until = Clock::now() + std::chrono::milliseconds(300 + rng() % 900);
    while (Clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    stack->Crash();
    editors.Stop();
    readers.Stop();
    auto acked = editors.acked();
    acked_total += static_cast<int>(acked.size());
    for (auto& [id, a] : acked) all[id] = a;
  }
  MESSAGE(rounds << " crashes, " << acked_total << " acknowledged edits");
  CHECK(acked_total >= rounds);  // the storms did edit
  Stack::Options options;
  options.data_dir = dir.path();
  auto stack = Stack::Start(options);
  REQUIRE(stack);
  CheckRecovered(*stack, all);
  CHECK(stack->Stop());
}

}  // namespace
}  // namespace wiki
