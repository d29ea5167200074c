#include "served_markup.h"

#include <gumbo.h>

#include <memory>
#include <set>
#include <utility>

#include "diff_view.h"
#include "render.h"
#include "revision.h"
#include "text_diff.h"

namespace wiki {
namespace {

using Parsed = std::unique_ptr<GumboOutput, void (*)(GumboOutput*)>;

void Destroy(GumboOutput* output) {
  gumbo_destroy_output(&kGumboDefaultOptions, output);
}

Parsed Parse(const std::string& html) {
  return Parsed(
      gumbo_parse_with_options(&kGumboDefaultOptions, html.data(), html.size()),
      &Destroy);
}

const std::set<std::string>& AllowedElements() {
  static const std::set<std::string> kSet = {
      "h1",     "h2",     "h3",         "h4",         "h5",   "h6",
      "p",      "ul",     "ol",         "li",         "dl",   "dt",
      "dd",     "table",  "caption",    "colgroup",   "col",  "thead",
      "tbody",  "tfoot",  "tr",         "th",         "td",   "a",
      "img",    "figure", "figcaption", "blockquote", "cite", "q",
      "abbr",   "sup",    "sub",        "b",          "i",    "em",
      "strong", "small",  "code",       "pre",        "span", "div",
      "br",     "hr"};
  return kSet;
}

enum class UrlKind { kNone, kLink, kImage };

// Whether `attr` may appear on `tag`, and what URL rule its value follows.
bool AllowedAttribute(const std::string& tag, const std::string& attr,
                      UrlKind* url) {
  *url = UrlKind::kNone;
  static const std::set<std::string> kGlobal = {
      "id", "class", "title", "alt", "lang", "dir", "width", "height"};
  if (kGlobal.count(attr)) return true;
  static const std::set<std::pair<std::string, std::string>> kPlain = {
      {"th", "scope"},    {"th", "colspan"}, {"th", "rowspan"},
      {"td", "colspan"},  {"td", "rowspan"}, {"ol", "start"},
      {"ol", "reversed"}, {"col", "span"},   {"colgroup", "span"}};
  if (kPlain.count({tag, attr})) return true;
  if ((tag == "a" && attr == "href") ||
      ((tag == "blockquote" || tag == "q") && attr == "cite")) {
    *url = UrlKind::kLink;
    return true;
  }
  if (tag == "img" && attr == "src") {
    *url = UrlKind::kImage;
    return true;
  }
  return false;
}

// The scheme as the WHATWG URL parser finds it: leading and trailing C0
// controls and spaces stripped, tabs and newlines removed anywhere, then
// ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":". Empty if relative.
std::string UrlScheme(const std::string& value) {
  size_t b = 0, e = value.size();
  while (b < e && static_cast<unsigned char>(value[b]) <= 0x20) ++b;
  while (e > b && static_cast<unsigned char>(value[e - 1]) <= 0x20) --e;
  std::string s;
  for (size_t i = b; i < e; ++i) {
    if (value[i] != '\t' && value[i] != '\n' && value[i] != '\r') {
      s += value[i];
    }
  }
  auto alpha = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  };
  if (s.empty() || !alpha(s[0])) return "";
  for (size_t i = 1; i < s.size(); ++i) {
    char c = s[i];
    if (c == ':') {
      std::string scheme = s.substr(0, i);
      for (char& x : scheme) {
        if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
      }
      return scheme;
    }
    if (!alpha(c) && !(c >= '0' && c <= '9') && c != '+' && c != '-' &&
        c != '.') {
      return "";
    }
  }
  return "";
}

Status Violation(const ServedPage& page, const std::string& what) {
  return Status::Unprocessable(page.name + ": " + what);
}

Status CheckContainerElement(const ServedPage& page, const GumboNode& node) {
  const GumboElement& e = node.v.element;
  std::string tag = e.tag == GUMBO_TAG_UNKNOWN
                        ? std::string("unknown")
                        : gumbo_normalized_tagname(e.tag);
  if (e.tag_namespace != GUMBO_NAMESPACE_HTML ||
      !AllowedElements().count(tag)) {
    return Violation(page, "element <" + tag + "> in the article");
  }
  for (unsigned int i = 0; i < e.attributes.length; ++i) {
    const auto* a = static_cast<const GumboAttribute*>(e.attributes.data[i]);
    std::string name = a->name;
    std::string value = a->value;
    UrlKind url;
    if (!AllowedAttribute(tag, name, &url)) {
      return Violation(page, "attribute " + name + " on <" + tag + ">");
    }
    if (name == "id" && IsTemplateId(value)) {
      return Violation(page, "template id " + value + " in the article");
    }
    std::string scheme = UrlScheme(value);
    if (url == UrlKind::kLink && !scheme.empty() && scheme != "http" &&
        scheme != "https") {
      return Violation(page, "link scheme " + scheme + ":");
    }
    if (url == UrlKind::kImage && !scheme.empty() && scheme != "https") {
      return Violation(page, "image scheme " + scheme + ":");
    }
  }
  return Status::OK();
}

// What lies outside the container and the textareas, flattened.
struct Outside {
  std::vector<std::string> elements;  // "tag attr=value ..."
  std::string text;
  std::vector<std::string> textareas;  // their text content
  std::vector<const GumboNode*> containers;
  std::vector<const GumboNode*> diffs;  // pre#wpDiff
};

std::string Describe(const GumboElement& e) {
  std::string out = e.tag == GUMBO_TAG_UNKNOWN
                        ? std::string("?")
                        : gumbo_normalized_tagname(e.tag);
  if (e.tag_namespace != GUMBO_NAMESPACE_HTML) out += "(foreign)";
  for (unsigned int i = 0; i < e.attributes.length; ++i) {
    const auto* a = static_cast<const GumboAttribute*>(e.attributes.data[i]);
    out += std::string(" ") + a->name + "=" + a->value;
  }
  return out;
}

bool IsDiff(const GumboNode& node) {
  const GumboAttribute* id =
      gumbo_get_attribute(&node.v.element.attributes, "id");
  return node.v.element.tag == GUMBO_TAG_PRE && id != nullptr &&
         std::string(id->value) == "wpDiff";
}

bool IsContainer(const GumboNode& node) {
  const GumboAttribute* id =
      gumbo_get_attribute(&node.v.element.attributes, "id");
  return id != nullptr && id->value == kArticleContainerId;
}

// Iterative pre-order walk of the page, stopping at containers and
// textareas (collected) and flattening everything else.
Outside Flatten(const GumboNode* root, bool stop_at_container) {
  Outside out;
  std::vector<const GumboNode*> stack = {root};
  while (!stack.empty()) {
    const GumboNode* node = stack.back();
    stack.pop_back();
    const GumboVector* children = nullptr;
    if (node->type == GUMBO_NODE_DOCUMENT) {
      children = &node->v.document.children;
    } else if (node->type == GUMBO_NODE_ELEMENT ||
               node->type == GUMBO_NODE_TEMPLATE) {
      if (stop_at_container && IsContainer(*node)) {
        out.containers.push_back(node);
        out.elements.push_back("[container]");
        continue;
      }
      out.elements.push_back(Describe(node->v.element));
      if (IsDiff(*node)) {
        out.diffs.push_back(node);
        continue;
      }
      if (node->v.element.tag == GUMBO_TAG_TEXTAREA) {
        std::string text;
        bool only_text = true;
        const GumboVector& c = node->v.element.children;
        for (unsigned int i = 0; i < c.length; ++i) {
          const auto* child = static_cast<const GumboNode*>(c.data[i]);
          if (child->type == GUMBO_NODE_TEXT ||
              child->type == GUMBO_NODE_WHITESPACE) {
            text += child->v.text.text;
          } else {
            only_text = false;
          }
        }
        out.textareas.push_back(only_text ? text : "[markup in textarea]");
        continue;
      }
      children = &node->v.element.children;
    } else if (node->type == GUMBO_NODE_TEXT ||
               node->type == GUMBO_NODE_WHITESPACE ||
               node->type == GUMBO_NODE_CDATA) {
      out.text += node->v.text.text;
    }
    if (children == nullptr) continue;
    for (unsigned int i = children->length; i > 0; --i) {
      stack.push_back(static_cast<const GumboNode*>(children->data[i - 1]));
    }
  }
  return out;
}

// Walks the container's subtree against the allowlist.
Status CheckContainer(const ServedPage& page, const GumboNode* container) {
  std::vector<const GumboNode*> stack;
  const GumboVector& top = container->v.element.children;
  for (unsigned int i = top.length; i > 0; --i) {
    stack.push_back(static_cast<const GumboNode*>(top.data[i - 1]));
  }
  while (!stack.empty()) {
    const GumboNode* node = stack.back();
    stack.pop_back();
    if (node->type == GUMBO_NODE_TEMPLATE || node->type == GUMBO_NODE_CDATA) {
      return Violation(page, "template or CDATA in the article");
    }
    if (node->type != GUMBO_NODE_ELEMENT) continue;
    Status s = CheckContainerElement(page, *node);
    if (!s.ok()) return s;
    const GumboVector& c = node->v.element.children;
    for (unsigned int i = c.length; i > 0; --i) {
      stack.push_back(static_cast<const GumboNode*>(c.data[i - 1]));
    }
  }
  return Status::OK();
}

// The text children of `node`; false if it has any other.
bool OnlyText(const GumboNode& node, std::string* text) {
  const GumboVector& c = node.v.element.children;
  for (unsigned int i = 0; i < c.length; ++i) {
    const auto* child = static_cast<const GumboNode*>(c.data[i]);
    if (child->type != GUMBO_NODE_TEXT &&
        child->type != GUMBO_NODE_WHITESPACE) {
      return false;
    }
    *text += child->v.text.text;
  }
  return true;
}

// The diff's <pre>: text, <ins>/<del> of text, elision notes. Reads back
// the old and new texts; *elided if some stretch was left out.
Status CheckDiff(const ServedPage& page, const GumboNode& pre,
                 std::string* old_text, std::string* new_text, bool* elided) {
  const GumboVector& c = pre.v.element.children;
  for (unsigned int i = 0; i < c.length; ++i) {
    const auto* child = static_cast<const GumboNode*>(c.data[i]);
    if (child->type == GUMBO_NODE_TEXT ||
        child->type == GUMBO_NODE_WHITESPACE) {
      *old_text += child->v.text.text;
      *new_text += child->v.text.text;
      continue;
    }
    if (child->type != GUMBO_NODE_ELEMENT) {
      return Violation(page, "a comment or CDATA in the diff");
    }
    const GumboElement& e = child->v.element;
    std::string text;
    const GumboAttribute* cls = gumbo_get_attribute(&e.attributes, "class");
    const bool plain = e.attributes.length == 0;
    if (!OnlyText(*child, &text)) {
      return Violation(page, "markup inside markup in the diff");
    } else if (e.tag == GUMBO_TAG_INS && plain) {
      *new_text += text;
    } else if (e.tag == GUMBO_TAG_DEL && plain) {
      *old_text += text;
    } else if (e.tag == GUMBO_TAG_SPAN && e.attributes.length == 1 &&
               cls != nullptr && std::string(cls->value) == "diff-skip") {
      *elided = true;
    } else {
      return Violation(page, "element <" + Describe(e) + "> in the diff");
    }
  }
  return Status::OK();
}

// What the HTML input stream makes of line breaks: CRLF and CR become LF.
std::string BrowserNewlines(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\r') {
      out += '\n';
      if (i + 1 < s.size() && s[i + 1] == '\n') ++i;
    } else {
      out += s[i];
    }
  }
  return out;
}

ServedPage Page(std::string name, std::string html, std::string reference,
                bool has_container, std::vector<std::string> textareas) {
  ServedPage page;
  page.name = std::move(name);
  page.html = std::move(html);
  page.reference = std::move(reference);
  page.has_container = has_container;
  page.textareas = std::move(textareas);
  return page;
}

}  // namespace

Status CheckServedPage(const ServedPage& page) {
  Parsed served = Parse(page.html);
  Parsed reference = Parse(page.reference);
  Outside got = Flatten(served->document, page.has_container);
  Outside want = Flatten(reference->document, page.has_container);
  if (page.has_container) {
    if (got.containers.size() != 1) {
      return Violation(
          page, std::to_string(got.containers.size()) + " article containers");
    }
    if (got.containers[0]->v.element.tag != GUMBO_TAG_DIV) {
      return Violation(page, "the container is not a div");
    }
    Status s = CheckContainer(page, got.containers[0]);
    if (!s.ok()) return s;
  }
  if (got.diffs.size() != (page.has_diff ? 1u : 0u)) {
    return Violation(page, std::to_string(got.diffs.size()) + " diffs");
  }
  if (page.has_diff) {
    std::string old_text, new_text;
    bool elided = false;
    Status s = CheckDiff(page, *got.diffs[0], &old_text, &new_text, &elided);
    if (!s.ok()) return s;
    if (!elided && (old_text != BrowserNewlines(page.diff_old) ||
                    new_text != BrowserNewlines(page.diff_new))) {
      return Violation(page, "the diff does not read back as its texts");
    }
  }
  if (got.elements != want.elements) {
    size_t i = 0;
    while (i < got.elements.size() && i < want.elements.size() &&
           got.elements[i] == want.elements[i]) {
      ++i;
    }
    std::string g = i < got.elements.size() ? got.elements[i] : "(end)";
    std::string w = i < want.elements.size() ? want.elements[i] : "(end)";
    return Violation(page, "page element " + std::to_string(i) + " is <" +
                               g.substr(0, 80) + ">, the template has <" +
                               w.substr(0, 80) + ">");
  }
  if (got.text != want.text) {
    return Violation(page, "the page's own text changed");
  }
  if (got.textareas.size() != page.textareas.size()) {
    return Violation(page, "textarea count changed");
  }
  for (size_t i = 0; i < got.textareas.size(); ++i) {
    if (got.textareas[i] != BrowserNewlines(page.textareas[i])) {
      return Violation(page, "textarea " + std::to_string(i) +
                                 " does not hold the text as given");
    }
  }
  return Status::OK();
}

Status CheckArticleAsServed(std::string_view article) {
  const std::string title = "Latest_plane_crash";
  const std::string placeholder = "<p>placeholder</p>";
  Revision rev;
  rev.meta.id = 7;
  rev.meta.time_ms = 1700000000000;
  rev.meta.author = "127.0.0.1";
  rev.text = std::string(article);
  Revision ref = rev;
  ref.text = placeholder;

  MergeResult draft;
  draft.text = std::string(article);
  MergeResult ref_draft;
  ref_draft.text = placeholder;

  std::vector<ServedPage> pages;
  pages.push_back(Page("reader page", RenderReaderPage(title, rev, 7),
                       RenderReaderPage(title, ref, 7), true, {}));
  pages.push_back(Page("old revision", RenderReaderPage(title, rev, 9),
                       RenderReaderPage(title, ref, 9), true, {}));
  pages.push_back(Page("edit form", RenderEditPage(title, 7, article, ""),
                       RenderEditPage(title, 7, placeholder, ""), false,
                       {std::string(article)}));
  // A preview embeds the submitted text as the reader page does, and keeps
  // it in the form.
  pages.push_back(Page("preview", RenderPreviewPage(title, 7, article, ""),
                       RenderPreviewPage(title, 7, placeholder, ""), true,
                       {std::string(article)}));
  // The conflict page shows the article as the current revision, as the
  // editor's text and as the merged draft.
  pages.push_back(
      Page("conflict page", RenderConflictPage(title, rev, article, &draft),
           RenderConflictPage(title, ref, placeholder, &ref_draft), false,
           {std::string(article), std::string(article), std::string(article)}));
  // The diff page shows the article as text, added and removed.
  Revision other = rev;
  other.meta.id = 6;
  other.text = "<p>an older text</p>\n";
  for (bool added : {true, false}) {
    const Revision& old_rev = added ? other : rev;
    const Revision& new_rev = added ? rev : other;
    const Revision& old_ref = added ? other : ref;
    const Revision& new_ref = added ? ref : other;
    auto diff = DiffTexts(old_rev.text, new_rev.text);
    auto ref_diff = DiffTexts(old_ref.text, new_ref.text);
    if (!diff.ok() || !ref_diff.ok()) return Status::IOError("diff failed");
    if (other.text == rev.text) break;  // "No difference" is another page
    ServedPage page =
        Page(added ? "diff page (added)" : "diff page (removed)",
             RenderDiffPage(title, &old_rev, new_rev, 9, *diff),
             RenderDiffPage(title, &old_ref, new_ref, 9, *ref_diff), false, {});
    page.has_diff = true;
    page.diff_old = old_rev.text;
    page.diff_new = new_rev.text;
    pages.push_back(std::move(page));
  }
  for (const ServedPage& page : pages) {
    Status s = CheckServedPage(page);
    if (!s.ok()) return s;
  }
  return Status::OK();
}

}  // namespace wiki
