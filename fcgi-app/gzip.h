// gzip: compresses a representation once, so that every reader that
// accepts gzip can be sent the compressed bytes (a 30 KB article page is
// ~10 KB gzipped: at 20,000 reads/s that is the difference between 5 and
// 1.6 Gbit/s on the wire).
//
// Pure function over zlib; thread-safe.
#ifndef WIKI_GZIP_H_
#define WIKI_GZIP_H_

#include <string>
#include <string_view>

#include "status.h"

namespace wiki {

// RFC 1952 gzip member of `data`, at zlib's default level 6 (this runs
// once per revision, never per request).
Result<std::string> GzipCompress(std::string_view data);

// True if an Accept-Encoding value admits gzip: "gzip" (or "x-gzip") listed
// without q=0, or "*" with a non-zero q and gzip not refused.
bool AcceptsGzip(std::string_view accept_encoding);

}  // namespace wiki

#endif  // WIKI_GZIP_H_
