// page_cache: the parser cache. Rendered reader pages, once per revision.
//
// The reader page of the current revision is rendered the first time a
// worker needs it (and compressed with gzip and brotli, as is the raw
// article) and then shared by
// every read of that revision: in memory (for the app to send itself) and,
// when a cache directory is configured, as immutable files that nginx sends
// with sendfile(2) after the app answers with X-Accel-Redirect. Files are
// written atomically (temp file + rename, not fsynced: a lost cache file is
// simply rendered again) and named by revision id and content hash, so a name
// never changes meaning; pages of revisions more than kKeepRevisions behind are
// deleted.
//
// Thread-safety: one PageCache per process, shared by its threads; all
// methods are thread-safe. Several processes may share the directory.
#ifndef WIKI_PAGE_CACHE_H_
#define WIKI_PAGE_CACHE_H_

#include <memory>
#include <mutex>
#include <string>

#include "coding.h"
#include "revision.h"

namespace wiki {

class PageCache {
 public:
  static constexpr uint64_t kKeepRevisions = 32;

  // `cache_dir` "" keeps pages in memory only. Bodies smaller than
  // `min_file_bytes` get no file either: the app sends those itself
  // (Config::accel_min_bytes), so writing them would be wasted work.
  PageCache(std::string title, std::string cache_dir,
            size_t min_file_bytes = 0);

  // One representation: its bytes and, if written, its file in cache_dir.
  struct Body {
    std::shared_ptr<const std::string> bytes;
    std::string file_name;  // within cache_dir, "" if there is no file
  };
  struct Page {
    Body html;     // the reader page
    Body html_gz;  // the reader page, gzipped (bytes null if that failed)
    Body raw_gz;   // the raw article, gzipped (the plain raw bytes live in
                   // revisions/<id>.html)
    Body html_br;  // the reader page, brotli (bytes null if that failed)
    Body raw_br;   // the raw article, brotli

    // The body of the page or raw article in `coding`; null for the raw
    // identity bytes (not kept here) and for a compression that failed.
    const Body* Find(bool raw, Coding coding) const;
  };

  // The representations of `rev`, the current revision; shared, never
  // modified once returned. Null if a newer revision has been built since
  // the caller read `rev` from the store: nothing is rendered or gzipped for
  // a superseded revision, and the caller answers as for an old one.
  std::shared_ptr<const Page> Current(const RevisionPtr& rev);

  // An old revision's page (with its "old revision" notice); not cached.
  std::shared_ptr<const std::string> Old(const Revision& rev,
                                         uint64_t current_id);

 private:
  std::shared_ptr<const std::string> Render(const Revision& rev,
                                            uint64_t current_id);
  Body MakeBody(const Revision& rev, const char* kind,
                std::shared_ptr<const std::string> bytes);
  void Prune(uint64_t newest_id);

  const std::string title_;
  const std::string cache_dir_;
  const size_t min_file_bytes_;
  std::mutex build_mu_;  // held while building a revision's bodies
  std::mutex mu_;        // guards current_
  std::shared_ptr<const Page> current_;
  uint64_t current_id_ = 0;
  uint64_t current_hash_ = 0;
};

}  // namespace wiki

#endif  // WIKI_PAGE_CACHE_H_
