#include "edge_http.h"

#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

namespace wiki {
namespace {

TEST_CASE("edge_http: answer heads") {
  EdgeAnswer a = ParseEdgeAnswer(
      "HTTP/1.1 200 OK\r\nx-revision: 12\r\nX-Wiki-Edge-Cache:  HIT \r\n"
      "ETag: \"p12-x\"\r\n\r\n");
  CHECK(a.status == 200);
  CHECK(a.revision == "12");
  CHECK(a.cache == "HIT");
  CHECK(a.error.empty());
  CHECK(ParseEdgeAnswer("HTTP/1.1 503 Service Unavailable\r\n\r\n").status ==
        503);
  for (const char* bad : {"", "HTTP/1.1 200 OK\r\n", "HTTP/1.1 2x0 OK\r\n\r\n",
                          "SSH-2.0\r\n\r\n", "HTTP/1.1\r\n\r\n"}) {
    CAPTURE(bad);
    EdgeAnswer b = ParseEdgeAnswer(bad);
    CHECK(b.status == 0);
    CHECK_FALSE(b.error.empty());
  }
}

TEST_CASE("edge_http: addresses") {
  CHECK(ResolveEdge("127.0.0.1:80").ok());
  CHECK(ResolveEdge("[::1]:8081").ok());
  CHECK_FALSE(ResolveEdge("127.0.0.1").ok());
  CHECK_FALSE(ResolveEdge(":80").ok());
}

TEST_CASE("edge_http: requests in parallel, refused and timed out ones") {
  // A listener that answers one request and keeps a second waiting.
  int lfd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(lfd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  REQUIRE(::bind(lfd, reinterpret_cast<sockaddr*>(&addr), len) == 0);
  REQUIRE(::listen(lfd, 8) == 0);
  REQUIRE(::getsockname(lfd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  const int port = ntohs(addr.sin_port);
  std::thread server([lfd] {
    int c = ::accept(lfd, nullptr, nullptr);
    char buf[1024];
    ssize_t n = ::recv(c, buf, sizeof(buf), 0);
    (void)n;
    const char answer[] = "HTTP/1.1 200 OK\r\nX-Revision: 7\r\n\r\n";
    ssize_t w = ::send(c, answer, sizeof(answer) - 1, 0);
    (void)w;
    ::close(c);
    int waiting = ::accept(lfd, nullptr, nullptr);  // never answered
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    ::close(waiting);
  });
  auto live = ResolveEdge("127.0.0.1:" + std::to_string(port));
  REQUIRE(live.ok());
  // A port nothing listens on (bound, then closed): refused.
  int tmp = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in taddr{};
  taddr.sin_family = AF_INET;
  taddr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t tlen = sizeof(taddr);
  REQUIRE(::bind(tmp, reinterpret_cast<sockaddr*>(&taddr), tlen) == 0);
  REQUIRE(::getsockname(tmp, reinterpret_cast<sockaddr*>(&taddr), &tlen) == 0);
  ::close(tmp);
  auto dead = ResolveEdge("127.0.0.1:" + std::to_string(ntohs(taddr.sin_port)));
  REQUIRE(dead.ok());
  const std::string req = "HEAD / HTTP/1.1\r\nConnection: close\r\n\r\n";
  auto first = SendAll({{&*live, req}}, 2000);
  REQUIRE(first.size() == 1);
  CHECK(first[0].status == 200);
  CHECK(first[0].revision == "7");
  auto rest = SendAll({{&*dead, req}, {&*live, req}}, 150);
  REQUIRE(rest.size() == 2);
  CHECK(rest[0].status == 0);
  CHECK(rest[0].error.find("connect") != std::string::npos);
  CHECK(rest[1].status == 0);
  CHECK(rest[1].error == "timed out");
  server.join();
  ::close(lfd);
}

}  // namespace
}  // namespace wiki
