// open_loop: the parts of the open-loop load generator (loadtest/
// open_loop_main.cc) that decide what it reports, separate from its epoll
// loop so they can be unit-tested: the schedule of intended send times, the
// latency histogram, and the framing of an HTTP/1.1 response head.
//
// Open loop: request i is due at start + i / rate whatever happened to the
// earlier ones, and its latency is measured from that intended time, not
// from when a connection was free to send it. A server that stalls for
// 100 ms therefore shows ~100 ms of latency on every request due during the
// stall (coordinated omission corrected), as wrk2 does.
//
// Plain values; not thread-safe (the generator is one thread).
#ifndef WIKI_LOADTEST_OPEN_LOOP_H_
#define WIKI_LOADTEST_OPEN_LOOP_H_

#include <cstdint>
#include <string_view>
#include <vector>

namespace wiki {
namespace loadtest {

// The fixed schedule: Count() requests, request i due IntendedNs(i)
// nanoseconds after the start.
class Schedule {
 public:
  // `rate` requests/s (> 0) for `duration_s` seconds (> 0).
  Schedule(double rate, double duration_s);

  uint64_t Count() const { return count_; }
  int64_t IntendedNs(uint64_t i) const;
  // How many requests are due at `elapsed_ns` (those with IntendedNs <=
  // elapsed_ns), at most Count().
  uint64_t DueAt(int64_t elapsed_ns) const;

 private:
  double rate_;
  uint64_t count_;
};

// Latencies in microseconds with a relative error under 0.2% (log-linear
// buckets: exact below 1,024 us, then 512 buckets per power of two).
class Histogram {
 public:
  void Record(uint64_t us);
  uint64_t Count() const { return count_; }
  uint64_t Max() const { return max_; }
  // The smallest bucket bound b such that at least a fraction `p` (0..1] of
  // the recorded values are <= b (never more than Max()); 0 if empty.
  uint64_t Percentile(double p) const;

  static size_t BucketOf(uint64_t us);
  static uint64_t UpperBound(size_t bucket);

 private:
  std::vector<uint64_t> buckets_;
  uint64_t count_ = 0;
  uint64_t max_ = 0;
};

// A response head ("HTTP/1.1 200 OK\r\n...\r\n\r\n"), as far as the
// generator needs it.
struct ResponseHead {
  bool ok = false;  // parsed, and its body length is known
  int status = 0;
  uint64_t body_length = 0;
  bool close = false;  // "Connection: close": the server hangs up after it
};

// The length of the head in `data` including its blank line, or 0 if the
// blank line has not arrived yet.
size_t HeadLength(std::string_view data);

// Parses a complete head. The body length comes from Content-Length; it is
// 0 for HEAD requests and 1xx/204/304. Chunked bodies are not supported
// (ok = false): nginx sends files and these pages with a Content-Length.
ResponseHead ParseHead(std::string_view head, bool head_request);

}  // namespace loadtest
}  // namespace wiki

#endif  // WIKI_LOADTEST_OPEN_LOOP_H_
