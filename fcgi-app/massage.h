// massage: the per-request "data massaging" step, and its parser cache.
//
// The massaging is approximated by a plain recursive fibonacci(n): about
// 4.6 ms for n = 34 on a fast core (11 ms on the development VM), so
// computing it for every request caps a core near 217 (90) requests/s. Its
// result depends only on the revision, so in per-revision mode it is computed
// once per revision and reused, as MediaWiki's parser cache reuses parsed
// pages:
//   - the worker that commits a revision computes it and stores it in the
//     revision's history record (once in total);
//   - a revision whose record lacks it (imported, or committed with another
//     fib_n) is computed at most once per worker process, and concurrent
//     readers of that revision wait for that one computation.
// In per-request mode every article request computes it afresh, one
// computation at a time per worker process (a worker is sized to a core;
// running more at once only makes every one of them late). A request that
// whose shedding deadline passes before its turn comes is not computed: the
// caller answers 503 instead of a late page.
//
// Thread-safety: Massager is shared by a process's threads; thread-safe.
#ifndef WIKI_MASSAGE_H_
#define WIKI_MASSAGE_H_

#include <cstdint>
#include <mutex>
#include <optional>

#include "config.h"
#include "revision.h"

namespace wiki {

// Deliberately exponential: fib(n-1) + fib(n-2), no memoisation. Not
// constexpr, and n comes from the config at run time, so the compiler
// cannot fold it.
uint64_t Fibonacci(int n);

class Massager {
 public:
  // `now` is the clock the shedding deadline is measured on (NowMs in the
  // server; tests inject a fixed one so that no check depends on timing).
  Massager(MassageMode mode, int n, int64_t (*now)() = NowMs)
      : mode_(mode), n_(n), now_(now) {}

  // The massaged value to serve with a read of `meta`, or nullopt if the
  // request's shedding deadline (Request::deadline_ms, Unix ms; 0 = none)
  // passed before its turn to compute came, and it should be shed.
  std::optional<uint64_t> ForRead(const RevisionMeta& meta,
                                  int64_t deadline_ms);

  // Computes the value for a revision being committed.
  uint64_t ForCommit();

  int n() const { return n_; }

 private:
  uint64_t Compute();

  const MassageMode mode_;
  const int n_;
  int64_t (*const now_)();
  std::timed_mutex mu_;     // held while computing (one at a time)
  uint64_t cached_id_ = 0;  // revision whose value is cached, 0 = none
  uint64_t cached_value_ = 0;
};

}  // namespace wiki

#endif  // WIKI_MASSAGE_H_
