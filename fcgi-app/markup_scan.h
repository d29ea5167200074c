// markup_scan: the linear pre-scan every article passes before gumbo runs.
//
// One pass over the source, following the HTML5 tokenizer's states for
// tags, attributes, comments, doctypes and bogus comments (the states a
// browser uses in the body of the page, where the article is embedded). It
// refuses, with a message naming the problem or the limit:
//   - C0 control characters other than tab, LF and CR; DEL, C1 controls
//     and noncharacters (gumbo would check U+FFFD where browsers keep them);
//   - a '<' or "</" at the very end (the page's markup would follow it);
//   - a source that ends inside a tag, an attribute value, a comment, a
//     doctype or a bogus comment: the page's own markup after the article
//     would complete it, so what the browser builds is not what was checked;
//   - every start or end tag whose name is not on the article allowlist
//     (IsAllowedArticleTag). This also covers every raw-text element
//     (script, style, textarea, title, xmp, ...), so the scan never has to
//     follow their states; every attribute of a start tag off the
//     allowlist (RuleForAttribute; values are checked after the parse);
//   - more than `max_attributes` attributes on one tag, more than
//     `max_elements` start tags, more than `max_comments` comment-like
//     tokens, or nesting deeper than `max_depth`;
//   - a </div> that would close the page's container.
// Depth comes from a model of the parser's stack of open elements for the
// allowed elements (implied end tags of p, li, dd, dt, table parts). Markup
// the model cannot follow exactly is refused rather than guessed at: a
// formatting element (a, b, code, em, i, small, strong) closed implicitly,
// by a misnested end tag or by the end of the article (the parser would
// re-create it later, possibly after the article), and an <a> inside an
// <a>. With those refused,
// the parser builds no element the model does not count, so gumbo's cost,
// which grows with depth x elements, is bounded before it runs.
//
// Cost: O(n + elements x max_depth). Pure function; thread-safe.
#ifndef WIKI_MARKUP_SCAN_H_
#define WIKI_MARKUP_SCAN_H_

#include <gumbo.h>

#include <cstddef>
#include <string>
#include <string_view>

#include "status.h"

namespace wiki {

struct ScanLimits {
  size_t max_depth = 100;       // open elements at once (the sample: 8)
  size_t max_attributes = 64;   // on one tag (the sample: 4)
  size_t max_elements = 20000;  // start tags (the sample: ~700)
  size_t max_comments = 20000;  // comments, doctypes, <!...>, <?...>
};

// The elements an article may contain (see markup_policy.h for the list).
bool IsAllowedArticleTag(GumboTag tag);

// How an attribute's value must be checked, if it may appear at all.
enum class AttributeRule {
  kRefused,
  kPlain,     // any value: no URL, no script, no style
  kLinkUrl,   // http:, https: or relative
  kImageUrl,  // absolute https:// only
};

// A name taken from an article, safe and short enough for a refusal
// message: ASCII-lowercased, anything but printable ASCII replaced by '?'
// (so the cut never splits a UTF-8 sequence), at most 40 characters, "..."
// if cut. Shared by the pre-scan and the allowlist check.
std::string MessageName(std::string_view name);

// `name` ASCII-lowercased, as the parser stores it.
AttributeRule RuleForAttribute(GumboTag tag, std::string_view name);

// Unprocessable with a short message (< 120 bytes) on any refusal above.
// On success, `skeleton` (if not null) holds the article with each run of
// text replaced by one character of the same class (' ' if the run is all
// whitespace after decoding character references, else 'x') and each
// comment-like token by "<!---->"; tags are copied verbatim. The parser
// builds the same elements and attributes from the skeleton as from the
// article (text decides nothing else once every tag is an allowed one),
// and it parses tags only: that is what makes the parse cheap.
Status ScanArticleSource(std::string_view html,
                         const ScanLimits& limits = ScanLimits(),
                         std::string* skeleton = nullptr);

}  // namespace wiki

#endif  // WIKI_MARKUP_SCAN_H_
