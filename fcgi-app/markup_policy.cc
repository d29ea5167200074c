// markup_policy: allowlist check of article HTML with gumbo.
//
// Design notes (the header has the contract):
//
// * What is checked is what is served. The article is first scanned as
//   source (markup_scan: tokenizer states, allowlisted tag names, limits),
//   which refuses any article whose tokenization ends inside a tag, an
//   attribute value or a comment: the page's own markup after the article
//   would complete such a construct in the browser. Then the article is
//   parsed as a full document in the place the reader page puts it (inside
//   main > div#mw-content-text, followed by an element of the page's own),
//   and the parsed page must have exactly that skeleton: nothing of the
//   article outside the container, the page's element after it intact and
//   outside it, no attributes merged onto html/body. Only then is the
//   container's subtree walked against the allowlist. The edit form and
//   the conflict page show the article escaped in a textarea; render's
//   HtmlEscape plus the control-character refusal cover those.
//
// * Article ids may not collide with the template's (render.h), so an
//   article cannot take over the page's own anchors.
//
// * Whole-article refusal, never sanitising: the stored source is what
//   readers' browsers parse, so the only question is whether anything in it
//   falls outside the allowlist.
//
// * gumbo's memory goes through GumboHeap below instead of
//   gumbo_destroy_output(), which recurses once per nesting level and
//   overflows the stack on a deeply nested article, killing the worker.

#include "markup_policy.h"

#include <gumbo.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "http.h"  // AsciiLower
#include "markup_scan.h"
#include "render.h"

namespace wiki {
namespace {

// Names taken from the article are cut to this length in messages so that
// a refusal never echoes a huge string back to the client.

// Allocator for one gumbo parse. Every block is linked into a list so that
// the destructor can free the whole tree without walking it (see the file
// comment). Not thread-safe; one instance per parse.
class GumboHeap {
 public:
  GumboHeap() = default;
  GumboHeap(const GumboHeap&) = delete;
  GumboHeap& operator=(const GumboHeap&) = delete;

  ~GumboHeap() {
    while (head_ != nullptr) {
      Block* next = head_->next;
      std::free(head_);
      head_ = next;
    }
  }

  void Install(GumboOptions* options) {
    options->allocator = &Allocate;
    options->deallocator = &Deallocate;
    options->userdata = this;
  }

 private:
  // Aligned like malloc's result so the payload after it stays aligned.
  struct alignas(std::max_align_t) Block {
    Block* prev;
    Block* next;
  };

  static void* Allocate(void* userdata, size_t size) {
    // gumbo dereferences whatever it gets without a NULL check, so failing
    // here loudly beats a wild write inside the library.
    if (size > SIZE_MAX - sizeof(Block)) std::abort();
    auto* block = static_cast<Block*>(std::malloc(sizeof(Block) + size));
    if (block == nullptr) std::abort();
    auto* heap = static_cast<GumboHeap*>(userdata);
    block->prev = nullptr;
    block->next = heap->head_;
    if (heap->head_ != nullptr) heap->head_->prev = block;
    heap->head_ = block;
    return block + 1;
  }

  static void Deallocate(void* userdata, void* ptr) {
    if (ptr == nullptr) return;
    auto* heap = static_cast<GumboHeap*>(userdata);
    Block* block = static_cast<Block*>(ptr) - 1;
    if (block->prev != nullptr) {
      block->prev->next = block->next;
    } else {
      heap->head_ = block->next;
    }
    if (block->next != nullptr) block->next->prev = block->prev;
    std::free(block);
  }

  Block* head_ = nullptr;
};

// HTML's definition of whitespace (the parser's), not the C locale's.
bool IsHtmlSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

bool IsBlank(std::string_view s) {
  for (char c : s) {
    if (!IsHtmlSpace(c)) return false;
  }
  return true;
}

// Git writes its markers at column 0; a bare CR also ends a line because
// browsers treat it as one.
bool HasConflictMarker(std::string_view s) {
  constexpr size_t kMarkerLength = 7;
  size_t line = 0;
  while (line < s.size()) {
    char c = s[line];
    if ((c == '<' || c == '=' || c == '>') &&
        s.size() - line >= kMarkerLength &&
        s.substr(line, kMarkerLength).find_first_not_of(c) ==
            std::string_view::npos) {
      return true;
    }
    size_t end = s.find_first_of("\r\n", line);
    if (end == std::string_view::npos) break;
    line = end + 1;
  }
  return false;
}

std::string ElementName(const GumboElement& element) {
  if (element.tag != GUMBO_TAG_UNKNOWN) {
    return gumbo_normalized_tagname(element.tag);
  }
  GumboStringPiece piece = element.original_tag;
  if (piece.length == 0) return "unknown";
  gumbo_tag_from_original_text(&piece);
  return MessageName(std::string_view(piece.data, piece.length));
}

Status ElementRefused(const GumboElement& element) {
  return Status::Unprocessable("element <" + ElementName(element) +
                               "> is not allowed");
}

// The URL as a browser's scheme detection sees it, made stricter: the URL
// parser drops tabs and newlines anywhere and C0 controls and spaces at
// the ends; dropping every control and space everywhere means no spacing
// trick can make "javascript:" look relative. (Other C0 controls arrive
// as U+FFFD from gumbo, which then fails the scheme comparison.)
// Lowercased because schemes are case-insensitive. Entities were already
// decoded by gumbo.
std::string NormalizeUrl(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char ch : value) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c == 0x7f) continue;
    out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : ch;
  }
  return out;
}

// Links may be http:, https: or relative (including "//host/..." and
// "#fragment"). mailto: is refused: articles cite sources, not inboxes, and
// addresses in articles are mostly spam. A ':' before the first '/', '?' or
// '#' is read as ending a scheme even where a browser would call the URL
// relative ("a b:c"): refusing those costs nothing real.
Status CheckLinkUrl(std::string_view value, std::string_view attribute,
                    const GumboElement& element) {
  std::string url = NormalizeUrl(value);
  size_t end = url.find_first_of(":/?#");
  if (end == std::string::npos || url[end] != ':') return Status::OK();
  std::string_view scheme = std::string_view(url).substr(0, end);
  if (scheme == "http" || scheme == "https") return Status::OK();
  return Status::Unprocessable("URL scheme " + MessageName(scheme) + ": in " +
                               std::string(attribute) + " on <" +
                               ElementName(element) + "> is not allowed");
}

// Images load without a click, so they must not downgrade the page to
// plain http (mixed content) or embed data: payloads.
Status CheckImageUrl(std::string_view value) {
  constexpr std::string_view kHttps = "https://";
  if (NormalizeUrl(value).compare(0, kHttps.size(), kHttps) != 0) {
    return Status::Unprocessable("image src must be an https URL");
  }
  return Status::OK();
}

Status CheckElement(const GumboNode& node) {
  const GumboElement& element = node.v.element;
  // Foreign (SVG/MathML) content is only reachable through <svg>/<math>,
  // which are refused first; checking the namespace keeps it that way if
  // the walk order ever changes.
  if (element.tag_namespace != GUMBO_NAMESPACE_HTML) {
    return ElementRefused(element);
  }
  if (!IsAllowedArticleTag(element.tag)) return ElementRefused(element);

  for (unsigned int i = 0; i < element.attributes.length; ++i) {
    const auto* attribute =
        static_cast<const GumboAttribute*>(element.attributes.data[i]);
    std::string_view name = attribute->name;
    switch (RuleForAttribute(element.tag, name)) {
      case AttributeRule::kRefused:
        return Status::Unprocessable("attribute " + MessageName(name) +
                                     " on <" + ElementName(element) +
                                     "> is not allowed");
      case AttributeRule::kPlain:
        if (name == "id" && IsTemplateId(attribute->value)) {
          return Status::Unprocessable("id \"" + MessageName(attribute->value) +
                                       "\" is used by the page itself");
        }
        break;
      case AttributeRule::kLinkUrl: {
        Status s = CheckLinkUrl(attribute->value, name, element);
        if (!s.ok()) return s;
        break;
      }
      case AttributeRule::kImageUrl: {
        Status s = CheckImageUrl(attribute->value);
        if (!s.ok()) return s;
        break;
      }
    }
  }
  return Status::OK();
}

void PushChildrenReversed(const GumboVector& children,
                          std::vector<const GumboNode*>* stack) {
  for (unsigned int i = children.length; i > 0; --i) {
    stack->push_back(static_cast<const GumboNode*>(children.data[i - 1]));
  }
}

// Pre-order walk so the first refusal is the first offence in the source.
// Iterative, so that no nesting the pre-scan lets through can overflow the
// stack.
Status CheckTree(const GumboNode& container) {
  std::vector<const GumboNode*> stack;
  PushChildrenReversed(container.v.element.children, &stack);
  while (!stack.empty()) {
    const GumboNode* node = stack.back();
    stack.pop_back();
    switch (node->type) {
      case GUMBO_NODE_ELEMENT: {
        Status s = CheckElement(*node);
        if (!s.ok()) return s;
        PushChildrenReversed(node->v.element.children, &stack);
        break;
      }
      case GUMBO_NODE_TEMPLATE:
        return ElementRefused(node->v.element);
      case GUMBO_NODE_CDATA:
        // Only exists inside SVG/MathML; refused for completeness.
        return Status::Unprocessable("CDATA sections are not allowed");
      case GUMBO_NODE_DOCUMENT:  // never a child
      case GUMBO_NODE_TEXT:
      case GUMBO_NODE_WHITESPACE:
      case GUMBO_NODE_COMMENT:  // inert, and handy for editors' notes
        break;
    }
  }
  return Status::OK();
}

}  // namespace

bool IsValidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const unsigned char* const end = p + s.size();
  while (p < end) {
    // Articles are mostly ASCII; skip it eight bytes at a time.
    if (end - p >= 8) {
      uint64_t word;
      std::memcpy(&word, p, sizeof(word));
      if ((word & 0x8080808080808080ULL) == 0) {
        p += 8;
        continue;
      }
    }
    unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    // The Unicode Standard, table 3-7: the lead byte fixes the sequence length
    // and the range of the first continuation byte, which is where overlongs
    // (C0, C1, E0 80..9F, F0 80..8F), surrogates (ED A0..BF) and code
    // points above U+10FFFF (F4 90.., F5..FF) are excluded.
    ptrdiff_t trail;
    unsigned char low = 0x80;
    unsigned char high = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) {
      trail = 1;
    } else if (c == 0xe0) {
      trail = 2;
      low = 0xa0;
    } else if (c == 0xed) {
      trail = 2;
      high = 0x9f;
    } else if (c >= 0xe1 && c <= 0xef) {
      trail = 2;
    } else if (c == 0xf0) {
      trail = 3;
      low = 0x90;
    } else if (c == 0xf4) {
      trail = 3;
      high = 0x8f;
    } else if (c >= 0xf1 && c <= 0xf3) {
      trail = 3;
    } else {
      return false;  // stray continuation byte, C0/C1, or F5..FF
    }
    if (end - p <= trail) return false;  // truncated
    if (p[1] < low || p[1] > high) return false;
    for (ptrdiff_t i = 2; i <= trail; ++i) {
      if ((p[i] & 0xc0) != 0x80) return false;
    }
    p += trail + 1;
  }
  return true;
}

namespace {

// The article is parsed where the reader page puts it: after the page's
// own markup has opened html, body, main and the container, and followed
// by the container's end tag and an element of the page's own. Only the
// skeleton matters for the parser's state at the article's start (no open
// <p>, no active formatting elements, standards mode).
constexpr std::string_view kEmbedSentinelId = "wiki-embed-sentinel";

std::string EmbedArticle(std::string_view html) {
  std::string out;
  out.reserve(html.size() + 160);
  out += "<!DOCTYPE html><html><head></head><body><main><div id=\"";
  out += kArticleContainerId;
  out += "\">\n";
  out += html;
  // Text after the container, as in the page: it is where the parser
  // re-creates formatting elements the article left open.
  out += "\n</div>\n<p id=\"";
  out += kEmbedSentinelId;
  out += "\">.</p></main></body></html>";
  return out;
}

bool IsWhitespaceNode(const GumboNode* node) {
  return node->type == GUMBO_NODE_WHITESPACE;
}

// The element children of `parent`, or nullopt if it has any other child
// except whitespace.
bool ElementChildren(const GumboNode& parent,
                     std::vector<const GumboNode*>* out) {
  const GumboVector& children = parent.v.element.children;
  for (unsigned int i = 0; i < children.length; ++i) {
    const auto* child = static_cast<const GumboNode*>(children.data[i]);
    if (IsWhitespaceNode(child)) continue;
    if (child->type != GUMBO_NODE_ELEMENT) return false;
    out->push_back(child);
  }
  return true;
}

bool IsBare(const GumboNode* node, GumboTag tag) {
  return node->type == GUMBO_NODE_ELEMENT && node->v.element.tag == tag &&
         node->v.element.attributes.length == 0;
}

bool HasId(const GumboNode* node, GumboTag tag, std::string_view id) {
  if (node->type != GUMBO_NODE_ELEMENT || node->v.element.tag != tag ||
      node->v.element.attributes.length != 1) {
    return false;
  }
  const GumboAttribute* a =
      gumbo_get_attribute(&node->v.element.attributes, "id");
  return a != nullptr && id == a->value;
}

// Finds the container in the parsed page and checks that the page around
// it is exactly the skeleton EmbedArticle wrote: nothing of the article
// escaped the container, and the page's markup after it is intact.
Result<const GumboNode*> FindContainer(const GumboOutput& output) {
  const Status escaped = Status::Unprocessable(
      "the article closes an element it did not open (a stray </div>?)");
  const Status open = Status::Unprocessable(
      "the article leaves an element open (a <div> or <table>?)");
  std::vector<const GumboNode*> top, html, body, main;
  if (!ElementChildren(*output.document, &top) || top.size() != 1 ||
      !IsBare(top[0], GUMBO_TAG_HTML) || !ElementChildren(*top[0], &html) ||
      html.size() != 2 || !IsBare(html[0], GUMBO_TAG_HEAD) ||
      html[0]->v.element.children.length != 0 ||
      !IsBare(html[1], GUMBO_TAG_BODY) || !ElementChildren(*html[1], &body) ||
      body.size() != 1 || !IsBare(body[0], GUMBO_TAG_MAIN)) {
    return escaped;
  }
  if (!ElementChildren(*body[0], &main) || main.empty() ||
      !HasId(main[0], GUMBO_TAG_DIV, kArticleContainerId)) {
    return escaped;
  }
  if (main.size() == 1) return open;
  if (main.size() != 2 || !HasId(main[1], GUMBO_TAG_P, kEmbedSentinelId) ||
      main[1]->v.element.children.length != 1 ||
      static_cast<const GumboNode*>(main[1]->v.element.children.data[0])
              ->type != GUMBO_NODE_TEXT) {
    return escaped;
  }
  return main[0];
}

}  // namespace

Status CheckArticle(std::string_view html) {
  return CheckArticle(html, Cancel());
}

Status CheckArticle(std::string_view html, const Cancel& cancel) {
  if (!IsValidUtf8(html)) {
    return Status::Unprocessable("the article is not valid UTF-8");
  }
  if (IsBlank(html)) return Status::Unprocessable("the article is empty");
  if (HasConflictMarker(html)) {
    return Status::Unprocessable("unresolved merge conflict marker");
  }
  // Linear, and it bounds what gumbo will be given (markup_scan.h).
  std::string skeleton;
  skeleton.reserve(html.size() / 4);
  Status lexical = ScanArticleSource(html, ScanLimits(), &skeleton);
  if (!lexical.ok()) return lexical;
  if (cancel.ClientGone()) return Status::Cancelled("the markup parse");

  const std::string page = EmbedArticle(skeleton);
  GumboHeap heap;
  GumboOptions options = kGumboDefaultOptions;
  heap.Install(&options);
  options.max_errors = 0;  // parse errors are not used; don't store them
  GumboOutput* output =
      gumbo_parse_with_options(&options, page.data(), page.size());
  // No gumbo_destroy_output(): `heap` frees everything (see file comment).
  Result<const GumboNode*> container = FindContainer(*output);
  if (!container.ok()) return container.status();
  return CheckTree(**container);
}

}  // namespace wiki
