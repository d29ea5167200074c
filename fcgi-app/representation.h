// representation: which bytes answer an article read, and how they travel.
//
// A read of the current revision is answered from the page cache: the
// reader page, or the page / raw article in the best coding the client
// accepts (brotli, then gzip: coding.h; compressed once per revision). Old
// revisions (and a revision superseded while the request ran) are rarer: their
// raw bytes come from the store, their page is rendered per request, never
// compressed. Each representation has its own strong ETag. The body is handed
// to nginx as an X-Accel-Redirect to an immutable file when there is one and
// the server is configured for it, else sent by the app (shared, not copied).
//
// Thread-safety: as PageCache.
#ifndef WIKI_REPRESENTATION_H_
#define WIKI_REPRESENTATION_H_

#include <memory>
#include <string>
#include <string_view>

#include "coding.h"
#include "http.h"
#include "page_cache.h"
#include "revision.h"

namespace wiki {

struct Representation {
  RevisionPtr rev;
  bool raw = false;  // the article's bytes, not the reader page
  Coding coding = Coding::kIdentity;  // Content-Encoding
  std::string etag;  // strong; with the coding's suffix ("...-br", "-gz")
  std::shared_ptr<const PageCache::Page> page;  // keeps `body` alive
  // A cached body of the current revision; null for the raw identity bytes
  // (revisions/<id>.html) and for an old revision's page.
  const PageCache::Body* body = nullptr;
};

// Chooses the representation of `rev` (current if its id is `current_id`)
// for a client sending `accept_encoding`: the first coding of kCodings it
// accepts that was built (identity if a compression failed).
Representation ChooseRepresentation(PageCache* pages, const RevisionPtr& rev,
                                    uint64_t current_id, bool raw,
                                    std::string_view accept_encoding);

// Puts the body of `rep` into `resp`: "X-Accel-Redirect: <accel_prefix>..."
// naming its file when `accel_prefix` is set, there is a file and the body
// has at least `accel_min_bytes`; else the bytes (an old revision's page is
// rendered now).
void AttachBody(PageCache* pages, const Representation& rep,
                uint64_t current_id, const std::string& accel_prefix,
                size_t accel_min_bytes, Response* resp);

}  // namespace wiki

#endif  // WIKI_REPRESENTATION_H_
