#include "gzip.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "test_util.h"

namespace wiki {
namespace {

TEST_CASE("gzip: round trip, smaller, a real gzip member") {
  std::string page;
  for (int i = 0; i < 500; ++i)
    page += "<p>The aircraft crashed near Ashcombe, " + std::to_string(i) +
            ".</p>\n";
  for (const std::string& in : {std::string(), std::string("x"), page}) {
    auto gz = GzipCompress(in);
    REQUIRE(gz.ok());
    REQUIRE(gz->size() >= 18);  // header + trailer
    CHECK(static_cast<unsigned char>((*gz)[0]) == 0x1f);
    CHECK(static_cast<unsigned char>((*gz)[1]) == 0x8b);
    CHECK(testing::Gunzip(*gz) == in);
  }
  CHECK(GzipCompress(page)->size() * 4 < page.size());
}

TEST_CASE("gzip: every level round-trips; out-of-range levels are refused") {
  std::string page;
  for (int i = 0; i < 500; ++i)
    page += "<p>Flight " + std::to_string(i * 7919 % 1000) + " landed.</p>\n";
  for (int level : {1, kGzipLevelRaw, kGzipLevel, 9}) {
    CAPTURE(level);
    auto gz = GzipCompress(page, level);
    REQUIRE(gz.ok());
    CHECK(testing::Gunzip(*gz) == page);
  }
  CHECK_FALSE(GzipCompress(page, 0).ok());
  CHECK_FALSE(GzipCompress(page, 10).ok());
}

TEST_CASE("gzip: Accept-Encoding") {
  struct Row {
    const char* header;
    bool gzip;
  };
  const std::vector<Row> rows = {
      {"gzip", true},
      {"gzip, deflate, br", true},
      {"br;q=1.0, gzip;q=0.8, *;q=0.1", true},
      {"GZIP", true},
      {"x-gzip", true},
      {"", false},
      {"identity", false},
      {"deflate, br", false},
      {"gzip;q=0", false},
      {"gzip; q=0", false},
      {"*", true},
      {"*;q=0", false},
      {"*, gzip;q=0", false},
      {"gzipx", false},
  };
  for (const Row& r : rows) {
    CAPTURE(r.header);
    CHECK(AcceptsGzip(r.header) == r.gzip);
  }
}

}  // namespace
}  // namespace wiki
