// The durability recipe of a commit, observed from the outside: this file
// interposes fsync, fdatasync and rename for the whole unit-test binary
// (definitions in the executable win over libc's; each forwards to libc),
// and records, while a test asks for it, which file or directory each call
// touched. A commit whose fsyncs were removed (or moved after the rename
// they must precede) fails here, however the code is arranged.
#include <dlfcn.h>
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <mutex>
#include <string>
#include <vector>

#include "article_store.h"
#include "fs_posix.h"
#include "test_util.h"

namespace {

std::mutex g_mu;
bool g_recording = false;
std::vector<std::string> g_events;  // "sync <path>", "rename <from> <to>"

std::string FdPath(int fd) {
  char buf[4096];
  const std::string link = "/proc/self/fd/" + std::to_string(fd);
  ssize_t n = ::readlink(link.c_str(), buf, sizeof(buf) - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "?";
}

void Record(std::string event) {
  std::lock_guard<std::mutex> guard(g_mu);
  if (g_recording) g_events.push_back(std::move(event));
}

template <typename F>
F Real(const char* name) {
  return reinterpret_cast<F>(::dlsym(RTLD_NEXT, name));
}

}  // namespace

extern "C" int fsync(int fd) {
  static auto real = Real<int (*)(int)>("fsync");
  Record("sync " + FdPath(fd));  // before: the path of a temp file
  return real(fd);
}

extern "C" int fdatasync(int fd) {
  static auto real = Real<int (*)(int)>("fdatasync");
  Record("sync " + FdPath(fd));
  return real(fd);
}

extern "C" int rename(const char* from, const char* to) {
  static auto real = Real<int (*)(const char*, const char*)>("rename");
  Record(std::string("rename ") + from + " " + to);
  return real(from, to);
}

namespace wiki {
namespace {

constexpr char kTitle[] = "Latest_plane_crash";

// Index of the first event at or after `from` equal to `want`; -1 if none.
int Find(const std::vector<std::string>& events, const std::string& want,
         int from = 0) {
  for (size_t i = static_cast<size_t>(from); i < events.size(); ++i)
    if (events[i] == want) return static_cast<int>(i);
  return -1;
}

// The rename event whose target is `to`; "" if none.
std::string RenameTo(const std::vector<std::string>& events,
                     const std::string& to) {
  for (const std::string& e : events) {
    if (e.rfind("rename ", 0) == 0 && e.size() > to.size() &&
        e.compare(e.size() - to.size() - 1, to.size() + 1, " " + to) == 0)
      return e;
  }
  return "";
}

// For an atomic replace of `dir`/`name`: fsync(temp) before rename(temp,
// final) before fsync(dir). Returns the index of the dir fsync (-1 if the
// recipe is broken).
int CheckReplace(const std::vector<std::string>& ev, const std::string& dir,
                 const std::string& name) {
  CAPTURE(name);
  const std::string final_path = dir + "/" + name;
  const std::string rename = RenameTo(ev, final_path);
  REQUIRE_MESSAGE(!rename.empty(), "no rename onto " << final_path);
  const std::string tmp =
      rename.substr(7, rename.size() - 7 - final_path.size() - 1);
  const int at_sync = Find(ev, "sync " + tmp);
  const int at_rename = Find(ev, rename);
  const int at_dir = Find(ev, "sync " + dir, at_rename);
  CHECK_MESSAGE(at_sync >= 0, "the temp file is never fsynced");
  CHECK(at_sync < at_rename);
  CHECK_MESSAGE(at_dir > at_rename, "the directory is not fsynced after it");
  return at_sync >= 0 && at_sync < at_rename && at_dir > at_rename ? at_dir
                                                                   : -1;
}

TEST_CASE("commit: every step of the write recipe is fsynced, in order") {
  // Both ways a commit writes its revision file: under the lock, or staged
  // (written and fsynced) before it and renamed under it.
  bool staged = false;
  SUBCASE("revision file written under the lock") { staged = false; }
  SUBCASE("revision file staged before the lock") { staged = true; }
  CAPTURE(staged);
  testing::TempDir dir("wiki-commit-sync-test");
  // Directory paths as /proc/self/fd shows them (no symlinks in /tmp).
  const std::string data = dir.path();
  testing::Spit(data + "/" + kTitle + ".html", "<p>first</p>\n");
  auto store = ArticleStore::Open(data, kTitle);
  REQUIRE(store.ok());
  {
    std::lock_guard<std::mutex> guard(g_mu);
    g_events.clear();
    g_recording = true;
  }
  const std::string text = "<p>second</p>\n";
  auto m = (*store)->Commit(
      "tester", "",
      [&](const Revision&, ArticleStore::Plan* plan) {
        plan->text = text;
        return Status::OK();
      },
      staged ? std::string_view(text) : std::string_view());
  std::vector<std::string> ev;
  {
    std::lock_guard<std::mutex> guard(g_mu);
    g_recording = false;
    ev.swap(g_events);
  }
  REQUIRE(m.ok());
  std::string all;
  for (const std::string& e : ev) all += e + "\n";
  INFO("calls during the commit:\n" << all);
  // 1. revisions/2.html durably, 2. the article file replaced (renamed, not
  // fsynced: recovery rebuilds it from revisions/), 3. the history record
  // (the commit point) fsynced after both.
  const int rev_dir = CheckReplace(ev, data + "/revisions", "2.html");
  const std::string art_rename =
      RenameTo(ev, data + "/" + std::string(kTitle) + ".html");
  REQUIRE(!art_rename.empty());
  const int art = Find(ev, art_rename);
  const int log_sync = Find(ev, "sync " + data + "/history.log");
  CHECK(rev_dir >= 0);
  CHECK(art > rev_dir);
  CHECK(log_sync > art);
  // Only the history record's fsync and the revision file's two are left:
  // no more is needed for the promise, and each one costs the lock's holder
  // a disk round trip.
  int syncs = 0;
  for (const std::string& e : ev) syncs += e.rfind("sync ", 0) == 0;
  CHECK(syncs == 3);
  CHECK(testing::Slurp(data + "/revisions/2.html") == text);
  CHECK(testing::TempFiles(data + "/revisions").empty());
}

}  // namespace
}  // namespace wiki
