#include "front_cache.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>

#include "metrics.h"

namespace wiki {

namespace {

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
      .count();
}

}  // namespace

FrontCache::FrontCache(const Config& config, ArticleStore* store,
                       PageCache* pages, Massager* massager)
    : enabled_(config.massage == MassageMode::kPerRevision),
      store_(store),
      pages_(pages),
      massager_(massager),
      front_(config.CacheDir() + "/pages") {}

FrontCache::~FrontCache() {
  {
    std::lock_guard<std::mutex> guard(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (backstop_.joinable()) backstop_.join();
}

void FrontCache::Start() {
  Status s = front_.Init();
  if (!s.ok()) {
    std::fprintf(stderr, "front_cache: %s\n", s.ToString().c_str());
  }
  if (!enabled_) {
    if (front_.CurrentName() != "off") {
      s = front_.Disable();
      if (!s.ok()) {
        Metrics::Global().CountFrontPublish(false, 0);
        std::fprintf(stderr, "front_cache: cannot turn off: %s\n",
                     s.ToString().c_str());
      }
    }
    return;
  }
  // Always, even if `current` names the current revision: after a crash its
  // (never fsynced) files may be short; Sync checks them.
  Publish("start", nullptr, std::chrono::steady_clock::now());
  // The backstop thread takes no signals: the server's stop signals are
  // for the one thread that sigwait()s for them (fcgi_server.cc), and this
  // thread starts before they are blocked.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  backstop_ = std::thread([this] { Backstop(); });
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

void FrontCache::AfterCommit(const RevisionMeta& committed) {
  if (!enabled_) return;
  const auto start = std::chrono::steady_clock::now();
  // Coalescing: the acknowledgment needs `current` at `committed` or newer,
  // not `committed` itself. Each commit's own publisher publishes the
  // store's current revision before it answers, so when a newer commit has
  // landed, its publisher will do (and usually has already done) the work:
  // wait for it instead of rendering and compressing a revision nobody
  // will read. Ids only grow within a data dir, and Start() republishes
  // whatever `current` named before.
  if (front_.PublishedId() >= committed.id ||
      (NewerCommitted(committed) && WaitPublished(committed, start))) {
    Metrics::Global().CountFrontPublish(true, SecondsSince(start));
    return;
  }
  // The page is rendered and compressed before the publishers' lock is
  // taken (Sync's source then finds it built): the lock is held for the
  // file writes alone, and workers build their revisions on their cores at
  // once. If a newer revision lands meanwhile, Sync builds that one.
  auto rev = store_->Current();
  if (rev.ok() && (*rev)->meta.id == committed.id) pages_->Current(*rev);
  // The store's current revision is published: `committed` or newer.
  Publish("commit", &committed, start);
}

bool FrontCache::NewerCommitted(const RevisionMeta& committed) {
  auto rev = store_->Current();
  return rev.ok() && (*rev)->meta.id > committed.id;
}

bool FrontCache::WaitPublished(const RevisionMeta& committed,
                               std::chrono::steady_clock::time_point start) {
  // The newer commit's publisher renders, compresses and writes its files:
  // milliseconds. A publisher that died or failed is not waited for long;
  // then this one publishes (the store's current revision) itself.
  const auto give_up = start + std::chrono::milliseconds(kCoalesceWaitMs);
  while (std::chrono::steady_clock::now() < give_up) {
    if (front_.PublishedId() >= committed.id) return true;
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
  return false;
}

void FrontCache::Refresh() {
  if (!enabled_) return;
  // The store's cached revision is trusted while the shared generation
  // stands still; a missed announcement is exactly what this path suspects.
  store_->Recheck();
  if (!UpToDate()) {
    Publish("refresh", nullptr, std::chrono::steady_clock::now());
  }
}

void FrontCache::Publish(const char* why, const RevisionMeta* committed,
                         std::chrono::steady_clock::time_point start) {
  auto source = [this]() -> Result<FrontPages::Snapshot> {
    auto rev = store_->Current();
    if (!rev.ok()) return rev.status();
    auto fib = massager_->ForRead((*rev)->meta, 0);
    if (!fib) return Status::IOError("no massaged value");
    auto page = pages_->Current(*rev);
    FrontPages::Snapshot snap;
    snap.meta = (*rev)->meta;
    snap.fib = *fib;
    for (size_t i = 0; i < FrontPages::kFileCount; ++i) {
      const FrontPages::File& f = FrontPages::kFiles[i];
      if (f.raw && f.coding == Coding::kIdentity) {
        snap.files[i] = (*rev)->text;
        continue;
      }
      const PageCache::Body* body =
          page == nullptr ? nullptr : page->Find(f.raw, f.coding);
      if (body == nullptr) {
        return Status::IOError("a representation could not be built");
      }
      snap.files[i] = *body->bytes;
    }
    snap.keep = std::make_shared<
        std::pair<RevisionPtr, std::shared_ptr<const PageCache::Page>>>(*rev,
                                                                        page);
    return snap;
  };
  // After a commit: done if another publisher got to `committed` or newer
  // while this one waited for the lock.
  auto satisfied = [this, committed] {
    return front_.PublishedId() >= committed->id;
  };
  Status s = front_.Sync(source, nullptr,
                         committed != nullptr ? std::function<bool()>(satisfied)
                                              : std::function<bool()>());
  // Commit point to publish: what an acknowledgment waits for.
  Metrics::Global().CountFrontPublish(
      s.ok(), committed != nullptr ? SecondsSince(start) : -1);
  if (s.ok()) return;
  std::fprintf(stderr, "front_cache: publishing (%s) failed: %s\n", why,
               s.ToString().c_str());
  // Nothing older may be served: send every read to the app meanwhile.
  Status off = front_.Disable();
  if (!off.ok()) {
    std::fprintf(stderr, "front_cache: cannot turn off: %s\n",
                 off.ToString().c_str());
  }
}

bool FrontCache::UpToDate() {
  auto rev = store_->Current();
  if (!rev.ok()) return true;  // nothing better to publish
  // The name without its massaged value: "<id>-<hash16>-".
  std::string prefix = FrontPages::DirName((*rev)->meta, 0);
  prefix.pop_back();
  // ... and its directory exists (nginx cannot resolve a dangling link).
  return front_.CurrentName().rfind(prefix, 0) == 0 &&
         ::access((front_.dir() + "/current/r-gz").c_str(), F_OK) == 0;
}

void FrontCache::Backstop() {
  std::unique_lock<std::mutex> guard(mu_);
  while (!stop_) {
    wake_.wait_for(guard, std::chrono::milliseconds(kBackstopMs));
    if (stop_) break;
    guard.unlock();
    // The store checks every ArticleStore::kRecheckMs on its own; checking
    // here as well keeps a revision nobody announced (its writer killed
    // before the announcement) from waiting for both periods.
    store_->Recheck();
    if (!UpToDate()) {
      Publish("backstop", nullptr, std::chrono::steady_clock::now());
    }
    guard.lock();
  }
}

}  // namespace wiki
