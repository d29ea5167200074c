#include "http.h"

#include <doctest/doctest.h>

#include <vector>

namespace wiki {
namespace {

TEST_CASE("http: If-None-Match uses weak comparison") {
  struct Row {
    const char* header;
    const char* etag;
    bool match;
  };
  const std::vector<Row> rows = {
      {"\"r1-ab\"", "\"r1-ab\"", true},
      {"W/\"r1-ab\"", "\"r1-ab\"", true},
      {"\"x\", \"r1-ab\"", "\"r1-ab\"", true},
      {"\"x\",\"y\"", "\"r1-ab\"", false},
      {"*", "\"r1-ab\"", true},
      {"\"r1-a\"", "\"r1-ab\"", false},
      {"", "\"r1-ab\"", false},
      {"  ,  ", "\"r1-ab\"", false},
      {"\"r1-ab", "\"r1-ab\"", false},
  };
  for (const Row& r : rows) {
    CAPTURE(r.header);
    CHECK(IfNoneMatchMatches(r.header, r.etag) == r.match);
  }
}

TEST_CASE("http: If-Match uses strong comparison") {
  struct Row {
    const char* header;
    bool match;
  };
  const std::vector<Row> rows = {
      {"\"r2-ff\"", true},  {"W/\"r2-ff\"", false}, {"\"a\", \"r2-ff\"", true},
      {"*", true},          {"\"r1-ff\"", false},   {"r2-ff", false},
      {"\"r2-ff\" ", true},
  };
  for (const Row& r : rows) {
    CAPTURE(r.header);
    CHECK(IfMatchMatches(r.header, "\"r2-ff\"") == r.match);
  }
}

TEST_CASE("http: response head") {
  Response r;
  r.status = 303;
  r.AddHeader("Location", "/wiki/X");
  r.body = "abc";
  CHECK(r.SerializeHead() ==
        "Status: 303 See Other\r\nLocation: /wiki/X\r\nContent-Length: "
        "3\r\n\r\n");
  auto shared = std::make_shared<const std::string>("12345");
  r.shared_body = shared;
  CHECK(r.Body() == "12345");
  CHECK(r.SerializeHead().find("Content-Length: 5\r\n") != std::string::npos);
  Response not_modified;
  not_modified.status = 304;
  CHECK(not_modified.SerializeHead() == "Status: 304 Not Modified\r\n\r\n");
}

TEST_CASE("http: reason phrases and JSON accept") {
  CHECK(std::string(ReasonPhrase(412)) == "Precondition Failed");
  CHECK(std::string(ReasonPhrase(507)) == "Insufficient Storage");
  CHECK(AcceptsJson("text/html, application/json;q=0.9"));
  CHECK_FALSE(AcceptsJson("text/html"));
}

TEST_CASE("http: CheckSameOrigin") {
  struct Row {
    const char* origin;
    const char* site;
    const char* host;
    bool ok;
  };
  const Row rows[] = {
      {"", "", "wiki.example", true},  // curl, scripts
      {"", "same-origin", "wiki.example", true},
      {"", "none", "wiki.example", true},  // typed in the address bar
      {"", "same-site", "wiki.example", true},
      {"http://wiki.example", "", "wiki.example", true},
      {"https://Wiki.Example", "same-origin", "wiki.example", true},
      {"http://127.0.0.1:8080", "", "127.0.0.1:8080", true},
      {"http://[::1]:8080", "", "[::1]:8080", true},
      {"", "cross-site", "wiki.example", false},
      {"", " Cross-Site ", "wiki.example", false},
      {"http://wiki.example", "cross-site", "wiki.example", false},
      {"https://evil.example", "", "wiki.example", false},
      {"https://evil.example", "same-origin", "wiki.example", false},
      {"http://wiki.example.evil.example", "", "wiki.example", false},
      {"http://wiki.example:8081", "", "wiki.example:8080", false},
      {"http://127.0.0.1:8080", "", "127.0.0.1", false},
      {"null", "", "wiki.example", false},
      {"wiki.example", "", "wiki.example", false},
      {"ftp://wiki.example", "", "wiki.example", false},
      {"http://", "", "", false},
      {"http://wiki.example", "", "", false},  // no Host to compare with
  };
  for (const Row& r : rows) {
    INFO(r.origin << " | " << r.site << " | " << r.host);
    const Status s = CheckSameOrigin(r.origin, r.site, r.host);
    CHECK(s.ok() == r.ok);
    if (!r.ok) CHECK(s.code() == Status::Code::kForbidden);
  }
}

}  // namespace
}  // namespace wiki
