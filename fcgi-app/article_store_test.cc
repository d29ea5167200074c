// Unit tests of ArticleStore: import, commits, aborted commits, old
// revisions, history, crash recovery (a table of tampered data dirs), a
// failed commit point, and two stores on one directory as two worker
// processes would have. Temp dirs under /tmp.
#include "article_store.h"

#include <doctest/doctest.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <functional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "test_util.h"

namespace wiki {
namespace {

using testing::Exists;
using testing::Names;
using testing::Slurp;
using testing::Spit;
using testing::TempDir;
using testing::TempFiles;

constexpr char kTitle[] = "Latest_plane_crash";
constexpr char kDirPrefix[] = "wiki-store-test";  // /tmp/wiki-store-test-*

size_t CountLines(const std::string& s) {
  return static_cast<size_t>(std::count(s.begin(), s.end(), '\n'));
}

std::string ArticlePath(const TempDir& dir) {
  return dir / (std::string(kTitle) + ".html");
}

std::string Text(int n) {
  return "<p>Revision text number " + std::to_string(n) + "</p>\n" +
         std::string(static_cast<size_t>(n) * 37, 'x') + "\n";
}

std::unique_ptr<ArticleStore> OpenOrDie(const TempDir& dir) {
  auto store = ArticleStore::Open(dir.path(), kTitle);
  INFO(store.status().ToString());
  REQUIRE(store.ok());
  return std::move(*store);
}

Result<RevisionMeta> CommitText(ArticleStore* store, const std::string& text,
                                const std::string& author = "tester",
                                const std::string& summary = "") {
  return store->Commit(author, summary,
                       [&](const Revision&, ArticleStore::Plan* plan) {
                         plan->text = text;
                         return Status::OK();
                       });
}

// A data dir as `make run` seeds it, then revisions 2..n committed.
std::unique_ptr<ArticleStore> Seed(const TempDir& dir, int n) {
  Spit(ArticlePath(dir), Text(1));
  auto store = OpenOrDie(dir);
  for (int i = 2; i <= n; ++i) {
    auto m = CommitText(store.get(), Text(i));
    INFO(m.status().ToString());
    REQUIRE(m.ok());
    REQUIRE(m->id == static_cast<uint64_t>(i));
  }
  return store;
}

TEST_CASE("Open imports the article file as revision 1") {
  TempDir dir(kDirPrefix);
  Spit(ArticlePath(dir), "<p>first</p>\n");
  auto store = OpenOrDie(dir);
  auto cur = store->Current();
  REQUIRE(cur.ok());
  CHECK((*cur)->meta.id == 1);
  CHECK((*cur)->text == "<p>first</p>\n");
  CHECK((*cur)->meta.size == 13);
  CHECK((*cur)->meta.hash == HashBytes("<p>first</p>\n"));
  CHECK((*cur)->meta.author == "import");
  CHECK(Slurp(dir / "revisions/1.html") == "<p>first</p>\n");
  CHECK(CountLines(Slurp(dir / "history.log")) == 1);
  CHECK(store->article_path() == ArticlePath(dir));

  // Opening again does not import twice.
  store.reset();
  store = OpenOrDie(dir);
  auto history = store->History();
  REQUIRE(history.ok());
  CHECK(history->size() == 1);
}

TEST_CASE("Open on a directory without article or history is NotFound") {
  TempDir dir(kDirPrefix);
  auto store = ArticleStore::Open(dir.path(), kTitle);
  CHECK(store.status().code() == Status::Code::kNotFound);
}

TEST_CASE("Commit increments ids and stores file, revision and record") {
  TempDir dir(kDirPrefix);
  auto store = Seed(dir, 1);
  for (int i = 2; i <= 6; ++i) {
    CAPTURE(i);
    uint64_t seen_current = 0;
    auto m = store->Commit(
        "author" + std::to_string(i), "summary " + std::to_string(i),
        [&](const Revision& current, ArticleStore::Plan* plan) {
          seen_current = current.meta.id;
          plan->text = Text(i);
          plan->fib_n = 7;
          plan->fib = 13;
          return Status::OK();
        });
    REQUIRE(m.ok());
    CHECK(seen_current == static_cast<uint64_t>(i - 1));
    CHECK(m->id == static_cast<uint64_t>(i));
    CHECK(m->size == Text(i).size());
    CHECK(m->hash == HashBytes(Text(i)));
    CHECK(m->author == "author" + std::to_string(i));
    CHECK(m->summary == "summary " + std::to_string(i));
    CHECK(m->time_ms > 0);
    auto cur = store->Current();
    REQUIRE(cur.ok());
    CHECK((*cur)->meta.id == m->id);
    CHECK((*cur)->text == Text(i));
    CHECK((*cur)->meta.fib == 13);
    CHECK((*cur)->meta.fib_n == 7);
    CHECK(Slurp(ArticlePath(dir)) == Text(i));
    CHECK(Slurp(dir / ("revisions/" + std::to_string(i) + ".html")) == Text(i));
    CHECK(CountLines(Slurp(dir / "history.log")) == static_cast<size_t>(i));
  }
  CHECK(TempFiles(dir.path()).empty());
  CHECK(TempFiles(dir / "revisions").empty());
}

TEST_CASE("Get returns every past revision; unknown ids are NotFound") {
  TempDir dir(kDirPrefix);
  auto store = Seed(dir, 5);
  for (int i = 1; i <= 5; ++i) {
    CAPTURE(i);
    auto rev = store->Get(static_cast<uint64_t>(i));
    REQUIRE(rev.ok());
    CHECK((*rev)->meta.id == static_cast<uint64_t>(i));
    CHECK((*rev)->text == Text(i));
    CHECK((*rev)->meta.hash == HashBytes(Text(i)));
  }
  for (uint64_t bad :
       {uint64_t{0}, uint64_t{6}, uint64_t{1000}, ~uint64_t{0}}) {
    CAPTURE(bad);
    CHECK(store->Get(bad).status().code() == Status::Code::kNotFound);
  }
}

TEST_CASE("History lists every revision oldest first with its metadata") {
  TempDir dir(kDirPrefix);
  auto store = Seed(dir, 1);
  REQUIRE(CommitText(store.get(), Text(2), "alice", "fix date").ok());
  REQUIRE(CommitText(store.get(), Text(3), "bob", "").ok());
  auto h = store->History();
  REQUIRE(h.ok());
  REQUIRE(h->size() == 3);
  const struct {
    uint64_t id;
    std::string author, summary, text;
  } want[] = {{1, "import", "Imported Latest_plane_crash.html", Text(1)},
              {2, "alice", "fix date", Text(2)},
              {3, "bob", "", Text(3)}};
  for (size_t i = 0; i < 3; ++i) {
    CAPTURE(i);
    CHECK((*h)[i].id == want[i].id);
    CHECK((*h)[i].author == want[i].author);
    CHECK((*h)[i].summary == want[i].summary);
    CHECK((*h)[i].size == want[i].text.size());
    CHECK((*h)[i].hash == HashBytes(want[i].text));
    if (i > 0) CHECK((*h)[i].time_ms >= (*h)[i - 1].time_ms);
  }
}

TEST_CASE("A decide that returns an error aborts the commit with no change") {
  const Status aborts[] = {
      Status::PreconditionFailed("stale"), Status::Unprocessable("bad markup"),
      Status::NotFound("gone"), Status::InvalidArgument("x"),
      Status::NoSpace("pretend")};
  TempDir dir(kDirPrefix);
  auto store = Seed(dir, 3);
  const std::string log_before = Slurp(dir / "history.log");
  const auto revisions_before = Names(dir / "revisions");
  for (const Status& abort : aborts) {
    CAPTURE(abort.ToString());
    auto m = store->Commit(
        "x", "y", [&](const Revision& current, ArticleStore::Plan* plan) {
          CHECK(current.meta.id == 3);
          plan->text = "<p>must not be stored</p>\n";  // filled, then refused
          return abort;
        });
    CHECK_FALSE(m.ok());
    CHECK(m.status().code() == abort.code());
    CHECK(m.status().message() == abort.message());
    CHECK(Slurp(dir / "history.log") == log_before);
    CHECK(Names(dir / "revisions") == revisions_before);
    CHECK(Slurp(ArticlePath(dir)) == Text(3));
    CHECK(TempFiles(dir.path()).empty());
    auto cur = store->Current();
    REQUIRE(cur.ok());
    CHECK((*cur)->meta.id == 3);
  }
  // The next successful commit takes the next id: aborts used none.
  auto m = CommitText(store.get(), Text(4));
  REQUIRE(m.ok());
  CHECK(m->id == 4);
}

// Each row tampers with a closed data dir holding revisions 1..3 the way a
// crash (or a careless hand) could, then Open must restore revision 3 as
// current, article file included.
TEST_CASE("Open recovers: the last acknowledged revision wins") {
  struct Row {
    const char* name;
    std::function<void(const TempDir&)> tamper;
  };
  const std::string torn_record = [] {
    RevisionMeta m;
    m.id = 4;
    m.time_ms = 1;
    m.size = Text(4).size();
    m.hash = HashBytes(Text(4));
    m.author = "crash";
    std::string line = EncodeLogRecord(m);
    return line.substr(0, line.size() / 2);
  }();
  const Row rows[] = {
      {"nothing tampered", [](const TempDir&) {}},
      {"leftover temp files",
       [](const TempDir& d) {
         Spit(d / ".tmp-Latest_plane_crash.html-4242-0", "<p>half");
         Spit(d / "revisions/.tmp-4.html-4242-1", "<p>half");
         Spit(d / ".tmp-x", "");
       }},
      {"article overwritten with other bytes",
       [](const TempDir& d) { Spit(ArticlePath(d), "<p>garbage</p>\n"); }},
      {"article overwritten, same size",
       [](const TempDir& d) {
         std::string t = Text(3);
         t[5] = 'Z';
         Spit(ArticlePath(d), t);
       }},
      {"article deleted",
       [](const TempDir& d) {
         REQUIRE(::unlink(ArticlePath(d).c_str()) == 0);
       }},
      {"article truncated to empty",
       [](const TempDir& d) { Spit(ArticlePath(d), ""); }},
      {"torn last history line",
       [&](const TempDir& d) { Spit(d / "history.log", torn_record, true); }},
      {"crash between rename and commit point",
       [&](const TempDir& d) {
         Spit(d / "revisions/4.html", Text(4));
         Spit(ArticlePath(d), Text(4));
         Spit(d / "history.log", torn_record, true);
       }},
      {"crash before the record was written",
       [&](const TempDir& d) {
         Spit(d / "revisions/4.html", Text(4));
         Spit(ArticlePath(d), Text(4));
       }},
      {"revision files beyond the last record",
       [](const TempDir& d) {
         Spit(d / "revisions/4.html", Text(4));
         Spit(d / "revisions/17.html", "<p>?</p>");
       }},
      {"everything at once",
       [&](const TempDir& d) {
         Spit(d / "revisions/4.html", Text(4));
         Spit(d / "revisions/.tmp-5.html-1-1", "x");
         Spit(d / ".tmp-Latest_plane_crash.html-1-2", "x");
         REQUIRE(::unlink(ArticlePath(d).c_str()) == 0);
         Spit(d / "history.log", torn_record, true);
       }},
  };
  for (const Row& row : rows) {
    const std::string name = row.name;
    CAPTURE(name);
    TempDir dir(kDirPrefix);
    std::string log_before;
    {
      auto store = Seed(dir, 3);
      log_before = Slurp(dir / "history.log");
    }
    row.tamper(dir);
    auto store = OpenOrDie(dir);

    CHECK(TempFiles(dir.path()).empty());
    CHECK(TempFiles(dir / "revisions").empty());
    CHECK(Names(dir / "revisions") ==
          std::vector<std::string>{"1.html", "2.html", "3.html"});
    CHECK(Slurp(dir / "history.log") == log_before);
    CHECK(Slurp(ArticlePath(dir)) == Text(3));
    auto cur = store->Current();
    REQUIRE(cur.ok());
    CHECK((*cur)->meta.id == 3);
    CHECK((*cur)->text == Text(3));
    for (int i = 1; i <= 3; ++i) {
      auto rev = store->Get(static_cast<uint64_t>(i));
      REQUIRE(rev.ok());
      CHECK((*rev)->text == Text(i));
    }
    // Life goes on: the next commit is 4 and the log stays parseable.
    auto m = CommitText(store.get(), "<p>after recovery</p>\n");
    REQUIRE(m.ok());
    CHECK(m->id == 4);
    store.reset();
    store = OpenOrDie(dir);
    auto h = store->History();
    REQUIRE(h.ok());
    CHECK(h->size() == 4);
    auto four = store->Get(4);
    REQUIRE(four.ok());
    CHECK((*four)->text == "<p>after recovery</p>\n");
  }
}

// A writer that dies between a partial history append and its truncate
// (e.g. a short write on a full disk, then SIGKILL) leaves a torn tail while
// the other workers keep running; only a restart would drop it. The next
// commit must not append its record after those bytes: that glues both
// into one line that does not parse, and from then on every read, every
// commit and every Open fails with Corruption.
TEST_CASE(
    "A torn history tail left by a dead writer does not poison the next "
    "commit") {
  TempDir dir(kDirPrefix);
  auto store = Seed(dir, 2);
  auto other = OpenOrDie(dir);  // another worker, still running
  REQUIRE(other->Current().ok());
  Spit(dir / "history.log", "{\"author\":\"127.0.0.1\",\"fib\":5702887,\"fi",
       true);

  auto m = CommitText(store.get(), Text(3));
  INFO("commit: " << m.status().ToString());
  auto cur = store->Current();
  INFO("current: " << cur.status().ToString());
  REQUIRE(cur.ok());
  const uint64_t want = m.ok() ? 3 : 2;
  if (m.ok()) CHECK(m->id == 3);
  CHECK((*cur)->meta.id == want);
  auto seen_by_other = other->Current();
  REQUIRE(seen_by_other.ok());
  CHECK((*seen_by_other)->meta.id == want);
  other.reset();
  store.reset();
  auto reopened = ArticleStore::Open(dir.path(), kTitle);
  INFO("reopen: " << reopened.status().ToString());
  REQUIRE(reopened.ok());
  auto h = (*reopened)->History();
  REQUIRE(h.ok());
  CHECK(h->size() == want);
  CHECK(Slurp(ArticlePath(dir)) == Text(static_cast<int>(want)));
}

TEST_CASE("Open refuses a last revision file that does not match its record") {
  TempDir dir(kDirPrefix);
  { Seed(dir, 3); }
  Spit(dir / "revisions/3.html", "<p>bit rot</p>\n");
  auto store = ArticleStore::Open(dir.path(), kTitle);
  CHECK(store.status().code() == Status::Code::kCorruption);
  CHECK(Slurp(ArticlePath(dir)) == Text(3));  // nothing overwritten
}

TEST_CASE(
    "A running store serves the history's revision if the article file is "
    "hand-edited") {
  TempDir dir(kDirPrefix);
  auto store = Seed(dir, 3);
  REQUIRE(store->Current().ok());
  Spit(ArticlePath(dir), "<p>edited behind the server's back</p>\n");
  auto cur = store->Current();
  REQUIRE(cur.ok());
  CHECK((*cur)->meta.id == 3);
  CHECK((*cur)->text == Text(3));
}

// The commit point (the history append) fails after the article file was
// already replaced: RLIMIT_FSIZE lets the small revision and article files
// through but not the log record, which is written half. The commit must
// report the error and leave everything as it was.
TEST_CASE("A commit whose history append fails changes nothing") {
  TempDir dir(kDirPrefix);
  auto store = Seed(dir, 1);
  // Make the log much larger than the article text.
  for (int i = 0; i < 10; ++i) {
    REQUIRE(CommitText(store.get(), "<p>s" + std::to_string(i) + "</p>\n", "a",
                       std::string(400, 'S'))
                .ok());
  }
  const std::string log_before = Slurp(dir / "history.log");
  const std::string article_before = Slurp(ArticlePath(dir));
  const auto revisions_before = Names(dir / "revisions");
  REQUIRE(log_before.size() > 4000);

  struct rlimit saved;
  REQUIRE(::getrlimit(RLIMIT_FSIZE, &saved) == 0);
  ::signal(SIGXFSZ, SIG_IGN);
  struct rlimit lim = saved;
  lim.rlim_cur = log_before.size() + 100;  // half a record fits
  REQUIRE(::setrlimit(RLIMIT_FSIZE, &lim) == 0);
  auto m = CommitText(store.get(), "<p>never acknowledged</p>\n", "a",
                      std::string(400, 'F'));
  ::setrlimit(RLIMIT_FSIZE, &saved);

  CHECK_FALSE(m.ok());
  CHECK(m.status().code() == Status::Code::kIOError);  // EFBIG
  CHECK(Slurp(dir / "history.log") == log_before);
  CHECK(Slurp(ArticlePath(dir)) == article_before);
  CHECK(Names(dir / "revisions") == revisions_before);
  CHECK(TempFiles(dir.path()).empty());
  auto cur = store->Current();
  REQUIRE(cur.ok());
  CHECK((*cur)->meta.id == 11);
  CHECK((*cur)->text == article_before);

  auto next = CommitText(store.get(), "<p>next</p>\n");
  REQUIRE(next.ok());
  CHECK(next->id == 12);  // no gap, no reuse
  store.reset();
  store = OpenOrDie(dir);
  auto h = store->History();
  REQUIRE(h.ok());
  CHECK(h->size() == 12);
}

TEST_CASE("A commit on a full disk is NoSpace and changes nothing" *
          doctest::skip(::geteuid() != 0)) {
  TempDir dir(kDirPrefix);
  REQUIRE(::mount("tmpfs", dir.path().c_str(), "tmpfs", 0, "size=256k") == 0);
  struct Unmount {
    std::string path;
    ~Unmount() { ::umount2(path.c_str(), MNT_DETACH); }
  } unmount{dir.path()};
  auto store = Seed(dir, 2);
  // Fill what is left.
  {
    std::ofstream fill(dir / "fill", std::ios::binary);
    std::string block(4096, 'f');
    while (fill.write(block.data(), block.size())) {
    }
  }
  const std::string log_before = Slurp(dir / "history.log");
  auto m = CommitText(store.get(), std::string(20000, 'y'));
  CHECK(m.status().code() == Status::Code::kNoSpace);
  CHECK(Slurp(dir / "history.log") == log_before);
  CHECK(Slurp(ArticlePath(dir)) == Text(2));
  CHECK(Names(dir / "revisions") ==
        std::vector<std::string>{"1.html", "2.html"});
  CHECK_FALSE(Exists(dir / "revisions/3.html"));
  CHECK(TempFiles(dir.path()).empty());
  auto cur = store->Current();
  REQUIRE(cur.ok());
  CHECK((*cur)->meta.id == 2);

  REQUIRE(::unlink((dir / "fill").c_str()) == 0);
  auto ok = CommitText(store.get(), std::string(20000, 'y'));
  REQUIRE(ok.ok());
  CHECK(ok->id == 3);
}

TEST_CASE("Two stores on one directory see each other's commits") {
  TempDir dir(kDirPrefix);
  auto a = Seed(dir, 1);
  auto b = OpenOrDie(dir);
  REQUIRE(a->Current().ok());
  REQUIRE(b->Current().ok());  // both have a cached current revision now

  // Alternate writers; each decide must see the other's latest revision.
  for (int i = 2; i <= 7; ++i) {
    CAPTURE(i);
    ArticleStore* writer = i % 2 ? a.get() : b.get();
    ArticleStore* other = i % 2 ? b.get() : a.get();
    uint64_t seen = 0;
    auto m = writer->Commit("w", "",
                            [&](const Revision& cur, ArticleStore::Plan* p) {
                              seen = cur.meta.id;
                              p->text = Text(i);
                              return Status::OK();
                            });
    REQUIRE(m.ok());
    CHECK(seen == static_cast<uint64_t>(i - 1));
    CHECK(m->id == static_cast<uint64_t>(i));
    auto cur = other->Current();
    REQUIRE(cur.ok());
    CHECK((*cur)->meta.id == static_cast<uint64_t>(i));
    CHECK((*cur)->text == Text(i));
    auto h = other->History();
    REQUIRE(h.ok());
    CHECK(h->size() == static_cast<size_t>(i));
    auto old = other->Get(static_cast<uint64_t>(i - 1));
    REQUIRE(old.ok());
    CHECK((*old)->text == Text(i - 1));
  }
}

TEST_CASE("Concurrent commits from two stores get unique, contiguous ids") {
  TempDir dir(kDirPrefix);
  auto a = Seed(dir, 1);
  auto b = OpenOrDie(dir);
  const int kThreadsPerStore = 3, kCommits = 6;
  std::mutex mu;
  std::vector<uint64_t> ids;
  std::atomic<int> failures{0}, torn_reads{0};
  std::atomic<bool> stop{false};
  // A reader on each store: current text always matches its metadata.
  auto reader = [&](ArticleStore* s) {
    while (!stop) {
      auto cur = s->Current();
      if (!cur.ok() || HashBytes((*cur)->text) != (*cur)->meta.hash)
        ++torn_reads;
    }
  };
  std::thread ra(reader, a.get()), rb(reader, b.get());
  std::vector<std::thread> threads;
  for (int t = 0; t < 2 * kThreadsPerStore; ++t) {
    ArticleStore* s = t % 2 ? a.get() : b.get();
    threads.emplace_back([&, s, t] {
      for (int i = 0; i < kCommits; ++i) {
        auto m =
            s->Commit("t", "", [&](const Revision& cur, ArticleStore::Plan* p) {
              // Read-modify-write: the new text builds on the current one.
              p->text = cur.text + "<p>t" + std::to_string(t) + "i" +
                        std::to_string(i) + "</p>\n";
              return Status::OK();
            });
        if (!m.ok()) {
          ++failures;
          continue;
        }
        std::lock_guard<std::mutex> guard(mu);
        ids.push_back(m->id);
      }
    });
  }
  for (auto& t : threads) t.join();
  stop = true;
  ra.join();
  rb.join();
  CHECK(failures == 0);
  CHECK(torn_reads == 0);
  const size_t n = 2 * kThreadsPerStore * kCommits;
  REQUIRE(ids.size() == n);
  std::sort(ids.begin(), ids.end());
  for (size_t i = 0; i < n; ++i) CHECK(ids[i] == i + 2);
  // No lost update: every appended paragraph is in the final text.
  auto cur = a->Current();
  REQUIRE(cur.ok());
  CHECK((*cur)->meta.id == n + 1);
  for (int t = 0; t < 2 * kThreadsPerStore; ++t) {
    for (int i = 0; i < kCommits; ++i) {
      std::string p =
          "<p>t" + std::to_string(t) + "i" + std::to_string(i) + "</p>\n";
      CHECK((*cur)->text.find(p) != std::string::npos);
    }
  }
}

// --- Packing old revisions (revision_pack.h) ---

StoreOptions SmallPacks() {
  StoreOptions o;
  o.plain_revisions = 3;
  o.pack_revisions = 4;
  return o;
}

std::unique_ptr<ArticleStore> OpenPacked(const TempDir& dir) {
  auto store = ArticleStore::Open(dir.path(), kTitle, SmallPacks());
  INFO(store.status().ToString());
  REQUIRE(store.ok());
  return std::move(*store);
}

// Every revision 1..n is byte-exact, the current one is n.
void CheckAll(ArticleStore* store, int n) {
  for (int id = 1; id <= n; ++id) {
    CAPTURE(id);
    auto rev = store->Get(static_cast<uint64_t>(id));
    INFO(rev.status().ToString());
    REQUIRE(rev.ok());
    CHECK((*rev)->text == Text(id));
    CHECK((*rev)->meta.id == static_cast<uint64_t>(id));
  }
  auto cur = store->Current();
  REQUIRE(cur.ok());
  CHECK((*cur)->meta.id == static_cast<uint64_t>(n));
}

TEST_CASE("PackOld packs whole runs below the plain window; Get is exact") {
  TempDir dir(kDirPrefix);
  Spit(ArticlePath(dir), Text(1));
  auto store = OpenPacked(dir);
  struct Step {
    int commits_to;                  // revisions after committing
    uint64_t new_packs;              // packs PackOld writes then
    std::vector<std::string> packs;  // packs/ afterwards
  };
  // 3 plain, 4 to a pack: 1-4 is packed once 7 revisions exist.
  const std::vector<Step> steps = {
      {6, 0, {}},
      {7, 1, {"1-4.pack"}},
      {10, 0, {"1-4.pack"}},
      {15, 2, {"1-4.pack", "5-8.pack", "9-12.pack"}},
  };
  int n = 1;
  for (const Step& step : steps) {
    CAPTURE(step.commits_to);
    for (; n < step.commits_to;)
      REQUIRE(CommitText(store.get(), Text(++n)).ok());
    auto stats = store->PackOld();
    INFO(stats.status().ToString());
    REQUIRE(stats.ok());
    CHECK(stats->packs == step.new_packs);
    CHECK(stats->revisions == step.new_packs * 4);
    auto packs = Names(dir / "packs");
    std::sort(packs.begin(), packs.end());
    auto want = step.packs;
    std::sort(want.begin(), want.end());
    CHECK(packs == want);
    CheckAll(store.get(), n);
  }
  // Packed revisions have no plain file; the newest do.
  CHECK_FALSE(Exists(dir / "revisions/1.html"));
  CHECK_FALSE(Exists(dir / "revisions/12.html"));
  CHECK(Exists(dir / "revisions/13.html"));
  CHECK(Exists(dir / "revisions/15.html"));
  CHECK(store->Get(16).status().code() == Status::Code::kNotFound);
  CHECK(store->Get(0).status().code() == Status::Code::kNotFound);

  // After a reopen (a new process), and from a second store that did not
  // see the packing happen.
  store.reset();
  auto again = OpenPacked(dir);
  CheckAll(again.get(), 15);
  CHECK(TempFiles(dir / "packs").empty());
}

TEST_CASE(
    "A store that cached the plain files still reads what another packed") {
  TempDir dir(kDirPrefix);
  auto writer = Seed(dir, 2);
  auto reader = OpenPacked(dir);  // knows of no pack
  auto packer = OpenPacked(dir);
  for (int i = 3; i <= 9; ++i) REQUIRE(CommitText(writer.get(), Text(i)).ok());
  REQUIRE(packer->PackOld().ok());
  CHECK(Exists(dir / "packs/1-4.pack"));
  CheckAll(reader.get(), 9);
}

TEST_CASE("Recovery after a crash in the middle of packing") {
  // Each case starts from 11 revisions with 1-4 and 5-8 packed, then
  // tampers with the data dir as a crash (or damage) would leave it.
  struct Case {
    const char* name;
    std::function<void(const TempDir&, const std::string& plain_copy)> crash;
    bool pack_5_8_survives;
  };
  const std::vector<Case> cases = {
      {"temp pack left over",
       [](const TempDir& d, const std::string&) {
         Spit(d / "packs/.tmp-9-12.pack-123-0", "half a pack");
       },
       true},
      {"pack durable, no plain file removed yet",
       [](const TempDir& d, const std::string& copy) {
         for (int id = 5; id <= 8; ++id)
           Spit(d / ("revisions/" + std::to_string(id) + ".html"),
                Slurp(copy + "/" + std::to_string(id) + ".html"));
       },
       true},
      {"pack durable, half the plain files removed",
       [](const TempDir& d, const std::string& copy) {
         for (int id = 7; id <= 8; ++id)
           Spit(d / ("revisions/" + std::to_string(id) + ".html"),
                Slurp(copy + "/" + std::to_string(id) + ".html"));
       },
       true},
      {"damaged pack, every plain file still there",
       [](const TempDir& d, const std::string& copy) {
         for (int id = 5; id <= 8; ++id)
           Spit(d / ("revisions/" + std::to_string(id) + ".html"),
                Slurp(copy + "/" + std::to_string(id) + ".html"));
         std::string pack = Slurp(d / "packs/5-8.pack");
         pack[pack.size() / 2] ^= 1;
         Spit(d / "packs/5-8.pack", pack);
       },
       false},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    TempDir dir(kDirPrefix);
    TempDir copy(kDirPrefix);
    Spit(ArticlePath(dir), Text(1));
    {
      auto store = OpenPacked(dir);
      for (int i = 2; i <= 11; ++i)
        REQUIRE(CommitText(store.get(), Text(i)).ok());
      for (int id = 1; id <= 8; ++id)
        Spit(copy / (std::to_string(id) + ".html"), Text(id));
      REQUIRE(store->PackOld().ok());
      REQUIRE(Exists(dir / "packs/5-8.pack"));
    }
    c.crash(dir, copy.path());
    auto store = OpenPacked(dir);
    CheckAll(store.get(), 11);
    CHECK(TempFiles(dir / "packs").empty());
    CHECK(Exists(dir / "packs/5-8.pack") == c.pack_5_8_survives);
    for (int id = 5; id <= 8; ++id)
      CHECK(Exists(dir / ("revisions/" + std::to_string(id) + ".html")) !=
            c.pack_5_8_survives);
    // And packing carries on from there.
    REQUIRE(CommitText(store.get(), Text(12)).ok());
    REQUIRE(store->PackOld().ok());
    CheckAll(store.get(), 12);
  }
}

TEST_CASE("A damaged pack without its plain files: Open or Get says so") {
  TempDir dir(kDirPrefix);
  Spit(ArticlePath(dir), Text(1));
  {
    auto store = OpenPacked(dir);
    for (int i = 2; i <= 8; ++i) REQUIRE(CommitText(store.get(), Text(i)).ok());
    REQUIRE(store->PackOld().ok());
  }
  std::string pack = Slurp(dir / "packs/1-4.pack");
  SUBCASE("a flipped byte: the revision is Corruption, the others fine") {
    pack[pack.size() / 3] ^= 0x40;
    Spit(dir / "packs/1-4.pack", pack);
    auto store = OpenPacked(dir);
    bool any_bad = false;
    for (uint64_t id = 1; id <= 4; ++id) {
      auto rev = store->Get(id);
      if (rev.ok()) {
        CHECK((*rev)->text == Text(static_cast<int>(id)));
      } else {
        any_bad = true;
        CHECK(rev.status().code() == Status::Code::kCorruption);
      }
    }
    CHECK(any_bad);
    for (uint64_t id = 5; id <= 8; ++id) CHECK(store->Get(id).ok());
  }
  SUBCASE("a leftover plain file beside a damaged pack: Open refuses") {
    pack[10] ^= 0x40;
    Spit(dir / "packs/1-4.pack", pack);
    Spit(dir / "revisions/4.html", Text(4));
    auto store = ArticleStore::Open(dir.path(), kTitle, SmallPacks());
    CHECK(store.status().code() == Status::Code::kCorruption);
  }
}

}  // namespace
}  // namespace wiki
