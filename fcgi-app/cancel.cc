#include "cancel.h"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>

namespace wiki {

bool PeerClosed(int fd) {
  if (fd < 0) return false;
  pollfd p = {fd, POLLIN | POLLRDHUP, 0};
  int n;
  do {
    n = ::poll(&p, 1, 0);
  } while (n < 0 && errno == EINTR);
  if (n <= 0 || (p.revents & POLLNVAL) != 0) return false;
  if ((p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0) return true;
  if ((p.revents & POLLIN) == 0) return false;
  // Readable: a record, or an EOF on a system without POLLRDHUP.
  char c;
  const ssize_t got = ::recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
  if (got == 0) return true;
  return got < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
}

}  // namespace wiki
