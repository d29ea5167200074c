// Compressed representations: readers that accept gzip get the bytes
// gzipped once per revision, with their own ETag, through nginx (sendfile
// of the cache file) or from the app itself (accel_redirect off).
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

void CheckGzipContract(Stack& s) {
  HttpClient client;
  const std::string url = s.ArticleUrl();
  for (const char* action : {"", "?action=raw"}) {
    CAPTURE(action);
    HttpResponse plain = Get(client, url + action, "");
    HttpResponse gz = Get(client, url + action, "gzip, deflate, br");
    REQUIRE(plain.status == 200);
    REQUIRE(gz.status == 200);
    CHECK(plain.Header("content-encoding").empty());
    CHECK(gz.Header("content-encoding") == "gzip");
    CHECK(plain.Header("vary") == "Accept-Encoding");
    CHECK(gz.Header("vary") == "Accept-Encoding");
    CHECK(gz.body.size() * 2 < plain.body.size());
    CHECK(testing::Gunzip(gz.body) == plain.body);
    CHECK(gz.Header("x-revision") == plain.Header("x-revision"));
    CHECK(gz.Header("x-fibonacci") == plain.Header("x-fibonacci"));
    CHECK_FALSE(gz.Header("content-security-policy").empty());
    // Two representations, two strong validators.
    std::string etag = plain.Header("etag");
    REQUIRE(etag.size() > 2);
    CHECK(gz.Header("etag") == etag.substr(0, etag.size() - 1) + "-gz\"");
    CHECK(Get(client, url + action, "gzip", gz.Header("etag")).status == 304);
    CHECK(Get(client, url + action, "", gz.Header("etag")).status == 200);
    CHECK(Get(client, url + action, "gzip;q=0", gz.Header("etag")).status ==
          200);
    CHECK(Get(client, url + action, "gzip;q=0")
              .Header("content-encoding")
              .empty());
  }
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
  // Old revisions are sent as they are.
  HttpResponse old = Get(client, url + "?oldid=1&action=raw", "gzip");
  CHECK(old.status == 200);
  CHECK(old.Header("content-encoding").empty());
}

// Shedding off: these tests are about representations, and a busy CI
// machine can make a read wait past shed_after_ms.
TEST_CASE("gzip: nginx sends the precompressed cache files") {
  Stack::Options o;
  o.wiki_set = "server.shed_after_ms=0";
  auto s = Stack::Start(o);
  REQUIRE(s);
  CheckGzipContract(*s);
  CHECK(s->Stop());
}

TEST_CASE(
    "gzip: the app sends compressed bytes itself without X-Accel-Redirect") {
  Stack::Options o;
  o.wiki_set = "server.accel_redirect= server.shed_after_ms=0";
  auto s = Stack::Start(o);
  REQUIRE(s);
  CheckGzipContract(*s);
  CHECK(s->Stop());
}

}  // namespace
}  // namespace wiki
