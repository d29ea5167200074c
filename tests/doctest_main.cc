// doctest entry point shared by the unit and integration test binaries.
//
// Besides doctest's own summary, prints the closing line CI reads:
//   "N passed, N failed"   (N = test cases)
// so that tests/run-all can add up the two binaries.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdio>

namespace {

struct ClosingLine : doctest::IReporter {
  explicit ClosingLine(const doctest::ContextOptions&) {}
  void report_query(const doctest::QueryData&) override {}
  void test_run_start() override {}
  void test_run_end(const doctest::TestRunStats& s) override {
    int failed = static_cast<int>(s.numTestCasesFailed);
    int passed = static_cast<int>(s.numTestCasesPassingFilters) - failed;
    std::fflush(stdout);
    std::printf("%d passed, %d failed\n", passed, failed);
    std::fflush(stdout);
  }
  void test_case_start(const doctest::TestCaseData&) override {}
  void test_case_reenter(const doctest::TestCaseData&) override {}
  void test_case_end(const doctest::CurrentTestCaseStats&) override {}
  void test_case_exception(const doctest::TestCaseException&) override {}
  void subcase_start(const doctest::SubcaseSignature&) override {}
  void subcase_end() override {}
  void log_assert(const doctest::AssertData&) override {}
  void log_message(const doctest::MessageData&) override {}
  void test_case_skipped(const doctest::TestCaseData&) override {}
};

REGISTER_LISTENER("closing-line", 1, ClosingLine);

}  // namespace

int main(int argc, char** argv) {
  doctest::Context context;
  context.applyCommandLine(argc, argv);
  return context.run();
}
