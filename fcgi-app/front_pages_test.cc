// Unit tests of FrontPages (the published directories and the `current`
// symlink) and FrontCache (publishing at start, after commits, per-request
// mode). Temp dirs under /tmp.
#include "front_pages.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "article_store.h"
#include "front_cache.h"
#include "metrics.h"
#include "test_util.h"

namespace wiki {
namespace {

using testing::Exists;
using testing::Names;
using testing::Slurp;
using testing::Spit;
using testing::TempDir;

RevisionMeta Meta(uint64_t id, uint64_t hash) {
  RevisionMeta m;
  m.id = id;
  m.hash = hash;
  m.time_ms = 1700000000123LL + static_cast<int64_t>(id) * 1000;
  return m;
}

// A source returning revision `*id` with recognisable bytes.
FrontPages::Source SourceOf(const uint64_t* id) {
  return [id]() -> Result<FrontPages::Snapshot> {
    auto texts = std::make_shared<std::vector<std::string>>();
    for (const char* k :
         {"page", "pagegz", "pagebr", "raw", "rawgz", "rawbr"}) {
      texts->push_back(std::string(k) + " of " + std::to_string(*id));
    }
    FrontPages::Snapshot s;
    s.meta = Meta(*id, 0xabc0 + *id);
    s.fib = 55;
    for (size_t i = 0; i < FrontPages::kFileCount; ++i)
      s.files[i] = (*texts)[i];
    s.keep = texts;
    return s;
  };
}

TEST_CASE("FrontPages: names carry id, hash and massaged value") {
  RevisionMeta m = Meta(42, 0x1234);
  CHECK(FrontPages::DirName(m, 5702887) == "42-0000000000001234-5702887");
  CHECK(FrontPages::IdOf("42-0000000000001234-5702887") == 42);
  for (const char* bad : {"off", "", "current", "42", "42-1234-5", ".tmp-42",
                          "x-0000000000001234-1", "42-000000000000123g-1",
                          "42-0000000000001234-"}) {
    CAPTURE(bad);
    CHECK(FrontPages::IdOf(bad) == 0);
  }
}

TEST_CASE("FrontPages: Init, Sync, Disable") {
  TempDir tmp("wiki-front-test");
  FrontPages front(tmp / "pages");
  REQUIRE(front.Init().ok());
  CHECK(front.CurrentName() == "off");
  CHECK(front.Init().ok());  // idempotent

  uint64_t id = 3;
  std::string published;
  REQUIRE(front.Sync(SourceOf(&id), &published).ok());
  const std::string name = FrontPages::DirName(Meta(3, 0xabc3), 55);
  CHECK(published == name);
  CHECK(front.CurrentName() == name);
  const std::string dir = tmp / "pages/current";
  CHECK(Slurp(dir + "/p") == "page of 3");
  CHECK(Slurp(dir + "/p-gz") == "pagegz of 3");
  CHECK(Slurp(dir + "/r") == "raw of 3");
  CHECK(Slurp(dir + "/r-gz") == "rawgz of 3");
  CHECK(Slurp(dir + "/p-br") == "pagebr of 3");
  CHECK(Slurp(dir + "/r-br") == "rawbr of 3");
  struct stat st;
  REQUIRE(::stat((dir + "/r").c_str(), &st) == 0);
  CHECK(st.st_mtime == Meta(3, 0).time_ms / 1000);  // Last-Modified
  CHECK((st.st_mode & 0777) == 0644);               // nginx's workers read it

  // Nothing changed: nothing rewritten.
  REQUIRE(::utimensat(AT_FDCWD, (dir + "/p").c_str(), nullptr, 0) == 0);
  REQUIRE(front.Sync(SourceOf(&id)).ok());
  REQUIRE(::stat((dir + "/p").c_str(), &st) == 0);
  CHECK(st.st_mtime != Meta(3, 0).time_ms / 1000);

  // A file cut short (a crash; nothing is fsynced): written again.
  Spit(tmp / ("pages/" + name + "/p-gz"), "pagegz");
  REQUIRE(front.Sync(SourceOf(&id)).ok());
  CHECK(Slurp(dir + "/p-gz") == "pagegz of 3");
  // ... the brotli file missing too.
  REQUIRE(::unlink((tmp / ("pages/" + name + "/r-br")).c_str()) == 0);
  REQUIRE(front.Sync(SourceOf(&id)).ok());
  CHECK(Slurp(dir + "/r-br") == "rawbr of 3");
  // The directory deleted under the link: written again.
  for (const FrontPages::File& f : FrontPages::kFiles) {
    REQUIRE(::unlink((tmp / ("pages/" + name + "/" + f.name)).c_str()) == 0);
  }
  REQUIRE(::rmdir((tmp / ("pages/" + name)).c_str()) == 0);
  REQUIRE(front.Sync(SourceOf(&id)).ok());
  CHECK(Slurp(dir + "/p") == "page of 3");

  REQUIRE(front.Disable().ok());
  CHECK(front.CurrentName() == "off");
  id = 4;
  REQUIRE(front.Sync(SourceOf(&id)).ok());
  CHECK(Slurp(dir + "/p") == "page of 4");

  // A failing source changes nothing.
  FrontPages::Source failing = []() -> Result<FrontPages::Snapshot> {
    return Status::IOError("no");
  };
  CHECK_FALSE(front.Sync(failing).ok());
  CHECK(Slurp(dir + "/p") == "page of 4");
  // No temporary names left behind.
  for (const std::string& n : Names(tmp / "pages")) {
    CAPTURE(n);
    if (n[0] == '.') CHECK(n == ".lock");
  }
}

TEST_CASE("FrontPages: the store's current revision wins, old dirs go") {
  TempDir tmp("wiki-front-test");
  FrontPages front(tmp / "pages");
  REQUIRE(front.Init().ok());
  uint64_t id = 0;
  for (id = 1; id <= 40; ++id) REQUIRE(front.Sync(SourceOf(&id)).ok());
  id = 40;
  // Kept: the current one and kKeepRevisions behind it; leftovers of an
  // interrupted publisher are removed.
  size_t revisions = 0;
  for (const std::string& n : Names(tmp / "pages")) {
    const uint64_t rid = FrontPages::IdOf(n);
    if (rid == 0) continue;
    ++revisions;
    CHECK(rid + FrontPages::kKeepRevisions >= 40);
  }
  CHECK(revisions == FrontPages::kKeepRevisions + 1);
  REQUIRE(::mkdir((tmp / "pages/.tmp-9-x").c_str(), 0755) == 0);
  Spit(tmp / "pages/.tmp-9-x/p", "torn");
  // A data dir replaced under an old pages/: its current revision is
  // published even though the link names a higher id.
  id = 2;
  REQUIRE(front.Sync(SourceOf(&id)).ok());
  CHECK(front.CurrentName() == FrontPages::DirName(Meta(2, 0xabc2), 55));
  CHECK_FALSE(Exists(tmp / "pages/.tmp-9-x"));
  CHECK_FALSE(Exists(
      tmp / ("pages/" + FrontPages::DirName(Meta(40, 0xabc0 + 40), 55))));
}

TEST_CASE("FrontPages: concurrent publishers leave the newest revision") {
  TempDir tmp("wiki-front-test");
  FrontPages front(tmp / "pages");
  REQUIRE(front.Init().ok());
  std::atomic<uint64_t> store_current{0};
  // Each thread "commits" (advances the store) and then publishes; whatever
  // the interleaving, the link must end at the last commit and never move
  // backwards in between.
  FrontPages::Source source = [&]() -> Result<FrontPages::Snapshot> {
    uint64_t id = store_current.load();
    return SourceOf(&id)();
  };
  std::atomic<bool> backwards{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      FrontPages mine(tmp / "pages");
      for (int i = 0; i < 25; ++i) {
        const uint64_t committed = ++store_current;
        REQUIRE(mine.Sync(source).ok());
        if (FrontPages::IdOf(mine.CurrentName()) < committed) backwards = true;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK_FALSE(backwards.load());
  CHECK(FrontPages::IdOf(front.CurrentName()) == 100);
}

TEST_CASE("FrontCache: publishes at start and after each commit") {
  TempDir tmp("wiki-front-test");
  Spit(tmp / "Latest_plane_crash.html", "<p>one</p>\n");
  auto store = ArticleStore::Open(tmp.path(), "Latest_plane_crash");
  REQUIRE(store.ok());
  Config config;
  config.data_dir = tmp.path();
  config.fib_n = 10;
  Massager massager(config.massage, config.fib_n, 0);
  PageCache pages(config.title, "");
  FrontCache cache(config, store->get(), &pages, &massager);
  cache.Start();
  FrontPages front(tmp / "pages");
  CHECK(FrontPages::IdOf(front.CurrentName()) == 1);
  CHECK(front.CurrentName().substr(front.CurrentName().rfind('-')) == "-55");
  CHECK(Slurp(tmp / "pages/current/r") == "<p>one</p>\n");
  CHECK(Slurp(tmp / "pages/current/p").find("<p>one</p>") != std::string::npos);
  CHECK(testing::Gunzip(Slurp(tmp / "pages/current/r-gz")) == "<p>one</p>\n");
  CHECK(testing::Gunzip(Slurp(tmp / "pages/current/p-gz")) ==
        Slurp(tmp / "pages/current/p"));
  CHECK(testing::Unbrotli(Slurp(tmp / "pages/current/r-br")) == "<p>one</p>\n");
  CHECK(testing::Unbrotli(Slurp(tmp / "pages/current/p-br")) ==
        Slurp(tmp / "pages/current/p"));

  auto committed =
      (*store)->Commit("me", "", [](const Revision&, ArticleStore::Plan* plan) {
        plan->text = "<p>two</p>\n";
        plan->fib_n = 10;
        plan->fib = 55;
        return Status::OK();
      });
  REQUIRE(committed.ok());
  cache.AfterCommit(*committed);
  CHECK(FrontPages::IdOf(front.CurrentName()) == 2);
  CHECK(Slurp(tmp / "pages/current/r") == "<p>two</p>\n");
}

uint64_t RenderCount() {
  const std::string text = Metrics::Global().Render(0);
  const std::string key = "\nwiki_render_seconds_count ";
  size_t at = text.find(key);
  REQUIRE(at != std::string::npos);
  return std::strtoull(text.c_str() + at + key.size(), nullptr, 10);
}

Result<RevisionMeta> CommitText(ArticleStore* store, const std::string& text) {
  return store->Commit("me", "", [&](const Revision&, ArticleStore::Plan* p) {
    p->text = text;
    p->fib_n = 10;
    p->fib = 55;
    return Status::OK();
  });
}

// Two workers (a store, page cache and front cache each) on one data dir.
struct Worker {
  Worker(const TempDir& tmp, const Config& config)
      : store(std::move(*ArticleStore::Open(tmp.path(), config.title))),
        massager(config.massage, config.fib_n, 0),
        pages(config.title, ""),
        front(config, store.get(), &pages, &massager) {}
  std::unique_ptr<ArticleStore> store;
  Massager massager;
  PageCache pages;
  FrontCache front;
};

TEST_CASE(
    "FrontCache: an acknowledgment overtaken by a newer commit waits "
    "for its publisher instead of building its own revision") {
  TempDir tmp("wiki-front-test");
  Spit(tmp / "Latest_plane_crash.html", "<p>one</p>\n");
  Config config;
  config.data_dir = config.cache_dir = tmp.path();
  config.fib_n = 10;
  Worker a(tmp, config), b(tmp, config);
  a.front.Start();
  b.front.Start();
  FrontPages front(tmp / "pages");
  REQUIRE(front.PublishedId() == 1);

  SUBCASE("the newer revision is already published") {
    auto two = CommitText(a.store.get(), "<p>two</p>\n");
    auto three = CommitText(b.store.get(), "<p>three</p>\n");
    REQUIRE(two.ok());
    REQUIRE(three.ok());
    b.front.AfterCommit(*three);
    const uint64_t renders = RenderCount();
    a.front.AfterCommit(*two);  // returns at once: 3 is served
    CHECK(RenderCount() == renders);
    CHECK(front.PublishedId() == 3);
  }
  SUBCASE("the newer revision's publisher is still at work") {
    auto two = CommitText(a.store.get(), "<p>two</p>\n");
    auto three = CommitText(b.store.get(), "<p>three</p>\n");
    REQUIRE(two.ok());
    REQUIRE(three.ok());
    const uint64_t renders = RenderCount();
    std::atomic<bool> acked{false};
    std::thread ack([&] {
      a.front.AfterCommit(*two);
      acked = true;
    });
    // Well inside kCoalesceWaitMs: the acknowledgment is still waiting.
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    CHECK_FALSE(acked.load());
    b.front.AfterCommit(*three);
    ack.join();
    CHECK(front.PublishedId() == 3);
    CHECK(RenderCount() == renders + 1);  // revision 3, once, by b
  }
  SUBCASE("a publisher that never comes is not waited for past the limit") {
    auto two = CommitText(a.store.get(), "<p>two</p>\n");
    auto three = CommitText(b.store.get(), "<p>three</p>\n");  // b "dies"
    REQUIRE(two.ok());
    REQUIRE(three.ok());
    a.front.AfterCommit(*two);
    CHECK(front.PublishedId() == 3);  // a published the current revision
    CHECK(Slurp(tmp / "pages/current/r") == "<p>three</p>\n");
  }
}

TEST_CASE("FrontCache: per-request massaging turns the front off") {
  TempDir tmp("wiki-front-test");
  Spit(tmp / "Latest_plane_crash.html", "<p>one</p>\n");
  auto store = ArticleStore::Open(tmp.path(), "Latest_plane_crash");
  REQUIRE(store.ok());
  Config config;
  config.data_dir = tmp.path();
  config.fib_n = 10;
  {
    Massager massager(config.massage, config.fib_n, 0);
    PageCache pages(config.title, "");
    FrontCache cache(config, store->get(), &pages, &massager);
    cache.Start();
  }
  CHECK(FrontPages::IdOf(FrontPages(tmp / "pages").CurrentName()) == 1);
  config.massage = MassageMode::kPerRequest;
  Massager massager(config.massage, config.fib_n, 0);
  PageCache pages(config.title, "");
  FrontCache cache(config, store->get(), &pages, &massager);
  cache.Start();
  CHECK(FrontPages(tmp / "pages").CurrentName() == "off");
}

}  // namespace
}  // namespace wiki
