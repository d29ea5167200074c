// HTTP helpers shared by the integration tests (tests/*_itest.cc) that talk
// to a stack through loadtest's HttpClient.
#ifndef WIKI_TESTS_ITEST_UTIL_H_
#define WIKI_TESTS_ITEST_UTIL_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "http_client.h"

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

// History ids as ?action=history&format=json lists them (newest first);
// empty if the request or the JSON failed.
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

}  // namespace testing
}  // namespace wiki

#endif  // WIKI_TESTS_ITEST_UTIL_H_
