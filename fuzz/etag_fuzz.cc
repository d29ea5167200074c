// Fuzzes the ETag-list parsing of If-Match / If-None-Match (http). Input:
// the header value, a NUL byte, then the current ETag.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_util.h"
#include "http.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view parts[2];
  wiki::SplitInput(data, size, '\0', parts);
  std::string_view header = parts[0], etag = parts[1];
  bool strong = wiki::IfMatchMatches(header, etag);
  bool weak = wiki::IfNoneMatchMatches(header, etag);
  // A strong match is also a weak one.
  if (strong && !weak) wiki::FuzzFail("strong match without weak match");
  // The tag itself, quoted as servers send it, always matches.
  bool plain_tag = etag.size() >= 2 && etag.front() == '"' &&
                   etag.back() == '"';
  for (size_t i = 1; plain_tag && i + 1 < etag.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(etag[i]);
    plain_tag = c > 0x20 && c < 0x7f && c != '"' && c != ',';
  }
  if (plain_tag) {
    if (!wiki::IfMatchMatches(etag, etag)) wiki::FuzzFail("tag misses itself");
    std::string list = "\"x\", " + std::string(etag);
    if (!wiki::IfMatchMatches(list, etag)) {
      wiki::FuzzFail("tag in a list misses itself");
    }
  }
  return 0;
}
