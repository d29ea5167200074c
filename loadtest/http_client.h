// http_client: a small blocking HTTP/1.1 client over libcurl, shared by the
// editor-storm tool and the integration tests.
//
// One HttpClient per thread (it owns a CURL easy handle and reuses its
// connection); distinct clients may be used from distinct threads at once.
// Transport failures (refused, timeout) are returned as a Status, never
// thrown; any HTTP status, including 5xx, is a successful Result.
#ifndef WIKI_HTTP_CLIENT_H_
#define WIKI_HTTP_CLIENT_H_

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "status.h"

namespace wiki {

struct HttpResponse {
  long status = 0;
  // Header names lower-cased; the last value wins for repeated headers.
  std::map<std::string, std::string> headers;
  std::string body;

  // "" when absent.
  std::string Header(const std::string& lower_name) const;
};

struct HttpRequest {
  // Any token: GET, HEAD (sent without reading a body), POST, PUT, PATCH,
  // DELETE, ... POST, PUT and PATCH always send `body` (empty if !has_body)
  // with a Content-Length.
  std::string method = "GET";
  std::string url;  // absolute, http://127.0.0.1:PORT/...
  // Sent as is, with two exceptions: an empty value removes a header curl
  // would add itself ({"Content-Type", ""} sends no Content-Type at all,
  // where a body would otherwise get curl's default
  // application/x-www-form-urlencoded); and unless the caller gives an
  // Expect header, "Expect: 100-continue" is never sent.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;         // any bytes, NULs included
  bool has_body = false;    // send `body` (even if empty)
  long timeout_ms = 10000;  // whole request, connecting included
};

class HttpClient {
 public:
  HttpClient();
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Never follows redirects (303 is returned as is).
  Result<HttpResponse> Send(const HttpRequest& request);

  // Timeout of the conveniences below (Send uses request.timeout_ms).
  void set_timeout_ms(long timeout_ms) { timeout_ms_ = timeout_ms; }

  // Conveniences.
  Result<HttpResponse> Get(
      const std::string& url,
      std::vector<std::pair<std::string, std::string>> headers = {});
  // POST application/x-www-form-urlencoded of the given fields (encoded
  // here).
  Result<HttpResponse> PostForm(
      const std::string& url,
      const std::vector<std::pair<std::string, std::string>>& fields,
      std::vector<std::pair<std::string, std::string>> headers = {});

 private:
  void* curl_;  // CURL*, owned
  long timeout_ms_ = HttpRequest().timeout_ms;
};

// application/x-www-form-urlencoded encoding of one value.
std::string FormEncode(std::string_view s);

}  // namespace wiki

#endif  // WIKI_HTTP_CLIENT_H_
