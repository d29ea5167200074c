// make-history: generates N revisions of the article in a data directory.
//
//   build/make-history --data-dir DIR --count N [--title T]
//                      [--source data/Latest_plane_crash.html]
//                      [--bench-no-fsync] [--plain-revisions N]
//                      [--pack-revisions N] [--read-sample M]
//
// A DIR without the article gets a copy of --source (imported as revision
// 1 by the store). Each revision is a small edit committed through
// ArticleStore::Commit, durably, as an edit request would. --bench-no-fsync
// (benchmarks only) writes the same log records without fsync and without
// the old revisions' files: see loadtest/history_gen.h.
//
// With --pack-revisions N (> 0) old revisions are packed as the server's
// packer would (ArticleStore::PackOld after every N commits, synchronously
// here), keeping the newest --plain-revisions (default 64) as plain files;
// the packing figures are printed. --read-sample M then reads M packed
// revisions at random through a freshly opened store and prints the
// latency of ArticleStore::Get (p50/p99/max) after checking each one's hash.
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "article_store.h"
#include "fs_posix.h"
#include "history_gen.h"

namespace {

int Usage() {
  std::fprintf(stderr,
               "usage: make-history --data-dir DIR --count N [--title T] "
               "[--source FILE] [--bench-no-fsync] [--plain-revisions N] "
               "[--pack-revisions N] [--read-sample M]\n");
  return 2;
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since)
      .count();
}

double ThreadCpuMs() {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

// Commits `count` edits, packing after every pack_revisions of them.
wiki::Status GenerateAndPack(wiki::ArticleStore* store, uint64_t count,
                             const wiki::StoreOptions& options) {
  wiki::PackStats total;
  double pack_secs = 0, worst_pack_ms = 0;
  for (uint64_t done = 0; done < count;) {
    const uint64_t n = std::min(count - done, options.pack_revisions);
    wiki::Status s = wiki::GenerateHistory(store, n);
    if (!s.ok()) return s;
    done += n;
    auto start = std::chrono::steady_clock::now();
    auto stats = store->PackOld();
    if (!stats.ok()) return stats.status();
    const double secs = Seconds(start);
    pack_secs += secs;
    if (stats->packs > 0) worst_pack_ms = std::max(worst_pack_ms, secs * 1000);
    total.packs += stats->packs;
    total.revisions += stats->revisions;
    total.bytes += stats->bytes;
    total.max_mu_hold_us =
        std::max(total.max_mu_hold_us, stats->max_mu_hold_us);
  }
  std::printf(
      "make-history: packed %llu revisions into %llu packs, %.0f bytes per "
      "packed revision; packing took %.1f s in all, %.0f ms at most per "
      "call (no edit lock), longest hold of the store mutex %lld us\n",
      static_cast<unsigned long long>(total.revisions),
      static_cast<unsigned long long>(total.packs),
      total.revisions ? double(total.bytes) / total.revisions : 0.0, pack_secs,
      worst_pack_ms, static_cast<long long>(total.max_mu_hold_us));
  return wiki::Status::OK();
}

// Reads `sample` packed revisions (ids below the plain window) at random.
wiki::Status ReadSample(const std::string& dir, const std::string& title,
                        const wiki::StoreOptions& options, uint64_t sample) {
  auto store = wiki::ArticleStore::Open(dir, title, options);
  if (!store.ok()) return store.status();
  auto history = (*store)->History(0, 1);
  if (!history.ok()) return history.status();
  const uint64_t latest = history->latest;
  if (latest <= options.plain_revisions + options.pack_revisions)
    return wiki::Status::InvalidArgument("too few revisions to sample");
  const uint64_t packed_max =
      latest - options.plain_revisions - options.pack_revisions;
  std::mt19937_64 rng(42);
  // Wall time, and the thread's CPU time: on a loaded machine the wall
  // time's tail is the scheduler's, not the work's.
  std::vector<double> ms, cpu_ms;
  for (uint64_t i = 0; i < sample; ++i) {
    const uint64_t id = 1 + rng() % packed_max;
    const double cpu0 = ThreadCpuMs();
    auto start = std::chrono::steady_clock::now();
    auto rev = (*store)->Get(id);
    ms.push_back(Seconds(start) * 1000);
    cpu_ms.push_back(ThreadCpuMs() - cpu0);
    if (!rev.ok()) return rev.status();
    if (wiki::HashBytes((*rev)->text) != (*rev)->meta.hash)
      return wiki::Status::Corruption("revision " + std::to_string(id));
  }
  std::sort(ms.begin(), ms.end());
  std::sort(cpu_ms.begin(), cpu_ms.end());
  std::printf(
      "make-history: Get of %llu random packed revisions (1..%llu): p50 %.3f "
      "ms, p99 %.3f ms, max %.3f ms (CPU time p50 %.3f, p99 %.3f, max %.3f "
      "ms), every hash checked\n",
      static_cast<unsigned long long>(sample),
      static_cast<unsigned long long>(packed_max), ms[ms.size() / 2],
      ms[ms.size() * 99 / 100], ms.back(), cpu_ms[cpu_ms.size() / 2],
      cpu_ms[cpu_ms.size() * 99 / 100], cpu_ms.back());
  return wiki::Status::OK();
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir, title = "Latest_plane_crash",
                   source = "data/Latest_plane_crash.html";
  uint64_t count = 0, sample = 0;
  bool fast = false;
  wiki::StoreOptions options;
  options.pack_revisions = 0;  // never pack unless asked
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
    } else if (a == "--plain-revisions" && has_value) {
      if (!wiki::ParseRevisionId(argv[++i], &options.plain_revisions))
        return Usage();
    } else if (a == "--pack-revisions" && has_value) {
      if (!wiki::ParseRevisionId(argv[++i], &options.pack_revisions))
        return Usage();
    } else if (a == "--read-sample" && has_value) {
      if (!wiki::ParseRevisionId(argv[++i], &sample)) return Usage();
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
  } else if (s.ok() && options.pack_revisions > 0) {
    auto store = wiki::ArticleStore::Open(dir, title, options);
    s = store.ok() ? GenerateAndPack(store->get(), count, options)
                   : store.status();
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
  if (sample > 0 && options.pack_revisions > 0) {
    s = ReadSample(dir, title, options, sample);
    if (!s.ok()) {
      std::fprintf(stderr, "make-history: %s\n", s.ToString().c_str());
      return 1;
    }
  }
  return 0;
}
