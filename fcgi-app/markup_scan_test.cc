// The attacks of issue 8 ("hostile editors") against CheckArticle, the
// pre-scan's rules and limits, and the cost of the worst inputs found.
#include "markup_scan.h"

#include <doctest/doctest.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "markup_policy.h"
#include "served_markup.h"

namespace wiki {
namespace {

struct Case {
  const char* name;
  std::string html;
  bool ok;
  std::string message;  // substring of the refusal
};

void Check(const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    INFO(c.name);
    Status s = CheckArticle(c.html);
    CAPTURE(s.ToString());
    REQUIRE(s.ok() == c.ok);
    if (c.ok) {
      // Accepted articles must also hold the served-markup rule.
      Status served = CheckArticleAsServed(c.html);
      CAPTURE(served.ToString());
      CHECK(served.ok());
    } else {
      CHECK(s.code() == Status::Code::kUnprocessable);
      CHECK(s.message().find(c.message) != std::string::npos);
      CHECK(s.message().size() < 120);
    }
  }
}

TEST_CASE("issue 8: the last tag left open is refused") {
  Check({
      {"meta refresh without >",
       "<p>x</p><meta http-equiv=refresh "
       "content=\"0;url=https://evil.example\"",
       false, "element <meta> is not allowed"},
      {"img onerror without >",
       "<p>x</p><img src=https://a.example/x.png onerror=alert(1)", false,
       "attribute onerror on <img> is not allowed"},
      {"img without >", "<p>x</p><img src=https://a.example/x.png alt=x", false,
       "the article ends inside the tag <img>"},
      {"'</' at the end would eat the page's </div>", "<p>x</p></", false,
       "the article ends with '<'"},
      {"'<' at the end", "<p>x</p><", false, "the article ends with '<'"},
      {"allowed tag without > swallows the page", "<p>x</p><a href=/x title=t",
       false, "ends inside the tag <a>"},
      {"tag name alone at the end", "<p>x</p><span", false,
       "ends inside the tag <span>"},
      {"end tag without >", "<p>x</p></p", false, "ends inside the tag <p>"},
      {"self-closing slash at the end", "<p>x</p><br/", false,
       "ends inside the tag <br>"},
      {"before the value at the end", "<p>x</p><a href=", false,
       "ends inside the tag <a>"},
  });
}

TEST_CASE("issue 8: pre-check bail-outs are gone") {
  Check({
      {"unmatched quote inside a tag, then a frame the parser drops",
       "<p title=a'b>x</p><frame src=\"https://e.example/\">", false,
       "element <frame> is not allowed"},
      {"quote in an unquoted value does not start a string",
       "<p title=a\"b>x</p><iframe src=https://e.example/></iframe>", false,
       "element <iframe> is not allowed"},
      {"<!--> is a whole comment", "<!--><p>x</p><frame src=x>", false,
       "element <frame> is not allowed"},
      {"<!---> is a whole comment", "<!---><p>x</p><base href=x>", false,
       "element <base> is not allowed"},
      {"--!> ends a comment", "<!-- a --!><p>x</p><meta charset=x>", false,
       "element <meta> is not allowed"},
      {"a '>' inside a quoted value does not end the tag",
       "<p title=\"a>b\">x</p><svg></svg>", false,
       "element <svg> is not allowed"},
      {"unclosed comment", "<p>x</p><!-- note", false, "ends inside a comment"},
      {"comment closed only by the page would be", "<p>x</p><!-- a -- >", false,
       "ends inside a comment"},
      {"unclosed double quote at the end", "<p title=\"x>y</p>", false,
       "ends inside an attribute value of <p>"},
      {"unclosed single quote at the end", "<p>x</p><a href='/x>y</a>", false,
       "ends inside an attribute value of <a>"},
      {"unclosed bogus comment", "<p>x</p><!x", false, "declaration"},
      {"unclosed doctype", "<p>x</p><!DOCTYPE html", false, "declaration"},
      {"processing instruction without >", "<p>x</p><?xml", false,
       "declaration"},
      {"end tag of a never-allowed element", "<p>x</p></script>", false,
       "element <script> is not allowed"},
      {"raw text element names are refused before their contents",
       "<xmp><p>x</p></xmp>", false, "element <xmp> is not allowed"},
      {"title is RCDATA and refused", "<title><!--</title><p>x</p>", false,
       "element <title> is not allowed"},
      {"tag name with a NUL is a control", std::string("<p\0>x</p>", 8), false,
       "control character U+0000"},
  });
}

TEST_CASE("issue 8: what the tokenizer lets through is harmless") {
  Check({
      {"complete comment, doctype and bogus comments",
       "<!-- a --><!DOCTYPE html><!x><?y?></ z><p>x</p>", true, ""},
      {"<!--> and <!---> then text", "<!--><!---><p>x</p>", true, ""},
      {"lone < and </ as text", "<p>a < b, c </ d, 1<2</p> < ", true, ""},
      {"</> is dropped", "<p>a</>b</p>", true, ""},
      {"'=' at the start of an attribute name", "<p =x title=y>x</p>", false,
       "attribute =x on <p> is not allowed"},
      {"quote right after a quoted value", "<p title=\"a\"\"b\">x</p>", false,
       "attribute \"b\" on <p> is not allowed"},
      {"CR and CRLF line ends", "<p\rtitle=a\r\n>x</p>\r\n", true, ""},
      {"tabs and newlines in tags", "<p\ttitle=\"a\"\n>x</p>", true, ""},
  });
}

TEST_CASE("control characters other than tab, LF and CR are refused") {
  Check({
      {"NUL in text", std::string("<p>a\0b</p>", 10), false,
       "control character U+0000 at byte 4"},
      {"escape", "<p>a\x1b[31mb</p>", false, "control character U+001B"},
      {"form feed", "<p>a\fb</p>", false, "control character U+000C"},
      {"vertical tab", "<p>a\vb</p>", false, "control character U+000B"},
      {"tab, LF and CR are fine", "<p>a\tb\nc\rd</p>", true, ""},
      {"DEL", "<p>a\x7f b</p>", false, "control character U+007F"},
      {"C1 control NEL", "<p>a\xc2\x85 b</p>", false,
       "control character U+0085"},
      {"noncharacter", "<p>a\xef\xbf\xbe b</p>", false, "noncharacter U+FFFE"},
      {"plane 1 noncharacter", "<p>\xf0\x9f\xbf\xbf</p>", false,
       "noncharacter U+01FFFF"},
      {"other non-ASCII is fine", "<p>\xc2\xa0\xe2\x80\x94\xf0\x9f\x98\x80</p>",
       true, ""},
  });
}

TEST_CASE("the article stays inside its container") {
  Check({
      {"unclosed div", "<div><p>x</p>", false, "leaves an element open"},
      {"unclosed table", "<table><tr><td>x", false, "leaves an element open"},
      {"unclosed table inside a closed div", "<div><table><tr><td>x</div>",
       false, "leaves an element open"},
      {"stray </div>", "<p>x</p></div><p>y</p>", false,
       "</div> closes an element the article did not open"},
      {"a second </div>", "<div><p>x</div></div>", false,
       "</div> closes an element"},
      {"unclosed p, li, dd, span are closed by the page",
       "<p>a<ul><li>b<li>c</ul><dl><dt>d<dd>e</dl><span>f", true, ""},
      {"implied tbody, tr and cells", "<table><tr><td>a<td>b<tr><th>c</table>",
       true, ""},
      {"stray end tags the parser ignores", "<p>a</span></li></h2>b</p>", true,
       ""},
  });
}

TEST_CASE("formatting elements must nest") {
  Check({
      {"bold leaking out of a paragraph", "<p><b>x</p><p>y</p>", false,
       "element <b> must be closed before </p>"},
      {"bold closed by a div", "<p><b>x<div>y</div></b>", false,
       "element <b> must be closed before <div>"},
      {"misnested b and i", "<b><i>x</b></i>", false,
       "</b> closes <b> while <i> inside it is open"},
      {"a inside a", "<a href=/x>1<a href=/y>2</a></a>", false,
       "<a> is not allowed inside <a>"},
      {"a inside a, across a table", "<a href=/x><table><a>2</a></table></a>",
       false, "<a> is not allowed inside <a>"},
      {"a inside a cell inside a",
       "<a href=/x><table><tr><td><a>2</a></td>"
       "</tr></table></a>",
       true, ""},
      {"bold inside a cell is cleared with the cell",
       "<table><tr><td><b>x</td></tr></table>", true, ""},
      {"well nested", "<p><b><i>x</i></b> <a href=/x><em>y</em></a></p>", true,
       ""},
      {"end tag of a formatting element that is not open", "<p>x</b></p>", true,
       ""},
  });
}

TEST_CASE("article ids may not collide with the template's") {
  Check({
      {"firstHeading", "<h2 id=\"firstHeading\">x</h2>", false,
       "id \"firstheading\" is used by the page itself"},
      {"container id", "<div id=mw-content-text>x</div>", false,
       "is used by the page itself"},
      {"footer, other case", "<p id=FOOTER>x</p>", false,
       "is used by the page itself"},
      {"edit form ids", "<span id=wpSave>x</span>", false,
       "is used by the page itself"},
      {"other ids are fine", "<h2 id=\"history\">x</h2>", true, ""},
  });
}

TEST_CASE("limits: attributes per tag and elements") {
  auto attrs = [](int n) {
    std::string s = "<p";
    for (int i = 0; i < n; ++i) s += " title=" + std::to_string(i);
    return s + ">x</p>";
  };
  auto elements = [](int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s += "<br>";
    return s;
  };
  ScanLimits limits;
  CHECK(ScanArticleSource(attrs(64)).ok());
  CHECK(ScanArticleSource(attrs(65)).message() ==
        "more than 64 attributes on <p>");
  CHECK(ScanArticleSource(elements(20000)).ok());
  CHECK(ScanArticleSource(elements(20001)).message() ==
        "the article has more than 20000 elements");
  limits.max_elements = 3;
  CHECK(!ScanArticleSource(elements(4), limits).ok());
  CHECK(CheckArticle("<p title=1 title=2>x</p>").ok());
}

// The worst 2 MiB inputs found, timed. Prints the numbers; the 200 ms
// target is a benchmark figure, not an assertion.
TEST_CASE("worst-case edit cost (prints times)") {
  constexpr size_t kSize = 2 << 20;
  auto fill = [](const std::string& head, const std::string& unit,
                 const std::string& tail) {
    std::string s = head;
    while (s.size() + unit.size() + tail.size() <= kSize) s += unit;
    return s + tail;
  };
  std::string nest100;
  for (int i = 0; i < 100; ++i) nest100 += "<div>";
  std::string close100;
  for (int i = 0; i < 100; ++i) close100 += "</div>";
  std::string attrs64 = "<span";
  for (int i = 0; i < 64; ++i) attrs64 += " a" + std::to_string(i) + "=1";
  attrs64 += ">x</span>";
  std::string attrs64_allowed = "<td";
  static const char* const kAllowed[] = {"id",      "class",  "title", "alt",
                                         "lang",    "dir",    "width", "height",
                                         "colspan", "rowspan"};
  for (int i = 0; i < 64; ++i)
    attrs64_allowed += std::string(" ") + kAllowed[i % 10] + "=1";
  attrs64_allowed += ">x</td>";
  std::string attrs64_one = "<span";
  for (int i = 0; i < 64; ++i) attrs64_one += " title=" + std::string(4, 'x');
  attrs64_one += ">x</span>";
  // 20,000 elements spread over 2 MiB, each with as much text as fits.
  auto spread = [&](const std::string& element, const std::string& head = "",
                    const std::string& tail = "") {
    std::string pad(kSize / 19000 - element.size(), 'y');
    return fill(head, element + pad, tail);
  };
  struct Input {
    const char* name;
    std::string html;
  };
  std::vector<Input> inputs = {
      {"2 MiB text", std::string(kSize, 'x')},
      {"nesting 350k deep (refused)", fill("", "<div>", "")},
      {"nesting 100 deep, 20k elements",
       fill("", nest100 + "x" + close100 + std::string(9800, 'z'), "")},
      {"40k attributes on one tag (refused)", fill("<p", " a=1", ">x</p>")},
      {"64 attributes x 5k tags", fill("", attrs64, "")},
      {"64 duplicate attributes x 5k tags", fill("", attrs64_one, "")},
      {"20k tiny tags + text", spread("<b>x</b>")},
      {"20k <p> implied ends", spread("<p>")},
      {"20k table cells", spread("<td>", "<table>", "</table>")},
      {"20k list items", spread("<li>", "<ul>", "</ul>")},
      {"many tiny tags (refused at 20k)", fill("", "<i></i>", "")},
      {"300k comments", fill("", "<!---->", "")},
      {"300k bogus comments", fill("", "<!x>", "")},
      {"2 MiB attribute value", fill("<p title=\"", "v", "\">x</p>")},
      {"2 MiB href", fill("<a href=\"https://e.example/", "v", "\">x</a>")},
      {"entity storm in text", fill("<p>", "&amp;", "</p>")},
      {"numeric entity storm in an href",
       fill("<a href=\"", "&#x61;", "\">x</a>")},
      {"unknown entity names", fill("<p>", "&zzzzzzzzzz;", "</p>")},
      {"one 2 MiB entity-like name", fill("<p>&", "a", "</p>")},
      {"2 MiB of '< '", fill("", "< ", "")},
      {"20k comments with text between", fill("", "<!---->x", "")},
      {"whitespace entities in a table",
       fill("<table>", "&#32;&Tab;&#x0a;", "</table>")},
      {"64 allowed attributes x 5k tags", fill("", attrs64_allowed, "")},
      {"2 MiB of '</'", fill("", "</", "")},
      {"2 MiB of '&'", std::string(kSize, '&')},
      {"unclosed comment at the end (refused)", fill("<!--", "-", "")},
      {"unclosed quote at the end (refused)", fill("<p title='", "x", "")},
  };
  double worst = 0;
  const char* worst_name = "";
  for (const Input& in : inputs) {
    auto start = std::chrono::steady_clock::now();
    Status s = CheckArticle(in.html);
    double ms = std::chrono::duration<double, std::milli>(
                    std::chrono::steady_clock::now() - start)
                    .count();
    std::printf("  %-42s %8zu bytes %8.1f ms  %s\n", in.name, in.html.size(),
                ms, s.ok() ? "accepted" : s.message().c_str());
    if (ms > worst) {
      worst = ms;
      worst_name = in.name;
    }
    CHECK(in.html.size() <= kSize);
  }
  std::printf("worst-case CheckArticle on 2 MiB: %.1f ms (%s)\n", worst,
              worst_name);
}

}  // namespace
}  // namespace wiki
