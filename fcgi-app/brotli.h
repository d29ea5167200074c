// brotli: compresses a representation once per revision, for readers that
// accept "br" (RFC 7932). For the ~30 KB article page brotli at quality 6
// is ~6% smaller than gzip -9 in about the same ~1 ms; qualities 10-11
// save ~20% but take 25-60 ms, and this runs before an edit's
// acknowledgment (README, "Capacity").
//
// Pure functions over libbrotli (Debian's libbrotli-dev); thread-safe.
#ifndef WIKI_BROTLI_H_
#define WIKI_BROTLI_H_

#include <string>
#include <string_view>

#include "status.h"

namespace wiki {

// Measured on data/Latest_plane_crash.html (28,439 bytes): q5-q8 all give
// 8,930-8,990 bytes in 0.8-1.7 ms, q9 8,928 bytes but 120-180 ms with the
// default window, q10 7,590 bytes in 25 ms, q11 7,428 bytes in 45-60 ms.
constexpr int kBrotliQuality = 6;
// The raw article (editors and tools, not the world's readers): q2 takes
// 0.16 ms instead of 0.71 ms for 11% more bytes (9,937 vs 8,952).
constexpr int kBrotliQualityRaw = 2;

// The brotli stream of `data` (text mode, the default 4 MiB window).
// `quality` 0..11.
Result<std::string> BrotliCompress(std::string_view data,
                                   int quality = kBrotliQuality);

// True if an Accept-Encoding value admits br (coding.h's rule).
bool AcceptsBrotli(std::string_view accept_encoding);

}  // namespace wiki

#endif  // WIKI_BROTLI_H_
