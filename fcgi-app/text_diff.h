// text_diff: what changed between two texts, word by word, for the diff
// page (diff_view.h).
//
// Lines first, then words, as MediaWiki's diff does: the texts are compared
// line by line with xdiff (libgit2's git_diff_buffers: the Myers diff with
// git's heuristics, the same library and algorithm the merge uses), and
// each changed region (a run of removed lines against the run of added
// lines that replaces it) is compared again token by token, in the merge's
// tokens (merge.h WordTokens: tags and comments whole, words with their
// punctuation, whitespace runs, newlines), each token encoded as one line.
//
// Cost is bounded: a line diff is near-linear, and word-level comparison
// stops once `max_word_tokens` tokens (both sides, all regions together)
// have been compared; a region that does not fit in what is left of that
// budget is shown as whole removed and added lines, and
// TextDiff::word_level says so.
//
// Pure functions of their arguments; thread-safe. Errors only from inside
// libgit2 (out of memory); never for any input text.
#ifndef WIKI_TEXT_DIFF_H_
#define WIKI_TEXT_DIFF_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "status.h"

namespace wiki {

struct DiffOp {
  enum class Kind { kSame, kDel, kIns };
  Kind kind = Kind::kSame;
  // A view into the old text (kSame, kDel) or the new text (kIns): the
  // TextDiff must not outlive the texts it was made from.
  std::string_view text;
};

struct TextDiff {
  // In text order; within a change, deletions come before insertions.
  // Adjacent ops never have the same kind. Concatenating the kSame and kDel
  // texts gives the old text, the kSame and kIns texts the new text.
  std::vector<DiffOp> ops;
  // False if some changed region was too large (over the token budget) to
  // compare word by word and is shown as whole lines.
  bool word_level = true;
};

// A 30 KB article is ~10,000 tokens. The worst case measured for the word
// pass (text_diff_test.cc: two tokens alternating, reordered, just under
// the budget) is ~120 ms on this project's 2 loaded cores; regions whose
// bytes alone exceed 8 bytes per remaining token are not even tokenised.
inline constexpr size_t kMaxWordDiffTokens = 100000;

Result<TextDiff> DiffTexts(std::string_view old_text, std::string_view new_text,
                           size_t max_word_tokens = kMaxWordDiffTokens);

// The old (kSame + kDel) or new (kSame + kIns) text a diff was made from.
std::string OldSide(const TextDiff& diff);
std::string NewSide(const TextDiff& diff);

}  // namespace wiki

#endif  // WIKI_TEXT_DIFF_H_
