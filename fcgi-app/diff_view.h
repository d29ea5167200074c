// diff_view: the diff page, `?diff=N&oldid=M` with MediaWiki's parameters.
//
//   ?diff=N&oldid=M     M (old) against N (new); swapped if M is newer
//   ?diff=prev&oldid=M  M's predecessor against M
//   ?diff=next&oldid=M  M against its successor (M itself if M is current)
//   ?diff=cur&oldid=M   M against the current revision
//   ?diff=N             N's predecessor against N
//   ?diff=prev|next|cur without oldid: the current revision's predecessor
//                       against it
// Revision 1 has no predecessor: its "prev" diff shows the whole text as
// added. An unknown revision (0, or above the current one) is a 404, a
// diff or oldid that is not a number (or prev/next/cur) a 400.
//
// The page shows the article SOURCE, escaped (as MediaWiki shows
// wikitext): the changes from text_diff.h, word by word, as <del>/<ins>,
// with unchanged stretches longer than a few lines elided; above it both
// revisions (id, time, author, summary, links) and links to the older and
// newer edit. No article markup is live on it. Headers: the CSP and
// nosniff of every page, Cache-Control: no-cache and a strong ETag made of
// both revisions' ids and hashes (and whether the newer one is current,
// which decides the "newer edit" link), so a repeat is a 304.
//
// Pure functions apart from ServeDiff, which reads the store through its
// public API (Get); all thread-safe.
#ifndef WIKI_DIFF_VIEW_H_
#define WIKI_DIFF_VIEW_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "article_store.h"
#include "form_parser.h"
#include "http.h"
#include "revision.h"
#include "status.h"
#include "text_diff.h"

namespace wiki {

struct DiffQuery {
  enum class Target { kId, kPrev, kNext, kCur };
  Target target = Target::kCur;
  uint64_t id = 0;                // kId: the revision named by diff=
  std::optional<uint64_t> oldid;  // absent: no oldid parameter
};

// InvalidArgument (a 400 message) for a malformed diff or oldid.
// Precondition: the query has a diff parameter.
Result<DiffQuery> ParseDiffQuery(const Form& query);

// The revisions to compare; old_id 0 means "nothing before" (revision 1's
// predecessor). NotFound (a 404 message) for a revision that does not
// exist, given the current revision's id.
struct DiffPair {
  uint64_t old_id = 0;
  uint64_t new_id = 0;
};
Result<DiffPair> ResolveDiff(const DiffQuery& query, uint64_t current_id);

// The strong ETag of the diff page between `old_rev` (nullptr: nothing
// before) and `new_rev`.
std::string DiffETag(const RevisionMeta* old_rev, const RevisionMeta& new_rev,
                     uint64_t current_id);

// The diff page. `diff` was made from old_rev's text (or "") and
// new_rev's text.
std::string RenderDiffPage(std::string_view title, const Revision* old_rev,
                           const Revision& new_rev, uint64_t current_id,
                           const TextDiff& diff);

// Answers a GET or HEAD that has a diff parameter: 200 with the page (or
// 304), 400, 404, or 500 if the store or the diff fails.
void ServeDiff(ArticleStore* store, std::string_view title, const Request& req,
               const Form& query, const RevisionPtr& current, Response* resp);

}  // namespace wiki

#endif  // WIKI_DIFF_VIEW_H_
