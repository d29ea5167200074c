#include "page_cache.h"

#include <doctest/doctest.h>

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "metrics.h"
#include "test_util.h"

namespace wiki {
namespace {

RevisionPtr MakeRevision(uint64_t id, const std::string& text) {
  auto rev = std::make_shared<Revision>();
  rev->meta.id = id;
  rev->meta.hash = HashBytes(text);
  rev->meta.author = "a";
  rev->text = text;
  return rev;
}

uint64_t RenderCount() {
  std::string text = Metrics::Global().Render(0);
  const std::string key = "\nwiki_render_seconds_count ";
  size_t at = text.find(key);
  REQUIRE(at != std::string::npos);
  return std::stoull(text.substr(at + key.size()));
}

TEST_CASE("page_cache: one rendering per revision, shared, gzipped once") {
  PageCache cache("Latest_plane_crash", "");
  auto r1 = MakeRevision(1, "<p>one</p>");
  auto a = *cache.Current(r1);
  auto b = *cache.Current(r1);
  REQUIRE(a.html.bytes.get() != nullptr);
  CHECK((a.html.bytes.get() == b.html.bytes.get()));  // not re-rendered
  CHECK((a.html_gz.bytes.get() == b.html_gz.bytes.get()));
  CHECK(a.html.file_name.empty());  // memory only without a directory
  CHECK(a.html.bytes->find("<p>one</p>") != std::string::npos);
  REQUIRE(a.html_gz.bytes.get() != nullptr);
  REQUIRE(a.raw_gz.bytes.get() != nullptr);
  CHECK(testing::Gunzip(*a.html_gz.bytes) == *a.html.bytes);
  CHECK(testing::Gunzip(*a.raw_gz.bytes) == r1->text);
  REQUIRE(a.html_br.bytes.get() != nullptr);
  REQUIRE(a.raw_br.bytes.get() != nullptr);
  CHECK((a.html_br.bytes.get() == b.html_br.bytes.get()));
  CHECK(testing::Unbrotli(*a.html_br.bytes) == *a.html.bytes);
  CHECK(testing::Unbrotli(*a.raw_br.bytes) == r1->text);
  CHECK(a.Find(false, Coding::kBrotli) == &a.html_br);
  CHECK(a.Find(true, Coding::kGzip) == &a.raw_gz);
  CHECK(a.Find(true, Coding::kIdentity) == nullptr);  // revisions/<id>.html
  auto c = *cache.Current(MakeRevision(2, "<p>two</p>"));
  CHECK((c.html.bytes.get() != a.html.bytes.get()));
  CHECK(c.html.bytes->find("<p>two</p>") != std::string::npos);
  auto old = cache.Old(*r1, 2);
  CHECK(old->find("old revision") != std::string::npos);
  // A caller still holding revision 1 gets nothing built for it.
  const uint64_t renders = RenderCount();
  CHECK((cache.Current(r1) == nullptr));
  CHECK(RenderCount() == renders);
}

TEST_CASE("page_cache: files for nginx, named by revision and hash, pruned") {
  testing::TempDir dir("wiki-page-cache-test");
  const std::string cache_dir = dir / "cache";
  PageCache cache("Latest_plane_crash", cache_dir);
  auto r1 = MakeRevision(1, "<p>one</p>");
  auto p1 = *cache.Current(r1);
  REQUIRE_FALSE(p1.html.file_name.empty());
  CHECK(p1.html.file_name.rfind("page-1-", 0) == 0);
  CHECK(p1.html_gz.file_name.rfind("pagegz-1-", 0) == 0);
  CHECK(p1.raw_gz.file_name.rfind("rawgz-1-", 0) == 0);
  CHECK(p1.html_br.file_name.rfind("pagebr-1-", 0) == 0);
  CHECK(p1.raw_br.file_name.rfind("rawbr-1-", 0) == 0);
  CHECK(testing::Slurp(cache_dir + "/" + p1.raw_br.file_name) ==
        *p1.raw_br.bytes);
  CHECK(testing::Slurp(cache_dir + "/" + p1.html.file_name) == *p1.html.bytes);
  CHECK(testing::Slurp(cache_dir + "/" + p1.raw_gz.file_name) ==
        *p1.raw_gz.bytes);
  CHECK(testing::TempFiles(cache_dir).empty());

  const uint64_t last = 1 + PageCache::kKeepRevisions + 5;
  std::string last_name;
  for (uint64_t id = 2; id <= last; ++id) {
    last_name =
        cache.Current(MakeRevision(id, "<p>" + std::to_string(id) + "</p>"))
            ->html.file_name;
  }
  // Files more than kKeepRevisions behind the newest are gone; recent ones
  // stay for requests already redirected to them.
  CHECK_FALSE(testing::Exists(cache_dir + "/" + p1.html.file_name));
  CHECK_FALSE(testing::Exists(cache_dir + "/" + p1.raw_gz.file_name));
  CHECK(testing::Exists(cache_dir + "/" + last_name));
  CHECK(testing::Names(cache_dir).size() ==
        5 * (PageCache::kKeepRevisions + 1));
}

TEST_CASE("page_cache: bodies under min_file_bytes get no file") {
  testing::TempDir dir("wiki-page-cache-test");
  const std::string cache_dir = dir / "cache";
  std::string text;
  for (int i = 0; i < 200; ++i)
    text += "<p>Paragraph " + std::to_string(i) + " of the report.</p>\n";
  auto rev = MakeRevision(1, text);
  // The page (> text) passes 2 KB, the compressed bodies do not.
  PageCache cache("Latest_plane_crash", cache_dir, 2048);
  auto page = *cache.Current(rev);
  REQUIRE(page.html.bytes->size() >= 2048);
  REQUIRE(page.html_gz.bytes->size() < 2048);
  CHECK_FALSE(page.html.file_name.empty());
  CHECK(testing::Slurp(cache_dir + "/" + page.html.file_name) ==
        *page.html.bytes);
  for (const PageCache::Body* b :
       {&page.html_gz, &page.raw_gz, &page.html_br, &page.raw_br}) {
    CHECK(b->bytes->size() < 2048);
    CHECK(b->file_name.empty());
  }
  CHECK(testing::Names(cache_dir).size() == 1);
}

}  // namespace
}  // namespace wiki

namespace wiki {
namespace {

TEST_CASE(
    "page_cache: threads asking for a new revision at once build it once") {
  PageCache cache("Latest_plane_crash", "");
  std::string text;
  // Big enough (~1 MB) that building takes far longer than releasing the
  // other threads from the gate: a build per thread cannot go unnoticed.
  for (int i = 0; i < 30000; ++i)
    text += "<p>paragraph " + std::to_string(i) + " of the article</p>\n";
  auto rev = MakeRevision(7, text);
  const uint64_t before = RenderCount();
  std::vector<std::thread> threads;
  std::vector<const std::string*> seen(16);
  // A start gate: every thread is running and waiting before any asks, so
  // the requests really overlap (without it the first thread could finish
  // building before the last one starts, and a per-thread build would pass).
  std::mutex mu;
  std::condition_variable cv;
  size_t waiting = seen.size();
  for (size_t i = 0; i < seen.size(); ++i) {
    threads.emplace_back([&, i] {
      {
        std::unique_lock<std::mutex> lock(mu);
        if (--waiting == 0) cv.notify_all();
        cv.wait(lock, [&] { return waiting == 0; });
      }
      seen[i] = cache.Current(rev)->html_gz.bytes.get();
    });
  }
  for (auto& t : threads) t.join();
  CHECK(RenderCount() == before + 1);
  for (const std::string* p : seen) CHECK(p == seen[0]);
}

}  // namespace
}  // namespace wiki
