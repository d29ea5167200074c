#include "fcgi_server.h"

#include <fcgiapp.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <thread>
#include <vector>

#include "cancel.h"
#include "fcgi_stdout.h"
#include "massage.h"
#include "metrics.h"
#include "responses.h"

namespace wiki {

namespace {

std::atomic<bool> g_stopping{false};

// Which loops wait in accept() on fd 0: a graceful stop wakes exactly that
// many with a connection of its own (PokeListener).
std::atomic<int> g_in_accept{0};

// Loops parked on an idle keep-alive connection (AwaitKeepAliveRequest).
// Each holds its thread until nginx sends the next request on it, and nginx
// opens a new connection whenever it has no idle one: if every thread were
// parked, new connections would wait in the listen queue behind idle ones.
// So all but kUnparkedShare of a worker's threads (at least one) may park;
// past that a loop closes its connection after the answer and goes back to
// accept().
std::atomic<int> g_parked{0};
constexpr int kUnparkedShare = 8;  // 1/8: 8 of 64 threads

// Readable once the keep-alive grace of a stop has passed: loops parked on
// an idle keep-alive connection poll it beside their connection.
int g_stop_pipe[2] = {-1, -1};

std::string_view Param(FCGX_Request& r, const char* name) {
  const char* v = FCGX_GetParam(name, r.envp);
  return v ? std::string_view(v) : std::string_view();
}

// nginx passes its clock at the moment it handed the request on ($msec,
// "1732736629.123"); the difference to now is time spent queued.
int64_t ParseMsec(std::string_view start) {
  if (start.empty()) return 0;
  std::string s(start);
  char* end = nullptr;
  double sec = std::strtod(s.c_str(), &end);
  if (end == s.c_str() || sec <= 0) return 0;
  return static_cast<int64_t>(sec * 1000.0);
}

// Reads the whole body, at most `limit` bytes; the rest (if any) is
// drained so the connection stays usable. Returns false if the body ended
// before CONTENT_LENGTH bytes (a client that hung up mid-upload): such a
// body must never reach the handler, let alone be committed.
bool ReadBody(FCGX_Request& r, size_t content_length, size_t limit,
              Request* req) {
  if (content_length > limit) req->body_too_large = true;
  if (!req->body_too_large) req->body.resize(content_length);
  size_t got = 0;
  char sink[16384];
  for (;;) {
    char* dst = sink;
    int want = sizeof(sink);
    if (!req->body_too_large) {
      if (got == content_length) break;
      dst = &req->body[got];
      want = static_cast<int>(std::min<size_t>(content_length - got, 1 << 20));
    }
    int n = FCGX_GetStr(dst, want, r.in);
    if (n <= 0) break;
    if (!req->body_too_large) got += static_cast<size_t>(n);
  }
  if (req->body_too_large) return true;
  req->body.resize(got);
  return got == content_length;
}

// Returns false if the response could not be handed to nginx (it hung up
// or the connection broke); the caller counts it, nothing else can be done.
// Head and body go out in one system call (fcgi_stdout.h); FCGX_Finish_r
// then writes the closing records.
bool Write(FCGX_Request& r, const Response& resp) {
  const std::string head = resp.SerializeHead();
  const std::string_view body =
      resp.omit_body ? std::string_view() : std::string_view(resp.Body());
  return SendStdout(r.ipcFd, FrameStdout(r.requestId, head, body));
}

void BadRequest(const char* message, Response* resp) {
  *resp = Response();
  resp->status = 400;
  resp->AddHeader("Content-Type", "text/plain; charset=utf-8");
  resp->body = message;
}

void InternalError(Response* resp) {
  *resp = Response();
  resp->status = 500;
  resp->AddHeader("Content-Type", "text/plain; charset=utf-8");
  resp->body = "Internal error; the article is unchanged.\n";
}

// Reads one accepted request's parameters and body, runs the handler inside
// the one top-level catch, and writes the response.
void ServeOne(const Config& config, Handler* handler, FCGX_Request& r) {
  Request req;
  Response resp;
  // The one top-level catch: nothing unexpected escapes a request.
  try {
    req.method = Param(r, "REQUEST_METHOD");
    req.path = Param(r, "DOCUMENT_URI");
    if (req.path.empty()) req.path = Param(r, "SCRIPT_NAME");
    req.query = Param(r, "QUERY_STRING");
    req.content_type = Param(r, "CONTENT_TYPE");
    req.if_match = Param(r, "HTTP_IF_MATCH");
    req.if_none_match = Param(r, "HTTP_IF_NONE_MATCH");
    req.accept = Param(r, "HTTP_ACCEPT");
    req.accept_encoding = Param(r, "HTTP_ACCEPT_ENCODING");
    // Not REMOTE_USER: nginx fills that from any Basic header, checked or
    // not. EDITOR_USER is set only where nginx authenticated the editor.
    req.remote_user = Param(r, "EDITOR_USER");
    req.remote_addr = Param(r, "REMOTE_ADDR");
    // The Host header as sent, port included (Debian's fastcgi_params
    // makes HTTP_HOST $host, without the port an Origin carries).
    req.host = Param(r, "REQUEST_HOST");
    if (req.host.empty()) req.host = Param(r, "HTTP_HOST");
    req.origin = Param(r, "HTTP_ORIGIN");
    req.sec_fetch_site = Param(r, "HTTP_SEC_FETCH_SITE");
    // nginx closes this connection when its client goes away (no
    // fastcgi_ignore_client_abort): an edit stops at its next checkpoint.
    req.cancel = Cancel([fd = r.ipcFd] { return PeerClosed(fd); });
    const int64_t queued_since_ms = ParseMsec(Param(r, "REQUEST_START"));
    if (config.shed_after_ms > 0 && queued_since_ms > 0) {
      req.deadline_ms = queued_since_ms + config.shed_after_ms;
    }
    const bool is_read = req.method == "GET" || req.method == "HEAD";
    std::string_view len = Param(r, "CONTENT_LENGTH");
    if (is_read && req.deadline_ms > 0 && NowMs() > req.deadline_ms) {
      // Overloaded: a fast "retry" beats a late page. Writes carry an
      // editor's work and are never shed.
      Shed(&resp);
    } else if (!len.empty() &&
               !ReadBody(r,
                         std::strtoull(std::string(len).c_str(), nullptr, 10),
                         config.max_body_bytes(), &req)) {
      BadRequest("The request body ended before its Content-Length.\n", &resp);
    } else {
      handler->Handle(req, &resp);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fcgi: %s %s: unexpected: %s\n",
                 std::string(req.method).c_str(), std::string(req.path).c_str(),
                 e.what());
    InternalError(&resp);
  } catch (...) {
    std::fprintf(stderr, "fcgi: unexpected non-standard exception\n");
    InternalError(&resp);
  }
  if (resp.status == kClientClosedRequest) {
    // Abandoned (logged where it stopped): nginx has closed the connection
    // and logs its own 499; there is no one to answer.
  } else if (!Write(r, resp)) {
    std::fprintf(stderr, "fcgi: %s %s: response not delivered (%d)\n",
                 std::string(req.method).c_str(), std::string(req.path).c_str(),
                 resp.status);
  }
  Metrics::Global().CountRequest(resp.status);
}

// A loop holding an idle keep-alive connection waits here for nginx's next
// request on it. Returns false if the loop must drop the connection instead:
// nginx closed it, or a stop's grace has passed.
bool AwaitKeepAliveRequest(int fd) {
  pollfd fds[2] = {{fd, POLLIN, 0}, {g_stop_pipe[0], POLLIN, 0}};
  for (;;) {
    int n = ::poll(fds, 2, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 || fds[1].revents != 0) return false;
    char c;
    return ::recv(fd, &c, 1, MSG_PEEK) > 0;  // 0: nginx hung up
  }
}

// Waits on the kept connection of `r` for nginx's next request, or closes
// it (nginx hung up, a stop, or too many loops parked already).
void ParkOrClose(const Config& config, FCGX_Request& r) {
  const int max_parked =
      config.threads - std::max(1, config.threads / kUnparkedShare);
  const bool park = g_parked.fetch_add(1) < max_parked;
  const bool next = park && AwaitKeepAliveRequest(r.ipcFd);
  g_parked.fetch_sub(1);
  if (!next) {
    r.keepConnection = 0;
    FCGX_Free(&r, 1);
  }
}

void Loop(const Config& config, Handler* handler) {
  FCGX_Request r;
  if (FCGX_InitRequest(&r, 0, 0) != 0) {
    std::fprintf(stderr, "fcgi: FCGX_InitRequest failed\n");
    return;
  }
  for (;;) {
    if (r.ipcFd >= 0) ParkOrClose(config, r);
    // Count the wait before testing the flag: a stop that begins after the
    // test sees the count and wakes this loop (WatchSignals).
    const bool accepting = r.ipcFd < 0;
    if (accepting) g_in_accept.fetch_add(1);
    if (g_stopping.load()) {
      if (accepting) g_in_accept.fetch_sub(1);
      break;
    }
    const int rc = FCGX_Accept_r(&r);
    if (accepting) g_in_accept.fetch_sub(1);
    if (accepting && rc >= 0) Metrics::Global().CountConnection();
    if (rc < 0) {
      if (!g_stopping.load()) {
        std::fprintf(stderr, "fcgi: accept failed (%d); loop ends\n", rc);
      }
      break;
    }
    ServeOne(config, handler, r);
    // Once stopping, hang up after the answer so nginx stops reusing this
    // connection and sends its next request to a worker that stays.
    if (g_stopping.load()) r.keepConnection = 0;
    FCGX_Finish_r(&r);
  }
  r.keepConnection = 0;
  FCGX_Free(&r, 1);
}

// Opens and at once closes a connection to our own listening socket: a
// thread blocked in accept() takes it, reads EOF, and (the stop pending)
// leaves. Never shutdown() the listening socket itself: it is shared with
// the supervisor, which hands the same socket to the next worker.
void PokeListener() {
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  if (::getsockname(0, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return;
  int fd = ::socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  (void)::connect(fd, reinterpret_cast<sockaddr*>(&addr), len);
  ::close(fd);
}

// Graceful stop on SIGTERM/SIGINT/SIGUSR1 (multiwatch and systemd send
// these). Only this process stops: requests in progress finish; loops
// waiting in accept() are woken with one connection each; loops parked on
// idle keep-alive connections get kKeepAliveGraceMs to receive nginx's next
// request there (served, then the connection is closed), then drop it.
// Connections still queued on the listening socket stay there for the
// replacement worker the supervisor starts on the same socket.
constexpr int kKeepAliveGraceMs = 1000;
constexpr int kStopWatchdogSec = 10;

void WatchSignals(sigset_t set) {
  int sig = 0;
  while (sigwait(&set, &sig) != 0) {
  }
  g_stopping.store(true);
  FCGX_ShutdownPending();  // libfcgi's accept returns instead of retrying
  std::thread([] {
    std::this_thread::sleep_for(std::chrono::seconds(kStopWatchdogSec));
    std::fprintf(stderr, "fcgi: requests still running after %d s; exiting\n",
                 kStopWatchdogSec);
    _exit(0);
  }).detach();
  for (int i = g_in_accept.load(); i > 0; --i) PokeListener();
  std::this_thread::sleep_for(std::chrono::milliseconds(kKeepAliveGraceMs));
  char c = 's';
  (void)!::write(g_stop_pipe[1], &c, 1);
}

}  // namespace

int ServeFastCgi(const Config& config, Handler* handler) {
  // Block the stop signals in every thread (they inherit this mask); one
  // thread receives them with sigwait. This also keeps libfcgi's own
  // SIGUSR1 handler, which cannot wake a blocked accept(), out of the way.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  if (FCGX_Init() != 0) {
    std::fprintf(stderr, "fcgi: FCGX_Init failed\n");
    return 1;
  }
  if (::pipe2(g_stop_pipe, O_CLOEXEC) != 0) {
    std::fprintf(stderr, "fcgi: pipe: %s\n", std::strerror(errno));
    return 1;
  }
  std::thread(WatchSignals, set).detach();

  std::vector<std::thread> threads;
  for (int i = 1; i < config.threads; ++i) {
    threads.emplace_back(Loop, std::cref(config), handler);
  }
  Loop(config, handler);
  for (auto& t : threads) t.join();
  return 0;
}

}  // namespace wiki
