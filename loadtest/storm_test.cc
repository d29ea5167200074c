// Unit tests of the editor storm's marker insertion (no server needed).
#include "storm.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace wiki {
namespace {

constexpr char kMarker[] = "stormabcdefE1N2x";

// The article with the one "marker " removed, and where it was; npos if
// the marker is not there exactly once.
size_t RemoveMarker(std::string& text) {
  const std::string inserted = std::string(kMarker) + " ";
  size_t at = text.find(inserted);
  if (at == std::string::npos ||
      text.find(kMarker, at + 1) != std::string::npos) {
    return std::string::npos;
  }
  text.erase(at, inserted.size());
  return at;
}

// True if offset `at` of `html` is inside a tag (between '<' and '>').
bool InsideTag(const std::string& html, size_t at) {
  size_t open = html.rfind('<', at == 0 ? 0 : at - 1);
  if (open == std::string::npos || at == 0) return false;
  size_t close = html.find('>', open);
  return close != std::string::npos && close >= at;
}

std::string LineAt(const std::string& text, size_t at) {
  size_t begin = text.rfind('\n', at == 0 ? 0 : at - 1);
  begin = (begin == std::string::npos || at == 0) ? 0 : begin + 1;
  size_t end = text.find('\n', at);
  return text.substr(begin, end == std::string::npos ? end : end - begin);
}

// Inserts many times and checks every result: the marker is a word of its
// own in a <p> line, not in a tag, and the rest of the article is intact.
// Returns the distinct offsets seen.
std::vector<size_t> CheckMany(const std::string& article, int rounds = 400) {
  Rng rng(42);
  std::vector<size_t> seen;
  for (int i = 0; i < rounds; ++i) {
    Result<std::string> edited = InsertMarker(article, kMarker, rng);
    REQUIRE(edited.ok());
    std::string text = *edited;
    size_t at = RemoveMarker(text);
    REQUIRE(at != std::string::npos);
    CHECK(text == article);  // only the marker and its space were added
    CHECK_FALSE(InsideTag(article, at));
    std::string line = LineAt(*edited, at);
    CHECK((line.find("<p") != std::string::npos ||
           line.find("<P") != std::string::npos));
    // Its own word: nothing but whitespace or a tag right before it in the
    // rendered text, so it cannot be glued to the previous word.
    if (at > 0) {
      char before = article[at - 1];
      CHECK((before == ' ' || before == '>' || before == '\t'));
    }
    if (std::find(seen.begin(), seen.end(), at) == seen.end()) {
      seen.push_back(at);
    }
  }
  std::sort(seen.begin(), seen.end());
  return seen;
}

TEST_CASE("InsertMarker puts the marker between words of a plain paragraph") {
  const std::string article = "<p>one two three</p>";
  std::vector<size_t> seen = CheckMany(article);
  // Before "one", "two" and "three"; never after "three" (that would glue
  // it to the word) nor inside a word.
  CHECK(seen == std::vector<size_t>{3, 7, 11});
  CHECK(WordPositions(article) == std::vector<std::vector<size_t>>{{3, 7, 11}});
}

TEST_CASE("InsertMarker only edits <p> lines and leaves the others alone") {
  const std::string article =
      "<h2>Heading words here</h2>\n"
      "<p>First paragraph.</p>\n"
      "<ul>\n<li>item words</li>\n</ul>\n"
      "<pre>pre is not p</pre>\n"
      "<p class=\"lead\">Second one.</p>\n";
  std::vector<size_t> seen = CheckMany(article);
  for (size_t at : seen) {
    std::string line = LineAt(article, at);
    CHECK((line.rfind("<p>", 0) == 0 || line.rfind("<p class", 0) == 0));
  }
  // Both paragraphs are chosen over enough rounds.
  CHECK(WordPositions(article).size() == 2);
  size_t second = article.find("Second");
  CHECK(std::find(seen.begin(), seen.end(), second) != seen.end());
  CHECK(std::find(seen.begin(), seen.end(), article.find("First")) !=
        seen.end());
}

TEST_CASE("InsertMarker handles inline tags with attributes") {
  const std::string article =
      "<p>See <a href=\"https://example.org/a b?x=1>2\" title='t > u'>link "
      "text</a> and <b>bold</b>face here.</p>";
  std::vector<size_t> seen = CheckMany(article, 1000);
  std::vector<std::vector<size_t>> positions = WordPositions(article);
  REQUIRE(positions.size() == 1);
  CHECK(seen == positions[0]);
  for (size_t at : positions[0]) {
    CHECK_FALSE(InsideTag(article, at));
  }
  auto has = [&](const std::string& needle) {
    size_t at = article.find(needle);
    REQUIRE(at != std::string::npos);
    return std::find(seen.begin(), seen.end(), at) != seen.end();
  };
  CHECK(has("See"));
  CHECK(has("<a href"));  // before the link
  CHECK(has("link"));     // first word of the link text
  CHECK(has("text</a>"));
  CHECK(has("and"));
  CHECK(has("<b>bold"));
  CHECK(has("bold"));
  // "face" follows "</b>" with no space: a marker there would render as
  // "boldstorm...", so it is not a word position.
  CHECK_FALSE(has("face"));
  CHECK(has("here."));
  // Nothing inside the quoted '>' of the href or title.
  CHECK_FALSE(has("2\""));
  CHECK_FALSE(has("u'"));
}

TEST_CASE("InsertMarker edge cases") {
  Rng rng(7);
  SUBCASE("no paragraph") {
    Result<std::string> r = InsertMarker("<h1>Title</h1>\n", kMarker, rng);
    CHECK_FALSE(r.ok());
    CHECK(r.status().code() == Status::Code::kInvalidArgument);
  }
  SUBCASE("marker must be one word") {
    CHECK_FALSE(InsertMarker("<p>a</p>", "two words", rng).ok());
    CHECK_FALSE(InsertMarker("<p>a</p>", "", rng).ok());
    CHECK_FALSE(InsertMarker("<p>a</p>", "<b>", rng).ok());
  }
  SUBCASE("empty paragraph") {
    Result<std::string> r = InsertMarker("<p></p>", kMarker, rng);
    REQUIRE(r.ok());
    CHECK(*r == std::string("<p>") + kMarker + " </p>");
  }
  SUBCASE("indented, CRLF and uppercase") {
    const std::string article = "  <P>Alpha beta</P>\r\n<p>gamma</p>\r\n";
    std::vector<size_t> seen = CheckMany(article);
    CHECK(seen == std::vector<size_t>{article.find("Alpha"),
                                      article.find("beta"),
                                      article.find("gamma")});
  }
  SUBCASE("only the first paragraph of a line with two") {
    const std::string article = "<p>a b</p><p>c</p>";
    CHECK(WordPositions(article) == std::vector<std::vector<size_t>>{{3, 5}});
  }
  SUBCASE("comments and entities") {
    const std::string article = "<p>x <!-- a > b --> AT&amp;T y</p>";
    std::vector<size_t> seen = CheckMany(article);
    // The comment counts as a tag: a marker may go before it, not in it.
    CHECK(seen == std::vector<size_t>{3, article.find("<!--"),
                                      article.find("AT&amp;T"),
                                      article.find("y</p>")});
  }
  SUBCASE("unclosed tag ends the positions") {
    const std::string article = "<p>a <b class=\"x</p>";
    CHECK(WordPositions(article) == std::vector<std::vector<size_t>>{{3, 5}});
  }
  SUBCASE("bytes after the paragraph, NULs and UTF-8 survive") {
    const char raw[] = "<p>caf\xc3\xa9 na\0ve</p>\n<p>x</p>";
    const std::string article(raw, sizeof(raw) - 1);
    REQUIRE(article.size() == 27);
    std::vector<size_t> seen = CheckMany(article);
    CHECK(seen.size() == 3);  // "café", "na\0ve", "x"
  }
}

TEST_CASE("InsertMarker is reproducible for a seed") {
  const std::string article = "<p>a b c d e f g</p>\n<p>h i j</p>\n";
  Rng one(123);
  Rng two(123);
  for (int i = 0; i < 20; ++i) {
    CHECK(*InsertMarker(article, kMarker, one) ==
          *InsertMarker(article, kMarker, two));
  }
}

}  // namespace
}  // namespace wiki
