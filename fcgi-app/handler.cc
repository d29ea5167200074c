#include "handler.h"

#include <cstdio>
#include <cstdlib>

#include "form_parser.h"
#include "gzip.h"
#include "markup_policy.h"
#include "merge.h"
#include "metrics.h"
#include "render.h"

namespace wiki {

namespace {

constexpr size_t kMaxSummaryBytes = 500;

// Article HTML is shown to everyone: no script may run in any page that
// carries it, and nothing may be sniffed into another type.
constexpr const char kCsp[] =
    "default-src 'none'; img-src https: 'self'; style-src 'unsafe-inline'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'self'";

void SecurityHeaders(Response* r) {
  r->AddHeader("Content-Security-Policy", kCsp);
  r->AddHeader("X-Content-Type-Options", "nosniff");
}

void Error(Response* r, int status, const std::string& message) {
  r->status = status;
  r->headers.clear();
  r->shared_body.reset();
  r->AddHeader("Content-Type", "text/plain; charset=utf-8");
  r->AddHeader("X-Content-Type-Options", "nosniff");
  r->AddHeader("Cache-Control", "no-store");
  r->body = message + "\n";
}

void Html(Response* r, int status, std::string body) {
  r->status = status;
  r->AddHeader("Content-Type", "text/html; charset=utf-8");
  r->AddHeader("Cache-Control", "no-store");
  SecurityHeaders(r);
  r->body = std::move(body);
}

}  // namespace

void Shed(Response* r) {
  Metrics::Global().CountShed();
  Error(r, 503, "The server is overloaded; retry in a second.");
  r->AddHeader("Retry-After", "1");
  // Tells the app's deliberate 503 from nginx's (a dead or hung worker):
  // tests and logs tolerate only this one.
  r->AddHeader(kShedHeader, "1");
}

namespace {

bool ParseId(const std::string& s, uint64_t* out) {
  if (s.empty() || s.size() > 19 ||
      s.find_first_not_of("0123456789") != std::string::npos) {
    return false;
  }
  *out = std::strtoull(s.c_str(), nullptr, 10);
  return true;
}

std::string Author(const Request& req) {
  return std::string(!req.remote_user.empty() ? req.remote_user
                                              : req.remote_addr);
}

}  // namespace

int HttpStatusFor(const Status& s) {
  switch (s.code()) {
    case Status::Code::kOk:
      return 200;
    case Status::Code::kNotFound:
      return 404;
    case Status::Code::kInvalidArgument:
      return 400;
    case Status::Code::kUnprocessable:
      return 422;
    case Status::Code::kPreconditionFailed:
      return 412;
    case Status::Code::kTooLarge:
      return 413;
    case Status::Code::kUnsupported:
      return 415;
    case Status::Code::kNoSpace:
      return 507;
    case Status::Code::kIOError:
    case Status::Code::kCorruption:
      return 500;
  }
  return 500;
}

Handler::Handler(const Config& config, ArticleStore* store)
    : config_(config),
      store_(store),
      massager_(config.massage, config.fib_n, config.shed_after_ms),
      pages_(config.title, config.accel_redirect_prefix.empty()
                               ? ""
                               : config.data_dir + "/cache"),
      front_(config, store, &pages_, &massager_),
      article_path_("/wiki/" + config.title) {
  front_.Start();
}

void Handler::Handle(const Request& req, Response* resp) {
  if (req.path == "/metrics") return HandleMetrics(req, resp);
  if (req.path != article_path_) {
    if (req.path.rfind("/wiki/", 0) == 0) {
      return Error(resp, 404, "There is no article with that title.");
    }
    return Error(resp, 404, "Not found.");
  }
  const bool read = req.method == "GET" || req.method == "HEAD";
  if (!read && req.method != "PUT" && req.method != "POST") {
    Error(resp, 405, "Method not allowed; use GET, HEAD, POST or PUT.");
    resp->AddHeader("Allow", "GET, HEAD, POST, PUT");
    return;
  }
  // A malformed query string is refused for every method, so no write can
  // succeed on a URL that is not what the client meant.
  auto query = ParseUrlEncoded(req.query);
  if (!query.ok()) {
    if (!read) Metrics::Global().CountEdit(EditOutcome::kRejected);
    return Error(resp, 400, "Bad query string: " + query.status().message());
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
  if (oldid_f != nullptr && !ParseId(oldid_f->value, &oldid)) {
    return Error(resp, 400, "oldid must be a revision number.");
  }

  auto current = store_->Current();
  if (!current.ok()) {
    std::fprintf(stderr, "read: %s\n", current.status().ToString().c_str());
    return Error(resp, 500, "The article could not be read.");
  }
  const uint64_t current_id = (*current)->meta.id;

  if (action == "history") {
    auto history = store_->History();
    if (!history.ok())
      return Error(resp, 500, "The history could not be read.");
    const FormField* format = query.Find("format");
    if (format != nullptr && format->value == "json") {
      resp->AddHeader("Content-Type", "application/json");
      resp->AddHeader("Cache-Control", "no-cache");
      resp->AddHeader("X-Content-Type-Options", "nosniff");
      resp->body = RenderHistoryJson(config_.title, *history);
    } else {
      Html(resp, 200, RenderHistoryHtml(config_.title, *history));
    }
    resp->omit_body = req.method == "HEAD";
    return;
  }
  if (action == "edit") {
    Html(resp, 200,
         RenderEditPage(config_.title, current_id, (*current)->text, ""));
    resp->omit_body = req.method == "HEAD";
    return;
  }

  RevisionPtr rev = *current;
  if (oldid != 0 && oldid != current_id) {
    auto old = store_->Get(oldid);
    if (!old.ok()) {
      if (old.status().code() == Status::Code::kNotFound) {
        return Error(resp, 404,
                     "There is no revision " + std::to_string(oldid) + ".");
      }
      return Error(resp, 500, "The revision could not be read.");
    }
    rev = *old;
  } else if (oldid_f != nullptr && oldid == 0) {
    return Error(resp, 404, "There is no revision 0.");
  }

  // The data massaging step runs for every article read; in per-revision
  // mode it is a cache lookup after the first.
  const std::optional<uint64_t> fib =
      massager_.ForRead(rev->meta, req.queued_since_ms);
  if (!fib) return Shed(resp);
  const bool raw = action == "raw";
  const bool current_rev = rev->meta.id == current_id;
  const bool accepts_gzip = AcceptsGzip(req.accept_encoding);
  // The representation: identity, or the gzipped bytes made once per
  // revision (current revision only; old ones are read rarely). Each has
  // its own strong ETag.
  std::shared_ptr<const PageCache::Page> page;
  const PageCache::Body* body = nullptr;
  if (current_rev && (!raw || accepts_gzip)) {
    page = pages_.Current(rev);  // keeps the bodies alive for this request
    if (accepts_gzip) {
      const PageCache::Body& gz = raw ? page->raw_gz : page->html_gz;
      if (gz.bytes) body = &gz;
    }
    if (body == nullptr && !raw) body = &page->html;
  }
  const bool gzipped = body != nullptr && body != &page->html;
  std::string etag = raw ? rev->meta.RawETag() : rev->meta.PageETag();
  if (gzipped) etag.insert(etag.size() - 1, "-gz");

  resp->status = 200;
  resp->AddHeader("Content-Type", "text/html; charset=utf-8");
  resp->AddHeader("ETag", etag);
  resp->AddHeader("X-Revision", std::to_string(rev->meta.id));
  resp->AddHeader("Last-Modified", FormatHttpDate(rev->meta.time_ms));
  resp->AddHeader("X-Fibonacci", std::to_string(*fib));
  // Revalidate every time: a new revision can land any second, and the
  // ETag makes revalidation a cheap 304.
  resp->AddHeader("Cache-Control", "no-cache");
  resp->AddHeader("Vary", "Accept-Encoding");
  if (gzipped) resp->AddHeader("Content-Encoding", "gzip");
  SecurityHeaders(resp);
  if (!req.if_none_match.empty() &&
      IfNoneMatchMatches(req.if_none_match, etag)) {
    resp->status = 304;
    resp->omit_body = true;
    return;
  }
  resp->omit_body = req.method == "HEAD";
  const std::string& accel = config_.accel_redirect_prefix;
  if (body == nullptr && raw) {
    if (!accel.empty()) {
      // Revision files are immutable: nginx can send this one directly.
      resp->AddHeader(
          "X-Accel-Redirect",
          accel + "revisions/" + std::to_string(rev->meta.id) + ".html");
      return;
    }
    // Share the revision's bytes instead of copying them.
    resp->shared_body = std::shared_ptr<const std::string>(rev, &rev->text);
    return;
  }
  if (body == nullptr) {
    resp->shared_body = pages_.Old(*rev, current_id);
    return;
  }
  if (!accel.empty() && !body->file_name.empty()) {
    resp->AddHeader("X-Accel-Redirect", accel + "cache/" + body->file_name);
    return;
  }
  resp->shared_body = body->bytes;
}

void Handler::HandlePut(const Request& req, Response* resp) {
  Metrics& metrics = Metrics::Global();
  auto reject = [&](int status, const std::string& msg) {
    metrics.CountEdit(EditOutcome::kRejected);
    Error(resp, status, msg);
  };
  if (req.body_too_large || req.body.size() > config_.max_article_bytes) {
    return reject(413, "The article is larger than " +
                           std::to_string(config_.max_article_bytes) +
                           " bytes.");
  }
  std::string_view type = MediaType(req.content_type);
  if (!type.empty() && !EqualsIgnoreCase(type, "text/html")) {
    return reject(415, "PUT takes the article as Content-Type: text/html.");
  }
  if (req.if_match.empty()) {
    return reject(428, "PUT needs If-Match with the ETag of ?action=raw.");
  }
  Status valid = CheckArticle(req.body);
  if (!valid.ok()) return reject(HttpStatusFor(valid), valid.message());

  // Revisions only move forward: a tag that does not match now never will,
  // so a stale edit is refused without waiting for the write lock.
  std::string current_etag;
  auto current = store_->Current();
  if (current.ok() &&
      !IfMatchMatches(req.if_match, (*current)->meta.RawETag())) {
    front_.Refresh();  // the tag may come from a front left behind
    metrics.CountEdit(EditOutcome::kStale);
    Error(resp, 412,
          "The article changed since that ETag; download ?action=raw again and "
          "reapply your change.");
    resp->AddHeader("ETag", (*current)->meta.RawETag());
    return;
  }
  // The massaging depends on nothing the lock protects: keep it outside.
  const uint64_t fib = massager_.ForCommit();
  auto committed = store_->Commit(
      Author(req), "", [&](const Revision& current, ArticleStore::Plan* plan) {
        if (!IfMatchMatches(req.if_match, current.meta.RawETag())) {
          current_etag = current.meta.RawETag();
          return Status::PreconditionFailed("stale");
        }
        plan->text = req.body;
        plan->fib_n = massager_.n();
        plan->fib = fib;
        return Status::OK();
      });
  if (!committed.ok()) {
    const Status& s = committed.status();
    if (s.code() == Status::Code::kPreconditionFailed) {
      metrics.CountEdit(EditOutcome::kStale);
      Error(
          resp, 412,
          "The article changed since that ETag; download ?action=raw again and "
          "reapply your change.");
      resp->AddHeader("ETag", current_etag);
      return;
    }
    metrics.CountEdit(EditOutcome::kFailed);
    std::fprintf(stderr, "put: %s\n", s.ToString().c_str());
    if (s.code() == Status::Code::kNoSpace) {
      return Error(resp, 507,
                   "The server's disk is full; the article is unchanged.");
    }
    return Error(resp, 500,
                 "The edit could not be saved; the article is unchanged.");
  }
  metrics.CountEdit(EditOutcome::kClean);
  front_.AfterCommit(*committed);  // before the acknowledgment
  resp->status = 200;
  resp->AddHeader("Content-Type", "text/plain; charset=utf-8");
  resp->AddHeader("ETag", committed->RawETag());
  resp->AddHeader("X-Revision", std::to_string(committed->id));
  resp->body = "Saved revision " + std::to_string(committed->id) + ".\n";
}

void Handler::HandlePost(const Request& req, Response* resp) {
  Metrics& metrics = Metrics::Global();
  const bool json = AcceptsJson(req.accept);
  auto reject = [&](int status, const std::string& msg) {
    metrics.CountEdit(EditOutcome::kRejected);
    Error(resp, status, msg);
  };
  if (req.body_too_large) {
    return reject(413, "The request is larger than " +
                           std::to_string(config_.max_body_bytes()) +
                           " bytes.");
  }
  auto form = ParseFormBody(req.content_type, req.body);
  if (!form.ok())
    return reject(HttpStatusFor(form.status()), form.status().message());

  const FormField* text_f = form->Find("text");
  if (text_f == nullptr) text_f = form->Find("article");
  if (text_f == nullptr) {
    return reject(400, "Missing field text (or a file part named article).");
  }
  const FormField* base_f = form->Find("base_revision");
  if (base_f == nullptr) {
    return reject(428, "Missing base_revision: say which revision you edited.");
  }
  uint64_t base_id = 0;
  if (!ParseId(base_f->value, &base_id)) {
    return reject(400, "base_revision must be a revision number.");
  }
  const FormField* summary_f = form->Find("summary");
  std::string summary = summary_f ? summary_f->value : "";
  if (summary.size() > kMaxSummaryBytes) {
    return reject(400, "The summary is longer than 500 bytes.");
  }
  if (!IsValidUtf8(summary))
    return reject(422, "The summary is not valid UTF-8.");
  // Browsers submit a textarea's line breaks as CRLF (HTML's form
  // submission rules); the article keeps the LF the editor saw. A file
  // part (`article`) is stored byte for byte.
  const std::string mine = text_f == form->Find("text")
                               ? TextareaToText(text_f->value)
                               : text_f->value;
  if (mine.size() > config_.max_article_bytes) {
    return reject(413, "The article is larger than " +
                           std::to_string(config_.max_article_bytes) +
                           " bytes.");
  }
  Status valid = CheckArticle(mine);
  if (!valid.ok()) {
    metrics.CountEdit(EditOutcome::kRejected);
    if (json || valid.code() != Status::Code::kUnprocessable) {
      return Error(resp, HttpStatusFor(valid), valid.message());
    }
    // A browser editor gets the form back with their text, so nothing
    // typed is lost.
    return Html(resp, 422,
                RenderEditPage(config_.title, base_id, mine,
                               "Not saved: " + valid.message() + "."));
  }
  // Revisions are immutable, so the base can be read before taking the
  // write lock.
  auto base = store_->Get(base_id);
  if (!base.ok()) {
    if (base.status().code() == Status::Code::kNotFound) {
      return reject(404,
                    "There is no revision " + std::to_string(base_id) + ".");
    }
    metrics.CountEdit(EditOutcome::kFailed);
    return Error(resp, 500, "The base revision could not be read.");
  }

  // Everything slow (merge, validation, massaging) is done before taking
  // the write lock, against the revision that is current now; under the
  // lock it is redone only if another edit landed in between.
  struct Prepared {
    uint64_t against = 0;  // current revision id the plan was made for
    std::string text;      // what to store
    bool merged = false;
    bool conflict = false;
    bool have_merge = false;
    MergeResult merge;
    RevisionPtr current;
  };
  auto prepare = [&](const RevisionPtr& current, Prepared* p) -> Status {
    *p = Prepared();
    p->against = current->meta.id;
    p->current = current;
    if (current->meta.id == base_id) {
      p->text = mine;
      return Status::OK();
    }
    if (config_.merge == MergeMode::kOff) {
      p->conflict = true;
      return Status::OK();
    }
    auto m =
        Merge3((*base)->text, mine, current->text,
               config_.merge == MergeMode::kWord ? MergeGranularity::kWord
                                                 : MergeGranularity::kLine);
    if (!m.ok()) return m.status();
    p->merge = std::move(*m);
    p->have_merge = true;
    // A merge of two valid articles can still be invalid (a tag split
    // across regions); that is a conflict, never a save.
    if (p->merge.clean && CheckArticle(p->merge.text).ok() &&
        p->merge.text.size() <= config_.max_article_bytes) {
      p->text = p->merge.text;
      p->merged = true;
    } else {
      p->conflict = true;
    }
    return Status::OK();
  };

  Prepared prep;
  auto current = store_->Current();
  if (!current.ok()) {
    metrics.CountEdit(EditOutcome::kFailed);
    return Error(resp, 500, "The article could not be read.");
  }
  Result<RevisionMeta> committed = prepare(*current, &prep);
  if (committed.ok() && prep.conflict) {
    committed = Status::PreconditionFailed("conflict");
  }
  if (committed.ok()) {
    // The massaging depends on nothing the lock protects.
    const uint64_t fib = massager_.ForCommit();
    committed = store_->Commit(
        Author(req), summary,
        [&](const Revision& cur, ArticleStore::Plan* plan) {
          if (cur.meta.id != prep.against) {
            Status s = prepare(std::make_shared<Revision>(cur), &prep);
            if (!s.ok()) return s;
          }
          if (prep.conflict) return Status::PreconditionFailed("conflict");
          plan->text = prep.text;
          plan->fib = fib;
          plan->fib_n = massager_.n();
          return Status::OK();
        });
  }
  const bool conflict = prep.conflict;
  const bool merged = prep.merged;
  const bool have_merge = prep.have_merge;
  MergeResult& merge_result = prep.merge;
  const RevisionPtr& conflict_current = prep.current;
  if (!committed.ok()) {
    const Status& s = committed.status();
    if (conflict) {
      metrics.CountEdit(EditOutcome::kConflict);
      // A "clean" merge refused by validation has no conflict regions to
      // show; offer the editor's own text instead.
      const MergeResult* draft =
          have_merge && !merge_result.clean ? &merge_result : nullptr;
      if (json) {
        resp->status = 409;
        resp->AddHeader("Content-Type", "application/json");
        resp->AddHeader("Cache-Control", "no-store");
        resp->AddHeader("X-Content-Type-Options", "nosniff");
        resp->body = RenderConflictJson(*conflict_current, mine, draft);
      } else {
        Html(resp, 409,
             RenderConflictPage(config_.title, *conflict_current, mine, draft));
      }
      resp->AddHeader("X-Revision", std::to_string(conflict_current->meta.id));
      return;
    }
    metrics.CountEdit(EditOutcome::kFailed);
    std::fprintf(stderr, "post: %s\n", s.ToString().c_str());
    if (s.code() == Status::Code::kNoSpace) {
      return Error(resp, 507,
                   "The server's disk is full; the article is unchanged.");
    }
    return Error(resp, 500,
                 "The edit could not be saved; the article is unchanged.");
  }
  metrics.CountEdit(merged ? EditOutcome::kMerged : EditOutcome::kClean);
  front_.AfterCommit(*committed);  // before the acknowledgment
  resp->status = 303;
  resp->AddHeader("Location", article_path_);
  resp->AddHeader("X-Revision", std::to_string(committed->id));
  resp->AddHeader("ETag", committed->RawETag());
  if (merged) resp->AddHeader("X-Merged", "1");
  resp->AddHeader("Content-Type", "text/plain; charset=utf-8");
  resp->body = "Saved revision " + std::to_string(committed->id) +
               (merged ? " (merged with concurrent edits)" : "") + ".\n";
}

void Handler::HandleMetrics(const Request& req, Response* resp) {
  // nginx restricts /metrics to loopback too; this is the second fence.
  const bool loopback =
      req.remote_addr.rfind("127.", 0) == 0 || req.remote_addr == "::1";
  if (!loopback) return Error(resp, 404, "Not found.");
  if (req.method != "GET" && req.method != "HEAD") {
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
