// Unit tests of the shared generation (generation.h) and of how the article
// store uses it (article_store.h): the counter itself (creation, racing
// creators, files it refuses), then stores on one data dir as worker
// processes would have them: a commit in one reaches the others with no
// stat, a revision nobody announced stays cached until the recheck (which
// proves no stat was made) and is then announced, a commit held after its
// rename or between its commit point and its announcement (a worker killed
// there) is handled (by the recheck in the second case), and a store
// without a usable counter stats on every read.
#include "generation.h"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <atomic>
#include <condition_variable>
#include <cstring>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "article_store.h"
#include "fault.h"
#include "fs_posix.h"
#include "revision.h"
#include "test_util.h"

namespace wiki {
namespace {

using testing::Slurp;
using testing::Spit;
using testing::TempDir;
using testing::TempFiles;

constexpr char kDirPrefix[] = "wiki-gen-test";
constexpr char kTitle[] = "Latest_plane_crash";

std::unique_ptr<Generation> OpenGen(const std::string& path) {
  auto g = Generation::Open(path);
  INFO(g.status().ToString());
  REQUIRE(g.ok());
  return std::move(*g);
}

TEST_CASE("generation: a new file starts at 1 and every mapping shares it") {
  TempDir dir(kDirPrefix);
  const std::string path = dir / ".generation";
  auto a = OpenGen(path);
  auto b = OpenGen(path);  // maps the file a created
  CHECK(a->Load() == 1);
  CHECK(b->Bump() == 2);
  CHECK(a->Load() == 2);
  CHECK_FALSE(a->BumpFrom(1));  // someone moved it since: no second bump
  CHECK(a->Load() == 2);
  CHECK(a->BumpFrom(2));
  CHECK(b->Load() == 3);
  a.reset();
  CHECK(b->Bump() == 4);  // b's mapping outlives a's
  CHECK(OpenGen(path)->Load() == 4);
  struct stat st;
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK(st.st_size == 64);
  CHECK(TempFiles(dir.path()).empty());
}

TEST_CASE("generation: racing creators all map the one file") {
  TempDir dir(kDirPrefix);
  const std::string path = dir / ".generation";
  constexpr int kThreads = 8;
  std::atomic<int> ready{0}, failures{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      ready.fetch_add(1);
      while (ready.load() < kThreads) std::this_thread::yield();
      auto g = Generation::Open(path);
      if (!g.ok()) {
        failures.fetch_add(1);
        return;
      }
      (*g)->Bump();
    });
  }
  for (auto& t : threads) t.join();
  CHECK(failures.load() == 0);
  // Had two creators each linked a file of their own, some bumps would be
  // in a file nobody can open any more.
  CHECK(OpenGen(path)->Load() == 1 + kThreads);
  CHECK(TempFiles(dir.path()).empty());
}

// A valid file's 16 header bytes with another version.
std::string Header(uint32_t version) {
  std::string h(64, '\0');
  std::memcpy(h.data(), "wikigen1", 8);
  const uint32_t size = 64;
  std::memcpy(h.data() + 8, &version, 4);
  std::memcpy(h.data() + 12, &size, 4);
  h[16] = 1;
  return h;
}

TEST_CASE("generation: a file it cannot use is refused and left as it was") {
  struct Row {
    const char* name;
    std::string content;   // what is at the path (unless `dir`/`missing`)
    bool dir = false;      // the path is a directory
    bool missing = false;  // the path's directory does not exist
    Status::Code code;
  };
  const std::vector<Row> rows = {
      {"empty file", "", false, false, Status::Code::kCorruption},
      {"too short", "wik", false, false, Status::Code::kCorruption},
      {"another magic", std::string(64, 'x'), false, false,
       Status::Code::kCorruption},
      {"another version", Header(Generation::kVersion + 1), false, false,
       Status::Code::kCorruption},
      {"a directory", "", true, false, Status::Code::kIOError},
      {"no such directory", "", false, true, Status::Code::kNotFound},
  };
  for (const Row& row : rows) {
    CAPTURE(row.name);
    TempDir dir(kDirPrefix);
    std::string path = dir / ".generation";
    if (row.missing) {
      path = dir / "nowhere/.generation";
    } else if (row.dir) {
      REQUIRE(::mkdir(path.c_str(), 0755) == 0);
    } else {
      Spit(path, row.content);
    }
    auto g = Generation::Open(path);
    CHECK_FALSE(g.ok());
    CHECK(g.status().code() == row.code);
    if (!row.dir && !row.missing) CHECK(Slurp(path) == row.content);
    CHECK(TempFiles(dir.path()).empty());
  }
  // The control row: a valid header of this version maps.
  TempDir dir(kDirPrefix);
  Spit(dir / ".generation", Header(Generation::kVersion));
  CHECK(OpenGen(dir / ".generation")->Load() == 1);
}

// --- The article store on a shared generation --------------------------

std::string Text(int n) {
  return "<p>Revision " + std::to_string(n) + "</p>\n" +
         std::string(static_cast<size_t>(n) * 53, 'g') + "\n";
}

std::unique_ptr<ArticleStore> OpenStore(const TempDir& dir,
                                        const StoreOptions& options = {}) {
  auto store = ArticleStore::Open(dir.path(), kTitle, options);
  INFO(store.status().ToString());
  REQUIRE(store.ok());
  return std::move(*store);
}

uint64_t CurrentId(ArticleStore* store) {
  auto cur = store->Current();
  INFO(cur.status().ToString());
  REQUIRE(cur.ok());
  return (*cur)->meta.id;
}

Result<RevisionMeta> CommitText(ArticleStore* store, const std::string& text) {
  return store->Commit("tester", "",
                       [&](const Revision&, ArticleStore::Plan* plan) {
                         plan->text = text;
                         return Status::OK();
                       });
}

// Revision `id` written as Commit writes it, but by nobody who announces
// it: a tool that does not bump, or a hand edit.
void WriteUnannounced(const TempDir& dir, uint64_t id,
                      const std::string& text) {
  RevisionMeta m;
  m.id = id;
  m.time_ms = NowMs();
  m.size = text.size();
  m.hash = HashBytes(text);
  m.author = "by hand";
  REQUIRE(
      WriteFileAtomically(dir / "revisions", std::to_string(id) + ".html", text)
          .ok());
  REQUIRE(WriteFileAtomically(dir.path(), std::string(kTitle) + ".html", text)
              .ok());
  REQUIRE(AppendDurably(dir / "history.log", EncodeLogRecord(m)).ok());
}

TEST_CASE(
    "generation: a commit in one store reaches the others, no stat "
    "while nothing changes") {
  TempDir dir(kDirPrefix);
  Spit(dir / (std::string(kTitle) + ".html"), Text(1));
  auto a = OpenStore(dir);
  auto b = OpenStore(dir);
  REQUIRE(a->has_generation());
  REQUIRE(b->has_generation());
  REQUIRE(CurrentId(b.get()) == 1);

  for (int i = 2; i <= 5; ++i) {
    CAPTURE(i);
    ArticleStore* writer = i % 2 ? b.get() : a.get();
    ArticleStore* reader = i % 2 ? a.get() : b.get();
    CurrentId(reader);  // loaded before the commit
    const uint64_t writer_stats = writer->article_stats();
    REQUIRE(CommitText(writer, Text(i)).ok());
    CHECK(CurrentId(writer) == static_cast<uint64_t>(i));
    CHECK(writer->article_stats() == writer_stats);  // it installed its own

    const uint64_t before = reader->article_stats();
    auto cur = reader->Current();
    REQUIRE(cur.ok());
    CHECK((*cur)->meta.id == static_cast<uint64_t>(i));
    CHECK((*cur)->text == Text(i));
    CHECK(reader->article_stats() == before + 1);  // the bump sent it to disk
    // ... and only that once: reads, history pages and old revisions.
    for (int k = 0; k < 100; ++k) CHECK(CurrentId(reader) == uint64_t(i));
    auto page = reader->History(0, 10);
    REQUIRE(page.ok());
    CHECK(page->latest == static_cast<uint64_t>(i));
    auto old = reader->Get(1);
    REQUIRE(old.ok());
    CHECK((*old)->text == Text(1));
    CHECK(reader->article_stats() == before + 1);
  }
}

TEST_CASE("generation: Open announces (recovery may have rewritten files)") {
  TempDir dir(kDirPrefix);
  Spit(dir / (std::string(kTitle) + ".html"), Text(1));
  auto a = OpenStore(dir);
  CurrentId(a.get());
  const uint64_t before = a->article_stats();
  CurrentId(a.get());
  CHECK(a->article_stats() == before);
  auto b = OpenStore(dir);  // another worker starts
  CHECK(CurrentId(a.get()) == 1);
  CHECK(a->article_stats() == before + 1);
}

TEST_CASE(
    "generation: a revision nobody announced is served from the cache "
    "until a recheck finds and announces it") {
  TempDir dir(kDirPrefix);
  Spit(dir / (std::string(kTitle) + ".html"), Text(1));
  auto a = OpenStore(dir);
  auto b = OpenStore(dir);
  auto c = OpenStore(dir);
  for (ArticleStore* s : {a.get(), b.get(), c.get()}) {
    REQUIRE(CurrentId(s) == 1);
  }
  // Nothing changed: a recheck stats and leaves the generation alone.
  const uint64_t c_stats = c->article_stats();
  auto nothing = b->Recheck();
  REQUIRE(nothing.ok());
  CHECK_FALSE(*nothing);
  CHECK(CurrentId(c.get()) == 1);
  CHECK(c->article_stats() == c_stats);

  WriteUnannounced(dir, 2, Text(2));
  // Revision 2 is on disk; a store that looked at the disk would serve it.
  // Serving revision 1 shows that no stat was made.
  const uint64_t b_stats = b->article_stats();
  CHECK(CurrentId(b.get()) == 1);
  CHECK(CurrentId(c.get()) == 1);
  CHECK(b->article_stats() == b_stats);

  auto found = b->Recheck();  // the periodic check
  REQUIRE(found.ok());
  CHECK(*found);
  CHECK(CurrentId(b.get()) == 2);
  CHECK(CurrentId(c.get()) == 2);  // announced to the others
  // a's cache no longer claims the generation: its recheck does not bump
  // again, and its next read goes to the disk anyway.
  auto again = a->Recheck();
  REQUIRE(again.ok());
  CHECK_FALSE(*again);
  auto cur = a->Current();
  REQUIRE(cur.ok());
  CHECK((*cur)->meta.id == 2);
  CHECK((*cur)->text == Text(2));
}

// The fault hook (fault.h) holds the committing thread after a step of
// Commit until the test releases it: to every other store, a worker killed
// there (after its history record: between its commit point and its
// announcement).
struct Hold {
  const char* step = "";
  std::mutex mu;
  std::condition_variable cv;
  bool reached = false;
  bool released = false;
};
Hold* g_hold = nullptr;

void HoldAtStep(const char* step) {
  if (std::strcmp(step, g_hold->step) != 0) return;
  std::unique_lock<std::mutex> lk(g_hold->mu);
  g_hold->reached = true;
  g_hold->cv.notify_all();
  g_hold->cv.wait(lk, [] { return g_hold->released; });
}

TEST_CASE(
    "generation: a commit held at a step, as a killed worker would "
    "leave it; the recheck finds what is committed") {
  struct Row {
    const char* step;
    bool committed;  // past the commit point: the recheck must announce it
  };
  for (const Row& row : std::vector<Row>{{kFaultArticleFile, false},
                                         {kFaultHistoryRecord, true}}) {
    CAPTURE(row.step);
    TempDir dir(kDirPrefix);
    Spit(dir / (std::string(kTitle) + ".html"), Text(1));
    auto a = OpenStore(dir);
    auto b = OpenStore(dir);
    auto c = OpenStore(dir);
    REQUIRE(CurrentId(b.get()) == 1);
    REQUIRE(CurrentId(c.get()) == 1);

    Hold hold;
    hold.step = row.step;
    g_hold = &hold;
    SetFaultHookForTest(&HoldAtStep);
    Result<RevisionMeta> committed = Status::IOError("not run");
    std::thread writer([&] { committed = CommitText(a.get(), Text(2)); });
    {
      std::unique_lock<std::mutex> lk(hold.mu);
      hold.cv.wait(lk, [&] { return hold.reached; });
    }
    // Held: the article file is renamed, the record is durable or not, and
    // nothing is announced yet.
    CHECK(CurrentId(b.get()) == 1);
    CHECK(CurrentId(c.get()) == 1);
    // The periodic check looks at the disk: a new article file without its
    // record is not a revision; with its record it is, and is announced.
    auto found = b->Recheck();
    REQUIRE(found.ok());
    CHECK(*found == row.committed);
    const uint64_t held = row.committed ? 2 : 1;
    CHECK(CurrentId(c.get()) == held);
    CHECK(CurrentId(b.get()) == held);

    {
      std::lock_guard<std::mutex> lk(hold.mu);
      hold.released = true;
    }
    hold.cv.notify_all();
    writer.join();
    SetFaultHookForTest(nullptr);
    g_hold = nullptr;
    REQUIRE(committed.ok());
    CHECK(committed->id == 2);
    // The writer's announcement comes after its record: b, which looked at
    // the disk while the record was missing (article-file row), goes back.
    for (ArticleStore* s : {a.get(), b.get(), c.get()}) {
      CHECK(CurrentId(s) == 2);
    }
    REQUIRE(CommitText(c.get(), Text(3)).ok());
    for (ArticleStore* s : {a.get(), b.get(), c.get()}) {
      CHECK(CurrentId(s) == 3);
    }
  }
}

TEST_CASE(
    "generation: without a usable counter every read stats, and sees "
    "every change at once") {
  struct Row {
    const char* name;
    std::function<std::string(const TempDir&)> path;  // generation_file
  };
  const std::vector<Row> rows = {
      {"off", [](const TempDir&) { return std::string("off"); }},
      {"no such directory",
       [](const TempDir& d) { return d / "nowhere/.generation"; }},
      {"a directory",
       [](const TempDir& d) {
         REQUIRE(::mkdir((d / "gen-dir").c_str(), 0755) == 0);
         return d / "gen-dir";
       }},
      {"another version's file",
       [](const TempDir& d) {
         Spit(d / ".generation", Header(Generation::kVersion + 1));
         return d / ".generation";
       }},
  };
  for (const Row& row : rows) {
    CAPTURE(row.name);
    TempDir dir(kDirPrefix);
    Spit(dir / (std::string(kTitle) + ".html"), Text(1));
    StoreOptions options;
    options.generation_file = row.path(dir);
    auto a = OpenStore(dir, options);
    auto b = OpenStore(dir, options);
    CHECK_FALSE(b->has_generation());
    const uint64_t before = b->article_stats();
    for (int k = 0; k < 3; ++k) CHECK(CurrentId(b.get()) == 1);
    CHECK(b->article_stats() == before + 3);
    REQUIRE(CommitText(a.get(), Text(2)).ok());
    CHECK(CurrentId(b.get()) == 2);
    WriteUnannounced(dir, 3, Text(3));
    CHECK(CurrentId(b.get()) == 3);  // no recheck needed: it stats anyway
    auto r = b->Recheck();
    REQUIRE(r.ok());
    CHECK_FALSE(*r);
  }
}

}  // namespace
}  // namespace wiki
