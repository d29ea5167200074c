#include "slow_clients.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace wiki {

namespace {

int ConnectFrom(int port, const std::string& source_ip) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in src{};
  src.sin_family = AF_INET;
  if (!source_ip.empty() &&
      (::inet_pton(AF_INET, source_ip.c_str(), &src.sin_addr) != 1 ||
       ::bind(fd, reinterpret_cast<sockaddr*>(&src), sizeof(src)) != 0)) {
    ::close(fd);
    return -1;
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  return fd;
}

}  // namespace

SlowClients::SlowClients(int port, std::string source_ip, std::string path,
                         Mode mode, int dribble_ms)
    : port_(port),
      source_ip_(std::move(source_ip)),
      path_(std::move(path)),
      mode_(mode),
      dribble_ms_(dribble_ms),
      next_dribble_(std::chrono::steady_clock::now() +
                    std::chrono::milliseconds(dribble_ms)) {}

SlowClients::~SlowClients() {
  for (Conn& c : conns_) {
    if (c.fd >= 0) ::close(c.fd);
  }
}

int SlowClients::Open(int n) {
  const std::string start =
      mode_ == Mode::kHeader
          ? "GET " + path_ + " HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
          : "GET " + path_ +
                " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\n"
                "Content-Type: text/plain\r\n\r\n";
  int opened = 0;
  for (int i = 0; i < n; ++i) {
    Conn c;
    c.fd = ConnectFrom(port_, source_ip_);
    if (c.fd < 0 || ::send(c.fd, start.data(), start.size(), MSG_NOSIGNAL) !=
                        static_cast<ssize_t>(start.size())) {
      if (c.fd >= 0) ::close(c.fd);
      ++failed_connects_;
      continue;
    }
    conns_.push_back(std::move(c));
    ++opened;
  }
  return opened;
}

void SlowClients::Read(Conn* c) {
  char buf[4096];
  for (;;) {
    const ssize_t n = ::recv(c->fd, buf, sizeof buf, 0);
    if (n > 0) {
      if (c->received.size() < 256) c->received.append(buf, n);
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      // Answered: that is its outcome; nginx may keep an answered
      // connection (discarding the body) while bytes keep coming.
      if (!c->received.empty()) {
        ::close(c->fd);
        c->fd = -1;
      }
      return;
    }
    if (n < 0 && errno == EINTR) continue;
    c->closed = true;  // EOF or reset: the server let go
    ::close(c->fd);
    c->fd = -1;
    return;
  }
}

void SlowClients::Dribble() {
  const auto now = std::chrono::steady_clock::now();
  if (mode_ != Mode::kHeader || now < next_dribble_) return;
  next_dribble_ = now + std::chrono::milliseconds(dribble_ms_);
  for (Conn& c : conns_) {
    if (c.fd < 0) continue;
    // Header: one more byte of a value that never ends. Body: one byte.
    if (::send(c.fd, "a", 1, MSG_NOSIGNAL) < 0 && errno != EAGAIN &&
        errno != EWOULDBLOCK) {
      Read(&c);  // find out how the server ended it
    }
  }
}

int SlowClients::Poll(int ms) {
  const auto until =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  for (;;) {
    Dribble();
    std::vector<pollfd> fds;
    std::vector<Conn*> owners;
    for (Conn& c : conns_) {
      if (c.fd < 0) continue;
      fds.push_back({c.fd, POLLIN, 0});
      owners.push_back(&c);
    }
    if (fds.empty()) return 0;
    const auto now = std::chrono::steady_clock::now();
    if (now >= until) return static_cast<int>(fds.size());
    const auto wait = std::min(
        {until - now, next_dribble_ - now,
         std::chrono::steady_clock::duration(std::chrono::milliseconds(100))});
    const int wait_ms = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(wait).count());
    if (::poll(fds.data(), fds.size(), std::max(wait_ms, 1)) > 0) {
      for (size_t i = 0; i < fds.size(); ++i) {
        if (fds[i].revents != 0) Read(owners[i]);
      }
    }
  }
}

int SlowClients::RunUntilClosed(
    std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    if (left <= 0) return open();
    if (Poll(static_cast<int>(std::min<long long>(left, 500))) == 0) return 0;
  }
}

int SlowClients::open() const {
  return static_cast<int>(std::count_if(
      conns_.begin(), conns_.end(), [](const Conn& c) { return c.fd >= 0; }));
}

int SlowClients::closed_silently() const {
  return static_cast<int>(std::count_if(
      conns_.begin(), conns_.end(),
      [](const Conn& c) { return c.closed && c.received.empty(); }));
}

int SlowClients::answered(const std::string& prefix) const {
  return static_cast<int>(std::count_if(
      conns_.begin(), conns_.end(),
      [&](const Conn& c) { return c.received.rfind(prefix, 0) == 0; }));
}

int SlowClients::answered_any() const {
  return static_cast<int>(
      std::count_if(conns_.begin(), conns_.end(),
                    [](const Conn& c) { return !c.received.empty(); }));
}

}  // namespace wiki
