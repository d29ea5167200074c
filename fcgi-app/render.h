// render: every HTML (and JSON) document the server produces.
//
// The article HTML itself is embedded as stored: it passed markup_policy's
// allowlist when it was saved. Everything else that comes from outside
// (titles, authors, summaries, an editor's unsaved text) is escaped here.
//
// Pure functions of their arguments; thread-safe.
#ifndef WIKI_RENDER_H_
#define WIKI_RENDER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "merge.h"
#include "revision.h"

namespace wiki {

std::string HtmlEscape(std::string_view s);

// The id of the element the reader page embeds the article in; the article
// is its only content.
inline constexpr std::string_view kArticleContainerId = "mw-content-text";

// True if `id` (compared ASCII-case-insensitively) is one the page template
// gives its own elements; articles may not use those.
bool IsTemplateId(std::string_view id);

// "Latest_plane_crash" -> "Latest plane crash"
std::string DisplayTitle(std::string_view title);

// The frame of every page, for pages rendered elsewhere (diff_view.h):
// the document head (stylesheet), the header, the tabs and the h1
// `heading`; PageEnd closes what PageStart opened.
std::string PageStart(std::string_view title, std::string_view heading);
std::string_view PageEnd();

// The reader page: a complete HTML document with the article, its title,
// the revision id and links to edit and history. `current_id` differs
// from rev.meta.id when an old revision is shown.
std::string RenderReaderPage(std::string_view title, const Revision& rev,
                             uint64_t current_id);

// One page of the revision list, newest first, with "newer"/"older" links
// (HTML) or a "continue": {"offset": N} member (JSON) when there are older
// revisions. `limit` is the page size the links carry on.
std::string RenderHistoryHtml(std::string_view title, const HistoryPage& page,
                              size_t limit);
std::string RenderHistoryJson(std::string_view title, const HistoryPage& page);

// The edit form: <textarea name="text"> holding `text`, hidden
// base_revision, a summary field, posting back to the article URL.
// `notice` (escaped) is shown above the form when not empty.
std::string RenderEditPage(std::string_view title, uint64_t base_revision,
                           std::string_view text, std::string_view notice,
                           std::string_view summary = "");

// "Show preview": the submitted text rendered as the reader page would
// show it (it passed the checks a save makes), above the edit form holding
// the same text and summary. Nothing is saved.
std::string RenderPreviewPage(std::string_view title, uint64_t base_revision,
                              std::string_view text, std::string_view summary);

// 409 for a browser: the current text, the editor's text, and a fresh
// form (base = current) prefilled with the merged draft when there is one,
// else with the editor's own text, so no typed work is lost.
std::string RenderConflictPage(std::string_view title, const Revision& current,
                               std::string_view mine, const MergeResult* merge);

// 409 for API clients (Accept: application/json).
std::string RenderConflictJson(const Revision& current, std::string_view mine,
                               const MergeResult* merge);

}  // namespace wiki

#endif  // WIKI_RENDER_H_
