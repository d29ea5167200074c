// Compressed representations: readers that accept brotli or gzip get the
// bytes compressed once per revision (brotli preferred), each with its own
// ETag, through nginx (sendfile of the cache file) or from the app itself
// (accel_redirect off).
#include <doctest/doctest.h>

#include <memory>
#include <string>

#include "http_client.h"
#include "itest_util.h"
#include "stack.h"
#include "test_util.h"

namespace wiki {
namespace {

using testing::GetRetrying;
using testing::Put;

HttpResponse Get(HttpClient& client, const std::string& url,
                 const std::string& accept_encoding,
                 const std::string& if_none_match = "") {
  HttpRequest req;
  req.url = url;
  if (!accept_encoding.empty()) {
    req.headers.push_back({"Accept-Encoding", accept_encoding});
  }
  if (!if_none_match.empty())
    req.headers.push_back({"If-None-Match", if_none_match});
  auto r = client.Send(req);
  REQUIRE(r.ok());
  return *r;
}

// Bytes per representation of the reader page, printed for README's
// "Capacity" (identity / gzip / brotli).
void PrintSizes(HttpClient& client, const std::string& url) {
  MESSAGE("page bytes: identity "
          << Get(client, url, "").body.size() << ", gzip "
          << Get(client, url, "gzip").body.size() << ", brotli "
          << Get(client, url, "br").body.size());
}

void CheckGzipContract(Stack& s) {
  HttpClient client;
  const std::string url = s.ArticleUrl();
  struct Coding {
    const char* accept;  // what a client sends
    const char* token;   // Content-Encoding
    const char* suffix;  // of the ETag
    std::string (*decode)(const std::string&);
  };
  // Browsers send "gzip, deflate, br": brotli is preferred.
  const Coding codings[] = {
      {"gzip", "gzip", "-gz", testing::Gunzip},
      {"gzip, deflate, br", "br", "-br", testing::Unbrotli},
      {"br;q=0.5, gzip;q=1", "br", "-br", testing::Unbrotli},
      {"br;q=0, gzip", "gzip", "-gz", testing::Gunzip},
  };
  for (const char* action : {"", "?action=raw"}) {
    for (const Coding& c : codings) {
      CAPTURE(action);
      CAPTURE(c.accept);
      HttpResponse plain = Get(client, url + action, "");
      HttpResponse z = Get(client, url + action, c.accept);
      REQUIRE(plain.status == 200);
      REQUIRE(z.status == 200);
      CHECK(plain.Header("content-encoding").empty());
      CHECK(z.Header("content-encoding") == c.token);
      CHECK(plain.Header("vary") == "Accept-Encoding");
      CHECK(z.Header("vary") == "Accept-Encoding");
      CHECK(z.body.size() * 2 < plain.body.size());
      CHECK(c.decode(z.body) == plain.body);
      CHECK(z.Header("x-revision") == plain.Header("x-revision"));
      CHECK(z.Header("x-fibonacci") == plain.Header("x-fibonacci"));
      CHECK_FALSE(z.Header("content-security-policy").empty());
      // Each representation has its own strong validator.
      std::string etag = plain.Header("etag");
      REQUIRE(etag.size() > 2);
      CHECK(z.Header("etag") ==
            etag.substr(0, etag.size() - 1) + c.suffix + "\"");
      CHECK(Get(client, url + action, c.accept, z.Header("etag")).status ==
            304);
      CHECK(Get(client, url + action, "", z.Header("etag")).status == 200);
    }
    // q=0 refuses a coding; the other one's tag does not match.
    HttpResponse br = Get(client, url + action, "br");
    CHECK(br.Header("content-encoding") == "br");
    CHECK(Get(client, url + action, "gzip;q=0", br.Header("etag")).status ==
          200);
    CHECK(Get(client, url + action, "gzip", br.Header("etag")).status == 200);
    CHECK(Get(client, url + action, "gzip;q=0, br;q=0")
              .Header("content-encoding")
              .empty());
  }
  PrintSizes(client, url);
  // An edit: the compressed bytes follow the new revision.
  auto raw = GetRetrying(client, url + "?action=raw");
  REQUIRE(raw.ok());
  std::string next = raw->body + "<p>gzip follows edits</p>\n";
  auto put = Put(client, url, next, raw->Header("etag"));
  REQUIRE(put.ok());
  REQUIRE(put->status == 200);
  HttpResponse gz_raw = Get(client, url + "?action=raw", "gzip");
  CHECK(gz_raw.Header("x-revision") == put->Header("x-revision"));
  CHECK(testing::Gunzip(gz_raw.body) == next);
  HttpResponse br_raw = Get(client, url + "?action=raw", "br");
  CHECK(br_raw.Header("x-revision") == put->Header("x-revision"));
  CHECK(testing::Unbrotli(br_raw.body) == next);
  // Old revisions are sent as they are.
  for (const char* ae : {"gzip", "br"}) {
    HttpResponse old = Get(client, url + "?oldid=1&action=raw", ae);
    CHECK(old.status == 200);
    CHECK(old.Header("content-encoding").empty());
  }
}

// Shedding off: these tests are about representations, and a busy CI
// machine can make a read wait past shed_after_ms. FRONT_CACHE=off: every
// read reaches the app (as the first reads before a publish do).
TEST_CASE("gzip: nginx sends the precompressed cache files") {
  Stack::Options o;
  // Every body by X-Accel-Redirect, the ~30 KB sample included (by default
  // bodies under 64 KiB come through the FastCGI connection).
  o.wiki_set = "server.accel_min_bytes=0 server.shed_after_ms=0";
  o.env["FRONT_CACHE"] = "off";
  auto s = Stack::Start(o);
  REQUIRE(s);
  CheckGzipContract(*s);
  CHECK(s->Stop());
}

TEST_CASE(
    "gzip: the app sends compressed bytes itself without X-Accel-Redirect") {
  Stack::Options o;
  o.wiki_set = "server.accel_redirect= server.shed_after_ms=0";
  o.env["FRONT_CACHE"] = "off";
  auto s = Stack::Start(o);
  REQUIRE(s);
  CheckGzipContract(*s);
  CHECK(s->Stop());
}

TEST_CASE("gzip: nginx's front cache follows the same contract") {
  Stack::Options o;
  o.wiki_set = "server.shed_after_ms=0";
  auto s = Stack::Start(o);
  REQUIRE(s);
  CheckGzipContract(*s);
  CHECK(s->Stop());
}

}  // namespace
}  // namespace wiki
