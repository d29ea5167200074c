// Table-driven tests for markup_policy: each row states the exact outcome
// (accepted, or refused with a message containing a given substring).
#include "markup_policy.h"

#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <vector>

namespace wiki {
namespace {

struct Utf8Case {
  const char* name;
  std::string input;
  bool valid;
  // Checks only this many leading bytes, so a truncated sequence is
  // followed in memory by its real continuation bytes: a decoder that reads
  // past the end of the view is caught even though std::string would
  // otherwise put a NUL there.
  size_t length = std::string::npos;
};

TEST_CASE("IsValidUtf8 accepts exactly well-formed UTF-8") {
  const std::string ascii16 = "0123456789abcdef";  // crosses the 8-byte path
  const std::vector<Utf8Case> cases = {
      {"empty", "", true},
      {"ascii", "Hello, world", true},
      {"nul byte is a valid code point", std::string("a\0b", 3), true},
      {"2-byte U+00E9", "caf\xc3\xa9", true},
      {"3-byte U+20AC", "\xe2\x82\xac", true},
      {"4-byte U+1F600", "\xf0\x9f\x98\x80", true},
      {"lowest 2-byte U+0080", "\xc2\x80", true},
      {"lowest 3-byte U+0800", "\xe0\xa0\x80", true},
      {"lowest 4-byte U+10000", "\xf0\x90\x80\x80", true},
      {"U+D7FF just below surrogates", "\xed\x9f\xbf", true},
      {"U+E000 just above surrogates", "\xee\x80\x80", true},
      {"U+FFFD", "\xef\xbf\xbd", true},
      {"U+10FFFF last code point", "\xf4\x8f\xbf\xbf", true},
      {"multibyte after long ascii", ascii16 + "\xe6\x9d\xb1\xe4\xba\xac",
       true},
      {"mixed scripts", "Z\xc3\xbcrich \xe2\x80\x94 \xe6\x9d\xb1\xe4\xba\xac",
       true},
      {"overlong 2-byte C0 AF ('/')", "\xc0\xaf", false},
      {"overlong 2-byte C1 BF", "\xc1\xbf", false},
      {"overlong 3-byte E0 80 AF", "\xe0\x80\xaf", false},
      {"overlong 3-byte E0 9F BF", "\xe0\x9f\xbf", false},
      {"overlong 4-byte F0 80 80 AF", "\xf0\x80\x80\xaf", false},
      {"overlong 4-byte F0 8F BF BF", "\xf0\x8f\xbf\xbf", false},
      {"surrogate U+D800", "\xed\xa0\x80", false},
      {"surrogate U+DFFF", "\xed\xbf\xbf", false},
      {"CESU-8 surrogate pair", "\xed\xa0\xbd\xed\xb8\x80", false},
      {"U+110000 above range", "\xf4\x90\x80\x80", false},
      {"F5 lead byte", "\xf5\x80\x80\x80", false},
      {"FE byte", "a\xfe", false},
      {"FF byte", "\xff", false},
      {"truncated 2-byte at end", "abc\xc3", false},
      {"truncated 3-byte at end", "\xe2\x82", false},
      {"truncated 4-byte at end", "\xf0\x9f\x98", false},
      {"2-byte cut inside a buffer", "\xc3\xa9", false, 1},
      {"3-byte cut inside a buffer", "\xe2\x82\xac", false, 2},
      {"4-byte cut inside a buffer", "\xf0\x9f\x98\x80", false, 3},
      {"whole buffer of the above", "\xf0\x9f\x98\x80", true, 4},
      {"truncated 3-byte before ascii",
       "\xe2\x82"
       "A",
       false},
      {"bad second continuation", "\xe2\x28\xa1", false},
      {"bad third continuation", "\xf0\x9f\x98\x41", false},
      {"stray continuation 80", "\x80", false},
      {"bad byte last in an 8-byte word", "abcdefg\xff", false},
      {"bad byte first in an 8-byte word",
       "\xff"
       "abcdefg",
       false},
      {"stray continuation after ascii", ascii16 + "\xbf", false},
      {"invalid after 8-byte fast path", ascii16 + "\xc0\x80" + ascii16, false},
  };
  for (const Utf8Case& c : cases) {
    INFO(c.name);
    CHECK(IsValidUtf8(std::string_view(c.input).substr(0, c.length)) ==
          c.valid);
  }
}

struct ArticleCase {
  const char* name;
  std::string html;
  bool ok;
  // For a refusal, a substring the message must contain.
  std::string message;
};

void CheckCases(const std::vector<ArticleCase>& cases) {
  for (const ArticleCase& c : cases) {
    INFO(c.name);
    Status s = CheckArticle(c.html);
    CAPTURE(s.ToString());
    CHECK(s.ok() == c.ok);
    if (c.ok) {
      CHECK(s.message().empty());
    } else {
      CHECK(s.code() == Status::Code::kUnprocessable);
      CHECK(s.message().find(c.message) != std::string::npos);
      CHECK(s.message().size() < 120);
    }
  }
}

const char kRealisticArticle[] = R"(<h2 id="history">History</h2>
<!-- editors: keep the infobox first -->
<p class="lead" lang="en" dir="ltr">The <b>Example Bridge</b> (<i>Pont
d'Exemple</i>) is a <a href="https://en.example.org/wiki/Arch_bridge">stone
arch bridge</a> built in 1820<sup id="cite-1"><a href="#note-1">[1]</a></sup>.
See also <a href="/wiki/Talk:Example_Bridge">the talk page</a>,
<a href="../other/Article">a relative link</a>, <a href="?action=history">the
history</a>, <a href="http://example.com/old">an old site</a> and
<a href="//cdn.example.org/x">a protocol-relative link</a>.
H<sub>2</sub>O, <em>em</em>, <strong>strong</strong>, <small>small</small>,
<code>code()</code>, <span title="a span">span</span>,
<abbr title="kilometre">km</abbr>, <cite>A Book</cite>, <q
cite="https://example.org/q">a quote</q>.<br>Line two.</p>
<hr>
<figure>
  <img src="https://upload.example.org/bridge.jpg" alt="The bridge"
       width="320" height="200">
  <figcaption>The bridge in 1900.</figcaption>
</figure>
<table class="wikitable">
  <caption>Spans</caption>
  <colgroup span="2"><col span="1" width="50"></colgroup>
  <thead><tr><th scope="col">Span</th><th scope="col" colspan="2">Length</th></tr></thead>
  <tbody><tr><td rowspan="2">Main</td><td>40 m</td><td>131 ft</td></tr>
  <tr><td colspan="2">n/a</td></tr></tbody>
  <tfoot><tr><th scope="row">Total</th><td>40 m</td><td>131 ft</td></tr></tfoot>
</table>
<blockquote cite="https://example.org/source"><p>A fine bridge.</p></blockquote>
<dl><dt>Length</dt><dd>40 m</dd></dl>
<ul><li>One</li><li>Two</li></ul>
<ol start="3" reversed><li>Three</li></ol>
<pre>  preformatted
  text</pre>
<div class="references"><ol><li id="note-1">Smith, 1999.</li></ol></div>
<h1>H1</h1><h3>H3</h3><h4>H4</h4><h5>H5</h5><h6>H6</h6>
)";

TEST_CASE("CheckArticle accepts the allowlist") {
  const std::string long_text(2 << 20, 'x');
  CheckCases({
      {"realistic article", kRealisticArticle, true, ""},
      {"plain text", "Just some text.", true, ""},
      {"unicode text", "<p>Z\xc3\xbcrich \xe2\x80\x94 \xe6\x9d\xb1</p>", true,
       ""},
      {"escaped markup is text", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>",
       true, ""},
      {"markup inside an attribute value", "<p title=\"<script>x</script>\">",
       true, ""},
      {"markup inside a comment", "<!-- <script>alert(1)</script> --><p>x</p>",
       true, ""},
      {"uppercase https scheme", "<a href=\"HTTPS://example.org/\">x</a>", true,
       ""},
      {"leading space before https", "<a href=\" https://example.org\">x</a>",
       true, ""},
      {"colon after the path starts", "<a href=\"/wiki/Help:Contents\">x</a>",
       true, ""},
      {"colon in the query", "<a href=\"?q=a:b\">x</a>", true, ""},
      {"colon in the fragment", "<a href=\"#a:b\">x</a>", true, ""},
      {"empty href", "<a href=\"\">x</a>", true, ""},
      {"anchor without href", "<a id=\"top\">x</a>", true, ""},
      {"img without src", "<img alt=\"placeholder\">", true, ""},
      {"uppercase tags and attributes",
       "<P CLASS=\"x\"><A HREF=\"/x\">y</A></P>", true, ""},
      {"parser-implied tbody and tr", "<table><td>x</td></table>", true, ""},
      {"six equals signs are not a marker", "<p>a</p>\n======\n", true, ""},
      {"indented marker is not a marker", "<pre>\n =======\n</pre>", true, ""},
      {"marker text mid-line", "<p>a ======= b <<<<<<< c</p>", true, ""},
      {"2 MiB of text", long_text, true, ""},
  });
}

TEST_CASE("CheckArticle refuses elements off the allowlist") {
  const std::string long_name(200, 'z');
  CheckCases({
      {"script", "<p>x</p><script>alert(1)</script>", false,
       "element <script> is not allowed"},
      {"SCRIPT uppercase", "<SCRIPT>alert(1)</SCRIPT>", false,
       "element <script> is not allowed"},
      {"script inside allowed elements",
       "<div><p><b><script src=\"https://x/a.js\"></script></b></p></div>",
       false, "element <script> is not allowed"},
      {"iframe", "<iframe src=\"https://example.org\"></iframe>", false,
       "element <iframe> is not allowed"},
      {"object", "<object data=\"x.swf\"></object>", false,
       "element <object> is not allowed"},
      {"embed", "<embed src=\"x.swf\">", false,
       "element <embed> is not allowed"},
      {"frameset and frame", "<frameset><frame src=\"x\"></frameset>", false,
       "element <frameset> is not allowed"},
      {"form", "<form action=\"/x\"><p>x</p></form>", false,
       "element <form> is not allowed"},
      {"input", "<p>x <input name=\"q\"></p>", false,
       "element <input> is not allowed"},
      {"button", "<button>x</button>", false,
       "element <button> is not allowed"},
      {"textarea", "<textarea>x</textarea>", false,
       "element <textarea> is not allowed"},
      {"select", "<select><option>x</select>", false,
       "element <select> is not allowed"},
      {"meta refresh first",
       "<meta http-equiv=\"refresh\" content=\"0;url=x\">", false,
       "element <meta> is not allowed"},
      {"meta refresh in body",
       "<p>x</p><meta http-equiv=\"refresh\" content=\"0;url=x\">", false,
       "element <meta> is not allowed"},
      {"base", "<base href=\"https://evil.example/\"><p>x</p>", false,
       "element <base> is not allowed"},
      {"link", "<link rel=\"stylesheet\" href=\"https://x/a.css\">", false,
       "element <link> is not allowed"},
      {"style element", "<style>body{display:none}</style><p>x</p>", false,
       "element <style> is not allowed"},
      {"title", "<title>x</title>", false, "element <title> is not allowed"},
      {"noscript", "<noscript><p>x</p></noscript>", false,
       "element <noscript> is not allowed"},
      {"frame outside a frameset (dropped by the parser)",
       "<p>x</p><frame src=\"https://e.example/\">", false,
       "element <frame> is not allowed"},
      {"stray closing body tag", "<p>x</p></BODY><p>y</p>", false, "body"},
      {"svg", "<svg><script>alert(1)</script></svg>", false,
       "element <svg> is not allowed"},
      {"math", "<math><mi>x</mi></math>", false,
       "element <math> is not allowed"},
      {"audio", "<audio src=\"https://x/a.ogg\"></audio>", false,
       "element <audio> is not allowed"},
      {"video", "<video src=\"https://x/a.webm\"></video>", false,
       "element <video> is not allowed"},
      {"template", "<template><p>x</p></template>", false,
       "element <template> is not allowed"},
      {"custom element", "<my-widget>x</my-widget>", false,
       "element <my-widget> is not allowed"},
      {"unknown tag is lowercased", "<Foo-Bar>x</Foo-Bar>", false,
       "element <foo-bar> is not allowed"},
      {"long unknown tag is cut", "<" + long_name + ">x", false,
       "element <" + std::string(40, 'z') + "...> is not allowed"},
      {"explicit html and body", "<html><body><p>x</p></body></html>", false,
       "element <html> is not allowed"},
      {"explicit body", "<body><p>x</p>", false,
       "element <body> is not allowed"},
      {"explicit head", "<head></head><p>x</p>", false,
       "element <head> is not allowed"},
      {"closing body", "<p>x</p></body>", false,
       "element <body> is not allowed"},
      {"stray body merges onload onto the page body",
       "<p>x</p><body onload=\"alert(1)\">", false,
       "element <body> is not allowed"},
      {"stray html merges attributes onto the page root",
       "<p>x</p><html onmouseover=\"alert(1)\">", false,
       "element <html> is not allowed"},
  });
}

TEST_CASE("CheckArticle refuses attributes off the allowlist") {
  const std::string long_attr(100, 'k');
  CheckCases({
      {"onclick", "<p onclick=\"alert(1)\">x</p>", false,
       "attribute onclick on <p> is not allowed"},
      {"onerror on img", "<img src=\"https://x/a.png\" onerror=\"alert(1)\">",
       false, "attribute onerror on <img> is not allowed"},
      {"ONLOAD uppercase", "<div ONLOAD=\"alert(1)\">x</div>", false,
       "attribute onload on <div> is not allowed"},
      {"handler after allowed attributes",
       "<a href=\"/x\" title=\"t\" onmouseover=\"alert(1)\">x</a>", false,
       "attribute onmouseover on <a> is not allowed"},
      {"style attribute", "<p style=\"color:red\">x</p>", false,
       "attribute style on <p> is not allowed"},
      {"handler on th", "<table><tr><th onclick=\"x()\">x</th></tr></table>",
       false, "attribute onclick on <th> is not allowed"},
      {"target on a", "<a href=\"/x\" target=\"_blank\">x</a>", false,
       "attribute target on <a> is not allowed"},
      {"href on a non-link", "<p href=\"/x\">x</p>", false,
       "attribute href on <p> is not allowed"},
      {"srcset on img", "<img srcset=\"https://x/a.png 2x\">", false,
       "attribute srcset on <img> is not allowed"},
      {"scope on td", "<table><tr><td scope=\"col\">x</td></tr></table>", false,
       "attribute scope on <td> is not allowed"},
      {"long attribute name is cut", "<p " + long_attr + "=1>x</p>", false,
       "attribute " + std::string(40, 'k') + "... on <p> is not allowed"},
  });
}

TEST_CASE("CheckArticle refuses URLs outside the allowed schemes") {
  CheckCases({
      {"javascript mixed case", "<a href=\"JaVaScRiPt:alert(1)\">x</a>", false,
       "URL scheme javascript: in href on <a> is not allowed"},
      {"javascript with leading spaces",
       "<a href=\"  javascript:alert(1)\">x</a>", false,
       "URL scheme javascript: in href on <a> is not allowed"},
      {"tab entity inside scheme",
       "<a href=\"jav&#x09;ascript:alert(1)\">x</a>", false,
       "URL scheme javascript: in href on <a> is not allowed"},
      {"literal tab inside scheme", "<a href=\"jav\tascript:alert(1)\">x</a>",
       false, "URL scheme javascript: in href on <a> is not allowed"},
      {"literal newline inside scheme",
       "<a href=\"java\nscript:alert(1)\">x</a>", false,
       "URL scheme javascript: in href on <a> is not allowed"},
      {"control character inside scheme",
       "<a href=\"java\x01script:alert(1)\">x</a>", false,
       "control character U+0001 at byte 13"},
      {"decimal entity first letter",
       "<a href=\"&#106;avascript:alert(1)\">x</a>", false,
       "URL scheme javascript: in href on <a> is not allowed"},
      {"hex entities and &colon;",
       "<a href=\"&#x6A;&#x61;vascript&colon;alert(1)\">x</a>", false,
       "URL scheme javascript: in href on <a> is not allowed"},
      {"unquoted value", "<a href=javascript:alert(1)>x</a>", false,
       "URL scheme javascript: in href on <a> is not allowed"},
      {"vbscript", "<a href=\"vbscript:msgbox(1)\">x</a>", false,
       "URL scheme vbscript: in href on <a> is not allowed"},
      {"data in href",
       "<a href=\"data:text/html,<script>alert(1)</script>\">x</a>", false,
       "URL scheme data: in href on <a> is not allowed"},
      {"file", "<a href=\"file:///etc/passwd\">x</a>", false,
       "URL scheme file: in href on <a> is not allowed"},
      {"mailto is refused", "<a href=\"mailto:someone@example.org\">x</a>",
       false, "URL scheme mailto: in href on <a> is not allowed"},
      {"wiki-style relative title with a colon", "<a href=\"Talk:Page\">x</a>",
       false, "URL scheme talk: in href on <a> is not allowed"},
      {"javascript in blockquote cite",
       "<blockquote cite=\"javascript:alert(1)\">x</blockquote>", false,
       "URL scheme javascript: in cite on <blockquote> is not allowed"},
      {"data in q cite", "<q cite=\"data:text/plain,x\">x</q>", false,
       "URL scheme data: in cite on <q> is not allowed"},
      {"data in img src", "<img src=\"data:image/png;base64,iVBORw0KGgo=\">",
       false, "image src must be an https URL"},
      {"http img src", "<img src=\"http://example.org/a.png\">", false,
       "image src must be an https URL"},
      {"protocol-relative img src", "<img src=\"//example.org/a.png\">", false,
       "image src must be an https URL"},
      {"relative img src", "<img src=\"/images/a.png\">", false,
       "image src must be an https URL"},
      {"javascript img src", "<img src=\"javascript:alert(1)\">", false,
       "image src must be an https URL"},
      {"empty img src", "<img src=\"\">", false,
       "image src must be an https URL"},
  });
}

TEST_CASE("CheckArticle checks encoding, emptiness and markers first") {
  CheckCases({
      {"invalid UTF-8", "<p>caf\xc3</p>", false, "not valid UTF-8"},
      {"overlong UTF-8", "<p>\xc0\xbcscript\xc0\xbe</p>", false,
       "not valid UTF-8"},
      {"UTF-8 is checked before markup", "<script>\xff</script>", false,
       "not valid UTF-8"},
      {"empty", "", false, "the article is empty"},
      {"spaces only", "   ", false, "the article is empty"},
      {"all ASCII whitespace", " \t\r\n\f \n", false, "the article is empty"},
      {"git conflict block",
       "<<<<<<< HEAD\n<p>a</p>\n=======\n<p>b</p>\n>>>>>>> branch\n", false,
       "unresolved merge conflict marker"},
      {"ours marker at the very start", "<<<<<<< HEAD\n<p>a</p>", false,
       "unresolved merge conflict marker"},
      {"separator line", "<p>a</p>\n=======\n<p>b</p>", false,
       "unresolved merge conflict marker"},
      {"theirs marker at the very end", "<p>a</p>\n>>>>>>> 1a2b3c", false,
       "unresolved merge conflict marker"},
      {"separator after CRLF", "<p>a</p>\r\n=======\r\n<p>b</p>", false,
       "unresolved merge conflict marker"},
      {"separator after a bare CR", "<p>a</p>\r=======\r<p>b</p>", false,
       "unresolved merge conflict marker"},
      {"longer run of equals", "<p>a</p>\n==========\n", false,
       "unresolved merge conflict marker"},
      {"markers are checked before markup", "<script>\n=======\n</script>",
       false, "unresolved merge conflict marker"},
  });
}

TEST_CASE("CheckArticle caps nesting before parsing") {
  auto nested = [](int depth) {
    std::string s;
    for (int i = 0; i < depth; ++i) s += "<span>";
    s += "x";
    for (int i = 0; i < depth; ++i) s += "</span>";
    return s;
  };
  std::string deeper;
  for (int i = 0; i < 350000; ++i) deeper += "<span>";
  CheckCases({
      {"100 nested spans", nested(100), true, ""},
      {"refusal at the bottom", nested(99) + "<b onclick=x>x</b>", false,
       "attribute onclick on <b> is not allowed"},
      {"101 nested spans", nested(101), false,
       "the article nests elements more than 100 deep"},
      {"350000 nested spans", deeper, false, "more than 100 deep"},
  });
}

}  // namespace
}  // namespace wiki
