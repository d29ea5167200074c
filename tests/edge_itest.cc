// Edge caches (nginx/edge-site.conf, conf/wikiedge, fcgi-app/edge_fanout.h):
// the origin stack plus two edge nginx processes on other loopback ports.
// After every acknowledged edit both edges serve the new revision in every
// representation and conditional form; with the origin stopped they serve
// the last revision and refuse edits with 503; the origin is asked a few
// times per revision per edge, not per read.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "edge_fanout.h"
#include "http_client.h"
#include "itest_util.h"
#include "stack.h"
#include "test_util.h"

namespace wiki {
namespace {

using testing::Put;
using testing::SendCoded;
using testing::ToId;

// One conf/wikiedge (an nginx) in its own process group and temporary
// directory; stopped and removed by the destructor.
class EdgeProc {
 public:
  static std::unique_ptr<EdgeProc> Start(int port, int origin_port) {
    std::unique_ptr<EdgeProc> e(new EdgeProc());
    char tmpl[] = "/tmp/wiki-edge-itest-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) return nullptr;
    e->run_dir_ = tmpl;
    e->port_ = port;
    const std::string log = e->run_dir_ + "/edge.log";
    pid_t pid = ::fork();
    if (pid < 0) return nullptr;
    if (pid == 0) {
      ::setpgid(0, 0);
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);
      int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
        ::close(fd);
      }
      ::setenv("PORT", std::to_string(port).c_str(), 1);
      ::setenv("RUN_DIR", e->run_dir_.c_str(), 1);
      ::setenv("ORIGIN", ("127.0.0.1:" + std::to_string(origin_port)).c_str(),
               1);
      ::execl("/bin/bash", "bash", "conf/wikiedge", "run",
              static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::setpgid(pid, pid);
    e->pid_ = pid;
    for (int i = 0; i < 400; ++i) {
      int status = 0;
      if (::waitpid(pid, &status, WNOHANG) == pid) {
        e->pid_ = -1;
        break;
      }
      if (testing::Slurp(log).find("wikiedge: serving") != std::string::npos)
        return e;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    std::fprintf(stderr, "edge did not come up:\n%s\n",
                 testing::Slurp(log).c_str());
    return nullptr;
  }

  ~EdgeProc() {
    Stop();
    std::string cmd = "rm -rf '" + run_dir_ + "'";
    if (!run_dir_.empty() && std::system(cmd.c_str()) != 0)
      std::fprintf(stderr, "could not remove %s\n", run_dir_.c_str());
  }

  // SIGTERM to the launcher (which stops nginx); SIGKILL to the group after
  // 10 s. True if it exited by itself, with status 0, leaving nothing.
  bool Stop() {
    if (pid_ <= 0) return false;
    ::kill(pid_, SIGTERM);
    int status = 0;
    bool exited = false;
    for (int i = 0; i < 500 && !exited; ++i) {
      exited = ::waitpid(pid_, &status, WNOHANG) == pid_;
      if (!exited) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (!exited) {
      ::kill(-pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
    }
    bool empty = false;
    for (int i = 0; i < 100 && !empty; ++i) {
      empty = ::kill(-pid_, 0) != 0 && errno == ESRCH;
      if (!empty) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (!empty) ::kill(-pid_, SIGKILL);
    pid_ = -1;
    return exited && WIFEXITED(status) && WEXITSTATUS(status) == 0 && empty;
  }

  std::string ArticleUrl() const {
    return "http://127.0.0.1:" + std::to_string(port_) +
           "/wiki/Latest_plane_crash";
  }
  // Requests this edge made to the origin (its fetch hop's log), all or
  // those answered with `status` (200: refreshes and passed-through
  // changes; 304: revalidations).
  long OriginFetches(int status = 0) const {
    const std::string log = testing::Slurp(run_dir_ + "/origin-fetch.log");
    const std::string mark = "\" " + std::to_string(status) + " ";
    long n = 0;
    size_t at = 0;
    while (at < log.size()) {
      size_t eol = log.find('\n', at);
      if (eol == std::string::npos) eol = log.size();
      const std::string line = log.substr(at, eol - at);
      at = eol + 1;
      n += status == 0 || line.find(mark) != std::string::npos;
    }
    return n;
  }
  // Serious lines of nginx's error log, except failed connections to the
  // origin once `origin_down` (the test stopped it).
  std::vector<std::string> ErrorLines(bool origin_down) const {
    std::vector<std::string> out;
    const std::string text = testing::Slurp(run_dir_ + "/nginx-error.log");
    size_t at = 0;
    while (at < text.size()) {
      size_t eol = text.find('\n', at);
      if (eol == std::string::npos) eol = text.size();
      const std::string line = text.substr(at, eol - at);
      at = eol + 1;
      const bool serious = line.find("[error]") != std::string::npos ||
                           line.find("[crit]") != std::string::npos ||
                           line.find("[alert]") != std::string::npos ||
                           line.find("[emerg]") != std::string::npos;
      if (serious && !(origin_down &&
                       line.find("connect() failed (111") != std::string::npos))
        out.push_back(line);
    }
    return out;
  }

 private:
  EdgeProc() = default;
  pid_t pid_ = -1;
  int port_ = 0;
  std::string run_dir_;
};

// What readers ask the edges for, and the coding they must get (the
// origin's rule, fcgi-app/coding.cc: br, else gzip, else identity; q=0
// refuses). Written out here rather than taken from the fan-out's table
// (kEdgeRepresentations), so that a representation the origin does not
// refresh before the acknowledgment fails the checks below.
struct Reading {
  const char* query;            // after /wiki/<title>
  const char* accept_encoding;  // what the reader sends
  const char* coding;           // the Content-Encoding it gets ("" none)
};
constexpr Reading kReadings[] = {
    {"", "identity", ""},
    {"", "gzip", "gzip"},
    {"", "br", "br"},
    {"?action=raw", "identity", ""},
    {"?action=raw", "gzip", "gzip"},
    {"?action=raw", "br", "br"},
    // Other spellings share those entries.
    {"", "gzip, deflate, br", "br"},
    {"?action=raw", "br;q=0, gzip", "gzip"},
    {"", "*", "br"},
    {"?action=raw", "gzip;q=0, br;q=0", ""},
};

std::string Query(const Reading& rep) { return rep.query; }

// The bytes of a body sent with `coding`.
std::string Decoded(const std::string& body, const std::string& coding) {
  if (coding == "gzip") return testing::Gunzip(body);
  if (coding == "br") return testing::Unbrotli(body);
  return body;
}

// Waits (at most 15 s) until the origin's keeper has filled the edge: every
// representation answered from its cache.
bool Filled(HttpClient& client, const EdgeProc& edge) {
  for (int i = 0; i < 150; ++i) {
    bool all = true;
    for (const Reading& rep : kReadings) {
      HttpResponse r = SendCoded(client, "HEAD", edge.ArticleUrl() + Query(rep),
                                 rep.accept_encoding);
      all = all && r.status == 200 &&
            (r.Header("x-wiki-edge-cache") == "HIT" ||
             r.Header("x-wiki-edge-cache") == "REVALIDATED");
    }
    if (all) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

// wiki_edge_refreshes_total{outcome="failed"} from the origin's /metrics.
double FailedRefreshes(HttpClient& client, const Stack& s) {
  auto m = client.Get(s.BaseUrl() + "/metrics");
  REQUIRE(m.ok());
  const std::string key = "wiki_edge_refreshes_total{outcome=\"failed\"} ";
  const size_t at = m->body.find(key);
  REQUIRE(at != std::string::npos);
  return std::strtod(m->body.c_str() + at + key.size(), nullptr);
}

std::string EdgeSet(const std::vector<int>& ports) {
  std::string list;
  for (int p : ports)
    list += (list.empty() ? "" : ",") + std::string("127.0.0.1:") +
            std::to_string(p);
  return "server.shed_after_ms=0 edge.caches=" + list;
}

// Every representation of `edge` is revision `rev`: body (raw: `text`),
// HEAD, If-None-Match with its own tag (304) and with `old_tags` (200).
void CheckServes(HttpClient& client, const EdgeProc& edge, uint64_t rev,
                 const std::string& text, std::vector<std::string>* tags) {
  std::vector<std::string> now;
  for (size_t i = 0; i < std::size(kReadings); ++i) {
    const Reading& rep = kReadings[i];
    CAPTURE(edge.ArticleUrl() + Query(rep));
    CAPTURE(rep.accept_encoding);
    const std::string url = edge.ArticleUrl() + Query(rep);
    HttpResponse get = SendCoded(client, "GET", url, rep.accept_encoding);
    CHECK(get.status == 200);
    CHECK(ToId(get.Header("x-revision")) == rev);
    CHECK(get.Header("content-encoding") == rep.coding);
    const std::string body = Decoded(get.body, rep.coding);
    if (!Query(rep).empty()) {
      CHECK(body == text);
    } else {
      CHECK(body.find(text.substr(0, text.find('\n'))) != std::string::npos);
    }
    const std::string etag = get.Header("etag");
    HttpResponse head = SendCoded(client, "HEAD", url, rep.accept_encoding);
    CHECK(head.status == 200);
    CHECK(head.body.empty());
    CHECK(ToId(head.Header("x-revision")) == rev);
    CHECK(head.Header("etag") == etag);
    HttpResponse nm = SendCoded(client, "GET", url, rep.accept_encoding, etag);
    CHECK(nm.status == 304);
    CHECK(nm.body.empty());
    if (!tags->empty()) {
      HttpResponse old =
          SendCoded(client, "GET", url, rep.accept_encoding, (*tags)[i]);
      CHECK(old.status == 200);
      CHECK(ToId(old.Header("x-revision")) == rev);
    }
    now.push_back(etag);
  }
  *tags = now;
}

// The origin stack and two edge nginx instances on free loopback ports,
// every edge filled. A generous refresh timeout: this machine is shared,
// and a refresh that times out is a (counted) failure, not what the tests
// using this are about.
struct TwoEdges {
  std::unique_ptr<Stack> origin;
  std::unique_ptr<EdgeProc> e1, e2;
  std::vector<EdgeProc*> edges;
};

void StartTwoEdges(TwoEdges* rig) {
  const int p1 = FreeLoopbackPort();
  int p2 = FreeLoopbackPort();
  while (p2 == p1) p2 = FreeLoopbackPort();
  Stack::Options o;
  o.wiki_set = EdgeSet({p1, p2}) + " edge.timeout_ms=5000";
  rig->origin = Stack::Start(o);
  REQUIRE(rig->origin);
  rig->e1 = EdgeProc::Start(p1, rig->origin->port());
  rig->e2 = EdgeProc::Start(p2, rig->origin->port());
  REQUIRE(rig->e1);
  REQUIRE(rig->e2);
  rig->edges = {rig->e1.get(), rig->e2.get()};
  HttpClient client;
  for (EdgeProc* e : rig->edges) REQUIRE(Filled(client, *e));
}

TEST_CASE("edge caches: every edge serves each acknowledged revision") {
  TwoEdges rig;
  StartTwoEdges(&rig);
  const std::unique_ptr<Stack>& s = rig.origin;
  const std::vector<EdgeProc*>& edges = rig.edges;
  HttpClient client;
  // (The keeper's rounds before the edges started have failed.)
  const double failed_before = FailedRefreshes(client, *s);

  // Readers on both edges check the rule meanwhile: a read that starts
  // after an acknowledgment returns that revision or a later one.
  std::atomic<uint64_t> acked{0};
  std::atomic<bool> done{false};
  std::atomic<long> reads{0}, violations{0}, read_errors{0};
  auto reader = [&](int seed) {
    HttpClient c;
    std::mt19937 rng(seed);
    while (!done.load()) {
      const EdgeProc* e = edges[rng() % 2];
      const Reading& rep = kReadings[rng() % std::size(kReadings)];
      const uint64_t floor = acked.load();
      HttpRequest req;
      req.method = rng() % 3 == 0 ? "HEAD" : "GET";
      req.url = e->ArticleUrl() + Query(rep);
      req.headers.push_back({"Accept-Encoding", rep.accept_encoding});
      auto r = c.Send(req);
      ++reads;
      if (!r.ok() || r->status != 200) {
        ++read_errors;
        continue;
      }
      if (ToId(r->Header("x-revision")) < floor) ++violations;
    }
  };
  std::vector<std::thread> readers;
  for (int i = 0; i < 2; ++i) readers.emplace_back(reader, i + 7);

  std::vector<long> fetches_before, full_before;
  for (EdgeProc* e : edges) {
    fetches_before.push_back(e->OriginFetches());
    full_before.push_back(e->OriginFetches(200));
  }
  const auto edits_start = std::chrono::steady_clock::now();
  constexpr int kEdits = 60;
  auto cur = client.Get(s->ArticleUrl() + "?action=raw");
  REQUIRE(cur.ok());
  std::string etag = cur->Header("etag");
  uint64_t rev = ToId(cur->Header("x-revision"));
  std::vector<std::vector<std::string>> tags(edges.size());
  std::string text;
  for (int i = 0; i < kEdits; ++i) {
    CAPTURE(i);
    text = "<p>edge edit " + std::to_string(i) + "</p>\n<p>body</p>\n";
    if (i % 2 == 0) {  // PUT to the origin
      auto r = Put(client, s->ArticleUrl(), text, etag);
      REQUIRE(r.ok());
      REQUIRE(r->status == 200);
      rev = ToId(r->Header("x-revision"));
    } else {  // a form post through an edge
      auto r = client.PostForm(
          edges[(i / 2) % 2]->ArticleUrl(),
          {{"text", text}, {"base_revision", std::to_string(rev)}});
      REQUIRE(r.ok());
      REQUIRE(r->status == 303);
      rev = ToId(r->Header("x-revision"));
    }
    acked = rev;
    for (size_t k = 0; k < edges.size(); ++k)
      CheckServes(client, *edges[k], rev, text, &tags[k]);
    etag = SendCoded(client, "HEAD", s->ArticleUrl() + "?action=raw", "")
               .Header("etag");
  }
  done = true;
  for (auto& t : readers) t.join();
  MESSAGE(reads.load() << " edge reads during " << kEdits << " edits");
  CHECK(violations.load() == 0);
  CHECK(read_errors.load() == 0);
  CHECK(reads.load() > kEdits);
  // Origin load: full answers are the refreshes (one per representation
  // and revision) and the few reads that revalidated while a round was
  // under way; the rest are revalidations (304s, headers only), at most a
  // few per representation and second, however many reads there were.
  const double seconds = std::chrono::duration<double>(
                             std::chrono::steady_clock::now() - edits_start)
                             .count();
  constexpr double kReps = 6;  // page and raw, identity, gzip and br
  for (size_t k = 0; k < edges.size(); ++k) {
    const long all = edges[k]->OriginFetches() - fetches_before[k];
    const long full = edges[k]->OriginFetches(200) - full_before[k];
    MESSAGE("edge " << k << ": " << static_cast<double>(all) / kEdits
                    << " origin requests per revision (" << full
                    << " full answers, " << all - full << " others) in "
                    << seconds << " s");
    CHECK(full >= kReps * kEdits);
    CHECK(full <= (kReps + 3) * kEdits);
    CHECK(all - full <= kReps * 4 * (seconds + 1));
  }
  CHECK(FailedRefreshes(client, *s) == failed_before);

  // The origin goes away: the edges keep serving the last revision and
  // refuse edits.
  CHECK(s->Stop());
  for (EdgeProc* e : edges) {
    CAPTURE(e->ArticleUrl());
    for (const Reading& rep : kReadings) {
      const std::string url = e->ArticleUrl() + Query(rep);
      HttpResponse r = SendCoded(client, "GET", url, rep.accept_encoding);
      CHECK(r.status == 200);
      CHECK(ToId(r.Header("x-revision")) == rev);
      CHECK(SendCoded(client, "HEAD", url, rep.accept_encoding).status == 200);
    }
    CHECK(SendCoded(client, "GET", e->ArticleUrl() + "?action=raw", "").body ==
          text);
    auto put = Put(client, e->ArticleUrl(), text + "<p>x</p>\n", etag);
    REQUIRE(put.ok());
    CHECK(put->status == 503);
    CHECK(put->Header("content-type").rfind("text/plain", 0) == 0);
    auto post = client.PostForm(e->ArticleUrl(),
                                {{"text", text}, {"base_revision", "1"}});
    REQUIRE(post.ok());
    CHECK(post->status == 503);
  }
  for (EdgeProc* e : edges) {
    CHECK(e->Stop());
    for (const std::string& line : e->ErrorLines(true)) FAIL_CHECK(line);
  }
}

// wiki_edge_rounds_total{why="<why>"} from the origin's /metrics; -1 if it
// cannot be read (no REQUIRE: the editors' threads call it too).
double Rounds(HttpClient& client, const Stack& s, const char* why) {
  auto m = client.Get(s.BaseUrl() + "/metrics");
  if (!m.ok() || m->status != 200) return -1;
  const std::string key =
      std::string("wiki_edge_rounds_total{why=\"") + why + "\"} ";
  const size_t at = m->body.find(key);
  if (at == std::string::npos) return -1;
  return std::strtod(m->body.c_str() + at + key.size(), nullptr);
}

TEST_CASE("edge caches: concurrent edits share rounds, each ack is fresh") {
  TwoEdges rig;  // two workers (Stack::Options' default)
  StartTwoEdges(&rig);
  const std::unique_ptr<Stack>& s = rig.origin;
  const std::vector<EdgeProc*>& edges = rig.edges;
  HttpClient client;

  // One keeper on the host, not one per worker: at most one verifying
  // round per second of this quiet spell (two workers would make two).
  const double failed_before = FailedRefreshes(client, *s);
  const double keeper_before = Rounds(client, *s, "keeper");
  REQUIRE(keeper_before >= 0);
  const auto quiet_start = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::milliseconds(4000));
  const double quiet_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                    quiet_start)
          .count();
  const double keeper_rounds = Rounds(client, *s, "keeper") - keeper_before;
  MESSAGE(keeper_rounds << " keeper rounds in " << quiet_seconds << " s");
  CHECK(keeper_rounds >= 1);
  CHECK(keeper_rounds <= quiet_seconds + 1);

  // Editors post at once, each rewriting its own paragraph of the revision
  // it read (between unchanged spacers, so that concurrent edits merge
  // rather than wait for each other). After each acknowledgment, every
  // reading at both edges must be that revision or a later one, whether the
  // commit ran its own round or was covered by another's.
  constexpr int kEditors = 6;
  std::string start_text;
  for (int i = 0; i < kEditors; ++i)
    start_text += "<p>editor " + std::to_string(i) + ": start</p>\n<p>spacer " +
                  std::to_string(i) + "</p>\n";
  testing::Raw cur = testing::GetRaw(client, s->ArticleUrl());
  auto first = Put(client, s->ArticleUrl(), start_text, cur.etag);
  REQUIRE(first.ok());
  REQUIRE(first->status == 200);
  const double commit_before = Rounds(client, *s, "commit");
  const double covered_before = Rounds(client, *s, "covered");
  REQUIRE(commit_before >= 0);
  REQUIRE(covered_before >= 0);
  constexpr long kMinAcks = 30, kMaxAcks = 180;
  std::atomic<long> acks{0}, conflicts{0}, stale{0}, errors{0};
  std::atomic<bool> coalesced{false};
  auto editor = [&](int id) {
    HttpClient c;
    const std::string mine = "<p>editor " + std::to_string(id) + ": ";
    for (int n = 0; acks.load() < kMaxAcks &&
                    !(acks.load() >= kMinAcks && coalesced.load());
         ++n) {
      testing::Raw raw = testing::GetRaw(c, s->ArticleUrl());
      const size_t at = raw.body.find(mine);
      const size_t eol = raw.body.find('\n', at);
      if (raw.status != 200 || at == std::string::npos ||
          eol == std::string::npos) {
        ++errors;
        break;
      }
      const std::string text = raw.body.substr(0, at) + mine + "edit " +
                               std::to_string(n) + "</p>" +
                               raw.body.substr(eol);
      auto post = c.PostForm(
          s->ArticleUrl(),
          {{"text", text}, {"base_revision", std::to_string(raw.rev)}});
      if (post.ok() && post->status == 409) {
        ++conflicts;  // (not expected: the paragraphs do not touch)
        continue;
      }
      if (!post.ok() || post->status != 303) {
        ++errors;
        continue;
      }
      ++acks;
      const uint64_t rev = ToId(post->Header("x-revision"));
      for (const EdgeProc* e : edges) {
        for (const Reading& rep : kReadings) {
          HttpResponse r = SendCoded(c, "GET", e->ArticleUrl() + Query(rep),
                                     rep.accept_encoding);
          if (r.status != 200) {
            ++errors;
          } else if (ToId(r.Header("x-revision")) < rev) {
            ++stale;
          }
        }
      }
      if (n % 4 == 3)  // every few edits: did some commit need no round?
        coalesced = Rounds(c, *s, "covered") > covered_before;
    }
  };
  std::vector<std::thread> editors;
  for (int i = 0; i < kEditors; ++i) editors.emplace_back(editor, i);
  for (auto& t : editors) t.join();
  const double commit_rounds = Rounds(client, *s, "commit") - commit_before;
  const double covered = Rounds(client, *s, "covered") - covered_before;
  MESSAGE(acks.load() << " edits acknowledged (" << conflicts.load()
                      << " conflicts), " << commit_rounds << " commit rounds, "
                      << covered << " commits covered by another's round");
  CHECK(stale.load() == 0);
  CHECK(errors.load() == 0);
  CHECK(acks.load() >= kMinAcks);
  CHECK(commit_rounds + covered == acks.load());  // one or the other each
  CHECK(covered >= 1);
  CHECK(commit_rounds < acks.load());
  CHECK(FailedRefreshes(client, *s) == failed_before);
  CHECK(s->Stop());
  for (EdgeProc* e : edges) {
    CHECK(e->Stop());
    for (const std::string& line : e->ErrorLines(true)) FAIL_CHECK(line);
  }
}

TEST_CASE("edge caches: an unreachable edge fails its refresh, not the edit") {
  const int up = FreeLoopbackPort();
  int down = FreeLoopbackPort();  // nothing listens there
  while (down == up) down = FreeLoopbackPort();
  Stack::Options o;
  o.wiki_set = EdgeSet({up, down}) + " edge.timeout_ms=2000";
  auto s = Stack::Start(o);
  REQUIRE(s);
  auto e = EdgeProc::Start(up, s->port());
  REQUIRE(e);
  HttpClient client;
  REQUIRE(Filled(client, *e));
  testing::Raw raw = testing::GetRaw(client, s->ArticleUrl());
  const std::string text = raw.body + "<p>one edge down</p>\n";
  const double failed_before = FailedRefreshes(client, *s);
  auto put = Put(client, s->ArticleUrl(), text, raw.etag);
  REQUIRE(put.ok());
  CHECK(put->status == 200);  // durable and acknowledged all the same
  const uint64_t rev = ToId(put->Header("x-revision"));
  CHECK(testing::GetRaw(client, s->ArticleUrl(), rev).body == text);
  std::vector<std::string> tags;
  CheckServes(client, *e, rev, text, &tags);  // the reachable edge is current
  CHECK(FailedRefreshes(client, *s) > failed_before);  // the edit's round
  CHECK(testing::Slurp(s->run_dir() + "/fcgi-error.log")
            .find("edge_fanout: refreshing 127.0.0.1:" +
                  std::to_string(down)) != std::string::npos);
  CHECK(s->Stop());
  CHECK(e->Stop());
  for (const std::string& line : e->ErrorLines(true)) FAIL_CHECK(line);
}

}  // namespace
}  // namespace wiki
