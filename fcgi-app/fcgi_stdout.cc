#include "fcgi_stdout.h"

#include <fastcgi.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <climits>

namespace wiki {

namespace {

constexpr size_t kMaxContent = 65535;

std::string Header(int request_id, size_t length) {
  std::string h(FCGI_HEADER_LEN, '\0');
  h[0] = static_cast<char>(FCGI_VERSION_1);
  h[1] = static_cast<char>(FCGI_STDOUT);
  h[2] = static_cast<char>((request_id >> 8) & 0xff);
  h[3] = static_cast<char>(request_id & 0xff);
  h[4] = static_cast<char>((length >> 8) & 0xff);
  h[5] = static_cast<char>(length & 0xff);
  return h;  // padding length and reserved: 0
}

}  // namespace

StdoutFrames FrameStdout(int request_id, std::string_view head,
                         std::string_view body) {
  StdoutFrames f;
  const size_t total = head.size() + body.size();
  f.headers.reserve(total / kMaxContent + 1);  // views into it stay valid
  size_t head_off = 0, body_off = 0;
  for (size_t left = total; left > 0;) {
    const size_t n = std::min(left, kMaxContent);
    f.headers.push_back(Header(request_id, n));
    f.pieces.push_back(f.headers.back());
    size_t want = n;
    if (head_off < head.size()) {
      const size_t take = std::min(want, head.size() - head_off);
      f.pieces.push_back(head.substr(head_off, take));
      head_off += take;
      want -= take;
    }
    if (want > 0) {
      f.pieces.push_back(body.substr(body_off, want));
      body_off += want;
    }
    left -= n;
  }
  return f;
}

bool SendStdout(int fd, const StdoutFrames& frames) {
  std::vector<iovec> iov;
  iov.reserve(frames.pieces.size());
  for (std::string_view p : frames.pieces) {
    if (p.empty()) continue;
    iov.push_back({const_cast<char*>(p.data()), p.size()});
  }
  size_t i = 0;
  while (i < iov.size()) {
    msghdr msg{};
    msg.msg_iov = &iov[i];
    msg.msg_iovlen = std::min<size_t>(iov.size() - i, IOV_MAX);
    // MSG_NOSIGNAL: a hung-up nginx is an error value, not a SIGPIPE.
    const ssize_t n = ::sendmsg(fd, &msg, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    // A partial send (a signal, or a full socket buffer on a huge body):
    // skip what went out and send the rest.
    size_t sent = static_cast<size_t>(n);
    while (i < iov.size() && sent >= iov[i].iov_len) sent -= iov[i++].iov_len;
    if (sent > 0) {
      iov[i].iov_base = static_cast<char*>(iov[i].iov_base) + sent;
      iov[i].iov_len -= sent;
    }
  }
  return true;
}

}  // namespace wiki
