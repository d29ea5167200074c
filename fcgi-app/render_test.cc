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

TEST_CASE("render: history newest first, JSON fields") {
  std::vector<RevisionMeta> h(3);
  for (int i = 0; i < 3; ++i) {
    h[i].id = i + 1;
    h[i].size = 10 * (i + 1);
    h[i].author = "a" + std::to_string(i);
    h[i].summary = "s" + std::to_string(i);
  }
  std::string html = RenderHistoryHtml("T", h);
  CHECK(html.find("oldid=3") < html.find("oldid=1"));
  std::string json = RenderHistoryJson("T", h);
  CHECK(json.find("\"id\": 3") < json.find("\"id\": 1"));
  CHECK(json.find("\"timestamp\": \"1970-01-01T00:00:00Z\"") !=
        std::string::npos);
  CHECK(json.find("\"size\": 30") != std::string::npos);
  CHECK(json.find("\"summary\": \"s2\"") != std::string::npos);
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

}  // namespace
}  // namespace wiki
