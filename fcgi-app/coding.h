// coding: the content codings a read can be sent in (identity, gzip,
// brotli), in one table, and which one a client's Accept-Encoding gets.
//
// Each coding has its Content-Encoding token and the suffix that names its
// representation everywhere: the strong ETag ("p<id>-<hash16>-br"), the
// front cache's files (pages/<dir>/p-br) and nginx's maps
// (nginx/wiki-site.conf), which must choose as PreferredCoding does.
//
// Pure functions; thread-safe.
#ifndef WIKI_CODING_H_
#define WIKI_CODING_H_

#include <string_view>

namespace wiki {

enum class Coding { kIdentity, kGzip, kBrotli };

struct CodingInfo {
  Coding coding;
  const char* content_encoding;  // "" for identity (no header)
  const char* suffix;            // of the ETag and the file name
};

// In order of preference: the smallest bytes first. A client that accepts
// several (q > 0) gets the first; q values do not reorder them (browsers
// send "gzip, deflate, br" without q, and br is smaller for the same page).
inline constexpr CodingInfo kCodings[] = {
    {Coding::kBrotli, "br", "-br"},
    {Coding::kGzip, "gzip", "-gz"},
    {Coding::kIdentity, "", ""},
};

const CodingInfo& InfoOf(Coding c);

// True if an Accept-Encoding value admits `c`: its token (for gzip also
// "x-gzip") listed without q=0, or, when it is not listed, "*" with q > 0.
// Identity is always admitted (the app has nothing else for every read).
bool AcceptsCoding(std::string_view accept_encoding, Coding c);

// The first coding of kCodings that `accept_encoding` admits.
Coding PreferredCoding(std::string_view accept_encoding);

}  // namespace wiki

#endif  // WIKI_CODING_H_
