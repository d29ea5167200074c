// make-history: generates N revisions of the article in a data directory.
//
//   build/make-history --data-dir DIR --count N [--title T]
//                      [--source data/Latest_plane_crash.html]
//                      [--bench-no-fsync]
//
// A DIR without the article gets a copy of --source (imported as revision
// 1 by the store). Each revision is a small edit committed through
// ArticleStore::Commit, durably, as an edit request would. --bench-no-fsync
// (benchmarks only) writes the same log records without fsync and without
// the old revisions' files: see loadtest/history_gen.h.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include "article_store.h"
#include "fs_posix.h"
#include "history_gen.h"

namespace {

int Usage() {
  std::fprintf(stderr,
               "usage: make-history --data-dir DIR --count N [--title T] "
               "[--source FILE] [--bench-no-fsync]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir, title = "Latest_plane_crash",
                   source = "data/Latest_plane_crash.html";
  uint64_t count = 0;
  bool fast = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has_value = i + 1 < argc;
    if (a == "--data-dir" && has_value) {
      dir = argv[++i];
    } else if (a == "--title" && has_value) {
      title = argv[++i];
    } else if (a == "--source" && has_value) {
      source = argv[++i];
    } else if (a == "--count" && has_value) {
      if (!wiki::ParseRevisionId(argv[++i], &count)) return Usage();
    } else if (a == "--bench-no-fsync") {
      fast = true;
    } else {
      return Usage();
    }
  }
  if (dir.empty() || count == 0) return Usage();
  wiki::Status s = wiki::CreateDir(dir, 0755);
  const std::string article = dir + "/" + title + ".html";
  if (s.ok() && !wiki::StatFile(article).ok() &&
      !wiki::StatFile(dir + "/history.log").ok()) {
    auto text = wiki::ReadFile(source);
    s = text.ok() ? wiki::WriteFileAtomically(dir, title + ".html", *text)
                  : text.status();
  }
  auto start = std::chrono::steady_clock::now();
  if (s.ok() && fast) {
    s = wiki::AppendHistoryNoSync(dir, title, count);
  } else if (s.ok()) {
    auto store = wiki::ArticleStore::Open(dir, title);
    s = store.ok() ? wiki::GenerateHistory(store->get(), count)
                   : store.status();
  }
  if (!s.ok()) {
    std::fprintf(stderr, "make-history: %s\n", s.ToString().c_str());
    return 1;
  }
  double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  std::printf("make-history: %llu revisions in %.1f s (%s)\n",
              static_cast<unsigned long long>(count), secs,
              fast ? "bench-no-fsync" : "durable commits");
  return 0;
}
