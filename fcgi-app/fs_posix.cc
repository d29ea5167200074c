// The durable-write recipe (WriteFileAtomically), and why the order matters:
//
//   1. open(dir/.tmp-<name>-<pid>-<n>, O_CREAT|O_EXCL|O_WRONLY)
//        Same directory as the target, so step 5 is a rename within one
//        file system (atomic); O_EXCL so two writers can never share a temp
//        file, even if a pid is reused after a crash.
//   2. write() loop until every byte is written, retrying EINTR and
//      continuing after short writes (a full disk shows up here as ENOSPC).
//   3. fsync(fd): the data must be on disk BEFORE the name points at it;
//      otherwise a crash after the rename could leave an empty or partial
//      file under the real name.
//   4. close(fd), checked: some file systems report write-back errors here.
//   5. rename(tmp, dir/name): atomically replaces the old file; readers see
//      either the old inode or the new one, never a torn mix.
//   6. fsync(dir): makes the rename itself durable; until then a crash can
//      bring the old name back.
//   On any failure before step 5 the temp file is unlinked, so the old file
//   stays exactly as it was and nothing is left behind.
#include "fs_posix.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstring>

namespace wiki {

const char kTempPrefix[] = ".tmp-";

Status ErrnoToStatus(const std::string& context, int err) {
  std::string msg = context + ": " + std::strerror(err);
  switch (err) {
    case ENOSPC:
    case EDQUOT:
      return Status::NoSpace(msg);
    case ENOENT:
      return Status::NotFound(msg);
    default:
      return Status::IOError(msg);
  }
}

UniqueFd::~UniqueFd() {
  if (fd_ >= 0) ::close(fd_);
}

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.release();
  }
  return *this;
}

Status UniqueFd::Close(const std::string& what) {
  int fd = release();
  if (fd < 0) return Status::OK();
  // Linux closes the descriptor even when close() fails with EINTR, so it
  // must not be retried.
  if (::close(fd) != 0 && errno != EINTR)
    return ErrnoToStatus("close " + what, errno);
  return Status::OK();
}

Result<FileLock> FileLock::Acquire(const std::string& path, Mode mode) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoToStatus("open lock " + path, errno);
  FileLock lock;
  lock.fd_ = UniqueFd(fd);
  int op = mode == Mode::kExclusive ? LOCK_EX : LOCK_SH;
  while (::flock(fd, op) != 0) {
    if (errno != EINTR) return ErrnoToStatus("flock " + path, errno);
  }
  return lock;
}

Result<FileLock> FileLock::TryAcquire(const std::string& path, Mode mode) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoToStatus("open lock " + path, errno);
  UniqueFd owned(fd);
  int op = (mode == Mode::kExclusive ? LOCK_EX : LOCK_SH) | LOCK_NB;
  while (::flock(fd, op) != 0) {
    if (errno == EWOULDBLOCK) return FileLock();
    if (errno != EINTR) return ErrnoToStatus("flock " + path, errno);
  }
  FileLock lock;
  lock.fd_ = std::move(owned);
  return lock;
}

FileLock::~FileLock() = default;

Result<std::string> FileLock::ReadNote() const {
  char buf[256];
  ssize_t n;
  do {
    n = ::pread(fd_.get(), buf, sizeof(buf), 0);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return ErrnoToStatus("read lock note", errno);
  return std::string(buf, static_cast<size_t>(n));
}

Status FileLock::WriteNote(std::string_view note) {
  ssize_t n;
  do {
    n = ::pwrite(fd_.get(), note.data(), note.size(), 0);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return ErrnoToStatus("write lock note", errno);
  if (static_cast<size_t>(n) != note.size())
    return Status::IOError("write lock note: short write");
  if (::ftruncate(fd_.get(), static_cast<off_t>(note.size())) != 0)
    return ErrnoToStatus("truncate lock note", errno);
  return Status::OK();
}

namespace {

FileId ToFileId(const struct stat& st) {
  FileId id;
  id.dev = st.st_dev;
  id.ino = st.st_ino;
  id.size = st.st_size;
  id.mtime_ns = st.st_mtim.tv_sec * 1000000000L + st.st_mtim.tv_nsec;
  return id;
}

Status ReadToEnd(int fd, off_t offset, const std::string& path,
                 std::string* data) {
  char buf[65536];
  for (;;) {
    ssize_t n = ::pread(fd, buf, sizeof(buf), offset);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoToStatus("read " + path, errno);
    }
    if (n == 0) return Status::OK();
    data->append(buf, static_cast<size_t>(n));
    offset += n;
  }
}

}  // namespace

Result<FileId> StatFile(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0)
    return ErrnoToStatus("stat " + path, errno);
  return ToFileId(st);
}

Result<std::string> ReadFile(const std::string& path, FileId* id) {
  int raw = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (raw < 0) return ErrnoToStatus("open " + path, errno);
  UniqueFd fd(raw);
  std::string data;
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return ErrnoToStatus("fstat " + path, errno);
  if (id != nullptr) *id = ToFileId(st);
  if (st.st_size > 0) data.reserve(static_cast<size_t>(st.st_size));
  Status s = ReadToEnd(fd.get(), 0, path, &data);
  if (!s.ok()) return s;
  return data;
}

Result<std::string> ReadFileFrom(const std::string& path, off_t offset) {
  int raw = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (raw < 0) return ErrnoToStatus("open " + path, errno);
  UniqueFd fd(raw);
  std::string data;
  Status s = ReadToEnd(fd.get(), offset, path, &data);
  if (!s.ok()) return s;
  return data;
}

Result<std::string> ReadFileRange(const std::string& path, off_t offset,
                                  size_t len) {
  int raw = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (raw < 0) return ErrnoToStatus("open " + path, errno);
  UniqueFd fd(raw);
  std::string data(len, '\0');
  size_t got = 0;
  while (got < len) {
    ssize_t n = ::pread(fd.get(), &data[got], len - got,
                        offset + static_cast<off_t>(got));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoToStatus("read " + path, errno);
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  data.resize(got);
  return data;
}

namespace {

FsObserver* g_observer = nullptr;
bool g_power_cut = false;

// A step that changes the file system: refused once the power is cut.
Status Step(FsObserver::Op op, const std::string& path) {
  if (g_observer == nullptr) return Status::OK();
  if (!g_power_cut && !g_observer->Before(op, path)) g_power_cut = true;
  if (g_power_cut) return Status::IOError("simulated power cut at " + path);
  return Status::OK();
}

void Synced(FsObserver::Op op, const std::string& path, int fd) {
  if (g_observer != nullptr) g_observer->Synced(op, path, fd);
}

Status WriteAll(int fd, std::string_view data, const std::string& path) {
  Status s = Step(FsObserver::Op::kWrite, path);
  if (!s.ok()) return s;
  const char* p = data.data();
  size_t left = data.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoToStatus("write " + path, errno);
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  return Status::OK();
}

Status SyncFd(int fd, const std::string& path, FsObserver::Op op) {
  Status s = Step(op, path);
  if (!s.ok()) return s;
  while (::fsync(fd) != 0) {
    if (errno != EINTR) return ErrnoToStatus("fsync " + path, errno);
  }
  Synced(op, path, op == FsObserver::Op::kFsyncFile ? fd : -1);
  return Status::OK();
}

std::string TempName(const std::string& name) {
  static std::atomic<unsigned> counter{0};
  return std::string(kTempPrefix) + name + "-" + std::to_string(::getpid()) +
         "-" + std::to_string(counter.fetch_add(1));
}

}  // namespace

void SetFsObserver(FsObserver* observer) {
  g_observer = observer;
  g_power_cut = false;
}

Status SyncDir(const std::string& dir) {
  int raw = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (raw < 0) return ErrnoToStatus("open dir " + dir, errno);
  UniqueFd fd(raw);
  Status s = SyncFd(fd.get(), dir, FsObserver::Op::kFsyncDir);
  if (!s.ok()) return s;
  return fd.Close(dir);
}

Result<StagedFile> StagedFile::Write(const std::string& dir,
                                     const std::string& name,
                                     std::string_view data,
                                     Durability durability) {
  StagedFile staged;
  staged.dir_ = dir;
  staged.sync_ = durability == Durability::kSynced;
  const std::string tmp_path = dir + "/" + TempName(name);
  Status step = Step(FsObserver::Op::kCreate, tmp_path);
  if (!step.ok()) return step;
  int raw =
      ::open(tmp_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (raw < 0) return ErrnoToStatus("create " + tmp_path, errno);
  staged.tmp_path_ = tmp_path;  // from here on the destructor unlinks it
  UniqueFd fd(raw);
  Status s = WriteAll(fd.get(), data, tmp_path);
  if (s.ok() && staged.sync_)
    s = SyncFd(fd.get(), tmp_path, FsObserver::Op::kFsyncFile);
  if (s.ok()) s = fd.Close(tmp_path);
  if (!s.ok()) return s;  // fd closed, then the destructor unlinks
  return staged;
}

StagedFile& StagedFile::operator=(StagedFile&& other) noexcept {
  if (this != &other) {
    if (!tmp_path_.empty()) ::unlink(tmp_path_.c_str());
    dir_ = std::move(other.dir_);
    tmp_path_ = std::move(other.tmp_path_);
    sync_ = other.sync_;
    other.tmp_path_.clear();
  }
  return *this;
}

StagedFile::~StagedFile() {
  if (!tmp_path_.empty()) ::unlink(tmp_path_.c_str());
}

Status StagedFile::RenameTo(const std::string& name) {
  if (tmp_path_.empty()) return Status::IOError("nothing staged for " + name);
  const std::string final_path = dir_ + "/" + name;
  Status s = Step(FsObserver::Op::kRename, final_path);
  if (s.ok() && ::rename(tmp_path_.c_str(), final_path.c_str()) != 0) {
    s = ErrnoToStatus("rename to " + final_path, errno);
  }
  if (!s.ok()) {
    ::unlink(tmp_path_.c_str());
    tmp_path_.clear();
    return s;
  }
  tmp_path_.clear();
  return sync_ ? SyncDir(dir_) : Status::OK();
}

Status WriteFileAtomically(const std::string& dir, const std::string& name,
                           std::string_view data, Durability durability) {
  auto staged = StagedFile::Write(dir, name, data, durability);
  if (!staged.ok()) return staged.status();
  return staged->RenameTo(name);
}

Status AppendDurably(const std::string& path, std::string_view data) {
  bool existed = ::access(path.c_str(), F_OK) == 0;
  Status step = Step(FsObserver::Op::kCreate, path);
  if (!step.ok()) return step;
  int raw =
      ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (raw < 0) return ErrnoToStatus("open " + path, errno);
  UniqueFd fd(raw);
  Status s = WriteAll(fd.get(), data, path);
  if (s.ok()) s = SyncFd(fd.get(), path, FsObserver::Op::kFsyncFile);
  if (s.ok()) s = fd.Close(path);
  if (s.ok() && !existed) {
    std::string dir = path.substr(0, path.rfind('/'));
    s = SyncDir(dir.empty() ? "/" : dir);
  }
  return s;
}

Status TruncateDurably(const std::string& path, off_t size) {
  Status step = Step(FsObserver::Op::kTruncate, path);
  if (!step.ok()) return step;
  int raw = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (raw < 0) return ErrnoToStatus("open " + path, errno);
  UniqueFd fd(raw);
  if (::ftruncate(fd.get(), size) != 0)
    return ErrnoToStatus("truncate " + path, errno);
  Status s = SyncFd(fd.get(), path, FsObserver::Op::kFsyncFile);
  if (!s.ok()) return s;
  return fd.Close(path);
}

Status CreateDir(const std::string& path, mode_t mode) {
  if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST) {
    return ErrnoToStatus("mkdir " + path, errno);
  }
  return Status::OK();
}

Result<std::vector<std::string>> ListDir(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return ErrnoToStatus("opendir " + dir, errno);
  std::vector<std::string> names;
  errno = 0;
  while (struct dirent* e = ::readdir(d)) {
    if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0)
      continue;
    names.emplace_back(e->d_name);
  }
  int err = errno;
  ::closedir(d);
  if (err != 0) return ErrnoToStatus("readdir " + dir, err);
  return names;
}

Status RemoveFile(const std::string& path) {
  Status step = Step(FsObserver::Op::kUnlink, path);
  if (!step.ok()) return step;
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return ErrnoToStatus("unlink " + path, errno);
  }
  return Status::OK();
}

}  // namespace wiki
