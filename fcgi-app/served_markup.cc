#include "served_markup.h"

#include <gumbo.h>

#include <memory>
#include <set>
#include <utility>

#include "render.h"
#include "revision.h"

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
  pages.push_back({"reader page",
                   RenderReaderPage(title, rev, 7),
                   RenderReaderPage(title, ref, 7),
                   true,
                   {}});
  pages.push_back({"old revision",
                   RenderReaderPage(title, rev, 9),
                   RenderReaderPage(title, ref, 9),
                   true,
                   {}});
  pages.push_back({"edit form",
                   RenderEditPage(title, 7, article, ""),
                   RenderEditPage(title, 7, placeholder, ""),
                   false,
                   {std::string(article)}});
  // A preview embeds the submitted text as the reader page does, and keeps
  // it in the form.
  pages.push_back({"preview",
                   RenderPreviewPage(title, 7, article, ""),
                   RenderPreviewPage(title, 7, placeholder, ""),
                   true,
                   {std::string(article)}});
  // The conflict page shows the article as the current revision, as the
  // editor's text and as the merged draft.
  pages.push_back(
      {"conflict page",
       RenderConflictPage(title, rev, article, &draft),
       RenderConflictPage(title, ref, placeholder, &ref_draft),
       false,
       {std::string(article), std::string(article), std::string(article)}});
  for (const ServedPage& page : pages) {
    Status s = CheckServedPage(page);
    if (!s.ok()) return s;
  }
  return Status::OK();
}

}  // namespace wiki
