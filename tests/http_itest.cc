// Integration tests of the HTTP contract (issue #2) against the real stack:
// nginx + spawn-fcgi + multiwatch + article-server workers on a free
// loopback port (tests/stack.h), spoken to over HTTP only.
//
// Three stacks at most are started:
//   default      the shipped configuration; shared by most test cases
//   strict       edit.merge=off, article.max_article_bytes=4096 (409, 413)
//   per-request  massage.mode=per-request (started and stopped in its test)
// Every stack runs with server.shed_after_ms=0: shedding (503 for reads that
// queued too long) is a load feature and would turn functional checks into
// flakes on a busy 2-core machine.
//
// The test cases edit the shared article, so every check compares against a
// snapshot taken just before, never against the sample file (except for
// revision 1, the import of data/Latest_plane_crash.html).
//
// libcurl normalises "/../" in URLs and never reads a body after HEAD or 304,
// so traversal attempts and "no body" checks use a raw socket instead.
//
// Rows of the contract that the app alone decides (400 for malformed
// queries, 404 for unknown base revisions, 415, 422 and many more) are unit
// tests in fcgi-app/handler_test.cc; these are the ones that need nginx, the
// workers and the files on disk. Every Snap() also checks that the stack has
// answered no request with a 5xx so far.

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "http_client.h"
#include "itest_util.h"
#include "stack.h"
#include "test_util.h"

using wiki::HttpClient;
using wiki::HttpRequest;
using wiki::HttpResponse;
using wiki::Stack;

namespace {

// The helpers (HTTP, raw sockets, snapshots, HTML reading, /metrics) live in
// tests/itest_util.h.
using namespace wiki::testing;  // NOLINT(build/namespaces): test helpers

constexpr char kFib34[] = "5702887";
constexpr char kFib20[] = "6765";

// --- stacks -----------------------------------------------------------------

Stack& DefaultStack() {
  static std::unique_ptr<Stack> stack = StartStack(kNoShed);
  REQUIRE_MESSAGE(stack != nullptr, "the default stack did not start");
  return *stack;
}

// Strict conflicts and a small size limit (so 413 payloads stay small);
// fib_n = 20 because the value does not matter here.
Stack& StrictStack() {
  static std::unique_ptr<Stack> stack = StartStack(
      std::string(kNoShed) +
      " edit.merge=off article.max_article_bytes=4096 massage.fib_n=20");
  REQUIRE_MESSAGE(stack != nullptr, "the strict stack did not start");
  return *stack;
}

// =============================================================================
// The checks below are only as good as these helpers: make sure they can fail.
// =============================================================================

TEST_CASE("http: the test helpers reject what they should") {
  const std::string shipped =
      "default-src 'none'; img-src https: 'self'; style-src 'unsafe-inline'";
  CHECK(CspScriptLoophole(shipped) == "");
  CHECK(CspScriptLoophole("script-src 'none'; default-src *") == "");
  CHECK(CspScriptLoophole("") != "");
  CHECK(CspScriptLoophole("img-src https:") != "");
  CHECK(CspScriptLoophole("default-src 'none'; script-src 'unsafe-inline'") !=
        "");
  CHECK(CspScriptLoophole("default-src 'self'") != "");
  CHECK(CspScriptLoophole(
            "default-src 'none'; script-src-attr 'unsafe-inline'") != "");

  CHECK(IsStrongETag("\"r1-00ff\""));
  CHECK_FALSE(IsStrongETag("W/\"r1-00ff\""));
  CHECK_FALSE(IsStrongETag("r1-00ff"));
  CHECK_FALSE(IsStrongETag(""));

  CHECK(ParseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT") == 784111777);
  CHECK(ParseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT") == -1);
  CHECK(ParseHttpDate("Sun, 06 Nov 1994 08:49:37 UTC") == -1);
  CHECK(ParseIsoUtc("1994-11-06T08:49:37Z") == 784111777);
  CHECK(ParseIsoUtc("1994-11-06T08:49:37.250Z") == 784111777);
  CHECK(ParseIsoUtc("1994-11-06T08:49:37") == -1);
  CHECK(ParseIsoUtc("1994-11-06T08:49:37+01:00") == -1);
  CHECK(ParseIsoUtc("1994-11-06 08:49:37Z") == -1);

  CHECK(HtmlUnescape(
            "&lt;p a=&quot;1&quot;&gt;&amp;amp;&#39;&#233;&#x2014;</p>") ==
        "<p a=\"1\">&amp;'\xC3\xA9\xE2\x80\x94</p>");
  const std::string page =
      "<style>p{}</style><p class=\"notice\">Not saved: element "
      "&lt;base&gt;</p>"
      "<form method=\"post\" action=\"/x\"><input type=hidden name='b' "
      "value=\"7\">"
      "<textarea name=\"text\">&lt;script&gt;</textarea></form>";
  CHECK(VisibleText(page) == "Not saved: element <base>");
  CHECK(ContainsWord(VisibleText(page), "base"));
  CHECK_FALSE(ContainsWord(VisibleText(page), "script"));
  CHECK_FALSE(ContainsWord("iframe", "frame"));
  const std::vector<Element> forms = FindElements(page, "form");
  REQUIRE(forms.size() == 1);
  CHECK(Attr(forms[0], "action") == "/x");
  const std::vector<Element> inputs = FindElements(forms[0].inner, "input");
  REQUIRE(inputs.size() == 1);
  CHECK(Attr(inputs[0], "type") == "hidden");
  CHECK(Attr(inputs[0], "name") == "b");
  CHECK(Attr(inputs[0], "value") == "7");
  const std::vector<Element> areas = FindElements(page, "textarea");
  REQUIRE(areas.size() == 1);
  CHECK(HtmlUnescape(areas[0].inner) == "<script>");
}

// =============================================================================
// Reads
// =============================================================================

TEST_CASE(
    "http: the reader page is a complete HTML document with the article") {
  Stack& s = DefaultStack();
  const Snapshot snap = Snap(s);
  HttpResponse r = Get(s.ArticleUrl());
  REQUIRE(r.status == 200);
  CheckArticleHtmlHeaders(r);
  CHECK(ToLong(r.Header("x-revision")) == snap.revision);
  const std::string& page = r.body;

  CHECK(ToLower(page.substr(0, 15)) == "<!doctype html>");
  for (const char* tag :
       {"<html", "<head", "<title", "<body", "</body>", "</html>"}) {
    INFO("tag: " << std::string(tag));
    CHECK(Contains(ToLower(page), tag));
  }
  const std::vector<Element> titles = FindElements(page, "title");
  REQUIRE(titles.size() == 1);
  CHECK(Contains(titles[0].inner, "Latest plane crash"));
  const std::vector<Element> headings = FindElements(page, "h1");
  REQUIRE(!headings.empty());
  CHECK(Contains(VisibleText(headings[0].inner), "Latest plane crash"));

  const bool has_article = Contains(page, snap.raw);
  CHECK_MESSAGE(has_article,
                "the page does not contain the raw article verbatim");
  const std::regex revision("Revision\\s*(<a\\b[^>]*>)?\\s*" +
                            std::to_string(snap.revision) + "\\b");
  CHECK_MESSAGE(std::regex_search(page, revision),
                "no \"Revision " << snap.revision << "\"");

  CHECK(LinksTo(page, s, "?action=edit"));
  CHECK(LinksTo(page, s, "?action=history"));
  CHECK(Get(s.ArticleUrl() + "?action=edit").status == 200);
  CHECK(Get(s.ArticleUrl() + "?action=history").status == 200);
}

TEST_CASE("http: action=raw is the article file byte for byte") {
  Stack& s = DefaultStack();
  HttpResponse r = Get(s.ArticleUrl() + "?action=raw");
  REQUIRE(r.status == 200);
  CheckArticleHtmlHeaders(r);
  std::string file = ReadFile(s.data_dir() + "/" + kArticleFile);
  bool same = r.body == file;
  CHECK_MESSAGE(same, FirstDifference(file, r.body));
  CHECK(ToLong(r.Header("content-length")) == static_cast<long>(file.size()));

  // Bytes a careless server would normalise: CRLF, no final newline, UTF-8,
  // NBSP and references that must not be decoded.
  const std::string text =
      r.body + "<p>Caf\xC3\xA9 \xE2\x80\x94 r\xC3\xA9sum\xC3\xA9\r\n" +
      Marker("raw") + "&amp;&#233;\xC2\xA0</p>";
  PutEdit(s, text);
  r = Get(s.ArticleUrl() + "?action=raw");
  REQUIRE(r.status == 200);
  same = r.body == text;
  CHECK_MESSAGE(same, FirstDifference(text, r.body));
  file = ReadFile(s.data_dir() + "/" + kArticleFile);
  same = file == text;
  CHECK_MESSAGE(same, FirstDifference(text, file));
}

TEST_CASE(
    "http: every article read carries ETag, X-Revision, Last-Modified, "
    "X-Fibonacci") {
  Stack& s = DefaultStack();
  EnsureEdited(s);
  const Snapshot snap = Snap(s);
  const std::string cur = std::to_string(snap.revision);
  struct Row {
    std::string query;
    long revision;
  };
  const std::vector<Row> rows = {
      {"", snap.revision},
      {"?action=raw", snap.revision},
      {"?oldid=1", 1},
      {"?oldid=1&action=raw", 1},
      {"?action=raw&oldid=1", 1},
      {"?oldid=" + cur, snap.revision},
      {"?oldid=" + cur + "&action=raw", snap.revision},
  };
  for (const Row& row : rows) {
    for (const char* method : {"GET", "HEAD"}) {
      const std::string name = std::string(method) + " " + row.query;
      SUBCASE(name.c_str()) {
        HttpResponse r = Send(method, s.ArticleUrl() + row.query);
        REQUIRE(r.status == 200);
        CheckArticleHtmlHeaders(r);
        CHECK(IsStrongETag(r.Header("etag")));
        CHECK(ToLong(r.Header("x-revision")) == row.revision);
        CHECK(ParseHttpDate(r.Header("last-modified")) > 0);
        CHECK(r.Header("x-fibonacci") == kFib34);
      }
    }
  }
}

TEST_CASE("http: HEAD answers with the GET's headers and no body") {
  Stack& s = DefaultStack();
  EnsureEdited(s);
  for (const char* query :
       {"", "?action=raw", "?oldid=1", "?oldid=1&action=raw", "?action=history",
        "?action=history&format=json", "?action=edit"}) {
    SUBCASE(*query == '\0' ? "reader page" : query) {
      HttpResponse get = Get(s.ArticleUrl() + query);
      HttpResponse head = Send("HEAD", s.ArticleUrl() + query);
      REQUIRE(get.status == 200);
      CHECK(head.status == 200);
      std::map<std::string, std::string> get_headers = get.headers;
      std::map<std::string, std::string> head_headers = head.headers;
      get_headers.erase("date");
      head_headers.erase("date");
      CHECK(head_headers == get_headers);
      CHECK(ToLong(head.Header("content-length")) ==
            static_cast<long>(get.body.size()));

      // libcurl never reads a body after HEAD; a raw socket does.
      RawResponse raw =
          RawExchange(s, RawRequest("HEAD", kPath + std::string(query)));
      CHECK(raw.status == 200);
      CHECK(raw.body.size() == 0);
    }
  }
}

TEST_CASE(
    "http: ETags are strong, differ between page and raw, and change with each "
    "edit") {
  Stack& s = DefaultStack();
  EnsureEdited(s);
  const std::string page1 = Get(s.ArticleUrl()).Header("etag");
  const std::string raw1 = Get(s.ArticleUrl() + "?action=raw").Header("etag");
  const std::string old_page = Get(s.ArticleUrl() + "?oldid=1").Header("etag");
  const std::string old_raw =
      Get(s.ArticleUrl() + "?oldid=1&action=raw").Header("etag");
  for (const std::string& tag : {page1, raw1, old_page, old_raw}) {
    CAPTURE(tag);
    CHECK(IsStrongETag(tag));
  }
  CHECK(page1 != raw1);
  CHECK(old_page != old_raw);
  CHECK(old_page != page1);
  CHECK(old_raw != raw1);
  // Stable while nothing changes.
  CHECK(Get(s.ArticleUrl()).Header("etag") == page1);
  CHECK(Get(s.ArticleUrl() + "?action=raw").Header("etag") == raw1);

  const Snapshot before = Snap(s);
  HttpResponse put = Put(
      s.ArticleUrl(), WithParagraph(before.raw, Marker("etag")), before.etag);
  REQUIRE(put.status == 200);
  const std::string page2 = Get(s.ArticleUrl()).Header("etag");
  const std::string raw2 = Get(s.ArticleUrl() + "?action=raw").Header("etag");
  CHECK(IsStrongETag(page2));
  CHECK(IsStrongETag(raw2));
  CHECK(page2 != page1);
  CHECK(raw2 != raw1);
  CHECK(page2 != raw2);
  CHECK(put.Header("etag") == raw2);
  // Revision 1 did not change.
  CHECK(Get(s.ArticleUrl() + "?oldid=1").Header("etag") == old_page);
  CHECK(Get(s.ArticleUrl() + "?oldid=1&action=raw").Header("etag") == old_raw);
}

TEST_CASE("http: If-None-Match gets 304 without a body, a stale tag 200") {
  Stack& s = DefaultStack();
  Snapshot before = Snap(s);
  const std::string stale_page = Get(s.ArticleUrl()).Header("etag");
  const std::string stale_raw = before.etag;
  PutEdit(s, WithParagraph(before.raw, Marker("inm")));
  const std::string page = Get(s.ArticleUrl()).Header("etag");
  const std::string raw = Get(s.ArticleUrl() + "?action=raw").Header("etag");
  REQUIRE(page != stale_page);

  struct Row {
    const char* name;
    std::string query;
    std::string if_none_match;
    int status;
  };
  const std::vector<Row> rows = {
      {"page, current tag", "", page, 304},
      {"raw, current tag", "?action=raw", raw, 304},
      {"page, tag in a list", "", "\"nope\", " + page, 304},
      {"page, weak form of the tag", "", "W/" + page, 304},
      {"page, *", "", "*", 304},
      {"page, stale tag", "", stale_page, 200},
      {"raw, stale tag", "?action=raw", stale_raw, 200},
      {"page, raw tag", "", raw, 200},
      {"raw, page tag", "?action=raw", page, 200},
  };
  for (const Row& row : rows) {
    SUBCASE(row.name) {
      HttpResponse r = Get(s.ArticleUrl() + row.query,
                           {{"If-None-Match", row.if_none_match}});
      CHECK(r.status == row.status);
      if (row.status == 304) {
        CHECK(r.Header("etag") == (row.query.empty() ? page : raw));
        // The bytes on the wire: nothing after the head.
        RawResponse wire = RawExchange(
            s, RawRequest("GET", kPath + row.query,
                          "If-None-Match: " + row.if_none_match + "\r\n"));
        CHECK(wire.status == 304);
        CHECK(wire.body.size() == 0);
      } else {
        CHECK(r.body == Get(s.ArticleUrl() + row.query).body);
        CHECK(r.Header("etag") == (row.query.empty() ? page : raw));
      }
    }
  }
}

TEST_CASE(
    "http: oldid serves past revisions; unknown ones 404, malformed ones 400") {
  Stack& s = DefaultStack();
  EnsureEdited(s);
  const Snapshot snap = Snap(s);
  const std::string original = ReadFile(kSampleFile);

  SUBCASE("oldid=1&action=raw is the imported sample, byte for byte") {
    HttpResponse r = Get(s.ArticleUrl() + "?oldid=1&action=raw");
    REQUIRE(r.status == 200);
    const bool same = r.body == original;
    CHECK_MESSAGE(same, FirstDifference(original, r.body));
    CHECK(r.Header("x-revision") == "1");
    CheckArticleHtmlHeaders(r);
  }
  SUBCASE("oldid=1 is a reader page of revision 1") {
    HttpResponse r = Get(s.ArticleUrl() + "?oldid=1");
    REQUIRE(r.status == 200);
    CheckArticleHtmlHeaders(r);
    CHECK(r.Header("x-revision") == "1");
    CHECK(ToLower(r.body.substr(0, 15)) == "<!doctype html>");
    const bool has_original = Contains(r.body, original);
    CHECK_MESSAGE(has_original, "the old revision's page lacks its text");
    const bool has_current = Contains(r.body, snap.raw);
    CHECK_FALSE(has_current);
  }
  SUBCASE("oldid=<current> is the current article") {
    HttpResponse r =
        Get(s.ArticleUrl() + "?oldid=" + std::to_string(snap.revision) +
            "&action=raw");
    REQUIRE(r.status == 200);
    const bool same = r.body == snap.raw;
    CHECK(same);
  }
  const std::string next = std::to_string(snap.revision + 1);
  struct Row {
    std::string query;
    int status;
  };
  const std::vector<Row> rows = {
      {"?oldid=" + next, 404},
      {"?oldid=" + next + "&action=raw", 404},
      {"?oldid=999999", 404},
      {"?oldid=999999&action=raw", 404},
      {"?oldid=0", 404},
      {"?oldid=abc", 400},
      {"?oldid=abc&action=raw", 400},
      {"?oldid=", 400},
      {"?oldid=-1", 400},
      {"?oldid=1.5", 400},
      {"?oldid=0x1", 400},
  };
  for (const Row& row : rows) {
    SUBCASE(row.query.c_str()) {
      for (const char* method : {"GET", "HEAD"}) {
        INFO("method: " << std::string(method));
        HttpResponse r = Send(method, s.ArticleUrl() + row.query);
        CHECK(r.status == row.status);
        CHECK(r.Header("x-revision").empty());
        if (std::string(method) == "GET") {
          CHECK(!r.body.empty());
          CHECK(!Contains(r.body, "<p>"));
        }
      }
    }
  }
}

TEST_CASE("http: history as HTML and JSON, newest first, with true sizes") {
  Stack& s = DefaultStack();
  const Snapshot before = Snap(s);
  const std::string summary = "itest summary <b>&amp; \"quoted\" caf\xC3\xA9";
  HttpResponse post = PostFields(
      s.ArticleUrl(), {{"text", WithParagraph(before.raw, Marker("history"))},
                       {"base_revision", std::to_string(before.revision)},
                       {"summary", summary}});
  REQUIRE(post.status == 303);
  const long current = before.revision + 1;
  REQUIRE(ToLong(post.Header("x-revision")) == current);

  SUBCASE("JSON") {
    // The whole history in one page (it is shorter than the maximum).
    HttpResponse r =
        Get(s.ArticleUrl() + "?action=history&format=json&limit=500");
    REQUIRE(r.status == 200);
    CHECK(r.Header("content-type").rfind("application/json", 0) == 0);
    nlohmann::json doc = nlohmann::json::parse(r.body, nullptr, false);
    REQUIRE_FALSE(doc.is_discarded());
    const nlohmann::json& revs = doc.is_array() ? doc : doc["revisions"];
    REQUIRE(revs.is_array());
    REQUIRE(revs.size() == static_cast<size_t>(current));
    int64_t later = INT64_MAX;
    for (size_t i = 0; i < revs.size(); ++i) {
      const nlohmann::json& rev = revs[i];
      CAPTURE(rev.dump());
      REQUIRE(rev.is_object());
      for (const char* field :
           {"id", "timestamp", "size", "author", "summary"}) {
        INFO("field: " << std::string(field));
        REQUIRE(rev.contains(field));
      }
      REQUIRE(rev["id"].is_number_integer());
      const long id = rev["id"].get<long>();
      CHECK(id == current - static_cast<long>(i));  // newest first, no gaps
      REQUIRE(rev["timestamp"].is_string());
      const int64_t t = ParseIsoUtc(rev["timestamp"].get<std::string>());
      CHECK(t > 0);
      CHECK(t <= later);
      later = t;
      CHECK(rev["author"].is_string());
      CHECK(rev["summary"].is_string());
      REQUIRE(rev["size"].is_number_integer());
      HttpResponse raw =
          Get(s.ArticleUrl() + "?oldid=" + std::to_string(id) + "&action=raw");
      REQUIRE(raw.status == 200);
      CHECK(rev["size"].get<long>() == static_cast<long>(raw.body.size()));
      if (id == current) {
        CHECK(rev["summary"] == summary);
        CHECK(rev["author"] == "127.0.0.1");
        CHECK(rev["size"].get<long>() == static_cast<long>(Snap(s).raw.size()));
        // The timestamp is the revision's Last-Modified.
        CHECK(ParseHttpDate(Get(s.ArticleUrl()).Header("last-modified")) == t);
      }
      if (id == 1) {
        CHECK(rev["size"].get<long>() ==
              static_cast<long>(ReadFile(kSampleFile).size()));
        CHECK(ParseHttpDate(
                  Get(s.ArticleUrl() + "?oldid=1").Header("last-modified")) ==
              t);
      }
    }
  }
  SUBCASE("HTML") {
    HttpResponse r = Get(s.ArticleUrl() + "?action=history&limit=500");
    REQUIRE(r.status == 200);
    CheckArticleHtmlHeaders(r);
    CHECK(ToLower(r.body.substr(0, 15)) == "<!doctype html>");
    CHECK(Contains(r.body, "</html>"));
    // The summary is shown escaped, never as markup.
    CHECK(Contains(VisibleText(r.body), summary));
    CHECK_FALSE(Contains(r.body, "<b>&amp;"));
    CHECK(Contains(VisibleText(r.body), "127.0.0.1"));
    // Newest first: links to every revision, in descending order.
    size_t last_pos = 0;
    for (long id = current; id >= 1; --id) {
      CAPTURE(id);
      const size_t pos = r.body.find("oldid=" + std::to_string(id) + "\"");
      REQUIRE(pos != std::string::npos);
      CHECK(pos >= last_pos);
      last_pos = pos;
    }
  }
  SUBCASE("paged: one revision a page, linked and continued") {
    HttpResponse r =
        Get(s.ArticleUrl() + "?action=history&format=json&limit=1");
    REQUIRE(r.status == 200);
    nlohmann::json doc = nlohmann::json::parse(r.body, nullptr, false);
    REQUIRE_FALSE(doc.is_discarded());
    REQUIRE(doc["revisions"].size() == 1);
    CHECK(doc["revisions"][0]["id"].get<long>() == current);
    CHECK(doc["continue"]["offset"].get<long>() == current);
    const std::string older =
        "?action=history&amp;limit=1&amp;offset=" + std::to_string(current - 1);
    HttpResponse html = Get(s.ArticleUrl() + "?action=history&limit=1&offset=" +
                            std::to_string(current));
    REQUIRE(html.status == 200);
    CHECK(Contains(html.body, "oldid=" + std::to_string(current - 1) + "\""));
    CHECK_FALSE(Contains(html.body, "oldid=" + std::to_string(current) + "\""));
    CHECK(Contains(html.body, "rel=\"prev\">newer 1</a>"));
    if (current > 2) CHECK(Contains(html.body, older));
    CHECK(Get(s.ArticleUrl() + "?action=history&limit=x").status == 400);
  }
}

TEST_CASE("http: action=edit is a form holding the current raw article") {
  Stack& s = DefaultStack();
  const Snapshot snap = Snap(s);
  HttpResponse r = Get(s.ArticleUrl() + "?action=edit");
  REQUIRE(r.status == 200);
  CheckArticleHtmlHeaders(r);

  const std::vector<Element> forms = FindElements(r.body, "form");
  REQUIRE(forms.size() == 1);
  const Element& form = forms[0];
  CHECK(ToLower(Attr(form, "method")) == "post");
  const std::string action = Attr(form, "action");
  CHECK((action == kPath || action == s.ArticleUrl()));
  const std::string enctype = ToLower(Attr(form, "enctype"));
  CHECK((enctype.empty() || enctype == kUrlEncoded ||
         enctype == "multipart/form-data"));

  const std::vector<Element> textareas = FindElements(form.inner, "textarea");
  REQUIRE(textareas.size() == 1);
  CHECK(Attr(textareas[0], "name") == "text");
  CHECK_FALSE(Contains(textareas[0].inner, "<"));  // escaped, not markup
  const std::string text = HtmlUnescape(textareas[0].inner);
  // HTML drops one newline right after <textarea>.
  const std::string shown = text.rfind('\n', 0) == 0 ? text.substr(1) : text;
  const bool same = shown == snap.raw;
  CHECK_MESSAGE(same, FirstDifference(snap.raw, shown));

  std::map<std::string, Element> inputs;
  for (const Element& input : FindElements(form.inner, "input")) {
    inputs[Attr(input, "name")] = input;
  }
  REQUIRE(inputs.count("base_revision") == 1);
  CHECK(ToLower(Attr(inputs["base_revision"], "type")) == "hidden");
  CHECK(Attr(inputs["base_revision"], "value") ==
        std::to_string(snap.revision));
  REQUIRE(inputs.count("summary") == 1);
  CHECK(ToLower(Attr(inputs["summary"], "type")) != "hidden");

  // What a browser submits, modified, is accepted.
  HttpResponse post =
      PostFields(s.ArticleUrl(),
                 {{"base_revision", Attr(inputs["base_revision"], "value")},
                  {"text", WithParagraph(shown, Marker("form"))},
                  {"summary", "via the form"}});
  CHECK(post.status == 303);
  CHECK(ToLong(post.Header("x-revision")) == snap.revision + 1);
}

TEST_CASE("http: the edit form gives a browser the article's leading newline") {
  // Browsers drop one newline right after <textarea>, so a form that does
  // not write one itself loses an article's first newline on every save.
  Stack& s = DefaultStack();
  const Snapshot before = Snap(s);
  const std::string text = "\n" + WithParagraph(before.raw, Marker("newline"));
  PutEdit(s, text);
  HttpResponse r = Get(s.ArticleUrl() + "?action=edit");
  REQUIRE(r.status == 200);
  const std::vector<Element> textareas = FindElements(r.body, "textarea");
  REQUIRE(textareas.size() == 1);
  std::string shown = HtmlUnescape(textareas[0].inner);
  if (shown.rfind('\n', 0) == 0) shown.erase(0, 1);  // as a browser does
  const bool same = shown == text;
  CHECK_MESSAGE(same, FirstDifference(text, shown));
  PutEdit(s, before.raw);  // no leading newline for the other tests
}

// =============================================================================
// Writes
// =============================================================================

TEST_CASE("http: PUT with If-Match saves; stale gets 412, none 428") {
  Stack& s = DefaultStack();
  const Snapshot before = Snap(s);
  const std::string text = WithParagraph(before.raw, Marker("put"));
  HttpResponse r = Put(s.ArticleUrl(), text, before.etag);
  REQUIRE(r.status == 200);
  CHECK(ToLong(r.Header("x-revision")) == before.revision + 1);
  CHECK(IsStrongETag(r.Header("etag")));
  CHECK(r.Header("etag") != before.etag);
  const Snapshot after = Snap(s);
  CHECK(after.revision == before.revision + 1);
  CHECK(after.etag == r.Header("etag"));
  const bool same = after.raw == text;
  CHECK_MESSAGE(same, FirstDifference(text, after.raw));

  const std::string page_etag = Get(s.ArticleUrl()).Header("etag");
  struct Row {
    const char* name;
    std::string if_match;
    int status;
  };
  const std::vector<Row> rows = {
      {"stale ETag", before.etag, 412},
      {"the reader page's ETag", page_etag, 412},
      {"weak form of the current ETag", "W/" + after.etag, 412},
      {"unrelated ETag", "\"r999-0000000000000000\"", 412},
      {"no If-Match", "", 428},
  };
  for (const Row& row : rows) {
    SUBCASE(row.name) {
      HttpResponse bad =
          Put(s.ArticleUrl(), WithParagraph(after.raw, Marker("lost")),
              row.if_match);
      CHECK(bad.status == row.status);
      CHECK(!bad.body.empty());
      if (row.status == 412) CHECK(bad.Header("etag") == after.etag);
      CheckUnchanged(s, after);
    }
  }
}

TEST_CASE("http: POST urlencoded saves with 303 to the reader page") {
  Stack& s = DefaultStack();
  const Snapshot before = Snap(s);
  // Characters urlencoding must carry: + & = % ; and UTF-8.
  const std::string text = WithParagraph(
      before.raw, Marker("post") + " 1+1=2 &amp; 100% a;b \xE2\x9C\x88");
  HttpResponse r =
      Post(s.ArticleUrl(), kUrlEncoded,
           UrlEncoded({{"text", text},
                       {"base_revision", std::to_string(before.revision)},
                       {"summary", "urlencoded edit"}}));
  REQUIRE(r.status == 303);
  const std::string location = r.Header("location");
  CHECK((location == kPath || location == s.ArticleUrl()));
  CHECK(ToLong(r.Header("x-revision")) == before.revision + 1);
  const Snapshot after = Snap(s);
  CHECK(after.revision == before.revision + 1);
  const bool same = after.raw == text;
  CHECK_MESSAGE(same, FirstDifference(text, after.raw));
  HttpResponse page =
      Get(location[0] == '/' ? s.BaseUrl() + location : location);
  CHECK(page.status == 200);
  CHECK(ToLong(page.Header("x-revision")) == after.revision);
}

TEST_CASE(
    "http: POST multipart with a file part named article, as curl -F sends "
    "it") {
  Stack& s = DefaultStack();
  const Snapshot before = Snap(s);
  // A file with CRLF lines, a "--" line and UTF-8 must arrive byte for byte.
  const std::string text = before.raw + "<p>" + Marker("multipart") +
                           "</p>\r\n--\r\n<p>--" + kBoundary +
                           "x caf\xC3\xA9</p>\r\n";
  std::vector<Part> parts = ArticleUpload(text, before.revision);
  parts.push_back({"summary", "multipart edit", "", ""});
  HttpResponse r = Post(s.ArticleUrl(), MultipartType(), Multipart(parts));
  REQUIRE_MESSAGE(r.status == 303, r.body);
  const std::string location = r.Header("location");
  CHECK((location == kPath || location == s.ArticleUrl()));
  CHECK(ToLong(r.Header("x-revision")) == before.revision + 1);
  const Snapshot after = Snap(s);
  const bool same = after.raw == text;
  CHECK_MESSAGE(same, FirstDifference(text, after.raw));

  SUBCASE("a text field in multipart works too") {
    const std::string text2 =
        WithParagraph(after.raw, Marker("multipart text"));
    HttpResponse r2 = Post(
        s.ArticleUrl(), MultipartType(),
        Multipart({{"base_revision", std::to_string(after.revision), "", ""},
                   {"text", text2, "", ""}}));
    CHECK(r2.status == 303);
    CHECK(ToLong(r2.Header("x-revision")) == after.revision + 1);
    // A text field is a textarea's value: its CRLFs (how browsers submit
    // every line break) come back as LF.
    std::string lf = text2;
    for (size_t at; (at = lf.find("\r\n")) != std::string::npos;)
      lf.erase(at, 1);
    CHECK(Snap(s).raw == lf);
  }
}

TEST_CASE(
    "http: revision ids go up by exactly one across POST, multipart and PUT; "
    "author and summary are recorded") {
  Stack& s = DefaultStack();
  Snapshot snap = Snap(s);
  const long first = snap.revision;
  for (int i = 0; i < 4; ++i) {
    CAPTURE(i);
    const std::string summary = "sequence " + std::to_string(i);
    const std::string text = WithParagraph(snap.raw, Marker("sequence"));
    HttpResponse r;
    if (i == 2) {
      r = Put(s.ArticleUrl(), text, snap.etag);
      REQUIRE(r.status == 200);
    } else if (i % 2 == 0) {
      r = Post(s.ArticleUrl(), kUrlEncoded,
               UrlEncoded({{"text", text},
                           {"base_revision", std::to_string(snap.revision)},
                           {"summary", summary}}));
      REQUIRE(r.status == 303);
    } else {
      std::vector<Part> parts = ArticleUpload(text, snap.revision);
      parts.push_back({"summary", summary, "", ""});
      r = Post(s.ArticleUrl(), MultipartType(), Multipart(parts));
      REQUIRE(r.status == 303);
    }
    CHECK(ToLong(r.Header("x-revision")) == snap.revision + 1);
    snap = Snap(s);
    CHECK(snap.revision == first + i + 1);
  }
  nlohmann::json doc = nlohmann::json::parse(
      Get(s.ArticleUrl() + "?action=history&format=json").body);
  const nlohmann::json& revs = doc.is_array() ? doc : doc["revisions"];
  REQUIRE(revs.size() >= 4);
  for (int i = 0; i < 4; ++i) {
    const nlohmann::json& rev = revs[3 - i];  // newest first
    CHECK(rev["id"].get<long>() == first + i + 1);
    if (i != 2) CHECK(rev["summary"] == "sequence " + std::to_string(i));
    CHECK(rev["author"] == "127.0.0.1");
  }
}

TEST_CASE(
    "http: a stale base_revision with merge=off gets 409 and loses nothing") {
  Stack& s = StrictStack();
  const Snapshot base = Snap(s);
  // Someone else saves first.
  const std::string theirs =
      "<h2>Theirs</h2>\n<p>" + Marker("theirs") + " &amp; co</p>\n";
  HttpResponse first = PostFields(
      s.ArticleUrl(),
      {{"text", theirs}, {"base_revision", std::to_string(base.revision)}});
  REQUIRE(first.status == 303);
  const Snapshot current = Snap(s);
  REQUIRE(current.revision == base.revision + 1);

  // The slower editor posts against the old base.
  const std::string mine =
      "<h2>Mine</h2>\n<p>" + Marker("mine") + " \"quoted\" &lt;x&gt;</p>\n";
  HttpResponse r = PostFields(s.ArticleUrl(),
                              {{"text", mine},
                               {"base_revision", std::to_string(base.revision)},
                               {"summary", "late"}});
  REQUIRE(r.status == 409);
  CheckArticleHtmlHeaders(r);
  CheckUnchanged(s, current);

  std::vector<std::string> shown;
  for (const Element& t : FindElements(r.body, "textarea")) {
    CHECK_FALSE(Contains(t.inner, "<"));
    std::string text = HtmlUnescape(t.inner);
    shown.push_back(text.rfind('\n', 0) == 0 ? text.substr(1) : text);
  }
  CHECK(std::count(shown.begin(), shown.end(), mine) >= 1);
  CHECK(std::count(shown.begin(), shown.end(), current.raw) >= 1);

  const std::vector<Element> forms = FindElements(r.body, "form");
  REQUIRE(forms.size() == 1);
  const Element& form = forms[0];
  CHECK(ToLower(Attr(form, "method")) == "post");
  const std::string action = Attr(form, "action");
  CHECK((action == kPath || action == s.ArticleUrl()));
  std::string fresh_base;
  for (const Element& input : FindElements(form.inner, "input")) {
    if (Attr(input, "name") == "base_revision")
      fresh_base = Attr(input, "value");
  }
  CHECK(fresh_base == std::to_string(current.revision));
  const std::vector<Element> fields = FindElements(form.inner, "textarea");
  REQUIRE(fields.size() == 1);
  CHECK(Attr(fields[0], "name") == "text");
  std::string draft = HtmlUnescape(fields[0].inner);
  if (draft.rfind('\n', 0) == 0) draft.erase(0, 1);
  CHECK(draft == mine);

  // Resubmitting the fresh form saves the editor's work.
  HttpResponse again =
      PostFields(s.ArticleUrl(), {{"text", draft},
                                  {"base_revision", fresh_base},
                                  {"summary", "resolved"}});
  CHECK(again.status == 303);
  CHECK(ToLong(again.Header("x-revision")) == current.revision + 1);
  CHECK(Snap(s).raw == mine);
}

// =============================================================================
// Bad input: the status, and an unchanged article
// =============================================================================

struct BadWrite {
  const char* name;
  const char* method;
  const char* query;         // appended to the article URL
  std::string content_type;  // "" = no Content-Type at all
  // The body, given the current state (so that a request the server wrongly
  // accepted would really change the article).
  std::string (*body)(const Snapshot&);
  bool if_match;  // send the current raw ETag
  int status;
};

std::string Rev(const Snapshot& s) { return std::to_string(s.revision); }
std::string Valid(const Snapshot& s) {
  return WithParagraph(s.raw, Marker("should not land"));
}
std::string ValidEncoded(const Snapshot& s) {
  return wiki::FormEncode(Valid(s));
}

TEST_CASE(
    "http: malformed or incomplete writes get 400 (428 without a base) and "
    "change nothing") {
  Stack& s = DefaultStack();
  const std::string mp = MultipartType();
  const std::vector<BadWrite> rows = {
      // Percent-encoding in the body.
      {"text=%zz", "POST", "", kUrlEncoded,
       [](const Snapshot& snap) {
         return "text=%zz" + ValidEncoded(snap) + "&base_revision=" + Rev(snap);
       },
       false, 400},
      {"text ending in %", "POST", "", kUrlEncoded,
       [](const Snapshot& snap) {
         return "base_revision=" + Rev(snap) + "&text=" + ValidEncoded(snap) +
                "%";
       },
       false, 400},
      {"text with %4 and no second digit", "POST", "", kUrlEncoded,
       [](const Snapshot& snap) {
         return "text=" + ValidEncoded(snap) + "%4&base_revision=" + Rev(snap);
       },
       false, 400},
      {"base_revision=%G1", "POST", "", kUrlEncoded,
       [](const Snapshot& snap) {
         return "text=" + ValidEncoded(snap) + "&base_revision=%G1";
       },
       false, 400},
      {"field name %zz", "POST", "", kUrlEncoded,
       [](const Snapshot& snap) {
         return "text=" + ValidEncoded(snap) + "&base_revision=" + Rev(snap) +
                "&%zz=1";
       },
       false, 400},
      // Percent-encoding in the query of a write.
      {"POST with ?action=%zz", "POST", "?action=%zz", kUrlEncoded,
       [](const Snapshot& snap) {
         return "text=" + ValidEncoded(snap) + "&base_revision=" + Rev(snap);
       },
       false, 400},
      {"PUT with ?x=%zz", "PUT", "?x=%zz", kHtml, &Valid, true, 400},
      // Missing text.
      {"no text field", "POST", "", kUrlEncoded,
       [](const Snapshot& snap) {
         return "base_revision=" + Rev(snap) + "&summary=x";
       },
       false, 400},
      {"misspelt text field", "POST", "", kUrlEncoded,
       [](const Snapshot& snap) {
         return "txt=" + ValidEncoded(snap) + "&base_revision=" + Rev(snap);
       },
       false, 400},
      {"empty body", "POST", "", kUrlEncoded,
       [](const Snapshot&) { return std::string(); }, false, 400},
      {"multipart without text or article", "POST", "", mp,
       [](const Snapshot& snap) {
         return Multipart(
             {{"base_revision", Rev(snap), "", ""}, {"summary", "x", "", ""}});
       },
       false, 400},
      // Non-numeric base_revision.
      {"base_revision=abc", "POST", "", kUrlEncoded,
       [](const Snapshot& snap) {
         return "text=" + ValidEncoded(snap) + "&base_revision=abc";
       },
       false, 400},
      {"base_revision empty", "POST", "", kUrlEncoded,
       [](const Snapshot& snap) {
         return "text=" + ValidEncoded(snap) + "&base_revision=";
       },
       false, 400},
      {"base_revision=-1", "POST", "", kUrlEncoded,
       [](const Snapshot& snap) {
         return "text=" + ValidEncoded(snap) + "&base_revision=-1";
       },
       false, 400},
      {"base_revision=<n>.0", "POST", "", kUrlEncoded,
       [](const Snapshot& snap) {
         return "text=" + ValidEncoded(snap) + "&base_revision=" + Rev(snap) +
                ".0";
       },
       false, 400},
      {"base_revision=0x1", "POST", "", kUrlEncoded,
       [](const Snapshot& snap) {
         return "text=" + ValidEncoded(snap) + "&base_revision=0x1";
       },
       false, 400},
      {"multipart base_revision=abc", "POST", "", mp,
       [](const Snapshot& snap) {
         return Multipart({{"article", Valid(snap), kArticleFile, "text/html"},
                           {"base_revision", "abc", "", ""}});
       },
       false, 400},
      // Malformed multipart.
      {"multipart without a boundary parameter", "POST", "",
       "multipart/form-data",
       [](const Snapshot& snap) {
         return Multipart(ArticleUpload(Valid(snap), snap.revision));
       },
       false, 400},
      {"multipart with another boundary than announced", "POST", "", mp,
       [](const Snapshot& snap) {
         return Multipart(ArticleUpload(Valid(snap), snap.revision),
                          "otherboundary1234");
       },
       false, 400},
      {"multipart with bare LF line ends", "POST", "", mp,
       [](const Snapshot& snap) {
         std::string body =
             Multipart(ArticleUpload(Valid(snap), snap.revision));
         std::string lf;
         for (char c : body) {
           if (c != '\r') lf += c;
         }
         return lf;
       },
       false, 400},
      {"multipart part without a name", "POST", "", mp,
       [](const Snapshot& snap) {
         return "--" + std::string(kBoundary) +
                "\r\nContent-Disposition: form-data; "
                "filename=\"a.html\"\r\n\r\n" +
                Valid(snap) + "\r\n" +
                Multipart({{"base_revision", Rev(snap), "", ""}});
       },
       false, 400},
      {"multipart part without Content-Disposition", "POST", "", mp,
       [](const Snapshot& snap) {
         return "--" + std::string(kBoundary) +
                "\r\nContent-Type: text/html\r\n\r\n" + Valid(snap) + "\r\n" +
                Multipart({{"base_revision", Rev(snap), "", ""}});
       },
       false, 400},
      {"multipart with an unterminated quote", "POST", "", mp,
       [](const Snapshot& snap) {
         return "--" + std::string(kBoundary) +
                "\r\nContent-Disposition: form-data; name=\"article\r\n\r\n" +
                Valid(snap) + "\r\n" +
                Multipart({{"base_revision", Rev(snap), "", ""}});
       },
       false, 400},
      {"multipart that is not multipart", "POST", "", mp,
       [](const Snapshot& snap) {
         return "text=" + ValidEncoded(snap) + "&base_revision=" + Rev(snap);
       },
       false, 400},
      // Truncated multipart.
      {"multipart without its close delimiter", "POST", "", mp,
       [](const Snapshot& snap) {
         std::string body =
             Multipart(ArticleUpload(Valid(snap), snap.revision));
         return body.substr(0,
                            body.size() - (std::string(kBoundary).size() + 6));
       },
       false, 400},
      {"multipart cut inside the article", "POST", "", mp,
       [](const Snapshot& snap) {
         std::vector<Part> parts = {
             {"base_revision", Rev(snap), "", ""},
             {"article", Valid(snap), kArticleFile, "text/html"}};
         std::string body = Multipart(parts);
         return body.substr(0, body.size() / 2);
       },
       false, 400},
      {"multipart cut inside part headers", "POST", "", mp,
       [](const Snapshot& snap) {
         std::string body =
             Multipart({{"base_revision", Rev(snap), "", ""},
                        {"article", Valid(snap), kArticleFile, "text/html"}});
         return body.substr(0, body.find("name=\"article\"") + 8);
       },
       false, 400},
      // No base_revision at all.
      {"urlencoded without base_revision", "POST", "", kUrlEncoded,
       [](const Snapshot& snap) {
         return "text=" + ValidEncoded(snap) + "&summary=x";
       },
       false, 428},
      {"multipart without base_revision", "POST", "", mp,
       [](const Snapshot& snap) {
         return Multipart(
             {{"article", Valid(snap), kArticleFile, "text/html"}});
       },
       false, 428},
  };
  for (const BadWrite& row : rows) {
    SUBCASE(row.name) {
      const Snapshot before = Snap(s);
      Headers headers = {{"Content-Type", row.content_type}};
      if (row.if_match) headers.emplace_back("If-Match", before.etag);
      HttpResponse r = Send(row.method, s.ArticleUrl() + row.query, headers,
                            row.body(before));
      CHECK(r.status == row.status);
      CHECK(!Trim(r.body).empty());
      CHECK(r.Header("content-type").rfind("text/", 0) == 0);
      CheckUnchanged(s, before);
    }
  }
  SUBCASE("rejected attempts use up no revision id") {
    const Snapshot before = Snap(s);
    CHECK(PutEdit(s, Valid(before)) == before.revision + 1);
  }
}

TEST_CASE("http: other titles, paths and traversal attempts get 404") {
  Stack& s = DefaultStack();
  const Snapshot before = Snap(s);
  for (const char* path :
       {"/wiki/Other", "/wiki/latest_plane_crash", "/wiki/Latest_plane_crash_",
        "/wiki/Latest_plane_crash/", "/wiki/Latest%20plane%20crash",
        "/wiki/Latest_plane_crash.html", "/wiki/history.log",
        "/wiki/revisions/1.html", "/wiki/", "/foo", "/metrics/x",
        "/Latest_plane_crash"}) {
    SUBCASE(path) {
      for (const char* method : {"GET", "HEAD"}) {
        INFO("method: " << std::string(method));
        HttpResponse r = Send(method, s.BaseUrl() + path);
        CHECK(r.status == 404);
        CHECK(r.Header("x-revision").empty());
      }
      // Writes to them change nothing either.
      HttpResponse put = Put(s.BaseUrl() + path, Valid(before), before.etag);
      CHECK(put.status == 404);
      HttpResponse post =
          PostFields(s.BaseUrl() + path,
                     {{"text", Valid(before)}, {"base_revision", Rev(before)}});
      CHECK(post.status == 404);
      CheckUnchanged(s, before);
    }
  }
  // Sent as is (libcurl would resolve the dot segments itself).
  for (const char* target :
       {"/wiki/../etc/passwd", "/wiki/Latest_plane_crash/../../x",
        "/wiki/%2e%2e/etc/passwd", "/wiki/%2E%2E/Latest_plane_crash.html",
        "/wiki/Latest_plane_crash/%2e%2e/%2e%2e/x",
        "/wiki/..%5c..%5cetc%5cpasswd",
        "/wiki/Latest_plane_crash/..%2fhistory.log"}) {
    SUBCASE(target) {
      RawResponse r = RawExchange(s, RawRequest("GET", target));
      CHECK(r.status == 404);
      CHECK_FALSE(Contains(r.body, "root:"));
      CHECK_FALSE(Contains(r.body, "<table"));
      CheckUnchanged(s, before);
    }
  }
  // Dot segments that climb above the root are a malformed request line:
  // nginx refuses them with 400 before any location (or the app) is
  // involved. Either way nothing is served and nothing changes.
  for (const char* target :
       {"/wiki/../../etc/passwd", "/wiki/%2e%2e/%2e%2e/etc/passwd", "/../x"}) {
    SUBCASE(target) {
      RawResponse r = RawExchange(s, RawRequest("GET", target));
      CHECK(r.status == 400);
      CHECK_FALSE(Contains(r.body, "root:"));
      CheckUnchanged(s, before);
    }
  }
}

TEST_CASE("http: other methods get 405 with Allow") {
  Stack& s = DefaultStack();
  for (const char* method :
       {"DELETE", "PATCH", "OPTIONS", "PROPFIND", "TRACE"}) {
    SUBCASE(method) {
      const Snapshot before = Snap(s);
      HttpResponse r =
          std::string(method) == "PATCH"
              ? Send(method, s.ArticleUrl(),
                     {{"Content-Type", kHtml}, {"If-Match", before.etag}},
                     Valid(before))
              : Send(method, s.ArticleUrl(), {{"If-Match", before.etag}});
      CHECK(r.status == 405);
      const std::string allow = r.Header("allow");
      CAPTURE(allow);
      for (const char* allowed : {"GET", "HEAD", "POST", "PUT"}) {
        INFO("allowed: " << std::string(allowed));
        CHECK(ContainsWord(allow, allowed));
      }
      CHECK_FALSE(ContainsWord(allow, method));
      CheckUnchanged(s, before);
    }
  }
}

TEST_CASE(
    "http: bodies over max_article_bytes get 413 from the app and from nginx") {
  Stack& s = StrictStack();  // max_article_bytes = 4096
  constexpr size_t kMax = 4096;
  constexpr size_t kNginxMax = 3 * kMax + 65536;
  auto article_of = [](size_t size) {
    const std::string open = "<p>", close = "</p>";
    return open + std::string(size - open.size() - close.size(), 'a') + close;
  };
  SUBCASE("exactly max_article_bytes is accepted") {
    const Snapshot before = Snap(s);
    const std::string text = article_of(kMax);
    HttpResponse r = Put(s.ArticleUrl(), text, before.etag);
    CHECK(r.status == 200);
    CHECK(Snap(s).raw == text);
  }
  struct Row {
    const char* name;
    std::string (*body)(const Snapshot&);  // PUT: the article; POST: the form
    const char* content_type;
    const char* from;  // a word the response must contain: who refused
  };
  const std::vector<Row> rows = {
      {"PUT of 5000 bytes",
       [](const Snapshot&) {
         return "<p>" + std::string(5000 - 7, 'b') + "</p>";
       },
       kHtml, "4096"},
      {"POST urlencoded text of 4097 bytes",
       [](const Snapshot& snap) {
         return UrlEncoded(
             {{"text", "<p>" + std::string(4097 - 7, 'c') + "</p>"},
              {"base_revision", Rev(snap)}});
       },
       kUrlEncoded, "4096"},
      {"POST multipart article of 5000 bytes",
       [](const Snapshot& snap) {
         return Multipart(ArticleUpload(
             "<p>" + std::string(5000 - 7, 'd') + "</p>", snap.revision));
       },
       "multipart", "4096"},
      {"POST over client_max_body_size",
       [](const Snapshot& snap) {
         std::string body = "base_revision=" + Rev(snap) + "&text=%3Cp%3E";
         body += std::string(kNginxMax + 1 - body.size() - 9, 'e');
         return body + "%3C%2Fp%3E";
       },
       kUrlEncoded, "too large"},
      {"PUT over client_max_body_size",
       [](const Snapshot&) {
         return "<p>" + std::string(kNginxMax + 1 - 7, 'f') + "</p>";
       },
       kHtml, "too large"},
  };
  for (const Row& row : rows) {
    SUBCASE(row.name) {
      const Snapshot before = Snap(s);
      const std::string body = row.body(before);
      const bool put = std::string(row.name).rfind("PUT", 0) == 0;
      const std::string type = std::string(row.content_type) == "multipart"
                                   ? MultipartType()
                                   : row.content_type;
      HttpResponse r = put ? Put(s.ArticleUrl(), body, before.etag, type)
                           : Post(s.ArticleUrl(), type, body);
      CHECK(r.status == 413);
      CHECK(Contains(r.body, row.from));
      CheckUnchanged(s, before);
    }
  }
}

// =============================================================================
// /metrics and the massaging step
// =============================================================================

TEST_CASE("http: /metrics is Prometheus text, loopback only") {
  Stack& s = DefaultStack();
  HttpResponse r = Get(s.BaseUrl() + "/metrics");
  REQUIRE(r.status == 200);
  CHECK(r.Header("content-type").rfind("text/plain", 0) == 0);
  const std::regex sample(
      R"(^[a-zA-Z_:][a-zA-Z0-9_:]*)"                            // metric name
      R"((\{[a-zA-Z_]\w*="[^"]*"(,[a-zA-Z_]\w*="[^"]*")*\})?)"  // labels
      R"( [-+0-9.eEaNInf]+$)");                                 // value
  std::istringstream lines(r.body);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line.rfind("# HELP ", 0) == 0 ||
        line.rfind("# TYPE ", 0) == 0)
      continue;
    CAPTURE(line);
    CHECK(std::regex_match(line, sample));
  }
  for (const char* type : {"# TYPE wiki_http_requests_total counter",
                           "# TYPE wiki_edits_total counter",
                           "# TYPE wiki_fib_computations_total counter",
                           "# TYPE wiki_current_revision gauge"}) {
    INFO("type: " << std::string(type));
    CHECK(Contains(r.body, type));
  }

  std::map<std::string, double> m0 = ScrapeMetrics(s);
  const Snapshot before = Snap(s);
  CHECK(Metric(m0, "wiki_current_revision") == before.revision);
  CHECK(Metric(m0, "wiki_http_requests_total{code=\"200\"}") > 0);

  // The counters move with what happens.
  CHECK(Get(s.BaseUrl() + "/wiki/Other").status == 404);
  CHECK(Put(s.ArticleUrl(), Valid(before), "\"stale\"").status == 412);
  PutEdit(s, Valid(before));
  std::map<std::string, double> m1 = ScrapeMetrics(s);
  CHECK(Metric(m1, "wiki_current_revision") == before.revision + 1);
  CHECK(Metric(m1, "wiki_current_revision") ==
        ToLong(Get(s.ArticleUrl() + "?action=raw").Header("x-revision")));
  CHECK(Metric(m1, "wiki_http_requests_total{code=\"404\"}") -
            Metric(m0, "wiki_http_requests_total{code=\"404\"}") ==
        1);
  CHECK(Metric(m1, "wiki_http_requests_total{code=\"412\"}") -
            Metric(m0, "wiki_http_requests_total{code=\"412\"}") ==
        1);
  CHECK(Metric(m1, "wiki_edits_total{outcome=\"clean\"}") -
            Metric(m0, "wiki_edits_total{outcome=\"clean\"}") ==
        1);
  CHECK(Metric(m1, "wiki_edits_total{outcome=\"stale\"}") -
            Metric(m0, "wiki_edits_total{outcome=\"stale\"}") ==
        1);
}

TEST_CASE("http: /metrics is refused to other addresses") {
  Stack& s = DefaultStack();
  const std::string ip = NonLoopbackIpv4();
  if (ip.empty()) {
    return wiki::testing::Skip("no non-loopback IPv4 address on this host");
  }
  CAPTURE(ip);
  RawResponse article = RawExchange(s, RawRequest("GET", kPath), ip);
  REQUIRE(article.status == 200);  // the source address works at all
  RawResponse metrics = RawExchange(s, RawRequest("GET", "/metrics"), ip);
  CHECK((metrics.status == 403 || metrics.status == 404));
  CHECK_FALSE(Contains(metrics.body, "wiki_"));
}

TEST_CASE(
    "http: per-revision massaging computes fib once per edit, not per read") {
  Stack& s = DefaultStack();
  // Start from a revision saved by this server: the imported revision 1 may
  // still be computed once in a worker that has not read it yet, which the
  // contract allows ("at most once per revision in each worker").
  PutEdit(s, Valid(Snap(s)));
  auto read_30 = [&] {
    for (int i = 0; i < 30; ++i) {
      HttpResponse r = Get(s.ArticleUrl() + (i % 2 == 0 ? "" : "?action=raw"));
      REQUIRE(r.status == 200);
      CHECK(r.Header("x-fibonacci") == kFib34);
    }
  };
  const double c0 = FibComputations(s);
  read_30();
  CHECK(FibComputations(s) == c0);
  PutEdit(s, Valid(Snap(s)));
  CHECK(FibComputations(s) == c0 + 1);
  read_30();
  CHECK(FibComputations(s) == c0 + 1);
}

TEST_CASE("http: per-request massaging computes fib on every article read") {
  std::unique_ptr<Stack> s = StartStack(
      std::string(kNoShed) + " massage.mode=per-request massage.fib_n=20");
  REQUIRE(s != nullptr);
  const double c0 = FibComputations(*s);
  for (int i = 0; i < 10; ++i) {
    HttpResponse r = Get(s->ArticleUrl() + (i % 2 == 0 ? "" : "?action=raw"));
    REQUIRE(r.status == 200);
    CHECK(r.Header("x-fibonacci") == kFib20);
  }
  CHECK(FibComputations(*s) == c0 + 10);
  CHECK(s->Stop());
}

}  // namespace
