#include "brotli.h"

#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

#include "coding.h"
#include "gzip.h"
#include "test_util.h"

namespace wiki {
namespace {

std::string SamplePage() {
  std::string page;
  for (int i = 0; i < 500; ++i)
    page += "<p>The aircraft crashed near Ashcombe, " + std::to_string(i) +
            ".</p>\n";
  return page;
}

TEST_CASE("brotli: round trip through BrotliDecoderDecompress") {
  std::string noise(100000, '\0');
  std::mt19937 rng(7);
  for (char& c : noise) c = static_cast<char>(rng());
  const std::string page = SamplePage();
  for (const std::string& in : {std::string(), std::string("x"), page, noise}) {
    CAPTURE(in.size());
    for (int q : {0, 1, 6, 11}) {
      CAPTURE(q);
      auto br = BrotliCompress(in, q);
      REQUIRE(br.ok());
      CHECK_FALSE(br->empty());  // even empty input is a (1-byte) stream
      CHECK(testing::Unbrotli(*br) == in);
    }
  }
  // Text compresses, and better than gzip -9 at the default quality.
  auto br = BrotliCompress(page);
  REQUIRE(br.ok());
  CHECK(br->size() * 4 < page.size());
  CHECK(br->size() < GzipCompress(page)->size());
  // Incompressible input grows by a few bytes at most.
  CHECK(BrotliCompress(noise)->size() < noise.size() + 64);
}

TEST_CASE("brotli: quality out of range is an error, not a crash") {
  CHECK_FALSE(BrotliCompress("x", -1).ok());
  CHECK_FALSE(BrotliCompress("x", 12).ok());
}

TEST_CASE("coding: Accept-Encoding chooses br, then gzip, then identity") {
  struct Row {
    const char* header;
    bool br, gzip;
    Coding preferred;
  };
  const std::vector<Row> rows = {
      {"", false, false, Coding::kIdentity},
      {"identity", false, false, Coding::kIdentity},
      {"gzip", false, true, Coding::kGzip},
      {"br", true, false, Coding::kBrotli},
      {"BR", true, false, Coding::kBrotli},
      {"gzip, deflate, br", true, true, Coding::kBrotli},
      {"gzip, deflate, br, zstd", true, true, Coding::kBrotli},
      // q does not reorder acceptable codings; only q=0 refuses.
      {"br;q=0.1, gzip;q=1.0", true, true, Coding::kBrotli},
      {"br;q=0, gzip", false, true, Coding::kGzip},
      {"br; q=0.000, gzip", false, true, Coding::kGzip},
      {"br;q=0, gzip;q=0", false, false, Coding::kIdentity},
      {"*", true, true, Coding::kBrotli},
      {"*;q=0", false, false, Coding::kIdentity},
      {"*;q=0, br", true, false, Coding::kBrotli},
      {"br;q=0, *", false, true, Coding::kGzip},
      {"gzip;q=0, *", true, false, Coding::kBrotli},
      {"brotli, bro", false, false, Coding::kIdentity},
      {"deflate", false, false, Coding::kIdentity},
  };
  for (const Row& r : rows) {
    CAPTURE(r.header);
    CHECK(AcceptsBrotli(r.header) == r.br);
    CHECK(AcceptsGzip(r.header) == r.gzip);
    CHECK(PreferredCoding(r.header) == r.preferred);
  }
  CHECK(std::string(InfoOf(Coding::kBrotli).suffix) == "-br");
  CHECK(std::string(InfoOf(Coding::kGzip).content_encoding) == "gzip");
  CHECK(std::string(InfoOf(Coding::kIdentity).suffix).empty());
}

}  // namespace
}  // namespace wiki
