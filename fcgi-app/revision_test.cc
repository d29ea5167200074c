#include "revision.h"

#include <doctest/doctest.h>

#include <string>
#include <utility>
#include <vector>

namespace wiki {
namespace {

TEST_CASE("revision: log records round-trip") {
  RevisionMeta m;
  m.id = 42;
  m.time_ms = 1764272629123;
  m.size = 1234;
  m.hash = HashBytes("hello");
  m.author = "editor \"quoted\"\n";
  m.summary = "fix typo é";
  m.fib_n = 34;
  m.fib = 5702887;
  std::string line = EncodeLogRecord(m);
  REQUIRE(line.back() == '\n');
  CHECK(line.find('\n') == line.size() - 1);  // one record, one line
  auto back =
      DecodeLogRecord(std::string_view(line).substr(0, line.size() - 1));
  REQUIRE(back.ok());
  CHECK(back->id == 42);
  CHECK(back->time_ms == m.time_ms);
  CHECK(back->size == 1234);
  CHECK(back->hash == m.hash);
  CHECK(back->author == m.author);
  CHECK(back->summary == m.summary);
  CHECK(back->fib_n == 34);
  CHECK(back->fib == 5702887);
}

TEST_CASE("revision: corrupt records are Corruption") {
  for (const char* bad :
       {"", "{", "[]", "{\"id\":1}", "{\"id\":\"x\",\"time_ms\":1}",
        "{\"id\":1,\"time_ms\":1,\"size\":1,\"hash\":\"zz\",\"author\":\"\","
        "\"summary\":\"\",\"fib_n\":1,\"fib\":1}"}) {
    CAPTURE(bad);
    auto r = DecodeLogRecord(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == Status::Code::kCorruption);
  }
}

TEST_CASE("revision: out-of-range and mistyped fields are Corruption") {
  // Found by fuzzing: a float beyond int64 in time_ms was converted with
  // an undefined cast.
  auto record = [](const std::string& field, const std::string& value) {
    std::string fields[][2] = {{"id", "3"},         {"time_ms", "1"},
                               {"size", "1"},       {"hash", "\"1f\""},
                               {"author", "\"a\""}, {"summary", "\"\""},
                               {"fib_n", "34"},     {"fib", "5702887"}};
    std::string out = "{";
    for (auto& f : fields) {
      if (out.size() > 1) out += ",";
      out += "\"" + f[0] + "\":" + (f[0] == field ? value : f[1]);
    }
    return out + "}";
  };
  REQUIRE(DecodeLogRecord(record("", "")).ok());
  for (auto [field, value] : std::vector<std::pair<std::string, std::string>>{
           {"time_ms", "16666666666666666666669933"},
           {"time_ms", "1.5"},
           {"id", "-1"},
           {"size", "1e3"},
           {"fib_n", "4294967296"},
           {"fib", "-5"},
           {"hash", "\"-1\""},
           {"hash", "\"0x1f\""},
           {"hash", "\" 1f\""},
           {"hash", "\"11112222333344445\""},
           {"author", "5"},
           {"summary", "null"}}) {
    CAPTURE(record(field, value));
    auto r = DecodeLogRecord(record(field, value));
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == Status::Code::kCorruption);
  }
}

TEST_CASE("revision: etags differ by representation and revision") {
  RevisionMeta a, b;
  a.id = 1;
  a.hash = HashBytes("x");
  b.id = 2;
  b.hash = a.hash;
  CHECK(a.RawETag() != a.PageETag());
  CHECK(a.RawETag() != b.RawETag());
  CHECK(a.RawETag().front() == '"');
  CHECK(a.RawETag().back() == '"');
  CHECK(HashBytes("x") != HashBytes("y"));
}

TEST_CASE("revision: time formats") {
  CHECK(FormatIsoTime(0) == "1970-01-01T00:00:00Z");
  CHECK(FormatIsoTime(1764272629123) == "2025-11-27T19:43:49Z");
  CHECK(FormatHttpDate(1764272629123) == "Thu, 27 Nov 2025 19:43:49 GMT");
}

}  // namespace
}  // namespace wiki
