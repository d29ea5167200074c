#include "responses.h"

#include "metrics.h"
#include "render.h"

namespace wiki {

namespace {

// The same policy as nginx/wiki-front-headers.conf (pages nginx serves
// from the front cache): keep the two equal.
constexpr const char kCsp[] =
    "default-src 'none'; img-src https: 'self'; style-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'self'";

using Outcome = EditResult::Outcome;

EditOutcome MetricFor(Outcome o) {
  switch (o) {
    case Outcome::kSaved:
      return EditOutcome::kClean;
    case Outcome::kMerged:
      return EditOutcome::kMerged;
    case Outcome::kConflict:
      return EditOutcome::kConflict;
    case Outcome::kStale:
      return EditOutcome::kStale;
    case Outcome::kPreconditionRequired:
    case Outcome::kRejected:
      return EditOutcome::kRejected;
    case Outcome::kFailed:
      return EditOutcome::kFailed;
    case Outcome::kAbandoned:
      return EditOutcome::kAbandoned;
  }
  return EditOutcome::kFailed;
}

void Saved(const EditRequest& req, const EditResult& r, const EditAnswer& how,
           Response* resp) {
  const std::string id = std::to_string(r.committed.id);
  const bool merged = r.outcome == Outcome::kMerged;
  if (req.kind == EditKind::kPut) {
    resp->status = 200;
  } else {
    // A form goes back to the reader page (Post/Redirect/Get).
    resp->status = 303;
    resp->AddHeader("Location", "/wiki/" + std::string(how.title));
  }
  resp->AddHeader("Content-Type", "text/plain; charset=utf-8");
  resp->AddHeader("ETag", r.committed.RawETag());
  resp->AddHeader("X-Revision", id);
  if (merged) resp->AddHeader("X-Merged", "1");
  resp->body = "Saved revision " + id +
               (merged ? " (merged with concurrent edits)" : "") + ".\n";
}

void Conflict(const EditRequest& req, const EditResult& r,
              const EditAnswer& how, Response* resp) {
  const MergeResult* draft = r.draft ? &*r.draft : nullptr;
  if (how.json) {
    resp->status = 409;
    resp->AddHeader("Content-Type", "application/json");
    resp->AddHeader("Cache-Control", "no-store");
    resp->AddHeader("X-Content-Type-Options", "nosniff");
    resp->body = RenderConflictJson(*r.current, req.text, draft);
  } else {
    Html(resp, 409, RenderConflictPage(how.title, *r.current, req.text, draft));
  }
  resp->AddHeader("X-Revision", std::to_string(r.current->meta.id));
}

}  // namespace

void Error(Response* r, int status, const std::string& message) {
  r->status = status;
  r->headers.clear();
  r->shared_body.reset();
  r->AddHeader("Content-Type", "text/plain; charset=utf-8");
  r->AddHeader("X-Content-Type-Options", "nosniff");
  r->AddHeader("Cache-Control", "no-store");
  r->body = message + "\n";
}

void SecurityHeaders(Response* r) {
  r->AddHeader("Content-Security-Policy", kCsp);
  r->AddHeader("X-Content-Type-Options", "nosniff");
}

void Html(Response* r, int status, std::string body) {
  r->status = status;
  r->AddHeader("Content-Type", "text/html; charset=utf-8");
  r->AddHeader("Cache-Control", "no-store");
  SecurityHeaders(r);
  r->body = std::move(body);
}

void Shed(Response* r) {
  Metrics::Global().CountShed();
  Error(r, 503, "The server is overloaded; retry in a second.");
  r->AddHeader("Retry-After", "1");
  // Tells the app's deliberate 503 from nginx's (a dead or hung worker):
  // tests and logs tolerate only this one.
  r->AddHeader(kShedHeader, "1");
}

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
    case Status::Code::kForbidden:
      return 403;
    case Status::Code::kNoSpace:
      return 507;
    case Status::Code::kIOError:
    case Status::Code::kCorruption:
      return 500;
    case Status::Code::kCancelled:
      return kClientClosedRequest;
  }
  return 500;
}

void RespondToEdit(const EditRequest& req, const EditResult& r,
                   const EditAnswer& how, Response* resp) {
  Metrics::Global().CountEdit(MetricFor(r.outcome));
  switch (r.outcome) {
    case Outcome::kSaved:
    case Outcome::kMerged:
      return Saved(req, r, how, resp);
    case Outcome::kConflict:
      return Conflict(req, r, how, resp);
    case Outcome::kStale:
      Error(resp, 412,
            "The article changed since that ETag; download ?action=raw again "
            "and reapply your change.");
      resp->AddHeader("ETag", r.current->meta.RawETag());
      return;
    case Outcome::kPreconditionRequired:
      return Error(resp, 428, r.status.message());
    case Outcome::kRejected:
      if (r.article_refused && req.kind == EditKind::kForm && !how.json &&
          r.status.code() == Status::Code::kUnprocessable) {
        // A browser editor gets the form back with their text, so nothing
        // typed is lost.
        return Html(
            resp, 422,
            RenderEditPage(how.title, req.base_revision.value_or(0), req.text,
                           "Not saved: " + r.status.message() + "."));
      }
      return Error(resp, HttpStatusFor(r.status), r.status.message());
    case Outcome::kFailed:
      return Error(resp, HttpStatusFor(r.status), r.status.message());
    case Outcome::kAbandoned:
      // Nobody reads this: the FastCGI layer does not send it (nginx has
      // closed the connection and logs its own 499).
      return Error(resp, kClientClosedRequest,
                   "The client closed the connection; nothing was saved.");
  }
}

}  // namespace wiki
