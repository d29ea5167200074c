// markup_policy: decides whether submitted article HTML may be stored.
//
// An article is a fragment of HTML (no <html>/<head>/<body> needed) that
// is shown to every reader, so it is checked against an allowlist with a
// real HTML5 parser (gumbo), never with regular expressions. The allowlist
// admits what encyclopedia articles use: headings, paragraphs, lists,
// dl/dt/dd, tables (caption, thead/tbody/tfoot, tr, th with scope,
// td, colspan/rowspan), links (http, https, relative, #fragment), images
// over https, figure/figcaption, blockquote, cite, sup/sub, b/i/em/strong/
// small/code/pre/span/div/br/hr, and the attributes id, class, title, alt,
// lang, dir, width, height (plus href on a, src on img, scope/colspan/
// rowspan on table cells).
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
