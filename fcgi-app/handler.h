// handler: turns one HTTP request into one response.
//
//   Handle -> routing, query string, method
//     reads:  HandleRead -> ArticleStore (current / past revision, history)
//                        -> Massager (fibonacci, per revision or request)
//                        -> representation (page cache: identity / gzip /
//                           file for nginx) -> response headers + body
//     writes: HandlePut / HandlePost decode the request (content type,
//             form fields) into an EditRequest -> Editor::Submit (edit.h:
//             preconditions, validation, merge, commit) -> RespondToEdit
//             (responses.h: the one outcome -> HTTP mapping)
//     /metrics: HandleMetrics
//
// URL space (nginx forwards /wiki/ and /metrics here):
//   GET|HEAD /wiki/<title>[?action=raw|history|edit][&oldid=N][&format=json]
//   GET|HEAD /wiki/<title>?diff=N|prev|next|cur[&oldid=M]   (diff_view.h)
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
#include <string>

#include "article_store.h"
#include "config.h"
#include "edge_fanout.h"
#include "edit.h"
#include "form_parser.h"
#include "front_cache.h"
#include "http.h"
#include "massage.h"
#include "mw_api.h"
#include "page_cache.h"
#include "responses.h"

namespace wiki {

class Handler {
 public:
  // `store` must outlive the handler.
  Handler(const Config& config, ArticleStore* store);

  void Handle(const Request& req, Response* resp);

  // The edit workflow, e.g. to set its on_committed hook before serving.
  Editor& editor() { return editor_; }

 private:
  void HandleRead(const Request& req, const Form& query, Response* resp);
  void ReadArticle(const Request& req, const RevisionPtr& rev,
                   uint64_t current_id, bool raw, Response* resp);
  void HandlePut(const Request& req, Response* resp);
  void HandlePost(const Request& req, Response* resp);
  // A form POST with preview=1: the page rendered from the submitted text.
  void Preview(const Request& req, const EditRequest& edit, Response* resp);
  void HandleMetrics(const Request& req, Response* resp);
  // Answers an edit (or its refusal before Submit) through RespondToEdit.
  void AnswerEdit(const Request& req, const EditRequest& edit,
                  const EditResult& result, Response* resp);

  const Config config_;
  ArticleStore* const store_;
  Massager massager_;
  PageCache pages_;
  FrontCache front_;                // after pages_ and massager_, which it uses
  EdgeFanout edges_;                // refreshed after front_, before the ack
  Editor editor_;                   // its on_committed publishes to front_
  MwApi api_;  // /w/api.php and /w/rest.php; writes through editor_
  const std::string article_path_;  // "/wiki/<title>"
};

}  // namespace wiki

#endif  // WIKI_HANDLER_H_
