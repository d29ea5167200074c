// handler: turns one HTTP request into one response.
//
//   request -> Handler::Handle -> ArticleStore (read / commit)
//                              -> Massager (fibonacci, per revision or request)
//                              -> merge / markup_policy (edits)
//                              -> render -> response
//
// URL space (nginx forwards /wiki/ and /metrics here):
//   GET|HEAD /wiki/<title>[?action=raw|history|edit][&oldid=N][&format=json]
//   PUT      /wiki/<title>   body = article HTML, If-Match required
//   POST     /wiki/<title>   HTML form: text | article (file), base_revision,
//                            summary
//   GET      /metrics        Prometheus text, loopback clients only
//
// Every failure becomes a 4xx/5xx Response with a short message; nothing
// here throws on bad input. Thread-safety: one Handler per process, shared
// by its threads; Handle is thread-safe.
#ifndef WIKI_HANDLER_H_
#define WIKI_HANDLER_H_

#include <memory>

#include "article_store.h"
#include "config.h"
#include "form_parser.h"
#include "front_cache.h"
#include "http.h"
#include "massage.h"
#include "page_cache.h"

namespace wiki {

class Handler {
 public:
  // `store` must outlive the handler.
  Handler(const Config& config, ArticleStore* store);

  void Handle(const Request& req, Response* resp);

 private:
  void HandleRead(const Request& req, const Form& query, Response* resp);
  void HandlePut(const Request& req, Response* resp);
  void HandlePost(const Request& req, Response* resp);
  void HandleMetrics(const Request& req, Response* resp);

  const Config config_;
  ArticleStore* const store_;
  Massager massager_;
  PageCache pages_;
  FrontCache front_;                // after pages_ and massager_, which it uses
  const std::string article_path_;  // "/wiki/<title>"
};

// Fills `resp` with 503 + Retry-After + `X-Wiki-Shed: 1` for a request shed
// under overload. nginx's own 503 (no worker reachable) lacks the marker.
inline constexpr char kShedHeader[] = "X-Wiki-Shed";
void Shed(Response* resp);

// Maps a store/validation Status to the HTTP status it should produce.
int HttpStatusFor(const Status& s);

}  // namespace wiki

#endif  // WIKI_HANDLER_H_
