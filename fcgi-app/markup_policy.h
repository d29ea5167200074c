// markup_policy: decides whether submitted article HTML may be stored.
//
// An article is a fragment of HTML (no <html>/<head>/<body> needed) that
// is shown to every reader, so it is checked against an allowlist with a
// real HTML5 parser (gumbo), never with regular expressions. The allowlist
// admits what encyclopedia articles use: headings h1-h6, paragraphs, lists,
// dl/dt/dd, tables (caption, colgroup/col, thead/tbody/tfoot, tr, th, td),
// links, images, figure/figcaption, blockquote, q, cite, abbr, sup/sub,
// b/i/em/strong/small/code/pre/span/div/br/hr, and the attributes id,
// class, title, alt, lang, dir, width, height on all of them, plus: href on
// a; src on img; cite on blockquote and q; scope (th only), colspan and
// rowspan on th/td; start and reversed on ol; span on col/colgroup.
// Links (href, cite) must be http:, https: or relative (incl. "//host" and
// "#fragment"); mailto:, javascript:, data: and every other scheme are
// refused. Image src must be absolute https://. No style, no on* handlers,
// no explicit <html>/<head>/<body>; HTML comments are allowed. Ids the
// page template uses (render.h, IsTemplateId) are refused.
//
// What is checked is what is served: an article is accepted only if,
// placed in the reader page's container, it stays there (no tag, attribute
// value or comment left open for the page's markup to complete, no element
// left open or closed that the page's own markup would then mismatch, no
// formatting element that the parser would re-create outside it). See
// markup_scan.h for the pre-scan and its limits, served_markup.h for the
// rule as a check on rendered pages.
//
// Refusal messages name the offending element/attribute (names from the
// article are ASCII-lowercased and cut to 40 characters), stay under 120
// bytes, and still need HTML-escaping by whoever displays them.
//
// Pure functions; thread-safe.
#ifndef WIKI_MARKUP_POLICY_H_
#define WIKI_MARKUP_POLICY_H_

#include <string_view>

#include "cancel.h"
#include "status.h"

namespace wiki {

// True if `s` is well-formed UTF-8 (no overlongs, no surrogates, nothing
// above U+10FFFF).
bool IsValidUtf8(std::string_view s);

// Everything an edit must pass before it is stored, in this order:
//   1. valid UTF-8                        else Unprocessable("... UTF-8 ...")
//   2. not empty / not only whitespace    else Unprocessable("... empty ...")
//   3. no unresolved merge-conflict marker lines (a line starting with
//      "<<<<<<<", "=======" or ">>>>>>>")   else Unprocessable(...)
//   4. the linear pre-scan (markup_scan.h): controls, tokenization that
//      ends inside a construct, tag and attribute names, and the limits
//      (depth 100, 64 attributes per tag, 20,000 elements, 20,000
//      comments)                          else Unprocessable naming the
//      problem or the limit, e.g. "the article ends inside the tag <img>",
//      "the article nests elements more than 100 deep"
//   5. the parsed page keeps its structure around the article, every
//      element and attribute on the allowlist, every URL in an allowed
//      scheme, no template id             else Unprocessable naming the
//      offending element or attribute, e.g. "element <script> is not
//      allowed", "attribute onclick on <p> is not allowed",
//      "URL scheme javascript: in href on <a> is not allowed",
//      "the article leaves an element open (a <div> or <table>?)".
// Cost: linear in the size plus a parse of the tags only; the worst 2 MiB
// inputs measured take about 100 ms (markup_scan_test prints them).
Status CheckArticle(std::string_view html);

// The same, asking `cancel` between the pre-scan and the parse: Cancelled
// (and no parse) if the client has gone by then.
Status CheckArticle(std::string_view html, const Cancel& cancel);

}  // namespace wiki

#endif  // WIKI_MARKUP_POLICY_H_
