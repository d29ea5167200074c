#include "metrics.h"

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "build_info.h"
#include "test_util.h"

namespace wiki {
namespace {

// The value of one exposition line, e.g. Value(text, "wiki_shed_total ").
uint64_t Value(const std::string& text, const std::string& prefix) {
  size_t at = text.find("\n" + prefix);
  if (at == std::string::npos) return UINT64_MAX;
  return std::stoull(text.substr(at + 1 + prefix.size()));
}

TEST_CASE("metrics: counters in Prometheus text, summed over the shared file") {
  testing::TempDir dir("wiki-metrics-test");
  Metrics& m = Metrics::Global();
  REQUIRE(m.Attach(dir / "metrics").ok());
  std::string before = m.Render(7);

  struct Row {
    int status;
    const char* label;
  };
  const std::vector<Row> rows = {{200, "code=\"200\""},
                                 {304, "code=\"304\""},
                                 {409, "code=\"409\""},
                                 {507, "code=\"507\""},
                                 {418, "code=\"other\""}};
  for (const Row& r : rows) m.CountRequest(r.status);
  m.CountEdit(EditOutcome::kMerged);
  m.CountEdit(EditOutcome::kMerged);
  m.CountFib();
  m.CountShed();
  m.ObserveRender(0.5);
  m.CountEdgeRound(EdgeRound::kCommit, 2, 0, 0.25);
  m.CountEdgeRound(EdgeRound::kCovered, 0, 0, 0.5);
  m.CountEdgeRound(EdgeRound::kKeeper, 1, 1, -1);
  std::string after = m.Render(7);

  for (const Row& r : rows) {
    CAPTURE(r.status);
    std::string line =
        std::string("wiki_http_requests_total{") + r.label + "} ";
    CHECK(Value(after, line) == Value(before, line) + 1);
  }
  CHECK(Value(after, "wiki_edits_total{outcome=\"merged\"} ") ==
        Value(before, "wiki_edits_total{outcome=\"merged\"} ") + 2);
  CHECK(Value(after, "wiki_fib_computations_total ") ==
        Value(before, "wiki_fib_computations_total ") + 1);
  CHECK(Value(after, "wiki_shed_total ") ==
        Value(before, "wiki_shed_total ") + 1);
  CHECK(Value(after, "wiki_current_revision ") == 7);
  for (const char* why : {"commit", "keeper", "covered"}) {
    CAPTURE(why);
    const std::string line =
        std::string("wiki_edge_rounds_total{why=\"") + why + "\"} ";
    CHECK(Value(after, line) == Value(before, line) + 1);
  }
  CHECK(Value(after, "wiki_edge_refreshes_total{outcome=\"ok\"} ") ==
        Value(before, "wiki_edge_refreshes_total{outcome=\"ok\"} ") + 3);
  CHECK(Value(after, "wiki_edge_refresh_seconds_count ") ==
        Value(before, "wiki_edge_refresh_seconds_count ") + 2);
  CHECK(after.find("# TYPE wiki_http_requests_total counter") !=
        std::string::npos);
  CHECK(after.find("wiki_render_seconds_sum ") != std::string::npos);
  CHECK(m.FibTotal() == Value(after, "wiki_fib_computations_total "));
  // This process is registered with the build it runs.
  CHECK(after.find("wiki_worker_build_info{pid=\"" +
                   std::to_string(::getpid()) + "\",build=\"" + BuildId() +
                   "\"} 1\n") != std::string::npos);
}

TEST_CASE("metrics: one worker-table row per process; the file never shrinks") {
  testing::TempDir dir("wiki-metrics-test");
  // A longer file than this build's table (as another build's layout may
  // leave it) is used as it is, never cut back.
  REQUIRE(Metrics::Global().Attach(dir / "metrics").ok());
  const std::string table = dir / "metrics.workers";
  struct stat st;
  REQUIRE(::stat(table.c_str(), &st) == 0);
  const off_t size = st.st_size;
  REQUIRE(::truncate(table.c_str(), size + 4096) == 0);
  REQUIRE(Metrics::Global().Attach(dir / "metrics").ok());
  REQUIRE(::stat(table.c_str(), &st) == 0);
  CHECK(st.st_size == size + 4096);
  std::string text = Metrics::Global().Render(1);
  size_t rows = 0;
  for (size_t at = 0;
       (at = text.find("\nwiki_worker_build_info{", at)) != std::string::npos;
       ++at) {
    ++rows;
  }
  CHECK(rows == 1);  // this process, once, although it attached twice
}

TEST_CASE("metrics: a file of another layout is left alone") {
  // As an older build's counters would be during a rollout: this build
  // keeps its own counters in a file of its own, and never writes theirs.
  testing::TempDir dir("wiki-metrics-test");
  const std::string theirs(64 * 1024, 'x');
  testing::Spit(dir / "metrics", theirs);
  Status s = Metrics::Global().Attach(dir / "metrics");
  CHECK(s.ok());
  CHECK(testing::Slurp(dir / "metrics") == theirs);
  size_t own = 0;
  for (const std::string& n : testing::Names(dir.path())) {
    own += n.rfind("metrics.", 0) == 0 && n != "metrics.workers";
  }
  CHECK(own == 1);
  Metrics::Global().CountFib();
  CHECK(testing::Slurp(dir / "metrics") == theirs);
}

}  // namespace
}  // namespace wiki
