// Helpers shared by the integration tests (tests/*_itest.cc): HTTP through
// loadtest's HttpClient and over a raw socket, the article's state as served,
// checks of responses, a little HTML reading, /metrics. Failures to talk to
// the stack at all are doctest REQUIREs, so these are for test code only.
#ifndef WIKI_TESTS_ITEST_UTIL_H_
#define WIKI_TESTS_ITEST_UTIL_H_

#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "http_client.h"
#include "stack.h"

namespace wiki {
namespace testing {

// A revision id from a header such as X-Revision; 0 unless all digits.
uint64_t ToId(const std::string& s);

// True for the app's own load shedding: 503 + Retry-After + X-Wiki-Shed: 1.
// nginx's 503 for a dead or hung worker has no marker and is a failure.
bool IsShed(const HttpResponse& r);

// GET, waiting out load shedding as a real client would: a read may be
// answered with the app's marked 503 (IsShed) when it queued too long
// (shed_after_ms), which on a busy 2-core machine happens now and then. Up
// to 20 retries, 50 ms apart. Any other answer, nginx's unmarked 503
// included, is returned as it is. (Stack::Stop bounds how many reads may
// have been shed.)
Result<HttpResponse> GetRetrying(HttpClient& client, const std::string& url);

// An article's ?action=raw answer; all zero/empty if the request failed.
struct Raw {
  long status = 0;
  uint64_t rev = 0;  // X-Revision
  std::string etag;
  std::string body;
};

// GETs `article_url` + "?action=raw" (the current revision) or, if `oldid` is
// not 0, + "?action=raw&oldid=<oldid>", through GetRetrying.
Raw GetRaw(HttpClient& client, const std::string& article_url,
           uint64_t oldid = 0);

// PUT of `body` as text/html with the given If-Match.
Result<HttpResponse> Put(HttpClient& client, const std::string& url,
                         const std::string& body, const std::string& if_match);

// Every history id, newest first, as ?action=history&format=json pages
// list them (following "continue"); what was read so far if a request or
// the JSON failed.
std::vector<uint64_t> HistoryIds(HttpClient& client, const std::string& url);

// Readers that GET the reader page, the raw text, old revisions and the
// history in a loop until told to stop (so both nginx's front cache and the
// workers serve them), counting every answer by status (0 = transport
// failure).
class ReadFlood {
 public:
  ReadFlood(const std::string& article_url, int threads);
  ~ReadFlood() { Stop(); }

  void Stop();
  int Count(long status);
  int Failed();  // answers other than 200, transport failures included
  std::string FirstFailure();

 private:
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::map<long, int> by_status_;
  std::string first_failure_;
  std::vector<std::thread> threads_;
};

// A list of pids as a set (Stack::WorkerPids gives them sorted).
std::set<pid_t> AsSet(const std::vector<pid_t>& pids);

// Lets N threads start their request at (nearly) the same moment.
class StartGate {
 public:
  explicit StartGate(int n) : waiting_(n) {}
  void ArriveAndWait();

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int waiting_;
};

// --- the contract tests' helpers (tests/http_itest.cc) ---------------------

using Headers = std::vector<std::pair<std::string, std::string>>;

constexpr char kPath[] = "/wiki/Latest_plane_crash";
constexpr char kArticleFile[] = "Latest_plane_crash.html";
constexpr char kSampleFile[] = "data/Latest_plane_crash.html";
constexpr char kHtml[] = "text/html; charset=utf-8";
constexpr char kUrlEncoded[] = "application/x-www-form-urlencoded";
// What `curl -F` uses: 24 dashes and 16 hex digits.
constexpr char kBoundary[] = "------------------------7d1f0a9c43b6e285";
// Shedding (503 for reads that queued too long) is a load feature; it would
// turn functional checks into flakes on a busy machine.
constexpr char kNoShed[] = "server.shed_after_ms=0";

// Starts a stack with these config overrides and waits until
// conf/wikistack has said "serving" (its own start-up probes are article
// reads, and a test that counts them must not race with the last one).
// nullptr if it did not come up.
std::unique_ptr<Stack> StartStack(const std::string& wiki_set);

// The whole file; REQUIREs that it can be read.
std::string ReadFile(const std::string& path);
bool Contains(const std::string& haystack, const std::string& needle);
std::string ToLower(std::string s);  // ASCII
std::string Trim(const std::string& s);
// Where two byte strings first differ, for failure messages that do not
// dump 30 KB articles.
std::string FirstDifference(const std::string& a, const std::string& b);
// A fresh phrase for each edit, so every revision differs from the last.
std::string Marker(const std::string& what);
std::string WithParagraph(const std::string& article, const std::string& words);
// -1 unless `s` is a whole decimal number.
long ToLong(const std::string& s);

// HTTP through libcurl (one shared client); REQUIREs that a response came.
HttpClient& Client();
HttpResponse Send(const std::string& method, const std::string& url,
                  Headers headers = {},
                  std::optional<std::string> body = std::nullopt);
HttpResponse Get(const std::string& url, Headers headers = {});
// PUT with a Content-Type (curl would otherwise send its urlencoded default)
// and, unless empty, an If-Match.
HttpResponse Put(const std::string& url, const std::string& body,
                 const std::string& if_match,
                 const std::string& content_type = kHtml);
HttpResponse Post(const std::string& url, const std::string& content_type,
                  const std::string& body, Headers headers = {});
std::string UrlEncoded(const Headers& fields);
HttpResponse PostFields(const std::string& url, const Headers& fields);

// One part of a multipart/form-data body.
struct Part {
  std::string name;
  std::string value;
  std::string filename;      // "" = a plain field
  std::string content_type;  // "" = none
};

// A multipart/form-data body exactly as curl -F writes it.
std::string Multipart(const std::vector<Part>& parts,
                      const std::string& boundary = kBoundary);
std::string MultipartType(const std::string& boundary = kBoundary);
// The parts of `curl -F article=@Latest_plane_crash.html -F base_revision=N`.
std::vector<Part> ArticleUpload(const std::string& text, long base);

// A new TCP connection to the stack from `source_ip` ("" = 127.0.0.1); -1
// if the connect failed (the caller decides whether that is expected).
int ConnectFrom(const Stack& s, const std::string& source_ip);

// A request with this Accept-Encoding (and If-None-Match, if given);
// REQUIREs an answer.
HttpResponse SendCoded(HttpClient& client, const std::string& method,
                       const std::string& url,
                       const std::string& accept_encoding,
                       const std::string& if_none_match = "");

// HTTP over a raw socket: libcurl normalises "/../" in URLs and never reads
// a body after HEAD or 304.
struct RawResponse {
  int status = 0;
  std::string head;  // status line and headers, each ending in CRLF
  std::string body;  // every byte after the blank line, until the close
};
int PortOf(const Stack& s);
std::string RawRequest(const std::string& method, const std::string& target,
                       const std::string& extra_headers = "");
// Sends `request` byte for byte on a new connection (from `source_ip` if
// given) and reads until the server closes it.
RawResponse RawExchange(const Stack& s, const std::string& request,
                        const std::string& source_ip = "");
// An IPv4 address of this host outside 127/8, or "" if there is none.
std::string NonLoopbackIpv4();

// The article as served (?action=raw).
struct Snapshot {
  std::string raw;
  std::string etag;
  long revision = 0;
};
// Also CHECKs that the stack has answered no request with a 5xx so far
// (every stack of the contract tests runs without shedding), so each test
// that looks at the article checks that too, in whatever order they run.
Snapshot Snap(const Stack& s);
// The article (as served and as stored in the data directory) is exactly
// what it was in `before`.
void CheckUnchanged(const Stack& s, const Snapshot& before);
// PUTs `text` over the current revision; returns the new revision id.
long PutEdit(const Stack& s, const std::string& text);
// Makes sure revision 1 is an old revision.
void EnsureEdited(const Stack& s);

// Why `csp` would let some script run, or "" if it forbids all scripts.
std::string CspScriptLoophole(const std::string& csp);
// Headers every HTML response carrying article content must have.
void CheckArticleHtmlHeaders(const HttpResponse& r);
// Seconds since the epoch of an IMF-fixdate (RFC 9110), or -1.
int64_t ParseHttpDate(const std::string& s);
// Seconds since the epoch of an ISO-8601 UTC timestamp, or -1.
int64_t ParseIsoUtc(const std::string& s);
bool IsStrongETag(const std::string& tag);

// A little HTML reading, enough for the pages this server writes.
struct Element {
  std::map<std::string, std::string>
      attributes;     // names lower-cased, values unescaped
  std::string inner;  // raw, up to the matching close tag
};
// Decodes the character references an HTML escaper produces.
std::string HtmlUnescape(const std::string& s);
// Every <name ...> element of `html` in document order (no nesting of the
// same element; enough for pages whose article text is escaped).
std::vector<Element> FindElements(const std::string& html,
                                  const std::string& name);
std::string Attr(const Element& e, const std::string& name);
// The text a reader sees: no tags, no style or script contents, and no
// echoed <textarea> contents (which hold the submitted article).
std::string VisibleText(const std::string& html);
bool ContainsWord(const std::string& text, const std::string& word);
// True if some <a> in `html` links to this article with `query`
// ("?action=edit"), by path, full URL or bare query.
bool LinksTo(const std::string& html, const Stack& s, const std::string& query);

// /metrics as name{labels} -> value; REQUIREs a 200.
std::map<std::string, double> ScrapeMetrics(const Stack& s);
// REQUIREs that the metric exists.
double Metric(const std::map<std::string, double>& metrics,
              const std::string& key);
double FibComputations(const Stack& s);
// CHECKs that `s` has answered no request with 500, 503 or 507.
void CheckNo5xx(const Stack& s);

}  // namespace testing
}  // namespace wiki

#endif  // WIKI_TESTS_ITEST_UTIL_H_
