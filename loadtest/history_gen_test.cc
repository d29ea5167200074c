// Unit tests of the history generator and of the store's history paging
// over a history it generated (through ArticleStore::Commit).
#include "history_gen.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "test_util.h"

namespace wiki {
namespace {

using testing::Slurp;
using testing::Spit;
using testing::TempDir;

constexpr char kTitle[] = "Latest_plane_crash";

std::string SampleArticle() {
  std::string text = Slurp("data/Latest_plane_crash.html");
  REQUIRE_FALSE(text.empty());
  return text;
}

TEST_CASE("history_gen: a small edit changes one paragraph, size bounded") {
  const std::string base = SampleArticle();
  std::string text = base;
  for (uint64_t n = 2; n < 400; ++n) {
    std::string next = SmallEdit(text, n);
    CHECK(next != text);
    CHECK(next.find(" (edit " + std::to_string(n) + ")</p>") !=
          std::string::npos);
    text = std::move(next);
  }
  // One marker per paragraph at most: the article does not keep growing.
  size_t paragraphs = 0;
  for (size_t p = base.find("</p>"); p != std::string::npos;
       p = base.find("</p>", p + 1)) {
    ++paragraphs;
  }
  CHECK(text.size() <= base.size() + paragraphs * 14);
  CHECK(SmallEdit("no paragraphs", 7) == "no paragraphs<p> (edit 7)</p>\n");
}

TEST_CASE("history_gen: revisions go through the store; pages of them") {
  TempDir dir("wiki-history-gen-test");
  Spit(dir / (std::string(kTitle) + ".html"), SampleArticle());
  auto store = ArticleStore::Open(dir.path(), kTitle);
  REQUIRE(store.ok());
  REQUIRE(GenerateHistory(store->get(), 119).ok());  // r1 is the import

  auto all = (*store)->History();
  REQUIRE(all.ok());
  REQUIRE(all->size() == 120);
  // Every generated revision is a real one: its file matches its record.
  for (uint64_t id : {2u, 60u, 120u}) {
    auto rev = (*store)->Get(id);
    REQUIRE(rev.ok());
    CHECK(HashBytes((*rev)->text) == (*all)[id - 1].hash);
    CHECK((*rev)->meta.author == "make-history");
  }

  struct Row {
    uint64_t offset;
    size_t limit;
    uint64_t first, last;  // ids expected, newest first (0, 0: none)
    uint64_t older;        // expected older_offset
  };
  const Row rows[] = {
      {0, 50, 120, 71, 71},  {71, 50, 70, 21, 21},    {21, 50, 20, 1, 0},
      {0, 500, 120, 1, 0},   {0, 1, 120, 120, 120},   {2, 10, 1, 1, 0},
      {1, 10, 0, 0, 0},      {121, 5, 120, 116, 116}, {9999, 5, 120, 116, 116},
      {100, 20, 99, 80, 80},
  };
  for (const Row& r : rows) {
    CAPTURE(r.offset);
    CAPTURE(r.limit);
    auto page = (*store)->History(r.offset, r.limit);
    REQUIRE(page.ok());
    CHECK(page->latest == 120);
    CHECK(page->older_offset == r.older);
    std::vector<uint64_t> ids;
    for (const RevisionMeta& m : page->revisions) ids.push_back(m.id);
    std::vector<uint64_t> want;
    for (uint64_t id = r.first; r.first != 0 && id >= r.last; --id) {
      want.push_back(id);
    }
    CHECK(ids == want);
  }

  // Every page agrees with the whole history, whatever its alignment with
  // the store's sparse offset index.
  for (uint64_t offset = 0; offset <= 122; ++offset) {
    for (size_t limit : {1, 15, 16, 17, 33}) {
      auto page = (*store)->History(offset, limit);
      REQUIRE(page.ok());
      uint64_t top = offset == 0 || offset > 120 ? 120 : offset - 1;
      REQUIRE(page->revisions.size() == std::min<uint64_t>(limit, top));
      for (size_t i = 0; i < page->revisions.size(); ++i) {
        const RevisionMeta& m = page->revisions[i];
        CHECK(m.id == top - i);
        CHECK(m.hash == (*all)[m.id - 1].hash);
      }
    }
  }

  // Following the continuation visits every revision once, newest first.
  std::vector<uint64_t> seen;
  uint64_t offset = 0;
  do {
    auto page = (*store)->History(offset, 7);
    REQUIRE(page.ok());
    for (const RevisionMeta& m : page->revisions) seen.push_back(m.id);
    offset = page->older_offset;
  } while (offset != 0);
  REQUIRE(seen.size() == 120);
  for (size_t i = 0; i < seen.size(); ++i) CHECK(seen[i] == 120 - i);
}

TEST_CASE("history_gen: the benchmark mode appends records the store reads") {
  TempDir dir("wiki-history-gen-test");
  Spit(dir / (std::string(kTitle) + ".html"), SampleArticle());
  REQUIRE(ArticleStore::Open(dir.path(), kTitle).ok());
  REQUIRE(AppendHistoryNoSync(dir.path(), kTitle, 300).ok());
  auto store = ArticleStore::Open(dir.path(), kTitle);
  INFO(store.status().ToString());
  REQUIRE(store.ok());
  auto cur = (*store)->Current();
  REQUIRE(cur.ok());
  CHECK((*cur)->meta.id == 301);
  CHECK(Slurp(dir / (std::string(kTitle) + ".html")) == (*cur)->text);
  auto page = (*store)->History(0, 3);
  REQUIRE(page.ok());
  REQUIRE(page->revisions.size() == 3);
  CHECK(page->revisions[2].id == 299);
}

}  // namespace
}  // namespace wiki
