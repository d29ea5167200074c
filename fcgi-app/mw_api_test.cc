#include "mw_api.h"

#include <doctest/doctest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "http_client.h"  // FormEncode
#include "test_util.h"

namespace wiki {
namespace {

using json = nlohmann::json;

constexpr char kTitle[] = "Latest_plane_crash";
const std::string kBase =
    "<p>alpha one</p>\n<p>beta two</p>\n<p>gamma three</p>\n";
const std::string kTheirs =  // revision 2: the first paragraph changed
    "<p>alpha ONE</p>\n<p>beta two</p>\n<p>gamma three</p>\n";
const std::string kMineApart =  // an edit of revision 1 that merges
    "<p>alpha one</p>\n<p>beta two</p>\n<p>gamma THREE</p>\n";
const std::string kMineOverlap =  // an edit of revision 1 that overlaps
    "<p>alpha uno</p>\n<p>beta two</p>\n<p>gamma three</p>\n";
const std::string kMerged =
    "<p>alpha ONE</p>\n<p>beta two</p>\n<p>gamma THREE</p>\n";

// kBase as revision 1, kTheirs as revision 2, an Editor and the API.
struct Fixture {
  Fixture() : dir("mw-api-test"), massager(MassageMode::kPerRevision, 10) {
    testing::Spit(dir / (std::string(kTitle) + ".html"), kBase);
    auto opened = ArticleStore::Open(dir.path(), kTitle);
    REQUIRE(opened.ok());
    store = std::move(*opened);
    auto c = store->Commit("them", "theirs",
                           [](const Revision&, ArticleStore::Plan* plan) {
                             plan->text = kTheirs;
                             return Status::OK();
                           });
    REQUIRE(c.ok());
    Config config;
    config.title = kTitle;
    config.data_dir = dir.path();
    config.max_article_bytes = 4096;
    editor = std::make_unique<Editor>(config, store.get(), &massager);
    api = std::make_unique<MwApi>(config, store.get(), editor.get());
  }
  std::string Text() {
    auto c = store->Current();
    REQUIRE(c.ok());
    return (*c)->text;
  }

  testing::TempDir dir;
  Massager massager;
  std::unique_ptr<ArticleStore> store;
  std::unique_ptr<Editor> editor;
  std::unique_ptr<MwApi> api;
};

// Placeholders in a row's body: @apart, @overlap (texts, form-encoded),
// @ts1 (revision 1's time as MediaWiki's 14 digits).
std::string Expand(std::string s, Fixture& f) {
  auto sub = [&](const std::string& key, const std::string& value) {
    for (size_t at; (at = s.find(key)) != std::string::npos;)
      s.replace(at, key.size(), value);
  };
  auto rev1 = f.store->Get(1);
  REQUIRE(rev1.ok());
  std::string ts;
  for (char c : FormatIsoTime((*rev1)->meta.time_ms))
    if (c >= '0' && c <= '9') ts += c;
  sub("@apart", FormEncode(kMineApart));
  sub("@overlap", FormEncode(kMineOverlap));
  sub("@ts1", ts);
  return s;
}

struct Row {
  const char* name;
  const char* method;
  const char* query;
  const char* body;   // urlencoded POST body (placeholders expanded)
  const char* error;  // expected error code, "" for none
  const char* ptr;    // a JSON pointer into the answer ("" = none)
  json want;          // its expected value
  const std::string* article_after;
};

const char kEdit[] =
    "action=edit&format=json&title=Latest_plane_crash&token=%2B%5C&";

TEST_CASE("MwApi: answers and edits as MediaWiki does, through the Editor") {
  const std::vector<Row> rows = {
      {"siteinfo v1 has writeapi", "GET",
       "action=query&meta=siteinfo&siprop=general|namespaces&format=json", "",
       "", "/query/general/writeapi", "", &kTheirs},
      {"siteinfo v2 flags are booleans", "GET",
       "action=query&meta=siteinfo&format=json&formatversion=2", "", "",
       "/query/general/writeapi", true, &kTheirs},
      {"generator parses as MediaWiki", "GET",
       "action=query&meta=siteinfo&format=json", "", "",
       "/query/general/generator", "MediaWiki 1.39.0", &kTheirs},
      {"anonymous csrf token", "GET",
       "action=query&meta=tokens&type=csrf&format=json", "", "",
       "/query/tokens/csrftoken", "+\\", &kTheirs},
      {"userinfo is the client address", "GET",
       "action=query&meta=userinfo&format=json", "", "", "/query/userinfo/name",
       "192.0.2.7", &kTheirs},
      {"current text, slots, v1", "GET",
       "action=query&prop=revisions&titles=Latest_plane_crash"
       "&rvprop=content|timestamp&rvslots=main&format=json",
       "", "", "/query/pages/1/revisions/0/slots/main/*", kTheirs, &kTheirs},
      {"current text, v2, spaces in title", "GET",
       "action=query&prop=revisions&titles=Latest%20plane%20crash"
       "&rvprop=content&format=json&formatversion=2",
       "", "", "/query/pages/0/revisions/0/content", kTheirs, &kTheirs},
      {"summary and user", "GET",
       "action=query&prop=revisions&titles=Latest_plane_crash"
       "&rvprop=ids|user|comment&format=json",
       "", "", "/query/pages/1/revisions/0/comment", "theirs", &kTheirs},
      {"rvlimit pages, oldest first", "GET",
       "action=query&prop=revisions&titles=Latest_plane_crash&rvlimit=1"
       "&rvdir=newer&format=json",
       "", "", "/query/pages/1/revisions/0/revid", 1, &kTheirs},
      {"rvcontinue takes the next page", "GET",
       "action=query&prop=revisions&titles=Latest_plane_crash&rvlimit=1"
       "&rvcontinue=20260101000000|1&format=json",
       "", "", "/query/pages/1/revisions/0/revid", 1, &kTheirs},
      {"info", "GET",
       "action=query&prop=info&titles=Latest_plane_crash&format=json", "", "",
       "/query/pages/1/lastrevid", 2, &kTheirs},
      {"another title is missing", "GET",
       "action=query&prop=info&titles=Paris&format=json", "", "",
       "/query/pages/-1/missing", "", &kTheirs},
      {"edit from a stale baserevid merges", "POST", "",
       "baserevid=1&summary=s&text=@apart", "", "/edit/result", "Success",
       &kMerged},
      {"new revision ids", "POST", "", "baserevid=2&text=@apart", "",
       "/edit/newrevid", 3, &kMineApart},
      {"basetimestamp is the earliest revision of its second", "POST", "",
       "basetimestamp=@ts1&text=@apart", "", "/edit/oldrevid", 2, &kMerged},
      {"overlapping edit is an editconflict", "POST", "",
       "baserevid=1&text=@overlap", "editconflict", "", nullptr, &kTheirs},
      {"no base at all is refused", "POST", "", "text=@apart", "missingparam",
       "", nullptr, &kTheirs},
      {"unknown base revision", "POST", "", "baserevid=99&text=@apart",
       "nosuchrevid", "", nullptr, &kTheirs},
      {"markup refusal names the element", "POST", "",
       "baserevid=2&text=%3Cscript%3Ex%3C%2Fscript%3E", "invalidmarkup", "",
       nullptr, &kTheirs},
      {"another title is missingtitle", "POST", "",
       "baserevid=2&text=@apart&title=Paris", "missingtitle", "", nullptr,
       &kTheirs},
      {"section editing is refused", "POST", "",
       "baserevid=2&text=@apart&section=1", "nosuchsection", "", nullptr,
       &kTheirs},
      {"bad basetimestamp", "POST", "", "basetimestamp=yesterday&text=@apart",
       "badtimestamp_basetimestamp", "", nullptr, &kTheirs},
      {"edit by GET", "GET", "action=edit&title=Latest_plane_crash&text=x", "",
       "mustbeposted", "", nullptr, &kTheirs},
  };
  for (const Row& row : rows) {
    const std::string name = row.name;
    CAPTURE(name);
    Fixture f;
    Request req;
    req.method = row.method;
    req.path = kMwApiPath;
    req.remote_addr = "192.0.2.7";
    req.query = row.query;
    if (std::string(row.method) == "POST") {
      req.content_type = "application/x-www-form-urlencoded";
      req.body = Expand(std::string(kEdit) + row.body, f);
    }
    Response resp;
    f.api->Handle(req, &resp);
    CHECK(resp.status == 200);
    json got = json::parse(resp.body, nullptr, false);
    REQUIRE(got.is_object());
    CAPTURE(resp.body.substr(0, 400));
    if (*row.error != '\0') {
      CHECK(got["error"]["code"] == row.error);
      CHECK(!got["error"]["info"].get<std::string>().empty());
      bool header = false;
      for (const auto& [k, v] : resp.headers)
        header |= k == "MediaWiki-API-Error" && v == row.error;
      CHECK(header);
    } else {
      CHECK(!got.contains("error"));
    }
    if (*row.ptr != '\0') {
      CHECK(got.value(json::json_pointer(row.ptr), json()) == row.want);
    }
    CHECK(f.Text() == *row.article_after);
  }
}

TEST_CASE("MwApi: tokens are checked before anything else") {
  for (const char* token : {"", "token=abc&", "token=%2B%5C%5C&"}) {
    CAPTURE(token);
    Fixture f;
    Request req;
    req.method = "POST";
    req.path = kMwApiPath;
    req.content_type = "application/x-www-form-urlencoded";
    req.body =
        std::string("action=edit&format=json&title=Latest_plane_crash&") +
        token + "baserevid=2&text=x";
    Response resp;
    f.api->Handle(req, &resp);
    json got = json::parse(resp.body, nullptr, false);
    CHECK(got["error"]["code"] == (*token ? "badtoken" : "missingparam"));
    CHECK(f.Text() == kTheirs);
  }
}

TEST_CASE("MwApi: a refused article says why") {
  Fixture f;
  Request req;
  req.method = "POST";
  req.path = kMwApiPath;
  req.content_type = "application/x-www-form-urlencoded";
  req.body =
      std::string(kEdit) + "baserevid=2&text=%3Cscript%3Ex%3C%2Fscript%3E";
  req.remote_addr = "127.0.0.1";  // an author is required
  Response resp;
  f.api->Handle(req, &resp);
  json got = json::parse(resp.body, nullptr, false);
  CHECK(got["error"]["info"].get<std::string>().find("script") !=
        std::string::npos);
}

TEST_CASE("ResolveBaseTimestamp: the earliest revision of the second") {
  auto meta = [](uint64_t id, int64_t ms) {
    RevisionMeta m;
    m.id = id;
    m.time_ms = ms;
    return m;
  };
  // Revisions 2, 3, 4 share second 100.
  const std::vector<RevisionMeta> h = {meta(1, 50'000), meta(2, 100'100),
                                       meta(3, 100'500), meta(4, 100'900),
                                       meta(5, 102'000)};
  CHECK(ResolveBaseTimestamp(h, 100) == 2);  // never 4
  CHECK(ResolveBaseTimestamp(h, 50) == 1);
  CHECK(ResolveBaseTimestamp(h, 101) ==
        4);  // none that second: the last before
  CHECK(ResolveBaseTimestamp(h, 200) == 5);
  CHECK(ResolveBaseTimestamp(h, 10) == 0);
  CHECK(ResolveBaseTimestamp({}, 100) == 0);
}

TEST_CASE("ParseMwTimestamp: both MediaWiki forms, nothing else") {
  CHECK(ParseMwTimestamp("20261201193710") ==
        ParseMwTimestamp("2026-12-01T19:37:10Z"));
  CHECK(ParseMwTimestamp("1970-01-01T00:01:40Z") == 100);
  CHECK(!ParseMwTimestamp("2026-12-01"));
  CHECK(!ParseMwTimestamp("2026-13-01T00:00:00Z"));
  CHECK(!ParseMwTimestamp("now"));
  CHECK(!ParseMwTimestamp(""));
}

}  // namespace
}  // namespace wiki

namespace wiki {
namespace {

struct RestRow {
  const char* name;
  const char* method;
  const char* path;  // after /w/rest.php/v1/
  std::string body;  // JSON for PUT
  int status;
  const char* ptr;  // JSON pointer ("" = none)
  nlohmann::json want;
  const std::string* article_after;
};

std::string PutBody(const std::string& source, int latest) {
  return nlohmann::json{
      {"source", source}, {"comment", "rest"}, {"latest", {{"id", latest}}}}
      .dump();
}

TEST_CASE("MwRest: pages, revisions, and PUT through the Editor") {
  const std::vector<RestRow> rows = {
      {"page with source", "GET", "page/Latest_plane_crash", "", 200, "/source",
       kTheirs, &kTheirs},
      {"page latest", "GET", "page/Latest_plane_crash/bare", "", 200,
       "/latest/id", 2, &kTheirs},
      {"with_html", "GET", "page/Latest_plane_crash/with_html", "", 200,
       "/html", kTheirs, &kTheirs},
      {"history newest first", "GET", "page/Latest_plane_crash/history", "",
       200, "/revisions/0/id", 2, &kTheirs},
      {"revision", "GET", "revision/1", "", 200, "/source", kBase, &kTheirs},
      {"no such revision", "GET", "revision/9/bare", "", 404, "/httpCode", 404,
       &kTheirs},
      {"other title", "GET", "page/Paris", "", 404, "/errorKey",
       "rest-nonexistent-title", &kTheirs},
      {"PUT on the latest", "PUT", "page/Latest_plane_crash",
       PutBody(kMerged, 2), 200, "/latest/id", 3, &kMerged},
      {"PUT on a stale base merges", "PUT", "page/Latest_plane_crash",
       PutBody(kMineApart, 1), 200, "/source", kMerged, &kMerged},
      {"PUT overlapping is 409", "PUT", "page/Latest_plane_crash",
       PutBody(kMineOverlap, 1), 409, "/httpCode", 409, &kTheirs},
      {"PUT without latest", "PUT", "page/Latest_plane_crash",
       R"({"source":"<p>x</p>"})", 400, "", nullptr, &kTheirs},
      {"PUT of bad JSON", "PUT", "page/Latest_plane_crash", "{", 400, "",
       nullptr, &kTheirs},
      {"PUT of refused markup", "PUT", "page/Latest_plane_crash",
       PutBody("<script>x</script>", 2), 422, "", nullptr, &kTheirs},
  };
  for (const RestRow& row : rows) {
    const std::string name = row.name;
    CAPTURE(name);
    Fixture f;
    Request req;
    req.method = row.method;
    const std::string path = std::string(kMwRestPrefix) + row.path;
    req.path = path;
    req.remote_addr = "192.0.2.7";
    req.content_type = "application/json";
    req.body = row.body;
    REQUIRE(IsMediaWikiPath(req.path));
    Response resp;
    f.api->Handle(req, &resp);
    CAPTURE(resp.body.substr(0, 300));
    CHECK(resp.status == row.status);
    nlohmann::json got = nlohmann::json::parse(resp.body, nullptr, false);
    REQUIRE(got.is_object());
    if (*row.ptr != '\0') {
      CHECK(got.value(nlohmann::json::json_pointer(row.ptr),
                      nlohmann::json()) == row.want);
    }
    CHECK(f.Text() == *row.article_after);
  }
}

}  // namespace
}  // namespace wiki
