// File helpers shared by the unit tests (fcgi-app/*_test.cc) and the
// integration tests (tests/*_itest.cc): a self-removing temp dir and small
// read/write/list helpers. Failures to set up (mkdtemp, a short write) are
// doctest REQUIREs, so these are for test code only.
#ifndef WIKI_TESTS_TEST_UTIL_H_
#define WIKI_TESTS_TEST_UTIL_H_

#include <string>
#include <vector>

namespace wiki {
namespace testing {

// A fresh directory /tmp/<prefix>-XXXXXX, removed with everything in it.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const {
    return path_ + "/" + name;
  }

 private:
  std::string path_;
};

// The whole file as bytes; "" if it cannot be read.
std::string Slurp(const std::string& path);

// Writes `data` to `path` (truncating, or appending if `append`); REQUIREs
// that the write succeeded.
void Spit(const std::string& path, const std::string& data,
          bool append = false);

bool Exists(const std::string& path);

// The bytes inside a gzip member (fails the test if it is not one).
std::string Gunzip(const std::string& gz);
// The bytes of a brotli stream (a CHECK fails if it is not one).
std::string Unbrotli(const std::string& br);

// The entry names in `dir`, sorted; empty if it cannot be listed.
std::vector<std::string> Names(const std::string& dir);

// Marks the running test case as skipped (printed as "SKIPPED: <case>:
// <reason>" and counted as skipped, not passed, in the closing line) when a
// precondition the test cannot create is missing. The caller returns after.
void Skip(const std::string& reason);

namespace internal {  // for tests/doctest_main.cc
void ResetSkip();
bool Skipped();
}  // namespace internal

// The names in `dir` (sorted) that start with kTempPrefix (fs_posix.h): the
// temp files a durable write leaves behind if it is cut short.
std::vector<std::string> TempFiles(const std::string& dir);

}  // namespace testing
}  // namespace wiki

#endif  // WIKI_TESTS_TEST_UTIL_H_
