// http: the request and response as the handler sees them.
//
// A Request is built from FastCGI parameters (fcgi_server.cc) and holds
// views into them, so it must not outlive the FastCGI request it came
// from. A Response is filled by the handler and serialised by the FastCGI
// layer as a CGI response ("Status: ..." plus headers, then the body).
//
// Plain values; no thread-safety concerns beyond those of the contents.
#ifndef WIKI_HTTP_H_
#define WIKI_HTTP_H_

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cancel.h"
#include "status.h"

namespace wiki {

struct Request {
  std::string_view method;        // REQUEST_METHOD
  std::string_view path;          // DOCUMENT_URI (decoded, normalised by nginx)
  std::string_view query;         // QUERY_STRING (still percent-encoded)
  std::string_view content_type;  // CONTENT_TYPE
  std::string_view if_match;      // HTTP_IF_MATCH
  std::string_view if_none_match;    // HTTP_IF_NONE_MATCH
  std::string_view accept;           // HTTP_ACCEPT
  std::string_view accept_encoding;  // HTTP_ACCEPT_ENCODING
  // EDITOR_USER: the name nginx's auth_basic checked (nginx/wiki-site.conf);
  // "" when editors are not authenticated.
  std::string_view remote_user;
  std::string_view remote_addr;     // REMOTE_ADDR
  std::string_view host;            // REQUEST_HOST ($http_host) or HTTP_HOST
  std::string_view origin;          // HTTP_ORIGIN
  std::string_view sec_fetch_site;  // HTTP_SEC_FETCH_SITE
  // Load shedding: a read not answered by this Unix time (ms) gets 503
  // instead of a late page. Computed once, where the request arrives, from
  // when nginx handed it on plus shed_after_ms; 0 = never shed.
  int64_t deadline_ms = 0;
  std::string body;             // request body, read in full
  bool body_too_large = false;  // Content-Length over the configured limit
  // Whether the client has hung up (fcgi_server.cc probes nginx's
  // connection); asked at an edit's checkpoints. Default: never.
  Cancel cancel;
};

struct Response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  // The body is either owned here or shared with a cache (a rendered page
  // reused by every reader of a revision); `shared_body` wins if set.
  std::string body;
  std::shared_ptr<const std::string> shared_body;
  bool omit_body = false;  // HEAD and 304: headers only

  void AddHeader(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
  }
  const std::string& Body() const { return shared_body ? *shared_body : body; }

  // "Status: 200 OK\r\n<headers>\r\n\r\n" (Content-Length included).
  std::string SerializeHead() const;
};

const char* ReasonPhrase(int status);

// True if an If-None-Match value matches `etag` (weak comparison, as RFC
// 9110 requires for If-None-Match; "*" matches anything).
bool IfNoneMatchMatches(std::string_view header, std::string_view etag);

// True if an If-Match value matches `etag` (strong comparison: a weak tag
// never matches; "*" matches any current representation).
bool IfMatchMatches(std::string_view header, std::string_view etag);

// Header-value helpers shared by every parser of request headers. ASCII
// only on purpose: header tokens are ASCII, and <cctype> would consult the
// process locale.
inline char AsciiLower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}
std::string AsciiLower(std::string_view s);
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
// Without leading and trailing spaces and tabs (RFC 9110 "OWS").
std::string_view TrimOws(std::string_view s);
// "text/html; charset=utf-8" -> "text/html".
std::string_view MediaType(std::string_view content_type);

// Why a browser's write must be refused as cross-site (Forbidden), or OK.
// Refused: `Sec-Fetch-Site: cross-site`, `Origin: null` (an opaque origin:
// a sandboxed frame, a data: URL), and an Origin whose host[:port] is not
// `host` (the Host header; ASCII case-insensitive). No Origin and no
// Sec-Fetch-Site (curl, scripts, old browsers) is OK: forms are protected
// by the browsers that send them, and a client without a browser's ambient
// credentials gains nothing by forging. Behind a reverse proxy, the proxy
// must pass the client's Host on.
Status CheckSameOrigin(std::string_view origin, std::string_view sec_fetch_site,
                       std::string_view host);

// True if `accept` names application/json (a client asking for JSON).
bool AcceptsJson(std::string_view accept);

}  // namespace wiki

#endif  // WIKI_HTTP_H_
