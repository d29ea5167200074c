#include "fcgi_server.h"

#include <fcgiapp.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <thread>
#include <vector>

#include "massage.h"
#include "metrics.h"

namespace wiki {

namespace {

std::atomic<bool> g_stopping{false};

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
// drained so the connection stays usable.
void ReadBody(FCGX_Request& r, size_t content_length, size_t limit,
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
  if (!req->body_too_large) req->body.resize(got);
}

void Write(FCGX_Request& r, const Response& resp) {
  std::string head = resp.SerializeHead();
  FCGX_PutStr(head.data(), static_cast<int>(head.size()), r.out);
  if (!resp.omit_body) {
    const std::string& body = resp.Body();
    FCGX_PutStr(body.data(), static_cast<int>(body.size()), r.out);
  }
}

void InternalError(Response* resp) {
  *resp = Response();
  resp->status = 500;
  resp->AddHeader("Content-Type", "text/plain; charset=utf-8");
  resp->body = "Internal error; the article is unchanged.\n";
}

void Loop(const Config& config, Handler* handler) {
  FCGX_Request r;
  if (FCGX_InitRequest(&r, 0, 0) != 0) {
    std::fprintf(stderr, "fcgi: FCGX_InitRequest failed\n");
    return;
  }
  Metrics& metrics = Metrics::Global();
  while (!g_stopping.load() && FCGX_Accept_r(&r) >= 0) {
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
      req.remote_user = Param(r, "REMOTE_USER");
      req.remote_addr = Param(r, "REMOTE_ADDR");
      const int64_t queued_since_ms = ParseMsec(Param(r, "REQUEST_START"));
      if (config.shed_after_ms > 0 && queued_since_ms > 0) {
        req.deadline_ms = queued_since_ms + config.shed_after_ms;
      }
      const bool is_read = req.method == "GET" || req.method == "HEAD";
      if (is_read && req.deadline_ms > 0 && NowMs() > req.deadline_ms) {
        // Overloaded: a fast "retry" beats a late page. Writes carry an
        // editor's work and are never shed.
        Shed(&resp);
      } else {
        std::string_view len = Param(r, "CONTENT_LENGTH");
        if (!len.empty()) {
          size_t n = std::strtoull(std::string(len).c_str(), nullptr, 10);
          ReadBody(r, n, config.max_body_bytes(), &req);
        }
        handler->Handle(req, &resp);
      }
    } catch (const std::exception& e) {
      std::fprintf(stderr, "fcgi: %s %s: unexpected: %s\n",
                   std::string(req.method).c_str(),
                   std::string(req.path).c_str(), e.what());
      InternalError(&resp);
    } catch (...) {
      std::fprintf(stderr, "fcgi: unexpected non-standard exception\n");
      InternalError(&resp);
    }
    Write(r, resp);
    metrics.CountRequest(resp.status);
    FCGX_Finish_r(&r);
  }
}

// Graceful stop on SIGTERM/SIGINT/SIGUSR1 (multiwatch and systemd send
// these): stop accepting, let requests in progress finish, exit. Shutting
// down the listening socket wakes every thread blocked in accept(). A
// thread parked on an idle keep-alive connection wakes when nginx closes
// it; the watchdog bounds the wait either way.
void WatchSignals(sigset_t set) {
  int sig = 0;
  while (sigwait(&set, &sig) != 0) {
  }
  g_stopping.store(true);
  ::shutdown(0, SHUT_RDWR);
  std::thread([] {
    std::this_thread::sleep_for(std::chrono::seconds(5));
    std::fprintf(stderr, "fcgi: requests still running after 5 s; exiting\n");
    _exit(0);
  }).detach();
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
  std::thread(WatchSignals, set).detach();

  if (FCGX_Init() != 0) {
    std::fprintf(stderr, "fcgi: FCGX_Init failed\n");
    return 1;
  }
  std::vector<std::thread> threads;
  for (int i = 1; i < config.threads; ++i) {
    threads.emplace_back(Loop, std::cref(config), handler);
  }
  Loop(config, handler);
  for (auto& t : threads) t.join();
  return 0;
}

}  // namespace wiki
