// merge: three-way merge of article revisions, so concurrent edits land.
//
// base   = the revision the editor started from
// mine   = the text the editor submitted
// theirs = the current revision (base plus everything accepted since)
//
// Line-level first (libgit2's git_merge_file, the xdiff merge git uses);
// where both sides changed the same lines, the conflicting region is merged
// again at the level of words and tags (each HTML tag is one atomic token,
// words and runs of whitespace are tokens), with the same algorithm on the
// token sequence. Identical changes on both sides merge cleanly.
//
// Tokens: a tag or comment is atomic (a '>' inside a quoted attribute value
// does not end it), a newline is a token, other whitespace runs and words
// are tokens. Punctuation stays part of its word on purpose: splitting
// "3.5", "1,200" or a date would let "3.5"->"4.5" and "3.5"->"3.6" merge into
// "4.6", a figure neither editor wrote.
//
// What still conflicts, and why:
//   - changes that overlap or touch (no unchanged line, resp. token, between
//     them), as in git; e.g. changing a link's href and the link text right
//     after the tag.
//   - both sides inserting different text at the same point. This is never
//     resolved by taking both: two editors adding the casualty figure from
//     different sources would otherwise both land, stating two facts.
//   - inputs containing a NUL byte or a line starting with 32 marker
//     characters ('<', '|', '=', '>'), which xdiff's output could not
//     represent unambiguously: the whole article is one conflict.
//
// Line endings are copied, never converted: a CRLF article merged with CRLF
// edits stays CRLF. Whether the result ends in a newline is merged on its
// own (the editor's choice if they changed it, else the current revision's),
// so adding a final newline does not conflict with editing the last line.
//
// Only conflicting line regions are tokenised, so a large article with one
// contested paragraph costs one line merge plus a small token merge.
//
// Pure functions (libgit2 is initialised once, thread-safely); no I/O.
#ifndef WIKI_MERGE_H_
#define WIKI_MERGE_H_

#include <string>
#include <string_view>
#include <vector>

#include "status.h"

namespace wiki {

enum class MergeGranularity {
  kLine,  // line-level only (what MediaWiki's diff3 does)
  kWord,  // line-level, then words and tags inside conflicting lines
};

// One conflicting region, exactly as each side has it. kLine: whole lines
// (with their line endings). kWord: only the contested tokens, whole words
// and tags, without context (the draft shows them in place). A side is
// empty if it deleted the region, or, for base, if both sides inserted.
struct MergeConflict {
  std::string base;    // the region as it was in base
  std::string mine;    // ... as the editor changed it
  std::string theirs;  // ... as the current revision has it
};

struct MergeResult {
  bool clean = false;
  // clean: the merged article. Otherwise a draft for the editor to resolve:
  // the merge with every conflicting region written as
  //   "<<<<<<< current revision\n" theirs "\n=======\n" mine
  //   "\n>>>>>>> your edit\n"
  // (markers on lines of their own; markup_policy refuses such lines, so a
  // draft cannot be saved unresolved). Markers always end in "\n", also in
  // a CRLF article. A section that does not end in a newline gets one
  // before the next marker, and if the opening marker would not start a
  // line a newline is inserted before it: a word-level conflict therefore
  // splits its paragraph over several lines, which HTML renders as
  // whitespace between whole tokens. Everything outside the blocks is
  // merged, including the other edits of a paragraph that has a conflict.
  std::string text;
  // empty iff clean; otherwise one entry per marker block of `text`, in
  // order.
  std::vector<MergeConflict> conflicts;
};

// Merges; an error (IOError) only for a failure inside the library (out of
// memory), never for conflicting input. Thread-safe.
Result<MergeResult> Merge3(std::string_view base, std::string_view mine,
                           std::string_view theirs,
                           MergeGranularity granularity);

// The word-level merge's tokens of `text` (see the top of this file: a tag
// or comment, a newline, a run of other whitespace, or a word), in order;
// views into `text` whose concatenation is `text`. Linear in the size of
// `text`. Shared with the diff page (text_diff.h), so a diff shows changes
// in the units a merge works in. Thread-safe.
std::vector<std::string_view> WordTokens(std::string_view text);

}  // namespace wiki

#endif  // WIKI_MERGE_H_
