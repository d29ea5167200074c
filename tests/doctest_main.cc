// doctest entry point shared by the unit and integration test binaries.
//
// Besides doctest's own summary, prints the closing line CI reads:
//   "N passed, N failed, N skipped"   (N = test cases)
// A case is "skipped" if it carries doctest::skip() (and --no-skip is not
// given) or if it called wiki::testing::Skip() and failed nothing else.
//
// If WIKI_TEST_RESULTS names a file, one line per finished case is appended
// to it ("passed|failed|skipped<TAB>name"), flushed at once: tests/run-all
// counts from it, so cases a crash or a timeout cut off are known.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "test_util.h"

namespace {

struct ClosingLine : doctest::IReporter {
  explicit ClosingLine(const doctest::ContextOptions& options)
      : options_(options) {
    const char* path = std::getenv("WIKI_TEST_RESULTS");
    if (path != nullptr && *path != '\0') results_ = std::fopen(path, "a");
  }
  ~ClosingLine() override {
    if (results_ != nullptr) std::fclose(results_);
  }
  void report_query(const doctest::QueryData&) override {}
  void test_run_start() override {}
  void test_run_end(const doctest::TestRunStats&) override {
    std::fflush(stdout);
    std::printf("%d passed, %d failed, %d skipped\n", passed_, failed_,
                skipped_);
    std::fflush(stdout);
  }
  void test_case_start(const doctest::TestCaseData& tc) override {
    current_ = tc.m_name;
    wiki::testing::internal::ResetSkip();
  }
  void test_case_reenter(const doctest::TestCaseData&) override {}
  void test_case_end(const doctest::CurrentTestCaseStats& st) override {
    if (!st.testCaseSuccess) {
      Record(&failed_, "failed");
    } else if (wiki::testing::internal::Skipped()) {
      Record(&skipped_, "skipped");
    } else {
      Record(&passed_, "passed");
    }
  }
  void test_case_exception(const doctest::TestCaseException&) override {}
  void subcase_start(const doctest::SubcaseSignature&) override {}
  void subcase_end() override {}
  void log_assert(const doctest::AssertData&) override {}
  void log_message(const doctest::MessageData&) override {}
  // Called for cases filtered out as well as for doctest::skip(); only the
  // latter are skips (run-all never filters).
  void test_case_skipped(const doctest::TestCaseData& tc) override {
    if (!tc.m_skip || options_.no_skip) return;
    current_ = tc.m_name;
    std::printf("SKIPPED: %s (doctest::skip)\n", tc.m_name);
    Record(&skipped_, "skipped");
  }

 private:
  void Record(int* counter, const char* what) {
    ++*counter;
    if (results_ == nullptr) return;
    std::fprintf(results_, "%s\t%s\n", what, current_.c_str());
    std::fflush(results_);
  }

  const doctest::ContextOptions& options_;
  std::FILE* results_ = nullptr;
  std::string current_;
  int passed_ = 0, failed_ = 0, skipped_ = 0;
};

REGISTER_LISTENER("closing-line", 1, ClosingLine);

}  // namespace

int main(int argc, char** argv) {
  doctest::Context context;
  context.applyCommandLine(argc, argv);
  return context.run();
}
