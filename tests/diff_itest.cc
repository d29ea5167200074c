// Integration test of the diff page (fcgi-app/diff_view.h) through the real
// stack: nginx routes every ?diff= form (and /w/index.php's) to a worker,
// never to the front cache; the page shows the changed words as <del>/<ins>
// over escaped source, with the headers of every page; refusals are plain
// 400/404; every history row links to its diffs.
#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "http_client.h"
#include "itest_util.h"
#include "stack.h"

namespace wiki {
namespace {

using namespace wiki::testing;  // NOLINT(build/namespaces): test helpers

// The tags inside the diff's <pre>: only the diff's own, never the
// article's (the article is text there).
std::vector<std::string> TagsInDiff(const std::string& page) {
  const std::string open = "<pre class=\"diff\" id=\"wpDiff\">";
  const size_t b = page.find(open);
  const size_t e = page.find("</pre>", b);
  REQUIRE(b != std::string::npos);
  REQUIRE(e != std::string::npos);
  std::vector<std::string> tags;
  for (size_t i = page.find('<', b + open.size()); i < e;
       i = page.find('<', i + 1)) {
    tags.push_back(page.substr(i, page.find('>', i) + 1 - i));
  }
  return tags;
}

void CheckDiffPage(const HttpResponse& r) {
  REQUIRE(r.status == 200);
  CheckArticleHtmlHeaders(r);
  CHECK(r.Header("cache-control") == "no-cache");
  CHECK(IsStrongETag(r.Header("etag")));
  for (const std::string& tag : TagsInDiff(r.body)) {
    CAPTURE(tag);
    CHECK((tag == "<ins>" || tag == "</ins>" || tag == "<del>" ||
           tag == "</del>" || tag == "<span class=\"diff-skip\">" ||
           tag == "</span>"));
  }
}

TEST_CASE("diff: every parameter form through nginx, word by word") {
  std::unique_ptr<Stack> stack = StartStack(kNoShed);
  REQUIRE(stack != nullptr);
  Stack& s = *stack;
  const std::string u = s.ArticleUrl();
  const Snapshot first = Snap(s);
  REQUIRE(first.revision == 1);
  std::string text2 = first.raw;
  const size_t at = text2.find("Of the 162 people on board, 118 were");
  REQUIRE(at != std::string::npos);
  text2.replace(at, 36, "Of the 162 people on board, 119 were");
  REQUIRE(PutEdit(s, text2) == 2);
  const std::string text3 =
      text2 + "<p title=\"it's &quot;x&quot;\">Fuel &amp; crew</p>\n";
  REQUIRE(PutEdit(s, text3) == 3);

  const std::string word = "board, <del>118</del><ins>119</ins> were";
  const std::string para =
      "<ins>&lt;p title=&quot;it&#39;s &amp;quot;x&amp;quot;&quot;&gt;"
      "Fuel &amp;amp; crew&lt;/p&gt;\n</ins>";
  struct Form {
    std::string url;
    const std::string* has;
  };
  const std::string index =
      s.BaseUrl() + "/w/index.php?title=Latest_plane_crash&";
  const std::vector<Form> forms = {
      {u + "?diff=2&oldid=1", &word},
      {u + "?diff=1&oldid=2", &word},
      {u + "?diff=prev&oldid=2", &word},
      {u + "?diff=next&oldid=1", &word},
      {u + "?diff=2", &word},
      {index + "diff=2&oldid=1", &word},
      {u + "?diff=3&oldid=2", &para},
      {u + "?diff=prev&oldid=3", &para},
      {u + "?diff=cur&oldid=2", &para},
      {u + "?diff=next&oldid=2", &para},
      {u + "?diff=3", &para},
      {u + "?diff=prev", &para},
      {u + "?diff=cur", &para},
      {index + "diff=cur&oldid=2", &para},
  };
  std::string word_tag, para_tag;
  for (const Form& f : forms) {
    CAPTURE(f.url);
    const HttpResponse r = Get(f.url);
    CheckDiffPage(r);
    CHECK(Contains(r.body, *f.has));
    // The same two revisions, whatever the form: the same tag.
    std::string& tag = f.has == &word ? word_tag : para_tag;
    if (tag.empty()) tag = r.Header("etag");
    CHECK(r.Header("etag") == tag);
  }
  CHECK(word_tag != para_tag);

  {
    INFO("the header names both revisions and links to them");
    const HttpResponse r = Get(u + "?diff=3&oldid=2");
    CHECK(LinksTo(r.body, s, "?oldid=2"));
    CHECK(LinksTo(r.body, s, "?oldid=3"));
    CHECK(LinksTo(r.body, s, "?diff=prev&oldid=2"));   // older edit
    CHECK(!LinksTo(r.body, s, "?diff=next&oldid=3"));  // 3 is current
    CHECK(Contains(r.body, "(current)"));
    const HttpResponse older = Get(u + "?diff=2&oldid=1");
    CHECK(LinksTo(older.body, s, "?diff=next&oldid=2"));  // newer edit
  }

  {
    INFO("revision 1 against nothing, and a revision against itself");
    const HttpResponse created = Get(u + "?diff=prev&oldid=1");
    CheckDiffPage(created);
    CHECK(Contains(created.body, "the page was created"));
    const HttpResponse same = Get(u + "?diff=2&oldid=2");
    CheckDiffPage(same);
    CHECK(Contains(same.body, "No difference"));
    CHECK(TagsInDiff(same.body).size() == 2);  // one elided stretch
  }

  {
    INFO("a repeat is a 304");
    const HttpResponse r =
        Get(u + "?diff=2&oldid=1", {{"If-None-Match", word_tag}});
    CHECK(r.status == 304);
    CHECK(r.body.empty());
  }

  {
    INFO("unknown revisions 404, malformed parameters 400, plain text");
    for (const char* q :
         {"?diff=4", "?diff=prev&oldid=9", "?diff=2&oldid=0", "?diff=0"}) {
      CAPTURE(q);
      const HttpResponse r = Get(u + q);
      CHECK(r.status == 404);
      CHECK(r.Header("content-type").rfind("text/plain", 0) == 0);
    }
    for (const char* q :
         {"?diff=x", "?diff=", "?diff=2&oldid=y", "?diff=-1", "?diff=%zz"}) {
      CAPTURE(q);
      const HttpResponse r = Get(u + q);
      CHECK(r.status == 400);
      CHECK(r.Header("content-type").rfind("text/plain", 0) == 0);
    }
    CHECK(Get(s.BaseUrl() + "/w/index.php?title=Other&diff=2").status == 404);
  }

  {
    INFO("every history row links to its diffs, and the links work");
    const HttpResponse h = Get(u + "?action=history");
    REQUIRE(h.status == 200);
    for (int id = 1; id <= 3; ++id) {
      CAPTURE(id);
      const std::string n = std::to_string(id);
      CHECK(LinksTo(h.body, s, "?diff=prev&oldid=" + n) == (id > 1));
      CHECK(LinksTo(h.body, s, "?diff=cur&oldid=" + n) == (id < 3));
    }
    for (const Element& a : FindElements(h.body, "a")) {
      const std::string href = Attr(a, "href");
      if (href.find("?diff=") == std::string::npos) continue;
      CAPTURE(href);
      CheckDiffPage(Get(s.BaseUrl() + href));
    }
  }
  CheckNo5xx(s);
  CHECK(s.Stop());
}

}  // namespace
}  // namespace wiki
