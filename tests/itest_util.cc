#include "itest_util.h"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <thread>
#include <utility>

#include "http.h"  // AsciiLower
#include "test_util.h"

namespace wiki {
namespace testing {

ReadFlood::ReadFlood(const std::string& article_url, int threads) {
  // The current page and raw text are served by nginx from the front cache;
  // the old revisions and the history reach the workers. Each thread cycles
  // through all of them, so a flood always loads the app too.
  const std::vector<std::string> targets = {
      article_url, article_url + "?oldid=1", article_url + "?action=raw",
      article_url + "?action=raw&oldid=1",
      article_url + "?action=history&format=json"};
  for (int i = 0; i < threads; ++i) {
    threads_.emplace_back([this, targets, i] {
      HttpClient client;
      client.set_timeout_ms(15000);
      for (size_t n = static_cast<size_t>(i); !stop_.load(); ++n) {
        auto r = client.Get(targets[n % targets.size()]);
        long status = r.ok() ? r->status : 0;
        std::lock_guard<std::mutex> l(mu_);
        ++by_status_[status];
        if (status != 200 && first_failure_.empty()) {
          first_failure_ = r.ok() ? std::to_string(status) + " " + r->body
                                  : r.status().ToString();
        }
      }
    });
  }
}

void ReadFlood::Stop() {
  stop_.store(true);
  for (auto& t : threads_) t.join();
  threads_.clear();
}

int ReadFlood::Count(long status) {
  std::lock_guard<std::mutex> l(mu_);
  return by_status_[status];
}

int ReadFlood::Failed() {
  std::lock_guard<std::mutex> l(mu_);
  int n = 0;
  for (auto& [status, count] : by_status_) n += status == 200 ? 0 : count;
  return n;
}

std::string ReadFlood::FirstFailure() {
  std::lock_guard<std::mutex> l(mu_);
  return first_failure_;
}

std::set<pid_t> AsSet(const std::vector<pid_t>& pids) {
  return std::set<pid_t>(pids.begin(), pids.end());
}

uint64_t ToId(const std::string& s) {
  if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos)
    return 0;
  return std::strtoull(s.c_str(), nullptr, 10);
}

bool IsShed(const HttpResponse& r) {
  return r.status == 503 && r.Header("retry-after") == "1" &&
         r.Header("x-wiki-shed") == "1";
}

Result<HttpResponse> GetRetrying(HttpClient& client, const std::string& url) {
  for (int i = 0;; ++i) {
    auto r = client.Get(url);
    if (i == 20 || !r.ok() || !IsShed(*r)) return r;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

Raw GetRaw(HttpClient& client, const std::string& article_url, uint64_t oldid) {
  std::string url = article_url + "?action=raw";
  if (oldid != 0) url += "&oldid=" + std::to_string(oldid);
  auto r = GetRetrying(client, url);
  Raw out;
  if (!r.ok()) return out;
  out.status = r->status;
  out.rev = ToId(r->Header("x-revision"));
  out.etag = r->Header("etag");
  out.body = std::move(r->body);
  return out;
}

Result<HttpResponse> Put(HttpClient& client, const std::string& url,
                         const std::string& body, const std::string& if_match) {
  HttpRequest req;
  req.method = "PUT";
  req.url = url;
  req.headers = {{"Content-Type", "text/html"}, {"If-Match", if_match}};
  req.body = body;
  req.has_body = true;
  return client.Send(req);
}

std::vector<uint64_t> HistoryIds(HttpClient& client, const std::string& url) {
  std::vector<uint64_t> ids;
  uint64_t offset = 0;
  // Follows the continuation page by page; a page that fails or does not
  // continue below its last id ends the list where it stands.
  do {
    std::string q = url + "?action=history&format=json&limit=100";
    if (offset != 0) q += "&offset=" + std::to_string(offset);
    auto r = GetRetrying(client, q);
    if (!r.ok() || r->status != 200) return ids;
    auto doc = nlohmann::json::parse(r->body, nullptr, false);
    if (doc.is_discarded() || !doc.contains("revisions")) return ids;
    for (const auto& rev : doc["revisions"])
      ids.push_back(rev.value("id", uint64_t{0}));
    uint64_t next = 0;
    if (doc.contains("continue") && doc["continue"].is_object())
      next = doc["continue"].value("offset", uint64_t{0});
    if (offset != 0 && next >= offset) return ids;  // would not progress
    offset = next;
  } while (offset != 0);
  return ids;
}

void StartGate::ArriveAndWait() {
  std::unique_lock<std::mutex> lock(mu_);
  if (--waiting_ == 0) {
    cv_.notify_all();
  } else {
    cv_.wait(lock, [&] { return waiting_ == 0; });
  }
}

// --- the contract tests' helpers (tests/http_itest.cc) ---------------------

// --- stacks -----------------------------------------------------------------

// Starts a stack and waits until conf/wikistack has said "serving": its own
// start-up probes are article reads, and a test that counts them (the fib
// counter) must not race with the last one.
std::unique_ptr<Stack> StartStack(const std::string& wiki_set) {
  Stack::Options options;
  options.wiki_set = wiki_set;
  std::unique_ptr<Stack> stack = Stack::Start(options);
  if (stack == nullptr) return nullptr;
  const std::string log = stack->run_dir() + "/stack.log";
  for (int i = 0; i < 500; ++i) {
    if (Slurp(log).find("wikistack: serving") != std::string::npos) {
      return stack;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return nullptr;  // it answered, but its launcher never finished starting
}

// --- small utilities --------------------------------------------------------

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "cannot read " << path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

std::string ToLower(std::string s) { return AsciiLower(s); }

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

// Where two byte strings first differ, for failure messages that do not dump
// 30 KB articles.
std::string FirstDifference(const std::string& a, const std::string& b) {
  size_t i = 0;
  while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
  std::ostringstream out;
  out << "sizes " << a.size() << " vs " << b.size()
      << ", first difference at byte " << i << ": \"" << a.substr(i, 40)
      << "\" vs \"" << b.substr(i, 40) << "\"";
  return out.str();
}

// A fresh word for each edit, so every revision differs from the last.
std::string Marker(const std::string& what) {
  static int n = 0;
  return "itest " + what + " " + std::to_string(++n);
}

std::string WithParagraph(const std::string& article,
                          const std::string& words) {
  return article + "<p>" + words + "</p>\n";
}

long ToLong(const std::string& s) {
  char* end = nullptr;
  long v = std::strtol(s.c_str(), &end, 10);
  return (s.empty() || *end != '\0') ? -1 : v;
}

// --- HTTP through libcurl ---------------------------------------------------

HttpClient& Client() {
  static HttpClient client;
  return client;
}

HttpResponse Send(const std::string& method, const std::string& url,
                  Headers headers, std::optional<std::string> body) {
  HttpRequest request;
  request.method = method;
  request.url = url;
  request.headers = std::move(headers);
  if (body) {
    request.body = std::move(*body);
    request.has_body = true;
  }
  auto r = Client().Send(request);
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  return std::move(*r);
}

HttpResponse Get(const std::string& url, Headers headers) {
  return Send("GET", url, std::move(headers));
}

// PUT with a Content-Type (curl would otherwise send its urlencoded default)
// and, unless empty, an If-Match.
HttpResponse Put(const std::string& url, const std::string& body,
                 const std::string& if_match, const std::string& content_type) {
  Headers headers = {{"Content-Type", content_type}};
  if (!if_match.empty()) headers.emplace_back("If-Match", if_match);
  return Send("PUT", url, std::move(headers), body);
}

HttpResponse Post(const std::string& url, const std::string& content_type,
                  const std::string& body, Headers headers) {
  headers.emplace_back("Content-Type", content_type);
  return Send("POST", url, std::move(headers), body);
}

std::string UrlEncoded(const Headers& fields) {
  std::string out;
  for (const auto& [name, value] : fields) {
    if (!out.empty()) out += '&';
    out += wiki::FormEncode(name) + "=" + wiki::FormEncode(value);
  }
  return out;
}

HttpResponse PostFields(const std::string& url, const Headers& fields) {
  return Post(url, kUrlEncoded, UrlEncoded(fields));
}

// A multipart/form-data body exactly as curl -F writes it.
std::string Multipart(const std::vector<Part>& parts,
                      const std::string& boundary) {
  std::string out;
  for (const Part& p : parts) {
    out += "--" + boundary + "\r\n";
    out += "Content-Disposition: form-data; name=\"" + p.name + "\"";
    if (!p.filename.empty()) out += "; filename=\"" + p.filename + "\"";
    out += "\r\n";
    if (!p.content_type.empty())
      out += "Content-Type: " + p.content_type + "\r\n";
    out += "\r\n" + p.value + "\r\n";
  }
  out += "--" + boundary + "--\r\n";
  return out;
}

std::string MultipartType(const std::string& boundary) {
  return "multipart/form-data; boundary=" + boundary;
}

// The parts of `curl -F article=@Latest_plane_crash.html -F base_revision=N`.
std::vector<Part> ArticleUpload(const std::string& text, long base) {
  return {{"article", text, kArticleFile, "text/html"},
          {"base_revision", std::to_string(base), "", ""}};
}

// --- HTTP over a raw socket -------------------------------------------------

int PortOf(const Stack& s) {
  const std::string base = s.BaseUrl();
  return std::atoi(base.substr(base.rfind(':') + 1).c_str());
}

std::string RawRequest(const std::string& method, const std::string& target,
                       const std::string& extra_headers) {
  return method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
         extra_headers + "Connection: close\r\n\r\n";
}

int ConnectFrom(const Stack& s, const std::string& source_ip) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  if (!source_ip.empty()) {
    sockaddr_in src{};
    src.sin_family = AF_INET;
    REQUIRE(::inet_pton(AF_INET, source_ip.c_str(), &src.sin_addr) == 1);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&src), sizeof(src)) == 0);
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(PortOf(s)));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

HttpResponse SendCoded(HttpClient& client, const std::string& method,
                       const std::string& url,
                       const std::string& accept_encoding,
                       const std::string& if_none_match) {
  HttpRequest req;
  req.method = method;
  req.url = url;
  req.headers.push_back({"Accept-Encoding", accept_encoding});
  if (!if_none_match.empty())
    req.headers.push_back({"If-None-Match", if_none_match});
  auto r = client.Send(req);
  REQUIRE(r.ok());
  return *r;
}

// Sends `request` byte for byte on a new connection (from `source_ip` if
// given) and reads until the server closes it.
RawResponse RawExchange(const Stack& s, const std::string& request,
                        const std::string& source_ip) {
  int fd = ConnectFrom(s, source_ip);
  REQUIRE(fd >= 0);
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  for (size_t sent = 0; sent < request.size();) {
    ssize_t n =
        ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    REQUIRE(n > 0);
    sent += static_cast<size_t>(n);
  }
  std::string in;
  char buf[65536];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n == 0) break;
    REQUIRE_MESSAGE(n > 0, "recv failed or timed out");
    in.append(buf, static_cast<size_t>(n));
  }
  RawResponse r;
  size_t end = in.find("\r\n\r\n");
  REQUIRE_MESSAGE(end != std::string::npos,
                  "no complete response head: " << in);
  REQUIRE(in.rfind("HTTP/1.", 0) == 0);
  r.status = std::atoi(in.c_str() + 9);
  r.head = in.substr(0, end + 2);
  r.body = in.substr(end + 4);
  return r;
}

// An IPv4 address of this host outside 127/8, or "" if there is none.
std::string NonLoopbackIpv4() {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return "";
  std::string found;
  for (ifaddrs* a = list; a != nullptr && found.empty(); a = a->ifa_next) {
    if (a->ifa_addr == nullptr || a->ifa_addr->sa_family != AF_INET) continue;
    auto* in = reinterpret_cast<sockaddr_in*>(a->ifa_addr);
    if ((ntohl(in->sin_addr.s_addr) >> 24) == 127) continue;
    char text[INET_ADDRSTRLEN];
    if (::inet_ntop(AF_INET, &in->sin_addr, text, sizeof(text)) != nullptr)
      found = text;
  }
  ::freeifaddrs(list);
  return found;
}

// --- article state ----------------------------------------------------------

Snapshot Snap(const Stack& s) {
  CheckNo5xx(s);
  HttpResponse r = Get(s.ArticleUrl() + "?action=raw");
  REQUIRE(r.status == 200);
  Snapshot snap{r.body, r.Header("etag"), ToLong(r.Header("x-revision"))};
  REQUIRE(snap.revision > 0);
  REQUIRE(!snap.etag.empty());
  return snap;
}

// The article (as served and as stored in the data directory) is exactly
// what it was in `before`.
void CheckUnchanged(const Stack& s, const Snapshot& before) {
  Snapshot after = Snap(s);
  CHECK(after.revision == before.revision);
  CHECK(after.etag == before.etag);
  const bool same = after.raw == before.raw;
  CHECK_MESSAGE(same, "the served article changed: " << FirstDifference(
                          before.raw, after.raw));
  const std::string file = ReadFile(s.data_dir() + "/" + kArticleFile);
  const bool same_file = file == before.raw;
  CHECK_MESSAGE(same_file, "the article file changed: " << FirstDifference(
                               before.raw, file));
}

// PUTs `text` over the current revision; returns the new revision id.
long PutEdit(const Stack& s, const std::string& text) {
  Snapshot before = Snap(s);
  HttpResponse r = Put(s.ArticleUrl(), text, before.etag);
  REQUIRE_MESSAGE(r.status == 200, r.body);
  REQUIRE(ToLong(r.Header("x-revision")) == before.revision + 1);
  return before.revision + 1;
}

// Makes sure revision 1 is an old revision.
void EnsureEdited(const Stack& s) {
  Snapshot snap = Snap(s);
  if (snap.revision == 1) PutEdit(s, WithParagraph(snap.raw, Marker("ensure")));
}

// --- response checks --------------------------------------------------------

// Why `csp` would let some script run, or "" if it forbids all scripts.
std::string CspScriptLoophole(const std::string& csp) {
  std::map<std::string, std::vector<std::string>> directives;
  std::stringstream policy(csp);
  std::string directive;
  while (std::getline(policy, directive, ';')) {
    std::istringstream tokens(directive);
    std::string name, token;
    if (!(tokens >> name)) continue;
    std::vector<std::string> values;
    while (tokens >> token) values.push_back(token);
    directives.emplace(ToLower(name), values);  // the first one counts
  }
  for (const std::string name :
       {"script-src", "script-src-elem", "script-src-attr"}) {
    auto it = directives.find(name);
    if (it == directives.end()) it = directives.find("script-src");
    if (it == directives.end()) it = directives.find("default-src");
    if (it == directives.end()) return name + " is not restricted";
    if (it->second != std::vector<std::string>{"'none'"}) {
      std::string values;
      for (const std::string& v : it->second) values += " " + v;
      return name + " allows" + values;
    }
  }
  return "";
}

// Headers every HTML response carrying article content must have.
void CheckArticleHtmlHeaders(const HttpResponse& r) {
  CHECK(r.Header("content-type").rfind("text/html", 0) == 0);
  const std::string csp = r.Header("content-security-policy");
  INFO("Content-Security-Policy: " << csp);
  CHECK(CspScriptLoophole(csp) == "");
  CHECK(!Contains(csp, "unsafe-inline"));
  CHECK(Contains(csp, "style-src 'self'"));
  CHECK(ToLower(r.Header("x-content-type-options")) == "nosniff");
}

// Seconds since the epoch of an IMF-fixdate (RFC 9110), or -1.
int64_t ParseHttpDate(const std::string& s) {
  static const std::regex kFixdate(
      R"(^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d )"
      R"((Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) )"
      R"(\d{4} \d\d:\d\d:\d\d GMT$)");
  if (!std::regex_match(s, kFixdate)) return -1;
  tm t{};
  if (::strptime(s.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &t) == nullptr)
    return -1;
  return ::timegm(&t);
}

// Seconds since the epoch of an ISO-8601 UTC timestamp, or -1.
int64_t ParseIsoUtc(const std::string& s) {
  static const std::regex kIso(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$)");
  if (!std::regex_match(s, kIso)) return -1;
  tm t{};
  if (::strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &t) == nullptr) return -1;
  return ::timegm(&t);
}

bool IsStrongETag(const std::string& tag) {
  static const std::regex kStrong(R"(^"[\x21\x23-\x7e]+"$)");
  return std::regex_match(tag, kStrong);
}

// --- a little HTML reading --------------------------------------------------

static void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    *out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    *out += static_cast<char>(0xC0 | (cp >> 6));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    *out += static_cast<char>(0xE0 | (cp >> 12));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    *out += static_cast<char>(0xF0 | (cp >> 18));
    *out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Decodes the character references an HTML escaper produces.
std::string HtmlUnescape(const std::string& s) {
  static const std::map<std::string, std::string> kNamed = {
      {"amp", "&"},   {"lt", "<"},   {"gt", ">"},
      {"quot", "\""}, {"apos", "'"}, {"nbsp", "\xC2\xA0"}};
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    size_t semi = s[i] == '&' ? s.find(';', i) : std::string::npos;
    if (semi == std::string::npos || semi - i > 10) {
      out += s[i];
      continue;
    }
    std::string ref = s.substr(i + 1, semi - i - 1);
    if (ref.size() > 1 && ref[0] == '#') {
      const bool hex = ref[1] == 'x' || ref[1] == 'X';
      AppendUtf8(static_cast<uint32_t>(std::strtoul(ref.c_str() + (hex ? 2 : 1),
                                                    nullptr, hex ? 16 : 10)),
                 &out);
    } else if (kNamed.count(ref) != 0) {
      out += kNamed.at(ref);
    } else {
      out += s[i];
      continue;
    }
    i = semi;
  }
  return out;
}

// The attributes of one start tag's text after the tag name.
static std::map<std::string, std::string> ParseAttributes(
    const std::string& s) {
  static const std::regex kAttribute(
      R"re(([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?)re");
  std::map<std::string, std::string> out;
  for (auto it = std::sregex_iterator(s.begin(), s.end(), kAttribute);
       it != std::sregex_iterator(); ++it) {
    const std::smatch& m = *it;
    std::string value = m[2].matched   ? m[2].str()
                        : m[3].matched ? m[3].str()
                                       : m[4].str();
    out.emplace(ToLower(m[1].str()), HtmlUnescape(value));
  }
  return out;
}

// Every <name ...> element of `html` in document order (no nesting of the
// same element; enough for pages whose article text is escaped).
std::vector<Element> FindElements(const std::string& html,
                                  const std::string& name) {
  std::vector<Element> out;
  const std::string lower = ToLower(html);
  const std::string open = "<" + name;
  const std::string close = "</" + name + ">";
  for (size_t pos = lower.find(open); pos != std::string::npos;
       pos = lower.find(open, pos + 1)) {
    const size_t after = pos + open.size();
    if (after >= lower.size() ||
        !(std::isspace(static_cast<unsigned char>(lower[after])) ||
          lower[after] == '>' || lower[after] == '/')) {
      continue;
    }
    const size_t gt = html.find('>', after);
    if (gt == std::string::npos) break;
    Element e;
    e.attributes = ParseAttributes(html.substr(after, gt - after));
    const size_t end = lower.find(close, gt + 1);
    if (end != std::string::npos) e.inner = html.substr(gt + 1, end - gt - 1);
    out.push_back(std::move(e));
  }
  return out;
}

std::string Attr(const Element& e, const std::string& name) {
  auto it = e.attributes.find(name);
  return it == e.attributes.end() ? "" : it->second;
}

// The text a reader sees: no tags, no style or script contents, and no
// echoed <textarea> contents (which hold the submitted article).
std::string VisibleText(const std::string& html) {
  std::string text = html;
  for (const std::string name : {"style", "script", "textarea"}) {
    std::string lower = ToLower(text);
    for (size_t pos = lower.find("<" + name); pos != std::string::npos;
         pos = lower.find("<" + name)) {
      size_t end = lower.find("</" + name + ">", pos);
      end = end == std::string::npos ? lower.size() : end + name.size() + 3;
      text.erase(pos, end - pos);
      lower.erase(pos, end - pos);
    }
  }
  std::string out;
  bool in_tag = false;
  for (char c : text) {
    if (c == '<') in_tag = true;
    if (!in_tag) out += c;
    if (c == '>') in_tag = false;
  }
  return HtmlUnescape(out);
}

bool ContainsWord(const std::string& text, const std::string& word) {
  const std::regex re("(^|[^A-Za-z0-9_-])" + word + "($|[^A-Za-z0-9_-])");
  return std::regex_search(text, re);
}

// True if some <a> in `html` links to this article with `query`
// ("?action=edit"), by path, full URL or bare query.
bool LinksTo(const std::string& html, const Stack& s,
             const std::string& query) {
  for (const Element& a : FindElements(html, "a")) {
    const std::string href = Attr(a, "href");
    if (href == kPath + query || href == s.ArticleUrl() + query ||
        href == query)
      return true;
  }
  return false;
}

// --- /metrics ---------------------------------------------------------------

std::map<std::string, double> ScrapeMetrics(const Stack& s) {
  HttpResponse r = Get(s.BaseUrl() + "/metrics");
  REQUIRE(r.status == 200);
  std::map<std::string, double> out;
  std::istringstream lines(r.body);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') continue;
    size_t space = line.rfind(' ');
    REQUIRE_MESSAGE(space != std::string::npos, "bad metrics line: " << line);
    out[line.substr(0, space)] = std::strtod(line.c_str() + space + 1, nullptr);
  }
  return out;
}

double Metric(const std::map<std::string, double>& metrics,
              const std::string& key) {
  auto it = metrics.find(key);
  REQUIRE_MESSAGE(it != metrics.end(), "no metric " << key);
  return it->second;
}

void CheckNo5xx(const Stack& s) {
  std::map<std::string, double> m = ScrapeMetrics(s);
  for (const char* code : {"500", "503", "507"}) {
    INFO("code: " << std::string(code));
    CHECK(Metric(m, std::string("wiki_http_requests_total{code=\"") + code +
                        "\"}") == 0);
  }
}

double FibComputations(const Stack& s) {
  return Metric(ScrapeMetrics(s), "wiki_fib_computations_total");
}

}  // namespace testing
}  // namespace wiki
