// Tests for diff_view: MediaWiki's parameter forms (a table), the page
// (escaping, both sides rebuilt from the <pre>, elision, headers) and the
// request through Handler::Handle on a store in a temp dir.
#include "diff_view.h"

#include <doctest/doctest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "handler.h"
#include "test_util.h"

namespace wiki {
namespace {

constexpr char kTitle[] = "Latest_plane_crash";

struct QueryRow {
  const char* query;
  int status;  // 0: resolves, else the error's HTTP status
  uint64_t old_id = 0, new_id = 0;
};

int HttpOf(const Status& s) {
  return s.code() == Status::Code::kNotFound ? 404 : 400;
}

TEST_CASE("diff view: MediaWiki's parameter forms (current revision 5)") {
  const std::vector<QueryRow> rows = {
      {"diff=4&oldid=2", 0, 2, 4},
      {"diff=2&oldid=4", 0, 2, 4},  // swapped: the older is always left
      {"diff=3&oldid=3", 0, 3, 3},
      {"diff=prev&oldid=3", 0, 2, 3},
      {"diff=prev&oldid=1", 0, 0, 1},  // nothing before revision 1
      {"diff=next&oldid=3", 0, 3, 4},
      {"diff=next&oldid=5", 0, 5, 5},  // the current one has no successor
      {"diff=cur&oldid=2", 0, 2, 5},
      {"diff=cur&oldid=5", 0, 5, 5},
      {"diff=4", 0, 3, 4},
      {"diff=1", 0, 0, 1},
      {"diff=prev", 0, 4, 5},
      {"diff=cur", 0, 4, 5},
      {"diff=next", 0, 4, 5},
      {"title=Latest_plane_crash&diff=4&oldid=2", 0, 2, 4},  // index.php
      {"diff=6&oldid=2", 404},
      {"diff=2&oldid=6", 404},
      {"diff=0", 404},
      {"diff=prev&oldid=0", 404},
      {"diff=cur&oldid=99999999999", 404},
      {"diff=", 400},
      {"diff=last", 400},
      {"diff=-1", 400},
      {"diff=1e3", 400},
      {"diff=%202", 400},
      {"diff=PREV&oldid=2", 400},
      {"diff=2&oldid=", 400},
      {"diff=2&oldid=two", 400},
      {"diff=12345678901234567890", 400},  // 20 digits
  };
  for (const QueryRow& r : rows) {
    CAPTURE(std::string(r.query));
    auto form = ParseUrlEncoded(r.query);
    REQUIRE(form.ok());
    auto q = ParseDiffQuery(*form);
    if (!q.ok()) {
      CHECK(r.status == 400);
      CHECK(HttpOf(q.status()) == 400);
      continue;
    }
    auto p = ResolveDiff(*q, 5);
    if (!p.ok()) {
      CHECK(r.status == HttpOf(p.status()));
      continue;
    }
    CHECK(r.status == 0);
    CHECK(p->old_id == r.old_id);
    CHECK(p->new_id == r.new_id);
  }
}

std::string Unescape(std::string s) {
  const std::vector<std::pair<std::string, std::string>> refs = {
      {"&lt;", "<"},
      {"&gt;", ">"},
      {"&quot;", "\""},
      {"&#39;", "'"},
      {"&amp;", "&"}};
  std::string out;
  for (size_t i = 0; i < s.size();) {
    bool done = false;
    for (const auto& [ref, c] : refs) {
      if (s.compare(i, ref.size(), ref) == 0) {
        out += c;
        i += ref.size();
        done = true;
        break;
      }
    }
    if (!done) out += s[i++];
  }
  return out;
}

// The <pre> of a diff page, as {old text, new text}: <ins> dropped for the
// old side, <del> for the new, then unescaped. Fails on any other markup.
std::pair<std::string, std::string> Sides(const std::string& page) {
  const std::string open = "<pre class=\"diff\" id=\"wpDiff\">\n";
  const size_t b = page.find(open);
  const size_t e = page.find("</pre>", b);
  REQUIRE(b != std::string::npos);
  REQUIRE(e != std::string::npos);
  const std::string pre = page.substr(b + open.size(), e - b - open.size());
  std::string old_side, new_side;
  std::string* skip_into = nullptr;  // inside <ins>: only new; <del>: only old
  for (size_t i = 0; i < pre.size();) {
    if (pre[i] == '<') {
      const size_t gt = pre.find('>', i);
      REQUIRE(gt != std::string::npos);
      const std::string tag = pre.substr(i, gt + 1 - i);
      if (tag == "<ins>") {
        skip_into = &old_side;
      } else if (tag == "<del>") {
        skip_into = &new_side;
      } else if (tag == "</ins>" || tag == "</del>") {
        skip_into = nullptr;
      } else {
        FAIL("markup in the diff: " << tag);
      }
      i = gt + 1;
      continue;
    }
    if (skip_into != &old_side) old_side += pre[i];
    if (skip_into != &new_side) new_side += pre[i];
    ++i;
  }
  return {Unescape(old_side), Unescape(new_side)};
}

Revision Rev(uint64_t id, std::string text, std::string author = "alice",
             std::string summary = "") {
  Revision r;
  r.meta.id = id;
  r.meta.time_ms = 1700000000000 + static_cast<int64_t>(id) * 1000;
  r.meta.hash = HashBytes(text);
  r.meta.author = std::move(author);
  r.meta.summary = std::move(summary);
  r.text = std::move(text);
  return r;
}

TEST_CASE("diff view: the page escapes everything and rebuilds both sides") {
  struct PageRow {
    const char* name;
    std::string old_text, new_text;
    std::vector<std::string> has;
  };
  const std::vector<PageRow> rows = {
      {"one figure",
       "<p>118 people</p>\n",
       "<p>119 people</p>\n",
       {"&lt;p&gt;<del>118</del><ins>119</ins> people&lt;/p&gt;"}},
      {"script, ampersand and quotes as text",
       "<p title=\"a\">x &amp; y</p>\n",
       "<p title=\"a\">x &amp; y</p>\n<script>alert('x&y')</script>\n",
       {"<ins>&lt;script&gt;alert(&#39;x&amp;y&#39;)&lt;/script&gt;\n</ins>",
        "&lt;p title=&quot;a&quot;&gt;x &amp;amp; y"}},
      {"a tag changed whole",
       "<a href=\"/a\">l</a>",
       "<a href=\"/b\">l</a>",
       {"<del>&lt;a href=&quot;/a&quot;&gt;</del>"
        "<ins>&lt;a href=&quot;/b&quot;&gt;</ins>l&lt;/a&gt;"}},
      {"leading newline kept", "\n<p>a</p>", "\n<p>b</p>", {}},
      {"closing pre in the text",
       "</pre><p>a</p>",
       "</pre><p>b</p>",
       {"&lt;/pre&gt;"}},
  };
  for (const PageRow& r : rows) {
    CAPTURE(std::string(r.name));
    const Revision a = Rev(2, r.old_text), b = Rev(3, r.new_text);
    auto d = DiffTexts(a.text, b.text);
    REQUIRE(d.ok());
    const std::string page = RenderDiffPage(kTitle, &a, b, 3, *d);
    for (const std::string& h : r.has) CHECK(page.find(h) != std::string::npos);
    CHECK(page.find("<script") == std::string::npos);
    CHECK(page.find("<p title") == std::string::npos);
    const auto [old_side, new_side] = Sides(page);
    CHECK(old_side == r.old_text);
    CHECK(new_side == r.new_text);
  }
}

TEST_CASE("diff view: headers name both revisions, escaped, with links") {
  const Revision a = Rev(2, "<p>a</p>\n", "<b>mallory</b>", "fix \"x\" & y");
  const Revision b = Rev(3, "<p>b</p>\n", "bob", "");
  auto d = DiffTexts(a.text, b.text);
  REQUIRE(d.ok());
  const std::string page = RenderDiffPage(kTitle, &a, b, 7, *d);
  CHECK(page.find("&lt;b&gt;mallory&lt;/b&gt;") != std::string::npos);
  CHECK(page.find("fix &quot;x&quot; &amp; y") != std::string::npos);
  CHECK(page.find("<b>") == std::string::npos);
  CHECK(page.find("href=\"/wiki/Latest_plane_crash?oldid=2\"") !=
        std::string::npos);
  CHECK(page.find("href=\"/wiki/Latest_plane_crash?oldid=3\"") !=
        std::string::npos);
  CHECK(page.find("?diff=prev&amp;oldid=2\" rel=\"prev\"") !=
        std::string::npos);
  CHECK(page.find("?diff=next&amp;oldid=3\" rel=\"next\"") !=
        std::string::npos);
  CHECK(page.find("2023-11-14T22:13:22Z") != std::string::npos);
  // The newest revision has no newer edit; revision 1 no older one.
  const Revision one = Rev(1, "<p>a</p>\n");
  const std::string top = RenderDiffPage(kTitle, &one, b, 3, *d);
  CHECK(top.find("rel=\"next\"") == std::string::npos);
  CHECK(top.find("rel=\"prev\"") == std::string::npos);
  CHECK(top.find("(current)") != std::string::npos);
  // Revision 1 against nothing: all of it added.
  auto created = DiffTexts("", one.text);
  REQUIRE(created.ok());
  const std::string first = RenderDiffPage(kTitle, nullptr, one, 3, *created);
  CHECK(first.find("the page was created") != std::string::npos);
  CHECK(first.find("<ins>&lt;p&gt;a&lt;/p&gt;\n</ins>") != std::string::npos);
}

TEST_CASE("diff view: long unchanged stretches are elided, changes kept") {
  std::string old_text;
  for (int i = 1; i <= 100; ++i) {
    old_text += "<p>line " + std::to_string(i) + "</p>\n";
  }
  std::string new_text = old_text;
  new_text.replace(new_text.find("line 50<"), 7, "line fifty");
  const Revision a = Rev(2, old_text), b = Rev(3, new_text);
  auto d = DiffTexts(a.text, b.text);
  REQUIRE(d.ok());
  const std::string page = RenderDiffPage(kTitle, &a, b, 3, *d);
  CHECK(page.find("lines 1\u201346 unchanged") != std::string::npos);
  CHECK(page.find("lines 54\u2013100 unchanged") != std::string::npos);
  CHECK(page.find("&lt;p&gt;line 47&lt;/p&gt;") != std::string::npos);
  CHECK(page.find("&lt;p&gt;line 53&lt;/p&gt;") != std::string::npos);
  CHECK(page.find("line 46&lt;") == std::string::npos);
  CHECK(page.find("line 54&lt;") == std::string::npos);
  CHECK(page.find("<del>50</del><ins>fifty</ins>") != std::string::npos);
  // No difference at all: one elided stretch and a notice.
  auto same = DiffTexts(a.text, a.text);
  REQUIRE(same.ok());
  const Revision a2 = Rev(4, old_text);
  const std::string none = RenderDiffPage(kTitle, &a, a2, 4, *same);
  CHECK(none.find("No difference") != std::string::npos);
  CHECK(none.find("lines 1\u2013100 unchanged") != std::string::npos);
}

// Handler::Handle on a store with three revisions.
struct Fixture {
  Fixture() : dir("diff-view-test") {
    testing::Spit(dir / (std::string(kTitle) + ".html"), "<p>one 118</p>\n");
    auto opened = ArticleStore::Open(dir.path(), kTitle);
    REQUIRE(opened.ok());
    store = std::move(*opened);
    for (const char* text :
         {"<p>one 119</p>\n", "<p>one 119</p>\n<p>&amp; <b>two</b></p>\n"}) {
      auto c = store->Commit("editor <x>", "summary & more",
                             [text](const Revision&, ArticleStore::Plan* plan) {
                               plan->text = text;
                               return Status::OK();
                             });
      REQUIRE(c.ok());
    }
    Config config;
    config.title = kTitle;
    config.data_dir = dir.path();
    config.fib_n = 10;
    handler = std::make_unique<Handler>(config, store.get());
  }

  Response Get(const std::string& query, const std::string& inm = "",
               const char* method = "GET") {
    Request req;
    req.method = method;
    req.path = "/wiki/Latest_plane_crash";
    req.query = query;
    req.if_none_match = inm;
    req.remote_addr = "127.0.0.1";
    Response resp;
    handler->Handle(req, &resp);
    return resp;
  }

  testing::TempDir dir;
  std::unique_ptr<ArticleStore> store;
  std::unique_ptr<Handler> handler;
};

std::string Header(const Response& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "";
}

TEST_CASE("diff view: through the handler") {
  Fixture f;
  const Response r = f.Get("diff=prev&oldid=2");
  REQUIRE(r.status == 200);
  CHECK(r.Body().find("one <del>118</del><ins>119</ins>") != std::string::npos);
  CHECK(Header(r, "Content-Type") == "text/html; charset=utf-8");
  CHECK(Header(r, "Cache-Control") == "no-cache");
  CHECK(Header(r, "X-Content-Type-Options") == "nosniff");
  CHECK(Header(r, "Content-Security-Policy").find("default-src 'none'") == 0);
  const std::string etag = Header(r, "ETag");
  CHECK(etag.rfind("\"d1-", 0) == 0);
  // The same diff by other names has the same tag; a 304 for it.
  CHECK(Header(f.Get("diff=2&oldid=1"), "ETag") == etag);
  CHECK(Header(f.Get("diff=1&oldid=2"), "ETag") == etag);
  CHECK(Header(f.Get("diff=2"), "ETag") == etag);
  CHECK(Header(f.Get("diff=next&oldid=1"), "ETag") == etag);
  const Response cached = f.Get("diff=prev&oldid=2", etag);
  CHECK(cached.status == 304);
  CHECK(cached.omit_body);
  const Response head = f.Get("diff=prev&oldid=2", "", "HEAD");
  CHECK(head.status == 200);
  CHECK(head.omit_body);
  // Against the current revision: the tag says so.
  const Response cur = f.Get("diff=cur&oldid=1");
  REQUIRE(cur.status == 200);
  CHECK(Header(cur, "ETag").find("-cur\"") != std::string::npos);
  const auto [old_side, new_side] = Sides(cur.Body());
  CHECK(old_side == "<p>one 118</p>\n");
  CHECK(new_side == "<p>one 119</p>\n<p>&amp; <b>two</b></p>\n");
  CHECK(cur.Body().find("editor &lt;x&gt;") != std::string::npos);
  CHECK(cur.Body().find("summary &amp; more") != std::string::npos);
  // Refusals: plain text.
  const std::map<std::string, int> refused = {
      {"diff=4", 404}, {"diff=prev&oldid=9", 404}, {"diff=0", 404},
      {"diff=x", 400}, {"diff=2&oldid=y", 400},    {"diff=2&oldid=%zz", 400},
      {"diff=", 400},
  };
  for (const auto& [query, status] : refused) {
    CAPTURE(query);
    const Response e = f.Get(query);
    CHECK(e.status == status);
    CHECK(Header(e, "Content-Type") == "text/plain; charset=utf-8");
  }
  // Other actions keep their meaning.
  CHECK(f.Get("action=raw&diff=2").Body().find("<b>two</b>") !=
        std::string::npos);
}

TEST_CASE("diff view: every history row links to its diffs") {
  Fixture f;
  const Response h = f.Get("action=history");
  REQUIRE(h.status == 200);
  const std::string& b = h.Body();
  const std::string diff = "href=\"/wiki/Latest_plane_crash?diff=";
  CHECK(b.find(diff + "prev&amp;oldid=3\"") != std::string::npos);
  CHECK(b.find(diff + "prev&amp;oldid=2\"") != std::string::npos);
  CHECK(b.find(diff + "prev&amp;oldid=1\"") == std::string::npos);
  CHECK(b.find(diff + "cur&amp;oldid=1\"") != std::string::npos);
  CHECK(b.find(diff + "cur&amp;oldid=2\"") != std::string::npos);
  CHECK(b.find(diff + "cur&amp;oldid=3\"") == std::string::npos);
}

}  // namespace
}  // namespace wiki
