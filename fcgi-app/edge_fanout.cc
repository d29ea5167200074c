#include "edge_fanout.h"

#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "front_pages.h"

namespace wiki {

namespace {

int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// What a verifying HEAD must see: the edge answered from its cache (a HIT,
// or an expired entry the origin confirmed with a 304) with the target or a
// later revision. An EXPIRED answer was passed through from the origin: the
// entry itself is older, so it is refreshed.
bool Verified(const EdgeAnswer& a, uint64_t target) {
  return a.status == 200 && (a.cache == "HIT" || a.cache == "REVALIDATED") &&
         std::strtoull(a.revision.c_str(), nullptr, 10) >= target;
}

}  // namespace

EdgeFanout::EdgeFanout(const Config& config, ArticleStore* store)
    : names_(config.edge_caches),
      timeout_ms_(config.edge_timeout_ms),
      title_(config.title),
      data_dir_(config.data_dir),
      pages_dir_(config.CacheDir() + "/pages"),
      store_(store) {}

EdgeFanout::~EdgeFanout() {
  {
    std::lock_guard<std::mutex> guard(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (keeper_.joinable()) keeper_.join();
}

void EdgeFanout::Start() {
  if (names_.empty()) return;
  {
    std::lock_guard<std::mutex> g(edges_mu_);
    for (const std::string& name : names_) {
      Edge e;
      e.name = name;
      auto address = ResolveEdge(name);
      if (address.ok()) {
        e.address = *address;
        e.resolved = true;
      } else {
        std::fprintf(stderr, "edge_fanout: %s\n",
                     address.status().ToString().c_str());
      }
      edges_.push_back(std::move(e));
    }
  }
  // As FrontCache's backstop: the server's stop signals are for the thread
  // that sigwait()s for them.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  keeper_ = std::thread([this] { Keeper(); });
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

void EdgeFanout::AfterPublish(uint64_t committed) {
  if (!names_.empty()) Round(EdgeRound::kCommit, committed);
}

uint64_t EdgeFanout::ServedRevision() {
  const uint64_t front = FrontPages::IdOf(FrontPages(pages_dir_).CurrentName());
  if (front != 0) return front;
  auto rev = store_->Current();
  return rev.ok() ? (*rev)->meta.id : 0;
}

std::string EdgeFanout::RequestText(const char* method, const Item& item,
                                    bool refresh) const {
  const EdgeRepresentation& rep = kEdgeRepresentations[item.rep];
  std::string path = refresh ? std::string("/_edge/refresh/") + rep.kind
                             : "/wiki/" + title_ + rep.query;
  return std::string(method) + " " + path +
         " HTTP/1.1\r\nHost: " + edges_[item.edge].name +
         "\r\nAccept-Encoding: " + rep.accept_encoding +
         "\r\nUser-Agent: wiki-edge-fanout\r\nConnection: close\r\n\r\n";
}

uint64_t EdgeFanout::VerifiedRevision(const FileLock& lock, uint64_t served) {
  auto note = lock.ReadNote();
  if (!note.ok()) return 0;
  unsigned long long id = 0;
  char end = 0;
  if (std::sscanf(note->c_str(), "verified %llu%c", &id, &end) != 2 ||
      end != '\n' || id > served)
    return 0;
  return id;
}

void EdgeFanout::Round(EdgeRound why, uint64_t committed) {
  const auto start = std::chrono::steady_clock::now();
  auto since_start = [&start] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                         start)
        .count();
  };
  // One round at a time on this host, so that the stores at each edge only
  // move forward (see the header). The timeout counts from here: waiting
  // for other rounds is not the edges' slowness.
  auto lock =
      FileLock::Acquire(data_dir_ + "/.edges.lock", FileLock::Mode::kExclusive);
  std::lock_guard<std::mutex> guard(edges_mu_);
  const uint64_t target = ServedRevision();
  if (why == EdgeRound::kCommit && lock.ok() && committed != 0 &&
      VerifiedRevision(*lock, target) >= committed) {
    // A round that started after this commit verified every edge.
    Metrics::Global().CountEdgeRound(EdgeRound::kCovered, 0, 0, since_start());
    return;
  }
  std::vector<std::string> failure(edges_.size());
  std::vector<bool> skipped(edges_.size(), false);
  std::vector<Item> todo;
  for (size_t e = 0; e < edges_.size(); ++e) {
    if (!lock.ok()) {
      failure[e] = lock.status().ToString();
    } else if (!edges_[e].resolved) {
      failure[e] = "address not resolved";
    } else if (edges_[e].skip_until_ms > SteadyMs()) {
      skipped[e] = true;
      failure[e] = "backing off";
    } else {
      for (size_t r = 0; r < std::size(kEdgeRepresentations); ++r)
        todo.push_back({e, r});
    }
  }
  Attempts(why == EdgeRound::kCommit, target, std::move(todo), &failure);
  const int failed = Report(why, target, failure, skipped,
                            why == EdgeRound::kCommit ? since_start() : -1);
  if (failed == 0 && lock.ok()) {
    Status s = lock->WriteNote("verified " + std::to_string(target) + "\n");
    if (!s.ok())
      std::fprintf(stderr, "edge_fanout: %s\n", s.ToString().c_str());
  }
}

void EdgeFanout::Attempts(bool refresh, uint64_t target, std::vector<Item> todo,
                          std::vector<std::string>* failure) {
  const int64_t deadline = SteadyMs() + timeout_ms_;
  for (int attempt = 0; attempt < kAttempts && !todo.empty(); ++attempt) {
    for (int pass = refresh ? 0 : 1; pass < 2 && !todo.empty(); ++pass) {
      // pass 0 refreshes, pass 1 verifies.
      std::vector<EdgeRequest> requests;
      for (const Item& item : todo)
        requests.push_back(
            {&edges_[item.edge].address, RequestText("HEAD", item, pass == 0)});
      const auto answers =
          SendAll(requests, static_cast<int>(deadline - SteadyMs()));
      std::vector<Item> next;
      for (size_t i = 0; i < todo.size(); ++i) {
        std::string& fail = (*failure)[todo[i].edge];
        const EdgeAnswer& a = answers[i];
        if (a.status == 0 || (pass == 0 && a.status != 200)) {
          if (fail.empty())
            fail = a.status == 0
                       ? a.error
                       : "refresh answered " + std::to_string(a.status);
          continue;
        }
        if (!fail.empty()) continue;
        if (pass == 0 || !Verified(a, target)) next.push_back(todo[i]);
      }
      todo.clear();
      for (const Item& item : next)
        if ((*failure)[item.edge].empty()) todo.push_back(item);
    }
    refresh = true;
  }
  for (const Item& item : todo) {
    if ((*failure)[item.edge].empty())
      (*failure)[item.edge] = "does not serve revision " +
                              std::to_string(target) + " after " +
                              std::to_string(kAttempts) + " refreshes";
  }
}

int EdgeFanout::Report(EdgeRound why, uint64_t target,
                       const std::vector<std::string>& failure,
                       const std::vector<bool>& skipped, double seconds) {
  int ok = 0, failed = 0;
  for (size_t e = 0; e < edges_.size(); ++e) {
    Edge& edge = edges_[e];
    if (failure[e].empty()) {
      ++ok;
      if (edge.failing)
        std::fprintf(stderr, "edge_fanout: %s serves revision %llu again\n",
                     edge.name.c_str(),
                     static_cast<unsigned long long>(target));
      edge.failing = false;
      continue;
    }
    ++failed;
    if (skipped[e]) continue;  // logged when it started
    edge.failing = true;
    // Only an edge that costs time (no answer within the timeout) is
    // skipped: a refused connection costs nothing to try again, and an edge
    // that has just (re)started must not be skipped by the next edits.
    const bool slow = failure[e] == "timed out";
    if (slow) edge.skip_until_ms = SteadyMs() + kBackoffMs;
    std::fprintf(stderr,
                 "edge_fanout: refreshing %s to revision %llu (%s) failed: "
                 "%s%s\n",
                 edge.name.c_str(), static_cast<unsigned long long>(target),
                 why == EdgeRound::kCommit ? "commit" : "keeper",
                 failure[e].c_str(), slow ? "; skipped for a second" : "");
  }
  Metrics::Global().CountEdgeRound(why, ok, failed, seconds);
  return failed;
}

void EdgeFanout::Keeper() {
  // Held from the first second this process's keeper gets it until the
  // process ends: then another process's keeper takes over within a second.
  FileLock keeper_lock;
  std::unique_lock<std::mutex> guard(mu_);
  while (!stop_) {
    wake_.wait_for(guard, std::chrono::milliseconds(kKeepMs));
    if (stop_) break;
    guard.unlock();
    bool mine = keeper_lock.held();
    if (!mine) {
      auto lock = FileLock::TryAcquire(data_dir_ + "/.edges.keeper.lock",
                                       FileLock::Mode::kExclusive);
      // Without the lock file, every process keeps (more load, no gap).
      mine = !lock.ok() || lock->held();
      if (lock.ok()) keeper_lock = std::move(*lock);
    }
    if (mine) Round(EdgeRound::kKeeper, 0);
    guard.lock();
  }
}

}  // namespace wiki
