// Integration tests that speak FastCGI directly to a worker's socket (as
// nginx would, but able to misbehave): a body shorter than its
// CONTENT_LENGTH, as left by a client or proxy that hung up mid-upload,
// must be refused and never committed.
#include <doctest/doctest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "http_client.h"
#include "itest_util.h"
#include "stack.h"
#include "test_util.h"

namespace wiki {
namespace {

// One FastCGI record (version 1, request id 1).
std::string Record(unsigned char type, const std::string& content) {
  std::string r;
  r += static_cast<char>(1);
  r += static_cast<char>(type);
  r += '\0';
  r += static_cast<char>(1);
  r += static_cast<char>((content.size() >> 8) & 0xff);
  r += static_cast<char>(content.size() & 0xff);
  r += '\0';  // no padding
  r += '\0';
  return r + content;
}

std::string NameValue(const std::string& n, const std::string& v) {
  std::string out;
  out += static_cast<char>(n.size());  // all names and values here < 128
  out += static_cast<char>(v.size());
  return out + n + v;
}

constexpr unsigned char kBeginRequest = 1, kParams = 4, kStdin = 5;

// Sends one request whose STDIN stream holds `body` and then ends, and
// returns everything the worker wrote back (FastCGI records, raw).
std::string Exchange(
    const std::string& socket_path,
    const std::vector<std::pair<std::string, std::string>>& params,
    const std::string& body) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  if (fd < 0) return "";
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, socket_path.c_str(), sizeof(addr.sun_path) - 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return "";
  }
  // Role responder, no keep-alive.
  std::string out = Record(kBeginRequest, std::string("\0\1\0\0\0\0\0\0", 8));
  std::string p;
  for (auto& [n, v] : params) p += NameValue(n, v);
  out += Record(kParams, p) + Record(kParams, "");
  if (!body.empty()) out += Record(kStdin, body);
  out += Record(kStdin, "");
  if (::write(fd, out.data(), out.size()) != static_cast<ssize_t>(out.size())) {
    ::close(fd);
    return "";
  }
  std::string in;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof(buf))) > 0) in.append(buf, n);
  ::close(fd);
  return in;
}

TEST_CASE(
    "A body shorter than CONTENT_LENGTH gets 400 and is never committed") {
  auto stack = Stack::Start();
  REQUIRE(stack);
  HttpClient client;
  testing::Raw before = testing::GetRaw(client, stack->ArticleUrl());
  REQUIRE(before.status == 200);

  const std::string body = "<p>Only the first part of an edit.</p>";
  std::vector<std::pair<std::string, std::string>> params = {
      {"REQUEST_METHOD", "PUT"},
      {"DOCUMENT_URI", "/wiki/Latest_plane_crash"},
      {"QUERY_STRING", ""},
      {"CONTENT_TYPE", "text/html; charset=utf-8"},
      {"CONTENT_LENGTH", std::to_string(body.size() + 100)},
      {"HTTP_IF_MATCH", before.etag},
      {"REMOTE_ADDR", "127.0.0.1"},
  };
  const std::string sock = stack->run_dir() + "/fcgi.0.sock";
  std::string answer = Exchange(sock, params, body);
  CHECK(answer.find("Status: 400") != std::string::npos);
  CHECK(answer.find("ended before its Content-Length") != std::string::npos);

  // The same request with the whole body is accepted: the refusal above was
  // about the length, not the request.
  params[4].second = std::to_string(body.size());
  answer = Exchange(sock, params, body);
  CHECK(answer.find("Status: 200") != std::string::npos);

  testing::Raw after = testing::GetRaw(client, stack->ArticleUrl());
  REQUIRE(after.status == 200);
  CHECK(after.rev == before.rev + 1);
  CHECK(after.body == body);
  CHECK(stack->Stop());
}

// nginx keeps connections to the workers for reads (wiki_fcgi_reads in
// nginx/wiki-site.conf) and the page comes through them (under
// server.accel_min_bytes; an X-Accel-Redirect answer would end the
// connection); writes get a new connection each.
TEST_CASE("Reads reuse kept FastCGI connections; writes get their own") {
  Stack::Options o;
  o.workers = 1;
  o.wiki_set = "server.shed_after_ms=0";
  o.env["FRONT_CACHE"] = "off";  // every read reaches the worker
  auto s = Stack::Start(o);
  REQUIRE(s);
  const std::string conns = "wiki_fcgi_connections_total";
  HttpClient client;
  const double before = testing::Metric(testing::ScrapeMetrics(*s), conns);
  for (int i = 0; i < 60; ++i) {
    auto r = client.Get(s->ArticleUrl() + (i % 2 ? "?action=raw" : ""));
    REQUIRE(r.ok());
    REQUIRE(r->status == 200);
  }
  const double after_reads = testing::Metric(testing::ScrapeMetrics(*s), conns);
  // 60 reads one after another: one kept connection, plus the scrape's
  // own (/metrics is not kept); a little slack for a connection nginx
  // opens anew.
  CHECK(after_reads - before <= 5);
  CHECK(after_reads - before >= 1);  // the counter counts

  testing::Raw raw = testing::GetRaw(client, s->ArticleUrl());
  std::string etag = raw.etag;
  for (int i = 0; i < 4; ++i) {
    auto put = testing::Put(
        client, s->ArticleUrl(),
        raw.body + "<p>edit " + std::to_string(i) + "</p>\n", etag);
    REQUIRE(put.ok());
    REQUIRE(put->status == 200);
    etag = put->Header("etag");
    raw.body += "<p>edit " + std::to_string(i) + "</p>\n";
  }
  const double after_writes =
      testing::Metric(testing::ScrapeMetrics(*s), conns);
  CHECK(after_writes - after_reads >= 4);  // one per PUT, never kept
  CHECK(s->Stop());
}

}  // namespace
}  // namespace wiki
