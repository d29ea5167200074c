// The HTTP contract (README, "HTTP interface") as far as the app decides it:
// Handler::Handle on a store in a temp dir, one table row per request.
// What needs nginx (its 413 body limit, traversal normalisation, sendfile of
// X-Accel-Redirect files, /metrics from other hosts at the socket level,
// shedding) stays in tests/http_itest.cc.
#include "handler.h"

#include <doctest/doctest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "http_client.h"  // FormEncode
#include "metrics.h"
#include "test_util.h"

namespace wiki {
namespace {

constexpr char kTitle[] = "Latest_plane_crash";
constexpr char kPath[] = "/wiki/Latest_plane_crash";
constexpr size_t kMaxArticle = 4096;
constexpr char kFib10[] = "55";
constexpr char kForm[] = "application/x-www-form-urlencoded";
constexpr char kBoundary[] = "------------------------7d1f0a9c43b6e285";
const std::string kRev1 =
    "<p>alpha one</p>\n<p>beta two</p>\n<p>gamma three</p>\n";
const std::string kRev2 =  // the current revision: paragraph 1 changed
    "<p>alpha ONE</p>\n<p>beta two</p>\n<p>gamma three</p>\n";
// Edits of revision 1: one that merges with revision 2, one that overlaps.
const std::string kApart =
    "<p>alpha one</p>\n<p>beta two</p>\n<p>gamma THREE</p>\n";
const std::string kOverlap =
    "<p>alpha uno</p>\n<p>beta two</p>\n<p>gamma three</p>\n";
const std::string kNew = kRev2 + "<p>new</p>\n";

// Placeholders in rows, resolved against the store (see Fixture::Resolve).
//   @raw @page      revision 2's (current) raw / page ETag
//   @raw1 @page1    revision 1's
//   @raw-gz @page-gz  the gzipped representations' tags of revision 2
//   @raw-br @page-br  the brotli representations' tags of revision 2

struct Fixture {
  explicit Fixture(const std::string& accel_prefix, size_t accel_min = 0)
      : dir("handler-test") {
    testing::Spit(dir / (std::string(kTitle) + ".html"), kRev1);
    auto opened = ArticleStore::Open(dir.path(), kTitle);
    REQUIRE(opened.ok());
    store = std::move(*opened);
    auto c = store->Commit("them", "",
                           [](const Revision&, ArticleStore::Plan* plan) {
                             plan->text = kRev2;
                             return Status::OK();
                           });
    REQUIRE(c.ok());
    Config config;
    config.title = kTitle;
    config.data_dir = dir.path();
    config.max_article_bytes = kMaxArticle;
    config.fib_n = 10;
    config.accel_redirect_prefix = accel_prefix;
    config.accel_min_bytes = accel_min;
    handler = std::make_unique<Handler>(config, store.get());
  }

  RevisionPtr Rev(uint64_t id) {
    auto r = store->Get(id);
    REQUIRE(r.ok());
    return *r;
  }
  uint64_t CurrentId() {
    auto c = store->Current();
    REQUIRE(c.ok());
    return (*c)->meta.id;
  }

  std::string Resolve(const std::string& v) {
    auto gz = [](std::string tag) { return tag.insert(tag.size() - 1, "-gz"); };
    auto br = [](std::string tag) { return tag.insert(tag.size() - 1, "-br"); };
    if (v == "@raw-br") return br(Rev(2)->meta.RawETag());
    if (v == "@page-br") return br(Rev(2)->meta.PageETag());
    if (v == "@raw") return Rev(2)->meta.RawETag();
    if (v == "@page") return Rev(2)->meta.PageETag();
    if (v == "@raw1") return Rev(1)->meta.RawETag();
    if (v == "@page1") return Rev(1)->meta.PageETag();
    if (v == "@raw-gz") return gz(Rev(2)->meta.RawETag());
    if (v == "@page-gz") return gz(Rev(2)->meta.PageETag());
    if (v == "W/@page") return "W/" + Rev(2)->meta.PageETag();
    if (v == "W/@raw") return "W/" + Rev(2)->meta.RawETag();
    return v;
  }

  testing::TempDir dir;
  std::unique_ptr<ArticleStore> store;
  std::unique_ptr<Handler> handler;
};

// Request headers the handler reads.
struct In {
  std::string content_type = "", if_match = "", if_none_match = "", accept = "",
              accept_encoding = "";
  std::string remote_addr = "127.0.0.1";
  std::string host = "wiki.example", origin = "", sec_fetch_site = "";
  bool too_large = false;  // Content-Length over the server's body limit
};

struct Row {
  std::string name;
  std::string method;
  std::string path;  // "" = the article
  std::string query;
  In in;
  std::string body;
  int status;
  // Expected response headers: "" = absent, "*" = present, "x*" = starts
  // with x, anything else (placeholders resolved) = exactly that.
  std::map<std::string, std::string> headers = {};
  std::string body_has = "";  // a substring the body must contain
  bool omit_body = false;     // HEAD, 304
};

std::string Urlencoded(
    const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  for (const auto& [k, v] : fields) {
    if (!out.empty()) out += '&';
    out += FormEncode(k) + "=" + FormEncode(v);
  }
  return out;
}

std::string Multipart(const std::string& text, const std::string& base) {
  const std::string b = std::string("--") + kBoundary;
  return b +
         "\r\nContent-Disposition: form-data; name=\"article\"; "
         "filename=\"a.html\"\r\nContent-Type: text/html\r\n\r\n" +
         text + "\r\n" + b +
         "\r\nContent-Disposition: form-data; name=\"base_revision\"\r\n\r\n" +
         base + "\r\n" + b + "--\r\n";
}

In PutWith(const std::string& if_match, const std::string& type = "text/html") {
  In in;
  in.content_type = type;
  in.if_match = if_match;
  return in;
}
In FormIn(const std::string& accept = "") {
  In in;
  in.content_type = kForm;
  in.accept = accept;
  return in;
}
// A browser's form post: its Origin and Sec-Fetch-Site.
In BrowserForm(const std::string& origin, const std::string& site) {
  In in = FormIn();
  in.origin = origin;
  in.sec_fetch_site = site;
  return in;
}
In Header(std::string In::*field, const std::string& value) {
  In in;
  in.*field = value;
  return in;
}

const std::map<std::string, std::string> kArticleRead = {
    {"Content-Type", "text/html; charset=utf-8"},
    {"X-Fibonacci", kFib10},
    {"Cache-Control", "no-cache"},
    {"Vary", "Accept-Encoding"},
    {"Last-Modified", "*"},
    {"Content-Security-Policy", "default-src 'none'*"},
    {"X-Content-Type-Options", "nosniff"},
    {"Content-Encoding", ""},
    {"X-Accel-Redirect", ""},
};

std::map<std::string, std::string> Read(
    std::map<std::string, std::string> more) {
  std::map<std::string, std::string> h = kArticleRead;
  for (auto& [k, v] : more) h[k] = v;
  return h;
}

std::vector<Row> ReadRows() {
  // clang-format off
  return {
      {"GET reader page", "GET", "", "", {}, "", 200,
       Read({{"ETag", "@page"}, {"X-Revision", "2"}}), "alpha ONE"},
      {"HEAD reader page", "HEAD", "", "", {}, "", 200,
       Read({{"ETag", "@page"}, {"X-Revision", "2"}}), "", true},
      {"GET raw", "GET", "", "action=raw", {}, "", 200,
       Read({{"ETag", "@raw"}, {"X-Revision", "2"}}), kRev2},
      {"HEAD raw", "HEAD", "", "action=raw", {}, "", 200,
       Read({{"ETag", "@raw"}}), "", true},
      {"GET oldid=1", "GET", "", "oldid=1", {}, "", 200,
       Read({{"ETag", "@page1"}, {"X-Revision", "1"}}), "alpha one"},
      {"GET oldid=1&action=raw", "GET", "", "oldid=1&action=raw", {}, "", 200,
       Read({{"ETag", "@raw1"}, {"X-Revision", "1"}}), kRev1},
      {"GET oldid=<current>", "GET", "", "oldid=2&action=raw", {}, "", 200,
       Read({{"ETag", "@raw"}, {"X-Revision", "2"}}), kRev2},
      {"GET history", "GET", "", "action=history", {}, "", 200,
       {{"Content-Type", "text/html*"}, {"X-Revision", ""},
        {"Content-Security-Policy", "*"}},
       "oldid=1"},
      {"GET history JSON", "GET", "", "action=history&format=json", {}, "", 200,
       {{"Content-Type", "application/json"}}, "\"revisions\""},
      {"GET history page 1 of 2", "GET", "", "action=history&format=json&limit=1",
       {}, "", 200, {{"Content-Type", "application/json"}},
       "\"continue\": {\n  \"offset\": 2\n }"},
      {"GET history older page", "GET", "", "action=history&limit=1&offset=2",
       {}, "", 200, {{"Content-Type", "text/html*"}},
       "?action=history&amp;limit=1\" rel=\"prev\">newer 1</a>"},
      {"GET history limit=0", "GET", "", "action=history&limit=0", {}, "", 400,
       {}, "limit must be"},
      {"GET history offset=x", "GET", "", "action=history&offset=x", {}, "",
       400, {}, "offset must be"},
      {"HEAD history", "HEAD", "", "action=history", {}, "", 200,
       {{"Content-Type", "text/html*"}}, "", true},
      {"GET edit form", "GET", "", "action=edit", {}, "", 200,
       {{"Content-Type", "text/html*"}, {"Content-Security-Policy", "*"}},
       "name=\"base_revision\" value=\"2\""},
      {"HEAD edit form", "HEAD", "", "action=edit", {}, "", 200, {}, "", true},
      // Conditional reads.
      {"If-None-Match: current page tag", "GET", "", "",
       Header(&In::if_none_match, "@page"), "", 304, {{"ETag", "@page"}}, "",
       true},
      {"If-None-Match: raw tag in a list", "GET", "", "action=raw",
       Header(&In::if_none_match, "\"x\", @raw"), "", 304, {{"ETag", "@raw"}},
       "", true},
      {"If-None-Match: weak form matches", "GET", "", "",
       Header(&In::if_none_match, "W/@page"), "", 304, {}, "", true},
      {"If-None-Match: *", "GET", "", "", Header(&In::if_none_match, "*"), "",
       304, {}, "", true},
      {"If-None-Match: stale tag", "GET", "", "",
       Header(&In::if_none_match, "@page1"), "", 200, {{"ETag", "@page"}}},
      {"If-None-Match: the raw tag on the page", "GET", "", "",
       Header(&In::if_none_match, "@raw"), "", 200, {}},
      // gzip: current revision only, own tag.
      {"gzip page", "GET", "", "", Header(&In::accept_encoding, "gzip"), "",
       200, Read({{"ETag", "@page-gz"}, {"Content-Encoding", "gzip"}})},
      {"gzip raw", "GET", "", "action=raw",
       Header(&In::accept_encoding, "gzip, deflate"), "", 200,
       Read({{"ETag", "@raw-gz"}, {"Content-Encoding", "gzip"}})},
      {"gzip refused (q=0)", "GET", "", "action=raw",
       Header(&In::accept_encoding, "gzip;q=0"), "", 200,
       Read({{"ETag", "@raw"}})},
      {"gzip not for old revisions", "GET", "", "oldid=1",
       Header(&In::accept_encoding, "gzip"), "", 200,
       Read({{"ETag", "@page1"}})},
      {"If-None-Match: gzip tag", "GET", "", "",
       In{"", "", "@page-gz", "", "gzip"}, "", 304, {}, "", true},
      // brotli: preferred over gzip, own tag, q=0 respected.
      {"br page (browser header)", "GET", "", "",
       Header(&In::accept_encoding, "gzip, deflate, br"), "", 200,
       Read({{"ETag", "@page-br"}, {"Content-Encoding", "br"}})},
      {"br raw, even with a higher q for gzip", "GET", "", "action=raw",
       Header(&In::accept_encoding, "br;q=0.5, gzip"), "", 200,
       Read({{"ETag", "@raw-br"}, {"Content-Encoding", "br"}})},
      {"br refused (q=0): gzip", "GET", "", "",
       Header(&In::accept_encoding, "br;q=0, gzip"), "", 200,
       Read({{"ETag", "@page-gz"}, {"Content-Encoding", "gzip"}})},
      {"br not for old revisions", "GET", "", "oldid=1",
       Header(&In::accept_encoding, "br"), "", 200,
       Read({{"ETag", "@page1"}})},
      {"If-None-Match: br tag", "HEAD", "", "action=raw",
       In{"", "", "@raw-br", "", "br"}, "", 304, {}, "", true},
      {"If-None-Match: br tag, gzip client", "GET", "", "action=raw",
       In{"", "", "@raw-br", "", "gzip"}, "", 200,
       Read({{"ETag", "@raw-gz"}, {"Content-Encoding", "gzip"}})},
      // Bad reads.
      {"oldid=0", "GET", "", "oldid=0", {}, "", 404, {{"X-Revision", ""}}},
      {"unknown oldid", "GET", "", "oldid=3", {}, "", 404, {}},
      {"unknown oldid, raw", "HEAD", "", "oldid=99&action=raw", {}, "", 404},
      {"oldid=abc", "GET", "", "oldid=abc", {}, "", 400},
      {"oldid empty", "GET", "", "oldid=", {}, "", 400},
      {"oldid=-1", "GET", "", "oldid=-1", {}, "", 400},
      {"oldid=1.5", "GET", "", "oldid=1.5", {}, "", 400},
      {"oldid=0x1", "GET", "", "oldid=0x1", {}, "", 400},
      {"oldid of 20 digits", "GET", "", "oldid=12345678901234567890", {}, "",
       400},
      {"unknown action", "GET", "", "action=delete", {}, "", 400},
      {"malformed query %zz", "GET", "", "oldid=%zz", {}, "", 400,
       {{"Content-Type", "text/plain*"}}},
      {"malformed query %", "GET", "", "action=raw&oldid=%", {}, "", 400},
      {"malformed query: a bare %zz key", "GET", "", "action=raw&%zz", {}, "",
       400},
      {"malformed query: %w", "GET", "", "action=ra%w", {}, "", 400},
      {"malformed query: %4", "GET", "", "action=history&format=%4", {}, "",
       400},
      // Routing.
      {"other title", "GET", "/wiki/Other", "", {}, "", 404},
      {"title with another case", "GET", "/wiki/latest_plane_crash", "", {}, "",
       404},
      {"title with a slash", "GET", "/wiki/Latest_plane_crash/", "", {}, "",
       404},
      {"other path", "GET", "/foo", "", {}, "", 404},
      {"PUT to another title", "PUT", "/wiki/Other", "", PutWith("@raw"), kNew,
       404},
      {"DELETE", "DELETE", "", "", {}, "", 405,
       {{"Allow", "GET, HEAD, POST, PUT"}}},
      {"PATCH", "PATCH", "", "", PutWith("@raw"), kNew, 405,
       {{"Allow", "GET, HEAD, POST, PUT"}}},
      {"OPTIONS", "OPTIONS", "", "", {}, "", 405,
       {{"Allow", "GET, HEAD, POST, PUT"}}},
      {"PROPFIND", "PROPFIND", "", "", {}, "", 405,
       {{"Allow", "GET, HEAD, POST, PUT"}}},
      {"/metrics", "GET", "/metrics", "", {}, "", 200,
       {{"Content-Type", "text/plain; version=0.0.4*"}},
       "wiki_current_revision 2"},
      {"/metrics from another host", "GET", "/metrics", "",
       Header(&In::remote_addr, "10.1.2.3"), "", 404},
      {"/metrics POST", "POST", "/metrics", "", {}, "", 405,
       {{"Allow", "GET, HEAD"}}},
  };
  // clang-format on
}

std::vector<Row> WriteRows() {
  const std::map<std::string, std::string> saved_form = {{"Location", kPath},
                                                         {"X-Revision", "3"},
                                                         {"ETag", "*"},
                                                         {"X-Merged", ""}};
  // clang-format off
  return {
      // PUT
      {"PUT with If-Match", "PUT", "", "", PutWith("@raw"), kNew, 200,
       {{"ETag", "*"}, {"X-Revision", "3"}}, "Saved revision 3"},
      {"PUT text/html; charset=utf-8", "PUT", "", "",
       PutWith("@raw", "text/html; charset=utf-8"), kNew, 200},
      {"PUT TEXT/HTML; Charset=\"UTF-8\"", "PUT", "", "",
       PutWith("@raw", "TEXT/HTML; Charset=\"UTF-8\""), kNew, 200},
      {"PUT without Content-Type", "PUT", "", "", PutWith("@raw", ""), kNew,
       415, {}, "charset=utf-8"},
      {"PUT text/html; charset=iso-8859-1", "PUT", "", "",
       PutWith("@raw", "text/html; charset=iso-8859-1"), kNew, 415},
      {"PUT with two charsets", "PUT", "", "",
       PutWith("@raw", "text/html; charset=utf-8; charset=utf-16"), kNew, 415},
      {"PUT with a malformed charset", "PUT", "", "",
       PutWith("@raw", "text/html; charset=\"utf-8"), kNew, 415},
      {"PUT with If-Match: *", "PUT", "", "", PutWith("*"), kNew, 428, {},
       "?action=raw"},
      {"PUT with * in an If-Match list", "PUT", "", "",
       PutWith("\"x\", *"), kNew, 428},
      {"PUT without If-Match", "PUT", "", "", PutWith(""), kNew, 428},
      {"PUT with a stale ETag", "PUT", "", "", PutWith("@raw1"), kNew, 412,
       {{"ETag", "@raw"}}},
      {"PUT with the page's ETag", "PUT", "", "", PutWith("@page"), kNew, 412,
       {{"ETag", "@raw"}}},
      {"PUT with the weak form", "PUT", "", "", PutWith("W/@raw"), kNew, 412},
      {"PUT application/json", "PUT", "", "",
       PutWith("@raw", "application/json"), kNew, 415},
      {"PUT text/plain", "PUT", "", "", PutWith("@raw", "text/plain"), kNew,
       415},
      {"PUT urlencoded", "PUT", "", "", PutWith("@raw", kForm), kNew, 415},
      {"PUT urlencoded", "PUT", "", "", PutWith("@raw", kForm), kNew, 415},
      {"PUT over the body limit", "PUT", "", "",
       [] {In in = PutWith("@raw"); in.too_large = true; return in; }(), "",
       413},
      {"PUT over max_article_bytes", "PUT", "", "", PutWith("@raw"),
       "<p>" + std::string(kMaxArticle, 'x') + "</p>", 413, {}, "4096"},
      {"PUT of a script", "PUT", "", "", PutWith("@raw"),
       kRev2 + "<script>x</script>", 422, {}, "script"},
      {"PUT of invalid UTF-8", "PUT", "", "", PutWith("@raw"), "<p>\xff</p>",
       422, {}, "UTF-8"},
      {"PUT of nothing", "PUT", "", "", PutWith("@raw"), " \n", 422, {},
       "empty"},
      {"PUT with ?x=%zz", "PUT", "", "x=%zz", PutWith("@raw"), kNew, 400},
      // Forms
      {"POST urlencoded", "POST", "", "", FormIn(),
       Urlencoded({{"text", kNew}, {"base_revision", "2"}, {"summary", "s"}}),
       303, saved_form, "Saved revision 3"},
      {"POST multipart", "POST", "", "",
       Header(&In::content_type,
              std::string("multipart/form-data; boundary=") + kBoundary),
       Multipart(kNew, "2"), 303, saved_form},
      {"POST stale, changes apart: merged", "POST", "", "", FormIn(),
       Urlencoded({{"text", kApart}, {"base_revision", "1"}}), 303,
       {{"X-Merged", "1"}, {"X-Revision", "3"}}},
      {"POST stale, overlapping: 409 page", "POST", "", "", FormIn(),
       Urlencoded({{"text", kOverlap}, {"base_revision", "1"}}), 409,
       {{"Content-Type", "text/html*"}, {"X-Revision", "2"},
        {"Content-Security-Policy", "*"}},
       "alpha uno"},
      {"POST stale, overlapping: 409 JSON", "POST", "", "",
       FormIn("application/json"),
       Urlencoded({{"text", kOverlap}, {"base_revision", "1"}}), 409,
       {{"Content-Type", "application/json"}, {"X-Revision", "2"}},
       "\"conflicts\""},
      {"POST without base_revision", "POST", "", "", FormIn(),
       Urlencoded({{"text", kNew}}), 428},
      // Cross-site posts: 403 before the body is decoded (a body that
      // would be a 400 or 428 still gets the 403).
      {"POST from this site", "POST", "", "",
       BrowserForm("http://wiki.example", "same-origin"),
       Urlencoded({{"text", kNew}, {"base_revision", "2"}}), 303},
      {"POST from another site", "POST", "", "",
       BrowserForm("https://evil.example", ""),
       Urlencoded({{"text", kNew}, {"base_revision", "2"}}), 403,
       {{"Content-Type", "text/plain*"}}, "Cross-site"},
      {"POST Sec-Fetch-Site: cross-site", "POST", "", "",
       BrowserForm("", "cross-site"),
       Urlencoded({{"text", kNew}, {"base_revision", "2"}}), 403},
      {"POST cross-site, bad body", "POST", "", "",
       BrowserForm("https://evil.example", "cross-site"), "text=%zz", 403},
      {"POST Origin: null", "POST", "", "", BrowserForm("null", ""),
       Urlencoded({{"text", kNew}, {"base_revision", "2"}}), 403},
      {"POST from another port", "POST", "", "",
       BrowserForm("http://wiki.example:8081", "same-site"),
       Urlencoded({{"text", kNew}, {"base_revision", "2"}}), 403},
      {"POST without text", "POST", "", "", FormIn(),
       Urlencoded({{"base_revision", "2"}}), 400},
      {"POST with an empty body", "POST", "", "", FormIn(), "", 400},
      {"POST base_revision=abc", "POST", "", "", FormIn(),
       Urlencoded({{"text", kNew}, {"base_revision", "abc"}}), 400},
      {"POST base_revision=-1", "POST", "", "", FormIn(),
       Urlencoded({{"text", kNew}, {"base_revision", "-1"}}), 400},
      {"POST unknown base", "POST", "", "", FormIn(),
       Urlencoded({{"text", kNew}, {"base_revision", "99"}}), 404},
      {"POST base 0", "POST", "", "", FormIn(),
       Urlencoded({{"text", kNew}, {"base_revision", "0"}}), 404},
      {"POST text=%zz", "POST", "", "", FormIn(), "text=%zz&base_revision=2",
       400},
      {"POST ?action=%zz", "POST", "", "action=%zz", FormIn(),
       Urlencoded({{"text", kNew}, {"base_revision", "2"}}), 400},
      {"POST text/plain", "POST", "", "",
       Header(&In::content_type, "text/plain"),
       Urlencoded({{"text", kNew}, {"base_revision", "2"}}), 415},
      {"POST application/json", "POST", "", "",
       Header(&In::content_type, "application/json"),
       Urlencoded({{"text", kNew}, {"base_revision", "2"}}), 415},
      {"POST text/html", "POST", "", "", Header(&In::content_type, "text/html"),
       Urlencoded({{"text", kNew}, {"base_revision", "2"}}), 415},
      {"POST without Content-Type", "POST", "", "", {},
       Urlencoded({{"text", kNew}, {"base_revision", "2"}}), 415},
      {"POST multipart without boundary", "POST", "", "",
       Header(&In::content_type, "multipart/form-data"), Multipart(kNew, "2"),
       400},
      {"POST over the body limit", "POST", "", "",
       [] {In in = FormIn(); in.too_large = true; return in; }(), "", 413},
      {"POST text over max_article_bytes", "POST", "", "", FormIn(),
       Urlencoded({{"text", "<p>" + std::string(kMaxArticle, 'x') + "</p>"},
                   {"base_revision", "2"}}),
       413},
      {"POST a summary over 500 bytes", "POST", "", "", FormIn(),
       Urlencoded({{"text", kNew}, {"base_revision", "2"},
                   {"summary", std::string(501, 's')}}),
       400, {}, "500"},
      {"POST a script: the form back", "POST", "", "", FormIn(),
       Urlencoded({{"text", kRev2 + "<script>x</script>"},
                   {"base_revision", "2"}}),
       422, {{"Content-Type", "text/html*"}, {"Content-Security-Policy", "*"}},
       "&lt;script&gt;"},
      {"POST a script, JSON client: plain message", "POST", "", "",
       FormIn("application/json"),
       Urlencoded({{"text", kRev2 + "<script>x</script>"},
                   {"base_revision", "2"}}),
       422, {{"Content-Type", "text/plain*"}}, "script"},
      {"POST a summary that is not UTF-8", "POST", "", "", FormIn(),
       Urlencoded({{"text", kNew}, {"base_revision", "2"},
                   {"summary", "\xff"}}),
       422, {{"Content-Type", "text/plain*"}}},
  };
  // clang-format on
}

// Runs `row` against a fresh store and checks the answer.
void Check(const Row& row, const std::string& accel_prefix = "",
           size_t accel_min = 0) {
  Fixture f(accel_prefix, accel_min);
  const std::string path = row.path.empty() ? kPath : row.path;
  const In in = row.in;
  std::string if_match = f.Resolve(in.if_match);
  std::string if_none_match = in.if_none_match;
  // Placeholders inside a list ("\"x\", @raw").
  for (const char* p : {"W/@page", "@page-gz", "@page-br", "@raw-br", "@page1",
                        "@page", "@raw1", "@raw"}) {
    size_t at = if_none_match.find(p);
    if (at != std::string::npos)
      if_none_match.replace(at, std::string(p).size(), f.Resolve(p));
  }
  Request req;
  req.method = row.method;
  req.path = path;
  req.query = row.query;
  req.content_type = in.content_type;
  req.if_match = if_match;
  req.if_none_match = if_none_match;
  req.accept = in.accept;
  req.accept_encoding = in.accept_encoding;
  req.remote_addr = in.remote_addr;
  req.host = in.host;
  req.origin = in.origin;
  req.sec_fetch_site = in.sec_fetch_site;
  req.body = row.body;
  req.body_too_large = in.too_large;
  Response resp;
  f.handler->Handle(req, &resp);

  CHECK(resp.status == row.status);
  std::map<std::string, std::string> got;
  for (const auto& [k, v] : resp.headers) {
    CHECK_MESSAGE(got.count(k) == 0, "header twice: " << k);
    got[k] = v;
  }
  for (const auto& [name, want_raw] : row.headers) {
    const std::string want = f.Resolve(want_raw);
    INFO("header " << name << " want \"" << want << "\"");
    auto it = got.find(name);
    if (want.empty()) {
      CHECK(it == got.end());
    } else if (want == "*") {
      CHECK(it != got.end());
    } else if (want.back() == '*') {
      REQUIRE(it != got.end());
      CHECK(it->second.rfind(want.substr(0, want.size() - 1), 0) == 0);
    } else {
      REQUIRE(it != got.end());
      CHECK(it->second == want);
    }
  }
  CHECK(resp.omit_body == row.omit_body);
  if (!row.body_has.empty()) {
    CHECK_MESSAGE(resp.Body().find(row.body_has) != std::string::npos,
                  "body: " << resp.Body().substr(0, 300));
  }
  if (row.status >= 400) {
    CHECK(!resp.Body().empty());  // a short message, never a blank refusal
  }
  const bool write = row.method == "PUT" || row.method == "POST";
  if (write && row.status != 200 && row.status != 303) {
    CHECK(f.CurrentId() == 2);  // refused: the article is unchanged
    CHECK(f.Rev(2)->text == kRev2);
  }
}

TEST_CASE("handler: reads, routing and methods") {
  for (const Row& row : ReadRows()) {
    SUBCASE(row.name.c_str()) { Check(row); }
  }
}

TEST_CASE("handler: writes, PUT and form posts") {
  for (const Row& row : WriteRows()) {
    SUBCASE(row.name.c_str()) { Check(row); }
  }
}

// What README's 422 row lists, through PUT and form posts alike; the message
// names the cause (markup_policy_test has the full allowlist).
TEST_CASE("handler: invalid UTF-8, empty articles and disallowed markup: 422") {
  struct Bad {
    const char* name;
    std::string text;   // the article submitted
    const char* named;  // a word the message must contain
  };
  const std::vector<Bad> rows = {
      {"invalid byte 0xff", kRev2 + "<p>\xff</p>", "UTF-8"},
      {"overlong encoding", kRev2 + "<p>\xc0\xaf</p>", "UTF-8"},
      {"UTF-16 surrogate", kRev2 + "<p>\xed\xa0\x80</p>", "UTF-8"},
      {"truncated sequence at the end", kRev2 + "<p>x</p>\xe2\x82", "UTF-8"},
      {"code point above U+10FFFF", kRev2 + "<p>\xf4\x90\x80\x80</p>", "UTF-8"},
      {"empty article", "", "empty"},
      {"whitespace only", " \t\r\n \n", "empty"},
      {"script", kRev2 + "<script>alert(1)</script>", "script"},
      {"script inside a paragraph",
       kRev2 + "<p>x<script src=\"https://e.example/x.js\"></script></p>",
       "script"},
      {"onclick", kRev2 + "<p onclick=\"alert(1)\">x</p>", "onclick"},
      {"onerror on img",
       kRev2 + "<img src=\"https://e.example/a.png\" onerror=\"alert(1)\">",
       "onerror"},
      {"javascript: href", kRev2 + "<a href=\"javascript:alert(1)\">x</a>",
       "javascript"},
      {"JavaScript: href with spaces and case",
       kRev2 + "<a href=\" JaVaScRiPt:alert(1)\">x</a>", "javascript"},
      {"vbscript: href", kRev2 + "<a href=\"vbscript:msgbox(1)\">x</a>",
       "vbscript"},
      {"data: href", kRev2 + "<a href=\"data:text/html,x\">x</a>", "data"},
      {"iframe", kRev2 + "<iframe src=\"https://e.example/\"></iframe>",
       "iframe"},
      {"object", kRev2 + "<object data=\"https://e.example/x.swf\"></object>",
       "object"},
      {"embed", kRev2 + "<embed src=\"https://e.example/x.swf\">", "embed"},
      {"frame", kRev2 + "<frame src=\"https://e.example/\">", "frame"},
      {"form", kRev2 + "<form action=\"https://e.example/\"><p>x</p></form>",
       "form"},
      {"input", kRev2 + "<input name=\"q\">", "input"},
      {"meta refresh",
       kRev2 + "<meta http-equiv=\"refresh\" content=\"0;url=x\">", "meta"},
      {"base", kRev2 + "<base href=\"https://e.example/\">", "base"},
      {"link", kRev2 + "<link rel=\"stylesheet\" href=\"x.css\">", "link"},
      {"style element", kRev2 + "<style>body{display:none}</style>", "style"},
  };
  for (const Bad& bad : rows) {
    SUBCASE(bad.name) {
      Row put{"PUT",           "PUT",    "",  "",
              PutWith("@raw"), bad.text, 422, {{"Content-Type", "text/plain*"}},
              bad.named};
      Check(put);
      // An API client gets the plain message; a browser the form back, with
      // the message and its text (escaped) in the page.
      const std::string form =
          Urlencoded({{"text", bad.text}, {"base_revision", "2"}});
      Row json{"POST, JSON",
               "POST",
               "",
               "",
               FormIn("application/json"),
               form,
               422,
               {{"Content-Type", "text/plain*"}},
               bad.named};
      Check(json);
      Row browser{
          "POST",
          "POST",
          "",
          "",
          FormIn(),
          form,
          422,
          {{"Content-Type", "text/html*"}, {"Content-Security-Policy", "*"}},
          "Not saved: "};
      Check(browser);
    }
  }
}

TEST_CASE("handler: HEAD answers with the GET's headers") {
  for (const char* query :
       {"", "action=raw", "oldid=1", "oldid=1&action=raw", "action=history",
        "action=history&format=json", "action=edit"}) {
    SUBCASE(query) {
      Fixture f("");
      auto answer = [&](const char* method) {
        Request req;
        req.method = method;
        req.path = kPath;
        req.query = query;
        Response resp;
        f.handler->Handle(req, &resp);
        return resp;
      };
      const Response get = answer("GET");
      const Response head = answer("HEAD");
      CHECK(get.status == 200);
      CHECK(head.headers == get.headers);
      CHECK(head.Body().size() == get.Body().size());  // Content-Length
      CHECK(head.omit_body);
      CHECK_FALSE(get.omit_body);
    }
  }
}

TEST_CASE("handler: with accel_redirect, nginx sends the article files") {
  const std::vector<Row> rows = {
      {"raw: the immutable revision file",
       "GET",
       "",
       "action=raw",
       {},
       "",
       200,
       Read({{"X-Accel-Redirect", "/_wiki/revisions/2.html"}})},
      // An old revision's file may be packed away before nginx opens it:
      // the app sends those bytes itself.
      {"old raw",
       "GET",
       "",
       "oldid=1&action=raw",
       {},
       "",
       200,
       Read({{"X-Accel-Redirect", ""}})},
      {"page: the cached page file",
       "GET",
       "",
       "",
       {},
       "",
       200,
       Read({{"X-Accel-Redirect", "/_wiki/cache/page-2-*"}})},
      {"gzipped page", "GET", "", "", Header(&In::accept_encoding, "gzip"), "",
       200,
       Read({{"X-Accel-Redirect", "/_wiki/cache/pagegz-2-*"},
             {"Content-Encoding", "gzip"}})},
      {"gzipped raw", "GET", "", "action=raw",
       Header(&In::accept_encoding, "gzip"), "", 200,
       Read({{"X-Accel-Redirect", "/_wiki/cache/rawgz-2-*"},
             {"Content-Encoding", "gzip"}})},
      {"brotli page", "GET", "", "", Header(&In::accept_encoding, "gzip, br"),
       "", 200,
       Read({{"X-Accel-Redirect", "/_wiki/cache/pagebr-2-*"},
             {"Content-Encoding", "br"}})},
      {"brotli raw", "GET", "", "action=raw",
       Header(&In::accept_encoding, "br"), "", 200,
       Read({{"X-Accel-Redirect", "/_wiki/cache/rawbr-2-*"},
             {"Content-Encoding", "br"}})},
      {"old page: rendered by the app",
       "GET",
       "",
       "oldid=1",
       {},
       "",
       200,
       Read({{"X-Accel-Redirect", ""}}),
       "alpha one"},
      {"304: no redirect",
       "GET",
       "",
       "action=raw",
       Header(&In::if_none_match, "@raw"),
       "",
       304,
       {{"X-Accel-Redirect", ""}},
       "",
       true},
  };
  for (const Row& row : rows) {
    SUBCASE(row.name.c_str()) { Check(row, "/_wiki/"); }
  }
}

TEST_CASE("handler: bodies under accel_min_bytes come from the app") {
  // kRev2 is 51 bytes, its page a few hundred: with a 52-byte threshold the
  // raw article comes from the app and the page still goes by X-Accel; at
  // exactly 51 the raw article goes by X-Accel too.
  struct Case {
    Row row;
    size_t accel_min;
  };
  const std::vector<Case> cases = {
      {{"raw under the threshold",
        "GET",
        "",
        "action=raw",
        {},
        "",
        200,
        Read({{"X-Accel-Redirect", ""}}),
        "alpha ONE"},
       kRev2.size() + 1},
      {{"page over it",
        "GET",
        "",
        "",
        {},
        "",
        200,
        Read({{"X-Accel-Redirect", "/_wiki/cache/page-2-*"}})},
       kRev2.size() + 1},
      {{"raw at the threshold",
        "GET",
        "",
        "action=raw",
        {},
        "",
        200,
        Read({{"X-Accel-Redirect", "/_wiki/revisions/2.html"}})},
       kRev2.size()},
  };
  for (const Case& c : cases) {
    SUBCASE(c.row.name.c_str()) { Check(c.row, "/_wiki/", c.accel_min); }
  }
}

TEST_CASE("handler: the summary and author are recorded") {
  Fixture f("");
  Request req;
  req.method = "POST";
  req.path = kPath;
  req.content_type = kForm;
  req.remote_addr = "192.0.2.7";
  req.body =
      Urlencoded({{"text", kNew}, {"base_revision", "2"}, {"summary", "why"}});
  Response resp;
  f.handler->Handle(req, &resp);
  REQUIRE(resp.status == 303);
  CHECK(f.Rev(3)->meta.author == "192.0.2.7");
  CHECK(f.Rev(3)->meta.summary == "why");
  req.remote_user = "editor1";
  req.body = Urlencoded({{"text", kNew + "<p>2</p>"}, {"base_revision", "3"}});
  Response resp2;
  f.handler->Handle(req, &resp2);
  REQUIRE(resp2.status == 303);
  CHECK(f.Rev(4)->meta.author == "editor1");
}

}  // namespace
}  // namespace wiki

namespace wiki {
namespace {

// wiki_edits_total{outcome="abandoned"} as the process's metrics say.
long AbandonedEdits() {
  const std::string text = Metrics::Global().Render(0);
  const std::string key = "wiki_edits_total{outcome=\"abandoned\"} ";
  const size_t at = text.find(key);
  REQUIRE(at != std::string::npos);
  return std::stol(text.substr(at + key.size()));
}

TEST_CASE("handler: an edit whose client hung up is abandoned, not saved") {
  Fixture f("");
  const Request base = [] {
    Request r;
    r.path = kPath;
    r.remote_addr = "127.0.0.1";
    return r;
  }();
  struct Row {
    const char* name;
    const char* method;
    const char* content_type;
  };
  const Row rows[] = {
      {"PUT", "PUT", "text/html"},
      {"form post", "POST", kForm},
  };
  for (const Row& row : rows) {
    SUBCASE(row.name) {
      const std::string raw_tag = f.Rev(2)->meta.RawETag();
      Request req = base;
      req.method = row.method;
      req.content_type = row.content_type;
      if (std::string(row.method) == "PUT") {
        req.if_match = raw_tag;
        req.body = kNew;
      } else {
        req.body = "text=" + FormEncode(kNew) + "&base_revision=2";
      }
      int asked = 0;
      req.cancel = Cancel([&asked] {
        ++asked;
        return true;
      });
      const long before = AbandonedEdits();
      Response resp;
      f.handler->Handle(req, &resp);
      CHECK(resp.status == 499);
      CHECK(asked == 1);  // the first checkpoint, before any decoding
      CHECK(f.CurrentId() == 2);
      CHECK(AbandonedEdits() == before + 1);
      // The same request from a client that waits is saved.
      req.cancel = Cancel();
      Response saved;
      f.handler->Handle(req, &saved);
      CHECK(saved.status == (std::string(row.method) == "PUT" ? 200 : 303));
      CHECK(f.CurrentId() == 3);
    }
  }
}

}  // namespace
}  // namespace wiki
