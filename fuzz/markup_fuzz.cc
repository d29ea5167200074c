// Fuzzes the markup validator with the served-markup rule as the oracle:
// whatever CheckArticle accepts must render into pages that hold the rule
// (served_markup.h), and a refusal must carry a short message.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_util.h"
#include "markup_policy.h"
#include "served_markup.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view article(reinterpret_cast<const char*>(data), size);
  wiki::Status s = wiki::CheckArticle(article);
  if (!s.ok()) {
    if (s.code() != wiki::Status::Code::kUnprocessable ||
        s.message().empty() || s.message().size() >= 120) {
      wiki::FuzzFail("refusal: " + s.ToString());
    }
    return 0;
  }
  wiki::Status served = wiki::CheckArticleAsServed(article);
  if (!served.ok()) wiki::FuzzFail("accepted but " + served.ToString());
  return 0;
}
