// Unit tests of the pack format: round trips (a table of shapes), single
// revisions read from a file, and damage of every kind reported as a
// Status (never a crash, never wrong bytes).
#include "revision_pack.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "fs_posix.h"
#include "test_util.h"

namespace wiki {
namespace {

using testing::Spit;
using testing::TempDir;

// n revisions, each a small edit of the one before (as an editor makes).
std::vector<std::string> Chain(size_t n, size_t size) {
  std::string text;
  for (size_t i = 0; text.size() < size; ++i)
    text += "<p>Paragraph " + std::to_string(i) + " of the article.</p>\n";
  std::vector<std::string> out;
  for (size_t i = 0; i < n; ++i) {
    const size_t at = (i * 7919) % (text.size() + 1);
    text.insert(at, " (edit " + std::to_string(i) + ")");
    out.push_back(text);
  }
  return out;
}

TEST_CASE("EncodePack / DecodePack round trip, byte for byte") {
  struct Case {
    const char* name;
    std::vector<std::string> texts;
    uint32_t keyframe_interval;
  };
  const std::vector<Case> cases = {
      {"one revision", {"<p>only</p>\n"}, 64},
      {"empty texts", {"", "", "x", ""}, 2},
      {"identical revisions", std::vector<std::string>(10, "<p>same</p>\n"), 4},
      {"binary bytes",
       {std::string("\0\x01\xff\n", 4), std::string(3, '\0')},
       1},
      {"keyframe every revision", Chain(9, 3000), 1},
      {"keyframe every 4", Chain(17, 3000), 4},
      {"one keyframe", Chain(40, 30000), 64},
      {"larger than a window", Chain(3, 3 << 20), 2},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    auto pack = EncodePack(100, c.texts, c.keyframe_interval, 3);
    REQUIRE(pack.ok());
    auto info = VerifyPack(*pack);
    REQUIRE(info.ok());
    CHECK(info->first_id == 100);
    CHECK(info->count == c.texts.size());
    CHECK(info->keyframe_interval == c.keyframe_interval);
    auto back = DecodePack(*pack);
    REQUIRE(back.ok());
    CHECK(*back == c.texts);
  }
}

TEST_CASE("Small edits pack to a few hundred bytes each") {
  const auto texts = Chain(64, 28000);
  auto pack = EncodePack(1, texts, 64, 3);
  REQUIRE(pack.ok());
  // One 28 KB keyframe (a few KB compressed) plus 63 small deltas.
  CHECK(pack->size() < 64 * 300);
}

TEST_CASE("ReadPackedRevision reads any one revision from the file") {
  TempDir dir("wiki-pack-test");
  const auto texts = Chain(23, 5000);
  auto pack = EncodePack(41, texts, 8, 3);
  REQUIRE(pack.ok());
  const std::string path = dir / PackFileName(41, 63);
  Spit(path, *pack);
  for (uint64_t id = 41; id <= 63; ++id) {
    CAPTURE(id);
    auto text = ReadPackedRevision(path, id);
    REQUIRE(text.ok());
    CHECK(*text == texts[id - 41]);
  }
  for (uint64_t id : {0, 40, 64, 1000}) {
    CAPTURE(id);
    CHECK(ReadPackedRevision(path, id).status().code() ==
          Status::Code::kNotFound);
  }
  CHECK(ReadPackedRevision(dir / "missing.pack", 41).status().code() ==
        Status::Code::kNotFound);
}

TEST_CASE("A damaged pack is a Corruption status, never a crash") {
  TempDir dir("wiki-pack-test");
  const auto texts = Chain(12, 4000);
  auto good = EncodePack(1, texts, 4, 3);
  REQUIRE(good.ok());
  const size_t n = good->size();
  const std::string path = dir / "p.pack";
  // Every single-byte flip, and truncation at many lengths: VerifyPack
  // always notices; reading one revision either notices or (if the flipped
  // byte is in a frame it does not need) returns the right bytes.
  size_t noticed_reads = 0;
  for (size_t at = 0; at < n; at += (at < 64 || at + 64 > n) ? 1 : 7) {
    std::string bad = *good;
    bad[at] = static_cast<char>(bad[at] ^ 0x20);
    CAPTURE(at);
    CHECK(VerifyPack(bad).status().code() == Status::Code::kCorruption);
    CHECK_FALSE(DecodePack(bad).ok());
    Spit(path, bad);
    for (uint64_t id : {1, 6, 12}) {
      auto text = ReadPackedRevision(path, id);
      if (text.ok()) {
        CHECK(*text == texts[id - 1]);
      } else {
        ++noticed_reads;
        CHECK(text.status().code() == Status::Code::kCorruption);
      }
    }
  }
  CHECK(noticed_reads > 0);
  for (size_t len : {size_t{0}, size_t{1}, size_t{39}, size_t{40}, n / 2,
                     n - 41, n - 40, n - 1}) {
    CAPTURE(len);
    const std::string cut = good->substr(0, len);
    CHECK_FALSE(VerifyPack(cut).ok());
    CHECK_FALSE(DecodePack(cut).ok());
    Spit(path, cut);
    CHECK(ReadPackedRevision(path, 1).status().code() ==
          Status::Code::kCorruption);
  }
}

TEST_CASE("Pack file names") {
  struct Case {
    const char* name;
    bool ok;
    uint64_t first, last;
  };
  const Case cases[] = {
      {"1-64.pack", true, 1, 64},          {"65-65.pack", true, 65, 65},
      {"64-1.pack", false, 0, 0},          {"1-64.pack.tmp", false, 0, 0},
      {".tmp-1-64.pack-9-1", false, 0, 0}, {"1.pack", false, 0, 0},
      {"0-3.pack", false, 0, 0},           {"a-b.pack", false, 0, 0},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    uint64_t first = 0, last = 0;
    CHECK(ParsePackFileName(c.name, &first, &last) == c.ok);
    if (c.ok) {
      CHECK(first == c.first);
      CHECK(last == c.last);
      CHECK(PackFileName(first, last) == c.name);
    }
  }
  CHECK(EncodePack(0, {"x"}, 1, 3).status().code() ==
        Status::Code::kInvalidArgument);
  CHECK_FALSE(EncodePack(1, {}, 1, 3).ok());
  CHECK_FALSE(EncodePack(1, {"x"}, 0, 3).ok());
}

}  // namespace
}  // namespace wiki
