#include "front_record.h"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <string>

#include "test_util.h"

namespace wiki {
namespace {

using testing::Slurp;
using testing::Spit;
using testing::TempDir;

TEST_CASE("front_record: created whole, then each publish is what is read") {
  TempDir tmp("wiki-record-test");
  const std::string path = tmp / "current.rec";
  CHECK_FALSE(ReadFrontRecord(path).ok());  // missing
  REQUIRE(PublishFrontRecord(path, "off").ok());
  struct stat st;
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK(static_cast<size_t>(st.st_size) == kFrontRecordBytes);
  CHECK(*ReadFrontRecord(path) == "off");
  // More publishes than slots: the ring wraps, the newest is always read.
  for (int i = 1; i <= 600; ++i) {
    const std::string name =
        std::to_string(i) + "-00000000000000ab-" + std::to_string(i * 7);
    REQUIRE(PublishFrontRecord(path, name).ok());
    REQUIRE(*ReadFrontRecord(path) == name);
  }
  // A shorter name after a longer one in the same slot: no leftover bytes.
  for (size_t i = 0; i < kFrontRecordSlots; ++i) {
    REQUIRE(PublishFrontRecord(path, "off").ok());
  }
  CHECK(*ReadFrontRecord(path) == "off");
}

TEST_CASE("front_record: bad names are refused, broken records replaced") {
  TempDir tmp("wiki-record-test");
  const std::string path = tmp / "current.rec";
  CHECK_FALSE(PublishFrontRecord(path, "").ok());
  CHECK_FALSE(
      PublishFrontRecord(path, std::string(kFrontRecordSlotBytes, 'x')).ok());
  REQUIRE(PublishFrontRecord(path, std::string(kFrontRecordSlotBytes - 1, 'x'))
              .ok());
  // Files the app never writes (by hand): unreadable as records, and the
  // next publish replaces them with a whole one.
  Spit(tmp / "short.rec", "wikifr01");
  Spit(tmp / "foreign.rec", std::string(kFrontRecordBytes, 'z'));
  for (const char* f : {"short.rec", "foreign.rec"}) {
    CAPTURE(f);
    CHECK_FALSE(ReadFrontRecord(tmp / f).ok());
    REQUIRE(PublishFrontRecord(tmp / f, "7-0123456789abcdef-13").ok());
    CHECK(*ReadFrontRecord(tmp / f) == "7-0123456789abcdef-13");
    CHECK(Slurp(tmp / f).size() == kFrontRecordBytes);
  }
}

}  // namespace
}  // namespace wiki
