#include "page_cache.h"

#include <doctest/doctest.h>

#include <string>

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

TEST_CASE("page_cache: one rendering per revision, shared") {
  PageCache cache("Latest_plane_crash", "");
  auto r1 = MakeRevision(1, "<p>one</p>");
  PageCache::Page a = cache.Current(r1);
  PageCache::Page b = cache.Current(r1);
  REQUIRE(a.html.get() != nullptr);
  CHECK((a.html.get() == b.html.get()));  // the same bytes, not a re-render
  CHECK(a.file_name.empty());             // memory only without a directory
  CHECK(a.html->find("<p>one</p>") != std::string::npos);
  PageCache::Page c = cache.Current(MakeRevision(2, "<p>two</p>"));
  CHECK((c.html.get() != a.html.get()));
  CHECK(c.html->find("<p>two</p>") != std::string::npos);
  auto old = cache.Old(*r1, 2);
  CHECK(old->find("old revision") != std::string::npos);
}

TEST_CASE("page_cache: files for nginx, named by revision and hash, pruned") {
  testing::TempDir dir("wiki-page-cache-test");
  const std::string cache_dir = dir / "cache";
  PageCache cache("Latest_plane_crash", cache_dir);
  auto r1 = MakeRevision(1, "<p>one</p>");
  PageCache::Page p1 = cache.Current(r1);
  REQUIRE_FALSE(p1.file_name.empty());
  CHECK(p1.file_name.rfind("page-1-", 0) == 0);
  CHECK(testing::Slurp(cache_dir + "/" + p1.file_name) == *p1.html);
  CHECK(testing::TempFiles(cache_dir).empty());

  const uint64_t last = 1 + PageCache::kKeepRevisions + 5;
  std::string last_name;
  for (uint64_t id = 2; id <= last; ++id) {
    last_name =
        cache.Current(MakeRevision(id, "<p>" + std::to_string(id) + "</p>"))
            .file_name;
  }
  // Pages more than kKeepRevisions behind the newest are gone; recent
  // ones stay for requests already redirected to them.
  CHECK_FALSE(testing::Exists(cache_dir + "/" + p1.file_name));
  CHECK(testing::Exists(cache_dir + "/" + last_name));
  CHECK(testing::Names(cache_dir).size() == PageCache::kKeepRevisions + 1);
}

}  // namespace
}  // namespace wiki
