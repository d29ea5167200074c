// storm: the editor storm, a concurrency test of one article.
//
// Simulated editors each loop: download the article (action=raw, keeping
// its X-Revision), think, insert one unique marker word into a random
// paragraph, and POST the text back with that base_revision. The server
// must accept (303, possibly merged three-way) or refuse (409) each edit;
// afterwards the final article must contain the marker of every accepted
// edit and of no refused one. A missing marker is a lost update.
//
// Pacing: each editor is a renewal process whose attempts (POSTs) are
// `think + idle` apart, measured from one scheduled POST to the next, so
// request latency does not slow the storm down. With the default number of
// editors, ceil(rate * mean think), the idle gap only absorbs the rounding;
// the aggregate attempt rate is editors / (mean think + idle) = rate. Each
// editor's first attempt is drawn from the renewal process's equilibrium
// distribution, so the rate is flat from the first second instead of
// ramping up over the first think time.
//
// Thread-safety: RunStorm may be called from any thread; it starts one
// thread per editor and joins them all before returning. The other
// functions are pure.
#ifndef WIKI_STORM_H_
#define WIKI_STORM_H_

#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "status.h"

namespace wiki {

using Rng = std::mt19937_64;

struct StormConfig {
  std::string base_url = "http://127.0.0.1:8080";  // no trailing slash needed
  std::string title = "Latest_plane_crash";
  double rate = 10;  // target aggregate attempts (POSTs) per second
  double duration_s = 60;
  double think_min_s = 2;  // think time: uniform in [min, max]
  double think_max_s = 20;
  int editors = 0;               // 0: ceil(rate * mean think), at least 1
  std::optional<uint64_t> seed;  // unset: random (the report shows it)
  double timeout_s = 10;         // per HTTP request
  // Progress lines every progress_interval_s while the storm runs; nullptr
  // for none. Written from the calling thread only.
  std::ostream* progress = nullptr;
  double progress_interval_s = 5;
};

// More than this many editor threads is a mistake in the flags, not a load
// test this tool can run (one thread and one connection each).
inline constexpr int kMaxEditors = 10000;

// InvalidArgument naming the offending setting, or OK.
Status ValidateConfig(const StormConfig& config);

// The number of editors RunStorm will start.
int EffectiveEditors(const StormConfig& config);

struct StormReport {
  // The run, as configured.
  std::string article_url;
  std::string run_tag;  // in every marker: "storm" + run_tag + "E<e>N<n>x"
  uint64_t seed = 0;
  int editors = 0;
  double target_rate = 0;
  double duration_s = 0;
  double think_min_s = 0;
  double think_max_s = 0;
  double idle_s = 0;     // per-cycle idle gap that tops up the think time
  double elapsed_s = 0;  // wall time of the storm, draining included

  // Attempts (POSTs started within the duration) by outcome.
  int64_t attempted = 0;
  int64_t clean = 0;             // 303 without X-Merged
  int64_t merged = 0;            // 303 with X-Merged: 1
  int64_t conflicted = 0;        // 409
  int64_t other_errors = 0;      // other 4xx, transport errors, other statuses
  int64_t server_errors = 0;     // 5xx answers to POSTs
  int64_t transport_errors = 0;  // subset of other_errors
  // "HTTP 422", "transport: ...", "303 without X-Revision", ...: counts of
  // everything that was not a plain 303 or 409, for diagnosis.
  std::map<std::string, int64_t> details;

  // Reads and pacing.
  int64_t gets = 0;
  int64_t get_errors = 0;  // non-200, missing X-Revision, transport error
  int64_t get_server_errors = 0;  // 5xx answers to GETs (also in get_errors)
  int64_t get_shed = 0;   // 503 + Retry-After answers, retried (not errors)
  int64_t discarded = 0;  // downloaded but still thinking when time ran out
  int64_t late = 0;       // POSTs started > 100 ms after their slot

  // Derived figures.
  double attempt_rate = 0;    // attempted / duration
  double accepted_rate = 0;   // (clean + merged) / duration
  double acceptance_pct = 0;  // 100 * (clean + merged) / attempted
  double latency_p50_ms = 0;  // POST round trips that got an HTTP answer
  double latency_p99_ms = 0;
  double latency_max_ms = 0;

  // Lost-update check on the final article.
  bool final_fetched = false;
  std::string final_error;  // why it was not, if not
  std::string initial_revision;
  std::string final_revision;
  int64_t final_bytes = 0;
  std::vector<std::string> lost;        // accepted, marker missing
  std::vector<std::string> stray;       // refused, marker present
  std::vector<std::string> duplicated;  // marker present more than once
  std::vector<std::string> unknown;     // this run's marker, never sent
  // Transport errors and unexpected statuses leave the outcome unknown (the
  // server may have committed before the connection broke): their markers
  // are counted, not judged.
  int64_t unsure_present = 0;
  int64_t unsure_absent = 0;

  // Empty if the run passed: otherwise one line per reason (lost updates,
  // stray markers, 5xx, nothing attempted, final article not fetched).
  std::vector<std::string> Failures() const;
  bool Passed() const { return Failures().empty(); }
};

// Runs the storm against config.base_url. An error only if the storm could
// not start (invalid config, the article cannot be downloaded or has no
// <p> line); everything that goes wrong during the storm is in the report.
Result<StormReport> RunStorm(const StormConfig& config);

// The report as human-readable lines, ending with the PASS/FAIL verdict.
std::string FormatReport(const StormReport& report);

// The same figures as a JSON object, for scripts.
std::string ReportJson(const StormReport& report);

// Byte offsets in `article` where a marker word may go, one list per
// paragraph line (a line starting, after indentation, with a <p> tag), in
// order. An offset is in the paragraph's content, outside any tag, comment
// or word: the text before it (tags skipped) ends in whitespace or is
// empty, and the byte at it is not whitespace. Every paragraph has at least
// one.
std::vector<std::vector<size_t>> WordPositions(std::string_view article);

// `article` with `marker` plus a space inserted at a word position of a
// paragraph line chosen uniformly, the position uniform within it.
// InvalidArgument if there is no paragraph line or the marker is not a
// single word (empty, or contains whitespace, '<', '>' or '&').
Result<std::string> InsertMarker(std::string_view article,
                                 std::string_view marker, Rng& rng);

}  // namespace wiki

#endif  // WIKI_STORM_H_
