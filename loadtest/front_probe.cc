// front-probe: edits at a fixed rate and, right after each acknowledgment,
// reads every front-cached representation once, counting reads older than
// the acknowledged revision (the front cache's freshness rule, measured under
// load by loadtest/bench-front).
//
//   front-probe --url http://127.0.0.1:8080 [--title T] [--rate 10]
//               [--writers 3] [--duration 10] [--json FILE]
//
// An acknowledgment takes a few fsyncs, so one writer alone could not keep
// up 10 edits/s on a slow disk: `writers` threads share the rate, each
// changing its own paragraph with a form post from the revision it read
// last (so concurrent edits merge: 303, X-Merged). Exit status 1 if any read
// was stale or any request failed.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "http_client.h"

namespace {

using Clock = std::chrono::steady_clock;

uint64_t ToId(const std::string& s) {
  if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos)
    return 0;
  return std::strtoull(s.c_str(), nullptr, 10);
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[i];
}

std::string Marker(int writer, long n) {
  return "<p>probe " + std::to_string(writer) + " " + std::to_string(n) +
         "</p>\n";
}

// Replaces writer `w`'s paragraph in `text` (one line starting "<p>probe w ").
std::string WithMarker(const std::string& text, int w, long n) {
  const std::string prefix = "<p>probe " + std::to_string(w) + " ";
  size_t at = text.find(prefix);
  if (at == std::string::npos) return text + Marker(w, n);
  size_t end = text.find('\n', at);
  return text.substr(0, at) + Marker(w, n) +
         (end == std::string::npos ? "" : text.substr(end + 1));
}

struct Stats {
  std::mutex mu;
  std::vector<double> ack_ms;
  std::atomic<long> edits{0}, merged{0}, conflicts{0}, reads{0}, stale{0},
      errors{0};
};

// One writer: edits at `rate`/s until `end`, reading every representation
// after each acknowledgment.
void Writer(int w, const std::string& url, double rate, Clock::time_point end,
            Stats* st) {
  wiki::HttpClient client;
  auto cur = client.Get(url + "?action=raw");
  if (!cur.ok()) {
    ++st->errors;
    return;
  }
  std::string text = cur->body;
  uint64_t base = ToId(cur->Header("x-revision"));
  std::string prev_page_etag;
  auto next = Clock::now() + std::chrono::milliseconds(37 * w);
  const auto interval = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(1.0 / rate));
  for (long n = 0; Clock::now() < end; ++n) {
    std::this_thread::sleep_until(next);
    next += interval;
    const auto t0 = Clock::now();
    auto r = client.PostForm(url, {{"text", WithMarker(text, w, n)},
                                   {"base_revision", std::to_string(base)}});
    if (r.ok() && r->status == 409) {
      ++st->conflicts;
    } else if (!r.ok() || r->status != 303) {
      ++st->errors;
      continue;
    }
    const uint64_t acked = r->status == 303 ? ToId(r->Header("x-revision")) : 0;
    if (acked != 0) {
      std::lock_guard<std::mutex> g(st->mu);
      st->ack_ms.push_back(
          std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
      ++st->edits;
      if (r->Header("x-merged") == "1") ++st->merged;
    }
    // Every representation, each started after the acknowledgment; the
    // conditional read carries the previous revision's page tag and must
    // get the new page, not a 304.
    struct Read {
      const char* method;
      const char* query;
      const char* encoding;
      bool conditional;
    } kReads[] = {{"GET", "?action=raw", "", false},
                  {"GET", "", "", false},
                  {"GET", "", "gzip", false},
                  {"GET", "?action=raw", "gzip", false},
                  {"GET", "", "gzip, deflate, br", false},
                  {"GET", "?action=raw", "br", false},
                  {"HEAD", "", "", false},
                  {"GET", "", "", true}};
    std::string page_etag;
    for (const Read& rd : kReads) {
      wiki::HttpRequest get;
      get.method = rd.method;
      get.url = url + rd.query;
      if (*rd.encoding) get.headers.push_back({"Accept-Encoding", rd.encoding});
      if (rd.conditional && !prev_page_etag.empty())
        get.headers.push_back({"If-None-Match", prev_page_etag});
      auto g = client.Send(get);
      ++st->reads;
      if (!g.ok() || (g->status != 200 && g->status != 304)) {
        ++st->errors;
        continue;
      }
      const uint64_t rev = ToId(g->Header("x-revision"));
      if (rev < acked) ++st->stale;
      if (&rd == &kReads[0]) {  // the next edit's base
        text = g->body;
        base = rev;
      }
      if (&rd == &kReads[1]) page_etag = g->Header("etag");
    }
    prev_page_etag = page_etag;
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string base = "http://127.0.0.1:8080", title = "Latest_plane_crash",
              json_path;
  double rate = 10, duration = 10;
  int writers = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--url") {
      base = v;
    } else if (k == "--title") {
      title = v;
    } else if (k == "--rate") {
      rate = std::atof(v.c_str());
    } else if (k == "--writers") {
      writers = std::atoi(v.c_str());
    } else if (k == "--duration") {
      duration = std::atof(v.c_str());
    } else if (k == "--json") {
      json_path = v;
    } else {
      std::fprintf(stderr,
                   "usage: %s --url URL [--title T] [--rate R] [--writers N] "
                   "[--duration S] [--json FILE]\n",
                   argv[0]);
      return 2;
    }
  }
  if (rate <= 0 || duration <= 0 || writers < 1) return 2;
  const std::string url = base + "/wiki/" + title;
  {
    // One paragraph per writer, unchanged paragraphs in between, so their
    // concurrent edits merge instead of touching.
    wiki::HttpClient client;
    auto cur = client.Get(url + "?action=raw");
    if (!cur.ok() || cur->status != 200) {
      std::fprintf(stderr, "front-probe: cannot read %s\n", url.c_str());
      return 1;
    }
    std::string text = cur->body;
    for (int w = 0; w < writers; ++w) {
      if (text.find("<p>probe " + std::to_string(w) + " ") == std::string::npos)
        text += Marker(w, -1) + "<p>between " + std::to_string(w) + "</p>\n";
    }
    wiki::HttpRequest put;
    put.method = "PUT";
    put.url = url;
    put.body = text;
    put.has_body = true;
    put.headers = {{"Content-Type", "text/html"},
                   {"If-Match", cur->Header("etag")}};
    auto r = client.Send(put);
    if (!r.ok() || (r->status != 200 && r->status != 412)) {
      std::fprintf(stderr, "front-probe: cannot set up the article\n");
      return 1;
    }
  }
  Stats st;
  const auto start = Clock::now();
  const auto end = start + std::chrono::duration_cast<Clock::duration>(
                               std::chrono::duration<double>(duration));
  std::vector<std::thread> threads;
  for (int w = 0; w < writers; ++w) {
    threads.emplace_back(Writer, w, url, rate / writers, end, &st);
  }
  for (auto& t : threads) t.join();
  const double secs =
      std::chrono::duration<double>(Clock::now() - start).count();
  char json[600];
  std::snprintf(
      json, sizeof(json),
      "{\"edits\": %ld, \"edits_per_s\": %.2f, \"merged\": %ld, "
      "\"conflicts_409\": %ld, \"reads_after_ack\": %ld, "
      "\"stale_reads_after_ack\": %ld, \"errors\": %ld, \"ack_ms\": {\"p50\": "
      "%.1f, \"p99\": %.1f, \"max\": %.1f}}",
      st.edits.load(), static_cast<double>(st.edits.load()) / secs,
      st.merged.load(), st.conflicts.load(), st.reads.load(), st.stale.load(),
      st.errors.load(), Percentile(st.ack_ms, 0.5), Percentile(st.ack_ms, 0.99),
      Percentile(st.ack_ms, 1.0));
  std::printf("%s\n", json);
  if (!json_path.empty()) std::ofstream(json_path) << json << "\n";
  return st.stale.load() == 0 && st.errors.load() == 0 ? 0 : 1;
}
