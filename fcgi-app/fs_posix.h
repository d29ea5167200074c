// fs_posix: the only place that talks to the file system for durability.
//
// Everything the article store persists goes through this small interface,
// as LevelDB's env_posix.cc does for LevelDB. errno becomes a Status here
// and nowhere else: ENOSPC/EDQUOT map to Status::NoSpace, ENOENT to
// Status::NotFound, anything else to Status::IOError.
//
// Ownership: UniqueFd and FileLock own their descriptor and release it in
// their destructor. Thread-safety: all functions are safe to call from
// several threads and several processes at once; mutual exclusion between
// writers is the caller's job (FileLock).
#ifndef WIKI_FS_POSIX_H_
#define WIKI_FS_POSIX_H_

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

#include "status.h"

namespace wiki {

// Converts the current errno (saved by the caller) into a Status naming
// the operation and the path.
Status ErrnoToStatus(const std::string& context, int err);

// An owned file descriptor; closed on destruction.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd();
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  // close(2) with its result checked: a failed close can mean lost data.
  Status Close(const std::string& what);

 private:
  int fd_ = -1;
};

// An advisory flock(2) on a lock file, shared by every worker process on
// the host. Held from Acquire until destruction.
class FileLock {
 public:
  enum class Mode { kShared, kExclusive };

  // Opens (creating if needed) `path` and blocks until the lock is held.
  static Result<FileLock> Acquire(const std::string& path, Mode mode);
  // As Acquire, but without waiting: when another descriptor holds a
  // conflicting lock, returns a FileLock that is not held().
  static Result<FileLock> TryAcquire(const std::string& path, Mode mode);

  FileLock() = default;
  FileLock(FileLock&&) = default;
  FileLock& operator=(FileLock&&) = default;
  ~FileLock();  // unlocks (closing the descriptor releases the flock)

  bool held() const { return fd_.valid(); }

  // A small note (up to 256 bytes) kept in the lock file itself, for state
  // shared by the lock's holders: read and replaced only while the lock is
  // held, so holders see each other's notes whole. Not synced: after a
  // crash it may be missing or damaged, so callers check what they read.
  // ReadNote returns "" for an empty file.
  Result<std::string> ReadNote() const;
  Status WriteNote(std::string_view note);

 private:
  UniqueFd fd_;
};

// Identity of a file as stat(2) sees it. A rename() over the path changes
// the inode, so comparing identities tells readers a new revision landed
// without reading the file.
struct FileId {
  dev_t dev = 0;
  ino_t ino = 0;
  off_t size = 0;
  long mtime_ns = 0;
  bool operator==(const FileId& o) const {
    return dev == o.dev && ino == o.ino && size == o.size &&
           mtime_ns == o.mtime_ns;
  }
  bool operator!=(const FileId& o) const { return !(*this == o); }
};

Result<FileId> StatFile(const std::string& path);

// Reads a whole file. NotFound if it does not exist. With `id`, also
// reports the identity of the very inode that was read (fstat), which may
// differ from an earlier stat() of the path if it was renamed over since.
Result<std::string> ReadFile(const std::string& path, FileId* id = nullptr);

// Reads from byte `offset` to the end of the file (for a log that only
// grows). NotFound if it does not exist.
Result<std::string> ReadFileFrom(const std::string& path, off_t offset);

// Reads up to `len` bytes at byte `offset` (fewer at the end of the file):
// one record of a log, or a window of it. NotFound if it does not exist.
Result<std::string> ReadFileRange(const std::string& path, off_t offset,
                                  size_t len);

enum class Durability {
  kSynced,       // on disk when the call returns (file and directory fsynced)
  kVisibleOnly,  // atomic for readers, but a crash may lose it (caches)
};

// Writes `data` to dir/name so that, once OK is returned, the new content
// is on disk and visible under that name, and a crash at any moment leaves
// either the old file or the new one, never a mix. See fs_posix.cc for the
// recipe. On failure the old file is untouched and no temp file is left.
// kVisibleOnly skips both fsyncs: for files that can be rebuilt.
Status WriteFileAtomically(const std::string& dir, const std::string& name,
                           std::string_view data,
                           Durability durability = Durability::kSynced);

// WriteFileAtomically in two halves, so that the slow one can run before a
// lock is taken: Write does steps 1-4 of the recipe (temp file in `dir`,
// data written, fsynced unless kVisibleOnly, closed), RenameTo steps 5-6
// (rename onto dir/name, fsync of the directory unless kVisibleOnly). The
// temp file is unlinked if RenameTo fails or never runs (destructor).
// Start-up recovery removes leftovers, so a staged file may vanish under a
// process that did not hold the lock: RenameTo then returns NotFound.
// Not thread-safe (one owner); move-only.
class StagedFile {
 public:
  static Result<StagedFile> Write(const std::string& dir,
                                  const std::string& name,
                                  std::string_view data,
                                  Durability durability = Durability::kSynced);
  StagedFile() = default;
  StagedFile(StagedFile&& other) noexcept { *this = std::move(other); }
  StagedFile& operator=(StagedFile&& other) noexcept;
  StagedFile(const StagedFile&) = delete;
  StagedFile& operator=(const StagedFile&) = delete;
  ~StagedFile();

  Status RenameTo(const std::string& name);

 private:
  std::string dir_;
  std::string tmp_path_;  // "" once renamed (or never written)
  bool sync_ = true;
};

// Appends `data` to the file at `path` (created if missing) and fsyncs it
// before returning, so an acknowledged record survives a crash. When the
// file is created, the directory is fsynced too.
Status AppendDurably(const std::string& path, std::string_view data);

// Truncates `path` to `size` bytes and fsyncs it (used by recovery to drop
// a torn, never-acknowledged tail).
Status TruncateDurably(const std::string& path, off_t size);

// mkdir -p for one level; OK if it already exists.
Status CreateDir(const std::string& path, mode_t mode);

// Names (not paths) in `dir`, without "." and "..".
Result<std::vector<std::string>> ListDir(const std::string& dir);

// unlink; OK if the file is already gone.
Status RemoveFile(const std::string& path);

// fsync of a directory, making renames and creations in it durable.
Status SyncDir(const std::string& dir);

// Test seam for fault injection (in the manner of LevelDB's fault-injection
// Env): an observer sees every step that changes the file system, before it
// runs, and every fsync after it succeeded. When Before() returns false the
// power is "cut" there: that step and every later one (until the observer
// is replaced) fail with IOError without touching the disk, as if the
// process had died; the observer can then rebuild the directories as a
// power cut would leave them (only what was fsynced). nullptr in
// production. Not thread-safe: set it while no other thread uses fs_posix.
class FsObserver {
 public:
  enum class Op {
    kCreate,     // a temp file (WriteFileAtomically) or a log (append)
    kWrite,      // its data
    kFsyncFile,  // fsync of a file
    kRename,     // temp file over its final name (path = final name)
    kFsyncDir,   // fsync of a directory (path = the directory)
    kTruncate,
    kUnlink,
  };
  virtual ~FsObserver() = default;
  virtual bool Before(Op op, const std::string& path) = 0;
  // After a successful fsync of `path` (kFsyncFile, with its descriptor) or
  // of a directory (kFsyncDir, fd -1).
  virtual void Synced(Op op, const std::string& path, int fd) = 0;
};
void SetFsObserver(FsObserver* observer);

// Prefix of every temporary file WriteFileAtomically creates; start-up
// recovery removes leftovers with this prefix.
extern const char kTempPrefix[];

}  // namespace wiki

#endif  // WIKI_FS_POSIX_H_
