#include "massage.h"

#include <doctest/doctest.h>

#include "metrics.h"

namespace wiki {
namespace {

TEST_CASE("massage: fibonacci values") {
  const uint64_t expected[] = {0, 1, 1, 2, 3, 5, 8, 13, 21, 34, 55};
  for (int n = 0; n <= 10; ++n) {
    CAPTURE(n);
    CHECK(Fibonacci(n) == expected[n]);
  }
  CHECK(Fibonacci(25) == 75025);
}

TEST_CASE("massage: per-revision reuses the stored or cached value") {
  Massager m(MassageMode::kPerRevision, 20);
  Metrics& metrics = Metrics::Global();
  RevisionMeta stored;
  stored.id = 3;
  stored.fib_n = 20;
  stored.fib = 6765;
  uint64_t before = metrics.FibTotal();
  CHECK(m.ForRead(stored, 0).value() == 6765);
  CHECK(metrics.FibTotal() == before);  // stored at commit: no computation

  RevisionMeta imported;  // no stored value: computed once, then cached
  imported.id = 4;
  CHECK(m.ForRead(imported, 0).value() == 6765);
  CHECK(m.ForRead(imported, 0).value() == 6765);
  CHECK(metrics.FibTotal() == before + 1);
  imported.id = 5;  // a new revision computes again
  CHECK(m.ForRead(imported, 0).value() == 6765);
  CHECK(metrics.FibTotal() == before + 2);
}

TEST_CASE("massage: per-request computes every time") {
  Massager m(MassageMode::kPerRequest, 15);
  RevisionMeta stored;
  stored.id = 1;
  stored.fib_n = 15;
  stored.fib = 610;
  uint64_t before = Metrics::Global().FibTotal();
  for (int i = 0; i < 5; ++i) CHECK(m.ForRead(stored, 0).value() == 610);
  CHECK(Metrics::Global().FibTotal() == before + 5);
}

// A clock that stands still, so the deadline arithmetic is exact.
constexpr int64_t kNow = 1'700'000'000'000;
int64_t FixedNow() { return kNow; }

TEST_CASE("massage: a request queued past the deadline is shed") {
  Massager m(MassageMode::kPerRequest, 10, FixedNow);
  RevisionMeta meta;
  meta.id = 1;
  CHECK_FALSE(m.ForRead(meta, kNow - 1000).has_value());
  CHECK_FALSE(m.ForRead(meta, kNow).has_value());  // at the deadline
  CHECK(m.ForRead(meta, kNow + 1).value() == 55);  // 1 ms before it
  CHECK(m.ForRead(meta, kNow + 60000).value() == 55);
  CHECK(m.ForRead(meta, 0).value() == 55);  // no deadline: serve
}

}  // namespace
}  // namespace wiki
