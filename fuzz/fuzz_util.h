// Helpers shared by the libFuzzer targets in this directory.
#ifndef WIKI_FUZZ_UTIL_H_
#define WIKI_FUZZ_UTIL_H_

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace wiki {

// A broken invariant: print what broke and abort, which libFuzzer reports
// as a crash and saves the input for.
[[noreturn]] inline void FuzzFail(const std::string& what) {
  std::fprintf(stderr, "invariant broken: %s\n", what.c_str());
  std::abort();
}

// Splits the input at the first `n - 1` occurrences of a separator byte
// into n parts (missing parts are empty), so one byte string can feed a
// function of several strings.
template <size_t N>
void SplitInput(const uint8_t* data, size_t size, char separator,
                std::string_view (&parts)[N]) {
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  for (size_t i = 0; i + 1 < N; ++i) {
    size_t at = rest.find(separator);
    if (at == std::string_view::npos) {
      parts[i] = rest;
      rest = std::string_view();
      continue;
    }
    parts[i] = rest.substr(0, at);
    rest = rest.substr(at + 1);
  }
  parts[N - 1] = rest;
}

}  // namespace wiki

#endif  // WIKI_FUZZ_UTIL_H_
