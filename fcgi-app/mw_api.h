// mw_api: a subset of MediaWiki's Action API at /w/api.php, enough for
// existing clients (mwclient, pywikibot-style scripts) to read and edit the
// article:
//   action=query  meta=siteinfo|userinfo|tokens, prop=info|revisions,
//                 titles | revids; revisions by id or timestamp range
//                 (rvstart/rvend/rvstartid/rvendid/rvdir), rvcontinue
//   action=edit   title, text | appendtext/prependtext, summary, token,
//                 baserevid | basetimestamp, md5; nochange answers
// format=json only; formatversion=1 (default) and 2 shape the answer as
// MediaWiki does. Errors are {"error":{"code","info"}} with HTTP 200 and
// the MediaWiki-API-Error header, as MediaWiki sends them (a storage
// failure keeps its 5xx).
//
// Every edit goes through Editor::Submit as a form-kind edit, so it gets
// the same preconditions, validation, three-way merge, durability and
// front-cache publish as a browser's form post. The base revision is
// baserevid (exact) or basetimestamp, which has one-second resolution: it
// resolves to the EARLIEST revision of that second, so that a merge keeps
// every later edit of the same second instead of silently reverting them.
//
// Thread-safety: one MwApi per process, shared by its threads; Handle is
// thread-safe (it only reads the store and calls the thread-safe Editor).
// Never throws on bad input.
#ifndef WIKI_MW_API_H_
#define WIKI_MW_API_H_

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "article_store.h"
#include "config.h"
#include "edit.h"
#include "http.h"
#include "mw_rest.h"
#include "revision.h"

namespace wiki {

inline constexpr char kMwApiPath[] = "/w/api.php";

// The token MediaWiki hands to anonymous users; this wiki has no logins, so
// it is the only CSRF token there is.
inline constexpr char kMwAnonToken[] = "+\\";

// Resolves a MediaWiki basetimestamp (whole seconds, Unix epoch) against
// the history (oldest first): the earliest revision committed in that
// second; if none, the last revision before it; 0 if the history is empty
// or the time precedes every revision.
uint64_t ResolveBaseTimestamp(const std::vector<RevisionMeta>& history,
                              int64_t unix_seconds);

// "2026-12-01T19:37:10Z" or "20261201193710" -> Unix seconds; nullopt if
// neither.
std::optional<int64_t> ParseMwTimestamp(std::string_view s);

// MediaWiki orders a page's revisions by (timestamp, id), the timestamp in
// whole seconds; rvstart/rvend/rvstartid/rvendid/rvcontinue are bounds on
// that key.
struct RvKey {
  int64_t sec = 0;
  uint64_t id = 0;
  bool operator<(const RvKey& o) const {
    return sec != o.sec ? sec < o.sec : id < o.id;
  }
};

// An enumeration of prop=revisions (MediaWiki's ApiQueryRevisions, "mode
// 2"). rvdir=older (newest first): start is the newest key returned, end
// the oldest; rvdir=newer the other way round. cont (rvcontinue) is where
// the previous page stopped, inclusive. An unset bound does not limit.
struct RvRange {
  bool newer = false;
  std::optional<RvKey> start, end, cont;
};

// The key of a bound given as a timestamp and, for rvstartid / rvendid, the
// revision id: a bare timestamp takes in its whole second.
RvKey RvStartKey(int64_t sec, std::optional<uint64_t> id, bool newer);
RvKey RvEndKey(int64_t sec, std::optional<uint64_t> id, bool newer);

// Up to `limit` revisions of `history` (any order) within `r`, in r's
// direction; *next is the first one left over (nullptr if none), whose key
// is the rvcontinue value.
std::vector<const RevisionMeta*> SelectRevisions(
    const std::vector<RevisionMeta>& history, const RvRange& r, size_t limit,
    const RevisionMeta** next);

// The revision's rvprop=sha1: SHA-1 of the text, 40 lower-case hex digits.
std::string Sha1Hex(std::string_view text);
// action=edit's md5 check: MD5, 32 lower-case hex digits.
std::string Md5Hex(std::string_view text);

// True for the paths MwApi answers: the Action API and the REST API.
bool IsMediaWikiPath(std::string_view path);

// Answers both the Action API and (through MwRest) the REST API.
class MwApi {
 public:
  // `store` and `editor` must outlive the API.
  MwApi(const Config& config, ArticleStore* store, Editor* editor);

  void Handle(const Request& req, Response* resp);

 private:
  struct Call;

  struct RvProps;

  void Query(Call& c);
  // prop / titles / revids: query.pages (and badrevids); false (and the
  // error set) on bad input.
  bool QueryPages(Call& c, nlohmann::json* query);
  bool ArticlePage(Call& c, const RevisionPtr& current,
                   const std::vector<uint64_t>* revids, nlohmann::json* page);
  void Edit(Call& c);
  bool CheckEditParams(Call& c) const;
  bool ResolveBase(Call& c, EditRequest* edit);
  // The text to save (text, or appendtext/prependtext around the current
  // revision's) into *text; true and *nochange if it is the current text.
  bool EditText(Call& c, EditRequest* edit, std::string* text, bool* nochange);
  void AnswerEdit(Call& c, const EditRequest& edit, const EditResult& r);
  // Adds prop=revisions to `page`; false (and the error set) on bad input.
  // `revids` (may be null): the revisions asked for by id.
  bool Revisions(Call& c, const RevisionPtr& current,
                 const std::vector<uint64_t>* revids, nlohmann::json* page);
  bool EnumerationRange(Call& c, const std::vector<RevisionMeta>& history,
                        RvRange* range, size_t* limit);
  bool RvBound(Call& c, const char* ts_name, const char* id_name,
               const std::vector<RevisionMeta>& history, bool is_start,
               bool newer, std::optional<RvKey>* key);
  bool AddRevisions(Call& c, const RvProps& props,
                    const std::vector<const RevisionMeta*>& picked,
                    nlohmann::json* revs);

  const std::string title_;    // "Latest_plane_crash"
  const std::string display_;  // "Latest plane crash"
  ArticleStore* const store_;
  Editor* const editor_;
  MwRest rest_;  // /w/rest.php/v1/...
};

}  // namespace wiki

#endif  // WIKI_MW_API_H_
