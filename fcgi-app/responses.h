// responses: the shapes of the server's answers that more than one request
// kind shares: plain-text refusals, HTML pages with the security headers,
// the 503 of load shedding, and the one mapping of edit outcomes to HTTP
// (PUT and form posts alike).
//
// Pure functions of their arguments apart from the metrics counters they
// bump (Shed, RespondToEdit); thread-safe.
#ifndef WIKI_RESPONSES_H_
#define WIKI_RESPONSES_H_

#include <string>
#include <string_view>

#include "edit.h"
#include "http.h"
#include "status.h"

namespace wiki {

// Replaces `resp` with `status` and a short plain-text `message`.
void Error(Response* resp, int status, const std::string& message);

// An HTML document that may carry article content (CSP, nosniff).
void Html(Response* resp, int status, std::string body);

// The headers of every response carrying article HTML: no script may run
// in it, and nothing may be sniffed into another type.
void SecurityHeaders(Response* resp);

// Fills `resp` with 503 + Retry-After for a request shed under overload.
// Fills `resp` with 503 + Retry-After + `X-Wiki-Shed: 1` for a request shed
// under overload. nginx's own 503 (no worker reachable) lacks the marker.
inline constexpr char kShedHeader[] = "X-Wiki-Shed";
void Shed(Response* resp);

// nginx's code for a request whose client closed the connection first: the
// status of an abandoned edit, which the FastCGI layer never sends.
inline constexpr int kClientClosedRequest = 499;

// Maps a store/validation Status to the HTTP status it should produce.
int HttpStatusFor(const Status& s);

// How an edit's answer is shaped beyond its outcome.
struct EditAnswer {
  std::string_view title;  // the article (Location, edit and conflict pages)
  bool json = false;       // the client asked for JSON (Accept)
};

// The one mapping of an edit's outcome to its HTTP answer, and the
// wiki_edits_total count of it: 200 (PUT) / 303 (form) with the new
// revision's ETag and X-Revision, 409 with the conflict page or JSON, 412
// with the current ETag, 428, the 4xx of a rejection (a form whose article
// was refused gets the edit page back with its text, 422), 507 or 500, and
// kClientClosedRequest for an edit abandoned because its client hung up.
void RespondToEdit(const EditRequest& req, const EditResult& result,
                   const EditAnswer& how, Response* resp);

}  // namespace wiki

#endif  // WIKI_RESPONSES_H_
