// front-probe: edits at a fixed rate and, right after each acknowledgment,
// reads every front-cached representation once, counting reads older than
// the acknowledged revision (the front cache's freshness rule, measured under
// load by loadtest/bench-front).
//
//   front-probe --url http://127.0.0.1:8080 [--title T] [--rate 10]
//               [--duration 10] [--json FILE]
//
// Edits are PUTs with If-Match (a 412 refetches ?action=raw and counts as
// a retry). Exit status 1 if any read was stale or any request failed.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
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

}  // namespace

int main(int argc, char** argv) {
  std::string base = "http://127.0.0.1:8080", title = "Latest_plane_crash",
              json_path;
  double rate = 10, duration = 10;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--url") {
      base = v;
    } else if (k == "--title") {
      title = v;
    } else if (k == "--rate") {
      rate = std::atof(v.c_str());
    } else if (k == "--duration") {
      duration = std::atof(v.c_str());
    } else if (k == "--json") {
      json_path = v;
    } else {
      std::fprintf(stderr, "usage: %s --url URL [--title T] [--rate R] "
                   "[--duration S] [--json FILE]\n", argv[0]);
      return 2;
    }
  }
  if (rate <= 0 || duration <= 0) return 2;
  const std::string url = base + "/wiki/" + title;
  wiki::HttpClient client;
  auto first = client.Get(url + "?action=raw");
  if (!first.ok() || first->status != 200) {
    std::fprintf(stderr, "front-probe: cannot read %s\n", url.c_str());
    return 1;
  }
  const std::string original = first->body;
  std::string etag = first->Header("etag");
  std::string page_etag;

  long edits = 0, retries = 0, reads = 0, stale = 0, errors = 0;
  std::vector<double> ack_ms;
  const auto start = Clock::now();
  const auto end = start + std::chrono::duration<double>(duration);
  auto next = start;
  const auto interval = std::chrono::duration<double>(1.0 / rate);
  for (long n = 0; Clock::now() < end; ++n) {
    std::this_thread::sleep_until(next);
    next += std::chrono::duration_cast<Clock::duration>(interval);
    wiki::HttpRequest put;
    put.method = "PUT";
    put.url = url;
    put.body = original + "<p>probe " + std::to_string(n) + "</p>\n";
    put.has_body = true;
    put.headers = {{"Content-Type", "text/html"}, {"If-Match", etag}};
    const auto t0 = Clock::now();
    auto r = client.Send(put);
    if (r.ok() && r->status == 412) {
      ++retries;
      auto cur = client.Get(url + "?action=raw");
      if (cur.ok()) etag = cur->Header("etag");
      continue;
    }
    if (!r.ok() || r->status != 200) {
      ++errors;
      continue;
    }
    ack_ms.push_back(
        std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    ++edits;
    etag = r->Header("etag");
    const uint64_t acked = ToId(r->Header("x-revision"));
    // Every representation, started after the acknowledgment.
    struct Read {
      const char* method;
      const char* query;
      const char* encoding;
      bool conditional;
    } kReads[] = {{"GET", "", "", false},
                  {"GET", "", "gzip", false},
                  {"GET", "?action=raw", "", false},
                  {"GET", "?action=raw", "gzip", false},
                  {"HEAD", "", "", false},
                  {"GET", "", "", true}};
    // The conditional read carries the previous revision's page tag: it
    // must get the new page, not a 304.
    std::string this_page_etag;
    for (const Read& rd : kReads) {
      wiki::HttpRequest get;
      get.method = rd.method;
      get.url = url + rd.query;
      if (*rd.encoding) get.headers.push_back({"Accept-Encoding", rd.encoding});
      if (rd.conditional && !page_etag.empty())
        get.headers.push_back({"If-None-Match", page_etag});
      auto g = client.Send(get);
      ++reads;
      if (!g.ok() || (g->status != 200 && g->status != 304)) {
        ++errors;
        continue;
      }
      if (ToId(g->Header("x-revision")) < acked) ++stale;
      if (!rd.conditional && *rd.query == 0 && *rd.encoding == 0 &&
          std::strcmp(rd.method, "GET") == 0) {
        this_page_etag = g->Header("etag");
      }
    }
    page_etag = this_page_etag;
  }
  const double secs =
      std::chrono::duration<double>(Clock::now() - start).count();
  char json[512];
  std::snprintf(json, sizeof(json),
                "{\"edits\": %ld, \"edits_per_s\": %.2f, \"retries_412\": %ld, "
                "\"reads_after_ack\": %ld, \"stale_reads_after_ack\": %ld, "
                "\"errors\": %ld, \"ack_ms\": {\"p50\": %.1f, \"p99\": %.1f, "
                "\"max\": %.1f}}",
                edits, static_cast<double>(edits) / secs, retries, reads, stale,
                errors, Percentile(ack_ms, 0.5), Percentile(ack_ms, 0.99),
                Percentile(ack_ms, 1.0));
  std::printf("%s\n", json);
  if (!json_path.empty()) std::ofstream(json_path) << json << "\n";
  return stale == 0 && errors == 0 ? 0 : 1;
}
