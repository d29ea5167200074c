// served_markup: the "what is served is what was checked" rule as a check
// on rendered pages, for tests and fuzzers (the oracle for markup_policy).
//
// Rule: for an accepted article, every page that embeds it (reader page,
// an old revision, the edit form, the conflict page, the diff page), parsed
// as a browser parses it (gumbo), holds
//   - inside the article's container (div#mw-content-text) only
//     allowlisted elements and attributes, link URLs whose scheme is http,
//     https or none and image URLs whose scheme is https or none, and no
//     id the template uses;
//   - in each textarea exactly the text it was given (the article shown as
//     text, never as markup);
//   - in a diff page's pre#wpDiff only text, <ins> and <del> without
//     attributes holding only text, and elision notes (span.diff-skip);
//     without elisions, the text outside <ins> reads back as the old text
//     and outside <del> as the new one (the article as text, never markup);
//   - outside the container, the textareas and the diff
//   - outside the container and the textareas exactly the elements (names,
//     attributes, order) and text of the same page rendered around a
//     placeholder article: the page's own markup before and after the
//     article is intact and nothing of the article escaped.
// The allowlist here is written independently of markup_policy's, from
// the contract in markup_policy.h, and URL schemes are found the way the
// WHATWG URL parser finds them, so a disagreement shows up as a failure.
//
// Pure functions; thread-safe. Cost: a few gumbo parses of the pages.
#ifndef WIKI_SERVED_MARKUP_H_
#define WIKI_SERVED_MARKUP_H_

#include <string>
#include <string_view>
#include <vector>

#include "status.h"

namespace wiki {

struct ServedPage {
  std::string name;            // for messages: "reader page", "edit form", ...
  std::string html;            // the page as served
  std::string reference;       // the same page around a placeholder article
  bool has_container = false;  // reader pages
  std::vector<std::string> textareas;  // expected text of each, in order
  bool has_diff = false;               // diff pages
  std::string diff_old, diff_new;      // the texts the diff compares
};

// OK, or an explanation of the first violation (for test output).
Status CheckServedPage(const ServedPage& page);

// Renders every page that embeds `article` with the real render code and
// checks each. Meant for articles CheckArticle accepted.
Status CheckArticleAsServed(std::string_view article);

}  // namespace wiki

#endif  // WIKI_SERVED_MARKUP_H_
