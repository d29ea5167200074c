#include "storm.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdarg>
#include <cstdio>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <system_error>
#include <thread>
#include <utility>

#include "http.h"  // AsciiLower
#include "http_client.h"

namespace wiki {

namespace {

using Clock = std::chrono::steady_clock;

// A POST that starts this long after its slot counts as late: the editor
// spent its think time waiting for the server instead.
constexpr double kLateS = 0.1;

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

bool IsAlpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// True if `s` at `i` starts with `lower_prefix`, ignoring ASCII case.
bool StartsWithNoCase(std::string_view s, size_t i,
                      std::string_view lower_prefix) {
  if (s.size() - i < lower_prefix.size()) return false;
  for (size_t k = 0; k < lower_prefix.size(); ++k) {
    if (AsciiLower(s[i + k]) != lower_prefix[k]) return false;
  }
  return true;
}

// The HTML tokenizer only starts a tag at '<' followed by one of these; a
// lone '<' in text is text.
bool IsMarkupStart(std::string_view s, size_t i, size_t end) {
  if (s[i] != '<' || i + 1 >= end) return false;
  char c = s[i + 1];
  return IsAlpha(c) || c == '/' || c == '!' || c == '?';
}

// Offset just past the tag or comment starting at `i` (a '<'), or npos if
// it is not closed before `end`. A '>' inside a quoted attribute value does
// not close the tag.
size_t SkipMarkup(std::string_view s, size_t i, size_t end) {
  constexpr size_t kOpen = std::string_view::npos;
  if (StartsWithNoCase(s, i, "<!--")) {
    size_t close = s.substr(0, end).find("-->", i + 4);
    return close == kOpen ? kOpen : close + 3;
  }
  size_t k = i + 1;
  while (k < end) {
    char c = s[k];
    if (c == '>') return k + 1;
    if (c == '=') {
      ++k;
      while (k < end && IsSpace(s[k])) ++k;
      if (k < end && (s[k] == '"' || s[k] == '\'')) {
        size_t close = s.substr(0, end).find(s[k], k + 1);
        if (close == kOpen) return kOpen;
        k = close + 1;
      }
      continue;
    }
    ++k;
  }
  return kOpen;
}

// Word positions of the paragraph line [begin, end), or nothing if it is
// not one.
std::vector<size_t> LinePositions(std::string_view s, size_t begin,
                                  size_t end) {
  std::vector<size_t> out;
  size_t i = begin;
  while (i < end && (s[i] == ' ' || s[i] == '\t')) ++i;
  if (!StartsWithNoCase(s, i, "<p") || i + 2 >= end) return out;
  char after = s[i + 2];
  if (after != '>' && after != '/' && !IsSpace(after)) return out;  // <pre>
  size_t content = SkipMarkup(s, i, end);
  if (content == std::string_view::npos) return out;
  size_t stop = end;
  while (stop > content && s[stop - 1] == '\r') --stop;

  // Tags are skipped when deciding what text precedes a position, so that
  // a marker after "<a href=...>" lands between two words of the rendered
  // text, and one after "foo<b>" (which would render glued to "foo") is
  // never chosen.
  bool after_space = true;
  size_t k = content;
  while (true) {
    // A <p> cannot contain another <p>, so its content ends at the first
    // </p>; anything after that on the line is not this paragraph.
    bool closes = k + 3 <= stop && StartsWithNoCase(s, k, "</p") &&
                  (k + 3 == stop || s[k + 3] == '>' || IsSpace(s[k + 3]));
    if (k == stop || closes) {
      if (after_space) out.push_back(k);
      break;
    }
    if (IsMarkupStart(s, k, stop)) {
      if (after_space) out.push_back(k);
      k = SkipMarkup(s, k, stop);
      if (k == std::string_view::npos) break;  // the rest is inside a tag
      continue;
    }
    if (IsSpace(s[k])) {
      after_space = true;
    } else {
      if (after_space) out.push_back(k);
      after_space = false;
    }
    ++k;
  }
  return out;
}

uint64_t SplitMix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

std::string Fmt(const char* format, ...) __attribute__((format(printf, 1, 2)));
std::string Fmt(const char* format, ...) {
  char buf[512];
  va_list args;
  va_start(args, format);
  std::vsnprintf(buf, sizeof(buf), format, args);
  va_end(args);
  return buf;
}

// Digits vary from one error to the next ("timed out after 10001 ms");
// replacing them lets the report group errors by kind.
std::string ErrorKind(const std::string& message) {
  std::string_view m = message;
  // Drop the "POST http://...: " prefix the client puts on every error.
  size_t colon = m.find(
      ": ", m.find("://") == std::string_view::npos ? 0 : m.find("://") + 3);
  if (colon != std::string_view::npos) m.remove_prefix(colon + 2);
  std::string out;
  for (size_t i = 0; i < m.size(); ++i) {
    if (m[i] >= '0' && m[i] <= '9') {
      while (i + 1 < m.size() && m[i + 1] >= '0' && m[i + 1] <= '9') ++i;
      out += 'N';
    } else {
      out += m[i];
    }
  }
  return "transport: " + out;
}

// Percent-encodes a title for the URL path; MediaWiki titles use '_' for
// spaces, which passes through.
std::string PathEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (IsAlpha(c) || (c >= '0' && c <= '9') ||
        std::string_view("-._~!$&'()*+,;=:@").find(c) !=
            std::string_view::npos) {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 0xF];
    }
  }
  return out;
}

std::string ArticleUrl(const StormConfig& config) {
  std::string base = config.base_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + "/wiki/" + PathEncode(config.title);
}

enum class Outcome {
  kClean,
  kMerged,
  kConflict,  // 409: refused
  kRefused,   // other 4xx: refused
  kServer,    // 5xx
  kUnsure,    // transport error or unexpected status: fate unknown
};

struct Attempt {
  std::string marker;
  Outcome outcome = Outcome::kUnsure;
  double latency_ms = -1;  // < 0: no HTTP answer
};

// What one editor thread did; merged into the report after the join, so
// the editors share nothing but the counters below.
struct EditorLog {
  std::vector<Attempt> attempts;
  std::map<std::string, int64_t> details;
  int64_t gets = 0;
  int64_t get_errors = 0;
  int64_t get_server_errors = 0;
  int64_t get_shed = 0;
  int64_t discarded = 0;
  int64_t late = 0;
};

struct Shared {
  const StormConfig* config;
  std::string article_url;
  std::string raw_url;
  std::string tag;
  Clock::time_point start;
  double idle_s = 0;

  std::mutex mu;
  std::condition_variable wake;  // editors: abort
  std::condition_variable done;  // RunStorm: an editor finished
  bool abort = false;
  int finished = 0;

  // Read by the progress lines while the editors run.
  std::atomic<int64_t> attempted{0};
  std::atomic<int64_t> clean{0};
  std::atomic<int64_t> merged{0};
  std::atomic<int64_t> conflicted{0};
  std::atomic<int64_t> errors{0};
  std::atomic<int64_t> server_errors{0};
};

Clock::time_point At(const Shared& s, double seconds) {
  return s.start + std::chrono::duration_cast<Clock::duration>(
                       std::chrono::duration<double>(seconds));
}

double SecondsSince(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// Sleeps until `t`; false if the storm was aborted meanwhile.
bool WaitUntil(Shared& s, Clock::time_point t) {
  std::unique_lock<std::mutex> lock(s.mu);
  return !s.wake.wait_until(lock, t, [&] { return s.abort; });
}

void RunEditor(Shared& s, int id, uint64_t seed, EditorLog* log) {
  const StormConfig& config = *s.config;
  const double a = config.think_min_s;
  const double b = config.think_max_s;
  const double duration = config.duration_s;
  const long timeout_ms = std::lround(config.timeout_s * 1000);
  HttpClient client;
  client.set_timeout_ms(timeout_ms);
  Rng rng(seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::uniform_real_distribution<double> think(a, b);

  // Start the renewal process in equilibrium: the cycle in progress at time
  // 0 is length-biased (density proportional to its length c on
  // [a + idle, b + idle], sampled by inverting c^2), and time 0 falls
  // uniformly within it. If that is during the think, the download happens
  // at 0: the article has been quiet until the storm starts, so an editor
  // who downloaded it earlier would have seen the same text.
  const double idle = s.idle_s;
  const double lo = a + idle;
  const double hi = b + idle;
  const double cycle = std::sqrt(lo * lo + unit(rng) * (hi * hi - lo * lo));
  double post_at = unit(rng) * cycle;
  double get_at = std::max(0.0, post_at - (cycle - idle));

  for (int n = 0; get_at < duration; ++n) {
    if (!WaitUntil(s, At(s, get_at))) break;
    ++log->gets;
    Result<HttpResponse> got = client.Get(s.raw_url);
    // An overloaded server sheds reads with 503 + Retry-After: a real
    // editor's client waits and downloads again. A few tries, then give up.
    for (int retry = 0; retry < 5 && got.ok() && got->status == 503 &&
                        !got->Header("retry-after").empty();
         ++retry) {
      ++log->get_shed;
      double wait = std::min(
          1.0, std::max(0.05, std::atof(got->Header("retry-after").c_str())));
      if (!WaitUntil(s, At(s, SecondsSince(s.start) + wait))) break;
      got = client.Get(s.raw_url);
    }
    std::string revision;
    bool usable = false;
    if (!got.ok()) {
      ++log->get_errors;
      ++log->details["GET " + ErrorKind(got.status().message())];
    } else if (got->status != 200) {
      ++log->get_errors;
      if (got->status >= 500) ++log->get_server_errors;
      ++log->details[Fmt("GET HTTP %ld", got->status)];
    } else if ((revision = got->Header("x-revision")).empty()) {
      ++log->get_errors;
      ++log->details["GET 200 without X-Revision"];
    } else {
      usable = true;
    }

    if (usable) {
      if (post_at >= duration) {
        ++log->discarded;
        break;
      }
      std::string marker = "storm" + s.tag + "E" + std::to_string(id) + "N" +
                           std::to_string(n) + "x";
      Result<std::string> text = InsertMarker(got->body, marker, rng);
      if (!text.ok()) {
        ++log->get_errors;
        ++log->details["GET article without a <p> line"];
      } else {
        if (!WaitUntil(s, At(s, post_at))) break;
        double lag = SecondsSince(s.start) - post_at;
        // A download that overran the end of the storm must not start an
        // attempt after it: that would extend the storm by a timeout.
        if (post_at + lag >= duration) {
          ++log->discarded;
          break;
        }
        if (lag > kLateS) ++log->late;
        ++s.attempted;
        Attempt attempt;
        attempt.marker = marker;
        Clock::time_point sent = Clock::now();
        Result<HttpResponse> put = client.PostForm(
            s.article_url, {{"text", std::move(*text)},
                            {"base_revision", revision},
                            {"summary", "editor storm " + marker}});
        double ms =
            std::chrono::duration<double, std::milli>(Clock::now() - sent)
                .count();
        if (!put.ok()) {
          attempt.outcome = Outcome::kUnsure;
          ++log->details[ErrorKind(put.status().message())];
          ++s.errors;
        } else {
          attempt.latency_ms = ms;
          long status = put->status;
          if (status == 303) {
            bool merged = put->Header("x-merged") == "1";
            attempt.outcome = merged ? Outcome::kMerged : Outcome::kClean;
            ++(merged ? s.merged : s.clean);
            if (put->Header("x-revision").empty()) {
              ++log->details["303 without X-Revision"];
            }
          } else if (status == 409) {
            attempt.outcome = Outcome::kConflict;
            ++s.conflicted;
          } else if (status >= 400 && status < 500) {
            attempt.outcome = Outcome::kRefused;
            ++log->details[Fmt("HTTP %ld", status)];
            ++s.errors;
          } else if (status >= 500) {
            attempt.outcome = Outcome::kServer;
            ++log->details[Fmt("HTTP %ld", status)];
            ++s.server_errors;
          } else {
            attempt.outcome = Outcome::kUnsure;
            ++log->details[Fmt("HTTP %ld (unexpected)", status)];
            ++s.errors;
          }
        }
        log->attempts.push_back(std::move(attempt));
      }
    }
    // The next cycle is timed from this one's slot, not from when the POST
    // returned, so a slow server does not lower the attempt rate.
    get_at = post_at + idle;
    post_at = get_at + think(rng);
  }
}

double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  // Nearest rank: the smallest value with at least p% at or below it.
  size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * sorted.size()));
  return sorted[std::min(sorted.size(), std::max<size_t>(rank, 1)) - 1];
}

uint64_t RandomSeed() {
  std::random_device device;
  return (uint64_t{device()} << 32) ^ device();
}

std::string NewTag() {
  std::random_device device;
  std::string tag;
  for (int i = 0; i < 6; ++i) {
    tag += static_cast<char>('a' + device() % 26);
  }
  return tag;
}

// Every "storm<tag>E<digits>N<digits>x" in `article`, with its count;
// anything else after the prefix is recorded as it stands (a marker the
// server cut or glued to something).
std::map<std::string, int> FindMarkers(std::string_view article,
                                       const std::string& tag) {
  std::map<std::string, int> found;
  const std::string prefix = "storm" + tag + "E";
  auto digits = [&](size_t i) {
    size_t k = i;
    while (k < article.size() && article[k] >= '0' && article[k] <= '9') ++k;
    return k;
  };
  for (size_t at = article.find(prefix); at != std::string_view::npos;
       at = article.find(prefix, at + 1)) {
    size_t k = digits(at + prefix.size());
    bool ok = k > at + prefix.size() && k < article.size() && article[k] == 'N';
    if (ok) {
      size_t n = digits(k + 1);
      ok = n > k + 1 && n < article.size() && article[n] == 'x';
      k = n;
    }
    ++found[ok ? std::string(article.substr(at, k + 1 - at))
               : std::string(article.substr(at, prefix.size() + 12)) + "..."];
  }
  return found;
}

template <typename T>
std::string Join(const std::vector<T>& items, size_t limit) {
  std::string out;
  for (size_t i = 0; i < items.size() && i < limit; ++i) {
    if (i > 0) out += ", ";
    out += items[i];
  }
  if (items.size() > limit) out += ", ...";
  return out;
}

}  // namespace

std::vector<std::vector<size_t>> WordPositions(std::string_view article) {
  std::vector<std::vector<size_t>> out;
  size_t begin = 0;
  while (begin <= article.size()) {
    size_t end = article.find('\n', begin);
    if (end == std::string_view::npos) end = article.size();
    std::vector<size_t> line = LinePositions(article, begin, end);
    if (!line.empty()) out.push_back(std::move(line));
    begin = end + 1;
  }
  return out;
}

Result<std::string> InsertMarker(std::string_view article,
                                 std::string_view marker, Rng& rng) {
  if (marker.empty() || std::any_of(marker.begin(), marker.end(), [](char c) {
        return IsSpace(c) || c == '<' || c == '>' || c == '&';
      })) {
    return Status::InvalidArgument("marker must be a single word");
  }
  std::vector<std::vector<size_t>> lines = WordPositions(article);
  if (lines.empty()) {
    return Status::InvalidArgument("article has no <p> line");
  }
  const std::vector<size_t>& line =
      lines[std::uniform_int_distribution<size_t>(0, lines.size() - 1)(rng)];
  size_t at =
      line[std::uniform_int_distribution<size_t>(0, line.size() - 1)(rng)];
  std::string out;
  out.reserve(article.size() + marker.size() + 1);
  out.append(article.substr(0, at));
  out.append(marker);
  out += ' ';
  out.append(article.substr(at));
  return out;
}

Status ValidateConfig(const StormConfig& c) {
  auto finite = [](double x) { return std::isfinite(x); };
  if (c.base_url.rfind("http://", 0) != 0 &&
      c.base_url.rfind("https://", 0) != 0) {
    return Status::InvalidArgument("--url must start with http:// or https://");
  }
  if (c.base_url.find_first_of(" \t\r\n?#") != std::string::npos) {
    return Status::InvalidArgument(
        "--url must be a base URL without spaces, query or fragment");
  }
  if (c.title.empty() || c.title == "." || c.title == ".." ||
      c.title.find_first_of("/\r\n") != std::string::npos) {
    return Status::InvalidArgument(
        "--title must be a non-empty article title without '/'");
  }
  if (!finite(c.rate) || c.rate <= 0 || c.rate > 10000) {
    return Status::InvalidArgument("--rate must be in (0, 10000] per second");
  }
  if (!finite(c.duration_s) || c.duration_s <= 0 || c.duration_s > 86400) {
    return Status::InvalidArgument("--duration must be in (0, 86400] seconds");
  }
  if (!finite(c.think_min_s) || !finite(c.think_max_s) || c.think_min_s < 0 ||
      c.think_max_s > 3600) {
    return Status::InvalidArgument(
        "--think-min and --think-max must be in [0, 3600] seconds");
  }
  if (c.think_min_s > c.think_max_s) {
    return Status::InvalidArgument("--think-min must not exceed --think-max");
  }
  if (c.editors < 0 || c.editors > kMaxEditors) {
    return Status::InvalidArgument(
        Fmt("--editors must be in [1, %d]", kMaxEditors));
  }
  if (c.editors == 0 &&
      c.rate * (c.think_min_s + c.think_max_s) / 2 > kMaxEditors) {
    return Status::InvalidArgument(
        Fmt("--rate times the mean think time asks for more than %d editors",
            kMaxEditors));
  }
  if (!finite(c.timeout_s) || c.timeout_s <= 0 || c.timeout_s > 600) {
    return Status::InvalidArgument("--timeout must be in (0, 600] seconds");
  }
  if (!finite(c.progress_interval_s) || c.progress_interval_s <= 0) {
    return Status::InvalidArgument("progress interval must be positive");
  }
  return Status::OK();
}

int EffectiveEditors(const StormConfig& c) {
  if (c.editors > 0) return c.editors;
  double mean_think = (c.think_min_s + c.think_max_s) / 2;
  // A hair of slack so that 10 * 11 is 110, not 111 after rounding error.
  return std::max(1, static_cast<int>(std::ceil(c.rate * mean_think - 1e-9)));
}

Result<StormReport> RunStorm(const StormConfig& config) {
  Status valid = ValidateConfig(config);
  if (!valid.ok()) return valid;

  StormReport report;
  report.article_url = ArticleUrl(config);
  report.editors = EffectiveEditors(config);
  report.target_rate = config.rate;
  report.duration_s = config.duration_s;
  report.think_min_s = config.think_min_s;
  report.think_max_s = config.think_max_s;
  report.seed = config.seed ? *config.seed : RandomSeed();
  const double mean_think = (config.think_min_s + config.think_max_s) / 2;
  // Tops each cycle up to editors / rate; zero if there are too few
  // editors to reach the rate (the report then shows the shortfall).
  report.idle_s = std::max(0.0, report.editors / config.rate - mean_think);

  const std::string raw_url = report.article_url + "?action=raw";
  const long timeout_ms = std::lround(config.timeout_s * 1000);
  HttpClient client;
  HttpRequest first;
  first.url = raw_url;
  first.timeout_ms = timeout_ms;
  Result<HttpResponse> initial = client.Send(first);
  if (!initial.ok()) return initial.status();
  if (initial->status != 200) {
    return Status::NotFound(
        Fmt("GET %s answered HTTP %ld; the article must exist before the "
            "storm",
            raw_url.c_str(), initial->status));
  }
  report.initial_revision = initial->Header("x-revision");
  if (report.initial_revision.empty()) {
    return Status::InvalidArgument("GET " + raw_url +
                                   " answered without X-Revision");
  }
  if (WordPositions(initial->body).empty()) {
    return Status::InvalidArgument("the article at " + raw_url +
                                   " has no <p> line to edit");
  }
  // Markers from earlier storms on the same article must not be mistaken
  // for this one's, so the tag is fresh (not from the seed) and unused.
  do {
    report.run_tag = NewTag();
  } while (initial->body.find("storm" + report.run_tag) != std::string::npos);

  Shared shared;
  shared.config = &config;
  shared.article_url = report.article_url;
  shared.raw_url = raw_url;
  shared.tag = report.run_tag;
  shared.idle_s = report.idle_s;

  const int editors = report.editors;
  std::vector<EditorLog> logs(editors);
  std::vector<std::thread> threads;
  threads.reserve(editors);
  shared.start = Clock::now();
  Status started;
  for (int id = 0; id < editors; ++id) {
    try {
      threads.emplace_back([&shared, &logs, id, seed = report.seed] {
        RunEditor(shared, id, SplitMix64(seed + id), &logs[id]);
        std::lock_guard<std::mutex> lock(shared.mu);
        ++shared.finished;
        shared.done.notify_all();
      });
    } catch (const std::system_error& e) {
      started =
          Status::IOError(Fmt("could not start editor thread %d of %d: %s",
                              id + 1, editors, e.what()));
      std::lock_guard<std::mutex> lock(shared.mu);
      shared.abort = true;
      shared.wake.notify_all();
      break;
    }
  }

  if (started.ok()) {
    auto tick = Clock::now();
    std::unique_lock<std::mutex> lock(shared.mu);
    while (shared.finished < editors) {
      tick += std::chrono::duration_cast<Clock::duration>(
          std::chrono::duration<double>(config.progress_interval_s));
      if (shared.done.wait_until(lock, tick,
                                 [&] { return shared.finished == editors; })) {
        break;
      }
      if (config.progress != nullptr) {
        // Editors need the mutex to start waiting; not while printing.
        lock.unlock();
        double t = SecondsSince(shared.start);
        int64_t attempted = shared.attempted;
        *config.progress << Fmt("[%6.1f s] attempted %lld (%.2f/s), clean "
                                "%lld, merged %lld, conflicted %lld, errors "
                                "%lld, 5xx %lld",
                                t, static_cast<long long>(attempted),
                                attempted / std::min(t, config.duration_s),
                                static_cast<long long>(shared.clean),
                                static_cast<long long>(shared.merged),
                                static_cast<long long>(shared.conflicted),
                                static_cast<long long>(shared.errors),
                                static_cast<long long>(shared.server_errors))
                         << std::endl;
        lock.lock();
      }
    }
  }
  for (std::thread& t : threads) t.join();
  if (!started.ok()) return started;
  report.elapsed_s = SecondsSince(shared.start);

  // Merge the editors' logs.
  std::vector<double> latencies;
  std::vector<const Attempt*> attempts;
  for (const EditorLog& log : logs) {
    report.gets += log.gets;
    report.get_errors += log.get_errors;
    report.get_server_errors += log.get_server_errors;
    report.get_shed += log.get_shed;
    report.discarded += log.discarded;
    report.late += log.late;
    for (const auto& [kind, count] : log.details) report.details[kind] += count;
    for (const Attempt& attempt : log.attempts) {
      attempts.push_back(&attempt);
      ++report.attempted;
      if (attempt.latency_ms >= 0) latencies.push_back(attempt.latency_ms);
      switch (attempt.outcome) {
        case Outcome::kClean:
          ++report.clean;
          break;
        case Outcome::kMerged:
          ++report.merged;
          break;
        case Outcome::kConflict:
          ++report.conflicted;
          break;
        case Outcome::kRefused:
          ++report.other_errors;
          break;
        case Outcome::kServer:
          ++report.server_errors;
          break;
        case Outcome::kUnsure:
          ++report.other_errors;
          if (attempt.latency_ms < 0) ++report.transport_errors;
          break;
      }
    }
  }
  const int64_t accepted = report.clean + report.merged;
  report.attempt_rate = report.attempted / config.duration_s;
  report.accepted_rate = accepted / config.duration_s;
  report.acceptance_pct =
      report.attempted > 0 ? 100.0 * accepted / report.attempted : 0;
  std::sort(latencies.begin(), latencies.end());
  report.latency_p50_ms = Percentile(latencies, 50);
  report.latency_p99_ms = Percentile(latencies, 99);
  report.latency_max_ms = latencies.empty() ? 0 : latencies.back();

  // The lost-update check, on one download of the final article.
  HttpRequest last;
  last.url = raw_url;
  last.timeout_ms = timeout_ms;
  Result<HttpResponse> final_article = client.Send(last);
  if (!final_article.ok()) {
    report.final_error = final_article.status().message();
  } else if (final_article->status != 200) {
    report.final_error = Fmt("HTTP %ld", final_article->status);
  } else {
    report.final_fetched = true;
    report.final_revision = final_article->Header("x-revision");
    report.final_bytes = static_cast<int64_t>(final_article->body.size());
    std::map<std::string, int> found =
        FindMarkers(final_article->body, report.run_tag);
    std::set<std::string> sent;
    for (const Attempt* attempt : attempts) {
      sent.insert(attempt->marker);
      auto it = found.find(attempt->marker);
      bool present = it != found.end();
      switch (attempt->outcome) {
        case Outcome::kClean:
        case Outcome::kMerged:
          if (!present) report.lost.push_back(attempt->marker);
          break;
        case Outcome::kConflict:
        case Outcome::kRefused:
          if (present) report.stray.push_back(attempt->marker);
          break;
        case Outcome::kServer:
        case Outcome::kUnsure:
          ++(present ? report.unsure_present : report.unsure_absent);
          break;
      }
    }
    for (const auto& [marker, count] : found) {
      if (count > 1) report.duplicated.push_back(marker);
      if (sent.count(marker) == 0) report.unknown.push_back(marker);
    }
  }
  return report;
}

std::vector<std::string> StormReport::Failures() const {
  std::vector<std::string> out;
  if (attempted == 0) out.push_back("nothing was attempted");
  if (server_errors + get_server_errors > 0) {
    out.push_back(
        Fmt("%lld 5xx response(s)",
            static_cast<long long>(server_errors + get_server_errors)));
  }
  if (!final_fetched) {
    out.push_back("final article not downloaded (" + final_error +
                  "): lost updates not checked");
  }
  if (!lost.empty()) {
    out.push_back(
        Fmt("%zu lost update(s): accepted, marker missing: ", lost.size()) +
        Join(lost, 5));
  }
  if (!stray.empty()) {
    out.push_back(
        Fmt("%zu stray marker(s): refused, marker present: ", stray.size()) +
        Join(stray, 5));
  }
  if (!duplicated.empty()) {
    out.push_back(
        Fmt("%zu marker(s) present more than once: ", duplicated.size()) +
        Join(duplicated, 5));
  }
  if (!unknown.empty()) {
    out.push_back(
        Fmt("%zu marker(s) of this run never sent: ", unknown.size()) +
        Join(unknown, 5));
  }
  return out;
}

std::string FormatReport(const StormReport& r) {
  auto ll = [](int64_t x) { return static_cast<long long>(x); };
  std::string out;
  out += "editor storm on " + r.article_url + "\n";
  out += Fmt("  %d editors, think %g-%g s", r.editors, r.think_min_s,
             r.think_max_s);
  if (r.idle_s > 0) out += Fmt(" + idle %.3g s", r.idle_s);
  out += Fmt(", %g s at a target %g attempts/s; seed %llu, markers storm%sE*\n",
             r.duration_s, r.target_rate,
             static_cast<unsigned long long>(r.seed), r.run_tag.c_str());
  out += Fmt("attempted     %8lld   %.2f/s achieved (target %g/s)\n",
             ll(r.attempted), r.attempt_rate, r.target_rate);
  out += Fmt("  clean       %8lld\n", ll(r.clean));
  out += Fmt("  merged      %8lld\n", ll(r.merged));
  out += Fmt("  conflicted  %8lld\n", ll(r.conflicted));
  out += Fmt("  other errors%8lld   (%lld transport)\n", ll(r.other_errors),
             ll(r.transport_errors));
  out += Fmt("  5xx         %8lld\n", ll(r.server_errors));
  if (r.get_shed > 0) {
    out += Fmt("downloads shed %7lld   (503 + Retry-After, downloaded again)\n",
               ll(r.get_shed));
  }
  out += Fmt("accepted      %8lld   %.2f/s, acceptance %.1f %%\n",
             ll(r.clean + r.merged), r.accepted_rate, r.acceptance_pct);
  out += Fmt("edit latency  p50 %.1f ms, p99 %.1f ms, max %.1f ms\n",
             r.latency_p50_ms, r.latency_p99_ms, r.latency_max_ms);
  out +=
      Fmt("downloads     %8lld   %lld failed (%lld 5xx); %lld discarded at the "
          "end, %lld late; %.1f s wall\n",
          ll(r.gets), ll(r.get_errors), ll(r.get_server_errors),
          ll(r.discarded), ll(r.late), r.elapsed_s);
  for (const auto& [kind, count] : r.details) {
    out += Fmt("  %6lld x ", ll(count)) + kind + "\n";
  }
  if (r.final_fetched) {
    out += Fmt("final article revision %s (initial %s), %lld bytes\n",
               r.final_revision.c_str(), r.initial_revision.c_str(),
               ll(r.final_bytes));
    out +=
        Fmt("lost-update check: %zu lost, %zu stray, %zu duplicated, %zu "
            "unknown; unknown-outcome edits: %lld present, %lld absent\n",
            r.lost.size(), r.stray.size(), r.duplicated.size(),
            r.unknown.size(), ll(r.unsure_present), ll(r.unsure_absent));
  }
  std::vector<std::string> failures = r.Failures();
  if (failures.empty()) {
    out += "PASS\n";
  } else {
    for (const std::string& f : failures) out += "FAIL: " + f + "\n";
  }
  return out;
}

std::string ReportJson(const StormReport& r) {
  nlohmann::json j;
  j["article_url"] = r.article_url;
  j["run_tag"] = r.run_tag;
  j["seed"] = r.seed;
  j["editors"] = r.editors;
  j["target_rate"] = r.target_rate;
  j["duration_s"] = r.duration_s;
  j["think_min_s"] = r.think_min_s;
  j["think_max_s"] = r.think_max_s;
  j["idle_s"] = r.idle_s;
  j["elapsed_s"] = r.elapsed_s;
  j["attempted"] = r.attempted;
  j["clean"] = r.clean;
  j["merged"] = r.merged;
  j["conflicted"] = r.conflicted;
  j["other_errors"] = r.other_errors;
  j["transport_errors"] = r.transport_errors;
  j["server_errors"] = r.server_errors;
  j["accepted"] = r.clean + r.merged;
  j["attempt_rate"] = r.attempt_rate;
  j["accepted_rate"] = r.accepted_rate;
  j["acceptance_pct"] = r.acceptance_pct;
  j["latency_p50_ms"] = r.latency_p50_ms;
  j["latency_p99_ms"] = r.latency_p99_ms;
  j["latency_max_ms"] = r.latency_max_ms;
  j["gets"] = r.gets;
  j["get_errors"] = r.get_errors;
  j["get_server_errors"] = r.get_server_errors;
  j["get_shed"] = r.get_shed;
  j["discarded"] = r.discarded;
  j["late"] = r.late;
  j["details"] = r.details;
  j["final_fetched"] = r.final_fetched;
  j["final_error"] = r.final_error;
  j["initial_revision"] = r.initial_revision;
  j["final_revision"] = r.final_revision;
  j["final_bytes"] = r.final_bytes;
  j["lost"] = r.lost;
  j["stray"] = r.stray;
  j["duplicated"] = r.duplicated;
  j["unknown"] = r.unknown;
  j["unsure_present"] = r.unsure_present;
  j["unsure_absent"] = r.unsure_absent;
  std::vector<std::string> failures = r.Failures();
  j["failures"] = failures;
  j["passed"] = failures.empty();
  // Replacement of invalid UTF-8 (server-sent header values) instead of
  // the default exception.
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace wiki
