// metrics: counters shared by every worker process, in Prometheus format.
//
// The counters live in a small memory-mapped file (Config::metrics_file)
// so that GET /metrics, answered by whichever worker nginx picked, reports
// the whole service. Each process claims one slot of its own (by pid; the
// slot of a dead process is taken over together with its counts, so totals
// never go backwards) and only ever adds to its own slot with relaxed
// atomics: no locks on the request path.
//
// Thread-safety: every method may be called from any thread once Attach
// has returned OK. Before that (or if it failed) the counters are
// process-local, so a broken metrics file never stops the service.
#ifndef WIKI_METRICS_H_
#define WIKI_METRICS_H_

#include <cstdint>
#include <string>

#include "status.h"

namespace wiki {

enum class EditOutcome {
  kClean,     // committed as submitted
  kMerged,    // committed after a three-way merge
  kConflict,  // 409: overlapping changes, or merging off
  kStale,     // 412: If-Match did not match
  kRejected,  // 4xx: validation or malformed request
  kFailed,    // 5xx/507: the store could not commit
  kAbandoned,  // the client hung up before the commit; work stopped
  kCount
};

// Why an edge fan-out ran (edge_fanout.h), or why a commit needed none.
enum class EdgeRound {
  kCommit,   // a refreshing round after a commit
  kKeeper,   // the keeper's verifying round
  kCovered,  // a commit already covered by a round that started after it
  kCount
};

class Metrics {
 public:
  static Metrics& Global();

  // Maps (creating if needed) the shared file and claims a slot. Also
  // registers this process and its build (BuildId) in `path`.workers, a
  // separate file so that builds with different counter layouts can share
  // it during a rollout.
  Status Attach(const std::string& path);

  void CountRequest(int http_status);
  void CountEdit(EditOutcome outcome);
  void CountFib();
  void CountShed();
  // A FastCGI connection accepted from nginx (reads reuse kept ones).
  void CountConnection();
  void ObserveRender(double seconds);
  // One front-cache publish (front_cache.h): failed or not, and the time
  // from its commit to `current` naming it (< 0: not after a commit).
  void CountFrontPublish(bool ok, double commit_to_publish_seconds);
  // One edge fan-out round (edge_fanout.h), or a commit that needed none
  // (kCovered: ok = failed = 0): edges refreshed and verified, edges that
  // failed (or were skipped after a failure), and the time it added to an
  // acknowledgment (< 0: not after a commit, the keeper's).
  void CountEdgeRound(EdgeRound why, int ok, int failed, double seconds);

  // Sum over all slots, as Prometheus text exposition format 0.0.4.
  // `current_revision` is reported as a gauge; every live worker as
  // wiki_worker_build_info{pid="...",build="..."} 1.
  std::string Render(uint64_t current_revision) const;

  // For tests: total fib computations over all slots.
  uint64_t FibTotal() const;

  // Layout of the shared files; defined in metrics.cc.
  struct Slot;
  struct Shared;
  struct WorkerTable;

 private:
  Metrics();
  Shared* shared_ = nullptr;  // the mapping, or nullptr before Attach
  WorkerTable* workers_ = nullptr;  // likewise, for the worker registry
  Slot* slot_;                // this process's slot (maybe a local one)
};

}  // namespace wiki

#endif  // WIKI_METRICS_H_
