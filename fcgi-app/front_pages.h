// front_pages: the current revision's reader page and raw article as static
// files that nginx sends without asking the app (the front cache).
//
// Layout, under <cache_dir>/pages/ (article.cache_dir: tmpfs in production):
//   <id>-<hash16>-<fib>/p, p-gz, p-br,     one revision's page and raw
//                       r, r-gz, r-br      bytes, identity, gzip and brotli
//                                          (kFiles); immutable once renamed
//                                          into place
//   current -> <id>-<hash16>-<fib>         symlink: the current directory
//   current.rec                            the same name, for nginx
//                                          (front_record.h)
//   off/                                   empty; current -> off sends every
//                                          read to the app
//   .lock                                  flock shared by the publishers
//
// The directory name carries everything nginx must put in the headers that
// is not in the file (nginx/wiki-site.conf): X-Revision, the strong ETags
// ("p<id>-<hash16>", "r<id>-<hash16>", plus "-gz" or "-br": the file's
// name after its first letter), X-Fibonacci; the files' mtime is the
// revision's commit time (Last-Modified).
//
// Why this is never stale after an acknowledgment: Sync builds the new
// directory completely, then swaps `current` with rename(2) (atomic), then
// publishes the same name in current.rec, and only then returns; the
// editor's acknowledgment is sent after that. nginx reads the record once
// per request (no system call) and from then on names the immutable
// directory, so a read that starts after
// the acknowledgment resolves to that revision or a later one, and its body
// and headers come from one revision. Publishers serialise on .lock and
// each reads the store's current revision while holding it (see Sync), so
// `current` only moves forward: a slow publisher cannot put an older
// revision back. No fsync: after a crash, the workers
// publish the current revision again at start.
//
// Thread-safety: any number of FrontPages (threads, processes) may share a
// directory; all methods are thread-safe. Failure: Status, nothing thrown.
#ifndef WIKI_FRONT_PAGES_H_
#define WIKI_FRONT_PAGES_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "coding.h"
#include "revision.h"
#include "status.h"

namespace wiki {

class FrontPages {
 public:
  // Directories of revisions more than this far behind the published one are
  // removed: a request resolves `current` and opens the files within
  // microseconds, so these are only a margin (and nginx falls back to the app
  // if a file is gone anyway).
  static constexpr uint64_t kKeepRevisions = 16;

  // `pages_dir` is <cache_dir>/pages.
  explicit FrontPages(std::string pages_dir);

  // Creates the directory, off/ and, if missing, current -> off.
  Status Init();

  // Every representation published per revision: one file each in the
  // revision's directory, named "p" (reader page) or "r" (raw article) plus
  // the coding's suffix. nginx/wiki-site.conf serves exactly these; the URL
  // of each is /wiki/<title>[?action=raw] with an Accept-Encoding that
  // selects `coding`.
  struct File {
    const char* name;
    bool raw;
    Coding coding;
  };
  static constexpr File kFiles[] = {
      {"p", false, Coding::kIdentity},  {"p-gz", false, Coding::kGzip},
      {"p-br", false, Coding::kBrotli}, {"r", true, Coding::kIdentity},
      {"r-gz", true, Coding::kGzip},    {"r-br", true, Coding::kBrotli},
  };
  static constexpr size_t kFileCount = sizeof(kFiles) / sizeof(kFiles[0]);

  // One revision as it is to be published: `files[i]` holds the bytes of
  // kFiles[i]. `keep` owns the bytes.
  struct Snapshot {
    RevisionMeta meta;
    uint64_t fib = 0;  // the massaged value (X-Fibonacci)
    std::array<std::string_view, kFileCount> files;
    std::shared_ptr<const void> keep;
  };
  // Returns the store's current revision. Called with the publishers' lock
  // held, so what it returns is at least as new as anything published
  // before (commits are durable before they are published).
  using Source = std::function<Result<Snapshot>()>;

  // Makes `current` name the revision `source` returns, writing its
  // directory first if needed; OK without writing if it already does.
  // Old revisions' directories and leftovers of interrupted publishers are
  // removed. `*published` (if given) gets the name `current` points to.
  // If `satisfied` is given and returns true once the lock is held, Sync
  // returns OK at once: another publisher got there first (see
  // FrontCache::AfterCommit), and `source` is not asked to build anything.
  Status Sync(const Source& source, std::string* published = nullptr,
              const std::function<bool()>& satisfied = nullptr);

  // Points `current` at off/: every read goes to the app. Used when a
  // revision could not be published, so that nothing older is served; the
  // next successful Sync turns the front cache on again.
  Status Disable();

  // The name `current` points to ("off", "<id>-<hash16>-<fib>"), "" if none.
  std::string CurrentName() const;
  // The revision id `current` names; 0 when off (one readlink, no lock).
  uint64_t PublishedId() const { return IdOf(CurrentName()); }

  // "<id>-<hash16>-<fib>".
  static std::string DirName(const RevisionMeta& meta, uint64_t fib);
  // The revision id in a DirName; 0 for anything else ("off").
  static uint64_t IdOf(std::string_view dir_name);

  const std::string& dir() const { return dir_; }

 private:
  Status WriteRevisionDir(const std::string& name, const Snapshot& snap);
  Status PointCurrentAt(const std::string& name);
  void Prune(uint64_t newest_id);

  const std::string dir_;
};

}  // namespace wiki

#endif  // WIKI_FRONT_PAGES_H_
