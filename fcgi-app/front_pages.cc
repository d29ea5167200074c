#include "front_pages.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "front_record.h"
#include "fs_posix.h"

namespace wiki {

namespace {

constexpr char kCurrent[] = "current";
constexpr char kOff[] = "off";
constexpr char kNewLink[] = ".current-new";
constexpr char kRecord[] = "current.rec";

bool IsDigits(std::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
}

// Removes a directory of plain files (a revision's, or a temp one).
void RemoveFlatDir(const std::string& path) {
  auto names = ListDir(path);
  if (names.ok()) {
    for (const std::string& n : *names) RemoveFile(path + "/" + n);
  }
  ::rmdir(path.c_str());
}

}  // namespace

FrontPages::FrontPages(std::string pages_dir) : dir_(std::move(pages_dir)) {}

std::string FrontPages::DirName(const RevisionMeta& meta, uint64_t fib) {
  char buf[80];
  std::snprintf(buf, sizeof(buf), "%llu-%016llx-%llu",
                static_cast<unsigned long long>(meta.id),
                static_cast<unsigned long long>(meta.hash),
                static_cast<unsigned long long>(fib));
  return buf;
}

uint64_t FrontPages::IdOf(std::string_view name) {
  size_t dash = name.find('-');
  if (dash == std::string_view::npos) return 0;
  std::string_view id = name.substr(0, dash);
  std::string_view rest = name.substr(dash + 1);
  size_t dash2 = rest.find('-');
  if (!IsDigits(id) || id.size() > 19 || dash2 != 16 ||
      rest.substr(0, 16).find_first_not_of("0123456789abcdef") !=
          std::string_view::npos ||
      !IsDigits(rest.substr(17))) {
    return 0;
  }
  return std::strtoull(std::string(id).c_str(), nullptr, 10);
}

Status FrontPages::Init() {
  Status s = CreateDir(dir_, 0755);
  if (s.ok()) s = CreateDir(dir_ + "/" + kOff, 0755);
  if (!s.ok()) return s;
  struct stat st;
  const std::string current = dir_ + "/" + kCurrent;
  if (::lstat(current.c_str(), &st) == 0) return Status::OK();
  auto lock = FileLock::Acquire(dir_ + "/.lock", FileLock::Mode::kExclusive);
  if (!lock.ok()) return lock.status();
  if (::lstat(current.c_str(), &st) == 0) return Status::OK();
  return PointCurrentAt(kOff);
}

std::string FrontPages::CurrentName() const {
  char buf[PATH_MAX];
  const std::string current = dir_ + "/" + kCurrent;
  ssize_t n = ::readlink(current.c_str(), buf, sizeof(buf));
  if (n <= 0 || n >= static_cast<ssize_t>(sizeof(buf))) return "";
  return std::string(buf, static_cast<size_t>(n));
}

Status FrontPages::PointCurrentAt(const std::string& name) {
  // First what nginx reads (front_record.h), then the link: whoever sees
  // the link name a revision (the workers' fast paths read it without the
  // lock: FrontCache::AfterCommit) knows nginx serves it already. The other
  // order let a worker acknowledge while the record still named the
  // previous revision.
  Status s = PublishFrontRecord(dir_ + "/" + kRecord, name);
  if (!s.ok()) return s;
  // A new link under a temporary name, renamed over the old one: readers
  // resolve either the old target or the new one, never nothing.
  const std::string tmp = dir_ + "/" + kNewLink;
  ::unlink(tmp.c_str());
  if (::symlink(name.c_str(), tmp.c_str()) != 0) {
    return ErrnoToStatus("symlink " + tmp, errno);
  }
  const std::string current = dir_ + "/" + kCurrent;
  if (::rename(tmp.c_str(), current.c_str()) != 0) {
    s = ErrnoToStatus("rename to " + current, errno);
    ::unlink(tmp.c_str());
    return s;
  }
  return Status::OK();
}

Status FrontPages::WriteRevisionDir(const std::string& name,
                                    const Snapshot& snap) {
  // Built under a temporary name and renamed into place whole, so nginx
  // never sees a directory with some files missing.
  const std::string tmp = dir_ + "/" + kTempPrefix + name;
  RemoveFlatDir(tmp);
  if (::mkdir(tmp.c_str(), 0755) != 0) {
    return ErrnoToStatus("mkdir " + tmp, errno);
  }
  // Last-Modified (nginx takes it from the mtime): the commit time, as the
  // app sends it.
  struct timespec times[2];
  times[0].tv_sec = times[1].tv_sec = snap.meta.time_ms / 1000;
  times[0].tv_nsec = times[1].tv_nsec = (snap.meta.time_ms % 1000) * 1000000;
  Status s;
  for (size_t i = 0; i < kFileCount; ++i) {
    s = WriteFileAtomically(tmp, kFiles[i].name, snap.files[i],
                            Durability::kVisibleOnly);
    if (!s.ok()) break;
    const std::string path = tmp + "/" + kFiles[i].name;
    if (::utimensat(AT_FDCWD, path.c_str(), times, 0) != 0) {
      s = ErrnoToStatus("utimensat " + path, errno);
      break;
    }
  }
  const std::string final_path = dir_ + "/" + name;
  if (s.ok()) {
    RemoveFlatDir(final_path);  // a leftover of the same revision, if any
    if (::rename(tmp.c_str(), final_path.c_str()) != 0) {
      s = ErrnoToStatus("rename to " + final_path, errno);
    }
  }
  if (!s.ok()) RemoveFlatDir(tmp);
  return s;
}

void FrontPages::Prune(uint64_t newest_id) {
  auto names = ListDir(dir_);
  if (!names.ok()) return;
  for (const std::string& n : *names) {
    // Under the lock every temp directory is an interrupted publisher's.
    if (n.rfind(kTempPrefix, 0) == 0) {
      RemoveFlatDir(dir_ + "/" + n);
      continue;
    }
    const uint64_t id = IdOf(n);
    if (id != 0 && (id + kKeepRevisions < newest_id || id > newest_id)) {
      RemoveFlatDir(dir_ + "/" + n);
    }
  }
}

Status FrontPages::Sync(const Source& source, std::string* published,
                        const std::function<bool()>& satisfied) {
  auto lock = FileLock::Acquire(dir_ + "/.lock", FileLock::Mode::kExclusive);
  if (!lock.ok()) return lock.status();
  if (satisfied && satisfied()) {
    if (published != nullptr) *published = CurrentName();
    return Status::OK();
  }
  auto snap = source();
  if (!snap.ok()) return snap.status();
  const std::string name = DirName(snap->meta, snap->fib);
  if (published != nullptr) *published = name;
  struct stat st;
  const std::string path = dir_ + "/" + name;
  // A directory of this name holds the same bytes (the name is the revision
  // id and content hash) if it is complete: directories appear whole, but
  // one may have been deleted by hand, and a link to a missing directory
  // would make nginx fail every front-cached read.
  // Sizes are checked too: the files are not fsynced, so a crash can leave
  // them short (data=ordered ext4 writes a new file's data before its size).
  bool complete = true;
  for (size_t i = 0; i < kFileCount; ++i) {
    complete = complete &&
               ::stat((path + "/" + kFiles[i].name).c_str(), &st) == 0 &&
               static_cast<size_t>(st.st_size) == snap->files[i].size();
  }
  if (complete && CurrentName() == name) return Status::OK();
  Status s;
  if (!complete) s = WriteRevisionDir(name, *snap);
  if (s.ok()) s = PointCurrentAt(name);
  if (s.ok()) Prune(snap->meta.id);
  if (!s.ok() && published != nullptr) *published = CurrentName();
  return s;
}

Status FrontPages::Disable() {
  auto lock = FileLock::Acquire(dir_ + "/.lock", FileLock::Mode::kExclusive);
  if (!lock.ok()) return lock.status();
  return PointCurrentAt(kOff);
}

}  // namespace wiki
