// Integration tests of the defences against hostile editors (README,
// "Security"), through the real nginx and workers: strict PUT
// preconditions, cross-site form posts, forged authors, per-address limits.
// The rules themselves are unit-tested row by row (handler_test.cc,
// http_test.cc, edit_test.cc); these prove nginx passes what the app needs.
#include <doctest/doctest.h>

#include <memory>
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
  SUBCASE("a cross-site post with a broken body is still 403") {
    const Snapshot before = Snap(s);
    HttpResponse r = Post(s.ArticleUrl(), kUrlEncoded, "text=%zz",
                          {{"Origin", "https://evil.example"}});
    CHECK(r.status == 403);
    CheckUnchanged(s, before);
  }
}

TEST_CASE("security: the stack stops clean") { CHECK(SecurityStack().Stop()); }

}  // namespace
}  // namespace wiki
