#include "edge_http.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

#include "fs_posix.h"
#include "http.h"

namespace wiki {

namespace {

constexpr size_t kMaxAnswerBytes = 16384;  // a HEAD answer's headers


std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

enum class Phase { kConnecting, kWriting, kReading, kDone };

struct Conn {
  UniqueFd fd;
  Phase phase = Phase::kDone;
  size_t written = 0;
  std::string in;
};

// Starts a non-blocking connect; the answer's error on failure.
void Open(const EdgeRequest& req, Conn* c, EdgeAnswer* a) {
  c->fd = UniqueFd(::socket(req.edge->addr.ss_family,
                            SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!c->fd.valid()) {
    a->error = std::string("socket: ") + std::strerror(errno);
    return;
  }
  if (::connect(c->fd.get(), reinterpret_cast<const sockaddr*>(&req.edge->addr),
                req.edge->addr_len) == 0) {
    c->phase = Phase::kWriting;
  } else if (errno == EINPROGRESS) {
    c->phase = Phase::kConnecting;
  } else {
    a->error = std::string("connect: ") + std::strerror(errno);
  }
}

// One step of a connection whose descriptor is ready.
void Step(const EdgeRequest& req, Conn* c, EdgeAnswer* a) {
  if (c->phase == Phase::kConnecting) {
    int err = 0;
    socklen_t len = sizeof(err);
    ::getsockopt(c->fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      a->error = std::string("connect: ") + std::strerror(err);
      c->phase = Phase::kDone;
      return;
    }
    c->phase = Phase::kWriting;
  }
  if (c->phase == Phase::kWriting) {
    ssize_t n = ::send(c->fd.get(), req.text.data() + c->written,
                       req.text.size() - c->written, MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN && errno != EINTR) {
      a->error = std::string("send: ") + std::strerror(errno);
      c->phase = Phase::kDone;
    } else if (n > 0 && (c->written += n) == req.text.size()) {
      c->phase = Phase::kReading;
    }
    return;
  }
  char buf[4096];
  ssize_t n = ::recv(c->fd.get(), buf, sizeof(buf), 0);
  if (n > 0) {
    c->in.append(buf, static_cast<size_t>(n));
    if (c->in.size() > kMaxAnswerBytes) {
      a->error = "answer too long";
      c->phase = Phase::kDone;
    }
  } else if (n == 0) {  // closed: the edge is done with the request
    *a = ParseEdgeAnswer(c->in);
    c->phase = Phase::kDone;
  } else if (errno != EAGAIN && errno != EINTR) {
    a->error = std::string("recv: ") + std::strerror(errno);
    c->phase = Phase::kDone;
  }
}

}  // namespace

Result<EdgeAddress> ResolveEdge(const std::string& host_port) {
  const size_t colon = host_port.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return Status::InvalidArgument("edge " + host_port + ": not host:port");
  }
  std::string host = host_port.substr(0, colon);
  const std::string port = host_port.substr(colon + 1);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &found);
  if (rc != 0 || found == nullptr) {
    return Status::IOError("edge " + host_port + ": " + ::gai_strerror(rc));
  }
  EdgeAddress e;
  e.name = host_port;
  std::memcpy(&e.addr, found->ai_addr, found->ai_addrlen);
  e.addr_len = found->ai_addrlen;
  ::freeaddrinfo(found);
  return e;
}

EdgeAnswer ParseEdgeAnswer(std::string_view bytes) {
  EdgeAnswer a;
  const size_t head_end = bytes.find("\r\n\r\n");
  if (bytes.compare(0, 5, "HTTP/") != 0 || head_end == std::string_view::npos) {
    a.error = "malformed answer";
    return a;
  }
  std::string_view head = bytes.substr(0, head_end + 2);
  size_t eol = head.find("\r\n");
  std::string_view status_line = head.substr(0, eol);
  const size_t sp = status_line.find(' ');
  if (sp == std::string_view::npos || status_line.size() < sp + 4) {
    a.error = "malformed status line";
    return a;
  }
  for (size_t i = sp + 1; i < sp + 4; ++i) {
    const char d = status_line[i];
    if (d < '0' || d > '9') {
      a.status = 0;
      a.error = "malformed status line";
      return a;
    }
    a.status = a.status * 10 + (d - '0');
  }
  size_t at = eol + 2;
  while (at < head.size()) {
    eol = head.find("\r\n", at);
    std::string_view line = head.substr(at, eol - at);
    at = eol + 2;
    const size_t c = line.find(':');
    if (c == std::string_view::npos) continue;
    std::string_view name = line.substr(0, c);
    std::string_view value = Trim(line.substr(c + 1));
    if (EqualsIgnoreCase(name, "x-revision")) a.revision = std::string(value);
    if (EqualsIgnoreCase(name, "x-wiki-edge-cache")) a.cache = std::string(value);
  }
  return a;
}

std::vector<EdgeAnswer> SendAll(const std::vector<EdgeRequest>& requests,
                                int timeout_ms) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  std::vector<EdgeAnswer> answers(requests.size());
  std::vector<Conn> conns(requests.size());
  for (size_t i = 0; i < requests.size(); ++i) {
    Open(requests[i], &conns[i], &answers[i]);
  }
  for (;;) {
    std::vector<pollfd> fds;
    std::vector<size_t> which;
    for (size_t i = 0; i < conns.size(); ++i) {
      if (conns[i].phase == Phase::kDone) continue;
      const short ev = conns[i].phase == Phase::kReading ? POLLIN : POLLOUT;
      fds.push_back({conns[i].fd.get(), ev, 0});
      which.push_back(i);
    }
    if (fds.empty()) break;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    int n =
        left > 0 ? ::poll(fds.data(), fds.size(), static_cast<int>(left)) : 0;
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {  // the deadline (or poll failed): the rest time out
      for (size_t i : which) {
        answers[i].error = "timed out";
        conns[i].phase = Phase::kDone;
      }
      break;
    }
    for (size_t k = 0; k < fds.size(); ++k) {
      if (fds[k].revents != 0)
        Step(requests[which[k]], &conns[which[k]], &answers[which[k]]);
    }
  }
  return answers;
}

}  // namespace wiki
