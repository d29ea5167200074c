#include "http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "http.h"  // AsciiLower, EqualsIgnoreCase

namespace wiki {

namespace {

// Responses larger than this are cut off with an error rather than
// exhausting memory if a server misbehaves; articles are a few MiB at most.
constexpr size_t kMaxResponseBytes = size_t{512} << 20;

// curl_global_init is not thread-safe and must run before any other curl
// call; a function-local static gives exactly-once initialisation even when
// the first clients are created on several threads at once. There is no
// matching curl_global_cleanup: clients may outlive any static destructor
// that would run it, and the process exit reclaims everything anyway.
bool EnsureCurlInitialised() {
  static const bool ok = curl_global_init(CURL_GLOBAL_ALL) == CURLE_OK;
  return ok;
}

// ASCII only, unlike <cctype>, whose answers depend on the locale.
bool IsAlnum(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
         (c >= 'A' && c <= 'Z');
}


std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' ||
                        s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

// RFC 9110 token characters; anything else in a method or header name could
// smuggle a second request line or header into the request.
bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (IsAlnum(c)) continue;
    if (c != '\0' && std::strchr("!#$%&'*+-.^_`|~", c) != nullptr) continue;
    return false;
  }
  return true;
}

bool HasLineBreak(std::string_view s) {
  return s.find_first_of("\r\n", 0) != std::string_view::npos ||
         s.find('\0') != std::string_view::npos;
}

// State shared with the libcurl callbacks of one transfer.
struct Transfer {
  HttpResponse* response;
  bool too_large = false;
};

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t n = size * count;
  if (t->response->body.size() + n > kMaxResponseBytes) {
    t->too_large = true;
    return 0;  // makes curl abort with CURLE_WRITE_ERROR
  }
  t->response->body.append(data, n);
  return n;
}

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t n = size * count;
  std::string_view line(data, n);
  // Each status line starts a new response (an interim 1xx, then the final
  // one); only the final response's headers are meaningful to the caller.
  if (line.size() >= 5 && line.substr(0, 5) == "HTTP/") {
    t->response->headers.clear();
    return n;
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return n;
  std::string name = AsciiLower(Trim(line.substr(0, colon)));
  t->response->headers[name] = std::string(Trim(line.substr(colon + 1)));
  return n;
}

// Frees the header list however Send returns.
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

bool Append(Slist& list, const std::string& line) {
  curl_slist* grown = curl_slist_append(list.get(), line.c_str());
  if (grown == nullptr) return false;
  list.release();  // NOLINT: `grown` now owns the old nodes
  list.reset(grown);
  return true;
}

}  // namespace

std::string HttpResponse::Header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? std::string() : it->second;
}

HttpClient::HttpClient() : curl_(nullptr) {
  if (EnsureCurlInitialised()) curl_ = curl_easy_init();
}

HttpClient::~HttpClient() {
  if (curl_ != nullptr) curl_easy_cleanup(static_cast<CURL*>(curl_));
}

Result<HttpResponse> HttpClient::Send(const HttpRequest& request) {
  CURL* curl = static_cast<CURL*>(curl_);
  if (curl == nullptr) return Status::IOError("libcurl failed to initialise");
  const std::string& method = request.method;
  if (!IsToken(method)) {
    return Status::InvalidArgument("bad HTTP method '" + method + "'");
  }
  if (request.url.rfind("http://", 0) != 0 &&
      request.url.rfind("https://", 0) != 0) {
    return Status::InvalidArgument("URL must be http(s)://: " + request.url);
  }
  const bool is_head = method == "HEAD";
  if (is_head && request.has_body) {
    return Status::InvalidArgument("a HEAD request cannot carry a body");
  }

  // Forget the previous request's options (a HEAD's NOBODY, a custom
  // method, a body pointer) while keeping the live connection for reuse.
  curl_easy_reset(curl);

  Slist headers;
  bool caller_expect = false;
  for (const auto& [name, value] : request.headers) {
    if (!IsToken(name) || HasLineBreak(value)) {
      return Status::InvalidArgument("bad request header '" + name + "'");
    }
    if (EqualsIgnoreCase(name, "Expect")) caller_expect = true;
    // "Name:" with nothing after it is curl's way of removing a header it
    // would add itself (e.g. its default Content-Type), which is what an
    // empty value is documented to do.
    std::string line = name + ":" + (value.empty() ? "" : " " + value);
    if (!Append(headers, line)) return Status::IOError("out of memory");
  }
  // curl holds back bodies over 1 MiB waiting for "100 Continue"; the
  // server under test never sends one, so every large POST would stall for
  // a second and distort the latency figures.
  if (!caller_expect && !Append(headers, "Expect:")) {
    return Status::IOError("out of memory");
  }

  HttpResponse response;
  Transfer transfer{&response};
  char error[CURL_ERROR_SIZE] = "";

  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  // Signals are not thread-safe: without this, timeouts during name
  // resolution use SIGALRM and can crash a multi-threaded program.
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  // An http_proxy in the environment must not divert a load test away from
  // the server it names.
  curl_easy_setopt(curl, CURLOPT_PROXY, "");
#if LIBCURL_VERSION_NUM >= 0x075500  // 7.85.0
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
#else
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS, CURLPROTO_HTTP | CURLPROTO_HTTPS);
#endif
  curl_easy_setopt(curl, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
  long timeout_ms = std::max(1L, request.timeout_ms);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &OnBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &OnHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());

  // POST, PUT and PATCH always carry a (possibly empty) body so that a
  // Content-Length is sent; other methods only when asked to.
  const bool send_body = request.has_body || method == "POST" ||
                         method == "PUT" || method == "PATCH";
  if (is_head) {
    // A HEAD response has headers but no body; without NOBODY curl would
    // wait for the Content-Length bytes that never come.
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (send_body) {
    // The size goes first so that bodies containing NUL bytes are sent
    // whole. POSTFIELDS (not COPYPOSTFIELDS) avoids copying multi-MiB
    // articles: `request` outlives the transfer, which ends in this call.
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.body.size()));
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
    if (method != "POST") {
      curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
    }
  } else if (method == "GET") {
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  } else {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  }

  CURLcode rc = curl_easy_perform(curl);
  // The header list and error buffer are on this stack frame; make sure the
  // handle does not keep pointers to them past this call.
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);
  if (rc != CURLE_OK) {
    std::string what = transfer.too_large ? "response larger than 512 MiB"
                       : error[0] != '\0' ? std::string(error)
                                          : curl_easy_strerror(rc);
    return Status::IOError(method + " " + request.url + ": " + what);
  }
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  return response;
}

Result<HttpResponse> HttpClient::Get(
    const std::string& url,
    std::vector<std::pair<std::string, std::string>> headers) {
  HttpRequest request;
  request.method = "GET";
  request.url = url;
  request.timeout_ms = timeout_ms_;
  request.headers = std::move(headers);
  return Send(request);
}

Result<HttpResponse> HttpClient::PostForm(
    const std::string& url,
    const std::vector<std::pair<std::string, std::string>>& fields,
    std::vector<std::pair<std::string, std::string>> headers) {
  HttpRequest request;
  request.method = "POST";
  request.url = url;
  request.timeout_ms = timeout_ms_;
  for (const auto& [name, value] : fields) {
    if (!request.body.empty()) request.body += '&';
    request.body += FormEncode(name);
    request.body += '=';
    request.body += FormEncode(value);
  }
  request.has_body = true;
  bool has_type = std::any_of(headers.begin(), headers.end(), [](auto& h) {
    return EqualsIgnoreCase(h.first, "Content-Type");
  });
  if (!has_type) {
    headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  }
  request.headers = std::move(headers);
  return Send(request);
}

std::string FormEncode(std::string_view s) {
  // The WHATWG urlencoded serializer: these stay, space becomes '+', every
  // other byte (including '+', '&', '=', '%' and UTF-8) is %XX.
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() + s.size() / 2);
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (IsAlnum(c) || c == '*' || c == '-' || c == '.' || c == '_') {
      out += c;
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 0xF];
    }
  }
  return out;
}

}  // namespace wiki
