#include "render.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "http.h"

namespace wiki {

namespace {

std::string Head(std::string_view page_title) {
  std::string out;
  out +=
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, "
      "initial-scale=1\">\n"
      "<title>";
  out += HtmlEscape(page_title);
  // A stylesheet nginx serves (nginx/wiki.css), not an inline <style>:
  // the CSP allows styles from this site only ('self').
  out +=
      " - Mini-Wikipedia</title>\n"
      "<link rel=\"stylesheet\" href=\"/_wiki/style.css\">\n"
      "</head>\n<body>\n";
  return out;
}

std::string Chrome(std::string_view title, std::string_view heading) {
  std::string t = HtmlEscape(title);
  std::string out;
  out += "<header><a href=\"/wiki/" + t +
         "\">Mini-Wikipedia</a></header>\n<main>\n";
  out += "<nav class=\"tabs\"><a href=\"/wiki/" + t + "\">Article</a>";
  out += "<a href=\"/wiki/" + t + "?action=edit\">Edit</a>";
  out += "<a href=\"/wiki/" + t + "?action=history\">History</a></nav>\n";
  out += "<h1 id=\"firstHeading\">" + HtmlEscape(heading) + "</h1>\n";
  return out;
}

constexpr const char kTail[] = "</main>\n</body>\n</html>\n";

// Every id the templates below write; IsTemplateId() refuses them in
// articles.
constexpr std::string_view kTemplateIds[] = {
    "firstHeading", kArticleContainerId, "footer",
    "wpTextbox1",   "wpSummary",         "wpSave"};


}  // namespace

bool IsTemplateId(std::string_view id) {
  for (std::string_view t : kTemplateIds) {
    if (EqualsIgnoreCase(id, t)) return true;
  }
  return false;
}

std::string HtmlEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size() + s.size() / 8);
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string PageStart(std::string_view title, std::string_view heading) {
  return Head(heading) + Chrome(title, heading);
}

std::string_view PageEnd() { return kTail; }

std::string DisplayTitle(std::string_view title) {
  std::string out(title);
  for (char& c : out) {
    if (c == '_') c = ' ';
  }
  return out;
}

std::string RenderReaderPage(std::string_view title, const Revision& rev,
                             uint64_t current_id) {
  const std::string display = DisplayTitle(title);
  const std::string t = HtmlEscape(title);
  const std::string id = std::to_string(rev.meta.id);
  std::string out = Head(display);
  out.reserve(out.size() + rev.text.size() + 2048);
  out += Chrome(title, display);
  out += "<p class=\"revision-info\">Revision <a href=\"/wiki/" + t +
         "?oldid=" + id + "\">" + id + "</a> as of " +
         FormatIsoTime(rev.meta.time_ms) + " by " +
         HtmlEscape(rev.meta.author) + " (<a href=\"/wiki/" + t +
         "?oldid=" + id + "&amp;action=raw\">raw</a>)</p>\n";
  if (rev.meta.id != current_id) {
    out +=
        "<p class=\"notice\">This is an old revision of this page. The <a "
        "href=\"/wiki/" +
        t + "\">current revision</a> is " + std::to_string(current_id) +
        ".</p>\n";
  }
  out += "<div id=\"";
  out += kArticleContainerId;
  out += "\">\n";
  out += rev.text;
  out += "\n</div>\n</main>\n<footer id=\"footer\"><a href=\"/wiki/" + t +
         "?action=history\">Page history</a></footer>\n</body>\n</html>\n";
  return out;
}

namespace {

std::string HistoryLink(const std::string& t, size_t limit, uint64_t offset,
                        const char* label) {
  std::string href = "/wiki/" + t + "?action=history&amp;limit=" +
                     std::to_string(limit);
  if (offset != 0) href += "&amp;offset=" + std::to_string(offset);
  return "<a href=\"" + href + "\" rel=\"" +
         (label[0] == 'n' ? "prev" : "next") + "\">" + label + "</a>";
}

// "(newer N | older N)": plain text where there is nothing to go to.
std::string HistoryNav(const std::string& t, const HistoryPage& page,
                       size_t limit) {
  const std::string n = std::to_string(limit);
  std::string newer = "newer " + n;
  if (!page.revisions.empty() && page.revisions.front().id < page.latest) {
    // The newer page ends just above this one; it starts `limit` higher,
    // or at the newest revision (no offset).
    uint64_t offset = page.revisions.front().id + limit + 1;
    newer = HistoryLink(t, limit, offset > page.latest ? 0 : offset,
                        newer.c_str());
  }
  std::string older = "older " + n;
  if (page.older_offset != 0) {
    older = HistoryLink(t, limit, page.older_offset, older.c_str());
  }
  return "<p class=\"history-nav\">(" + newer + " | " + older + ")</p>\n";
}

}  // namespace

std::string RenderHistoryHtml(std::string_view title, const HistoryPage& page,
                              size_t limit) {
  const std::string t = HtmlEscape(title);
  std::string out = Head("Revision history of " + DisplayTitle(title));
  out += Chrome(title, "Revision history of " + DisplayTitle(title));
  const std::string nav = HistoryNav(t, page, limit);
  out += nav;
  out +=
      "<table class=\"history\">\n<thead><tr><th scope=\"col\">Revision</th>"
      "<th scope=\"col\">Time (UTC)</th><th scope=\"col\">Size</th>"
      "<th scope=\"col\">Author</th><th "
      "scope=\"col\">Summary</th></tr></thead>\n"
      "<tbody>\n";
  for (const RevisionMeta& r : page.revisions) {
    const std::string id = std::to_string(r.id);
    // MediaWiki's "(cur | prev)": plain text where there is nothing to
    // compare with (the newest revision, the first one).
    const std::string diff = "/wiki/" + t + "?diff=";
    const std::string cur = r.id == page.latest
                                ? "cur"
                                : "<a href=\"" + diff + "cur&amp;oldid=" + id +
                                      "\" class=\"diff-cur\">cur</a>";
    const std::string prev = r.id == 1 ? "prev"
                                       : "<a href=\"" + diff +
                                             "prev&amp;oldid=" + id +
                                             "\" class=\"diff-prev\">prev</a>";
    out += "<tr><td><a href=\"/wiki/" + t + "?oldid=" + id + "\">" + id +
           "</a> (<a href=\"/wiki/" + t + "?oldid=" + id +
           "&amp;action=raw\">raw</a>) (" + cur + " | " + prev + ")</td><td>" +
           FormatIsoTime(r.time_ms) + "</td><td>" + std::to_string(r.size) +
           " bytes</td><td>" + HtmlEscape(r.author) + "</td><td>" +
           HtmlEscape(r.summary) + "</td></tr>\n";
  }
  out += "</tbody>\n</table>\n";
  out += nav;
  out += kTail;
  return out;
}

std::string RenderHistoryJson(std::string_view title, const HistoryPage& page) {
  nlohmann::json revs = nlohmann::json::array();
  for (const RevisionMeta& r : page.revisions) {
    revs.push_back({{"id", r.id},
                    {"timestamp", FormatIsoTime(r.time_ms)},
                    {"size", r.size},
                    {"author", r.author},
                    {"summary", r.summary}});
  }
  nlohmann::json doc = {{"title", std::string(title)}, {"revisions", revs}};
  if (page.older_offset != 0) {
    doc["continue"] = {{"offset", page.older_offset}};
  }
  return doc.dump(1, ' ', false, nlohmann::json::error_handler_t::replace) +
         "\n";
}

namespace {

std::string Form(std::string_view title, uint64_t base, std::string_view text,
                 std::string_view summary = "") {
  std::string out;
  out += "<form method=\"post\" action=\"/wiki/" + HtmlEscape(title) +
         "\" accept-charset=\"utf-8\">\n";
  out += "<input type=\"hidden\" name=\"base_revision\" value=\"" +
         std::to_string(base) + "\">\n";
  // The newline after the start tag is eaten by the HTML parser; without
  // it, an article's own leading newline would be lost on the next save.
  out +=
      "<textarea name=\"text\" id=\"wpTextbox1\" rows=\"30\" cols=\"100\" "
      "aria-label=\"Article text (HTML)\">\n";
  out += HtmlEscape(text);
  out += "</textarea>\n";
  out +=
      "<p><label>Summary: <input type=\"text\" name=\"summary\" "
      "id=\"wpSummary\" size=\"60\" maxlength=\"" +
      std::to_string(kMaxSummaryBytes) + "\" value=\"" + HtmlEscape(summary) +
      "\"></label>\n"
      "<button type=\"submit\" id=\"wpSave\">Save changes</button>\n"
      "<button type=\"submit\" name=\"preview\" value=\"1\" "
      "id=\"wpPreview\">Show preview</button></p>\n"
      "</form>\n";
  return out;
}

// Up to `n` bytes of `text` before `at` (or after, with `forward`), cut
// at a sentence or line boundary when there is one, never inside a UTF-8
// sequence.
std::string_view Around(std::string_view text, size_t at, size_t n,
                        bool forward) {
  if (forward) {
    size_t end = std::min(text.size(), at + n);
    size_t stop = text.find_first_of(".\n", at);
    if (stop != std::string_view::npos && stop < end) end = stop + 1;
    while (end < text.size() && (text[end] & 0xC0) == 0x80) ++end;
    return text.substr(at, end - at);
  }
  size_t begin = at > n ? at - n : 0;
  size_t stop = text.find_last_of(".\n", at == 0 ? 0 : at - 1);
  if (stop != std::string_view::npos && stop >= begin && stop + 1 < at)
    begin = stop + 1;
  while (begin < at && (text[begin] & 0xC0) == 0x80) ++begin;
  return text.substr(begin, at - begin);
}

// Each conflict of a draft as "theirs" against "yours", in the words
// around it, with the line of the draft (the form below) where it stands.
std::string ConflictList(const MergeResult& merge) {
  static constexpr std::string_view kOpen = "<<<<<<< current revision\n";
  static constexpr std::string_view kClose = ">>>>>>> your edit\n";
  std::string_view draft = merge.text;
  std::string out = "<ol class=\"conflicts\">\n";
  size_t from = 0;
  for (size_t i = 0; i < merge.conflicts.size(); ++i) {
    const MergeConflict& c = merge.conflicts[i];
    size_t open = draft.find(kOpen, from);
    size_t close = open == std::string_view::npos ? std::string_view::npos
                                                  : draft.find(kClose, open);
    const std::string n = std::to_string(i + 1);
    out += "<li id=\"conflict-" + n + "\">";
    if (close != std::string_view::npos) {
      const size_t line = 1 + static_cast<size_t>(std::count(
                                  draft.begin(), draft.begin() + open, '\n'));
      from = close + kClose.size();
      out += "<a href=\"#wpTextbox1\">Line " + std::to_string(line) +
             " of the draft</a>: \u2026" +
             HtmlEscape(Around(draft, open, 120, false)) + "<mark>[conflict " +
             n + "]</mark>" + HtmlEscape(Around(draft, from, 120, true)) +
             "\u2026";
    }
    out += "\n<dl><dt>Theirs (the current revision)</dt><dd><del>" +
           HtmlEscape(c.theirs) + "</del></dd>\n<dt>Yours</dt><dd><ins>" +
           HtmlEscape(c.mine) + "</ins></dd></dl></li>\n";
  }
  return out + "</ol>\n";
}

std::string ReadOnlyText(std::string_view heading, std::string_view text) {
  return "<h2>" + HtmlEscape(heading) +
         "</h2>\n<textarea readonly rows=\"12\" cols=\"100\" aria-label=\"" +
         HtmlEscape(heading) + "\">\n" + HtmlEscape(text) + "</textarea>\n";
}

}  // namespace

std::string RenderEditPage(std::string_view title, uint64_t base_revision,
                           std::string_view text, std::string_view notice,
                           std::string_view summary) {
  std::string out = Head("Editing " + DisplayTitle(title));
  out += Chrome(title, "Editing " + DisplayTitle(title));
  if (!notice.empty())
    out += "<p class=\"notice\">" + HtmlEscape(notice) + "</p>\n";
  out += Form(title, base_revision, text, summary);
  out += kTail;
  return out;
}

std::string RenderPreviewPage(std::string_view title, uint64_t base_revision,
                              std::string_view text, std::string_view summary) {
  std::string out = Head("Previewing " + DisplayTitle(title));
  out += Chrome(title, "Previewing " + DisplayTitle(title));
  out +=
      "<p class=\"notice\">This is a preview: nothing is saved until you "
      "press \u201cSave changes\u201d.</p>\n";
  // Embedded as the reader page embeds an article: it passed the same
  // checks a save makes.
  out += "<div id=\"";
  out += kArticleContainerId;
  out += "\" class=\"preview\">\n";
  out += text;
  out += "\n</div>\n";
  out += Form(title, base_revision, text, summary);
  out += kTail;
  return out;
}

std::string RenderConflictPage(std::string_view title, const Revision& current,
                               std::string_view mine,
                               const MergeResult* merge) {
  std::string out = Head("Edit conflict: " + DisplayTitle(title));
  out += Chrome(title, "Edit conflict: " + DisplayTitle(title));
  const std::string cur = std::to_string(current.meta.id);
  out += "<p class=\"notice\">Someone else changed this page (now revision " +
         cur + ") since you started editing";
  if (merge != nullptr) {
    out +=
        ", and " + std::to_string(merge->conflicts.size()) +
        " of your changes overlap theirs. The form below holds a merged "
        "draft: each conflicting region shows both versions between "
        "&lt;&lt;&lt;&lt;&lt;&lt;&lt; and &gt;&gt;&gt;&gt;&gt;&gt;&gt; lines. "
        "Keep what is right, delete the marker lines and save.";
  } else {
    out +=
        ". Your text is in the form below; compare it with the current "
        "revision, reapply your changes and save.";
  }
  out += "</p>\n";
  if (merge != nullptr) out += ConflictList(*merge);
  out += Form(title, current.meta.id,
              merge != nullptr ? std::string_view(merge->text) : mine);
  out += ReadOnlyText("Your text", mine);
  out += ReadOnlyText("Current revision " + cur, current.text);
  out += kTail;
  return out;
}

std::string RenderConflictJson(const Revision& current, std::string_view mine,
                               const MergeResult* merge) {
  nlohmann::json conflicts = nlohmann::json::array();
  if (merge != nullptr) {
    for (const MergeConflict& c : merge->conflicts) {
      conflicts.push_back(
          {{"base", c.base}, {"mine", c.mine}, {"theirs", c.theirs}});
    }
  }
  nlohmann::json doc = {
      {"current_revision", current.meta.id},
      {"merged_draft", merge != nullptr ? merge->text : std::string(mine)},
      {"conflicts", conflicts}};
  return doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
         "\n";
}

}  // namespace wiki
