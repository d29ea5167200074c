// Integration tests of the defences against hostile editors (README,
// "Security"), through the real nginx and workers: strict PUT
// preconditions, cross-site form posts, forged authors, per-address limits.
// The rules themselves are unit-tested row by row (handler_test.cc,
// http_test.cc, edit_test.cc); these prove nginx passes what the app needs.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "fault.h"
#include "http_client.h"
#include "itest_util.h"
#include "slow_clients.h"
#include "stack.h"
#include "test_util.h"

namespace wiki {
namespace {

using namespace wiki::testing;  // NOLINT(build/namespaces): test helpers

Stack& SecurityStack() {
  static std::unique_ptr<Stack> stack = StartStack(kNoShed);
  REQUIRE_MESSAGE(stack != nullptr, "the security stack did not start");
  return *stack;
}

std::string Host(const Stack& s) {
  return "127.0.0.1:" + std::to_string(s.port());
}

HttpResponse PostAs(const Stack& s, const Snapshot& before,
                    const std::string& text, Headers headers) {
  return Post(s.ArticleUrl(), kUrlEncoded,
              UrlEncoded({{"text", text},
                          {"base_revision", std::to_string(before.revision)}}),
              std::move(headers));
}

TEST_CASE("security: PUT needs a real ETag and a UTF-8 text/html body") {
  Stack& s = SecurityStack();
  struct Row {
    const char* name;
    const char* content_type;  // "" = none at all
    const char* if_match;      // "@" = the current raw ETag
    int status;
  };
  const Row rows[] = {
      {"If-Match: *", kHtml, "*", 428},
      {"* in a list", kHtml, "\"x\", *", 428},
      {"no Content-Type", "", "@", 415},
      {"charset=iso-8859-1", "text/html; charset=iso-8859-1", "@", 415},
      {"charset=utf-16", "text/html;charset=UTF-16", "@", 415},
  };
  for (const Row& row : rows) {
    SUBCASE(row.name) {
      const Snapshot before = Snap(s);
      const std::string tag =
          std::string(row.if_match) == "@" ? before.etag : row.if_match;
      HttpResponse r =
          Send("PUT", s.ArticleUrl(),
               {{"Content-Type", row.content_type}, {"If-Match", tag}},
               WithParagraph(before.raw, Marker("no")));
      CHECK(r.status == row.status);
      CHECK(r.Header("content-type").rfind("text/plain", 0) == 0);
      CHECK(!Trim(r.body).empty());
      CheckUnchanged(s, before);
    }
  }
  SUBCASE("text/html without a charset is UTF-8 and accepted") {
    const Snapshot before = Snap(s);
    HttpResponse r = Put(s.ArticleUrl(), WithParagraph(before.raw, "plain"),
                         before.etag, "text/html");
    CHECK(r.status == 200);
    CHECK(Snap(s).revision == before.revision + 1);
  }
}

TEST_CASE("security: cross-site form posts get 403; same-site and curl pass") {
  Stack& s = SecurityStack();
  const std::string self = "http://" + Host(s);
  struct Row {
    const char* name;
    std::string origin;  // "" = not sent
    const char* site;    // "" = not sent
    int status;
  };
  const std::vector<Row> rows = {
      {"Origin of another site", "https://evil.example", "", 403},
      {"Sec-Fetch-Site: cross-site", "", "cross-site", 403},
      {"both", "https://evil.example", "cross-site", 403},
      {"Origin: null", "null", "", 403},
      {"another port of this host", "http://127.0.0.1:1", "same-site", 403},
      {"this site", self, "same-origin", 303},
      {"no Origin (curl)", "", "", 303},
  };
  for (const Row& row : rows) {
    SUBCASE(row.name) {
      const Snapshot before = Snap(s);
      Headers headers;
      if (!row.origin.empty()) headers.emplace_back("Origin", row.origin);
      if (*row.site) headers.emplace_back("Sec-Fetch-Site", row.site);
      HttpResponse r =
          PostAs(s, before, WithParagraph(before.raw, "x-site"), headers);
      CHECK(r.status == row.status);
      if (row.status == 403) {
        CHECK(r.Header("content-type").rfind("text/plain", 0) == 0);
        CHECK(Contains(r.body, "Cross-site"));
        CheckUnchanged(s, before);
      } else {
        CHECK(Snap(s).revision == before.revision + 1);
      }
    }
  }
  SUBCASE("the MediaWiki API's edits obey the same rule") {
    const Snapshot before = Snap(s);
    const std::string body =
        "action=edit&format=json&title=Latest_plane_crash"
        "&text=%3Cp%3Ex%3C%2Fp%3E&baserevid=" +
        std::to_string(before.revision) + "&token=%2B%5C";
    HttpResponse r = Post(s.BaseUrl() + "/w/api.php", kUrlEncoded, body,
                          {{"Origin", "https://evil.example"}});
    CHECK(r.status == 403);
    CheckUnchanged(s, before);
  }
  SUBCASE("a cross-site post with a broken body is still 403") {
    const Snapshot before = Snap(s);
    HttpResponse r = Post(s.ArticleUrl(), kUrlEncoded, "text=%zz",
                          {{"Origin", "https://evil.example"}});
    CHECK(r.status == 403);
    CheckUnchanged(s, before);
  }
}

// The author of the newest revision, from the history JSON.
std::string NewestAuthor(const Stack& s) {
  HttpResponse r = Get(s.ArticleUrl() + "?action=history&format=json");
  REQUIRE(r.status == 200);
  auto doc = nlohmann::json::parse(r.body);
  REQUIRE(!doc["revisions"].empty());
  return doc["revisions"][0].value("author", std::string());
}

// "user:$apr1$..." from `openssl passwd -apr1`.
std::string HtpasswdLine(const std::string& user, const std::string& pass) {
  FILE* p = ::popen(("openssl passwd -apr1 '" + pass + "'").c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[256] = {};
  const bool got = std::fgets(buf, sizeof buf, p) != nullptr;
  ::pclose(p);
  REQUIRE(got);
  return user + ":" + Trim(buf) + "\n";
}

TEST_CASE("security: without EDITOR_AUTH a Basic header names no author") {
  Stack& s = SecurityStack();
  const Snapshot before = Snap(s);
  // base64("mallory:x")
  HttpResponse r = Send("PUT", s.ArticleUrl(),
                        {{"Content-Type", kHtml},
                         {"If-Match", before.etag},
                         {"Authorization", "Basic bWFsbG9yeTp4"}},
                        WithParagraph(before.raw, "forged"));
  REQUIRE(r.status == 200);
  CHECK(NewestAuthor(s) == "127.0.0.1");
}

TEST_CASE("security: with EDITOR_AUTH writes need a checked name, the author") {
  testing::TempDir dir("wiki-editor-auth");
  const std::string long_user(70, 'l');
  const std::string htpasswd = dir / "editors.htpasswd";
  {
    std::ofstream f(htpasswd);
    f << HtpasswdLine("alice", "secret") << HtpasswdLine(long_user, "secret");
  }
  REQUIRE(::chmod(dir.path().c_str(), 0755) == 0);
  REQUIRE(::chmod(htpasswd.c_str(), 0644) == 0);
  Stack::Options options;
  options.wiki_set = kNoShed;
  options.env["EDITOR_AUTH"] = htpasswd;
  std::unique_ptr<Stack> s = Stack::Start(options);
  REQUIRE(s != nullptr);

  const Snapshot before = Snap(*s);
  const std::string text = WithParagraph(before.raw, "by alice");
  auto put = [&](const std::string& auth) {
    Headers h = {{"Content-Type", kHtml}, {"If-Match", Snap(*s).etag}};
    if (!auth.empty()) h.emplace_back("Authorization", "Basic " + auth);
    return Send("PUT", s->ArticleUrl(), h, text);
  };
  // One stack, so the cases run in sequence rather than as SUBCASEs.
  CHECK(Get(s->ArticleUrl()).status == 200);  // reads need nothing
  {  // no credentials, a wrong password: 401, nothing saved
    for (const char* auth : {"", "YWxpY2U6d3Jvbmc="}) {  // -, alice:wrong
      CAPTURE(auth);
      HttpResponse r = put(auth);
      CHECK(r.status == 401);
      // A short plain text like nginx's other answers, and the challenge
      // a client needs to answer it.
      CHECK(r.Header("www-authenticate") == "Basic realm=\"Editors\"");
      CHECK(r.Header("content-type").rfind("text/plain", 0) == 0);
      CHECK(Contains(r.body, "name and password"));
      CHECK(r.body.size() < 100);
      CHECK(!Contains(r.body, "<html"));
    }
    HttpResponse post =
        Post(s->ArticleUrl(), kUrlEncoded,
             UrlEncoded({{"text", text}, {"base_revision", "1"}}));
    CHECK(post.status == 401);
    CheckUnchanged(*s, before);
  }
  {  // alice:secret saves as alice
    HttpResponse r = put("YWxpY2U6c2VjcmV0");
    CHECK(r.status == 200);
    CHECK(NewestAuthor(*s) == "alice");
  }
  {  // a checked name over 64 bytes is refused
    const Snapshot mid = Snap(*s);
    const std::string cred = long_user + ":secret";
    // base64 of the credentials, by hand: the test has no base64 helper.
    static const char* k =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string b64;
    for (size_t i = 0; i < cred.size(); i += 3) {
      const unsigned n =
          (static_cast<unsigned char>(cred[i]) << 16) |
          (i + 1 < cred.size() ? static_cast<unsigned char>(cred[i + 1]) << 8
                               : 0) |
          (i + 2 < cred.size() ? static_cast<unsigned char>(cred[i + 2]) : 0);
      b64 += k[(n >> 18) & 63];
      b64 += k[(n >> 12) & 63];
      b64 += i + 1 < cred.size() ? k[(n >> 6) & 63] : '=';
      b64 += i + 2 < cred.size() ? k[n & 63] : '=';
    }
    HttpResponse r = put(b64);
    CHECK(r.status == 400);
    CHECK(Contains(r.body, "64 bytes"));
    CheckUnchanged(*s, mid);
  }
  CHECK(s->Stop());
}

// A PUT without If-Match (428 from the app: cheap, changes nothing), on a
// connection of its own from `source_ip`.
RawResponse CheapWrite(const Stack& s, const std::string& source_ip) {
  return RawExchange(s,
                     RawRequest("PUT", kPath,
                                "Content-Type: text/html\r\n"
                                "Content-Length: 9\r\n") +
                         "<p>x</p>\n",
                     source_ip);
}

TEST_CASE("security: writes are rate-limited per address, loopback is not") {
  Stack& s = SecurityStack();
  const Snapshot before = Snap(s);
  // 40 writes in a burst: far over 2/s with a burst of 10, whatever the
  // machine's speed (each takes milliseconds).
  int limited = 0, other = 0;
  for (int i = 0; i < 40; ++i) {
    RawResponse r = CheapWrite(s, "127.0.0.2");
    if (r.status == 429) {
      ++limited;
      CHECK(Contains(r.head, "Retry-After: 1"));
      CHECK(Contains(r.head, "Content-Type: text/plain"));
      CHECK(Contains(r.body, "Too many requests"));
    } else {
      CHECK(r.status == 428);
      ++other;
    }
  }
  CHECK(limited >= 20);
  CHECK(other >= 1);
  // Reads from the limited address are not counted as writes.
  CHECK(RawExchange(s, RawRequest("GET", kPath), "127.0.0.2").status == 200);
  // 127.0.0.1 (storms, benchmarks) is never throttled.
  for (int i = 0; i < 40; ++i) {
    CHECK(CheapWrite(s, "127.0.0.1").status == 428);
  }
  CheckUnchanged(s, before);
}

TEST_CASE("security: nginx's own answers are short plain texts") {
  Stack& s = SecurityStack();
  struct Row {
    const char* name;
    std::string request;
    int status;
  };
  const std::vector<Row> rows = {
      {"unknown path", RawRequest("GET", "/nope"), 404},
      {"URI too long", RawRequest("GET", "/wiki/" + std::string(9000, 'a')),
       414},
      {"malformed request", "GET / HTTP/1.1\r\nHost: a\r\nBad Header\r\n\r\n",
       400},
      {"a header line over 8k",
       RawRequest("GET", kPath, "X-Big: " + std::string(9000, 'b') + "\r\n"),
       400},
  };
  for (const Row& row : rows) {
    SUBCASE(row.name) {
      RawResponse r = RawExchange(s, row.request);
      CHECK(r.status == row.status);
      CHECK(Contains(r.head, "Content-Type: text/plain"));
      CHECK(r.body.size() < 100);
      CHECK(!Contains(r.body, "<html"));
    }
  }
  SUBCASE("the / redirect is relative: no Host echo") {
    RawResponse r = RawExchange(
        s, "GET / HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n");
    CHECK(r.status == 302);
    CHECK(Contains(r.head, std::string("Location: ") + kPath + "\r\n"));
    CHECK(!Contains(r.head, "evil.example"));
  }
}

TEST_CASE("security: one CSP without 'unsafe-inline'; the style is a file") {
  Stack& s = SecurityStack();
  HttpResponse page = Get(s.ArticleUrl());  // nginx's front cache
  HttpResponse history = Get(s.ArticleUrl() + "?action=history");  // the app
  REQUIRE(page.status == 200);
  REQUIRE(history.status == 200);
  CheckArticleHtmlHeaders(page);
  CheckArticleHtmlHeaders(history);
  CHECK(page.Header("content-security-policy") ==
        history.Header("content-security-policy"));
  CHECK(!Contains(page.body, "<style"));
  CHECK(Contains(page.body, "href=\"/_wiki/style.css\""));
  HttpResponse css = Get(s.BaseUrl() + "/_wiki/style.css");
  CHECK(css.status == 200);
  CHECK(css.Header("content-type").rfind("text/css", 0) == 0);
  CHECK(Contains(css.body, "body{"));
}

bool SendAll(int fd, const std::string& bytes) {
  for (size_t sent = 0; sent < bytes.size();) {
    ssize_t n =
        ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

// Waits (at most `seconds`) until the file holds `needle` past its first
// `from` bytes.
bool AwaitInFile(const std::string& path, const std::string& needle,
                 int seconds, size_t from = 0) {
  const auto until =
      std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  for (;;) {
    const std::string text = Slurp(path);
    if (text.size() > from && Contains(text.substr(from), needle)) break;
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

TEST_CASE("security: an edit whose client hangs up stops, and is not saved") {
  // The worker is held for 2 s once the edit's body is in (the test hook
  // of fault.h), long enough for the client's hang-up to reach it through
  // nginx; without the checkpoints the edit would be saved after the wait.
  testing::TempDir dir("wiki-hangup");
  const std::string arm = dir / "arm";
  Stack::Options options;
  options.wiki_set = kNoShed;
  options.env["WIKI_FAULT"] =
      std::string("delay-after:") + kFaultEditReceived + ":2000:" + arm;
  std::unique_ptr<Stack> s = Stack::Start(options);
  REQUIRE(s != nullptr);
  const std::string abandoned = "wiki_edits_total{outcome=\"abandoned\"}";
  const double abandoned_before = Metric(ScrapeMetrics(*s), abandoned);
  const Snapshot before = Snap(*s);

  for (const char* method : {"PUT", "POST"}) {
    CAPTURE(method);
    const Snapshot now = Snap(*s);
    const std::string text = WithParagraph(now.raw, Marker("hung up"));
    const bool put = std::string(method) == "PUT";
    const std::string body =
        put ? text
            : UrlEncoded({{"text", text},
                          {"base_revision", std::to_string(now.revision)}});
    const std::string head =
        put ? "Content-Type: text/html\r\nIf-Match: " + now.etag + "\r\n"
            : std::string("Content-Type: ") + kUrlEncoded + "\r\n";
    const std::string log = s->run_dir() + "/fcgi-error.log";
    const size_t log_from = Slurp(log).size();
    { std::ofstream(arm) << "armed\n"; }
    // The whole request (small enough for nginx to hand on at once), then
    // the client hangs up without reading anything.
    const int fd = ConnectFrom(*s, "");
    REQUIRE(fd >= 0);
    CHECK(SendAll(fd, RawRequest(method, kPath,
                                 head + "Content-Length: " +
                                     std::to_string(body.size()) + "\r\n") +
                          body));
    ::close(fd);
    // The edit reached a worker with its whole body ...
    REQUIRE(AwaitInFile(log, "delayed after edit-received", 20, log_from));
    // ... which stopped at the checkpoint after the hook, instead of saving.
    CHECK(AwaitInFile(log,
                      put ? "the client hung up; stopped before its checks"
                          : "the client hung up; stopped before decoding",
                      20, log_from));
    CheckUnchanged(*s, before);
  }
  CHECK(Metric(ScrapeMetrics(*s), abandoned) == abandoned_before + 2);
  CHECK(Snap(*s).revision == before.revision);
  // nginx logged its own 499 for each.
  CHECK(AwaitInFile(s->run_dir() + "/access.log", "\" 499 ", 5));
  CHECK(s->Stop());
}

// Reads the page (nginx's front cache) and the history (the app) from
// 127.0.0.1 in a loop until told to stop, counting answers by status.
class Reader {
 public:
  explicit Reader(const std::string& url)
      : thread_([this, url] {
          HttpClient client;
          client.set_timeout_ms(10000);
          for (int i = 0; !stop_.load(); ++i) {
            auto r = client.Get(i % 2 ? url : url + "?action=history");
            ++(r.ok() && r->status == 200 ? ok_ : failed_);
          }
        }) {}
  ~Reader() { Stop(); }
  void Stop() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
  }
  int ok() const { return ok_.load(); }
  int failed() const { return failed_.load(); }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<int> ok_{0}, failed_{0};
  std::thread thread_;
};

TEST_CASE("security: 200 slow-header connections from one address") {
  Stack& s = SecurityStack();
  const std::string access_log = s.run_dir() + "/access.log";
  const size_t log_from = Slurp(access_log).size();
  Reader reader(s.ArticleUrl());
  // 200 connections from 127.0.0.2 that never finish their headers. nginx
  // counts a connection for limit_conn only once its headers are in, so
  // these are not refused: client_header_timeout (10 s, from the accept,
  // however the bytes dribble in) ends each one, silently (logged as 408).
  SlowClients slow_headers(PortOf(s), "127.0.0.2", kPath,
                           SlowClients::Mode::kHeader);
  CHECK(slow_headers.Open(200) == 200);
  slow_headers.Poll(500);
  // A complete request from the same address is served meanwhile.
  CHECK(RawExchange(s, RawRequest("GET", kPath), "127.0.0.2").status == 200);
  // Meanwhile, 80 stalled bodies from the same address: their headers are
  // in, so limit_conn counts them: 64 wait for their body (until
  // client_body_timeout), the other 16 get 429 at once. The 200 slow
  // headers beside them use none of the 64.
  SlowClients slow_bodies(PortOf(s), "127.0.0.2",
                          std::string(kPath) + "?action=history",
                          SlowClients::Mode::kBody);
  CHECK(slow_bodies.Open(80) == 80);

  // Generous bounds: the timeouts are 10 s; this only ends the test if
  // nginx never closes them.
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(60);
  CHECK(slow_bodies.RunUntilClosed(deadline) == 0);
  CHECK(slow_headers.RunUntilClosed(deadline) == 0);
  reader.Stop();

  CHECK(slow_headers.closed_silently() == 200);
  CHECK(slow_headers.answered_any() == 0);
  CHECK(slow_bodies.answered("HTTP/1.1 429") == 16);
  CHECK(slow_bodies.closed_silently() == 64);
  // The reader on 127.0.0.1 (exempt) was never refused or failed.
  CHECK(reader.failed() == 0);
  CHECK(reader.ok() >= 10);
  // nginx logs each timed-out connection as a 408 from 127.0.0.2.
  auto count_408 = [&] {
    const std::string log = Slurp(access_log).substr(log_from);
    int n = 0;
    for (size_t at = 0; (at = log.find("127.0.0.2 ", at)) != std::string::npos;
         ++at) {
      const size_t eol = log.find('\n', at);
      if (log.substr(at, eol - at).find("\" 408 ") != std::string::npos) ++n;
    }
    return n;
  };
  const auto log_deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (count_408() < 264 && std::chrono::steady_clock::now() < log_deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  CHECK(count_408() == 264);
}

// The pids of the processes whose parent is `parent`.
std::set<pid_t> ChildrenOf(pid_t parent) {
  std::set<pid_t> out;
  FILE* p = ::popen(("pgrep -P " + std::to_string(parent)).c_str(), "r");
  REQUIRE(p != nullptr);
  int pid = 0;
  while (std::fscanf(p, "%d", &pid) == 1) out.insert(pid);
  ::pclose(p);
  return out;
}

TEST_CASE("security: /metrics stays loopback-only behind a trusted proxy") {
  Stack& s = SecurityStack();
  // README's reverse-proxy block, with 127.0.0.3 as the trusted proxy,
  // then a graceful reload: wait until every old nginx worker is gone.
  const std::string site = s.run_dir() + "/wiki-site.conf";
  std::string conf = ReadFile(site);
  const std::string anchor = "    server_name  _;\n";
  REQUIRE(Contains(conf, anchor));
  conf.replace(conf.find(anchor), anchor.size(),
               anchor +
                   "    set_real_ip_from  127.0.0.3;\n"
                   "    real_ip_header    X-Forwarded-For;\n"
                   "    real_ip_recursive on;\n");
  { std::ofstream(site) << conf; }
  const pid_t master =
      static_cast<pid_t>(ToLong(Trim(ReadFile(s.run_dir() + "/nginx.pid"))));
  REQUIRE(master > 0);
  const std::set<pid_t> old_workers = ChildrenOf(master);
  REQUIRE(::kill(master, SIGHUP) == 0);
  const auto until =
      std::chrono::steady_clock::now() + std::chrono::seconds(20);
  for (bool replaced = false; !replaced;) {
    REQUIRE(std::chrono::steady_clock::now() < until);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const std::set<pid_t> now = ChildrenOf(master);
    replaced = !now.empty();
    for (pid_t p : now) replaced = replaced && old_workers.count(p) == 0;
  }
  auto metrics = [&](const std::string& from, const std::string& xff) {
    return RawExchange(
               s,
               RawRequest(
                   "GET", "/metrics",
                   xff.empty() ? "" : "X-Forwarded-For: " + xff + "\r\n"),
               from)
        .status;
  };
  // The proxy appends the address it saw: a client's own "127.0.0.1"
  // stays in front of it and is not believed.
  CHECK(metrics("127.0.0.3", "203.0.113.9") == 403);
  CHECK(metrics("127.0.0.3", "127.0.0.1, 203.0.113.9") == 403);
  CHECK(metrics("127.0.0.3", "") == 403);  // the proxy host itself
  // Anyone else's header is ignored.
  CHECK(metrics("127.0.0.2", "127.0.0.1") == 403);
  // The host's own scrapes still work, header or not.
  CHECK(metrics("127.0.0.1", "") == 200);
  CHECK(metrics("127.0.0.1", "203.0.113.9") == 200);
}

TEST_CASE("security: the stack stops clean") { CHECK(SecurityStack().Stop()); }

}  // namespace
}  // namespace wiki
