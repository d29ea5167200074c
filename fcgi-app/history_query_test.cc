#include "history_query.h"

#include <doctest/doctest.h>

namespace wiki {
namespace {

TEST_CASE("history_query: limit and offset, defaults, clamping, refusals") {
  struct Row {
    const char* query;
    bool ok;
    size_t limit;
    uint64_t offset;
  };
  const Row rows[] = {
      {"action=history", true, 50, 0},
      {"action=history&limit=10", true, 10, 0},
      {"limit=1&offset=2", true, 1, 2},
      {"limit=500", true, 500, 0},
      {"limit=501", true, 500, 0},
      {"limit=9999999999999999999", true, 500, 0},
      {"offset=123456", true, 50, 123456},
      {"limit=0", false, 0, 0},
      {"limit=-5", false, 0, 0},
      {"limit=abc", false, 0, 0},
      {"limit=", false, 0, 0},
      {"limit=+5", false, 0, 0},
      {"limit=99999999999999999999", false, 0, 0},
      {"offset=0", false, 0, 0},
      {"offset=x", false, 0, 0},
      {"offset=", false, 0, 0},
      {"offset=1%202", false, 0, 0},
  };
  for (const Row& r : rows) {
    CAPTURE(r.query);
    auto form = ParseUrlEncoded(r.query);
    REQUIRE(form.ok());
    auto q = ParseHistoryQuery(*form);
    REQUIRE(q.ok() == r.ok);
    if (!r.ok) {
      CHECK_FALSE(q.status().message().empty());
      continue;
    }
    CHECK(q->limit == r.limit);
    CHECK(q->offset == r.offset);
  }
}

}  // namespace
}  // namespace wiki
