#include "fcgi_stdout.h"

#include <doctest/doctest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>

namespace wiki {
namespace {

struct Record {
  int version, type, request_id, padding;
  std::string content;
};

// Parses a byte stream of FastCGI records; false on a torn record.
bool ParseRecords(std::string_view in, std::vector<Record>* out) {
  while (!in.empty()) {
    if (in.size() < 8) return false;
    const auto b = [&](size_t i) { return static_cast<unsigned char>(in[i]); };
    Record r{b(0), b(1), b(2) << 8 | b(3), b(6), {}};
    const size_t len = static_cast<size_t>(b(4) << 8 | b(5));
    if (in.size() < 8 + len + r.padding) return false;
    r.content = std::string(in.substr(8, len));
    out->push_back(r);
    in.remove_prefix(8 + len + r.padding);
  }
  return true;
}

std::string Joined(const StdoutFrames& f) {
  std::string s;
  for (std::string_view p : f.pieces) s += p;
  return s;
}

TEST_CASE("fcgi_stdout: head and body framed in as few records as fit") {
  struct Case {
    size_t head, body, records;
  };
  const Case cases[] = {
      {0, 0, 0},         {1, 0, 1},          {0, 1, 1},     {120, 30000, 1},
      {120, 65415, 1},   {120, 65416, 2},    {65535, 0, 1}, {65535, 1, 2},
      {70000, 70000, 3}, {200, 2 << 20, 33},
  };
  for (const Case& c : cases) {
    CAPTURE(c.head);
    CAPTURE(c.body);
    std::string head(c.head, 'h'), body(c.body, 'b');
    for (size_t i = 0; i < body.size(); i += 997) body[i] = char('0' + i % 10);
    std::vector<Record> recs;
    REQUIRE(ParseRecords(Joined(FrameStdout(258, head, body)), &recs));
    CHECK(recs.size() == c.records);
    std::string content;
    for (const Record& r : recs) {
      CHECK(r.version == 1);
      CHECK(r.type == 6);  // FCGI_STDOUT
      CHECK(r.request_id == 258);
      CHECK(r.padding == 0);
      CHECK_FALSE(r.content.empty());  // an empty one would end the stream
      CHECK(r.content.size() <= 65535);
      content += r.content;
    }
    CHECK(content == head + body);
  }
}

TEST_CASE("fcgi_stdout: a body larger than the socket buffer arrives whole") {
  int sv[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
  std::string head = "Status: 200 OK\r\n\r\n", body(3 << 20, 'x');
  for (size_t i = 0; i < body.size(); i += 4093) body[i] = char('a' + i % 26);
  const StdoutFrames frames = FrameStdout(1, head, body);
  std::string got;
  std::thread reader([&] {
    char buf[65536];
    ssize_t n;
    while ((n = ::read(sv[1], buf, sizeof(buf))) > 0) got.append(buf, n);
  });
  CHECK(SendStdout(sv[0], frames));
  ::close(sv[0]);
  reader.join();
  CHECK(got == Joined(frames));
  ::close(sv[1]);

  // The reader gone: an error value, not a SIGPIPE.
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
  ::close(sv[1]);
  CHECK_FALSE(SendStdout(sv[0], FrameStdout(1, head, "x")));
  ::close(sv[0]);
}

}  // namespace
}  // namespace wiki
