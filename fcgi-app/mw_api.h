// mw_api: a subset of MediaWiki's Action API at /w/api.php, enough for
// existing clients (mwclient, pywikibot-style scripts) to read and edit the
// article:
//   action=query  meta=siteinfo|userinfo|tokens, prop=info|revisions
//   action=edit   title, text, summary, token, baserevid | basetimestamp
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

  void Query(Call& c);
  void Edit(Call& c);
  bool CheckEditParams(Call& c) const;
  bool ResolveBase(Call& c, EditRequest* edit);
  void AnswerEdit(Call& c, const EditRequest& edit, const EditResult& r);
  // Adds prop=revisions to `page`; false (and the error set) on bad input.
  bool Revisions(Call& c, const RevisionPtr& current, nlohmann::json* page);

  const std::string title_;    // "Latest_plane_crash"
  const std::string display_;  // "Latest plane crash"
  ArticleStore* const store_;
  Editor* const editor_;
  MwRest rest_;  // /w/rest.php/v1/...
};

}  // namespace wiki

#endif  // WIKI_MW_API_H_
