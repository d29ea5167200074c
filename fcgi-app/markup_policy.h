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
// no explicit <html>/<head>/<body>; HTML comments are allowed.
//
// Refusal messages name the offending element/attribute (names from the
// article are ASCII-lowercased and cut to 40 characters), stay under 120
// bytes, and still need HTML-escaping by whoever displays them.
//
// Pure functions; thread-safe.
#ifndef WIKI_MARKUP_POLICY_H_
#define WIKI_MARKUP_POLICY_H_

#include <string_view>

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
//   4. every element and attribute on the allowlist, every URL in an
//      allowed scheme                      else Unprocessable naming the
//      offending element or attribute, e.g. "element <script> is not
//      allowed", "attribute onclick on <p> is not allowed",
//      "URL scheme javascript: in href on <a> is not allowed".
Status CheckArticle(std::string_view html);

}  // namespace wiki

#endif  // WIKI_MARKUP_POLICY_H_
