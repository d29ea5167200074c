#include "massage.h"

#include <chrono>

#include "metrics.h"

namespace wiki {

// Plain recursion, compiled as g++ -O2 compiles it (no attributes that
// would make it slower or faster than the textbook function): n arrives at
// run time, so nothing can be folded.
uint64_t Fibonacci(int n) {
  if (n < 2) return static_cast<uint64_t>(n);
  return Fibonacci(n - 1) + Fibonacci(n - 2);
}

uint64_t Massager::Compute() {
  Metrics::Global().CountFib();
  return Fibonacci(n_);
}

uint64_t Massager::ForCommit() { return Compute(); }

std::optional<uint64_t> Massager::ForRead(const RevisionMeta& meta,
                                          int64_t deadline_ms) {
  if (mode_ == MassageMode::kPerRevision && meta.fib_n == n_) return meta.fib;
  // Holding the lock while computing makes concurrent readers of the same
  // revision wait for this one computation instead of starting their own,
  // and keeps per-request computations to one per process. The wait is
  // bounded by the request's shedding deadline, so an overloaded worker
  // answers 503 at the deadline instead of after the computations queued
  // ahead of it.
  std::unique_lock<std::timed_mutex> guard(mu_, std::defer_lock);
  if (deadline_ms > 0) {
    int64_t left_ms = deadline_ms - now_();
    if (left_ms <= 0 ||
        !guard.try_lock_for(std::chrono::milliseconds(left_ms))) {
      return std::nullopt;
    }
  } else {
    guard.lock();
  }
  if (mode_ == MassageMode::kPerRequest) return Compute();
  if (cached_id_ != meta.id) {
    cached_value_ = Compute();
    cached_id_ = meta.id;
  }
  return cached_value_;
}

}  // namespace wiki
