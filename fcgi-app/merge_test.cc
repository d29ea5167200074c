// Tests for merge: a table of small merges with exact expectations, then
// large inputs, then the whole-article fallbacks.
#include "merge.h"

#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace wiki {
namespace {

constexpr MergeGranularity kLine = MergeGranularity::kLine;
constexpr MergeGranularity kWord = MergeGranularity::kWord;

struct Row {
  const char* name = "";
  std::string base, mine, theirs;
  MergeGranularity granularity = MergeGranularity::kWord;
  bool clean = false;
  // Clean: the merged text. Otherwise, if set, the whole draft.
  std::optional<std::string> text;
  // Conflict rows: how many blocks, substrings the draft must contain, and
  // (if non-empty) the exact {base, mine, theirs} of each conflict.
  size_t conflicts = 0;
  std::vector<std::string> draft_contains;
  std::vector<MergeConflict> sides;
};

Row CleanRow(const char* name, std::string base, std::string mine,
             std::string theirs, MergeGranularity g, std::string merged) {
  Row r;
  r.name = name;
  r.base = std::move(base);
  r.mine = std::move(mine);
  r.theirs = std::move(theirs);
  r.granularity = g;
  r.clean = true;
  r.text = std::move(merged);
  return r;
}

Row ConflictRow(const char* name, std::string base, std::string mine,
                std::string theirs, MergeGranularity g, size_t conflicts,
                std::optional<std::string> draft,
                std::vector<std::string> draft_contains = {},
                std::vector<MergeConflict> sides = {}) {
  Row r;
  r.name = name;
  r.base = std::move(base);
  r.mine = std::move(mine);
  r.theirs = std::move(theirs);
  r.granularity = g;
  r.clean = false;
  r.text = std::move(draft);
  r.conflicts = conflicts;
  r.draft_contains = std::move(draft_contains);
  r.sides = std::move(sides);
  return r;
}

MergeConflict Sides(std::string base, std::string mine, std::string theirs) {
  return MergeConflict{std::move(base), std::move(mine), std::move(theirs)};
}

// Occurrences of `line` as a whole line of `text` (at a line start).
size_t CountLines(const std::string& text, const std::string& line) {
  size_t n = 0;
  for (size_t pos = text.find(line); pos != std::string::npos;
       pos = text.find(line, pos + 1)) {
    if (pos == 0 || text[pos - 1] == '\n') ++n;
  }
  return n;
}

const std::string kThreeParas =
    "<p>Alpha one two.</p>\n<p>Beta three four.</p>\n<p>Gamma five six.</p>\n";
const std::string kFox =
    "<p>The quick brown fox jumps over the lazy dog.</p>\n";
const std::string kLink =
    "<p>See <a href=\"/wiki/Old\" title=\"Old page\">the page</a> now.</p>\n";
const std::string kCrlf =
    "<p>A one.</p>\r\n<p>The quick brown fox.</p>\r\n<p>C.</p>\r\n";

std::string LongLine(int words, int changed_a, const char* a, int changed_b,
                     const char* b) {
  std::string s = "<p>";
  for (int i = 0; i < words; ++i) {
    if (i > 0) s += ' ';
    if (i == changed_a) {
      s += a;
    } else if (i == changed_b) {
      s += b;
    } else {
      s += "w" + std::to_string(i);
    }
  }
  return s + "</p>";
}

std::vector<Row> Rows() {
  std::vector<Row> rows;
  rows.push_back(CleanRow("disjoint line edits, kLine", kThreeParas,
                          "<p>Alpha uno two.</p>\n<p>Beta three "
                          "four.</p>\n<p>Gamma five six.</p>\n",
                          "<p>Alpha one two.</p>\n<p>Beta three "
                          "four.</p>\n<p>Gamma five seis.</p>\n",
                          kLine,
                          "<p>Alpha uno two.</p>\n<p>Beta three four.</p>\n"
                          "<p>Gamma five seis.</p>\n"));
  rows.push_back(CleanRow("disjoint line edits, kWord", kThreeParas,
                          "<p>Alpha uno two.</p>\n<p>Beta three "
                          "four.</p>\n<p>Gamma five six.</p>\n",
                          "<p>Alpha one two.</p>\n<p>Beta three "
                          "four.</p>\n<p>Gamma five seis.</p>\n",
                          kWord,
                          "<p>Alpha uno two.</p>\n<p>Beta three four.</p>\n"
                          "<p>Gamma five seis.</p>\n"));
  rows.push_back(
      CleanRow("different words of one line, kWord", kFox,
               "<p>The slow brown fox jumps over the lazy dog.</p>\n",
               "<p>The quick brown fox jumps over the sleepy dog.</p>\n", kWord,
               "<p>The slow brown fox jumps over the sleepy dog.</p>\n"));
  rows.push_back(
      CleanRow("neighbouring words of one line, kWord", kFox,
               "<p>The slow brown fox jumps over the lazy dog.</p>\n",
               "<p>The quick red fox jumps over the lazy dog.</p>\n", kWord,
               "<p>The slow red fox jumps over the lazy dog.</p>\n"));
  // kLine must not run the word pass: same inputs as above, whole lines.
  rows.push_back(ConflictRow(
      "different words of one line, kLine", kFox,
      "<p>The slow brown fox jumps over the lazy dog.</p>\n",
      "<p>The quick brown fox jumps over the sleepy dog.</p>\n", kLine, 1,
      "<<<<<<< current revision\n"
      "<p>The quick brown fox jumps over the sleepy dog.</p>\n"
      "=======\n"
      "<p>The slow brown fox jumps over the lazy dog.</p>\n"
      ">>>>>>> your edit\n",
      {},
      {Sides(kFox, "<p>The slow brown fox jumps over the lazy dog.</p>\n",
             "<p>The quick brown fox jumps over the sleepy dog.</p>\n")}));
  rows.push_back(
      ConflictRow("same word changed differently", "<p>The quick fox.</p>\n",
                  "<p>The slow fox.</p>\n", "<p>The fast fox.</p>\n", kWord, 1,
                  "<p>The \n<<<<<<< current revision\nfast\n=======\nslow\n"
                  ">>>>>>> your edit\n fox.</p>\n",
                  {}, {Sides("quick", "slow", "fast")}));
  rows.push_back(
      ConflictRow("a conflict keeps the other edits of its paragraph",
                  "<p>The quick fox saw the lazy dog.</p>\n",
                  "<p>The slow fox saw the sleepy dog.</p>\n",
                  "<p>The fast fox met the lazy dog.</p>\n", kWord, 1,
                  "<p>The \n<<<<<<< current revision\nfast\n=======\nslow\n"
                  ">>>>>>> your edit\n fox met the sleepy dog.</p>\n",
                  {}, {Sides("quick", "slow", "fast")}));
  rows.push_back(ConflictRow(
      "same word changed differently, kLine", "<p>The quick fox.</p>\n",
      "<p>The slow fox.</p>\n", "<p>The fast fox.</p>\n", kLine, 1,
      std::nullopt, {"<p>The fast fox.</p>\n", "<p>The slow fox.</p>\n"},
      {Sides("<p>The quick fox.</p>\n", "<p>The slow fox.</p>\n",
             "<p>The fast fox.</p>\n")}));
  rows.push_back(
      ConflictRow("conflict at the end of a line adds no blank line",
                  "The quick fox\nmore\n", "The quick cat\nmore\n",
                  "The quick dog\nmore\n", kWord, 1,
                  "The quick \n<<<<<<< current revision\ndog\n=======\ncat\n"
                  ">>>>>>> your edit\nmore\n",
                  {}, {Sides("fox", "cat", "dog")}));
  rows.push_back(ConflictRow(
      "paragraphs inserted at the same point", "<p>A</p>\n<p>B</p>\n",
      "<p>A</p>\n<p>Mine.</p>\n<p>B</p>\n",
      "<p>A</p>\n<p>Theirs.</p>\n<p>B</p>\n", kWord, 1,
      "<p>A</p>\n<<<<<<< current revision\n<p>Theirs.</p>\n=======\n"
      "<p>Mine.</p>\n>>>>>>> your edit\n<p>B</p>\n",
      {}, {Sides("", "<p>Mine.</p>\n", "<p>Theirs.</p>\n")}));
  rows.push_back(
      ConflictRow("words inserted at the same point", "<p>The fox ran.</p>\n",
                  "<p>The red fox ran.</p>\n", "<p>The quick fox ran.</p>\n",
                  kWord, 1, std::nullopt, {"red", "quick"}));
  rows.push_back(ConflictRow(
      "delete vs edit", kThreeParas,
      "<p>Alpha one two.</p>\n<p>Gamma five six.</p>\n",
      "<p>Alpha one two.</p>\n<p>Beta 3 four.</p>\n<p>Gamma five six.</p>\n",
      kWord, 1, std::nullopt, {"<p>Beta 3 four.</p>\n"},
      {Sides("<p>Beta three four.</p>\n", "", "<p>Beta 3 four.</p>\n")}));
  rows.push_back(CleanRow("delete vs edit of another line", kThreeParas,
                          "<p>Alpha one two.</p>\n<p>Beta three four.</p>\n",
                          "<p>Alpha uno two.</p>\n<p>Beta three "
                          "four.</p>\n<p>Gamma five six.</p>\n",
                          kWord,
                          "<p>Alpha uno two.</p>\n<p>Beta three four.</p>\n"));
  rows.push_back(CleanRow("edits at the very start and the very end",
                          kThreeParas,
                          "<P>Alpha one two.</p>\n<p>Beta three "
                          "four.</p>\n<p>Gamma five six.</p>\n",
                          "<p>Alpha one two.</p>\n<p>Beta three "
                          "four.</p>\n<p>Gamma five six.</P>\n",
                          kWord,
                          "<P>Alpha one two.</p>\n<p>Beta three "
                          "four.</p>\n<p>Gamma five six.</P>\n"));
  rows.push_back(CleanRow("edits at both ends of a one-line article",
                          "Start middle end", "Begin middle end",
                          "Start middle finish", kWord, "Begin middle finish"));
  rows.push_back(
      CleanRow("identical edits", kFox,
               "<p>The quick brown cat jumps over the lazy dog.</p>\n",
               "<p>The quick brown cat jumps over the lazy dog.</p>\n", kLine,
               "<p>The quick brown cat jumps over the lazy dog.</p>\n"));
  rows.push_back(CleanRow("identical line edit plus another line", kThreeParas,
                          "<p>Alpha uno two.</p>\n<p>Beta three "
                          "four.</p>\n<p>Gamma five seis.</p>\n",
                          "<p>Alpha uno two.</p>\n<p>Beta three "
                          "four.</p>\n<p>Gamma five six.</p>\n",
                          kLine,
                          "<p>Alpha uno two.</p>\n<p>Beta three four.</p>\n"
                          "<p>Gamma five seis.</p>\n"));
  rows.push_back(
      CleanRow("identical word edit plus another word", kFox,
               "<p>The slow brown fox jumps over the sleepy dog.</p>\n",
               "<p>The slow brown fox jumps over the lazy dog.</p>\n", kWord,
               "<p>The slow brown fox jumps over the sleepy dog.</p>\n"));
  rows.push_back(CleanRow(
      "CRLF, different words of one line", kCrlf,
      "<p>A one.</p>\r\n<p>The slow brown fox.</p>\r\n<p>C.</p>\r\n",
      "<p>A one.</p>\r\n<p>The quick brown cat.</p>\r\n<p>C.</p>\r\n", kWord,
      "<p>A one.</p>\r\n<p>The slow brown cat.</p>\r\n<p>C.</p>\r\n"));
  rows.push_back(CleanRow(
      "CRLF, disjoint lines", kCrlf,
      "<p>A uno.</p>\r\n<p>The quick brown fox.</p>\r\n<p>C.</p>\r\n",
      "<p>A one.</p>\r\n<p>The quick brown fox.</p>\r\n<p>D.</p>\r\n", kLine,
      "<p>A uno.</p>\r\n<p>The quick brown fox.</p>\r\n<p>D.</p>\r\n"));
  rows.push_back(CleanRow(
      "CRLF without final newline", "<p>A one.</p>\r\n<p>B two.</p>",
      "<p>A uno.</p>\r\n<p>B two.</p>", "<p>A one.</p>\r\n<p>B dos.</p>", kWord,
      "<p>A uno.</p>\r\n<p>B dos.</p>"));
  rows.push_back(ConflictRow(
      "CRLF conflict keeps CRLF in the sections", kCrlf,
      "<p>A one.</p>\r\n<p>The slow brown fox.</p>\r\n<p>C.</p>\r\n",
      "<p>A one.</p>\r\n<p>The fast brown fox.</p>\r\n<p>C.</p>\r\n", kLine, 1,
      "<p>A one.</p>\r\n<<<<<<< current revision\n"
      "<p>The fast brown fox.</p>\r\n=======\n<p>The slow brown fox.</p>\r\n"
      ">>>>>>> your edit\n<p>C.</p>\r\n",
      {},
      {Sides("<p>The quick brown fox.</p>\r\n",
             "<p>The slow brown fox.</p>\r\n",
             "<p>The fast brown fox.</p>\r\n")}));
  rows.push_back(CleanRow(
      "missing final newline, edits at both ends",
      "<p>A one.</p>\n<p>B two.</p>", "<p>A one.</p>\n<p>B 2.</p>",
      "<p>A 1.</p>\n<p>B two.</p>", kWord, "<p>A 1.</p>\n<p>B 2.</p>"));
  rows.push_back(CleanRow("missing final newline, disjoint lines",
                          "<p>A one.</p>\n<p>B two.</p>\n<p>C three.</p>",
                          "<p>A 1.</p>\n<p>B two.</p>\n<p>C three.</p>",
                          "<p>A one.</p>\n<p>B two.</p>\n<p>C 3.</p>", kLine,
                          "<p>A 1.</p>\n<p>B two.</p>\n<p>C 3.</p>"));
  rows.push_back(CleanRow("missing final newline, same last line",
                          "<p>A one two.</p>", "<p>A 1 two.</p>",
                          "<p>A one 2.</p>", kWord, "<p>A 1 2.</p>"));
  rows.push_back(CleanRow("CRLF, editor adds the final newline",
                          "<p>A.</p>\r\n<p>X.</p>\r\n<p>B two.</p>",
                          "<p>A.</p>\r\n<p>X.</p>\r\n<p>B two.</p>\r\n",
                          "<p>A.</p>\r\n<p>X.</p>\r\n<p>B 2.</p>", kLine,
                          "<p>A.</p>\r\n<p>X.</p>\r\n<p>B 2.</p>\r\n"));
  rows.push_back(
      CleanRow("editor adds the final newline", "<p>A.</p>\n<p>B two.</p>",
               "<p>A.</p>\n<p>B two.</p>\n", "<p>A.</p>\n<p>B 2.</p>", kLine,
               "<p>A.</p>\n<p>B 2.</p>\n"));
  // Adjacent lines conflict at line level, as in git; the word pass then
  // merges them.
  rows.push_back(
      CleanRow("current revision drops the final newline",
               "<p>A.</p>\n<p>B two.</p>\n", "<p>A.</p>\n<p>B 2.</p>\n",
               "<p>A!</p>\n<p>B two.</p>", kWord, "<p>A!</p>\n<p>B 2.</p>"));
  rows.push_back(ConflictRow(
      "missing final newline, kLine conflict", "one two", "one 2", "1 two",
      kLine, 1,
      "<<<<<<< current revision\n1 two\n=======\none 2\n>>>>>>> your edit\n",
      {}, {Sides("one two", "one 2", "1 two")}));
  rows.push_back(CleanRow(
      "single long line, different words", LongLine(400, -1, "", -1, ""),
      LongLine(400, 7, "seven", -1, ""), LongLine(400, 390, "ninety", -1, ""),
      kWord, LongLine(400, 7, "seven", 390, "ninety")));
  rows.push_back(ConflictRow(
      "single long line, same word", LongLine(400, -1, "", -1, ""),
      LongLine(400, 200, "mine", 7, "seven"),
      LongLine(400, 200, "theirs", 390, "ninety"), kWord, 1, std::nullopt,
      {"seven", "ninety"}, {Sides("w200", "mine", "theirs")}));
  rows.push_back(CleanRow(
      "tag attribute changed, text next to the tag changed", kLink,
      "<p>See <a href=\"/wiki/New\" title=\"Old page\">the page</a> now.</p>\n",
      "<p>Read <a href=\"/wiki/Old\" title=\"Old page\">the page</a> "
      "today.</p>\n",
      kWord,
      "<p>Read <a href=\"/wiki/New\" title=\"Old page\">the page</a> "
      "today.</p>\n"));
  rows.push_back(ConflictRow(
      "both change the same tag", kLink,
      "<p>See <a href=\"/wiki/New\" title=\"Old page\">the page</a> now.</p>\n",
      "<p>See <a href=\"/wiki/Old\" title=\"Old Page\">the page</a> now.</p>\n",
      kWord, 1, std::nullopt, {},
      {Sides("<a href=\"/wiki/Old\" title=\"Old page\">",
             "<a href=\"/wiki/New\" title=\"Old page\">",
             "<a href=\"/wiki/Old\" title=\"Old Page\">")}));
  rows.push_back(
      CleanRow("'>' inside a quoted attribute, text changed nearby",
               "<p><span title=\"a > b\">one</span> two three</p>\n",
               "<p><span title=\"a > c\">one</span> two three</p>\n",
               "<p><span title=\"a > b\">one</span> two four</p>\n", kWord,
               "<p><span title=\"a > c\">one</span> two four</p>\n"));
  // Were the tag cut at the quoted '>', the two edits would land in
  // different tokens and merge into a title neither editor wrote.
  rows.push_back(
      ConflictRow("'>' inside a quoted attribute, both edit that attribute",
                  "<p><span title=\"a > b\">one</span> two</p>\n",
                  "<p><span title=\"a > c\">one</span> two</p>\n",
                  "<p><span title=\"x > b\">one</span> two</p>\n", kWord, 1,
                  std::nullopt, {},
                  {Sides("<span title=\"a > b\">", "<span title=\"a > c\">",
                         "<span title=\"x > b\">")}));
  rows.push_back(ConflictRow(
      "a comment is one token, '>' and all", "<p>x <!-- a > b --> y</p>\n",
      "<p>x <!-- A > b --> y</p>\n", "<p>x <!-- a > B --> y</p>\n", kWord, 1,
      std::nullopt, {},
      {Sides("<!-- a > b -->", "<!-- A > b -->", "<!-- a > B -->")}));
  // With punctuation split off, the year and the day would be separate
  // tokens and merge into a date neither editor wrote.
  rows.push_back(ConflictRow(
      "dates are not split at punctuation", "<p>Held on 2024-05-01.</p>\n",
      "<p>Held on 2025-05-01.</p>\n", "<p>Held on 2024-05-09.</p>\n", kWord, 1,
      std::nullopt, {}, {Sides("2024-05-01.", "2025-05-01.", "2024-05-09.")}));
  rows.push_back(ConflictRow(
      "numbers are not split at punctuation", "<p>Magnitude 3.5 quake.</p>\n",
      "<p>Magnitude 4.5 quake.</p>\n", "<p>Magnitude 3.6 quake.</p>\n", kWord,
      1, std::nullopt, {}, {Sides("3.5", "4.5", "3.6")}));
  rows.push_back(ConflictRow(
      "empty base, both add", "", "<p>Mine.</p>\n", "<p>Theirs.</p>\n", kWord,
      1,
      "<<<<<<< current revision\n<p>Theirs.</p>\n=======\n<p>Mine.</p>\n"
      ">>>>>>> your edit\n",
      {}, {Sides("", "<p>Mine.</p>\n", "<p>Theirs.</p>\n")}));
  rows.push_back(CleanRow("empty base, only the editor adds", "",
                          "<p>Mine.</p>\n", "", kWord, "<p>Mine.</p>\n"));
  rows.push_back(CleanRow("empty base, same text added", "", "<p>Same.</p>\n",
                          "<p>Same.</p>\n", kWord, "<p>Same.</p>\n"));
  rows.push_back(CleanRow("both delete a line, one edits the next", kThreeParas,
                          "<p>Alpha one two.</p>\n<p>Gamma five seis.</p>\n",
                          "<p>Alpha one two.</p>\n<p>Gamma five six.</p>\n",
                          kWord,
                          "<p>Alpha one two.</p>\n<p>Gamma five seis.</p>\n"));
  rows.push_back(
      ConflictRow("marker-like line in the input: whole-article conflict",
                  kThreeParas, kThreeParas + std::string(32, '<') + "\n",
                  "<p>Alpha uno two.</p>\n<p>Beta three four.</p>\n<p>Gamma "
                  "five six.</p>\n",
                  kWord, 1, std::nullopt, {},
                  {Sides(kThreeParas, kThreeParas + std::string(32, '<') + "\n",
                         "<p>Alpha uno two.</p>\n<p>Beta three four.</p>\n"
                         "<p>Gamma five six.</p>\n")}));
  rows.push_back(
      ConflictRow("NUL byte in the input: whole-article conflict",
                  "<p>a b</p>\n", std::string("<p>a\0 b</p>\n", 12),
                  "<p>a c</p>\n", kWord, 1, std::nullopt, {},
                  {Sides("<p>a b</p>\n", std::string("<p>a\0 b</p>\n", 12),
                         "<p>a c</p>\n")}));
  // libgit2 only looks for NUL in the first 8000 bytes; we refuse any.
  const std::string padding(9000, 'x');
  rows.push_back(ConflictRow(
      "late NUL byte in the input: whole-article conflict",
      padding + "\n<p>a b</p>\n", padding + std::string("\n<p>a\0 b</p>\n", 13),
      padding + "\n<p>a c</p>\n", kWord, 1, std::nullopt, {},
      {Sides(padding + "\n<p>a b</p>\n",
             padding + std::string("\n<p>a\0 b</p>\n", 13),
             padding + "\n<p>a c</p>\n")}));
  return rows;
}

TEST_CASE("Merge3 from many threads at once") {
  // The first merges of the process race to initialise libgit2.
  std::vector<std::thread> threads;
  std::vector<int> ok(8, 0);
  for (size_t t = 0; t < ok.size(); ++t) {
    threads.emplace_back([&ok, t] {
      auto r = Merge3(
          kFox, "<p>The slow brown fox jumps over the lazy dog.</p>\n",
          "<p>The quick brown fox jumps over the sleepy dog.</p>\n", kWord);
      ok[t] =
          r.ok() && r->clean &&
          r->text == "<p>The slow brown fox jumps over the sleepy dog.</p>\n";
    });
  }
  for (std::thread& th : threads) th.join();
  for (size_t t = 0; t < ok.size(); ++t) CHECK(ok[t] == 1);
}

TEST_CASE("Merge3 table") {
  for (const Row& row : Rows()) {
    INFO("row: " << std::string(row.name));
    Result<MergeResult> r =
        Merge3(row.base, row.mine, row.theirs, row.granularity);
    REQUIRE(r.ok());
    CHECK(r->clean == row.clean);
    if (row.clean) {
      REQUIRE(row.text.has_value());
      CHECK(r->text == *row.text);
      CHECK(r->conflicts.empty());
      continue;
    }
    CHECK(r->conflicts.size() == row.conflicts);
    CHECK(CountLines(r->text, "<<<<<<< current revision\n") == row.conflicts);
    CHECK(CountLines(r->text, "=======\n") == row.conflicts);
    CHECK(CountLines(r->text, ">>>>>>> your edit\n") == row.conflicts);
    if (row.text) CHECK(r->text == *row.text);
    for (const std::string& s : row.draft_contains) {
      INFO("draft should contain: " << s);
      CHECK(r->text.find(s) != std::string::npos);
    }
    for (const MergeConflict& c : r->conflicts) {
      CHECK(r->text.find(c.theirs) != std::string::npos);
      CHECK(r->text.find(c.mine) != std::string::npos);
    }
    if (!row.sides.empty()) {
      REQUIRE(r->conflicts.size() == row.sides.size());
      for (size_t i = 0; i < row.sides.size(); ++i) {
        CHECK(r->conflicts[i].base == row.sides[i].base);
        CHECK(r->conflicts[i].mine == row.sides[i].mine);
        CHECK(r->conflicts[i].theirs == row.sides[i].theirs);
      }
    }
  }
}

// ---- Large inputs -----------------------------------------------------------

std::string Paragraph(int i, const std::string& first,
                      const std::string& last) {
  return "<p>Paragraph " + std::to_string(i) + " " + first +
         " opens with some ordinary words and a <a href=\"/wiki/P" +
         std::to_string(i) + "\">link</a>, then closes " + last + ".</p>\n";
}

// About 2 MiB: paragraph `k` gets `first`/`last` for paragraph numbers in
// the given lists.
std::string BigArticle(int paragraphs,
                       std::vector<std::pair<int, std::string>> firsts,
                       std::vector<std::pair<int, std::string>> lasts) {
  std::string s;
  for (int i = 0; i < paragraphs; ++i) {
    std::string first = "alpha", last = "omega";
    for (auto& f : firsts) {
      if (f.first == i) first = f.second;
    }
    for (auto& l : lasts) {
      if (l.first == i) last = l.second;
    }
    s += Paragraph(i, first, last);
  }
  return s;
}

TEST_CASE("Merge3 on a 2 MiB article") {
  const int n = 18000;
  const std::string base = BigArticle(n, {}, {});
  REQUIRE(base.size() > 2 * 1024 * 1024);

  SUBCASE("different words of one paragraph plus distant edits merge") {
    const std::string mine = BigArticle(n, {{9000, "MINE"}, {3, "EARLY"}}, {});
    const std::string theirs =
        BigArticle(n, {}, {{9000, "THEIRS"}, {n - 1, "LATE"}});
    auto r = Merge3(base, mine, theirs, kWord);
    REQUIRE(r.ok());
    CHECK(r->clean);
    CHECK(r->text == BigArticle(n, {{9000, "MINE"}, {3, "EARLY"}},
                                {{9000, "THEIRS"}, {n - 1, "LATE"}}));
  }
  SUBCASE("a conflict is reported as just the contested word") {
    const std::string mine = BigArticle(n, {{9000, "MINE"}, {3, "EARLY"}}, {});
    const std::string theirs = BigArticle(n, {{9000, "THEIRS"}}, {});
    auto r = Merge3(base, mine, theirs, kWord);
    REQUIRE(r.ok());
    CHECK_FALSE(r->clean);
    REQUIRE(r->conflicts.size() == 1);
    CHECK(r->conflicts[0].base == "alpha");
    CHECK(r->conflicts[0].mine == "MINE");
    CHECK(r->conflicts[0].theirs == "THEIRS");
    CHECK(r->text.find(Paragraph(3, "EARLY", "omega")) != std::string::npos);
  }
}

TEST_CASE("Merge3 on a single 2 MiB line") {
  const int words = 300000;
  const std::string base = LongLine(words, -1, "", -1, "");
  REQUIRE(base.size() > 2 * 1024 * 1024);
  auto r = Merge3(base, LongLine(words, 10, "first", -1, ""),
                  LongLine(words, words - 10, "last", -1, ""), kWord);
  REQUIRE(r.ok());
  CHECK(r->clean);
  CHECK(r->text == LongLine(words, 10, "first", words - 10, "last"));
}

}  // namespace
}  // namespace wiki
