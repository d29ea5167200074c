#include "cancel.h"

#include <doctest/doctest.h>
#include <sys/socket.h>
#include <unistd.h>

namespace wiki {
namespace {

// A connected pair of stream sockets, closed on destruction.
struct Pair {
  int fd[2] = {-1, -1};
  Pair() { REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, fd) == 0); }
  ~Pair() {
    for (int f : fd)
      if (f >= 0) ::close(f);
  }
  void ClosePeer() {
    ::close(fd[1]);
    fd[1] = -1;
  }
};

TEST_CASE("cancel: PeerClosed tells a hang-up from a waiting peer") {
  SUBCASE("connected, nothing sent: waiting") {
    Pair p;
    CHECK_FALSE(PeerClosed(p.fd[0]));
  }
  SUBCASE("a record waiting to be read is no hang-up, and is left there") {
    Pair p;
    REQUIRE(::write(p.fd[1], "rec", 3) == 3);
    CHECK_FALSE(PeerClosed(p.fd[0]));
    char buf[4] = {};
    CHECK(::read(p.fd[0], buf, sizeof buf) == 3);
  }
  SUBCASE("the peer closed") {
    Pair p;
    p.ClosePeer();
    CHECK(PeerClosed(p.fd[0]));
  }
  SUBCASE("the peer closed behind unread data") {
    Pair p;
    REQUIRE(::write(p.fd[1], "rec", 3) == 3);
    p.ClosePeer();
    CHECK(PeerClosed(p.fd[0]));
  }
  SUBCASE("the peer shut down its writing side") {
    Pair p;
    REQUIRE(::shutdown(p.fd[1], SHUT_WR) == 0);
    CHECK(PeerClosed(p.fd[0]));
  }
  SUBCASE("no socket: no verdict") { CHECK_FALSE(PeerClosed(-1)); }
}

TEST_CASE("cancel: the default Cancel never cancels; a probe decides") {
  CHECK_FALSE(Cancel().ClientGone());
  int calls = 0;
  Cancel c([&calls] { return ++calls >= 2; });
  CHECK_FALSE(c.ClientGone());
  CHECK(c.ClientGone());
  CHECK(calls == 2);
}

}  // namespace
}  // namespace wiki
