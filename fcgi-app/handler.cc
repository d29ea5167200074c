#include "handler.h"

#include <cstdio>

#include "coding.h"
#include "diff_view.h"
#include "fault.h"
#include "gzip.h"
#include "history_query.h"
#include "metrics.h"
#include "render.h"
#include "representation.h"

namespace wiki {

namespace {

std::string Author(const Request& req) {
  return std::string(!req.remote_user.empty() ? req.remote_user
                                              : req.remote_addr);
}

bool IsRead(const Request& req) {
  return req.method == "GET" || req.method == "HEAD";
}

}  // namespace

Handler::Handler(const Config& config, ArticleStore* store)
    : config_(config),
      store_(store),
      massager_(config.massage, config.fib_n),
      pages_(config.title,
             config.accel_redirect_prefix.empty()
                 ? ""
                 : config.CacheDir() + "/cache",
             config.accel_min_bytes),
      front_(config, store, &pages_, &massager_),
      edges_(config, store),
      editor_(config, store, &massager_),
      api_(config, store, &editor_),
      article_path_("/wiki/" + config.title) {
  // Before the acknowledgment: a read that starts after it must find the
  // new revision in nginx's front cache, and then at every edge cache.
  editor_.set_on_committed([this](const RevisionMeta& committed) {
    front_.AfterCommit(committed);
    edges_.AfterPublish(committed.id);
  });
  front_.Start();
  edges_.Start();
}

void Handler::Handle(const Request& req, Response* resp) {
  if (req.path == "/metrics") return HandleMetrics(req, resp);
  if (IsMediaWikiPath(req.path)) {
    // The API's writes obey the cross-site rule of form posts: its
    // anonymous edit token is public, so it cannot stand in for one.
    if (!IsRead(req)) {
      Status same_origin =
          CheckSameOrigin(req.origin, req.sec_fetch_site, req.host);
      if (!same_origin.ok()) return Error(resp, 403, same_origin.message());
    }
    return api_.Handle(req, resp);
  }
  if (req.path != article_path_) {
    if (req.path.rfind("/wiki/", 0) == 0) {
      return Error(resp, 404, "There is no article with that title.");
    }
    return Error(resp, 404, "Not found.");
  }
  const bool read = IsRead(req);
  if (!read && req.method != "PUT" && req.method != "POST") {
    Error(resp, 405, "Method not allowed; use GET, HEAD, POST or PUT.");
    resp->AddHeader("Allow", "GET, HEAD, POST, PUT");
    return;
  }
  // A malformed query string is refused for every method, so no write can
  // succeed on a URL that is not what the client meant.
  auto query = ParseUrlEncoded(req.query);
  if (!query.ok()) {
    Status bad = Status::InvalidArgument("Bad query string: " +
                                         query.status().message());
    if (read) return Error(resp, 400, bad.message());
    EditRequest edit;
    edit.kind = req.method == "PUT" ? EditKind::kPut : EditKind::kForm;
    return AnswerEdit(req, edit, RejectedEdit(std::move(bad)), resp);
  }
  if (read) return HandleRead(req, *query, resp);
  if (req.method == "PUT") return HandlePut(req, resp);
  HandlePost(req, resp);
}

void Handler::HandleRead(const Request& req, const Form& query,
                         Response* resp) {
  const FormField* action_f = query.Find("action");
  const FormField* oldid_f = query.Find("oldid");
  const std::string action = action_f ? action_f->value : "view";
  if (action != "view" && action != "raw" && action != "history" &&
      action != "edit") {
    return Error(resp, 400, "Unknown action; use raw, history or edit.");
  }
  uint64_t oldid = 0;
  if (oldid_f != nullptr && !ParseRevisionId(oldid_f->value, &oldid)) {
    return Error(resp, 400, "oldid must be a revision number.");
  }
  auto current = store_->Current();
  if (!current.ok()) {
    std::fprintf(stderr, "read: %s\n", current.status().ToString().c_str());
    return Error(resp, 500, "The article could not be read.");
  }
  const uint64_t current_id = (*current)->meta.id;
  if (action == "view" && query.Find("diff") != nullptr) {
    return ServeDiff(store_, config_.title, req, query, *current, resp);
  }
  if (action == "history") {
    auto paging = ParseHistoryQuery(query);
    if (!paging.ok()) return Error(resp, 400, paging.status().message());
    auto history = store_->History(paging->offset, paging->limit);
    if (!history.ok())
      return Error(resp, 500, "The history could not be read.");
    const FormField* format = query.Find("format");
    if (format != nullptr && format->value == "json") {
      resp->AddHeader("Content-Type", "application/json");
      resp->AddHeader("Cache-Control", "no-cache");
      resp->AddHeader("X-Content-Type-Options", "nosniff");
      resp->body = RenderHistoryJson(config_.title, *history);
    } else {
      Html(resp, 200,
           RenderHistoryHtml(config_.title, *history, paging->limit));
    }
  } else if (action == "edit") {
    Html(resp, 200,
         RenderEditPage(config_.title, current_id, (*current)->text, ""));
  } else if (oldid_f != nullptr && oldid == 0) {
    return Error(resp, 404, "There is no revision 0.");
  } else if (oldid != 0 && oldid != current_id) {
    auto old = store_->Get(oldid);
    if (!old.ok()) {
      if (old.status().code() == Status::Code::kNotFound) {
        return Error(resp, 404,
                     "There is no revision " + std::to_string(oldid) + ".");
      }
      return Error(resp, 500, "The revision could not be read.");
    }
    return ReadArticle(req, *old, current_id, action == "raw", resp);
  } else {
    return ReadArticle(req, *current, current_id, action == "raw", resp);
  }
  resp->omit_body = req.method == "HEAD";
}

void Handler::ReadArticle(const Request& req, const RevisionPtr& rev,
                          uint64_t current_id, bool raw, Response* resp) {
  // The data massaging step runs for every article read; in per-revision
  // mode it is a cache lookup after the first.
  const std::optional<uint64_t> fib =
      massager_.ForRead(rev->meta, req.deadline_ms);
  if (!fib) return Shed(resp);
  const Representation rep =
      ChooseRepresentation(&pages_, rev, current_id, raw, req.accept_encoding);
  resp->status = 200;
  resp->AddHeader("Content-Type", "text/html; charset=utf-8");
  resp->AddHeader("ETag", rep.etag);
  resp->AddHeader("X-Revision", std::to_string(rev->meta.id));
  resp->AddHeader("Last-Modified", FormatHttpDate(rev->meta.time_ms));
  resp->AddHeader("X-Fibonacci", std::to_string(*fib));
  // Revalidate every time: a new revision can land any second, and the
  // ETag makes revalidation a cheap 304.
  resp->AddHeader("Cache-Control", "no-cache");
  resp->AddHeader("Vary", "Accept-Encoding");
  if (rep.coding != Coding::kIdentity)
    resp->AddHeader("Content-Encoding", InfoOf(rep.coding).content_encoding);
  SecurityHeaders(resp);
  if (!req.if_none_match.empty() &&
      IfNoneMatchMatches(req.if_none_match, rep.etag)) {
    resp->status = 304;
    resp->omit_body = true;
    return;
  }
  resp->omit_body = req.method == "HEAD";
  AttachBody(&pages_, rep, current_id, config_.accel_redirect_prefix,
             config_.accel_min_bytes, resp);
}

void Handler::AnswerEdit(const Request& req, const EditRequest& edit,
                         const EditResult& result, Response* resp) {
  RespondToEdit(edit, result,
                EditAnswer{config_.title, AcceptsJson(req.accept)}, resp);
}

void Handler::HandlePut(const Request& req, Response* resp) {
  EditRequest edit;
  edit.kind = EditKind::kPut;
  edit.text = req.body;
  edit.if_match = req.if_match;
  edit.author = Author(req);
  edit.cancel = req.cancel;
  FaultPoint(kFaultEditReceived);
  // The first checkpoint: the body has been read, nothing checked yet.
  if (req.cancel.ClientGone()) {
    return AnswerEdit(req, edit, AbandonedEdit("its checks"), resp);
  }
  if (req.body_too_large || req.body.size() > config_.max_article_bytes) {
    return AnswerEdit(
        req, edit,
        RejectedEdit(Status::TooLarge(
            "The article is larger than " +
            std::to_string(config_.max_article_bytes) + " bytes.")),
        resp);
  }
  // The body is stored byte for byte as UTF-8 HTML: a client must say so
  // (no Content-Type is not a promise), and any other charset is refused.
  auto charset = ContentTypeCharset(req.content_type);
  if (!EqualsIgnoreCase(MediaType(req.content_type), "text/html") ||
      !charset.ok() || (!charset->empty() && *charset != "utf-8")) {
    return AnswerEdit(req, edit,
                      RejectedEdit(Status::Unsupported(
                          "PUT takes the article as Content-Type: text/html; "
                          "charset=utf-8.")),
                      resp);
  }
  const EditResult result = editor_.Submit(edit);
  // A stale tag may come from a front left behind (a publish that failed):
  // bring it up to date at once rather than at the next backstop tick.
  if (result.outcome == EditResult::Outcome::kStale) front_.Refresh();
  AnswerEdit(req, edit, result, resp);
}

void Handler::HandlePost(const Request& req, Response* resp) {
  EditRequest edit;
  edit.kind = EditKind::kForm;
  edit.author = Author(req);
  auto refuse = [&](Status why) {
    AnswerEdit(req, edit, RejectedEdit(std::move(why)), resp);
  };
  // Before the body is decoded: a cross-site post costs no parsing.
  Status same_origin =
      CheckSameOrigin(req.origin, req.sec_fetch_site, req.host);
  if (!same_origin.ok()) return refuse(std::move(same_origin));
  edit.cancel = req.cancel;
  FaultPoint(kFaultEditReceived);
  // The first checkpoint: the body has been read, not yet decoded.
  if (req.cancel.ClientGone()) {
    return AnswerEdit(req, edit, AbandonedEdit("decoding the form"), resp);
  }
  if (req.body_too_large) {
    return refuse(Status::TooLarge("The request is larger than " +
                                   std::to_string(config_.max_body_bytes()) +
                                   " bytes."));
  }
  auto form = ParseFormBody(req.content_type, req.body);
  if (!form.ok()) return refuse(form.status());
  const FormField* text_f = form->Find("text");
  if (text_f == nullptr) text_f = form->Find("article");
  if (text_f == nullptr) {
    return refuse(Status::InvalidArgument(
        "Missing field text (or a file part named article)."));
  }
  // Browsers submit a textarea's line breaks as CRLF (HTML's form
  // submission rules); the article keeps the LF the editor saw. A file
  // part (`article`) is stored byte for byte.
  const std::string text = text_f == form->Find("text")
                               ? TextareaToText(text_f->value)
                               : text_f->value;
  edit.text = text;
  const FormField* base_f = form->Find("base_revision");
  if (base_f != nullptr) {
    uint64_t base_id = 0;
    if (!ParseRevisionId(base_f->value, &base_id)) {
      return refuse(
          Status::InvalidArgument("base_revision must be a revision number."));
    }
    edit.base_revision = base_id;
  }
  const FormField* summary_f = form->Find("summary");
  if (summary_f != nullptr) edit.summary = summary_f->value;
  const FormField* preview_f = form->Find("preview");
  if (preview_f != nullptr && preview_f->value == "1") {
    return Preview(req, edit, resp);
  }
  AnswerEdit(req, edit, editor_.Submit(edit), resp);
}

void Handler::Preview(const Request& req, const EditRequest& edit,
                      Response* resp) {
  // The checks a save would make, with its messages; nothing is saved.
  std::optional<EditResult> refused = editor_.Check(edit);
  if (refused) return AnswerEdit(req, edit, *refused, resp);
  Html(resp, 200,
       RenderPreviewPage(config_.title, edit.base_revision.value_or(0),
                         edit.text, edit.summary));
}

void Handler::HandleMetrics(const Request& req, Response* resp) {
  // nginx restricts /metrics to loopback too; this is the second fence.
  const bool loopback =
      req.remote_addr.rfind("127.", 0) == 0 || req.remote_addr == "::1";
  if (!loopback) return Error(resp, 404, "Not found.");
  if (!IsRead(req)) {
    Error(resp, 405, "Method not allowed; use GET.");
    resp->AddHeader("Allow", "GET, HEAD");
    return;
  }
  auto current = store_->Current();
  resp->AddHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
  resp->AddHeader("Cache-Control", "no-store");
  resp->body = Metrics::Global().Render(current.ok() ? (*current)->meta.id : 0);
  resp->omit_body = req.method == "HEAD";
}

}  // namespace wiki
