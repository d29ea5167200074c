// mw_rest: MediaWiki's REST API subset at /w/rest.php/v1/ for the article:
//   GET page/<title>            id, key, title, latest {id, timestamp},
//                               content_model, license, source
//   GET page/<title>/bare       the same without source, with html_url
//   GET page/<title>/with_html  the same with html (the article is HTML)
//   GET page/<title>/html       the article, text/html
//   GET page/<title>/history    20 revisions a page (?older_than=<id>),
//                               with latest / older links
//   GET revision/<id>[/bare]    one revision (with / without source)
//   PUT page/<title>            JSON {source, comment, latest: {id}}:
//                               200 + the page object, 409 on conflict
// Errors in MediaWiki's REST shape: {"errorKey", "messageTranslations":
// {"en"}, "httpCode", "httpReason"} with the HTTP status.
//
// A PUT is a form-kind edit through Editor::Submit with latest.id as its
// base revision: a stale base is merged three-way like a form post, and
// only overlapping changes are a 409.
//
// Thread-safety: as MwApi (thread-safe, never throws on bad input).
#ifndef WIKI_MW_REST_H_
#define WIKI_MW_REST_H_

#include <string>

#include "article_store.h"
#include "config.h"
#include "edit.h"
#include "http.h"

namespace wiki {

inline constexpr char kMwRestPrefix[] = "/w/rest.php/v1/";

class MwRest {
 public:
  // `store` and `editor` must outlive this.
  MwRest(const Config& config, ArticleStore* store, Editor* editor);

  // `req.path` starts with kMwRestPrefix.
  void Handle(const Request& req, Response* resp);

 private:
  enum Shape { kSource, kBare, kWithHtml, kHtml };
  void Page(const Request& req, Shape shape, Response* resp);
  void SendPage(const Revision& rev, Shape shape, Response* resp);
  void History(const Request& req, Response* resp);
  void OneRevision(const Request& req, std::string_view id, bool with_source,
                   Response* resp);
  void Put(const Request& req, Response* resp);

  const std::string title_;
  const Config config_;
  ArticleStore* const store_;
  Editor* const editor_;
};

}  // namespace wiki

#endif  // WIKI_MW_REST_H_
