// slowloris-bench: a reader's latency on 127.0.0.1 with and without N
// slow-header connections from another address (`make bench-slowloris`,
// loadtest/bench-slowloris starts the stack).
//
//   build/slowloris-bench --port P [--seconds 20] [--conns 200]
//                         [--source 127.0.0.2]
//
// One reader thread GETs the article page (nginx's front cache) and its
// history (through a worker), one request at a time, for --seconds; then
// again while --conns connections from --source dribble header bytes and
// are reopened as nginx times them out (client_header_timeout), so that
// --conns are open all along. Prints p50/p99/max of each read kind in both
// phases. Local traffic only; bounded in time.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "http_client.h"
#include "slow_clients.h"

namespace {

struct Samples {
  std::vector<double> page_ms, history_ms;
  std::map<long, int> failed;  // by status (0: no answer)
};

Samples Read(const std::string& base, int seconds) {
  wiki::HttpClient client;
  client.set_timeout_ms(10000);
  Samples s;
  const std::string page = base + "/wiki/Latest_plane_crash";
  const auto until =
      std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  for (int i = 0; std::chrono::steady_clock::now() < until; ++i) {
    const bool history = i % 2 == 1;
    const auto t0 = std::chrono::steady_clock::now();
    auto r = client.Get(history ? page + "?action=history" : page);
    const double ms = std::chrono::duration<double, std::milli>(
                          std::chrono::steady_clock::now() - t0)
                          .count();
    if (!r.ok() || r->status != 200) {
      ++s.failed[r.ok() ? r->status : 0];
      continue;
    }
    (history ? s.history_ms : s.page_ms).push_back(ms);
  }
  return s;
}

double Quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(q * v.size()))];
}

void Print(const char* phase, const Samples& s) {
  for (int k = 0; k < 2; ++k) {
    const std::vector<double>& v = k == 0 ? s.page_ms : s.history_ms;
    std::printf("| %-26s | %-7s | %6zu | %7.2f | %7.2f | %7.2f |\n", phase,
                k == 0 ? "page" : "history", v.size(), Quantile(v, 0.50),
                Quantile(v, 0.99),
                v.empty() ? 0 : *std::max_element(v.begin(), v.end()));
  }
  for (const auto& [status, n] : s.failed) {
    std::printf(
        "  %d reads answered %ld%s\n", n, status,
        status == 503 ? " (load shedding: queued over shed_after_ms)" : "");
  }
}

}  // namespace

int main(int argc, char** argv) {
  int port = 0, seconds = 20, conns = 200;
  std::string source = "127.0.0.2";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    if (k == "--port")
      port = std::atoi(argv[i + 1]);
    else if (k == "--seconds")
      seconds = std::atoi(argv[i + 1]);
    else if (k == "--conns")
      conns = std::atoi(argv[i + 1]);
    else if (k == "--source")
      source = argv[i + 1];
  }
  if (port <= 0 || seconds <= 0 || conns <= 0) {
    std::fprintf(stderr,
                 "usage: %s --port P [--seconds S] [--conns N] "
                 "[--source IP]\n",
                 argv[0]);
    return 2;
  }
  const std::string base = "http://127.0.0.1:" + std::to_string(port);
  const Samples quiet = Read(base, seconds);

  std::atomic<bool> stop{false};
  std::atomic<int> open_min{conns}, opened{0}, timed_out{0};
  std::thread attacker([&] {
    wiki::SlowClients slow(port, source, "/wiki/Latest_plane_crash",
                           wiki::SlowClients::Mode::kHeader);
    opened += slow.Open(conns);
    while (!stop.load()) {
      const int open = slow.Poll(200);
      if (open < conns) opened += slow.Open(conns - open);
      timed_out = slow.closed_silently();
    }
  });
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const Samples attacked = Read(base, seconds);
  stop = true;
  attacker.join();

  std::printf(
      "| phase                      | read    | reads  | p50 ms  | p99 ms  | "
      "max ms  |\n"
      "| --- | --- | ---: | ---: | ---: | ---: |\n");
  Print("quiet", quiet);
  Print((std::to_string(conns) + " slow headers (" + source + ")").c_str(),
        attacked);
  std::printf("slow-header connections opened: %d, closed by nginx: %d\n",
              opened.load(), timed_out.load());
  return 0;
}
