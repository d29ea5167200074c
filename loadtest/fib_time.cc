// fib-time: how long one massage step takes on this machine.
//
//   fib-time [--n 34] [--calls 5]
//
// Times wiki::Fibonacci(n), the very function the article server runs (it
// is linked from build/libwiki.a), `calls` times after one untimed warm-up
// call, and prints one JSON line: seconds per call (min, median, max). The
// bench pins it to a server CPU; 1 / median is then the most per-request
// reads one core can serve in massage.mode = per-request.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "massage.h"

namespace {

int ParsePositive(const char* flag, const char* text, int max) {
  char* end = nullptr;
  long value = std::strtol(text, &end, 10);
  if (*text == '\0' || *end != '\0' || value < 1 || value > max) {
    std::fprintf(stderr,
                 "fib-time: %s wants a whole number in 1..%d, not '%s'\n", flag,
                 max, text);
    std::exit(2);
  }
  return static_cast<int>(value);
}

}  // namespace

int main(int argc, char** argv) {
  int n = 34;
  int calls = 5;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--n") == 0 && i + 1 < argc) {
      n = ParsePositive("--n", argv[++i], 45);
    } else if (std::strcmp(argv[i], "--calls") == 0 && i + 1 < argc) {
      calls = ParsePositive("--calls", argv[++i], 1000);
    } else {
      std::fprintf(stderr, "usage: fib-time [--n N] [--calls C]\n");
      return 2;
    }
  }

  using Clock = std::chrono::steady_clock;
  uint64_t check = wiki::Fibonacci(n);  // warm-up: caches, frequency
  std::vector<double> seconds;
  for (int i = 0; i < calls; ++i) {
    const Clock::time_point start = Clock::now();
    const uint64_t value = wiki::Fibonacci(n);
    const Clock::time_point end = Clock::now();
    if (value != check) {
      std::fprintf(stderr, "fib-time: fibonacci(%d) gave %llu, then %llu\n", n,
                   static_cast<unsigned long long>(check),
                   static_cast<unsigned long long>(value));
      return 1;
    }
    seconds.push_back(std::chrono::duration<double>(end - start).count());
  }
  std::vector<double> sorted = seconds;
  std::sort(sorted.begin(), sorted.end());
  const size_t mid = sorted.size() / 2;
  const double median =
      sorted.size() % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;

  std::printf(
      "{\"n\": %d, \"value\": %llu, \"calls\": %d, \"min_s\": %.6f, "
      "\"median_s\": %.6f, \"max_s\": %.6f, \"each_s\": [",
      n, static_cast<unsigned long long>(check), calls, sorted.front(), median,
      sorted.back());
  for (size_t i = 0; i < seconds.size(); ++i) {
    std::printf("%s%.6f", i ? ", " : "", seconds[i]);
  }
  std::printf("]}\n");
  return 0;
}
