// front_cache: keeps the front pages (front_pages.h) at the store's current
// revision, so that nginx answers reads of the article page and its raw bytes
// itself and every edit is visible to the next read after its
// acknowledgment.
//
// Three paths publish, all through FrontPages::Sync (serialised, always the
// store's current revision):
//   - Start(): once per worker, before it serves;
//   - AfterCommit(): by the worker that committed, before it acknowledges;
//   - a backstop thread (every 0.5 s) that rechecks the store (a stat:
//     ArticleStore::Recheck, which announces a revision whose writer died
//     before announcing it) and republishes when `current` is not the
//     store's current revision: after a failed publish, or a worker that
//     died between its commit and its publish.
// If publishing fails, the edit stays durable; the failure is logged to
// stderr and counted (/metrics), and `current` is pointed at off/ so reads
// go to the app (always current) until a later publish succeeds. With
// massage.mode = per-request every read must compute, so the front is off.
//
// Thread-safety: one FrontCache per process, shared by its threads;
// AfterCommit is thread-safe. The store, page cache and massager must
// outlive it.
#ifndef WIKI_FRONT_CACHE_H_
#define WIKI_FRONT_CACHE_H_

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "article_store.h"
#include "config.h"
#include "front_pages.h"
#include "massage.h"
#include "page_cache.h"

namespace wiki {

class FrontCache {
 public:
  static constexpr int kBackstopMs = 500;

  FrontCache(const Config& config, ArticleStore* store, PageCache* pages,
             Massager* massager);
  ~FrontCache();  // stops the backstop thread

  // Publishes the current revision (or turns the front off in per-request
  // mode) and starts the backstop thread.
  void Start();

  // Publishes the current revision, which is `committed` or newer. Returns
  // once nginx serves it (or the front is off); never fails the edit.
  // Rechecks the store, then republishes if `current` is not the store's
  // current revision (a worker killed between its commit and its publish):
  // cheap (two stats + readlink) when it is. For paths that suspect a
  // client saw an old revision.
  void Refresh();

  // Returns once `current` names `committed` or a newer revision (or the
  // front is off). When a newer commit has landed, waits for its publisher
  // (which publishes before it acknowledges) instead of building
  // `committed`, a revision no read will ask for: concurrent edits cost one
  // render and compression per burst, not one each.
  void AfterCommit(const RevisionMeta& committed);

 private:
  // How long an acknowledgment waits for a newer commit's publisher before
  // publishing itself (AfterCommit).
  static constexpr int kCoalesceWaitMs = 250;

  // One Sync; on failure logs, counts and turns the front off. `committed`:
  // the commit being acknowledged (null for start, refresh, backstop);
  // `start`: when its publishing began (the commit-to-publish metric).
  void Publish(const char* why, const RevisionMeta* committed,
               std::chrono::steady_clock::time_point start);
  // Whether the store's current revision is newer than `committed`.
  bool NewerCommitted(const RevisionMeta& committed);
  // Waits (until start + kCoalesceWaitMs) for `current` to reach
  // `committed` or newer; whether it did.
  bool WaitPublished(const RevisionMeta& committed,
                     std::chrono::steady_clock::time_point start);
  // Whether `current` names the store's current revision (no lock taken).
  bool UpToDate();
  void Backstop();

  const bool enabled_;
  ArticleStore* const store_;
  PageCache* const pages_;
  Massager* const massager_;
  FrontPages front_;

  std::mutex mu_;  // guards stop_
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread backstop_;
};

}  // namespace wiki

#endif  // WIKI_FRONT_CACHE_H_
