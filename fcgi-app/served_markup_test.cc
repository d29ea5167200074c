// The differential test of issue 8, item 1: generated markup -> whenever
// CheckArticle accepts, every page embedding it holds the served-markup rule
// (served_markup.h). Also checks that the oracle itself catches what it
// must.
#include "served_markup.h"

#include <doctest/doctest.h>

#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "diff_view.h"
#include "markup_policy.h"
#include "render.h"
#include "text_diff.h"

namespace wiki {
namespace {

// A random article: nesting of allowed and forbidden tags, attributes with
// every quoting style, URLs with entity-encoded and split schemes,
// comments and declarations, stray end tags, odd characters.
class Generator {
 public:
  explicit Generator(uint32_t seed) : rng_(seed) {}

  std::string Article() {
    std::string out;
    std::vector<std::string> open;
    int steps = 1 + Pick(40);
    for (int i = 0; i < steps; ++i) Step(&out, &open);
    // Usually close what is open, so that many articles are accepted.
    if (Pick(4) != 0) {
      while (!open.empty()) {
        out += "</" + open.back() + ">";
        open.pop_back();
      }
    }
    return out;
  }

 private:
  int Pick(int n) {
    return static_cast<int>(rng_() % static_cast<uint32_t>(n));
  }
  template <size_t N>
  const char* OneOf(const char* const (&list)[N]) {
    return list[Pick(static_cast<int>(N))];
  }

  std::string Attribute() {
    static const char* const kNames[] = {
        "id",      "class", "title", "href",  "src",     "cite",
        "onerror", "style", "alt",   "width", "colspan", "start",
        "onclick", "=x",    "lang",  "ID",    "HREF",    "x\"y"};
    static const char* const kValues[] = {"https://e.example/a.png",
                                          "http://e.example/",
                                          "/wiki/X",
                                          "#frag",
                                          "jav&#x61;script:alert(1)",
                                          "&#106;avascript:alert(1)",
                                          "java\tscript:alert(1)",
                                          "java&#x0A;script:x",
                                          "javascript&colon;alert(1)",
                                          "data:text/html,x",
                                          " JAVASCRIPT:x",
                                          "a b:c",
                                          "//e.example/x",
                                          "firstHeading",
                                          "mw-content-text",
                                          "footer",
                                          "wpSave",
                                          "x>y",
                                          "x<y",
                                          "a'b",
                                          "a\"b",
                                          "&quot;><script>x</script>",
                                          "",
                                          "vbscript:x",
                                          "https&#58;//e.example/",
                                          "mailto:a@b"};
    std::string name = OneOf(kNames);
    std::string value = OneOf(kValues);
    switch (Pick(6)) {
      case 0:
        return " " + name;
      case 1:
        return " " + name + "=" + value;  // unquoted, may be broken
      case 2:
        return " " + name + "='" + value + "'";
      case 3:
        return " " + name + "=\"" + value;  // unterminated
      default:
        return " " + name + "=\"" + value + "\"";
    }
  }

  void Step(std::string* out, std::vector<std::string>* open) {
    static const char* const kAllowed[] = {
        "p",     "div",     "span",   "b",          "i",     "a",
        "table", "tr",      "td",     "th",         "ul",    "ol",
        "li",    "dl",      "dt",     "dd",         "em",    "strong",
        "code",  "pre",     "h2",     "blockquote", "q",     "sup",
        "tbody", "caption", "figure", "figcaption", "small", "cite"};
    static const char* const kVoid[] = {"br", "hr", "img", "col"};
    static const char* const kForbidden[] = {
        "script",   "style", "meta",  "iframe", "svg",       "math",
        "textarea", "title", "body",  "html",   "noscript",  "xmp",
        "form",     "input", "frame", "base",   "plaintext", "template",
        "select",   "head",  "main",  "footer", "object",    "image"};
    static const char* const kText[] = {
        "text", " ",        "\n",   "&lt;",   "&amp;",  "&",   "<",   "</",
        "</>",  "a < b",    "\r\n", "\t",     "&#x3c;", "'",   "\"",  ">",
        "=",    "\xc3\xa9", "&#0;", "&nbsp;", "--",     "-->", "]]>", "\x01"};
    static const char* const kMarkup[] = {
        "<!-- c -->",    "<!-->",      "<!--->",
        "<!--",          "--!>",       "<!x>",
        "<?p?>",         "</ x>",      "<!DOCTYPE html>",
        "<![CDATA[x]]>", "<!-- a --!>"};
    switch (Pick(10)) {
      case 0:
      case 1:
      case 2: {
        std::string tag = OneOf(kAllowed);
        *out += "<" + tag;
        for (int n = Pick(3); n > 0; --n) *out += Attribute();
        *out += Pick(10) == 0 ? "/>" : ">";
        open->push_back(tag);
        break;
      }
      case 3:
        if (!open->empty()) {
          *out += "</" + open->back() + ">";
          open->pop_back();
        }
        break;
      case 4: {
        *out += "<" + std::string(OneOf(kVoid));
        if (Pick(2)) *out += Attribute();
        *out += ">";
        break;
      }
      case 5:
        if (Pick(3) == 0) {
          std::string tag = OneOf(kForbidden);
          *out += "<" + tag + (Pick(2) ? Attribute() : "") + ">x</" + tag + ">";
        } else {
          *out += "</" + std::string(Pick(2) ? OneOf(kAllowed) : OneOf(kVoid)) +
                  ">";
        }
        break;
      case 6:
        *out += OneOf(kMarkup);
        break;
      default:
        *out += OneOf(kText);
        break;
    }
  }

  std::mt19937 rng_;
};

TEST_CASE("the oracle catches what escapes the container") {
  // Fed straight to the oracle, bypassing CheckArticle.
  CHECK(CheckArticleAsServed("<p>fine</p>").ok());
  CHECK(!CheckArticleAsServed("<p>x</p><img src=x onerror=alert(1)").ok());
  CHECK(!CheckArticleAsServed("<p title=\"x").ok());
  CHECK(!CheckArticleAsServed("<!-- open").ok());
  CHECK(!CheckArticleAsServed("<div>x").ok());
  CHECK(!CheckArticleAsServed("</div><p>x</p>").ok());
  CHECK(!CheckArticleAsServed("<a href=\"jav&#x61;script:x\">y</a>").ok());
  CHECK(!CheckArticleAsServed("<img src=\"http://e.example/a.png\">").ok());
  CHECK(!CheckArticleAsServed("<p style=\"position:fixed\">x</p>").ok());
  CHECK(!CheckArticleAsServed("<h2 id=\"footer\">x</h2>").ok());
  CHECK(!CheckArticleAsServed("<meta http-equiv=refresh content=0>").ok());
  CHECK(!CheckArticleAsServed("<p>x</p></body><body onload=x>").ok());
}

TEST_CASE("the oracle catches live markup in a diff page") {
  const std::string title = "Latest_plane_crash";
  Revision a, b;
  a.meta.id = 1;
  b.meta.id = 2;
  a.text = "<p>old</p>\n";
  b.text = "<p>new <b>x</b></p>\n";
  auto diff = DiffTexts(a.text, b.text);
  REQUIRE(diff.ok());
  const std::string page = RenderDiffPage(title, &a, b, 2, *diff);
  auto served = [&](std::string html, std::string old_text,
                    std::string new_text) {
    ServedPage p;
    p.name = "diff";
    p.html = std::move(html);
    p.reference = page;
    p.has_diff = true;
    p.diff_old = std::move(old_text);
    p.diff_new = std::move(new_text);
    return CheckServedPage(p);
  };
  CHECK(served(page, a.text, b.text).ok());
  // The same page with one piece unescaped, or a side misread.
  std::string live = page;
  live.replace(live.find("&lt;b&gt;"), 9, "<b>");
  CHECK(!served(live, a.text, b.text).ok());
  std::string attr = page;
  attr.replace(attr.find("<ins>"), 5, "<ins class=\"x\">");
  CHECK(!served(attr, a.text, b.text).ok());
  CHECK(!served(page, a.text, a.text).ok());
  CHECK(!served(page, b.text, b.text).ok());
  std::string escaped = page;
  escaped.replace(escaped.find("</pre>"), 6, "</pre><p>x</p>");
  CHECK(!served(escaped, a.text, b.text).ok());
}

TEST_CASE("differential: whatever CheckArticle accepts is served as checked") {
  Generator gen(20261201);
  int accepted = 0, refused = 0;
  auto check = [&](const std::string& article) {
    if (!CheckArticle(article).ok()) {
      ++refused;
      return;
    }
    ++accepted;
    Status served = CheckArticleAsServed(article);
    if (!served.ok()) {
      INFO("article: " << article);
      FAIL_CHECK(served.ToString());
    }
  };
  std::vector<std::string> samples;
  for (int i = 0; i < 5000; ++i) {
    std::string article = gen.Article();
    check(article);
    if (i % 250 == 0) samples.push_back(article);
  }
  // Truncation at every position: the attack of an open last tag.
  samples.push_back(
      "<p title='a>b' class=c>x <a href=\"/w\">y</a><!-- c --></p>"
      "<img src=\"https://e.example/a.png\" alt=\"a\"><div><b>z</b></div>");
  for (const std::string& s : samples) {
    for (size_t n = 1; n <= s.size(); ++n) check(s.substr(0, n));
  }
  std::printf("differential: %d accepted, %d refused\n", accepted, refused);
  CHECK(accepted > 400);
  CHECK(refused > 500);
}

}  // namespace
}  // namespace wiki
