// article_store: the article's current revision, its history, and edits.
//
// On disk, under data_dir (see article_store.cc for the commit protocol):
//   <title>.html        the current revision, a plain HTML file
//   revisions/<id>.html the newest acknowledged revisions, immutable
//   packs/<a>-<b>.pack  revisions a..b, packed (revision_pack.h), immutable
//   history.log         append-only metadata, one JSON line per revision
//   .lock               flock(2) shared by every worker process (edits)
//   .pack-lock          flock(2) of the one process packing at a time
//
// Packing (PackOld, see article_store.cc for its crash safety) turns whole
// runs of pack_revisions revisions that are older than the newest
// plain_revisions into one pack, then removes their plain files. It takes
// neither the edit lock nor, beyond reading a few history records, mu_.
//
// Memory: a store keeps the byte offset of every kIndexStride-th history
// record (half a byte a revision), the last record and the current text;
// other records are read from the log when asked for, so a page of history
// costs one pread.
//
// Thread-safety: one ArticleStore per process, shared by its threads; all
// methods are thread-safe. Several processes may open the same data_dir:
// writers serialise on an exclusive flock; readers take no lock (see
// article_store.cc for why they still never see a torn or unacknowledged
// revision).
//
// Announcing new revisions (generation.h): every store maps one shared
// counter per data_dir (StoreOptions::generation_file) and Current() looks
// at the disk (a stat of the article file) only when the counter moved
// since it last did. Who bumps it:
//   - every ArticleStore, after a commit's history record (the commit
//     point) and before Commit returns, so before any acknowledgment; after
//     a failed commit's undo; after Open's recovery. So every tool that
//     writes through ArticleStore bumps: build/make-history (both modes:
//     --bench-no-fsync writes records itself and then calls Announce), the
//     unit tests' stores, and every worker.
//   - Recheck(), when it finds a revision nobody announced. It runs every
//     kRecheckMs on the recheck thread (StartRecheck) and in the front
//     cache's backstop. This covers a worker killed between its commit
//     point and its bump, and anything that changes data_dir without a
//     store (a hand edit; the integration tests' direct writes, which
//     happen while the stack is stopped, so Open covers them anyway): such
//     a revision reaches every running worker within about kRecheckMs.
// If the counter cannot be mapped (unwritable, another version's file), the
// store says so once on stderr and Current() stats on every call, as if
// every call saw a bump. Reads never fail for it.
#ifndef WIKI_ARTICLE_STORE_H_
#define WIKI_ARTICLE_STORE_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "fs_posix.h"
#include "generation.h"
#include "revision.h"
#include "status.h"

namespace wiki {

struct StoreOptions {
  uint64_t plain_revisions = 64;  // newest revisions kept as plain files (>= 2)
  uint64_t pack_revisions = 64;   // revisions per pack; 0 = never pack
  int pack_level = 3;             // zstd level
  // The shared revision counter (generation.h): "" = <data_dir>/.generation,
  // "off" = none (Current() then stats the article file on every call).
  std::string generation_file;
};

// What one PackOld call did (make-history and the tests report it).
struct PackStats {
  uint64_t packs = 0;          // packs written
  uint64_t revisions = 0;      // revisions moved into them
  uint64_t bytes = 0;          // their size
  int64_t max_mu_hold_us = 0;  // longest hold of the store's mutex
  int64_t total_us = 0;
};

class ArticleStore {
 public:
  // Opens data_dir and recovers it (under the exclusive lock): removes
  // leftover temp files (in data_dir, revisions/ and cache/), drops a torn log
  // tail and revision files that were never acknowledged, and rewrites the
  // article file if it disagrees with the last acknowledged revision. A
  // data_dir with an article file but no history imports that file as
  // revision 1. Packs: removes temp packs, and the plain files that a
  // crash left behind of revisions already in a (verified) pack.
  static Result<std::unique_ptr<ArticleStore>> Open(
      const std::string& data_dir, const std::string& title,
      const StoreOptions& options = StoreOptions());

  // Stops the packer and recheck threads (if started), waiting for their
  // current step.
  ~ArticleStore();

  // How often the recheck thread (StartRecheck) runs Recheck.
  static constexpr int kRecheckMs = 500;

  // The current revision. No system call when the shared generation has
  // not moved since this store last loaded; otherwise (or without a shared
  // generation) one stat(2) of the article file, plus the reload when it
  // changed.
  Result<RevisionPtr> Current();

  // The periodic check: stats the article file whatever the generation says
  // and, if that finds a revision the generation never announced (a writer
  // killed before its bump, or one that does not bump), loads it and bumps,
  // so that every process's next Current() sees it. Returns whether it
  // bumped. Cheap when nothing changed (one stat).
  Result<bool> Recheck();

  // Revision `id` (current or past), from its plain file or its pack;
  // NotFound if there is none, Corruption if its bytes do not match the
  // hash of its history record.
  Result<RevisionPtr> Get(uint64_t id);

  // Every revision's metadata, oldest first (tests and tools; a request
  // uses the paged form below).
  Result<std::vector<RevisionMeta>> History();

  // Up to `limit` revisions with ids below `offset` (0: from the newest),
  // newest first. Copies only the page, whatever the history's length.
  Result<HistoryPage> History(uint64_t offset, size_t limit);

  // What an edit wants to store, decided under the lock.
  struct Plan {
    std::string text;
    int fib_n = -1;
    uint64_t fib = 0;
  };
  // Called with the write lock held and the current revision; returns OK
  // and fills the plan to commit it, or any other Status to abort.
  using Decide = std::function<Status(const Revision& current, Plan* plan)>;

  // Commits a new revision atomically and durably: when OK is returned the
  // revision is on disk (its file, its directory and its history record
  // fsynced) and is current. Returns the new revision's metadata, or
  // decide's Status if it aborted.
  //
  // `likely_text`, if not empty, is what decide will most likely store: it
  // is written and fsynced before the lock is taken, so that only a rename
  // and two fsyncs (directory, log) are left under the lock when decide does
  // store it (anything else is written under the lock).
  Result<RevisionMeta> Commit(const std::string& author,
                              const std::string& summary, const Decide& decide,
                              std::string_view likely_text = {});

  // Packs every whole run of pack_revisions revisions that lies below the
  // newest plain_revisions (one process at a time: .pack-lock). Durable
  // before any plain file goes. Not concurrent with itself in one process.
  Result<PackStats> PackOld();

  // Runs PackOld on a background thread (lowered priority, every signal
  // blocked) after each Commit of this store. For servers; tests call
  // PackOld themselves.
  void StartPacker();

  // Bumps the shared generation, so that every process's next Current()
  // looks at the disk: for tools that changed data_dir without Commit.
  // Returns the new value (0: no shared generation).
  uint64_t Announce();

  // Runs Recheck every kRecheckMs on a background thread (every signal
  // blocked) until destruction. For servers; tests call Recheck themselves.
  void StartRecheck();

  // Whether Current() skips the stat when nothing was announced (false when
  // the shared generation could not be mapped, or is "off").
  bool has_generation() const { return generation_ != nullptr; }

  // stat(2)s of the article file made by Current() and Recheck() (tests
  // count them; a process's reads should make none while nothing changes).
  uint64_t article_stats() const { return article_stats_.load(); }

  const std::string& article_path() const { return article_path_; }

 private:
  ArticleStore(std::string data_dir, std::string title, StoreOptions options);

  Status Recover();
  Status RecoverPacks(uint64_t last_id);
  // Re-reads the list of packs (packs_dir_) into packs_.
  Status ScanPacks();
  // The text of packed revision `id`; NotFound if no pack holds it.
  Result<std::string> ReadPacked(uint64_t id);
  Status PackRange(uint64_t first, uint64_t last, PackStats* stats);
  void PackerLoop();
  // Indexes log records appended since the last call and decodes the last
  // of them (a record in between is decoded when it is read). Caller holds
  // mu_.
  Status RefreshLogLocked();
  // Records first_id..last_id (1 <= first <= last <= count), oldest first.
  // Caller holds mu_.
  Result<std::vector<RevisionMeta>> ReadRecordsLocked(uint64_t first_id,
                                                      uint64_t last_id);
  Result<RevisionPtr> LoadCurrentLocked();
  // The stat of the article file, then (under mu_) the cached revision if
  // the file is the one it was loaded from, else a reload. `gen` is the
  // generation read before the stat: the cache is valid for it afterwards.
  Result<RevisionPtr> StatAndLoad(uint64_t gen);
  // After a commit's record is durable: caches it as the current revision,
  // valid for generation `gen` (0: none).
  Result<RevisionMeta> InstallCommittedLocked(const RevisionMeta& m,
                                              std::string text, uint64_t gen);
  void RecheckLoop();
  std::string RevisionPath(uint64_t id) const;

  const std::string data_dir_;
  const std::string revisions_dir_;
  const std::string article_name_;
  const std::string article_path_;
  const std::string log_path_;
  const std::string lock_path_;
  const std::string packs_dir_;
  const std::string pack_lock_path_;
  const StoreOptions options_;

  std::mutex mu_;  // guards everything below
  // Byte offset of record id 1 + i * kIndexStride at [i].
  static constexpr uint64_t kIndexStride = 16;
  std::vector<uint64_t> offsets_;
  uint64_t count_ = 0;      // records indexed (the last id)
  RevisionMeta last_;       // the last record (when offsets_ is not empty)
  off_t log_offset_ = 0;    // bytes of history.log indexed so far
  RevisionPtr current_;     // cached current revision
  FileId current_file_id_;  // article file identity when cached
  // The shared generation current_ is known to be valid for (0: none).
  uint64_t loaded_gen_ = 0;
  std::map<uint64_t, uint64_t> packs_;  // first id -> last id, as last seen

  // The packer thread (StartPacker).
  std::mutex packer_mu_;
  std::condition_variable packer_cv_;
  bool pack_wanted_ = false;  // guarded by packer_mu_
  std::atomic<bool> stop_{false};
  std::thread packer_;

  // The shared counter (nullptr: none; set in Open, then never changed).
  std::unique_ptr<Generation> generation_;
  std::atomic<uint64_t> article_stats_{0};
  std::condition_variable recheck_cv_;  // with packer_mu_, for stop_
  std::thread rechecker_;               // StartRecheck
};

}  // namespace wiki

#endif  // WIKI_ARTICLE_STORE_H_
