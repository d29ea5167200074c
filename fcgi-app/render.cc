#include "render.h"

#include <nlohmann/json.hpp>

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

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

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

std::string RenderHistoryHtml(std::string_view title,
                              const std::vector<RevisionMeta>& history) {
  const std::string t = HtmlEscape(title);
  std::string out = Head("Revision history of " + DisplayTitle(title));
  out += Chrome(title, "Revision history of " + DisplayTitle(title));
  out +=
      "<table class=\"history\">\n<thead><tr><th scope=\"col\">Revision</th>"
      "<th scope=\"col\">Time (UTC)</th><th scope=\"col\">Size</th>"
      "<th scope=\"col\">Author</th><th "
      "scope=\"col\">Summary</th></tr></thead>\n"
      "<tbody>\n";
  for (auto it = history.rbegin(); it != history.rend(); ++it) {
    const std::string id = std::to_string(it->id);
    out += "<tr><td><a href=\"/wiki/" + t + "?oldid=" + id + "\">" + id +
           "</a> (<a href=\"/wiki/" + t + "?oldid=" + id +
           "&amp;action=raw\">raw</a>)</td><td>" + FormatIsoTime(it->time_ms) +
           "</td><td>" + std::to_string(it->size) + " bytes</td><td>" +
           HtmlEscape(it->author) + "</td><td>" + HtmlEscape(it->summary) +
           "</td></tr>\n";
  }
  out += "</tbody>\n</table>\n";
  out += kTail;
  return out;
}

std::string RenderHistoryJson(std::string_view title,
                              const std::vector<RevisionMeta>& history) {
  nlohmann::json revs = nlohmann::json::array();
  for (auto it = history.rbegin(); it != history.rend(); ++it) {
    revs.push_back({{"id", it->id},
                    {"timestamp", FormatIsoTime(it->time_ms)},
                    {"size", it->size},
                    {"author", it->author},
                    {"summary", it->summary}});
  }
  nlohmann::json doc = {{"title", std::string(title)}, {"revisions", revs}};
  return doc.dump(1, ' ', false, nlohmann::json::error_handler_t::replace) +
         "\n";
}

namespace {

std::string Form(std::string_view title, uint64_t base, std::string_view text) {
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
      std::to_string(kMaxSummaryBytes) +
      "\"></label>\n"
      "<button type=\"submit\" id=\"wpSave\">Save changes</button></p>\n"
      "</form>\n";
  return out;
}

std::string ReadOnlyText(std::string_view heading, std::string_view text) {
  return "<h2>" + HtmlEscape(heading) +
         "</h2>\n<textarea readonly rows=\"12\" cols=\"100\" aria-label=\"" +
         HtmlEscape(heading) + "\">\n" + HtmlEscape(text) + "</textarea>\n";
}

}  // namespace

std::string RenderEditPage(std::string_view title, uint64_t base_revision,
                           std::string_view text, std::string_view notice) {
  std::string out = Head("Editing " + DisplayTitle(title));
  out += Chrome(title, "Editing " + DisplayTitle(title));
  if (!notice.empty())
    out += "<p class=\"notice\">" + HtmlEscape(notice) + "</p>\n";
  out += Form(title, base_revision, text);
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
