// Tests for text_diff: a table of small diffs with exact expectations (in
// wdiff notation: [-removed-]{+added+}), properties over generated edits
// (each side rebuilt byte for byte from the ops), and the token budget.
#include "text_diff.h"

#include <doctest/doctest.h>

#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

namespace wiki {
namespace {

std::string Notation(const TextDiff& d) {
  std::string out;
  for (const DiffOp& op : d.ops) {
    switch (op.kind) {
      case DiffOp::Kind::kSame:
        out += op.text;
        break;
      case DiffOp::Kind::kDel:
        out += "[-" + std::string(op.text) + "-]";
        break;
      case DiffOp::Kind::kIns:
        out += "{+" + std::string(op.text) + "+}";
        break;
    }
  }
  return out;
}

// The invariants of text_diff.h, for any pair of texts.
void CheckInvariants(const TextDiff& d, const std::string& old_text,
                     const std::string& new_text) {
  CHECK(OldSide(d) == old_text);
  CHECK(NewSide(d) == new_text);
  for (size_t i = 1; i < d.ops.size(); ++i) {
    CHECK(d.ops[i].kind != d.ops[i - 1].kind);
    // A change reads as "removed, then added".
    CHECK(!(d.ops[i - 1].kind == DiffOp::Kind::kIns &&
            d.ops[i].kind == DiffOp::Kind::kDel));
  }
  for (const DiffOp& op : d.ops) CHECK(!op.text.empty());
}

struct Row {
  const char* name;
  std::string old_text, new_text;
  std::string want;  // wdiff notation
  bool word_level = true;
  size_t budget = kMaxWordDiffTokens;
};

TEST_CASE("text diff: table") {
  const std::vector<Row> rows = {
      {"identical", "a b\n", "a b\n", "a b\n"},
      {"both empty", "", "", ""},
      {"one word", "The 118 people died.\n", "The 119 people died.\n",
       "The [-118-]{+119+} people died.\n"},
      {"punctuation stays with its word", "3.5 m high\n", "3.6 m high\n",
       "[-3.5-]{+3.6+} m high\n"},
      {"a tag is one token", "<p>a</p>\n", "<p class=\"x\">a</p>\n",
       "[-<p>-]{+<p class=\"x\">+}a</p>\n"},
      {"a quoted > stays inside its tag", "<a title=\"x>y\" href=\"/a\">l</a>",
       "<a title=\"x>z\" href=\"/a\">l</a>",
       "[-<a title=\"x>y\" href=\"/a\">-]{+<a title=\"x>z\" "
       "href=\"/a\">+}l</a>"},
      {"line added", "a\nb\n", "a\nx\nb\n", "a\n{+x\n+}b\n"},
      {"line removed", "a\nx\nb\n", "a\nb\n", "a\n[-x\n-]b\n"},
      {"final newline added", "a b", "a b\n", "a b{+\n+}"},
      {"final newline removed", "a b\n", "a b", "a b[-\n-]"},
      {"from nothing", "", "x y\n", "{+x y\n+}"},
      {"to nothing", "x y\n", "", "[-x y\n-]"},
      {"CRLF kept", "a b\r\nc\r\n", "a z\r\nc\r\n", "a [-b-]{+z+}\r\nc\r\n"},
      {"whitespace run", "a b\n", "a  b\n", "a[- -]{+  +}b\n"},
      {"NUL byte is text", std::string("a\0b c\n", 6),
       std::string("a\0b d\n", 6), std::string("a\0b [-c-]{+d+}\n", 15)},
      {"changes in two lines", "a b\nsame\nc d\n", "a x\nsame\ny d\n",
       "a [-b-]{+x+}\nsame\n[-c-]{+y+} d\n"},
      {"over the budget: whole lines", "a b\nsame\n", "a c\nsame\n",
       "[-a b\n-]{+a c\n+}same\n", false, 3},
      {"the budget counts both sides", "a b\nm\nc d\n", "a x\nm\nc y\n",
       "a [-b-]{+x+}\nm\n[-c d\n-]{+c y\n+}", false, 8},
  };
  for (const Row& r : rows) {
    CAPTURE(std::string(r.name));
    auto d = DiffTexts(r.old_text, r.new_text, r.budget);
    REQUIRE(d.ok());
    CHECK(Notation(*d) == r.want);
    CHECK(d->word_level == r.word_level);
    CheckInvariants(*d, r.old_text, r.new_text);
  }
}

// Random articles over a small vocabulary (so that tokens repeat, which is
// where a diff can go wrong), edited at random: words replaced, inserted
// and deleted, lines split and joined.
TEST_CASE("text diff: both sides are rebuilt from every generated diff") {
  std::mt19937 rng(20261201);
  const std::vector<std::string> vocab = {"a",
                                          "b",
                                          "the",
                                          "<p>",
                                          "</p>",
                                          " ",
                                          "  ",
                                          "\n",
                                          "\r\n",
                                          "\t",
                                          "<a href=\"/x\">",
                                          "</a>",
                                          "3.5",
                                          "&amp;",
                                          "\xc3\xa9",
                                          "<!-- c -->"};
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  int word_level = 0;
  for (int round = 0; round < 400; ++round) {
    std::vector<std::string> tokens;
    const size_t n = pick(200);
    for (size_t i = 0; i < n; ++i) tokens.push_back(vocab[pick(vocab.size())]);
    std::vector<std::string> edited = tokens;
    for (int e = static_cast<int>(pick(8)); e > 0; --e) {
      const size_t at = edited.empty() ? 0 : pick(edited.size() + 1);
      switch (pick(3)) {
        case 0:
          edited.insert(edited.begin() + static_cast<long>(at),
                        vocab[pick(vocab.size())]);
          break;
        case 1:
          if (at < edited.size())
            edited.erase(edited.begin() + static_cast<long>(at));
          break;
        default:
          if (at < edited.size()) edited[at] = vocab[pick(vocab.size())];
      }
    }
    std::string old_text, new_text;
    for (const std::string& t : tokens) old_text += t;
    for (const std::string& t : edited) new_text += t;
    CAPTURE(old_text);
    CAPTURE(new_text);
    auto d = DiffTexts(old_text, new_text);
    REQUIRE(d.ok());
    CheckInvariants(*d, old_text, new_text);
    if (d->word_level) ++word_level;
  }
  CHECK(word_level == 400);
}

std::string Paragraphs(size_t n, bool newlines) {
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    out += "<p>Paragraph " + std::to_string(i) +
           " of the article, with <a href=\"/wiki/X\">a link</a> and 3.5 "
           "figures.</p>";
    if (newlines) out += '\n';
  }
  return out;
}

TEST_CASE("text diff: 2 MiB articles stay within the budget") {
  using Clock = std::chrono::steady_clock;
  struct Case {
    const char* name;
    std::string old_text, new_text;
    bool word_level;
  };
  const std::string lines = Paragraphs(22000, true);  // ~2 MiB, one per line
  const std::string one_line = Paragraphs(22000, false);
  std::string lines_edited = lines;
  lines_edited.replace(lines.size() / 2, 9, "CHANGED");
  std::string one_line_edited = one_line;
  one_line_edited.replace(one_line.size() / 2, 9, "CHANGED");
  // Lines whose number ends in `digits` changed: 2,200 or 220 regions.
  auto every = [&lines](const std::string& digits) {
    std::string out = lines;
    const std::string from = digits + " of the", to = digits + " in the";
    for (size_t at = out.find(from); at != std::string::npos;
         at = out.find(from, at + 1)) {
      out.replace(at, from.size(), to);
    }
    return out;
  };
  // The worst case for the word pass: one line of two alternating tokens
  // against the same tokens reordered, just under the budget.
  std::string ab, ba;
  for (size_t i = 0; i < kMaxWordDiffTokens / 4; ++i) {
    ab += i % 3 == 0 ? "a " : "b ";
    ba += i % 5 == 0 ? "a " : "b ";
  }
  const std::vector<Case> cases = {
      {"2 MiB, one line changed", lines, lines_edited, true},
      {"2 MiB on one line, one word changed", one_line, one_line_edited, false},
      {"2 MiB, every 100th line changed", lines, every("00"), true},
      {"2 MiB, every 10th line: past the budget", lines, every("0"), false},
      {"alternating tokens under the budget", ab, ba, true},
  };
  for (const Case& c : cases) {
    CAPTURE(std::string(c.name));
    const auto start = Clock::now();
    auto d = DiffTexts(c.old_text, c.new_text);
    const double ms =
        std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    REQUIRE(d.ok());
    CHECK(d->word_level == c.word_level);
    CheckInvariants(*d, c.old_text, c.new_text);
    std::printf("text diff: %-40s %8.1f ms, %zu ops\n", c.name, ms,
                d->ops.size());
  }
}

}  // namespace
}  // namespace wiki
