// Fuzzes the three-way merge. Input: base, mine and theirs separated by
// 0x01 bytes; the first byte of the input picks the granularity.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_util.h"
#include "merge.h"

namespace {

void Check(std::string_view base, std::string_view mine,
           std::string_view theirs, wiki::MergeGranularity g) {
  wiki::Result<wiki::MergeResult> r = wiki::Merge3(base, mine, theirs, g);
  if (!r.ok()) wiki::FuzzFail("merge error: " + r.status().ToString());
  if (r->clean != r->conflicts.empty()) {
    wiki::FuzzFail("clean disagrees with the conflict list");
  }
  // Only one side changed: the merge is that side.
  if (base == theirs && (!r->clean || r->text != mine)) {
    wiki::FuzzFail("theirs unchanged, yet the merge is not mine");
  }
  if (base == mine && (!r->clean || r->text != theirs)) {
    wiki::FuzzFail("mine unchanged, yet the merge is not theirs");
  }
  if (mine == theirs && (!r->clean || r->text != mine)) {
    wiki::FuzzFail("both made the same change, yet it did not merge");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  wiki::MergeGranularity g = (data[0] & 1) ? wiki::MergeGranularity::kWord
                                           : wiki::MergeGranularity::kLine;
  std::string_view parts[3];
  wiki::SplitInput(data + 1, size - 1, '\x01', parts);
  Check(parts[0], parts[1], parts[2], g);
  return 0;
}
