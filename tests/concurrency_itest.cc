// Integration tests of concurrent and durable edits against the real stack
// (nginx + spawn-fcgi + multiwatch + article-server workers on a free
// loopback port): racing PUTs, readers during an edit burst, revision id
// allocation, a worker killed with SIGKILL, crash recovery of a tampered
// data dir across restarts, and a full disk (root only).
//
// Tests that only need "some stack" share one (SharedStack); each reads the
// state it starts from instead of assuming what earlier tests left.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "http_client.h"
#include "itest_util.h"
#include "revision.h"
#include "stack.h"
#include "test_util.h"

namespace wiki {
namespace {

using Clock = std::chrono::steady_clock;
using testing::Exists;
using testing::GetRaw;
using testing::GetRetrying;
using testing::HistoryIds;
using testing::Names;
using testing::Put;
using testing::Raw;
using testing::Slurp;
using testing::Spit;
using testing::StartGate;
using testing::TempDir;
using testing::TempFiles;
using testing::ToId;

constexpr char kArticleFile[] = "Latest_plane_crash.html";

Stack* SharedStack() {
  static std::unique_ptr<Stack> stack = Stack::Start();
  return stack.get();
}

// The raw ETag the server must send for this body as revision `id`.
std::string RawETagFor(uint64_t id, const std::string& body) {
  RevisionMeta m;
  m.id = id;
  m.hash = HashBytes(body);
  return m.RawETag();
}

// PUT `body` based on the current revision, retrying on 412 (another
// writer won). Returns the acknowledged revision id, 0 on failure.
uint64_t PutLatest(HttpClient& client, const std::string& url,
                   const std::string& body, int attempts = 20) {
  for (int i = 0; i < attempts; ++i) {
    Raw cur = GetRaw(client, url);
    if (cur.status != 200) continue;
    auto r = Put(client, url, body, cur.etag);
    if (r.ok() && r->status == 200) return ToId(r->Header("x-revision"));
    if (!r.ok() || r->status != 412) return 0;
  }
  return 0;
}

// Every revision in `bodies` is served (?action=raw&oldid=) with its body.
void CheckOldRevisions(HttpClient& client, const std::string& url,
                       const std::map<uint64_t, std::string>& bodies) {
  for (const auto& [id, body] : bodies) {
    CAPTURE(id);
    Raw old = GetRaw(client, url, id);
    CHECK(old.status == 200);
    CHECK(old.body == body);
  }
}

std::vector<uint64_t> Descending(uint64_t newest) {
  std::vector<uint64_t> v;
  for (uint64_t i = newest; i >= 1; --i) v.push_back(i);
  return v;
}

// The article inside the reader page.
std::string PageContent(const std::string& page) {
  const std::string open = "<div id=\"mw-content-text\">\n";
  const std::string close = "\n</div>\n</main>";
  size_t b = page.find(open);
  size_t e = page.rfind(close);
  if (b == std::string::npos || e == std::string::npos || e < b + open.size()) {
    return "<no content div>";
  }
  b += open.size();
  return page.substr(b, e - b);
}

// The stack's error logs (nginx and the workers), for failure messages.
std::string StackLogs(Stack* stack) {
  std::string out;
  for (const char* name : {"nginx-error.log", "fcgi-error.log"}) {
    std::istringstream in(Slurp(stack->run_dir() + "/" + name));
    out += std::string("\n--- ") + name + "\n";
    std::string line;
    while (std::getline(in, line)) {
      if (line.find("setrlimit") == std::string::npos) out += line + "\n";
    }
  }
  return out;
}

std::string Article(const std::string& tag, size_t filler) {
  std::string s = "<h2 id=\"t\">" + tag + "</h2>\n<p>Edit " + tag +
                  " of the article.</p>\n";
  for (size_t i = 0; i < filler; ++i) {
    s += "<p>Filler paragraph " + std::to_string(i) + " for " + tag +
         ": the quick brown fox jumps over the lazy dog.</p>\n";
  }
  return s;
}

// One round: 20 PUTs with the same If-Match, released together.
void PutRace(Stack* stack, int round) {
  CAPTURE(round);
  const std::string url = stack->ArticleUrl();
  HttpClient client;
  Raw before = GetRaw(client, url);
  REQUIRE(before.status == 200);
  const size_t history_before = HistoryIds(client, url).size();
  REQUIRE(history_before == before.rev);

  constexpr int kN = 20;
  std::vector<std::string> bodies;
  for (int i = 0; i < kN; ++i) {
    bodies.push_back(Article(
        "round" + std::to_string(round) + "-racer" + std::to_string(i), i % 5));
  }
  std::vector<long> status(kN, 0);
  std::vector<std::string> etag(kN), xrev(kN);
  StartGate gate(kN);
  std::vector<std::thread> threads;
  for (int i = 0; i < kN; ++i) {
    threads.emplace_back([&, i] {
      HttpClient c;
      c.Get(url + "?action=raw");  // connect before the start line
      gate.ArriveAndWait();
      auto r = Put(c, url, bodies[i], before.etag);
      if (!r.ok()) return;
      status[i] = r->status;
      etag[i] = r->Header("etag");
      xrev[i] = r->Header("x-revision");
    });
  }
  for (auto& t : threads) t.join();

  int ok = 0, stale = 0, winner = -1;
  for (int i = 0; i < kN; ++i) {
    if (status[i] == 200) {
      ++ok;
      winner = i;
    } else if (status[i] == 412) {
      ++stale;
    }
  }
  CHECK(ok == 1);
  CHECK(stale == kN - 1);
  REQUIRE(winner >= 0);
  const std::string& body = bodies[winner];
  CHECK(ToId(xrev[winner]) == before.rev + 1);
  CHECK(etag[winner] == RawETagFor(before.rev + 1, body));
  for (int i = 0; i < kN; ++i) {
    // Every loser was checked after the winner committed, under the lock,
    // and is told the winner's ETag.
    if (status[i] == 412) CHECK(etag[i] == etag[winner]);
  }
  Raw after = GetRaw(client, url);
  CHECK(after.status == 200);
  CHECK(after.body == body);
  CHECK(after.rev == before.rev + 1);
  CHECK(after.etag == etag[winner]);
  CHECK(Slurp(stack->data_dir() + "/" + kArticleFile) == body);
  CHECK(Slurp(stack->data_dir() + "/revisions/" + std::to_string(after.rev) +
              ".html") == body);
  CHECK(HistoryIds(client, url).size() == history_before + 1);
}

TEST_CASE("20 concurrent PUTs with one If-Match: one 200, nineteen 412") {
  Stack* stack = SharedStack();
  REQUIRE(stack != nullptr);
  for (int round = 0; round < 3; ++round) PutRace(stack, round);
}

TEST_CASE("Readers during an edit burst only see accepted revisions, whole") {
  Stack* stack = SharedStack();
  REQUIRE(stack != nullptr);
  const std::string url = stack->ArticleUrl();
  HttpClient client;
  Raw initial = GetRaw(client, url);
  REQUIRE(initial.status == 200);

  // Revision id -> hash of the body acknowledged for it.
  std::mutex mu;
  std::map<uint64_t, uint64_t> accepted = {
      {initial.rev, HashBytes(initial.body)}};
  int write_failures = 0;

  struct Seen {
    long status;
    bool raw;
    bool shed;  // the app's marked 503 (IsShed), nothing else
    uint64_t rev;
    uint64_t hash;
    std::string etag;
  };
  constexpr int kReaders = 3, kWriters = 2, kEditsPerWriter = 15;
  std::vector<std::vector<Seen>> seen(kReaders);
  // Readers run exactly while the writers do: all start together, and a
  // reader starts no request after the last writer finished, so every
  // counted read overlapped the burst.
  std::atomic<int> writers_left{kWriters};
  StartGate gate(kReaders + kWriters);

  std::vector<std::thread> threads;
  for (int r = 0; r < kReaders; ++r) {
    threads.emplace_back([&, r] {
      HttpClient c;
      c.Get(url + "?action=raw");  // connect before the start line
      gate.ArriveAndWait();
      for (int i = 0; writers_left > 0; ++i) {
        const bool raw = (i + r) % 2 == 0;
        auto resp = c.Get(raw ? url + "?action=raw" : url);
        if (!resp.ok()) {
          seen[r].push_back({-1, raw, false, 0, 0, ""});
          continue;
        }
        const std::string content = raw ? resp->body : PageContent(resp->body);
        seen[r].push_back({resp->status, raw, testing::IsShed(*resp),
                           ToId(resp->Header("x-revision")), HashBytes(content),
                           resp->Header("etag")});
      }
    });
  }
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      HttpClient c;
      c.Get(url + "?action=raw");
      gate.ArriveAndWait();
      for (int i = 0; i < kEditsPerWriter; ++i) {
        std::string body =
            Article("burst-w" + std::to_string(w) + "-" + std::to_string(i),
                    static_cast<size_t>(20 + 7 * i + w));
        uint64_t id = PutLatest(c, url, body);
        std::lock_guard<std::mutex> guard(mu);
        if (id == 0) {
          ++write_failures;
        } else {
          accepted[id] = HashBytes(body);
        }
      }
      --writers_left;
    });
  }
  for (auto& t : threads) t.join();

  CHECK(write_failures == 0);
  CHECK(accepted.size() == 1 + kWriters * kEditsPerWriter);
  // The burst was observed: readers saw several revisions.
  std::set<uint64_t> revisions_seen;
  int reads = 0, shed = 0, bad_status = 0, unknown = 0, torn = 0, bad_etag = 0;
  int backwards = 0;
  std::string bad;
  for (int r = 0; r < kReaders; ++r) {
    uint64_t last = 0;
    for (const Seen& s : seen[r]) {
      if (s.shed) {
        ++shed;  // the app's load shedding, bounded below
        continue;
      }
      if (s.status != 200) {
        if (bad_status++ < 5) bad += std::to_string(s.status) + " ";
        continue;
      }
      ++reads;
      revisions_seen.insert(s.rev);
      auto it = accepted.find(s.rev);
      if (it == accepted.end()) {
        ++unknown;
        continue;
      }
      if (it->second != s.hash) ++torn;
      // The validator names the same revision as X-Revision and the body.
      RevisionMeta m;
      m.id = s.rev;
      m.hash = it->second;
      if (s.etag != (s.raw ? m.RawETag() : m.PageETag())) ++bad_etag;
      if (s.rev < last) ++backwards;  // one client never goes back in time
      last = s.rev;
    }
  }
  INFO("reads " << reads << ", shed " << shed << ", bad statuses " << bad);
  INFO("stack logs: " << StackLogs(stack));
  // 30 edits of 20-125 paragraphs, each a GET + PUT at least, against
  // three readers in a loop: far more than 30 reads fit in the burst.
  CHECK(reads > 30);
  // Shedding is allowed, within a stated share: at most 1 read in 10.
  CHECK(shed * 10 <= reads + shed);
  CHECK(bad_status == 0);
  CHECK(unknown == 0);
  CHECK(torn == 0);
  CHECK(bad_etag == 0);
  CHECK(backwards == 0);
  CHECK(revisions_seen.size() >= 3);
}

TEST_CASE("Revision ids of acknowledged edits are unique and contiguous") {
  Stack* stack = SharedStack();
  REQUIRE(stack != nullptr);
  const std::string url = stack->ArticleUrl();
  HttpClient client;
  constexpr int kThreads = 6, kAttempts = 5;
  // One line per thread, spacer lines between, so form posts merge.
  std::string base;
  for (int t = 0; t < kThreads; ++t) {
    base += "<p>Slot " + std::to_string(t) + ": value start.</p>\n";
    base += "<p>Spacer paragraph number " + std::to_string(t) + ".</p>\n";
  }
  const uint64_t base_id = PutLatest(client, url, base);
  REQUIRE(base_id > 0);

  struct Ack {
    uint64_t id;
    long status;
    bool merged;
    std::string sent;
  };
  std::mutex mu;
  std::vector<Ack> acks;
  std::vector<std::string> last_value(kThreads);
  std::vector<long> other_statuses;
  std::string other_body;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      HttpClient c;
      const std::string slot = "<p>Slot " + std::to_string(t) + ": value ";
      for (int i = 0; i < kAttempts; ++i) {
        Raw cur = GetRaw(c, url);
        size_t at = cur.body.find(slot);
        if (cur.status != 200 || at == std::string::npos) {
          std::lock_guard<std::mutex> guard(mu);
          other_statuses.push_back(cur.status);
          other_body = "GET " + std::to_string(cur.status) + ": " + cur.body;
          continue;
        }
        size_t end = cur.body.find("</p>", at);
        const std::string value =
            "t" + std::to_string(t) + "a" + std::to_string(i);
        std::string text = cur.body;
        text.replace(at + slot.size(), end - at - slot.size(), value + ".");
        Result<HttpResponse> r = Status::IOError("unsent");
        if (t % 2 == 0) {
          r = c.PostForm(url, {{"text", text},
                               {"base_revision", std::to_string(cur.rev)},
                               {"summary", "slot " + std::to_string(t)}});
        } else {
          r = Put(c, url, text, cur.etag);
        }
        std::lock_guard<std::mutex> guard(mu);
        if (!r.ok()) {
          other_statuses.push_back(-1);
          continue;
        }
        if (r->status != 200 && r->status != 303 && r->status != 409 &&
            r->status != 412) {
          other_body = std::to_string(r->status) + ": " + r->body;
        }
        if (r->status == 200 || r->status == 303) {
          acks.push_back({ToId(r->Header("x-revision")), r->status,
                          r->Header("x-merged") == "1", text});
          last_value[t] = value;
        } else if (r->status != 409 && r->status != 412) {
          other_statuses.push_back(r->status);
        }
      }
    });
  }
  for (auto& t : threads) t.join();

  std::string others;
  for (long st : other_statuses) others += std::to_string(st) + " ";
  INFO("unexpected statuses: " << others << "; last: " << other_body);
  INFO("stack logs: " << StackLogs(stack));
  CHECK(other_statuses.empty());
  REQUIRE(acks.size() >= static_cast<size_t>(kThreads));
  std::vector<uint64_t> ids;
  for (const Ack& a : acks) ids.push_back(a.id);
  std::sort(ids.begin(), ids.end());
  CHECK(std::adjacent_find(ids.begin(), ids.end()) == ids.end());  // no reuse
  for (size_t i = 0; i < ids.size(); ++i) {
    CAPTURE(i);
    CHECK(ids[i] == base_id + 1 + i);  // no gaps
  }
  const uint64_t newest = base_id + acks.size();
  CHECK(HistoryIds(client, url) == Descending(newest));

  Raw final_raw = GetRaw(client, url);
  CHECK(final_raw.rev == newest);
  for (const Ack& a : acks) {
    if (a.merged) continue;  // stored text is the merge, not what was sent
    CAPTURE(a.id);
    Raw old = GetRaw(client, url, a.id);
    CHECK(old.status == 200);
    CHECK(old.rev == a.id);
    CHECK(old.body == a.sent);
  }
  // No lost update: each thread's last acknowledged value is in place.
  for (int t = 0; t < kThreads; ++t) {
    if (last_value[t].empty()) continue;
    CAPTURE(t);
    CHECK(final_raw.body.find("<p>Slot " + std::to_string(t) + ": value " +
                              last_value[t] + ".</p>") != std::string::npos);
  }
}

// True once `pid` is gone (reaped by multiwatch) or a zombie.
bool Dead(pid_t pid) {
  std::string stat = Slurp("/proc/" + std::to_string(pid) + "/stat");
  if (stat.empty()) return true;
  size_t paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() &&
         stat[paren + 2] == 'Z';
}

// Kills `victim` with SIGKILL, then waits until it is dead and multiwatch
// has brought the stack back to `workers` processes. Returns the new set.
std::set<pid_t> KillAndAwaitRestart(Stack* stack, pid_t victim,
                                    size_t workers) {
  REQUIRE(::kill(victim, SIGKILL) == 0);
  std::set<pid_t> now;
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  while (Clock::now() < deadline) {
    now = testing::AsSet(stack->WorkerPids());
    if (Dead(victim) && now.size() == workers && now.count(victim) == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  CHECK(Dead(victim));
  CHECK(now.size() == workers);
  CHECK(now.count(victim) == 0);
  return now;
}

// Sequential reads (each retried while shed with 503 + Retry-After, which
// is also what nginx answers for a request cut off by a dying worker);
// counts 200s and describes every other answer.
int CountServed(HttpClient& client, const std::string& url, int n,
                std::string* failures) {
  int served = 0;
  for (int i = 0; i < n; ++i) {
    auto r = GetRetrying(client, url + "?action=raw");
    if (r.ok() && r->status == 200) {
      ++served;
      continue;
    }
    *failures += "#" + std::to_string(i) + ": " +
                 (r.ok() ? std::to_string(r->status) + " " + r->body
                         : r.status().ToString()) +
                 "\n";
  }
  return served;
}

TEST_CASE(
    "Workers killed with SIGKILL are restarted; no acknowledged edit is lost") {
  Stack* stack = SharedStack();
  REQUIRE(stack != nullptr);
  const std::string url = stack->ArticleUrl();
  const std::set<pid_t> original = testing::AsSet(stack->WorkerPids());
  REQUIRE(original.size() == 2);  // Options().workers
  // This test kills two workers; what was in flight on them gets nginx's
  // 503 (at most the writer's one request per kill, plus a stale upstream
  // connection or two).
  stack->ExpectWorkerDeaths(2);
  stack->ExpectUpstreamErrors(4);

  // A writer keeps editing while workers die under it.
  std::atomic<bool> stop{false};
  std::map<uint64_t, std::string> acked;
  std::atomic<int> acked_count{0};
  int failed_writes = 0;
  // Progress is awaited, not assumed from a sleep: a slow (sanitizer) build
  // lands fewer edits per second, never none.
  auto await_acks = [&](int n) {
    const auto deadline = Clock::now() + std::chrono::seconds(60);
    while (acked_count < n && Clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return acked_count >= n;
  };
  std::thread writer([&] {
    HttpClient c;
    for (int i = 0; !stop; ++i) {
      std::string body =
          Article("kill-" + std::to_string(i), static_cast<size_t>(i % 4));
      Raw cur = GetRaw(c, url);
      if (cur.status != 200) continue;
      auto r = Put(c, url, body, cur.etag);
      if (r.ok() && r->status == 200) {
        acked[ToId(r->Header("x-revision"))] = body;
        ++acked_count;
      } else {
        ++failed_writes;  // the outcome of an edit cut off by a kill is unknown
      }
    }
  });
  CHECK(await_acks(2));  // edits land before the first kill

  // 1. Kill one worker; once it is gone the other one answers everything.
  HttpClient client;
  const pid_t first = *original.begin();
  const pid_t second = *original.rbegin();
  std::set<pid_t> after_first = KillAndAwaitRestart(stack, first, 2);
  std::string failures;
  int served = CountServed(client, url, 20, &failures);
  INFO("stack logs: " << StackLogs(stack));
  INFO("after the first kill:\n" << failures);
  CHECK(served == 20);
  CHECK(after_first.count(second) == 1);

  // 2. Kill the other original worker too: now only restarted workers are
  // left, so whatever answers was restarted by multiwatch.
  std::set<pid_t> after_second = KillAndAwaitRestart(stack, second, 2);
  for (pid_t p : after_second) CHECK(original.count(p) == 0);
  failures.clear();
  served = CountServed(client, url, 20, &failures);
  INFO("after the second kill:\n" << failures);
  CHECK(served == 20);
  const int after_kills = acked_count;
  CHECK(await_acks(after_kills + 2));  // and on the restarted workers
  stop = true;
  writer.join();

  INFO("acknowledged " << acked.size() << ", failed " << failed_writes);
  CHECK(acked.size() >= 4);
  CHECK(failed_writes <= 2);  // at most the edit in flight at each kill
  CheckOldRevisions(client, url, acked);
  Raw cur = GetRaw(client, url);
  CHECK(cur.status == 200);
  CHECK(HistoryIds(client, url) == Descending(cur.rev));
  CHECK(cur.rev >= acked.rbegin()->first);
  CHECK(Slurp(stack->data_dir() + "/" + kArticleFile) == cur.body);
  CHECK(PutLatest(client, url, Article("after-kill", 1)) == cur.rev + 1);
}

// A data dir of our own, kept across stack restarts.
class DataDir : public TempDir {
 public:
  DataDir() : TempDir("wiki-itest-data") {
    // nginx (www-data when root) sends revision files itself.
    REQUIRE(::chmod(path().c_str(), 0755) == 0);
  }
};

std::unique_ptr<Stack> StartOn(const std::string& data_dir) {
  Stack::Options options;
  options.data_dir = data_dir;
  return Stack::Start(options);
}

// Every revision 1..bodies.size() is served with its body, and the current
// one is the last.
void CheckServes(Stack* stack, const std::map<uint64_t, std::string>& bodies) {
  HttpClient client;
  const std::string url = stack->ArticleUrl();
  const uint64_t last = bodies.rbegin()->first;
  CHECK(HistoryIds(client, url) == Descending(last));
  CheckOldRevisions(client, url, bodies);
  Raw cur = GetRaw(client, url);
  CHECK(cur.status == 200);
  CHECK(cur.rev == last);
  CHECK(cur.body == bodies.at(last));
  CHECK(cur.etag == RawETagFor(last, bodies.at(last)));
  CHECK(Slurp(stack->data_dir() + "/" + kArticleFile) == bodies.at(last));
}

TEST_CASE("Restarts keep every revision and recover a tampered data dir") {
  DataDir dir;
  std::map<uint64_t, std::string> bodies;
  const std::string article = dir / kArticleFile;
  {
    auto stack = StartOn(dir.path());
    REQUIRE(stack != nullptr);
    HttpClient client;
    Raw first = GetRaw(client, stack->ArticleUrl());
    REQUIRE(first.rev == 1);
    bodies[1] = first.body;
    for (int i = 2; i <= 4; ++i) {
      bodies[i] =
          Article("durable" + std::to_string(i), static_cast<size_t>(i));
      REQUIRE(PutLatest(client, stack->ArticleUrl(), bodies[i]) ==
              static_cast<uint64_t>(i));
    }
    CHECK(stack->Stop());
  }

  // 1. Leftover temp files, the article overwritten with other bytes, and
  // revision files beyond the last record.
  Spit(dir / ".tmp-Latest_plane_crash.html-99999-0", "<p>half writ");
  Spit(dir / "revisions/.tmp-5.html-99999-1", "<p>half");
  // The page cache under the data dir writes through temp files too.
  const bool has_cache = Exists(dir / "cache");
  if (has_cache)
    Spit(dir / "cache/.tmp-page-4-0123456789abcdef.html-99999-2", "<html>");
  Spit(article, "<p>Overwritten by hand.</p>\n");
  Spit(dir / "revisions/5.html", "<p>never acknowledged</p>\n");
  Spit(dir / "revisions/12.html", "<p>never acknowledged either</p>\n");
  {
    auto stack = StartOn(dir.path());
    REQUIRE(stack != nullptr);
    CHECK(TempFiles(dir.path()).empty());
    CHECK(TempFiles(dir / "revisions").empty());
    if (has_cache) CHECK(TempFiles(dir / "cache").empty());
    CHECK_FALSE(Exists(dir / "revisions/5.html"));
    CHECK_FALSE(Exists(dir / "revisions/12.html"));
    CheckServes(stack.get(), bodies);  // every revision survived the restart
    CHECK(stack->Stop());
  }

  // 2. The article file deleted.
  REQUIRE(::unlink(article.c_str()) == 0);
  {
    auto stack = StartOn(dir.path());
    REQUIRE(stack != nullptr);
    CheckServes(stack.get(), bodies);
    CHECK(stack->Stop());
  }

  // 3. A crash between the rename and the commit point: revision 5's file
  // and article file are written, its history line is half there.
  const std::string log_before = Slurp(dir / "history.log");
  const std::string unacked = "<p>Written but never acknowledged.</p>\n";
  Spit(dir / "revisions/5.html", unacked);
  Spit(article, unacked);
  Spit(dir / "history.log",
       "{\"author\":\"127.0.0.1\",\"fib\":5702887,\"fib_n\":34,\"ha", true);
  {
    auto stack = StartOn(dir.path());
    REQUIRE(stack != nullptr);
    CHECK(Slurp(dir / "history.log") == log_before);  // torn line dropped
    CHECK_FALSE(Exists(dir / "revisions/5.html"));
    CheckServes(stack.get(), bodies);
    // The next edit is 5, and the log stays parseable.
    HttpClient client;
    bodies[5] = Article("after-crash", 2);
    CHECK(PutLatest(client, stack->ArticleUrl(), bodies[5]) == 5);
    CheckServes(stack.get(), bodies);
    CHECK(stack->Stop());
  }

  // 4. A plain restart: all five revisions survive.
  {
    auto stack = StartOn(dir.path());
    REQUIRE(stack != nullptr);
    CheckServes(stack.get(), bodies);
    CHECK(stack->Stop());
  }
}

TEST_CASE("A full disk answers 507 and leaves the article untouched" *
          doctest::skip(::geteuid() != 0)) {
  DataDir dir;
  REQUIRE(::mount("tmpfs", dir.path().c_str(), "tmpfs", 0,
                  "size=1m,mode=0755") == 0);
  struct Unmount {
    std::string path;
    ~Unmount() { ::umount2(path.c_str(), MNT_DETACH); }
  } unmount{dir.path()};
  auto stack = StartOn(dir.path());
  REQUIRE(stack != nullptr);
  stack->ExpectStatus(507);
  const std::string url = stack->ArticleUrl();
  HttpClient client;
  const std::string previous = Article("before-full", 3);
  const uint64_t prev_id = PutLatest(client, url, previous);
  REQUIRE(prev_id == 2);

  {  // fill the file system to the last block
    std::ofstream fill(dir / "fill", std::ios::binary);
    std::string block(4096, 'f');
    while (
        fill.write(block.data(), static_cast<std::streamsize>(block.size()))) {
    }
  }
  Raw cur = GetRaw(client, url);
  REQUIRE(cur.rev == prev_id);
  const std::string big = Article("on-a-full-disk", 40);
  auto put = Put(client, url, big, cur.etag);
  REQUIRE(put.ok());
  CHECK(put->status == 507);
  auto post = client.PostForm(
      url, {{"text", big}, {"base_revision", std::to_string(prev_id)}});
  REQUIRE(post.ok());
  CHECK(post->status == 507);

  Raw after = GetRaw(client, url);
  CHECK(after.status == 200);
  CHECK(after.rev == prev_id);
  CHECK(after.body == previous);
  // Reads of every kind keep working on the full disk.
  auto page = GetRetrying(client, url);
  REQUIRE(page.ok());
  CHECK(page->status == 200);
  CHECK(PageContent(page->body) == previous);
  Raw first = GetRaw(client, url, 1);
  CHECK(first.status == 200);
  CHECK(first.rev == 1);
  CHECK(Slurp(dir / kArticleFile) == previous);
  CHECK(HistoryIds(client, url) == Descending(prev_id));
  CHECK_FALSE(Exists(dir / "revisions/3.html"));
  CHECK(TempFiles(dir.path()).empty());
  CHECK(TempFiles(dir / "revisions").empty());

  REQUIRE(::unlink((dir / "fill").c_str()) == 0);
  auto retry = Put(client, url, big, cur.etag);  // same ETag: nothing changed
  REQUIRE(retry.ok());
  CHECK(retry->status == 200);
  CHECK(ToId(retry->Header("x-revision")) == prev_id + 1);  // no gap
  CHECK(GetRaw(client, url).body == big);
  CHECK(stack->Stop());
}

// Last in this file (doctest runs a file's cases in order): the stack the
// cases above shared must stop clean, with no unmarked 5xx, crash or
// sanitizer report in its logs.
TEST_CASE("The shared stack of the concurrency tests stops clean") {
  Stack* stack = SharedStack();
  REQUIRE(stack != nullptr);
  CHECK(stack->Stop());
}

}  // namespace
}  // namespace wiki
