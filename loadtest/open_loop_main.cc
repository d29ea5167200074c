// open-loop: an open-loop HTTP/1.1 load generator (wrk2's idea; wrk2 is not
// in Debian). Requests go out on a fixed schedule at the offered rate over
// many keep-alive connections, one request in flight per connection, from
// one epoll thread; each latency is measured from the request's intended
// send time (loadtest/open_loop.h), so a stall is charged to every request
// it delayed.
//
//   open-loop --url http://127.0.0.1:8080/wiki/Latest_plane_crash
//             [--rate 20000] [--duration 30] [--connections 128]
//             [--header 'Accept-Encoding: gzip']... [--method GET]
//             [--drain 5] [--json FILE]
//
// Reports offered and achieved req/s (answers with status < 400 per second
// of the run), p50/p90/p99/p99.9/max latency, errors (status >= 400, broken
// framing, connection failures) and requests still unanswered `drain`
// seconds after the schedule ended; errors are broken down by kind (each
// status, and broken connections or framing). Exit status 2 on bad arguments or
// when no connection can be made, else 0: speed is reported, not judged.
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "open_loop.h"

namespace {

using wiki::loadtest::Histogram;
using wiki::loadtest::ParseHead;
using wiki::loadtest::ResponseHead;
using wiki::loadtest::Schedule;

int64_t NowNs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

struct Options {
  std::string host = "127.0.0.1", port = "8080", path = "/";
  std::string method = "GET";
  std::vector<std::string> headers;
  double rate = 20000, duration = 30, drain = 5;
  int connections = 128;
  std::string json_path;
};

bool ParseUrl(const std::string& url, Options* o) {
  const std::string scheme = "http://";
  if (url.compare(0, scheme.size(), scheme) != 0) return false;
  std::string rest = url.substr(scheme.size());
  const size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  o->path = slash == std::string::npos ? "/" : rest.substr(slash);
  const size_t colon = authority.rfind(':');
  o->host = authority.substr(0, colon);
  o->port = colon == std::string::npos ? "80" : authority.substr(colon + 1);
  return !o->host.empty() && !o->port.empty();
}

struct Conn {
  int fd = -1;
  bool busy = false;
  int64_t intended_ns = 0;  // of the request in flight
  std::string head;         // bytes of the response head so far
  bool have_head = false;
  ResponseHead parsed;
  uint64_t body_left = 0;
};

struct Totals {
  Histogram latency;
  uint64_t scheduled = 0, sent = 0, ok = 0, errors = 0, reconnects = 0;
  // What the errors were: answers by status (>= 400), and broken
  // connections or framing.
  std::map<int, uint64_t> error_statuses;
  uint64_t broken = 0;
  int64_t start_ns = 0, last_done_ns = 0;
  double stopped_after_s = 0;  // > 0: SIGINT/SIGTERM cut the schedule short
};

// Set by SIGINT/SIGTERM: a caller that runs the generator as a background
// load for an unknown time stops it and still gets the report.
volatile sig_atomic_t g_stop = 0;
void OnStopSignal(int) { g_stop = 1; }

class Generator {
 public:
  Generator(const Options& o, const struct addrinfo* addr)
      : o_(o), addr_(addr), schedule_(o.rate, o.duration) {
    request_ = o.method + " " + o.path + " HTTP/1.1\r\nHost: " + o.host + ":" +
               o.port + "\r\n";
    for (const std::string& h : o.headers) request_ += h + "\r\n";
    request_ += "\r\n";
    buf_.resize(1 << 18);
  }

  bool Run(Totals* t);

 private:
  bool Connect(Conn* c);
  void Reopen(Conn* c, Totals* t);
  void Fail(Conn* c, Totals* t);
  void OnReadable(Conn* c, Totals* t);
  void Finish(Conn* c, Totals* t);

  const Options& o_;
  const struct addrinfo* addr_;
  Schedule schedule_;
  std::string request_;
  std::vector<char> buf_;
  std::vector<Conn> conns_;
  std::vector<size_t> idle_;
  int epfd_ = -1;
  int64_t start_ns_ = 0;
  uint64_t in_flight_ = 0;
};

bool Generator::Connect(Conn* c) {
  int fd = ::socket(addr_->ai_family, SOCK_STREAM | SOCK_CLOEXEC,
                    addr_->ai_protocol);
  if (fd < 0) return false;
  if (::connect(fd, addr_->ai_addr, addr_->ai_addrlen) != 0) {
    ::close(fd);
    return false;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  struct epoll_event ev {};
  ev.events = EPOLLIN | EPOLLRDHUP;
  ev.data.u64 = static_cast<uint64_t>(c - conns_.data());
  if (::epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
    ::close(fd);
    return false;
  }
  c->fd = fd;
  c->busy = false;
  c->head.clear();
  c->have_head = false;
  return true;
}

// Closes `c` and connects it again (fd -1 if that fails: the next send on
// it retries).
void Generator::Reopen(Conn* c, Totals* t) {
  if (c->fd >= 0) {
    ::epoll_ctl(epfd_, EPOLL_CTL_DEL, c->fd, nullptr);
    ::close(c->fd);
  }
  c->fd = -1;
  ++t->reconnects;
  Connect(c);
}

// The connection broke (or framing did): the request in flight, if any, is
// an error; a new connection takes its place.
void Generator::Fail(Conn* c, Totals* t) {
  const bool was_busy = c->busy;
  if (was_busy) {
    ++t->errors;
    ++t->broken;
    --in_flight_;
  }
  c->busy = false;
  Reopen(c, t);
  // An idle connection is in idle_ already.
  if (was_busy) idle_.push_back(static_cast<size_t>(c - conns_.data()));
}

void Generator::Finish(Conn* c, Totals* t) {
  const int64_t now = NowNs();
  if (c->parsed.status < 400) {
    ++t->ok;
    t->latency.Record(static_cast<uint64_t>((now - c->intended_ns) / 1000));
  } else {
    ++t->errors;
    ++t->error_statuses[c->parsed.status];
  }
  t->last_done_ns = now;
  --in_flight_;
  c->busy = false;
  c->head.clear();
  c->have_head = false;
  if (c->parsed.close) Reopen(c, t);
  idle_.push_back(static_cast<size_t>(c - conns_.data()));
}

void Generator::OnReadable(Conn* c, Totals* t) {
  const ssize_t n = ::recv(c->fd, buf_.data(), buf_.size(), 0);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n <= 0 || !c->busy) return Fail(c, t);  // closed, or bytes unasked for
  std::string_view data(buf_.data(), static_cast<size_t>(n));
  if (!c->have_head) {
    const size_t before = c->head.size();
    c->head.append(data);
    const size_t len = wiki::loadtest::HeadLength(c->head);
    if (len == 0) {
      if (c->head.size() > 65536) Fail(c, t);
      return;
    }
    c->parsed = ParseHead(c->head.substr(0, len), o_.method == "HEAD");
    if (!c->parsed.ok) return Fail(c, t);
    c->have_head = true;
    c->body_left = c->parsed.body_length;
    data.remove_prefix(len - before);
  }
  if (data.size() > c->body_left) return Fail(c, t);  // no pipelining here
  c->body_left -= data.size();
  if (c->body_left == 0) Finish(c, t);
}

bool Generator::Run(Totals* t) {
  epfd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epfd_ < 0) return false;
  conns_.resize(static_cast<size_t>(o_.connections));
  for (size_t i = 0; i < conns_.size(); ++i) {
    if (!Connect(&conns_[i])) {
      std::perror("open-loop: connect");
      return false;
    }
    idle_.push_back(i);
  }
  std::vector<struct epoll_event> events(conns_.size());
  start_ns_ = NowNs();
  int64_t end_ns = start_ns_ + schedule_.IntendedNs(schedule_.Count()) +
                   static_cast<int64_t>(o_.drain * 1e9);
  uint64_t next = 0;
  uint64_t count = schedule_.Count();
  for (;;) {
    const int64_t now = NowNs();
    if (g_stop && t->stopped_after_s == 0) {
      // Nothing more is sent; what is in flight is still awaited (drain).
      count = next;
      t->stopped_after_s = static_cast<double>(now - start_ns_) / 1e9;
      end_ns = now + static_cast<int64_t>(o_.drain * 1e9);
    }
    const uint64_t due = std::min(count, schedule_.DueAt(now - start_ns_));
    while (next < due && !idle_.empty()) {
      Conn* c = &conns_[idle_.back()];
      idle_.pop_back();
      ++t->sent;
      c->intended_ns = start_ns_ + schedule_.IntendedNs(next++);
      if (c->fd < 0 && !Connect(c)) {
        ++t->errors;
        ++t->broken;
        idle_.push_back(static_cast<size_t>(c - conns_.data()));
        continue;
      }
      // A request is ~100 bytes into an empty socket buffer: one send.
      const ssize_t w =
          ::send(c->fd, request_.data(), request_.size(), MSG_NOSIGNAL);
      c->busy = true;
      ++in_flight_;
      if (w != static_cast<ssize_t>(request_.size())) Fail(c, t);
    }
    if ((next == count && in_flight_ == 0) || now >= end_ns) break;
    // Sleep until the next request is due (nanosecond timeout), or until a
    // response arrives; with a backlog, only for responses.
    struct timespec timeout {
      0, 100000000
    };
    if (next < count && next >= due) {
      const int64_t wait = start_ns_ + schedule_.IntendedNs(next) - now;
      timeout.tv_sec = wait / 1000000000;
      timeout.tv_nsec = wait % 1000000000;
    }
    const int n =
        ::epoll_pwait2(epfd_, events.data(), static_cast<int>(events.size()),
                       &timeout, nullptr);
    for (int i = 0; i < n; ++i) {
      Conn* c = &conns_[events[i].data.u64];
      if (c->fd >= 0) OnReadable(c, t);
    }
  }
  t->scheduled = count;
  t->start_ns = start_ns_;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  std::string url = "http://127.0.0.1:8080/wiki/Latest_plane_crash";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--url") {
      url = v;
    } else if (k == "--rate") {
      o.rate = std::atof(v.c_str());
    } else if (k == "--duration") {
      o.duration = std::atof(v.c_str());
    } else if (k == "--connections") {
      o.connections = std::atoi(v.c_str());
    } else if (k == "--header") {
      o.headers.push_back(v);
    } else if (k == "--method") {
      o.method = v;
    } else if (k == "--drain") {
      o.drain = std::atof(v.c_str());
    } else if (k == "--json") {
      o.json_path = v;
    } else {
      argc = 0;  // usage below
    }
  }
  if (argc % 2 != 1 || !ParseUrl(url, &o) || o.rate <= 0 || o.duration <= 0 ||
      o.connections < 1 || o.drain < 0 ||
      (o.method != "GET" && o.method != "HEAD")) {
    std::fprintf(stderr,
                 "usage: %s --url http://HOST:PORT/PATH [--rate R] "
                 "[--duration S] [--connections N] [--header 'K: V']... "
                 "[--method GET|HEAD] [--drain S] [--json FILE]\n",
                 argv[0]);
    return 2;
  }
  struct addrinfo hints {};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  struct addrinfo* addr = nullptr;
  if (::getaddrinfo(o.host.c_str(), o.port.c_str(), &hints, &addr) != 0 ||
      addr == nullptr) {
    std::fprintf(stderr, "open-loop: cannot resolve %s\n", o.host.c_str());
    return 2;
  }
  Totals t;
  ::signal(SIGINT, OnStopSignal);
  ::signal(SIGTERM, OnStopSignal);
  Generator gen(o, addr);
  const bool ran = gen.Run(&t);
  if (t.stopped_after_s > 0) o.duration = t.stopped_after_s;
  ::freeaddrinfo(addr);
  if (!ran) return 2;
  // Achieved: good answers per second of the run, which lasts at least the
  // schedule and longer if answers trail behind it.
  const double run_s = std::max(
      o.duration, static_cast<double>(t.last_done_ns - t.start_ns) / 1e9);
  const double achieved = static_cast<double>(t.ok) / run_s;
  const uint64_t unanswered = t.scheduled - t.ok - t.errors;
  auto ms = [&](double p) {
    return static_cast<double>(t.latency.Percentile(p)) / 1000.0;
  };
  char json[700];
  std::snprintf(json, sizeof(json),
                "{\"offered_rps\": %.1f, \"achieved_rps\": %.1f, "
                "\"achieved_ratio\": %.4f, \"duration_s\": %.1f, "
                "\"connections\": %d, \"scheduled\": %llu, \"ok\": %llu, "
                "\"errors\": %llu, \"unanswered\": %llu, \"reconnects\": %llu, "
                "\"latency_ms\": {\"p50\": %.3f, \"p90\": %.3f, \"p99\": %.3f, "
                "\"p999\": %.3f, \"max\": %.3f}}",
                o.rate, achieved, achieved / o.rate, o.duration, o.connections,
                static_cast<unsigned long long>(t.scheduled),
                static_cast<unsigned long long>(t.ok),
                static_cast<unsigned long long>(t.errors),
                static_cast<unsigned long long>(unanswered),
                static_cast<unsigned long long>(t.reconnects), ms(0.5), ms(0.9),
                ms(0.99), ms(0.999),
                static_cast<double>(t.latency.Max()) / 1000.0);
  std::printf(
      "offered %.0f req/s, achieved %.0f req/s (%.2f%%), %llu errors, %llu "
      "unanswered; latency from intended send time: p50 %.2f ms, p90 %.2f "
      "ms, p99 %.2f ms, p99.9 %.2f ms, max %.2f ms\n",
      o.rate, achieved, 100.0 * achieved / o.rate,
      static_cast<unsigned long long>(t.errors),
      static_cast<unsigned long long>(unanswered), ms(0.5), ms(0.9), ms(0.99),
      ms(0.999), static_cast<double>(t.latency.Max()) / 1000.0);
  // What the errors were, e.g. {"broken": 0, "503": 39}.
  std::string kinds = "{\"broken\": " + std::to_string(t.broken);
  for (const auto& [status, n] : t.error_statuses)
    kinds += ", \"" + std::to_string(status) + "\": " + std::to_string(n);
  kinds += "}";
  if (t.errors > 0) std::printf("errors by kind: %s\n", kinds.c_str());
  if (!o.json_path.empty()) {
    std::string with_kinds(json);
    with_kinds.insert(with_kinds.size() - 1, ", \"errors_by_kind\": " + kinds);
    std::ofstream(o.json_path) << with_kinds << "\n";
  }
  return 0;
}
