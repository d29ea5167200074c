// edge_fanout: keeps the edge caches (nginx/edge-site.conf, one nginx per
// other server) at the revision this origin serves, so that the freshness
// rule of the front cache holds at every edge: a read that starts after an
// edit's acknowledgment returns that revision or a later one.
//
// The protocol (all of it HEAD requests to each edge, in parallel):
//   refresh  HEAD /_edge/refresh/<kind> with the representation's
//            Accept-Encoding: the edge fetches it from the origin, bypassing
//            its cache, and stores the answer over the entry; the edge
//            closes the connection once the entry is in place.
//   verify   HEAD of the reader's URL: the edge must answer from its cache
//            (HIT or REVALIDATED) with X-Revision >= the target.
// A round refreshes (or, for the keeper, first verifies) every
// representation of every edge and repeats what did not verify, within
// edge.timeout_ms. Rounds are serialised across all worker processes by a
// flock (<data_dir>/.edges.lock) and each takes as its target the revision
// the origin serves when it starts, so the stores at an edge only move
// forward: a round's fetches start after the previous round's stores are
// verified. (Readers' misses are never stored by the edge, see
// edge-site.conf, so nothing else writes the entries.)
//
// Coalescing: a round that verified every edge writes its target into the
// lock file ("verified <id>"). A committer that finds there, under the
// flock, a revision >= its own needs no round: that round started after
// its commit was published (its target is what the origin served then),
// and every edge has served that revision or a later one since. So
// committers queued behind one round are acknowledged by the next one, and
// edits/s are no longer capped at one per round time.
//
//   AfterPublish(): by the worker that committed, after the local front
//     cache names the new revision and before the acknowledgment.
//   the keeper thread: every second, a verifying round (fills a new or
//     restarted edge, repairs an entry a failed refresh left behind). One
//     keeper per host does this: the one that holds a non-blocking flock
//     (<data_dir>/.edges.keeper.lock) until its process ends; the other
//     processes' keepers try it each second and otherwise skip.
//
// Failure: an edge that does not answer in time, or does not verify, fails
// the round for that edge only: the edit stays acknowledged, the failure is
// logged (stderr) and counted (/metrics), and an edge that timed out is
// skipped by this process for a second (so edits do not each wait out a
// slow edge's timeout); its entries expire within a second (edge-site.conf)
// and readers there then get the origin's current revision.
//
// Thread-safety: one EdgeFanout per process, shared by its threads;
// AfterPublish is thread-safe. The store must outlive it.
#ifndef WIKI_EDGE_FANOUT_H_
#define WIKI_EDGE_FANOUT_H_

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "article_store.h"
#include "config.h"
#include "edge_http.h"
#include "fs_posix.h"
#include "metrics.h"

namespace wiki {

// Every representation an edge caches, one row each: the edge's cache key
// is <kind><-gz|-br> (edge-site.conf). A new encoding is a new row here and
// a new branch of $wiki_edge_z there.
struct EdgeRepresentation {
  const char* kind;             // "p" page, "r" raw (/_edge/refresh/<kind>)
  const char* query;            // the reader's URL after /wiki/<title>
  const char* accept_encoding;  // selects the encoding at the edge
};
inline constexpr EdgeRepresentation kEdgeRepresentations[] = {
    {"p", "", "identity"},
    {"p", "", "gzip"},
    {"p", "", "br"},
    {"r", "?action=raw", "identity"},
    {"r", "?action=raw", "gzip"},
    {"r", "?action=raw", "br"},
};

class EdgeFanout {
 public:
  static constexpr int kKeepMs = 1000;     // keeper period
  static constexpr int kBackoffMs = 1000;  // a timed-out edge is skipped
  static constexpr int kAttempts = 3;      // refresh + verify, per round

  EdgeFanout(const Config& config, ArticleStore* store);
  ~EdgeFanout();  // stops the keeper

  // Resolves the edges' addresses and starts the keeper (nothing without
  // edges).
  void Start();

  // A refreshing round for revision `committed` (already published
  // locally); returns when every edge serves it or a later revision
  // (possibly through a round another committer ran), failed, or is
  // backing off. Never fails the edit.
  void AfterPublish(uint64_t committed);

 private:
  struct Edge {
    std::string name;
    EdgeAddress address;
    bool resolved = false;
    int64_t skip_until_ms = 0;  // backing off after a failure
    bool failing = false;       // logged once until it recovers
  };
  // One (edge, representation) pair still to be confirmed.
  struct Item {
    size_t edge;
    size_t rep;
  };

  // The revision readers of the origin get now: the front cache's, or the
  // store's when the front is off (the app answers then).
  uint64_t ServedRevision();
  // Under the round flock: the last revision a round verified at every
  // edge (0 if none, or if the note names one beyond `served`: another
  // store's, or damaged).
  static uint64_t VerifiedRevision(const FileLock& lock, uint64_t served);
  // A round (why: kCommit refreshes first, kKeeper verifies first); a
  // commit round returns at once when `committed` is already verified.
  void Round(EdgeRound why, uint64_t committed);
  // The refresh/verify attempts of one round on `todo`; what did not
  // verify gets a reason in `failure`.
  void Attempts(bool refresh, uint64_t target, std::vector<Item> todo,
                std::vector<std::string>* failure);
  // Logs and counts the round's outcome; returns the edges that failed.
  int Report(EdgeRound why, uint64_t target,
             const std::vector<std::string>& failure,
             const std::vector<bool>& skipped, double seconds);
  std::string RequestText(const char* method, const Item& item,
                          bool refresh) const;
  void Keeper();

  const std::vector<std::string> names_;
  const int timeout_ms_;
  const std::string title_;
  const std::string data_dir_;
  const std::string pages_dir_;  // the front cache's (front_pages.h)
  ArticleStore* const store_;

  std::mutex edges_mu_;  // guards edges_ (rounds are serialised anyway)
  std::vector<Edge> edges_;

  std::mutex mu_;  // guards stop_
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread keeper_;
};

}  // namespace wiki

#endif  // WIKI_EDGE_FANOUT_H_
