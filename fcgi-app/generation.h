// generation: a counter in shared memory that every process using one data
// directory maps, so that a reader learns that the current revision may have
// changed with one atomic load instead of a stat(2) per request.
//
// The counter lives in a small file (by default <data_dir>/.generation, see
// ArticleStore) mapped MAP_SHARED by each process. A writer bumps it after
// its change is visible on disk; a reader compares it with the value it saw
// when it last loaded, and only looks at the disk when they differ. What
// may bump, and how a missed bump is repaired, is ArticleStore's business
// (article_store.h); this class only owns the word.
//
// Layout (kVersion 1, 64 bytes): magic "wikigen1", version, size, then the
// counter. The file is created complete, fsynced, then linked into place
// (link(2) fails if another process got there first), so nobody ever maps a
// half-written header, and after a power cut the name is absent or names a
// complete file. The counter's later values are not fsynced: after a
// restart any value does, since a fresh process has loaded nothing yet.
// A file of another version or with a bad header is left as it is (another
// build may be using it): Open fails, and the caller falls back.
//
// Never truncate the file while processes map it (SIGBUS). Deleting it while
// they run splits them: processes started later create and bump a new one
// that the earlier ones do not see; ArticleStore's periodic check bounds
// what that costs.
//
// Thread-safety: Load and Bump may be called from any thread of any process.
// Ownership: a Generation owns its mapping (unmapped on destruction).
#ifndef WIKI_GENERATION_H_
#define WIKI_GENERATION_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "status.h"

namespace wiki {

class Generation {
 public:
  static constexpr uint32_t kVersion = 1;

  // Maps `path`, creating it (mode 0644) if it does not exist. IOError /
  // NotFound if it cannot be created, opened read-write or mapped;
  // Corruption if it is not a generation file of kVersion.
  static Result<std::unique_ptr<Generation>> Open(const std::string& path);

  ~Generation();
  Generation(const Generation&) = delete;
  Generation& operator=(const Generation&) = delete;

  // The counter (never 0: a new file starts at 1). Acquire: what the bumper
  // did before its Bump is visible after a Load that returns its value.
  uint64_t Load() const;

  // Increments the counter; returns the new value. Release.
  uint64_t Bump();

  // Increments the counter only if it still holds `seen` (so that several
  // processes repairing the same missed bump bump once). Whether it did.
  bool BumpFrom(uint64_t seen);

  struct Layout;  // defined in generation.cc

 private:
  explicit Generation(Layout* layout) : layout_(layout) {}
  Layout* const layout_;
};

}  // namespace wiki

#endif  // WIKI_GENERATION_H_
