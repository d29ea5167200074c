#include "mw_api.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
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
const std::string kAppended = kTheirs + "<p>end</p>\n";
const std::string kPrepended = "<p>start</p>\n" + kTheirs;
const std::string kAppendedAB = "a" + kTheirs + "b";

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

// Placeholders in a row's query and body: @apart, @overlap, @theirs (texts,
// form-encoded), @ts1 (revision 1's time as MediaWiki's 14 digits),
// @md5apart (MD5 of @apart), @big (a paragraph over the size limit).
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
  sub("@md5apart", Md5Hex(kMineApart));
  sub("@apart", FormEncode(kMineApart));
  sub("@theirs", FormEncode(kTheirs));
  sub("@big", "%3Cp%3E" + std::string(5000, 'x') + "%3C%2Fp%3E");
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
       "&rvcontinue=@ts1|1&format=json",
       "", "", "/query/pages/1/revisions/0/revid", 1, &kTheirs},
      {"sha1 of the current text", "GET",
       "action=query&prop=revisions&titles=Latest_plane_crash&rvprop=sha1"
       "&format=json",
       "", "", "/query/pages/1/revisions/0/sha1", Sha1Hex(kTheirs), &kTheirs},
      {"sha1 of an old revision, with content", "GET",
       "action=query&prop=revisions&titles=Latest_plane_crash"
       "&rvprop=sha1|content&rvlimit=1&rvdir=newer&format=json",
       "", "", "/query/pages/1/revisions/0/sha1", Sha1Hex(kBase), &kTheirs},
      {"no sha1 unless asked", "GET",
       "action=query&prop=revisions&titles=Latest_plane_crash&rvprop=ids"
       "&format=json",
       "", "", "/query/pages/1/revisions/0/sha1", nullptr, &kTheirs},
      {"unknown rvprop is a warning", "GET",
       "action=query&prop=revisions&titles=Latest_plane_crash"
       "&rvprop=ids|bogus&format=json",
       "", "", "/warnings/revisions/*",
       "Unrecognized value for parameter \"rvprop\": bogus.", &kTheirs},
      {"unknown rvprop is a warning, v2", "GET",
       "action=query&prop=revisions&titles=Latest_plane_crash"
       "&rvprop=ids|bogus|worse&format=json&formatversion=2",
       "", "", "/warnings/revisions/warnings",
       "Unrecognized values for parameter \"rvprop\": bogus, worse.", &kTheirs},
      {"the known rvprops still answer", "GET",
       "action=query&prop=revisions&titles=Latest_plane_crash"
       "&rvprop=ids|bogus&format=json",
       "", "", "/query/pages/1/revisions/0/revid", 2, &kTheirs},
      {"rvstart in the future, newest first", "GET",
       "action=query&prop=revisions&titles=Latest_plane_crash"
       "&rvstart=2999-12-01T20:00:00Z&rvlimit=1&format=json",
       "", "", "/query/pages/1/revisions/0/revid", 2, &kTheirs},
      {"rvstart before the history: nothing older", "GET",
       "action=query&prop=revisions&titles=Latest_plane_crash"
       "&rvstart=2000-12-01T20:00:00Z&format=json",
       "", "", "/query/pages/1/revisions", json::array(), &kTheirs},
      {"rvend after the history: nothing newer", "GET",
       "action=query&prop=revisions&titles=Latest_plane_crash"
       "&rvend=29991201200000&format=json",
       "", "", "/query/pages/1/revisions", json::array(), &kTheirs},
      {"rvstart of revision 1's second, newer", "GET",
       "action=query&prop=revisions&titles=Latest_plane_crash"
       "&rvstart=@ts1&rvdir=newer&format=json",
       "", "", "/query/pages/1/revisions/0/revid", 1, &kTheirs},
      {"rvstartid", "GET",
       "action=query&prop=revisions&titles=Latest_plane_crash"
       "&rvstartid=1&format=json",
       "", "", "/query/pages/1/revisions/0/revid", 1, &kTheirs},
      {"rvendid, newer", "GET",
       "action=query&prop=revisions&titles=Latest_plane_crash"
       "&rvendid=1&rvdir=newer&format=json",
       "", "", "/query/pages/1/revisions/1", nullptr, &kTheirs},
      {"rvstartid must exist", "GET",
       "action=query&prop=revisions&titles=Latest_plane_crash"
       "&rvstartid=99&format=json",
       "", "badid_rvstartid", "", nullptr, &kTheirs},
      {"rvstart and rvstartid together", "GET",
       "action=query&prop=revisions&titles=Latest_plane_crash"
       "&rvstartid=1&rvstart=@ts1&format=json",
       "", "invalidparammix", "", nullptr, &kTheirs},
      {"bad rvend", "GET",
       "action=query&prop=revisions&titles=Latest_plane_crash"
       "&rvend=yesterday&format=json",
       "", "badtimestamp_rvend", "", nullptr, &kTheirs},
      {"bad rvdir", "GET",
       "action=query&prop=revisions&titles=Latest_plane_crash"
       "&rvdir=sideways&rvlimit=2&format=json",
       "", "badvalue", "", nullptr, &kTheirs},
      {"bad rvcontinue", "GET",
       "action=query&prop=revisions&titles=Latest_plane_crash&rvlimit=1"
       "&rvcontinue=7&format=json",
       "", "badcontinue", "", nullptr, &kTheirs},
      {"continuation is timestamp|id", "GET",
       "action=query&prop=revisions&titles=Latest_plane_crash&rvlimit=1"
       "&rvdir=newer&format=json",
       "", "", "/continue/continue", "||", &kTheirs},
      {"revids: an old revision's text", "GET",
       "action=query&prop=revisions&revids=1&rvprop=ids|content"
       "&format=json",
       "", "", "/query/pages/1/revisions/0/*", kBase, &kTheirs},
      {"revids: several, by id", "GET",
       "action=query&prop=revisions&revids=2|1&format=json&formatversion=2", "",
       "", "/query/pages/0/revisions/1/revid", 2, &kTheirs},
      {"revids: unknown ids are badrevids", "GET",
       "action=query&prop=revisions&revids=1|99&format=json", "", "",
       "/query/badrevids/99/missing", "", &kTheirs},
      {"revids: with rvcontinue", "GET",
       "action=query&prop=revisions&revids=1|2&rvcontinue=2&format=json", "",
       "", "/query/pages/1/revisions/0/revid", 2, &kTheirs},
      {"revids: not with list options", "GET",
       "action=query&prop=revisions&revids=1&rvlimit=2&format=json", "",
       "invalidparammix", "", nullptr, &kTheirs},
      {"revids: not with titles", "GET",
       "action=query&prop=revisions&revids=1&titles=Latest_plane_crash"
       "&format=json",
       "", "invalidparammix", "", nullptr, &kTheirs},
      {"revids: numbers only", "GET",
       "action=query&prop=revisions&revids=one&format=json", "", "badinteger",
       "", nullptr, &kTheirs},
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
      {"appendtext", "POST", "", "appendtext=%3Cp%3Eend%3C%2Fp%3E%0A&summary=a",
       "", "/edit/newrevid", 3, &kAppended},
      {"prependtext with a stale basetimestamp", "POST", "",
       "basetimestamp=@ts1&prependtext=%3Cp%3Estart%3C%2Fp%3E%0A", "",
       "/edit/oldrevid", 2, &kPrepended},
      {"appendtext is validated like text", "POST", "",
       "appendtext=%3Cscript%3Ex%3C%2Fscript%3E", "invalidmarkup", "", nullptr,
       &kTheirs},
      {"appendtext obeys the size limit", "POST", "", "appendtext=@big",
       "contenttoobig", "", nullptr, &kTheirs},
      {"no text at all", "POST", "", "baserevid=2&summary=s", "missingparam",
       "", nullptr, &kTheirs},
      {"nochange, v1", "POST", "", "baserevid=2&text=@theirs", "",
       "/edit/nochange", "", &kTheirs},
      {"nochange, v2", "POST", "", "formatversion=2&baserevid=2&text=@theirs",
       "", "/edit/nochange", true, &kTheirs},
      {"nochange makes no revision", "POST", "", "baserevid=1&text=@theirs", "",
       "/edit/newrevid", nullptr, &kTheirs},
      {"empty appendtext is a nochange", "POST", "", "appendtext=", "",
       "/edit/nochange", "", &kTheirs},
      {"md5 of text", "POST", "", "baserevid=2&text=@apart&md5=@md5apart", "",
       "/edit/result", "Success", &kMineApart},
      {"md5 of append and prepend", "POST", "",
       "prependtext=a&appendtext=b&md5=187ef4436122d1cc2f40dc2b92f0eba0", "",
       "/edit/result", "Success", &kAppendedAB},
      {"wrong md5", "POST", "", "baserevid=2&text=@apart&md5=00ff", "badmd5",
       "", nullptr, &kTheirs},
      {"minor, bot, watchlist accepted and ignored", "POST", "",
       "baserevid=2&text=@apart&minor=1&notminor=1&bot=1&watchlist=nochange"
       "&starttimestamp=20261201000000",
       "", "/edit/result", "Success", &kMineApart},
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
    const std::string query = Expand(row.query, f);
    req.query = query;
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

TEST_CASE("Sha1Hex, Md5Hex: the standard test vectors") {
  struct Vector {
    std::string in;
    const char* sha1;
    const char* md5;
  };
  const std::vector<Vector> vectors = {
      {"", "da39a3ee5e6b4b0d3255bfef95601890afd80709",
       "d41d8cd98f00b204e9800998ecf8427e"},
      {"abc", "a9993e364706816aba3e25717850c26c9cd0d89d",
       "900150983cd24fb0d6963f7d28e17f72"},
      {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
       "84983e441c3bd26ebaae4aa1f95129e5e54670f1",
       "8215ef0796a20bcaaae116d3876c664a"},
      {std::string(1000000, 'a'), "34aa973cd4c4daa4f61eeb2bdbad27316534016f",
       "7707d6ae4e027c70eea2a935c2296f21"},
      {std::string("a\0b", 3), "4a3dec2d1f8245280855c42db0ee4239f917fdb8",
       "70350f6027bce3713f6b76473084309b"},
  };
  for (const Vector& v : vectors) {
    CAPTURE(v.in.size());
    CHECK(Sha1Hex(v.in) == v.sha1);
    CHECK(Md5Hex(v.in) == v.md5);
  }
}

TEST_CASE("SelectRevisions: MediaWiki's (second, id) order and bounds") {
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
  using K = std::optional<RvKey>;
  const K none;
  struct Case {
    const char* name;
    bool newer;
    K start, end, cont;
    size_t limit;
    std::vector<uint64_t> want;
    uint64_t next;  // 0 = none
  };
  const std::vector<Case> cases = {
      {"older, all", false, none, none, none, 10, {5, 4, 3, 2, 1}, 0},
      {"newer, a page", true, none, none, none, 2, {1, 2}, 3},
      {"rvstart takes its whole second",
       false,
       RvStartKey(100, {}, false),
       none,
       none,
       10,
       {4, 3, 2, 1},
       0},
      {"rvstart newer",
       true,
       RvStartKey(100, {}, true),
       none,
       none,
       10,
       {2, 3, 4, 5},
       0},
      {"rvstartid: its second, up to the id",
       false,
       RvStartKey(100, 3, false),
       none,
       none,
       10,
       {3, 2, 1},
       0},
      {"rvstartid newer",
       true,
       RvStartKey(100, 3, true),
       none,
       none,
       10,
       {3, 4, 5},
       0},
      {"rvend takes its whole second",
       false,
       none,
       RvEndKey(100, {}, false),
       none,
       10,
       {5, 4, 3, 2},
       0},
      {"rvendid", false, none, RvEndKey(100, 3, false), none, 10, {5, 4, 3}, 0},
      {"rvend newer",
       true,
       none,
       RvEndKey(100, {}, true),
       none,
       10,
       {1, 2, 3, 4},
       0},
      {"rvendid newer",
       true,
       none,
       RvEndKey(100, 3, true),
       none,
       10,
       {1, 2, 3},
       0},
      {"a second with none",
       false,
       RvStartKey(101, {}, false),
       none,
       none,
       10,
       {4, 3, 2, 1},
       0},
      {"start and end",
       false,
       RvStartKey(100, {}, false),
       RvEndKey(100, {}, false),
       none,
       10,
       {4, 3, 2},
       0},
      {"start older than end: nothing",
       false,
       RvStartKey(50, {}, false),
       RvEndKey(102, {}, false),
       none,
       10,
       {},
       0},
      {"older, first page", false, none, none, none, 2, {5, 4}, 3},
      {"older, continued", false, none, none, RvKey{100, 3}, 2, {3, 2}, 1},
      {"newer, continued", true, none, none, RvKey{100, 3}, 10, {3, 4, 5}, 0},
      {"continue within rvstart",
       false,
       RvStartKey(100, 3, false),
       none,
       RvKey{100, 2},
       10,
       {2, 1},
       0},
  };
  for (const Case& t : cases) {
    CAPTURE(t.name);
    RvRange r;
    r.newer = t.newer;
    r.start = t.start;
    r.end = t.end;
    r.cont = t.cont;
    const RevisionMeta* next = nullptr;
    std::vector<uint64_t> got;
    for (const RevisionMeta* m : SelectRevisions(h, r, t.limit, &next)) {
      got.push_back(m->id);
    }
    CHECK(got == t.want);
    CHECK((next ? next->id : 0) == t.next);
  }
}

// Several revisions in one second, as at 10 edits/s: a basetimestamp of that
// second resolves to its earliest revision, so an edit of what the client
// read there merges with the others of that second instead of reverting
// them (resolving to the latest would silently drop them).
TEST_CASE("MwApi: a basetimestamp shared by several revisions merges them") {
  Fixture f;
  auto line = [](int i, const std::string& tag) {
    return "<p>line " + std::to_string(i) + tag + "</p>\n";
  };
  // 130 lines; revision k of the loop below changes line 4 + 3(k-1); the
  // clients change `mine`.
  auto text_with = [&](int changed_upto, std::vector<int> mine) {
    std::string t;
    for (int i = 0; i < 130; ++i) {
      bool changed = i >= 4 && (i - 4) % 3 == 0 && (i - 4) / 3 < changed_upto;
      bool client = std::find(mine.begin(), mine.end(), i) != mine.end();
      t += line(i, client ? " CLIENT" : changed ? " edited" : "");
    }
    return t;
  };
  auto commit = [&](const std::string& text) {
    auto c = f.store->Commit("them", "s",
                             [&](const Revision&, ArticleStore::Plan* plan) {
                               plan->text = text;
                               return Status::OK();
                             });
    REQUIRE(c.ok());
    return c->time_ms / 1000;
  };
  // Revision 3: the long text, in a later second than revision 2's (whose
  // text the clients never saw); then one changed line per revision (lines
  // 4, 7, 10, ...) until two revisions in a row share a second.
  auto rev2 = f.store->Get(2);
  REQUIRE(rev2.ok());
  while (NowMs() / 1000 <= (*rev2)->meta.time_ms / 1000) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  int64_t prev = commit(text_with(0, {})), shared = -1;
  for (int k = 1; k <= 40 && shared < 0; ++k) {
    const int64_t sec = commit(text_with(k, {}));
    if (sec == prev) shared = sec;
    prev = sec;
  }
  REQUIRE(shared >= 0);
  auto history = f.store->History();
  REQUIRE(history.ok());
  size_t earliest = 0, in_second = 0;
  for (size_t i = history->size(); i-- > 0;) {
    if ((*history)[i].time_ms / 1000 == shared) {
      earliest = i;
      ++in_second;
    }
  }
  REQUIRE(in_second >= 2);
  const uint64_t earliest_id = (*history)[earliest].id;
  const uint64_t latest_id = history->back().id;
  // What the client read: the earliest revision of the second (ids 3.. are
  // the long text with earliest_id - 3 lines changed), plus its own change.
  const int seen = static_cast<int>(earliest_id) - 3;
  const int all = static_cast<int>(latest_id) - 3;
  REQUIRE(f.Text() == text_with(all, {}));
  Request req;
  req.method = "POST";
  req.path = kMwApiPath;
  req.remote_addr = "192.0.2.7";
  req.content_type = "application/x-www-form-urlencoded";
  req.body = std::string(kEdit) +
             "basetimestamp=" + FormEncode(FormatIsoTime(shared * 1000)) +
             "&text=" + FormEncode(text_with(seen, {1}));
  Response resp;
  f.api->Handle(req, &resp);
  CAPTURE(resp.body.substr(0, 300));
  json got = json::parse(resp.body, nullptr, false);
  REQUIRE(got.is_object());
  CHECK(got["edit"]["result"] == "Success");
  CHECK(got["edit"]["oldrevid"] == latest_id);
  if (earliest_id != latest_id) CHECK(got["edit"]["merged"] == "");
  // Every revision of the second kept, and the client's change.
  CHECK(f.Text() == text_with(all, {1}));
  // A client that read the latest revision of that second, changing the
  // last line: its copy of the second's other edits is identical to theirs,
  // which merges cleanly; the first client's line is kept.
  req.body = std::string(kEdit) +
             "basetimestamp=" + FormEncode(FormatIsoTime(shared * 1000)) +
             "&text=" + FormEncode(text_with(all, {129}));
  resp = Response();
  f.api->Handle(req, &resp);
  got = json::parse(resp.body, nullptr, false);
  REQUIRE(got.is_object());
  CHECK(got["edit"]["result"] == "Success");
  CHECK(f.Text() == text_with(all, {1, 129}));
}

TEST_CASE("MwApi: nochange commits nothing") {
  Fixture f;
  Request req;
  req.method = "POST";
  req.path = kMwApiPath;
  req.remote_addr = "192.0.2.7";
  req.content_type = "application/x-www-form-urlencoded";
  req.body = std::string(kEdit) + "baserevid=1&text=" + FormEncode(kTheirs);
  Response resp;
  f.api->Handle(req, &resp);
  json got = json::parse(resp.body, nullptr, false);
  CHECK(got["edit"]["nochange"] == "");
  CHECK(!got["edit"].contains("newrevid"));
  auto cur = f.store->Current();
  REQUIRE(cur.ok());
  CHECK((*cur)->meta.id == 2);
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
