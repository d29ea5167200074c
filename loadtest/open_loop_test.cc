#include "open_loop.h"

#include <doctest/doctest.h>

#include <random>
#include <string>

namespace wiki {
namespace loadtest {
namespace {

TEST_CASE("open loop: the schedule is fixed by rate and duration") {
  Schedule s(20000, 30);
  CHECK(s.Count() == 600000);
  CHECK(s.IntendedNs(0) == 0);
  CHECK(s.IntendedNs(1) == 50000);  // 50 us apart
  CHECK(s.IntendedNs(20000) == 1000000000);
  CHECK(s.DueAt(-1) == 0);
  CHECK(s.DueAt(0) == 1);
  CHECK(s.DueAt(49999) == 1);
  CHECK(s.DueAt(50000) == 2);
  CHECK(s.DueAt(1000000000) == 20001);
  CHECK(s.DueAt(int64_t{100} * 1000000000) == s.Count());  // never more
  // DueAt agrees with IntendedNs everywhere, also for rates that do not
  // divide a second.
  for (double rate : {3.0, 7.7, 1000.0, 33333.3}) {
    CAPTURE(rate);
    Schedule t(rate, 2);
    CHECK(t.Count() == static_cast<uint64_t>(rate * 2));
    for (uint64_t i = 0; i < t.Count(); i += 1 + t.Count() / 500) {
      CHECK(t.DueAt(t.IntendedNs(i)) == i + 1);
      if (t.IntendedNs(i) > 0) CHECK(t.DueAt(t.IntendedNs(i) - 1) == i);
    }
  }
  CHECK(Schedule(0, 10).Count() == 0);
  CHECK(Schedule(10, 0).DueAt(5) == 0);
}

TEST_CASE("open loop: histogram buckets and percentiles") {
  // Exact below 1,024 us; every value lies within its bucket, whose width
  // is under 0.2% of it.
  for (uint64_t v : {0ull, 1ull, 1023ull, 1024ull, 1025ull, 5000ull, 123456ull,
                     99999999ull, (1ull << 40) + 12345}) {
    CAPTURE(v);
    const size_t b = Histogram::BucketOf(v);
    CHECK(Histogram::UpperBound(b) >= v);
    if (v < 1024) CHECK(Histogram::UpperBound(b) == v);
    if (b > 0) CHECK(Histogram::UpperBound(b - 1) < v);
    CHECK(static_cast<double>(Histogram::UpperBound(b) - v) <=
          0.002 * static_cast<double>(v) + 1e-9);
  }
  Histogram h;
  CHECK(h.Percentile(0.99) == 0);
  for (uint64_t v = 1; v <= 1000; ++v) h.Record(v);  // 1..1000 us
  CHECK(h.Count() == 1000);
  CHECK(h.Percentile(0.5) == 500);
  CHECK(h.Percentile(0.99) == 990);
  CHECK(h.Percentile(0.999) == 999);
  CHECK(h.Percentile(1.0) == 1000);
  CHECK(h.Max() == 1000);
  // One stall among fast requests shows at the top only.
  Histogram s;
  for (int i = 0; i < 999; ++i) s.Record(400);
  s.Record(250000);
  CHECK(s.Percentile(0.99) == 400);
  CHECK(s.Percentile(0.999) == 400);
  CHECK(s.Percentile(1.0) == 250000);
  // Large values: within 0.2%, never above the maximum.
  Histogram l;
  std::mt19937_64 rng(3);
  for (int i = 0; i < 10000; ++i) l.Record(5000 + rng() % 5000);
  const uint64_t p50 = l.Percentile(0.5);
  CHECK(p50 > 7400);
  CHECK(p50 < 7600);
  CHECK(l.Percentile(1.0) == l.Max());
}

TEST_CASE("open loop: response heads") {
  const std::string ok =
      "HTTP/1.1 200 OK\r\nServer: nginx\r\ncontent-length: 28439\r\n"
      "Connection: keep-alive\r\n\r\n<!DOCTYPE html>";
  CHECK(HeadLength(ok) == ok.find("<!DOCTYPE"));
  CHECK(HeadLength("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n") == 0);
  ResponseHead h = ParseHead(ok.substr(0, HeadLength(ok)), false);
  CHECK(h.ok);
  CHECK(h.status == 200);
  CHECK(h.body_length == 28439);
  CHECK_FALSE(h.close);
  // HEAD and 304: no body whatever Content-Length says.
  h = ParseHead("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n", true);
  CHECK((h.ok && h.body_length == 0));
  h = ParseHead("HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n", false);
  CHECK((h.ok && h.status == 304 && h.body_length == 0));
  h = ParseHead(
      "HTTP/1.1 503 Busy\r\nContent-Length: 3\r\nConnection: close\r\n\r\n",
      false);
  CHECK((h.ok && h.status == 503 && h.close));
  CHECK(ParseHead("HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n", false).close);
  // Not framed: no length, chunked, garbage.
  CHECK_FALSE(ParseHead("HTTP/1.1 200 OK\r\n\r\n", false).ok);
  CHECK_FALSE(ParseHead("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
                        "Content-Length: 4\r\n\r\n",
                        false)
                  .ok);
  CHECK_FALSE(
      ParseHead("HTTP/1.1 200 OK\r\nContent-Length: -4\r\n\r\n", false).ok);
  CHECK_FALSE(ParseHead("SSH-2.0-OpenSSH\r\n\r\n", false).ok);
  CHECK_FALSE(ParseHead("HTTP/1.1 2x0 OK\r\n\r\n", false).ok);
}

}  // namespace
}  // namespace loadtest
}  // namespace wiki
