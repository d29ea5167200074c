#include "build_info.h"

#include <doctest/doctest.h>

#include "test_util.h"

namespace wiki {
namespace {

TEST_CASE("BuildIdOfFile: same bytes, same id; one byte more, another id") {
  testing::TempDir dir("build-info");
  struct Case {
    std::string a, b;
    bool same;
  } cases[] = {
      {"binary", "binary", true},
      {"binary", "binary\n", false},
      {"", "", true},
      {"x", "y", false},
  };
  for (const Case& c : cases) {
    testing::Spit(dir.path() + "/a", c.a);
    testing::Spit(dir.path() + "/b", c.b);
    std::string ida = BuildIdOfFile(dir.path() + "/a");
    std::string idb = BuildIdOfFile(dir.path() + "/b");
    CHECK(ida.rfind("exe-", 0) == 0);
    CHECK(ida.size() == 20);
    CHECK((ida == idb) == c.same);
  }
  CHECK(BuildIdOfFile(dir.path() + "/missing") == "unknown");
  // The running test binary has an id of its own.
  CHECK(BuildId().rfind("exe-", 0) == 0);
}

}  // namespace
}  // namespace wiki
