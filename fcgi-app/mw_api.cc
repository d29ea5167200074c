#include "mw_api.h"

#include <mbedtls/md5.h>
#include <mbedtls/sha1.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

#include "form_parser.h"
#include "render.h"
#include "responses.h"

namespace wiki {

using json = nlohmann::json;

namespace {

constexpr uint64_t kPageId = 1;  // the wiki's only page
constexpr char kContentModel[] = "html";
constexpr char kContentFormat[] = "text/html";

std::vector<std::string> SplitPipe(std::string_view s) {
  std::vector<std::string> out;
  if (s.empty()) return out;
  size_t start = 0;
  while (true) {
    size_t bar = s.find('|', start);
    out.emplace_back(s.substr(start, bar == std::string_view::npos
                                         ? std::string_view::npos
                                         : bar - start));
    if (bar == std::string_view::npos) break;
    start = bar + 1;
  }
  return out;
}

bool Has(const std::vector<std::string>& v, std::string_view x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

// MediaWiki's title normalisation, as far as one page needs it: spaces and
// underscores are the same, the first letter is upper case.
std::string DbKey(std::string_view title) {
  std::string key(title);
  std::replace(key.begin(), key.end(), ' ', '_');
  if (!key.empty() && key[0] >= 'a' && key[0] <= 'z') key[0] -= 'a' - 'A';
  return key;
}

std::string Shown(std::string key) {
  std::replace(key.begin(), key.end(), '_', ' ');
  return key;
}

// "20261201193710": MediaWiki's TS_MW, used in continuation values.
std::string Ts14(int64_t time_ms) {
  std::string iso = FormatIsoTime(time_ms);  // 2026-12-01T19:37:10Z
  std::string out;
  for (char c : iso)
    if (c >= '0' && c <= '9') out += c;
  return out;
}

// Authors are REMOTE_USER or the client address; MediaWiki flags the latter
// as anonymous.
bool LooksLikeAddress(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    bool ok = (c >= '0' && c <= '9') || c == '.' || c == ':' ||
              (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    if (!ok) return false;
  }
  return s.find('.') != std::string_view::npos ||
         s.find(':') != std::string_view::npos;
}

std::string Hex(const unsigned char* bytes, size_t n) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    out += kDigits[bytes[i] >> 4];
    out += kDigits[bytes[i] & 15];
  }
  return out;
}

}  // namespace

// mbedtls (libgit2's crypto, already in every process through -lgit2).
std::string Sha1Hex(std::string_view text) {
  unsigned char digest[20];
  mbedtls_sha1_ret(reinterpret_cast<const unsigned char*>(text.data()),
                   text.size(), digest);
  return Hex(digest, sizeof digest);
}

std::string Md5Hex(std::string_view text) {
  unsigned char digest[16];
  mbedtls_md5_ret(reinterpret_cast<const unsigned char*>(text.data()),
                  text.size(), digest);
  return Hex(digest, sizeof digest);
}

std::optional<int64_t> ParseMwTimestamp(std::string_view s) {
  std::string digits;
  for (char c : s) {
    if (c >= '0' && c <= '9') {
      digits += c;
    } else if (c != '-' && c != ':' && c != 'T' && c != 'Z' && c != ' ') {
      return std::nullopt;
    }
  }
  if (digits.size() != 14) return std::nullopt;
  auto num = [&](size_t pos, size_t len) {
    return std::stoi(digits.substr(pos, len));
  };
  std::tm tm{};
  tm.tm_year = num(0, 4) - 1900;
  tm.tm_mon = num(4, 2) - 1;
  tm.tm_mday = num(6, 2);
  tm.tm_hour = num(8, 2);
  tm.tm_min = num(10, 2);
  tm.tm_sec = num(12, 2);
  if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
      tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60) {
    return std::nullopt;
  }
  return static_cast<int64_t>(timegm(&tm));
}

uint64_t ResolveBaseTimestamp(const std::vector<RevisionMeta>& history,
                              int64_t unix_seconds) {
  uint64_t before = 0;
  for (const RevisionMeta& m : history) {
    const int64_t sec = m.time_ms / 1000;
    if (sec == unix_seconds) return m.id;  // oldest first: the earliest
    if (sec > unix_seconds) break;
    before = m.id;
  }
  return before;
}

// One API call: its parameters, the answer being built, and how to shape it.
struct MwApi::Call {
  const Request& req;
  Response* resp;
  Form params;
  bool fv2 = false;
  json out = json::object();
  bool failed = false;

  // The last value wins, as in MediaWiki (PHP's parameter parsing), and a
  // body parameter over the query string's.
  const std::string* Param(std::string_view name) const {
    for (auto it = params.fields.rbegin(); it != params.fields.rend(); ++it) {
      if (it->name == name) return &it->value;
    }
    return nullptr;
  }
  std::string Get(std::string_view name, std::string dflt = "") const {
    const std::string* v = Param(name);
    return v ? *v : dflt;
  }
  // A flag as MediaWiki's formatversion wants it: "" (1) or true (2).
  json Flag() const { return fv2 ? json(true) : json(""); }
  void Fail(const std::string& code, const std::string& info) {
    failed = true;
    out = json::object();
    out["error"] = {{"code", code}, {"info", info}};
    if (!fv2) out["error"]["*"] = "See https://www.mediawiki.org/wiki/API";
    resp->AddHeader("MediaWiki-API-Error", code);
  }
};

bool IsMediaWikiPath(std::string_view path) {
  return path == kMwApiPath || path.rfind(kMwRestPrefix, 0) == 0;
}

MwApi::MwApi(const Config& config, ArticleStore* store, Editor* editor)
    : title_(config.title),
      display_(Shown(config.title)),
      store_(store),
      editor_(editor),
      rest_(config, store, editor) {}

void MwApi::Handle(const Request& req, Response* resp) {
  if (req.path != kMwApiPath) return rest_.Handle(req, resp);
  Call c{req, resp, Form(), false, json::object(), false};
  resp->status = 200;
  const bool post = req.method == "POST";
  if (req.method != "GET" && req.method != "HEAD" && !post) {
    Error(resp, 405, "Method not allowed; use GET or POST.");
    resp->AddHeader("Allow", "GET, HEAD, POST");
    return;
  }
  auto query = ParseUrlEncoded(req.query);
  if (!query.ok()) return Error(resp, 400, query.status().message());
  c.params = std::move(*query);
  if (post && !req.body.empty()) {
    if (req.body_too_large) {
      return Error(resp, 413, "The request body is too large.");
    }
    auto body = ParseFormBody(req.content_type, req.body);
    if (!body.ok()) {
      return Error(resp, HttpStatusFor(body.status()), body.status().message());
    }
    for (FormField& f : body->fields) c.params.fields.push_back(std::move(f));
  }
  c.fv2 = c.Get("formatversion") == "2" || c.Get("formatversion") == "latest";
  const std::string format = c.Get("format", "json");
  const std::string action = c.Get("action");
  if (format != "json") {
    c.Fail("badvalue", "Unrecognized value for parameter \"format\": " +
                           format + " (this wiki speaks json only).");
  } else if (action.empty()) {
    c.Fail("missingparam", "The \"action\" parameter must be set.");
  } else if (action == "query") {
    Query(c);
  } else if (action == "edit") {
    Edit(c);
  } else {
    c.Fail("badvalue",
           "Unrecognized value for parameter \"action\": " + action + ".");
  }
  if (!c.failed && c.Param("curtimestamp") != nullptr) {
    c.out["curtimestamp"] = FormatIsoTime(NowMs());
  }
  resp->AddHeader("Content-Type", "application/json; charset=utf-8");
  resp->AddHeader("Cache-Control", "private, must-revalidate, max-age=0");
  resp->AddHeader("X-Content-Type-Options", "nosniff");
  resp->body = c.out.dump(-1, ' ', false, json::error_handler_t::replace);
  resp->omit_body = req.method == "HEAD";
}

namespace {

json SiteInfo(const std::string& display, const std::string& title,
              const Request& req, bool fv2) {
  json general = {
      {"mainpage", display},
      {"base", "/wiki/" + title},
      {"sitename", "Mini-Wikipedia"},
      {"generator", "MediaWiki 1.39.0"},
      {"phpversion", "0"},
      {"case", "first-letter"},
      {"lang", "en"},
      {"articlepath", "/wiki/$1"},
      {"scriptpath", "/w"},
      {"script", "/w/index.php"},
      {"server", ""},
      {"writeapi", fv2 ? json(true) : json("")},
      {"maxarticlesize", 0},
  };
  (void)req;
  json ns = json::object();
  auto add = [&](int id, const std::string& name, bool content) {
    json n = {{"id", id}, {"case", "first-letter"}};
    if (fv2) {
      n["name"] = name;
      n["canonical"] = name;
      n["subpages"] = false;
      n["content"] = content;
    } else {
      n["*"] = name;
      if (!name.empty()) n["canonical"] = name;
      if (content) n["content"] = "";
    }
    ns[std::to_string(id)] = n;
  };
  add(-2, "Media", false);
  add(-1, "Special", false);
  add(0, "", true);
  return {{"general", general}, {"namespaces", ns}};
}

json UserInfo(const Request& req, bool fv2) {
  const bool anon = req.remote_user.empty();
  json u = {{"id", 0},
            {"name", std::string(anon ? req.remote_addr : req.remote_user)},
            {"groups", {"*"}},
            {"rights", {"read", "edit", "writeapi", "editmyprivateinfo"}}};
  if (anon) u["anon"] = fv2 ? json(true) : json("");
  return u;
}

}  // namespace

void MwApi::Query(Call& c) {
  const auto meta = SplitPipe(c.Get("meta"));
  json q = json::object();
  if (Has(meta, "siteinfo")) {
    const auto siprop = SplitPipe(c.Get("siprop", "general"));
    json si = SiteInfo(display_, title_, c.req, c.fv2);
    if (Has(siprop, "general")) q["general"] = si["general"];
    if (Has(siprop, "namespaces")) q["namespaces"] = si["namespaces"];
  }
  if (Has(meta, "userinfo")) q["userinfo"] = UserInfo(c.req, c.fv2);
  if (Has(meta, "tokens")) {
    json t = json::object();
    for (const std::string& type : SplitPipe(c.Get("type", "csrf"))) {
      if (type != "csrf") {
        return c.Fail("badvalue",
                      "Unrecognized value for parameter \"type\": " + type +
                          " (this wiki has csrf tokens only).");
      }
      t["csrftoken"] = kMwAnonToken;
    }
    q["tokens"] = t;
  }
  if (!QueryPages(c, &q)) return;
  c.out["batchcomplete"] = c.Flag();
  c.out["query"] = q;
}

namespace {

constexpr size_t kMaxRevids = 50;  // MediaWiki's limit for a multi-value

// revids=1|2|3: the ids into *ids, those that do not exist into *bad.
// False (and the error set) on a value that is not a number, or too many.
bool ParseRevids(const std::string& value, uint64_t current,
                 std::vector<uint64_t>* ids, std::vector<uint64_t>* bad,
                 std::string* error) {
  const auto parts = SplitPipe(value);
  if (parts.size() > kMaxRevids) {
    *error = "toomanyvalues";
    return false;
  }
  for (const std::string& p : parts) {
    uint64_t id = 0;
    if (!ParseRevisionId(p, &id)) {
      *error = "badinteger";
      return false;
    }
    (id >= 1 && id <= current ? ids : bad)->push_back(id);
  }
  std::sort(ids->begin(), ids->end());
  ids->erase(std::unique(ids->begin(), ids->end()), ids->end());
  return true;
}

}  // namespace

bool MwApi::QueryPages(Call& c, json* query) {
  const auto prop = SplitPipe(c.Get("prop"));
  const std::string* titles = c.Param("titles");
  const std::string* revids = c.Param("revids");
  if (prop.empty() && titles == nullptr && revids == nullptr) return true;
  if (titles != nullptr && revids != nullptr) {
    c.Fail("invalidparammix",
           "The parameters \"titles\" and \"revids\" can not be used "
           "together.");
    return false;
  }
  auto current = store_->Current();
  if (!current.ok()) {
    std::fprintf(stderr, "api: %s\n", current.status().ToString().c_str());
    c.resp->status = 500;
    c.Fail("internal_api_error_DBQueryError", "The article could not be read.");
    return false;
  }
  json pages = c.fv2 ? json::array() : json::object();
  auto add = [&](const json& page, const std::string& key) {
    if (c.fv2) {
      pages.push_back(page);
    } else {
      pages[key] = page;
    }
  };
  if (revids != nullptr) {
    std::vector<uint64_t> ids, bad;
    std::string error;
    if (!ParseRevids(*revids, (*current)->meta.id, &ids, &bad, &error)) {
      c.Fail(error, error == "toomanyvalues"
                        ? "Too many values supplied for parameter \"revids\". "
                          "The limit is 50."
                        : "Invalid value \"" + *revids +
                              "\" for integer parameter \"revids\".");
      return false;
    }
    if (!bad.empty()) {
      json b = json::object();
      for (uint64_t id : bad) {
        b[std::to_string(id)] = {{"revid", id}, {"missing", c.Flag()}};
      }
      (*query)["badrevids"] = b;
    }
    if (!ids.empty()) {
      json page = {{"ns", 0}};
      if (!ArticlePage(c, *current, &ids, &page)) return false;
      add(page, std::to_string(kPageId));
    }
  }
  int missing_id = 0;
  for (const std::string& t : SplitPipe(titles ? *titles : "")) {
    json page = {{"ns", 0}};
    if (DbKey(t) != title_) {
      page["title"] = Shown(DbKey(t));
      page["missing"] = c.Flag();
      add(page, std::to_string(--missing_id));
      continue;
    }
    if (!ArticlePage(c, *current, nullptr, &page)) return false;
    add(page, std::to_string(kPageId));
  }
  (*query)["pages"] = pages;
  return true;
}

bool MwApi::ArticlePage(Call& c, const RevisionPtr& current,
                        const std::vector<uint64_t>* revids, json* page_json) {
  json& page = *page_json;
  const auto prop = SplitPipe(c.Get("prop"));
  const RevisionMeta& m = current->meta;
  page["pageid"] = kPageId;
  page["title"] = display_;
  if (Has(prop, "info")) {
    page["contentmodel"] = kContentModel;
    page["pagelanguage"] = "en";
    page["pagelanguagehtmlcode"] = "en";
    page["pagelanguagedir"] = "ltr";
    page["touched"] = FormatIsoTime(m.time_ms);
    page["lastrevid"] = m.id;
    page["length"] = m.size;
    page["protection"] = json::array();
    page["restrictiontypes"] = {"edit"};
  }
  return !Has(prop, "revisions") || Revisions(c, current, revids, page_json);
}

namespace {

// rvprop values MediaWiki knows; those this wiki has nothing for (flags:
// there are no minor edits; slot and parse-tree details) are accepted and
// add nothing.
constexpr const char* kRvProps[] = {
    "ids",      "flags",        "timestamp", "user",
    "userid",   "size",         "slotsize",  "sha1",
    "slotsha1", "contentmodel", "comment",   "parsedcomment",
    "content",  "tags",         "roles",     "parsetree"};


}  // namespace

struct MwApi::RvProps {
  std::vector<std::string> props;
  bool content = false;
  bool sha1 = false;
  bool slots = false;  // rvslots given: content under slots.main
  bool fv2 = false;

  bool NeedsText() const { return content || sha1; }

  // Reads rvprop; unknown values are dropped with a warning, as MediaWiki
  // does.
  explicit RvProps(Call& c) : slots(c.Param("rvslots") != nullptr), fv2(c.fv2) {
    std::vector<std::string> unknown;
    for (std::string& p :
         SplitPipe(c.Get("rvprop", "ids|timestamp|flags|comment|user"))) {
      const bool known = std::find(std::begin(kRvProps), std::end(kRvProps),
                                   p) != std::end(kRvProps);
      (known ? props : unknown).push_back(std::move(p));
    }
    content = Has(props, "content");
    sha1 = Has(props, "sha1");
    if (unknown.empty()) return;
    std::string list;
    for (const std::string& u : unknown) list += (list.empty() ? "" : ", ") + u;
    const std::string text =
        std::string(unknown.size() == 1 ? "Unrecognized value"
                                        : "Unrecognized values") +
        " for parameter \"rvprop\": " + list + ".";
    c.out["warnings"]["revisions"][fv2 ? "warnings" : "*"] = text;
  }

  json Json(const RevisionMeta& m, const std::string* text) const {
    json r = json::object();
    if (Has(props, "ids")) {
      r["revid"] = m.id;
      r["parentid"] = m.id - 1;
    }
    if (Has(props, "user")) {
      r["user"] = m.author;
      if (LooksLikeAddress(m.author)) r["anon"] = fv2 ? json(true) : json("");
    }
    if (Has(props, "userid")) r["userid"] = 0;
    if (Has(props, "timestamp")) r["timestamp"] = FormatIsoTime(m.time_ms);
    if (Has(props, "size")) r["size"] = m.size;
    if (sha1 && text != nullptr) r["sha1"] = Sha1Hex(*text);
    if (Has(props, "contentmodel")) r["contentmodel"] = kContentModel;
    if (Has(props, "comment")) r["comment"] = m.summary;
    if (Has(props, "parsedcomment")) r["parsedcomment"] = HtmlEscape(m.summary);
    if (Has(props, "tags")) r["tags"] = json::array();
    if (content && text != nullptr) {
      json body = {{"contentmodel", kContentModel},
                   {"contentformat", kContentFormat}};
      body[fv2 ? "content" : "*"] = *text;
      if (slots) {
        r["slots"] = {{"main", body}};
      } else {
        r.update(body);
      }
    }
    return r;
  }
};

namespace {

// Revision `id` in a history sorted by id; nullptr if there is none.
const RevisionMeta* FindRev(const std::vector<RevisionMeta>& history,
                            uint64_t id) {
  auto it = std::lower_bound(
      history.begin(), history.end(), id,
      [](const RevisionMeta& m, uint64_t want) { return m.id < want; });
  return it != history.end() && it->id == id ? &*it : nullptr;
}

}  // namespace

RvKey RvStartKey(int64_t sec, std::optional<uint64_t> id, bool newer) {
  return {sec, id ? *id : newer ? 0 : UINT64_MAX};
}

RvKey RvEndKey(int64_t sec, std::optional<uint64_t> id, bool newer) {
  return {sec, id ? *id : newer ? UINT64_MAX : 0};
}

std::vector<const RevisionMeta*> SelectRevisions(
    const std::vector<RevisionMeta>& history, const RvRange& r, size_t limit,
    const RevisionMeta** next) {
  auto key = [](const RevisionMeta* m) {
    return RvKey{m->time_ms / 1000, m->id};
  };
  // "Not past the first bound, not past the last" in r's direction.
  auto before = [&](const RvKey& a, const RvKey& b) {
    return r.newer ? a < b : b < a;
  };
  std::vector<const RevisionMeta*> all;
  for (const RevisionMeta& m : history) {
    const RvKey k = key(&m);
    if ((r.start && before(k, *r.start)) || (r.cont && before(k, *r.cont)) ||
        (r.end && before(*r.end, k))) {
      continue;
    }
    all.push_back(&m);
  }
  std::sort(all.begin(), all.end(),
            [&](const RevisionMeta* a, const RevisionMeta* b) {
              return before(key(a), key(b));
            });
  *next = all.size() > limit ? all[limit] : nullptr;
  if (all.size() > limit) all.resize(limit);
  return all;
}

// prop=revisions, in MediaWiki's three modes: the current revision only
// (no rv* list parameter); revids= (those revisions, by id); or an
// enumeration of the history (rvlimit, rvstart/rvend, rvstartid/rvendid,
// rvdir=newer) with rvcontinue to get the next page.
bool MwApi::Revisions(Call& c, const RevisionPtr& current,
                      const std::vector<uint64_t>* revids, json* page) {
  const RvProps props(c);
  bool enumerate = c.Get("rvdir") == "newer";
  for (const char* p : {"rvlimit", "rvstartid", "rvendid", "rvstart", "rvend",
                        "rvuser", "rvexcludeuser"}) {
    enumerate |= c.Param(p) != nullptr;
  }
  if (revids != nullptr && enumerate) {
    c.Fail("invalidparammix",
           "The revids parameter may not be used with the list options "
           "(rvlimit, rvstartid, rvendid, rvdir=newer, rvuser, rvexcludeuser, "
           "rvstart, and rvend).");
    return false;
  }
  if (revids == nullptr && !enumerate) {
    (*page)["revisions"] = json::array({props.Json(
        current->meta, props.NeedsText() ? &current->text : nullptr)});
    return true;
  }
  auto history = store_->History();
  if (!history.ok()) {
    c.resp->status = 500;
    c.Fail("internal_api_error_DBQueryError", "The history could not be read.");
    return false;
  }
  std::vector<const RevisionMeta*> picked;
  const RevisionMeta* next = nullptr;
  if (revids != nullptr) {
    uint64_t from = 0;  // rvcontinue in this mode: the next revision id
    const std::string* cont = c.Param("rvcontinue");
    if (cont != nullptr && !ParseRevisionId(*cont, &from)) {
      c.Fail("badcontinue",
             "Invalid continue param. You should pass the "
             "original value returned by the previous query.");
      return false;
    }
    for (uint64_t id : *revids) {
      const RevisionMeta* m = FindRev(*history, id);
      if (id >= from && m != nullptr) picked.push_back(m);
    }
  } else {
    RvRange range;
    size_t limit = 0;
    if (!EnumerationRange(c, *history, &range, &limit)) return false;
    picked = SelectRevisions(*history, range, limit, &next);
  }
  json revs = json::array();
  if (!AddRevisions(c, props, picked, &revs)) return false;
  (*page)["revisions"] = revs;
  if (next != nullptr) {
    c.out["continue"] = {
        {"rvcontinue", Ts14(next->time_ms) + "|" + std::to_string(next->id)},
        {"continue", "||"}};
  }
  return true;
}

// rvlimit, rvdir and the bounds of an enumeration; false (and the error
// set) on bad input.
bool MwApi::EnumerationRange(Call& c, const std::vector<RevisionMeta>& history,
                             RvRange* range, size_t* limit) {
  const std::string dir = c.Get("rvdir", "older");
  if (dir != "older" && dir != "newer") {
    c.Fail("badvalue",
           "Unrecognized value for parameter \"rvdir\": " + dir + ".");
    return false;
  }
  range->newer = dir == "newer";
  const size_t max = Has(SplitPipe(c.Get("rvprop")), "content") ? 50 : 500;
  uint64_t n = 10;
  const std::string lim = c.Get("rvlimit");
  if (lim == "max") {
    n = max;
  } else if (!lim.empty() && (!ParseRevisionId(lim, &n) || n == 0)) {
    c.Fail("badinteger",
           "Invalid value \"" + lim + "\" for integer parameter \"rvlimit\".");
    return false;
  }
  *limit = std::min<uint64_t>(n, max);
  if (!RvBound(c, "rvstart", "rvstartid", history, true, range->newer,
               &range->start) ||
      !RvBound(c, "rvend", "rvendid", history, false, range->newer,
               &range->end)) {
    return false;
  }
  if (const std::string* cont = c.Param("rvcontinue")) {
    const size_t bar = cont->find('|');
    uint64_t id = 0;
    auto ts = ParseMwTimestamp(cont->substr(0, bar));
    if (bar == std::string::npos || !ts ||
        !ParseRevisionId(cont->substr(bar + 1), &id)) {
      c.Fail("badcontinue",
             "Invalid continue param. You should pass the "
             "original value returned by the previous query.");
      return false;
    }
    range->cont = RvKey{*ts, id};
  }
  return true;
}

// One end of the range: the timestamp parameter, or the id parameter (which
// MediaWiki turns into that revision's timestamp, ties broken by id). At
// most one of the two; an id must exist.
bool MwApi::RvBound(Call& c, const char* ts_name, const char* id_name,
                    const std::vector<RevisionMeta>& history, bool is_start,
                    bool newer, std::optional<RvKey>* key) {
  const std::string* ts = c.Param(ts_name);
  const std::string* id = c.Param(id_name);
  if (ts != nullptr && id != nullptr) {
    c.Fail("invalidparammix", std::string("The parameters \"") + id_name +
                                  "\" and \"" + ts_name +
                                  "\" can not be used together.");
    return false;
  }
  int64_t sec = 0;
  std::optional<uint64_t> rev;
  if (ts != nullptr) {
    auto parsed = ParseMwTimestamp(*ts);
    if (!parsed) {
      c.Fail(std::string("badtimestamp_") + ts_name,
             "Invalid value \"" + *ts + "\" for timestamp parameter \"" +
                 ts_name + "\".");
      return false;
    }
    sec = *parsed;
  } else if (id != nullptr) {
    uint64_t n = 0;
    const RevisionMeta* m =
        ParseRevisionId(*id, &n) ? FindRev(history, n) : nullptr;
    if (m == nullptr) {
      c.Fail(std::string("badid_") + id_name,
             std::string("No revision was found for parameter \"") + id_name +
                 "\".");
      return false;
    }
    sec = m->time_ms / 1000;
    rev = n;
  } else {
    return true;
  }
  *key = is_start ? RvStartKey(sec, rev, newer) : RvEndKey(sec, rev, newer);
  return true;
}

// The JSON of each picked revision, its text read only if rvprop asks.
bool MwApi::AddRevisions(Call& c, const RvProps& props,
                         const std::vector<const RevisionMeta*>& picked,
                         json* revs) {
  for (const RevisionMeta* m : picked) {
    RevisionPtr rev;
    if (props.NeedsText()) {
      auto got = store_->Get(m->id);
      if (!got.ok()) {
        c.resp->status = 500;
        c.Fail("internal_api_error_DBQueryError",
               "A revision could not be read.");
        return false;
      }
      rev = *got;
    }
    revs->push_back(props.Json(*m, rev ? &rev->text : nullptr));
  }
  return true;
}

namespace {

// The MediaWiki error code for an edit the workflow refused.
std::string RefusalCode(const EditResult& r) {
  switch (r.status.code()) {
    case Status::Code::kTooLarge:
      return "contenttoobig";
    default:
      return r.article_refused ? "invalidmarkup" : "badvalue";
  }
}

}  // namespace

// The checks MediaWiki makes before it looks at the text: false (and the
// error set) if the edit cannot go ahead.
bool MwApi::CheckEditParams(Call& c) const {
  if (c.req.method != "POST") {
    c.Fail("mustbeposted", "The \"edit\" module requires a POST request.");
    return false;
  }
  const std::string* token = c.Param("token");
  if (token == nullptr) {
    c.Fail("missingparam", "The \"token\" parameter must be set.");
    return false;
  }
  if (*token != kMwAnonToken) {
    c.Fail("badtoken", "Invalid CSRF token.");
    return false;
  }
  const std::string assert_ = c.Get("assert");
  if (assert_ == "user" || assert_ == "bot") {
    c.Fail("assert" + assert_ + "failed",
           "Assertion that the user is a " + assert_ +
               " failed (this wiki has no logins).");
    return false;
  }
  const std::string* title = c.Param("title");
  const std::string* pageid = c.Param("pageid");
  if (title == nullptr && pageid == nullptr) {
    c.Fail("missingparam", "The \"title\" parameter must be set.");
    return false;
  }
  if (title != nullptr ? DbKey(*title) != title_ : *pageid != "1") {
    c.Fail("missingtitle", "The page you specified doesn't exist.");
    return false;
  }
  if (c.Param("createonly") != nullptr) {
    c.Fail("articleexists",
           "The article you tried to create has been created already.");
    return false;
  }
  if (c.Param("section") != nullptr) {
    c.Fail("nosuchsection",
           "This wiki edits whole pages only; omit \"section\".");
    return false;
  }
  if (c.Param("text") == nullptr && c.Param("appendtext") == nullptr &&
      c.Param("prependtext") == nullptr) {
    c.Fail("missingparam",
           "At least one of the parameters \"text\", \"appendtext\" and "
           "\"prependtext\" is required.");
    return false;
  }
  // MediaWiki's md5: of text, or of prependtext and appendtext together.
  if (const std::string* md5 = c.Param("md5")) {
    const std::string* text = c.Param("text");
    const bool around = c.Param("appendtext") || c.Param("prependtext");
    if (Md5Hex(around ? c.Get("prependtext") + c.Get("appendtext") : *text) !=
        *md5) {
      c.Fail("badmd5", "The supplied MD5 hash was incorrect.");
      return false;
    }
  }
  return true;
}

// The revision the client's text is based on: baserevid exactly, or the
// earliest revision in basetimestamp's second (see mw_api.h). False (and the
// error set) if neither resolves; edit->base_revision stays unset if neither
// was sent.
bool MwApi::ResolveBase(Call& c, EditRequest* edit) {
  if (const std::string* id = c.Param("baserevid")) {
    uint64_t base = 0;
    if (!ParseRevisionId(*id, &base) || base == 0) {
      c.Fail("nosuchrevid", "There is no revision with ID " + *id + ".");
      return false;
    }
    edit->base_revision = base;
  } else if (const std::string* ts = c.Param("basetimestamp")) {
    auto secs = ParseMwTimestamp(*ts);
    if (!secs) {
      c.Fail("badtimestamp_basetimestamp",
             "Invalid value \"" + *ts +
                 "\" for timestamp parameter \"basetimestamp\".");
      return false;
    }
    auto history = store_->History();
    if (!history.ok()) {
      c.resp->status = 500;
      c.Fail("internal_api_error_DBQueryError",
             "The history could not be read.");
      return false;
    }
    const uint64_t base = ResolveBaseTimestamp(*history, *secs);
    // Before the first revision: the client saw none of the article's
    // revisions, so it must start from the first one.
    edit->base_revision = base == 0 ? 1 : base;
  }
  return true;
}

// minor, notminor, bot, watchlist, starttimestamp and the like are accepted
// and ignored: this wiki has no such flags or lists.
void MwApi::Edit(Call& c) {
  if (!CheckEditParams(c)) return;
  EditRequest edit;
  edit.kind = EditKind::kForm;
  edit.summary = c.Get("summary");
  edit.author = std::string(!c.req.remote_user.empty() ? c.req.remote_user
                                                       : c.req.remote_addr);
  if (!ResolveBase(c, &edit)) return;
  std::string text;
  bool nochange = false;
  if (!EditText(c, &edit, &text, &nochange)) return;
  if (nochange) {
    c.out["edit"] = {{"result", "Success"},
                     {"pageid", kPageId},
                     {"title", display_},
                     {"contentmodel", kContentModel},
                     {"nochange", c.Flag()}};
    return;
  }
  edit.text = text;
  AnswerEdit(c, edit, editor_->Submit(edit));
}

// appendtext / prependtext go around the text of the revision that is
// current now, which becomes the base: an edit landing before the commit is
// merged like any other (two appends at the end overlap: editconflict).
// Text equal to the current revision's is MediaWiki's "nochange": nothing
// is committed (had an edit landed since, this one is simply ordered
// before it).
bool MwApi::EditText(Call& c, EditRequest* edit, std::string* text,
                     bool* nochange) {
  auto current = store_->Current();
  if (!current.ok()) {
    std::fprintf(stderr, "api: %s\n", current.status().ToString().c_str());
    c.resp->status = 500;
    c.Fail("internal_api_error_DBQueryError", "The article could not be read.");
    return false;
  }
  if (c.Param("appendtext") != nullptr || c.Param("prependtext") != nullptr) {
    *text = c.Get("prependtext") + (*current)->text + c.Get("appendtext");
    edit->base_revision = (*current)->meta.id;
  } else {
    *text = *c.Param("text");
  }
  *nochange = *text == (*current)->text;
  return true;
}

void MwApi::AnswerEdit(Call& c, const EditRequest& edit, const EditResult& r) {
  using O = EditResult::Outcome;
  switch (r.outcome) {
    case O::kSaved:
    case O::kMerged: {
      json e = {{"result", "Success"},
                {"pageid", kPageId},
                {"title", display_},
                {"contentmodel", kContentModel},
                {"oldrevid", r.committed.id - 1},
                {"newrevid", r.committed.id},
                {"newtimestamp", FormatIsoTime(r.committed.time_ms)}};
      if (r.outcome == O::kMerged) e["merged"] = c.Flag();
      c.out["edit"] = e;
      return;
    }
    case O::kConflict:
    case O::kStale:
      return c.Fail("editconflict", "Edit conflict detected.");
    case O::kPreconditionRequired:
      return c.Fail("missingparam",
                    "The \"baserevid\" or \"basetimestamp\" parameter must be "
                    "set: this wiki never overwrites edits it cannot see.");
    case O::kRejected:
      if (edit.base_revision && r.status.code() == Status::Code::kNotFound) {
        return c.Fail("nosuchrevid", r.status.message());
      }
      return c.Fail(RefusalCode(r), r.status.message());
    case O::kFailed:
    case O::kAbandoned:  // nobody reads it (cancel.h)
      c.resp->status = HttpStatusFor(r.status);
      return c.Fail("internal_api_error_DBQueryError", r.status.message());
  }
}

}  // namespace wiki
