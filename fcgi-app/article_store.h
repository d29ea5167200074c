// article_store: the article's current revision, its history, and edits.
//
// On disk, under data_dir (see article_store.cc for the commit protocol):
//   <title>.html        the current revision, a plain HTML file
//   revisions/<id>.html every revision ever acknowledged, immutable
//   history.log         append-only metadata, one JSON line per revision
//   .lock               flock(2) shared by every worker process
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
// Failure: methods return a Status; a failed Commit leaves the current
// revision and the history exactly as they were.
#ifndef WIKI_ARTICLE_STORE_H_
#define WIKI_ARTICLE_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "fs_posix.h"
#include "revision.h"
#include "status.h"

namespace wiki {

class ArticleStore {
 public:
  // Opens data_dir and recovers it (under the exclusive lock): removes
  // leftover temp files (in data_dir, revisions/ and cache/), drops a torn log
  // tail and revision files that were never acknowledged, and rewrites the
  // article file if it disagrees with the last acknowledged revision. A
  // data_dir with an article file but no history imports that file as
  // revision 1.
  static Result<std::unique_ptr<ArticleStore>> Open(const std::string& data_dir,
                                                    const std::string& title);

  // The current revision. Costs one stat(2) when nothing changed.
  Result<RevisionPtr> Current();

  // Revision `id` (current or past); NotFound if there is none.
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

  const std::string& article_path() const { return article_path_; }

 private:
  ArticleStore(std::string data_dir, std::string title);

  Status Recover();
  // Indexes log records appended since the last call and decodes the last
  // of them (a record in between is decoded when it is read). Caller holds
  // mu_.
  Status RefreshLogLocked();
  // Records first_id..last_id (1 <= first <= last <= count), oldest first.
  // Caller holds mu_.
  Result<std::vector<RevisionMeta>> ReadRecordsLocked(uint64_t first_id,
                                                      uint64_t last_id);
  Result<RevisionPtr> LoadCurrentLocked();
  // After a commit's record is durable: caches it as the current revision.
  Result<RevisionMeta> InstallCommittedLocked(const RevisionMeta& m,
                                              std::string text);
  std::string RevisionPath(uint64_t id) const;

  const std::string data_dir_;
  const std::string revisions_dir_;
  const std::string article_name_;
  const std::string article_path_;
  const std::string log_path_;
  const std::string lock_path_;

  std::mutex mu_;  // guards everything below
  // Byte offset of record id 1 + i * kIndexStride at [i].
  static constexpr uint64_t kIndexStride = 16;
  std::vector<uint64_t> offsets_;
  uint64_t count_ = 0;      // records indexed (the last id)
  RevisionMeta last_;       // the last record (when offsets_ is not empty)
  off_t log_offset_ = 0;    // bytes of history.log indexed so far
  RevisionPtr current_;     // cached current revision
  FileId current_file_id_;  // article file identity when cached
};

}  // namespace wiki

#endif  // WIKI_ARTICLE_STORE_H_
