// The front cache (fcgi-app/front_pages.h, nginx/wiki-site.conf): nginx
// answers GET/HEAD of the page and ?action=raw from the files the app
// publishes per revision, with the app's headers, validators and 304s, and a
// read that starts after an edit's acknowledgment never sees an older
// revision.
#include <doctest/doctest.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "coding.h"
#include "front_pages.h"
#include "front_record.h"
#include "http_client.h"
#include "itest_util.h"
#include "revision.h"
#include "stack.h"
#include "test_util.h"

namespace wiki {
namespace {

using testing::Put;
using testing::SendCoded;
using testing::ToId;

// Shedding off: in these tests any answer but the expected one is a
// failure, not overload.
std::unique_ptr<Stack> StartUnshed() {
  Stack::Options o;
  o.wiki_set = "server.shed_after_ms=0";
  return Stack::Start(o);
}

double RequestsAnswered(HttpClient& client, const Stack& s) {
  auto r = client.Get(s.BaseUrl() + "/metrics");
  REQUIRE(r.ok());
  double total = 0;
  size_t at = 0;
  const std::string key = "wiki_http_requests_total{";
  while ((at = r->body.find(key, at)) != std::string::npos) {
    size_t sp = r->body.find(' ', at);
    total += std::strtod(r->body.c_str() + sp + 1, nullptr);
    at = sp;
  }
  return total;
}

// Data dir on tmpfs when there is one: these tests are about ordering, and
// 500 edits with three fsyncs each would take minutes on a shared disk.
class ShmDir {
 public:
  ShmDir() {
    std::string tmpl =
        (std::filesystem::is_directory("/dev/shm") ? std::string("/dev/shm")
                                                   : std::string("/tmp")) +
        "/wiki-front-XXXXXX";
    REQUIRE(::mkdtemp(&tmpl[0]) != nullptr);
    path_ = tmpl;
    std::filesystem::permissions(path_, std::filesystem::perms(0755));
  }
  ~ShmDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST_CASE("front cache: nginx answers reads with the app's representation") {
  auto s = StartUnshed();
  REQUIRE(s);
  HttpClient client;
  const std::string url = s->ArticleUrl();
  // The app answers ?oldid=<current> itself, through the same code as the
  // current page: both must be byte- and header-identical.
  const uint64_t rev =
      ToId(SendCoded(client, "GET", url, "").Header("x-revision"));
  REQUIRE(rev > 0);
  const std::string oldid = "oldid=" + std::to_string(rev);
  for (const char* ae : {"", "gzip", "gzip, deflate, br"}) {
    for (const char* action : {"", "action=raw"}) {
      CAPTURE(ae);
      CAPTURE(action);
      const std::string q = *action ? std::string("?") + action : "";
      const std::string app_q =
          "?" + oldid + (*action ? std::string("&") + action : "");
      HttpResponse front = SendCoded(client, "GET", url + q, ae);
      HttpResponse app = SendCoded(client, "GET", url + app_q, ae);
      REQUIRE(front.status == 200);
      REQUIRE(app.status == 200);
      CHECK(front.body == app.body);
      for (const char* h :
           {"content-type", "etag", "x-revision", "last-modified",
            "x-fibonacci", "cache-control", "vary", "content-encoding",
            "content-security-policy", "x-content-type-options"}) {
        CAPTURE(h);
        CHECK(front.Header(h) == app.Header(h));
      }
      const std::string etag = front.Header("etag");
      HttpResponse head = SendCoded(client, "HEAD", url + q, ae);
      CHECK(head.status == 200);
      CHECK(head.body.empty());
      CHECK(head.Header("etag") == etag);
      CHECK(head.Header("content-length") == std::to_string(front.body.size()));
      // If-None-Match: weak comparison, lists, "*"; other tags get 200.
      const std::string weak = "W/" + etag;
      for (const std::string& inm :
           {etag, weak, "\"x\", " + etag, "\"x\"," + weak + ", \"y\"",
            std::string("*")}) {
        CAPTURE(inm);
        HttpResponse nm = SendCoded(client, "GET", url + q, ae, inm);
        CHECK(nm.status == 304);
        CHECK(nm.body.empty());
        CHECK(nm.Header("etag") == etag);
        CHECK(nm.Header("x-revision") == std::to_string(rev));
        CHECK(SendCoded(client, "HEAD", url + q, ae, inm).status == 304);
      }
      for (const std::string& inm :
           {std::string("\"x\""), etag.substr(0, etag.size() - 1) + "0\"",
            std::string("\"p") + std::to_string(rev + 1) + "\""}) {
        CAPTURE(inm);
        CHECK(SendCoded(client, "GET", url + q, ae, inm).status == 200);
      }
    }
  }
  // nginx and the app choose the same encoding (coding.h's rule).
  for (const char* ae : {"",
                         "gzip",
                         "GZIP",
                         "x-gzip",
                         "gzip;q=0",
                         "gzip; q=0.000",
                         "gzip;q=0.5",
                         "deflate, gzip",
                         "br, gzip;q=0",
                         "*",
                         "*;q=0",
                         "*;q=0, gzip",
                         "identity",
                         "gzip;q=0, *",
                         "deflate",
                         "br",
                         "BR",
                         "br;q=0",
                         "br;q=0, gzip",
                         "br; q=0.0, *",
                         "gzip;q=1, br;q=0.1",
                         "*;q=0, br",
                         "gzip, deflate, br, zstd",
                         "brotli",
                         "br;q=0, gzip;q=0, *"}) {
    CAPTURE(ae);
    const std::string expected = InfoOf(PreferredCoding(ae)).content_encoding;
    CHECK(SendCoded(client, "GET", url, ae).Header("content-encoding") ==
          expected);
    CHECK(SendCoded(client, "GET", url + "?" + oldid, ae)
              .Header("content-encoding") == expected);
    CHECK(SendCoded(client, "HEAD", url + "?action=raw", ae)
              .Header("content-encoding") == expected);
  }
  // The brotli bodies nginx sends decode to the identity bytes.
  for (const char* q : {"", "?action=raw"}) {
    HttpResponse br = SendCoded(client, "GET", url + q, "br");
    REQUIRE(br.Header("content-encoding") == "br");
    CHECK(testing::Unbrotli(br.body) ==
          SendCoded(client, "GET", url + q, "").body);
  }
  // Those reads did not reach the app: only the other URLs did.
  const double before = RequestsAnswered(client, *s);
  for (int i = 0; i < 40; ++i) {
    CHECK(SendCoded(client, i % 2 ? "GET" : "HEAD",
                    url + (i % 4 < 2 ? "" : "?action=raw"), i % 3 ? "gzip" : "")
              .status == 200);
  }
  CHECK(RequestsAnswered(client, *s) - before <= 2);  // the scrapes
  // Other URLs still reach the app; clients cannot ask for the files.
  CHECK(SendCoded(client, "GET", url + "?action=nonsense", "").status == 400);
  CHECK(
      SendCoded(client, "GET", s->BaseUrl() + "/pages/current/p", "").status ==
      404);
  CHECK(SendCoded(client, "GET", url + "/../x", "").status == 404);
  CHECK(s->Stop());
}

TEST_CASE("front cache: per-request massaging bypasses it") {
  Stack::Options o;
  o.wiki_set = "massage.mode=per-request server.shed_after_ms=0";
  o.workers = 1;
  auto s = Stack::Start(o);
  REQUIRE(s);
  HttpClient client;
  const double before = RequestsAnswered(client, *s);
  for (int i = 0; i < 3; ++i) {
    CHECK(SendCoded(client, "GET", s->ArticleUrl(), "").status == 200);
  }
  CHECK(RequestsAnswered(client, *s) - before >= 3);
  // nginx's fallback for a directory that vanished between the record's
  // reading and the open (pruned): the app answers. (This mode has no
  // backstop to repair the record meanwhile.)
  const std::string pages = s->cache_dir() + "/pages/";
  std::filesystem::create_directory(pages + "999-0000000000000000-1");
  REQUIRE(
      PublishFrontRecord(pages + "current.rec", "999-0000000000000000-1").ok());
  for (const char* q : {"", "?action=raw"}) {
    HttpResponse r = SendCoded(client, "GET", s->ArticleUrl() + q, "gzip");
    CHECK(r.status == 200);
    CHECK(ToId(r.Header("x-revision")) == 1);
    CHECK(r.Header("x-fibonacci") ==
          SendCoded(client, "GET", s->ArticleUrl() + "?oldid=1", "")
              .Header("x-fibonacci"));
  }
  CHECK(s->Stop());
}

TEST_CASE("front cache: a failed publish keeps the edit and reads current") {
  auto s = StartUnshed();
  REQUIRE(s);
  HttpClient client;
  const std::string url = s->ArticleUrl();
  HttpResponse raw = SendCoded(client, "GET", url + "?action=raw", "");
  const uint64_t rev = ToId(raw.Header("x-revision"));
  const std::string fib = raw.Header("x-fibonacci");
  const std::string text = raw.body + "<p>publish fails</p>\n";
  // A non-empty directory where this revision's directory must go: the
  // rename into place fails (ENOTEMPTY).
  RevisionMeta meta;
  meta.id = rev + 1;
  meta.hash = HashBytes(text);
  const std::string pages = s->cache_dir() + "/pages/";
  const std::string name =
      FrontPages::DirName(meta, std::strtoull(fib.c_str(), nullptr, 10));
  std::filesystem::create_directories(pages + name + "/blocker");

  auto put = Put(client, url, text, raw.Header("etag"));
  REQUIRE(put.ok());
  CHECK(put->status == 200);  // the edit is durable all the same
  for (const char* q : {"", "?action=raw"}) {
    for (const char* ae : {"", "gzip"}) {
      CHECK(ToId(SendCoded(client, "GET", url + q, ae).Header("x-revision")) ==
            rev + 1);
    }
  }
  auto m = client.Get(s->BaseUrl() + "/metrics");
  REQUIRE(m.ok());
  CHECK(m->body.find("wiki_front_publish_failures_total 0") ==
        std::string::npos);
  CHECK(testing::Slurp(s->run_dir() + "/fcgi-error.log")
            .find("front_cache: publishing (commit) failed") !=
        std::string::npos);
  // Once the obstacle is gone the backstop publishes it (within 0.5 s).
  // Moved away in one rename first: the backstop may rename a complete
  // directory over it the moment it is empty, under a remove_all.
  std::filesystem::rename(pages + name, s->cache_dir() + "/blocked-" + name);
  std::filesystem::remove_all(s->cache_dir() + "/blocked-" + name);
  std::string target;
  for (int i = 0; i < 40 && target != name; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    target = std::filesystem::read_symlink(pages + "current").string();
  }
  CHECK(target == name);
  CHECK(*ReadFrontRecord(pages + "current.rec") == name);  // what nginx reads
  CHECK(ToId(SendCoded(client, "GET", url, "").Header("x-revision")) ==
        rev + 1);
  CHECK(s->Stop());
}

// The record nginx reads (front_record.h) broken by hand: nginx never maps
// a short one (reads go to the app meanwhile, and no nginx worker dies of
// SIGBUS), and a record deleted and created anew by the next publish is
// followed within a second (nginx/wiki_front.lua maps the path afresh).
TEST_CASE("front cache: a record shortened or deleted by hand is followed") {
  auto s = StartUnshed();
  REQUIRE(s);
  HttpClient client;
  const std::string url = s->ArticleUrl();
  const std::string rec = s->cache_dir() + "/pages/current.rec";
  auto revision_read = [&](const char* query, const char* coding) {
    return ToId(
        SendCoded(client, "GET", url + query, coding).Header("x-revision"));
  };
  auto edit = [&] {
    HttpResponse raw = SendCoded(client, "GET", url + "?action=raw", "");
    auto put = Put(client, url, raw.body + "<p>x</p>\n", raw.Header("etag"));
    REQUIRE(put.ok());
    REQUIRE(put->status == 200);
    return ToId(put->Header("x-revision"));
  };
  const uint64_t first = edit();

  // Shortened: replaced by 100 bytes that start like a record.
  std::string shortened(100, '\0');
  shortened.replace(0, 8, "wikifr01");
  testing::Spit(rec + ".tmp", shortened);
  std::filesystem::rename(rec + ".tmp", rec);
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  CHECK(revision_read("", "") == first);  // from the app
  const uint64_t second = edit();         // the publish replaces the record
  CHECK(std::filesystem::file_size(rec) == kFrontRecordBytes);
  for (const char* q : {"", "?action=raw"}) {
    for (const char* ae : {"", "gzip", "br"}) {
      CHECK(revision_read(q, ae) == second);
    }
  }

  // Deleted: the next publish creates another file; nginx, still mapping
  // the deleted one, must move to it within a second.
  std::filesystem::remove(rec);
  const uint64_t third = edit();
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  for (const char* q : {"", "?action=raw"}) {
    for (const char* ae : {"", "gzip", "br"}) {
      CHECK(revision_read(q, ae) == third);
    }
  }
  CHECK(s->Stop());  // no nginx worker died (its log has no alert)
}

// The rule: a read that starts after an edit's acknowledgment returns that
// revision or a later one, for every representation and conditional form.
TEST_CASE("front cache: no read after an acknowledgment sees an older one") {
  ShmDir data;
  Stack::Options o;
  o.wiki_set = "server.shed_after_ms=0";
  o.data_dir = data.path();
  auto s = Stack::Start(o);
  REQUIRE(s);
  const std::string url = s->ArticleUrl();
  constexpr int kEdits = 500;
  constexpr int kReaders = 4;

  std::atomic<uint64_t> acked{0};  // highest acknowledged revision
  std::atomic<bool> done{false};
  std::mutex mu;
  std::map<uint64_t, std::string> texts;  // revision -> raw bytes
  std::atomic<long> reads{0}, violations{0}, mismatches{0}, errors{0};
  auto raise_acked = [&](uint64_t rev) {
    uint64_t seen = acked.load();
    while (seen < rev && !acked.compare_exchange_weak(seen, rev)) {
    }
  };

  static const char* const kAccept[] = {"", "gzip", "gzip, deflate, br"};
  std::atomic<long> encoded[3] = {{0}, {0}, {0}};  // 200s per coding
  auto reader = [&](int seed) {
    HttpClient client;
    std::mt19937 rng(seed);
    std::string last_etag;
    while (!done.load()) {
      const bool raw = rng() % 2;
      const int coding = rng() % 3;         // identity, gzip, brotli
      const int form = rng() % 3;           // GET, HEAD, conditional GET
      const uint64_t floor = acked.load();  // acknowledged before we start
      HttpResponse r = SendCoded(client, form == 1 ? "HEAD" : "GET",
                                 url + (raw ? "?action=raw" : ""),
                                 kAccept[coding], form == 2 ? last_etag : "");
      ++reads;
      if (r.status != 200 && r.status != 304) {
        ++errors;
        continue;
      }
      const uint64_t rev = ToId(r.Header("x-revision"));
      if (rev < floor) {
        ++violations;
        std::fprintf(stderr, "stale: revision %llu after ack of %llu\n",
                     static_cast<unsigned long long>(rev),
                     static_cast<unsigned long long>(floor));
      }
      if (form == 2) last_etag.clear();
      const std::string ce = r.Header("content-encoding");
      if (r.status == 200 && ce != InfoOf(coding == 2   ? Coding::kBrotli
                                          : coding == 1 ? Coding::kGzip
                                                        : Coding::kIdentity)
                                       .content_encoding) {
        ++mismatches;
      }
      if (r.status == 200) ++encoded[coding];
      if (r.status == 200 && form == 0) {
        last_etag = r.Header("etag");
        if (raw) {
          const std::string body = coding == 1   ? testing::Gunzip(r.body)
                                   : coding == 2 ? testing::Unbrotli(r.body)
                                                 : r.body;
          std::lock_guard<std::mutex> g(mu);
          auto it = texts.find(rev);
          if (it != texts.end() && it->second != body) ++mismatches;
        }
      }
    }
  };

  // Three lines; one editor PUTs the first, the other posts forms changing
  // the third from a (usually stale) base, which then merges.
  auto lines = [](const std::string& a, const std::string& c) {
    return "<p>" + a + "</p>\n<p>between</p>\n<p>" + c + "</p>\n";
  };
  auto line = [](const std::string& text, int n) {
    size_t at = 0;
    for (int i = 0; i < n; ++i) at = text.find('\n', at) + 1;
    return text.substr(at + 3, text.find("</p>", at) - at - 3);
  };
  std::atomic<int> acks{0}, merged{0};
  auto put_editor = [&]() {
    HttpClient client;
    std::string etag, text;
    for (int i = 0; acks.load() < kEdits; ++i) {
      if (etag.empty()) {
        auto cur = client.Get(url + "?action=raw");
        REQUIRE(cur.ok());
        etag = cur->Header("etag");
        text = cur->body;
      }
      const std::string next = lines("a " + std::to_string(i), line(text, 2));
      auto r = Put(client, url, next, etag);
      if (r.ok() && r->status == 412) {
        etag.clear();
        continue;
      }
      if (!r.ok() || r->status != 200) {
        ++errors;
        break;
      }
      const uint64_t rev = ToId(r->Header("x-revision"));
      {
        std::lock_guard<std::mutex> g(mu);
        texts[rev] = next;
      }
      raise_acked(rev);
      ++acks;
      etag = r->Header("etag");
      text = next;
    }
  };
  auto post_editor = [&]() {
    HttpClient client;
    uint64_t base = 0;
    std::string text;
    for (int j = 0; acks.load() < kEdits; ++j) {
      if (base == 0 || j % 3 == 0) {
        auto cur = client.Get(url + "?action=raw");
        REQUIRE(cur.ok());
        base = ToId(cur->Header("x-revision"));
        text = cur->body;
      }
      auto r = client.PostForm(
          url, {{"text", lines(line(text, 0), "c " + std::to_string(j))},
                {"base_revision", std::to_string(base)}});
      if (r.ok() && r->status == 409) {
        base = 0;
        continue;
      }
      if (!r.ok() || r->status != 303) {
        ++errors;
        break;
      }
      raise_acked(ToId(r->Header("x-revision")));
      ++acks;
      if (r->Header("x-merged") == "1") ++merged;
    }
  };
  {
    HttpClient client;
    auto cur = client.Get(url + "?action=raw");
    REQUIRE(cur.ok());
    auto r = Put(client, url, lines("a", "c"), cur->Header("etag"));
    REQUIRE(r.ok());
    REQUIRE(r->status == 200);
  }

  std::vector<std::thread> threads;
  for (int i = 0; i < kReaders; ++i) threads.emplace_back(reader, i + 1);
  const auto start = std::chrono::steady_clock::now();
  std::thread ed1(put_editor), ed2(post_editor);
  ed1.join();
  ed2.join();
  done = true;
  for (auto& t : threads) t.join();
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  MESSAGE(reads.load() << " reads during " << acks.load() << " edits ("
                       << merged.load() << " merged) in " << secs << " s");
  CHECK(acks.load() >= kEdits);
  CHECK(merged.load() > 0);
  CHECK(violations.load() == 0);
  CHECK(mismatches.load() == 0);
  CHECK(errors.load() == 0);
  CHECK(reads.load() > kEdits);
  MESSAGE("200s: identity " << encoded[0].load() << ", gzip "
                            << encoded[1].load() << ", brotli "
                            << encoded[2].load());
  for (const auto& n : encoded) CHECK(n.load() > 0);
  CHECK(s->Stop());
}

}  // namespace
}  // namespace wiki
