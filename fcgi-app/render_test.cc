#include "render.h"

#include <doctest/doctest.h>

namespace wiki {
namespace {

Revision MakeRevision(uint64_t id, std::string text) {
  Revision r;
  r.meta.id = id;
  r.meta.author = "<b>mallory</b>";
  r.meta.time_ms = 0;
  r.text = std::move(text);
  return r;
}

TEST_CASE("render: escaping") {
  CHECK(HtmlEscape("<a href=\"x\">'&'</a>") ==
        "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  CHECK(DisplayTitle("Latest_plane_crash") == "Latest plane crash");
}

TEST_CASE("render: reader page embeds the article and escapes metadata") {
  Revision r = MakeRevision(7, "<p>Body text</p>");
  std::string page = RenderReaderPage("Latest_plane_crash", r, 7);
  CHECK(page.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(page.find("<p>Body text</p>") != std::string::npos);
  CHECK(page.find("<title>Latest plane crash") != std::string::npos);
  CHECK(page.find("?action=edit") != std::string::npos);
  CHECK(page.find("?action=history") != std::string::npos);
  CHECK(page.find(
            "Revision <a href=\"/wiki/Latest_plane_crash?oldid=7\">7</a>") !=
        std::string::npos);
  CHECK(page.find("<b>mallory</b>") == std::string::npos);
  CHECK(page.find("&lt;b&gt;mallory") != std::string::npos);
  CHECK(page.find("old revision") == std::string::npos);
  CHECK(RenderReaderPage("Latest_plane_crash", r, 9).find("old revision") !=
        std::string::npos);
}

TEST_CASE("render: edit form escapes the text into the textarea") {
  std::string page =
      RenderEditPage("T", 5, "<p>a</textarea><script>x</script></p>", "");
  CHECK(page.find("name=\"base_revision\" value=\"5\"") != std::string::npos);
  CHECK(page.find("<textarea name=\"text\"") != std::string::npos);
  CHECK(page.find("</textarea><script>") == std::string::npos);
  CHECK(page.find("&lt;/textarea&gt;&lt;script&gt;") != std::string::npos);
  CHECK(page.find("action=\"/wiki/T\"") != std::string::npos);
}

HistoryPage MakeHistoryPage(uint64_t latest, uint64_t top, uint64_t n) {
  HistoryPage page;
  page.latest = latest;
  for (uint64_t id = top; id > top - n; --id) {
    RevisionMeta m;
    m.id = id;
    m.size = 10 * id;
    m.author = "a" + std::to_string(id);
    m.summary = "s" + std::to_string(id);
    page.revisions.push_back(m);
  }
  if (top - n >= 1) page.older_offset = top - n + 1;
  return page;
}

TEST_CASE("render: history newest first, JSON fields") {
  HistoryPage page = MakeHistoryPage(3, 3, 3);
  std::string html = RenderHistoryHtml("T", page, 50);
  CHECK(html.find("oldid=3") < html.find("oldid=1"));
  std::string json = RenderHistoryJson("T", page);
  CHECK(json.find("\"id\": 3") < json.find("\"id\": 1"));
  CHECK(json.find("\"timestamp\": \"1970-01-01T00:00:00Z\"") !=
        std::string::npos);
  CHECK(json.find("\"size\": 30") != std::string::npos);
  CHECK(json.find("\"summary\": \"s2\"") != std::string::npos);
  CHECK(json.find("\"continue\"") == std::string::npos);
}

TEST_CASE("render: history paging links and continuation") {
  struct Row {
    const char* name;
    uint64_t latest, top, n;
    size_t limit;
    const char* newer;      // expected href of "newer", "" if plain text
    const char* older;      // expected href of "older", "" if plain text
    const char* continue_;  // expected "continue" JSON member, "" if none
  };
  const Row rows[] = {
      {"one page", 3, 3, 3, 50, "", "", ""},
      {"newest of many", 120, 120, 50, 50, "",
       "?action=history&amp;limit=50&amp;offset=71",
       "\"continue\": {\n  \"offset\": 71\n }"},
      {"middle", 120, 70, 50, 50, "?action=history&amp;limit=50\"",
       "?action=history&amp;limit=50&amp;offset=21", "\"offset\": 21"},
      {"second of small pages", 120, 110, 10, 10,
       "?action=history&amp;limit=10\"",
       "?action=history&amp;limit=10&amp;offset=101", "\"offset\": 101"},
      {"deep middle", 120, 90, 10, 10,
       "?action=history&amp;limit=10&amp;offset=101",
       "?action=history&amp;limit=10&amp;offset=81", "\"offset\": 81"},
      {"oldest", 120, 20, 20, 50, "?action=history&amp;limit=50&amp;offset=71",
       "", ""},
      {"below the oldest", 120, 0, 0, 50, "", "", ""},
  };
  for (const Row& r : rows) {
    CAPTURE(r.name);
    HistoryPage page = MakeHistoryPage(r.latest, r.top, r.n);
    std::string html = RenderHistoryHtml("T", page, r.limit);
    std::string json = RenderHistoryJson("T", page);
    const std::string n = std::to_string(r.limit);
    if (*r.newer) {
      CHECK(html.find(std::string("/wiki/T") + r.newer) != std::string::npos);
    } else {
      CHECK(html.find("(newer " + n + " |") != std::string::npos);
    }
    if (*r.older) {
      CHECK(html.find(std::string("/wiki/T") + r.older +
                      "\" rel=\"next\">older " + n + "</a>") !=
            std::string::npos);
    } else {
      CHECK(html.find("| older " + n + ")") != std::string::npos);
    }
    if (*r.continue_) {
      CHECK(json.find(r.continue_) != std::string::npos);
    } else {
      CHECK(json.find("continue") == std::string::npos);
    }
    CHECK(json.find("\"title\": \"T\"") != std::string::npos);
  }
}

TEST_CASE("render: conflict page keeps the editor's work") {
  Revision cur = MakeRevision(9, "<p>theirs</p>");
  std::string page = RenderConflictPage("T", cur, "<p>mine</p>", nullptr);
  CHECK(page.find("name=\"base_revision\" value=\"9\"") != std::string::npos);
  CHECK(page.find("&lt;p&gt;mine&lt;/p&gt;") != std::string::npos);
  CHECK(page.find("&lt;p&gt;theirs&lt;/p&gt;") != std::string::npos);
  MergeResult m;
  m.text = "DRAFT-TEXT";
  m.conflicts.push_back({"b", "m", "t"});
  std::string json = RenderConflictJson(cur, "<p>mine</p>", &m);
  CHECK(json.find("\"current_revision\":9") != std::string::npos);
  CHECK(json.find("\"merged_draft\":\"DRAFT-TEXT\"") != std::string::npos);
  CHECK(json.find("{\"base\":\"b\",\"mine\":\"m\",\"theirs\":\"t\"}") !=
        std::string::npos);
}

TEST_CASE("render: preview embeds the text, keeps text and summary") {
  const std::string page = RenderPreviewPage(
      "Latest_plane_crash", 7, "<p>Preview &amp; text</p>", "sum \"q\" <b>");
  CHECK(page.find("<div id=\"mw-content-text\" class=\"preview\">\n<p>Preview "
                  "&amp; text</p>") != std::string::npos);
  CHECK(page.find(">\n&lt;p&gt;Preview &amp;amp; text&lt;/p&gt;</textarea>") !=
        std::string::npos);
  CHECK(page.find("value=\"sum &quot;q&quot; &lt;b&gt;\"") !=
        std::string::npos);
  CHECK(page.find("name=\"base_revision\" value=\"7\"") != std::string::npos);
  CHECK(page.find("nothing is saved") != std::string::npos);
}

TEST_CASE("render: the conflict page lists each conflict, theirs vs yours") {
  Revision current;
  current.meta.id = 9;
  current.text = "<p>The fast fox.</p>\n";
  MergeResult merge;
  merge.clean = false;
  merge.text =
      "<p>Intro line.</p>\n<p>The \n<<<<<<< current revision\nfast\n=======\n"
      "slow <&>\n>>>>>>> your edit\n fox.</p>\n";
  merge.conflicts.push_back({"quick", "slow <&>", "fast"});
  const std::string page =
      RenderConflictPage("Latest_plane_crash", current, "mine", &merge);
  CHECK(page.find("<li id=\"conflict-1\">") != std::string::npos);
  CHECK(page.find("Line 3 of the draft") != std::string::npos);  // its marker
  CHECK(page.find("<del>fast</del>") != std::string::npos);
  CHECK(page.find("<ins>slow &lt;&amp;&gt;</ins>") != std::string::npos);
  // The surrounding words, escaped, around the mark.
  CHECK(page.find("&lt;p&gt;The \n<mark>[conflict 1]</mark> fox.") !=
        std::string::npos);
  // Before the form: the list comes first.
  CHECK(page.find("class=\"conflicts\"") < page.find("<form"));
}

}  // namespace
}  // namespace wiki
