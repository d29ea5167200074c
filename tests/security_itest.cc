// Integration tests of the defences against hostile editors (README,
// "Security"), through the real nginx and workers: strict PUT
// preconditions, cross-site form posts, forged authors, per-address limits.
// The rules themselves are unit-tested row by row (handler_test.cc,
// http_test.cc, edit_test.cc); these prove nginx passes what the app needs.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "http_client.h"
#include "itest_util.h"
#include "stack.h"
#include "test_util.h"

namespace wiki {
namespace {

using namespace wiki::testing;  // NOLINT(build/namespaces): test helpers

Stack& SecurityStack() {
  static std::unique_ptr<Stack> stack = StartStack(kNoShed);
  REQUIRE_MESSAGE(stack != nullptr, "the security stack did not start");
  return *stack;
}

std::string Host(const Stack& s) {
  return "127.0.0.1:" + std::to_string(s.port());
}

HttpResponse PostAs(const Stack& s, const Snapshot& before,
                    const std::string& text, Headers headers) {
  return Post(s.ArticleUrl(), kUrlEncoded,
              UrlEncoded({{"text", text},
                          {"base_revision", std::to_string(before.revision)}}),
              std::move(headers));
}

TEST_CASE("security: PUT needs a real ETag and a UTF-8 text/html body") {
  Stack& s = SecurityStack();
  struct Row {
    const char* name;
    const char* content_type;  // "" = none at all
    const char* if_match;      // "@" = the current raw ETag
    int status;
  };
  const Row rows[] = {
      {"If-Match: *", kHtml, "*", 428},
      {"* in a list", kHtml, "\"x\", *", 428},
      {"no Content-Type", "", "@", 415},
      {"charset=iso-8859-1", "text/html; charset=iso-8859-1", "@", 415},
      {"charset=utf-16", "text/html;charset=UTF-16", "@", 415},
  };
  for (const Row& row : rows) {
    SUBCASE(row.name) {
      const Snapshot before = Snap(s);
      const std::string tag =
          std::string(row.if_match) == "@" ? before.etag : row.if_match;
      HttpResponse r =
          Send("PUT", s.ArticleUrl(),
               {{"Content-Type", row.content_type}, {"If-Match", tag}},
               WithParagraph(before.raw, Marker("no")));
      CHECK(r.status == row.status);
      CHECK(r.Header("content-type").rfind("text/plain", 0) == 0);
      CHECK(!Trim(r.body).empty());
      CheckUnchanged(s, before);
    }
  }
  SUBCASE("text/html without a charset is UTF-8 and accepted") {
    const Snapshot before = Snap(s);
    HttpResponse r = Put(s.ArticleUrl(), WithParagraph(before.raw, "plain"),
                         before.etag, "text/html");
    CHECK(r.status == 200);
    CHECK(Snap(s).revision == before.revision + 1);
  }
}

TEST_CASE("security: cross-site form posts get 403; same-site and curl pass") {
  Stack& s = SecurityStack();
  const std::string self = "http://" + Host(s);
  struct Row {
    const char* name;
    std::string origin;  // "" = not sent
    const char* site;    // "" = not sent
    int status;
  };
  const std::vector<Row> rows = {
      {"Origin of another site", "https://evil.example", "", 403},
      {"Sec-Fetch-Site: cross-site", "", "cross-site", 403},
      {"both", "https://evil.example", "cross-site", 403},
      {"Origin: null", "null", "", 403},
      {"another port of this host", "http://127.0.0.1:1", "same-site", 403},
      {"this site", self, "same-origin", 303},
      {"no Origin (curl)", "", "", 303},
  };
  for (const Row& row : rows) {
    SUBCASE(row.name) {
      const Snapshot before = Snap(s);
      Headers headers;
      if (!row.origin.empty()) headers.emplace_back("Origin", row.origin);
      if (*row.site) headers.emplace_back("Sec-Fetch-Site", row.site);
      HttpResponse r =
          PostAs(s, before, WithParagraph(before.raw, "x-site"), headers);
      CHECK(r.status == row.status);
      if (row.status == 403) {
        CHECK(r.Header("content-type").rfind("text/plain", 0) == 0);
        CHECK(Contains(r.body, "Cross-site"));
        CheckUnchanged(s, before);
      } else {
        CHECK(Snap(s).revision == before.revision + 1);
      }
    }
  }
  SUBCASE("the MediaWiki API's edits obey the same rule") {
    const Snapshot before = Snap(s);
    const std::string body =
        "action=edit&format=json&title=Latest_plane_crash"
        "&text=%3Cp%3Ex%3C%2Fp%3E&baserevid=" +
        std::to_string(before.revision) + "&token=%2B%5C";
    HttpResponse r = Post(s.BaseUrl() + "/w/api.php", kUrlEncoded, body,
                          {{"Origin", "https://evil.example"}});
    CHECK(r.status == 403);
    CheckUnchanged(s, before);
  }
  SUBCASE("a cross-site post with a broken body is still 403") {
    const Snapshot before = Snap(s);
    HttpResponse r = Post(s.ArticleUrl(), kUrlEncoded, "text=%zz",
                          {{"Origin", "https://evil.example"}});
    CHECK(r.status == 403);
    CheckUnchanged(s, before);
  }
}

// The author of the newest revision, from the history JSON.
std::string NewestAuthor(const Stack& s) {
  HttpResponse r = Get(s.ArticleUrl() + "?action=history&format=json");
  REQUIRE(r.status == 200);
  auto doc = nlohmann::json::parse(r.body);
  REQUIRE(!doc["revisions"].empty());
  return doc["revisions"][0].value("author", std::string());
}

// "user:$apr1$..." from `openssl passwd -apr1`.
std::string HtpasswdLine(const std::string& user, const std::string& pass) {
  FILE* p = ::popen(("openssl passwd -apr1 '" + pass + "'").c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[256] = {};
  const bool got = std::fgets(buf, sizeof buf, p) != nullptr;
  ::pclose(p);
  REQUIRE(got);
  return user + ":" + Trim(buf) + "\n";
}

TEST_CASE("security: without EDITOR_AUTH a Basic header names no author") {
  Stack& s = SecurityStack();
  const Snapshot before = Snap(s);
  // base64("mallory:x")
  HttpResponse r = Send("PUT", s.ArticleUrl(),
                        {{"Content-Type", kHtml},
                         {"If-Match", before.etag},
                         {"Authorization", "Basic bWFsbG9yeTp4"}},
                        WithParagraph(before.raw, "forged"));
  REQUIRE(r.status == 200);
  CHECK(NewestAuthor(s) == "127.0.0.1");
}

TEST_CASE("security: with EDITOR_AUTH writes need a checked name, the author") {
  testing::TempDir dir("wiki-editor-auth");
  const std::string long_user(70, 'l');
  const std::string htpasswd = dir / "editors.htpasswd";
  {
    std::ofstream f(htpasswd);
    f << HtpasswdLine("alice", "secret") << HtpasswdLine(long_user, "secret");
  }
  REQUIRE(::chmod(dir.path().c_str(), 0755) == 0);
  REQUIRE(::chmod(htpasswd.c_str(), 0644) == 0);
  Stack::Options options;
  options.wiki_set = kNoShed;
  options.env["EDITOR_AUTH"] = htpasswd;
  std::unique_ptr<Stack> s = Stack::Start(options);
  REQUIRE(s != nullptr);

  const Snapshot before = Snap(*s);
  const std::string text = WithParagraph(before.raw, "by alice");
  auto put = [&](const std::string& auth) {
    Headers h = {{"Content-Type", kHtml}, {"If-Match", Snap(*s).etag}};
    if (!auth.empty()) h.emplace_back("Authorization", "Basic " + auth);
    return Send("PUT", s->ArticleUrl(), h, text);
  };
  // One stack, so the cases run in sequence rather than as SUBCASEs.
  CHECK(Get(s->ArticleUrl()).status == 200);  // reads need nothing
  {  // no credentials, a wrong password: 401, nothing saved
    CHECK(put("").status == 401);
    CHECK(put("YWxpY2U6d3Jvbmc=").status == 401);  // alice:wrong
    HttpResponse post =
        Post(s->ArticleUrl(), kUrlEncoded,
             UrlEncoded({{"text", text}, {"base_revision", "1"}}));
    CHECK(post.status == 401);
    CheckUnchanged(*s, before);
  }
  {  // alice:secret saves as alice
    HttpResponse r = put("YWxpY2U6c2VjcmV0");
    CHECK(r.status == 200);
    CHECK(NewestAuthor(*s) == "alice");
  }
  {  // a checked name over 64 bytes is refused
    const Snapshot mid = Snap(*s);
    const std::string cred = long_user + ":secret";
    // base64 of the credentials, by hand: the test has no base64 helper.
    static const char* k =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string b64;
    for (size_t i = 0; i < cred.size(); i += 3) {
      const unsigned n =
          (static_cast<unsigned char>(cred[i]) << 16) |
          (i + 1 < cred.size() ? static_cast<unsigned char>(cred[i + 1]) << 8
                               : 0) |
          (i + 2 < cred.size() ? static_cast<unsigned char>(cred[i + 2]) : 0);
      b64 += k[(n >> 18) & 63];
      b64 += k[(n >> 12) & 63];
      b64 += i + 1 < cred.size() ? k[(n >> 6) & 63] : '=';
      b64 += i + 2 < cred.size() ? k[n & 63] : '=';
    }
    HttpResponse r = put(b64);
    CHECK(r.status == 400);
    CHECK(Contains(r.body, "64 bytes"));
    CheckUnchanged(*s, mid);
  }
  CHECK(s->Stop());
}

// A PUT without If-Match (428 from the app: cheap, changes nothing), on a
// connection of its own from `source_ip`.
RawResponse CheapWrite(const Stack& s, const std::string& source_ip) {
  return RawExchange(s,
                     RawRequest("PUT", kPath,
                                "Content-Type: text/html\r\n"
                                "Content-Length: 9\r\n") +
                         "<p>x</p>\n",
                     source_ip);
}

TEST_CASE("security: writes are rate-limited per address, loopback is not") {
  Stack& s = SecurityStack();
  const Snapshot before = Snap(s);
  // 40 writes in a burst: far over 2/s with a burst of 10, whatever the
  // machine's speed (each takes milliseconds).
  int limited = 0, other = 0;
  for (int i = 0; i < 40; ++i) {
    RawResponse r = CheapWrite(s, "127.0.0.2");
    if (r.status == 429) {
      ++limited;
      CHECK(Contains(r.head, "Retry-After: 1"));
      CHECK(Contains(r.head, "Content-Type: text/plain"));
      CHECK(Contains(r.body, "Too many requests"));
    } else {
      CHECK(r.status == 428);
      ++other;
    }
  }
  CHECK(limited >= 20);
  CHECK(other >= 1);
  // Reads from the limited address are not counted as writes.
  CHECK(RawExchange(s, RawRequest("GET", kPath), "127.0.0.2").status == 200);
  // 127.0.0.1 (storms, benchmarks) is never throttled.
  for (int i = 0; i < 40; ++i) {
    CHECK(CheapWrite(s, "127.0.0.1").status == 428);
  }
  CheckUnchanged(s, before);
}

TEST_CASE("security: nginx's own answers are short plain texts") {
  Stack& s = SecurityStack();
  struct Row {
    const char* name;
    std::string request;
    int status;
  };
  const std::vector<Row> rows = {
      {"unknown path", RawRequest("GET", "/nope"), 404},
      {"URI too long", RawRequest("GET", "/wiki/" + std::string(9000, 'a')),
       414},
      {"malformed request", "GET / HTTP/1.1\r\nHost: a\r\nBad Header\r\n\r\n",
       400},
      {"a header line over 8k",
       RawRequest("GET", kPath, "X-Big: " + std::string(9000, 'b') + "\r\n"),
       400},
  };
  for (const Row& row : rows) {
    SUBCASE(row.name) {
      RawResponse r = RawExchange(s, row.request);
      CHECK(r.status == row.status);
      CHECK(Contains(r.head, "Content-Type: text/plain"));
      CHECK(r.body.size() < 100);
      CHECK(!Contains(r.body, "<html"));
    }
  }
  SUBCASE("the / redirect is relative: no Host echo") {
    RawResponse r = RawExchange(
        s, "GET / HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n");
    CHECK(r.status == 302);
    CHECK(Contains(r.head, std::string("Location: ") + kPath + "\r\n"));
    CHECK(!Contains(r.head, "evil.example"));
  }
}

TEST_CASE("security: one CSP without 'unsafe-inline'; the style is a file") {
  Stack& s = SecurityStack();
  HttpResponse page = Get(s.ArticleUrl());  // nginx's front cache
  HttpResponse history = Get(s.ArticleUrl() + "?action=history");  // the app
  REQUIRE(page.status == 200);
  REQUIRE(history.status == 200);
  CheckArticleHtmlHeaders(page);
  CheckArticleHtmlHeaders(history);
  CHECK(page.Header("content-security-policy") ==
        history.Header("content-security-policy"));
  CHECK(!Contains(page.body, "<style"));
  CHECK(Contains(page.body, "href=\"/_wiki/style.css\""));
  HttpResponse css = Get(s.BaseUrl() + "/_wiki/style.css");
  CHECK(css.status == 200);
  CHECK(css.Header("content-type").rfind("text/css", 0) == 0);
  CHECK(Contains(css.body, "body{"));
}

TEST_CASE("security: the stack stops clean") { CHECK(SecurityStack().Stop()); }

}  // namespace
}  // namespace wiki
