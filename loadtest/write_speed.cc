// write-speed: how fast can edits land? Runs rounds of N concurrent
// editors (N = 1, 2, 4, ... up to --max-editors) against a running stack,
// each editor looping "GET ?action=raw, change it, save it" for --seconds,
// and stops raising N once the p99 of the save passes --p99-limit-ms.
// Saves are PUTs with If-Match (412 when another editor won: counted, not
// accepted) or, with --mode post, form POSTs with base_revision (merged by
// the server). Also times the durable-write steps one commit is made of,
// on the data directory's file system (--probe-dir), to state the floor
// that the fsyncs imply.
//
// Prints one line per round and a JSON summary (--json FILE).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "fs_posix.h"
#include "http_client.h"

namespace wiki {
namespace {

using Clock = std::chrono::steady_clock;

struct Flags {
  std::string url = "http://127.0.0.1:8080/wiki/Latest_plane_crash";
  std::string mode = "put";
  std::string probe_dir;
  std::string json;
  double seconds = 10;
  int max_editors = 64;
  double p99_limit_ms = 100;
};

struct Round {
  int editors = 0;
  int attempts = 0, accepted = 0, stale = 0, failed = 0;
  double seconds = 0, p50_ms = 0, p99_ms = 0;
};

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * (v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

std::string Header(const HttpResponse& r, const char* name) {
  return r.Header(name);
}

Round RunRound(const Flags& f, int editors) {
  Round round;
  round.editors = editors;
  std::mutex mu;
  std::vector<double> latencies;
  std::vector<std::thread> threads;
  const auto start = Clock::now();
  const auto end = start + std::chrono::duration_cast<Clock::duration>(
                               std::chrono::duration<double>(f.seconds));
  for (int e = 0; e < editors; ++e) {
    threads.emplace_back([&, e] {
      HttpClient client;
      for (int i = 0; Clock::now() < end; ++i) {
        auto raw = client.Get(f.url + "?action=raw");
        if (!raw.ok() || raw->status != 200) {
          std::lock_guard<std::mutex> l(mu);
          ++round.failed;
          continue;
        }
        // The marker goes after a paragraph chosen per editor and attempt,
        // so concurrent merged edits touch different places (appending
        // them all at the end would make every merge a conflict).
        const std::string marker = "<p>write-speed " + std::to_string(e) + "." +
                                   std::to_string(i) + "</p>\n";
        std::vector<size_t> ends;
        for (size_t at = 0;
             (at = raw->body.find("</p>\n", at)) != std::string::npos;
             at += 5) {
          ends.push_back(at + 5);
        }
        size_t pos = ends.empty() ? raw->body.size()
                                  : ends[(e * 7919 + i * 104729) % ends.size()];
        const std::string text =
            raw->body.substr(0, pos) + marker + raw->body.substr(pos);
        HttpRequest put;
        put.method = "PUT";
        put.url = f.url;
        put.headers = {{"Content-Type", "text/html; charset=utf-8"},
                       {"If-Match", Header(*raw, "etag")}};
        put.body = text;
        put.has_body = true;
        const auto t0 = Clock::now();
        auto r =
            f.mode == "post"
                ? client.PostForm(
                      f.url, {{"text", text},
                              {"base_revision", Header(*raw, "x-revision")}})
                : client.Send(put);
        const double ms =
            std::chrono::duration<double, std::milli>(Clock::now() - t0)
                .count();
        std::lock_guard<std::mutex> l(mu);
        ++round.attempts;
        latencies.push_back(ms);
        long st = r.ok() ? r->status : 0;
        if (st == 200 || st == 303) {
          ++round.accepted;
        } else if (st == 412 || st == 409) {
          ++round.stale;
        } else {
          ++round.failed;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  round.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  round.p50_ms = Percentile(latencies, 0.50);
  round.p99_ms = Percentile(latencies, 0.99);
  return round;
}

// Median time of `n` runs of `step`, in ms.
template <typename F>
double TimeMs(int n, F step) {
  std::vector<double> v;
  for (int i = 0; i < n; ++i) {
    auto t0 = Clock::now();
    if (!step(i)) return -1;
    v.push_back(
        std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }
  return Percentile(v, 0.5);
}

bool ParseFlags(int argc, char** argv, Flags* f) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--url")
      f->url = next();
    else if (a == "--mode")
      f->mode = next();
    else if (a == "--probe-dir")
      f->probe_dir = next();
    else if (a == "--json")
      f->json = next();
    else if (a == "--seconds")
      f->seconds = std::atof(next().c_str());
    else if (a == "--max-editors")
      f->max_editors = std::atoi(next().c_str());
    else if (a == "--p99-limit-ms")
      f->p99_limit_ms = std::atof(next().c_str());
    else
      return false;
  }
  return (f->mode == "put" || f->mode == "post") && f->seconds > 0 &&
         f->max_editors > 0;
}

int Main(int argc, char** argv) {
  Flags f;
  if (!ParseFlags(argc, argv, &f)) {
    std::fprintf(stderr,
                 "usage: write-speed [--url ARTICLE_URL] [--mode put|post] "
                 "[--seconds S] [--max-editors N] [--p99-limit-ms MS] "
                 "[--probe-dir DIR] [--json FILE]\n");
    return 2;
  }
  std::string json = "{\"mode\":\"" + f.mode + "\",\"rounds\":[";
  double best = 0;
  for (int n = 1; n <= f.max_editors; n *= 2) {
    Round r = RunRound(f, n);
    const double rate = r.accepted / r.seconds;
    best = std::max(best, rate);
    std::printf(
        "editors %3d: %6.1f attempts/s, %6.1f accepted/s (%d stale, %d "
        "failed), save p50 %.1f ms, p99 %.1f ms\n",
        n, r.attempts / r.seconds, rate, r.stale, r.failed, r.p50_ms, r.p99_ms);
    std::fflush(stdout);
    char buf[256];
    std::snprintf(buf, sizeof(buf),
                  "%s{\"editors\":%d,\"attempts_per_s\":%.2f,"
                  "\"accepted_per_s\":%.2f,\"stale\":%d,\"failed\":%d,"
                  "\"p50_ms\":%.2f,\"p99_ms\":%.2f}",
                  n == 1 ? "" : ",", n, r.attempts / r.seconds, rate, r.stale,
                  r.failed, r.p50_ms, r.p99_ms);
    json += buf;
    if (r.p99_ms > f.p99_limit_ms) break;
  }
  json += "],\"best_accepted_per_s\":" + std::to_string(best);
  if (!f.probe_dir.empty()) {
    // One commit = 2 durable replaces (revision file, article file) of the
    // article's size + 1 durable append (history record): 5 fsyncs.
    const std::string body(30000, 'x');
    double replace = TimeMs(50, [&](int) {
      return WriteFileAtomically(f.probe_dir, "probe.html", body).ok();
    });
    double append = TimeMs(50, [&](int) {
      return AppendDurably(f.probe_dir + "/probe.log", std::string(200, 'r'))
          .ok();
    });
    RemoveFile(f.probe_dir + "/probe.html");
    RemoveFile(f.probe_dir + "/probe.log");
    const double floor_ms = 2 * replace + append;
    std::printf(
        "durable replace of 30 KB: %.2f ms (2 fsyncs), durable append: %.2f "
        "ms (1 fsync); 5 fsyncs per commit under the write lock: floor %.2f "
        "ms per commit = at most %.0f commits/s\n",
        replace, append, floor_ms, floor_ms > 0 ? 1000 / floor_ms : 0);
    char buf[200];
    std::snprintf(buf, sizeof(buf),
                  ",\"durable_replace_ms\":%.3f,\"durable_append_ms\":%.3f,"
                  "\"fsyncs_per_commit\":5,\"commit_floor_ms\":%.3f",
                  replace, append, floor_ms);
    json += buf;
  }
  json += "}\n";
  if (!f.json.empty()) std::ofstream(f.json) << json;
  return 0;
}

}  // namespace
}  // namespace wiki

int main(int argc, char** argv) { return wiki::Main(argc, argv); }
