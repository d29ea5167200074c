// Unit tests of fs_posix: the durable-write primitives, in temp dirs under
// /tmp. Failure paths are provoked for real (missing directory, a directory
// in the way of the rename, RLIMIT_FSIZE, a full tmpfs when root), and every
// one must leave the old file intact and no temp file behind.
#include "fs_posix.h"

#include <doctest/doctest.h>
#include <errno.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "test_util.h"

namespace wiki {
namespace {

using testing::Exists;
using testing::Slurp;
using testing::Spit;
using testing::TempDir;
using testing::TempFiles;

constexpr char kDirPrefix[] = "wiki-fs-test";  // /tmp/wiki-fs-test-*

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += s + " ";
  return out;
}

TEST_CASE("ErrnoToStatus maps errno to the Status kinds") {
  struct Row {
    int err;
    Status::Code code;
  };
  const Row rows[] = {
      {ENOSPC, Status::Code::kNoSpace},  {EDQUOT, Status::Code::kNoSpace},
      {ENOENT, Status::Code::kNotFound}, {EACCES, Status::Code::kIOError},
      {EIO, Status::Code::kIOError},     {EEXIST, Status::Code::kIOError},
      {EROFS, Status::Code::kIOError},   {EISDIR, Status::Code::kIOError},
      {EFBIG, Status::Code::kIOError},   {EINTR, Status::Code::kIOError},
  };
  for (const Row& row : rows) {
    CAPTURE(row.err);
    Status s = ErrnoToStatus("write /x/y", row.err);
    CHECK_FALSE(s.ok());
    CHECK(s.code() == row.code);
    // The message names the operation and the system's reason.
    CHECK(s.message().find("write /x/y") != std::string::npos);
    CHECK(s.message().find(std::strerror(row.err)) != std::string::npos);
  }
}

TEST_CASE("WriteFileAtomically creates a new file with exactly the bytes") {
  TempDir dir(kDirPrefix);
  const std::vector<std::string> payloads = {
      "", "x", "<p>hello</p>\n", std::string("nul\0inside", 10),
      std::string(300000, 'q')};  // several write() calls' worth
  int n = 0;
  for (const std::string& data : payloads) {
    const std::string name = "f" + std::to_string(n++) + ".html";
    CAPTURE(name);
    REQUIRE(WriteFileAtomically(dir.path(), name, data).ok());
    CHECK(Slurp(dir / name) == data);
    auto read = ReadFile(dir / name);
    REQUIRE(read.ok());
    CHECK(*read == data);
  }
  CHECK(TempFiles(dir.path()).empty());
}

TEST_CASE("WriteFileAtomically replaces by rename, never in place") {
  TempDir dir(kDirPrefix);
  const std::string path = dir / "a.html";
  REQUIRE(WriteFileAtomically(dir.path(), "a.html", "old contents\n").ok());
  auto before = StatFile(path);
  REQUIRE(before.ok());

  // A reader that opened the old file keeps reading the old bytes: the new
  // contents went to a new inode that was renamed over the name.
  std::ifstream old_reader(path, std::ios::binary);
  REQUIRE(old_reader.good());

  REQUIRE(
      WriteFileAtomically(dir.path(), "a.html", "new, longer contents\n").ok());
  CHECK(Slurp(path) == "new, longer contents\n");
  std::ostringstream seen;
  seen << old_reader.rdbuf();
  CHECK(seen.str() == "old contents\n");

  auto after = StatFile(path);
  REQUIRE(after.ok());
  CHECK(after->ino != before->ino);
  CHECK(*after != *before);
  CHECK(after->size ==
        static_cast<off_t>(std::string("new, longer contents\n").size()));
  CHECK(TempFiles(dir.path()).empty());
}

TEST_CASE("WriteFileAtomically with Durability::kVisibleOnly still renames") {
  TempDir dir(kDirPrefix);
  for (const std::string data : {"first page\n", "second, longer page\n", ""}) {
    CAPTURE(data);
    auto before = StatFile(dir / "page.html");
    REQUIRE(WriteFileAtomically(dir.path(), "page.html", data,
                                Durability::kVisibleOnly)
                .ok());
    CHECK(Slurp(dir / "page.html") == data);
    auto after = StatFile(dir / "page.html");
    REQUIRE(after.ok());
    if (before.ok()) CHECK(after->ino != before->ino);  // a new inode each time
    CHECK(TempFiles(dir.path()).empty());
  }
  Status s = WriteFileAtomically(dir / "missing", "p.html", "x",
                                 Durability::kVisibleOnly);
  CHECK(s.code() == Status::Code::kNotFound);
}

TEST_CASE("WriteFileAtomically concurrent writers never produce a torn file") {
  TempDir dir(kDirPrefix);
  const int kThreads = 4, kWrites = 25;
  std::vector<std::string> versions;
  for (int t = 0; t < kThreads; ++t) {
    versions.push_back(
        std::string(20000 + t * 777, static_cast<char>('a' + t)));
  }
  REQUIRE(WriteFileAtomically(dir.path(), "a", versions[0]).ok());
  std::atomic<bool> stop{false};
  std::atomic<int> torn{0}, failures{0}, reads{0};
  std::thread reader([&] {
    while (!stop) {
      auto r = ReadFile(dir / "a");
      if (!r.ok()) {
        ++failures;
        continue;
      }
      ++reads;
      if (std::find(versions.begin(), versions.end(), *r) == versions.end())
        ++torn;
    }
  });
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < kWrites; ++i) {
        if (!WriteFileAtomically(dir.path(), "a", versions[t]).ok()) ++failures;
      }
    });
  }
  for (auto& w : writers) w.join();
  stop = true;
  reader.join();
  CHECK(torn == 0);
  CHECK(failures == 0);
  CHECK(reads > 0);
  CHECK(TempFiles(dir.path()).empty());
}

// Failure cases: each is set up by `arrange` (which may return false to
// say the case cannot be provoked here), then one write must fail with
// `code`, leave the target's old contents (or its absence) and no temp.
TEST_CASE("WriteFileAtomically failures leave the old file and no temp file") {
  const bool root = ::geteuid() == 0;
  struct Row {
    const char* name;
    std::string subdir;  // written into dir/subdir
    std::function<bool(const std::string& dir)> arrange;
    std::function<void()> undo;
    Status::Code code;
    bool target_exists;  // an old "a.html" is there and must survive
    size_t bytes;        // how much to write
  };
  const std::string old_text = "<p>old</p>\n";
  std::vector<Row> rows;
  rows.push_back({"directory missing", "missing",
                  [](const std::string&) { return true; }, [] {},
                  Status::Code::kNotFound, false, 10});
  rows.push_back({"a directory is in the way of the rename", "d",
                  [](const std::string& dir) {
                    return ::mkdir((dir + "/d/a.html").c_str(), 0755) == 0;
                  },
                  [] {}, Status::Code::kIOError, false, 10});
  // RLIMIT_FSIZE turns the write into EFBIG (after a short write): the
  // failure happens with the temp file half written.
  struct rlimit saved;
  ::getrlimit(RLIMIT_FSIZE, &saved);
  rows.push_back({"write fails half way (RLIMIT_FSIZE)", "d",
                  [&](const std::string&) {
                    ::signal(SIGXFSZ, SIG_IGN);
                    struct rlimit lim = saved;
                    lim.rlim_cur = 4096;
                    return ::setrlimit(RLIMIT_FSIZE, &lim) == 0;
                  },
                  [&] { ::setrlimit(RLIMIT_FSIZE, &saved); },
                  Status::Code::kIOError, true, 100000});
  if (!root) {  // root ignores directory permissions
    rows.push_back({"directory not writable", "d",
                    [](const std::string& dir) {
                      return ::chmod((dir + "/d").c_str(), 0555) == 0;
                    },
                    [] {}, Status::Code::kIOError, true, 10});
  }
  std::string mnt;
  if (root) {  // a real ENOSPC on a 64 KiB tmpfs
    rows.push_back(
        {"disk full (tmpfs)", "full",
         [&](const std::string& dir) {
           mnt = dir + "/full";
           if (::mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=64k") != 0) {
             return false;
           }
           Spit(mnt + "/a.html", old_text);
           return true;
         },
         [&] { ::umount2(mnt.c_str(), MNT_DETACH); }, Status::Code::kNoSpace,
         true, 200000});
  }
  for (const Row& row : rows) {
    const std::string name = row.name;
    CAPTURE(name);
    TempDir dir(kDirPrefix);
    const std::string target_dir = dir / row.subdir;
    if (row.subdir != "missing") {
      REQUIRE(::mkdir(target_dir.c_str(), 0755) == 0);
      if (row.target_exists) Spit(target_dir + "/a.html", old_text);
    }
    REQUIRE(row.arrange(dir.path()));
    Status s =
        WriteFileAtomically(target_dir, "a.html", std::string(row.bytes, 'z'));
    std::vector<std::string> temps = TempFiles(target_dir);
    std::string after = Slurp(target_dir + "/a.html");
    struct stat st;
    const bool is_dir = ::stat((target_dir + "/a.html").c_str(), &st) == 0 &&
                        S_ISDIR(st.st_mode);
    const bool exists = Exists(target_dir + "/a.html");
    row.undo();
    CHECK_FALSE(s.ok());
    CHECK(s.code() == row.code);
    INFO("temps: " << Join(temps));
    CHECK(temps.empty());
    if (row.target_exists) {
      CHECK(after == old_text);
    } else {
      CHECK((!exists || is_dir));
    }
    ::chmod(target_dir.c_str(), 0755);
  }
}

TEST_CASE("AppendDurably creates, appends and reports a missing directory") {
  TempDir dir(kDirPrefix);
  const std::string log = dir / "history.log";
  struct Step {
    std::string data;
    std::string want_total;
  };
  const Step steps[] = {
      {"{\"id\":1}\n", "{\"id\":1}\n"},
      {"{\"id\":2}\n", "{\"id\":1}\n{\"id\":2}\n"},
      {"", "{\"id\":1}\n{\"id\":2}\n"},
      {"tail", "{\"id\":1}\n{\"id\":2}\ntail"},
  };
  for (const Step& step : steps) {
    CAPTURE(step.data);
    REQUIRE(AppendDurably(log, step.data).ok());
    CHECK(Slurp(log) == step.want_total);
  }
  Status s = AppendDurably(dir / "no/such/dir/log", "x\n");
  CHECK(s.code() == Status::Code::kNotFound);
  CHECK_FALSE(Exists(dir / "no"));
}

TEST_CASE("AppendDurably on a full disk fails with NoSpace" *
          doctest::skip(::geteuid() != 0)) {
  TempDir dir(kDirPrefix);
  REQUIRE(::mount("tmpfs", dir.path().c_str(), "tmpfs", 0, "size=16k") == 0);
  Status s = AppendDurably(dir / "log", std::string(64 * 1024, 'x'));
  ::umount2(dir.path().c_str(), MNT_DETACH);
  CHECK(s.code() == Status::Code::kNoSpace);
}

TEST_CASE("TruncateDurably cuts a torn tail") {
  TempDir dir(kDirPrefix);
  const std::string log = dir / "log";
  Spit(log, "line1\nline2\nhalf a li");
  REQUIRE(TruncateDurably(log, 12).ok());
  CHECK(Slurp(log) == "line1\nline2\n");
  REQUIRE(TruncateDurably(log, 0).ok());
  CHECK(Slurp(log).empty());
  CHECK(TruncateDurably(dir / "missing", 0).code() == Status::Code::kNotFound);
}

TEST_CASE("ReadFile, StatFile, ListDir, RemoveFile, CreateDir") {
  TempDir dir(kDirPrefix);
  CHECK(ReadFile(dir / "nope").status().code() == Status::Code::kNotFound);
  CHECK(StatFile(dir / "nope").status().code() == Status::Code::kNotFound);
  CHECK(ListDir(dir / "nope").status().code() == Status::Code::kNotFound);

  REQUIRE(CreateDir(dir / "sub", 0755).ok());
  CHECK(CreateDir(dir / "sub", 0755).ok());  // already there: fine
  CHECK(CreateDir(dir / "x/y", 0755).code() == Status::Code::kNotFound);

  Spit(dir / "sub/one", "1");
  Spit(dir / "sub/two", "22");
  auto names = ListDir(dir / "sub");
  REQUIRE(names.ok());
  std::sort(names->begin(), names->end());
  CHECK(*names == std::vector<std::string>{"one", "two"});

  auto id = StatFile(dir / "sub/two");
  REQUIRE(id.ok());
  CHECK(id->size == 2);

  CHECK(RemoveFile(dir / "sub/one").ok());
  CHECK_FALSE(Exists(dir / "sub/one"));
  CHECK(RemoveFile(dir / "sub/one").ok());  // already gone: fine
  CHECK(SyncDir(dir / "sub").ok());
  CHECK(SyncDir(dir / "nope").code() == Status::Code::kNotFound);
}

TEST_CASE("FileLock: exclusive excludes, shared coexist") {
  TempDir dir(kDirPrefix);
  const std::string path = dir / ".lock";
  // Within one process flock(2) still excludes, because every Acquire opens
  // its own file description (this is what threads of one worker rely on).
  auto first = FileLock::Acquire(path, FileLock::Mode::kExclusive);
  REQUIRE(first.ok());
  std::atomic<bool> got{false};
  std::thread t([&] {
    auto second = FileLock::Acquire(path, FileLock::Mode::kShared);
    got = second.ok();
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  CHECK_FALSE(got.load());  // still blocked behind the exclusive lock
  { FileLock release = std::move(*first); }
  t.join();
  CHECK(got.load());

  auto a = FileLock::Acquire(path, FileLock::Mode::kShared);
  auto b = FileLock::Acquire(path, FileLock::Mode::kShared);  // no deadlock
  CHECK(a.ok());
  CHECK(b.ok());
  CHECK(FileLock::Acquire(dir / "no/dir/.lock", FileLock::Mode::kShared)
            .status()
            .code() == Status::Code::kNotFound);
}

TEST_CASE("FileLock: TryAcquire does not wait; notes live in the lock file") {
  TempDir dir(kDirPrefix);
  const std::string path = dir / ".lock";
  auto first = FileLock::TryAcquire(path, FileLock::Mode::kExclusive);
  REQUIRE(first.ok());
  REQUIRE(first->held());
  auto note = first->ReadNote();
  REQUIRE(note.ok());
  CHECK(*note == "");
  CHECK(first->WriteNote("a longer note\n").ok());
  CHECK(first->WriteNote("short\n").ok());  // replaces, no tail left
  auto busy = FileLock::TryAcquire(path, FileLock::Mode::kExclusive);
  REQUIRE(busy.ok());
  CHECK_FALSE(busy->held());  // another description holds it: no waiting
  { FileLock release = std::move(*first); }
  auto second = FileLock::TryAcquire(path, FileLock::Mode::kShared);
  REQUIRE(second.ok());
  REQUIRE(second->held());
  note = second->ReadNote();
  REQUIRE(note.ok());
  CHECK(*note == "short\n");
  CHECK(FileLock::TryAcquire(dir / "no/dir/.lock", FileLock::Mode::kShared)
            .status()
            .code() == Status::Code::kNotFound);
}

}  // namespace
}  // namespace wiki
