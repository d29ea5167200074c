#include "mw_api.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

#include "form_parser.h"
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

}  // namespace

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
  const auto prop = SplitPipe(c.Get("prop"));
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
  const std::string* titles = c.Param("titles");
  if (!prop.empty() || titles != nullptr) {
    auto current = store_->Current();
    if (!current.ok()) {
      std::fprintf(stderr, "api: %s\n", current.status().ToString().c_str());
      c.resp->status = 500;
      return c.Fail("internal_api_error_DBQueryError",
                    "The article could not be read.");
    }
    json pages = c.fv2 ? json::array() : json::object();
    int missing_id = 0;
    for (const std::string& t : SplitPipe(titles ? *titles : "")) {
      json page = {{"ns", 0}};
      if (DbKey(t) != title_) {
        std::string shown = DbKey(t);
        std::replace(shown.begin(), shown.end(), '_', ' ');
        page["title"] = shown;
        page["missing"] = c.Flag();
        --missing_id;
        if (c.fv2) {
          pages.push_back(page);
        } else {
          pages[std::to_string(missing_id)] = page;
        }
        continue;
      }
      const RevisionMeta& m = (*current)->meta;
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
      if (Has(prop, "revisions") && !Revisions(c, *current, &page)) return;
      if (c.fv2) {
        pages.push_back(page);
      } else {
        pages[std::to_string(kPageId)] = page;
      }
    }
    q["pages"] = pages;
  }
  c.out["batchcomplete"] = c.Flag();
  c.out["query"] = q;
}

namespace {

json RevisionJson(const RevisionMeta& m, const std::vector<std::string>& props,
                  const std::string* text, bool slots, bool fv2) {
  json r = json::object();
  if (Has(props, "ids")) {
    r["revid"] = m.id;
    r["parentid"] = m.id - 1;
  }
  if (Has(props, "user")) {
    r["user"] = m.author;
    if (LooksLikeAddress(m.author)) r["anon"] = fv2 ? json(true) : json("");
  }
  if (Has(props, "timestamp")) r["timestamp"] = FormatIsoTime(m.time_ms);
  if (Has(props, "comment")) r["comment"] = m.summary;
  if (Has(props, "size")) r["size"] = m.size;
  if (text != nullptr) {
    json content = {{"contentmodel", kContentModel},
                    {"contentformat", kContentFormat}};
    content[fv2 ? "content" : "*"] = *text;
    if (slots) {
      r["slots"] = {{"main", content}};
    } else {
      r.update(content);
    }
  }
  return r;
}

}  // namespace

// prop=revisions. Without any rv* paging parameter only the current
// revision (MediaWiki's single-page mode); otherwise a page of revisions
// from rvstartid / rvcontinue towards rvendid, rvdir=older (default) or
// newer, with a "continue" to get the next page.
bool MwApi::Revisions(Call& c, const RevisionPtr& current, json* page_json) {
  json& page = *page_json;
  const auto props =
      SplitPipe(c.Get("rvprop", "ids|timestamp|flags|comment|user"));
  const bool content = Has(props, "content");
  const bool slots = c.Param("rvslots") != nullptr;
  const char* paging[] = {"rvlimit",    "rvstartid", "rvendid", "rvdir",
                          "rvcontinue", "rvstart",   "rvend"};
  bool enumerate = false;
  for (const char* p : paging) enumerate |= c.Param(p) != nullptr;
  json revs = json::array();
  if (!enumerate) {
    revs.push_back(RevisionJson(current->meta, props,
                                content ? &current->text : nullptr, slots,
                                c.fv2));
    page["revisions"] = revs;
    return true;
  }
  const uint64_t max = content ? 50 : 500;
  uint64_t limit = 10;
  const std::string lim = c.Get("rvlimit");
  if (lim == "max") {
    limit = max;
  } else if (!lim.empty() && (!ParseRevisionId(lim, &limit) || limit == 0)) {
    c.Fail("badinteger",
           "Invalid value \"" + lim + "\" for integer parameter \"rvlimit\".");
    return false;
  }
  limit = std::min(limit, max);
  const bool newer = c.Get("rvdir", "older") == "newer";
  const uint64_t cur = current->meta.id;
  uint64_t start = newer ? 1 : cur, end = newer ? cur : 1;
  auto id_param = [&](const char* name, uint64_t* v) {
    std::string s = c.Get(name);
    if (std::string(name) == "rvcontinue") {
      size_t bar = s.rfind('|');
      if (bar != std::string::npos) s = s.substr(bar + 1);
    }
    if (c.Param(name) == nullptr) return true;
    if (ParseRevisionId(s, v)) return true;
    c.Fail("badvalue", std::string("Invalid value for \"") + name + "\".");
    return false;
  };
  if (!id_param("rvstartid", &start) || !id_param("rvendid", &end) ||
      !id_param("rvcontinue", &start)) {
    return false;
  }
  auto history = store_->History();
  if (!history.ok()) {
    c.resp->status = 500;
    c.Fail("internal_api_error_DBQueryError", "The history could not be read.");
    return false;
  }
  const auto& h = *history;
  auto in_range = [&](uint64_t id) {
    return newer ? (id >= start && id <= end) : (id <= start && id >= end);
  };
  std::vector<const RevisionMeta*> picked;
  for (size_t i = 0; i < h.size(); ++i) {
    const RevisionMeta& m = newer ? h[i] : h[h.size() - 1 - i];
    if (!in_range(m.id)) continue;
    if (picked.size() == limit) {
      c.out["continue"] = {
          {"rvcontinue", Ts14(m.time_ms) + "|" + std::to_string(m.id)},
          {"continue", "||"}};
      break;
    }
    picked.push_back(&m);
  }
  for (const RevisionMeta* m : picked) {
    std::string text;
    if (content) {
      auto rev = store_->Get(m->id);
      if (!rev.ok()) {
        c.resp->status = 500;
        c.Fail("internal_api_error_DBQueryError",
               "A revision could not be read.");
        return false;
      }
      text = (*rev)->text;
    }
    revs.push_back(
        RevisionJson(*m, props, content ? &text : nullptr, slots, c.fv2));
  }
  page["revisions"] = revs;
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
  if (c.Param("text") == nullptr) {
    c.Fail("missingparam", "The \"text\" parameter must be set.");
    return false;
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

void MwApi::Edit(Call& c) {
  if (!CheckEditParams(c)) return;
  EditRequest edit;
  edit.kind = EditKind::kForm;
  edit.text = *c.Param("text");
  edit.summary = c.Get("summary");
  edit.author = std::string(!c.req.remote_user.empty() ? c.req.remote_user
                                                       : c.req.remote_addr);
  if (!ResolveBase(c, &edit)) return;
  AnswerEdit(c, edit, editor_->Submit(edit));
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
