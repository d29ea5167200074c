// markup_policy: allowlist check of article HTML with gumbo.
//
// Design notes (the header has the contract):
//
// * Full-document parse, not a fragment parse. With a fragment context,
//   gumbo silently drops a stray "<body onload=...>", yet a browser
//   rendering the article inside the site's page merges those attributes
//   onto the page's real <body>. A full parse keeps them: gumbo merges them
//   onto its own html/body elements, where the walk below sees them. The
//   cost is that content at the very start (<meta>, <title>, <style>, ...)
//   lands in <head>, so the whole document is walked, not just <body>.
//
// * The html/head/body elements gumbo synthesises are accepted; the same
//   elements written in the source are refused. "Written" means the start
//   tag or end tag is in the source, or the element carries attributes
//   (merged from a stray tag anywhere in the article). A stray bare <html>,
//   <head> or <body> in the middle of an article leaves no trace in gumbo's
//   tree and is let through; browsers ignore those too.
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

namespace wiki {
namespace {

// Names taken from the article are cut to this length in messages so that
// a refusal never echoes a huge string back to the client.
constexpr size_t kMaxNameInMessage = 40;

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

// Makes a name from the article safe and short enough for a message:
// ASCII-lowercased, anything but printable ASCII replaced by '?' (so a cut
// can never split a UTF-8 sequence), at most kMaxNameInMessage characters.
std::string MessageName(std::string_view name) {
  std::string out;
  size_t n = name.size() < kMaxNameInMessage ? name.size() : kMaxNameInMessage;
  out.reserve(n + 3);
  for (size_t i = 0; i < n; ++i) {
    unsigned char c = static_cast<unsigned char>(name[i]);
    if (c >= 'A' && c <= 'Z') {
      out += static_cast<char>(c - 'A' + 'a');
    } else if (c > 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      out += '?';
    }
  }
  if (name.size() > n) out += "...";
  return out;
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

bool IsAllowedElement(GumboTag tag) {
  switch (tag) {
    case GUMBO_TAG_H1:
    case GUMBO_TAG_H2:
    case GUMBO_TAG_H3:
    case GUMBO_TAG_H4:
    case GUMBO_TAG_H5:
    case GUMBO_TAG_H6:
    case GUMBO_TAG_P:
    case GUMBO_TAG_UL:
    case GUMBO_TAG_OL:
    case GUMBO_TAG_LI:
    case GUMBO_TAG_DL:
    case GUMBO_TAG_DT:
    case GUMBO_TAG_DD:
    case GUMBO_TAG_TABLE:
    case GUMBO_TAG_CAPTION:
    case GUMBO_TAG_COLGROUP:
    case GUMBO_TAG_COL:
    case GUMBO_TAG_THEAD:
    case GUMBO_TAG_TBODY:
    case GUMBO_TAG_TFOOT:
    case GUMBO_TAG_TR:
    case GUMBO_TAG_TH:
    case GUMBO_TAG_TD:
    case GUMBO_TAG_A:
    case GUMBO_TAG_IMG:
    case GUMBO_TAG_FIGURE:
    case GUMBO_TAG_FIGCAPTION:
    case GUMBO_TAG_BLOCKQUOTE:
    case GUMBO_TAG_CITE:
    case GUMBO_TAG_Q:
    case GUMBO_TAG_ABBR:
    case GUMBO_TAG_SUP:
    case GUMBO_TAG_SUB:
    case GUMBO_TAG_B:
    case GUMBO_TAG_I:
    case GUMBO_TAG_EM:
    case GUMBO_TAG_STRONG:
    case GUMBO_TAG_SMALL:
    case GUMBO_TAG_CODE:
    case GUMBO_TAG_PRE:
    case GUMBO_TAG_SPAN:
    case GUMBO_TAG_DIV:
    case GUMBO_TAG_BR:
    case GUMBO_TAG_HR:
      return true;
    default:
      return false;
  }
}

// How an attribute's value must be checked, if it may appear at all.
enum class AttributeRule {
  kRefused,
  kPlain,     // any value: no URL, no script, no style
  kLinkUrl,   // http:, https: or relative
  kImageUrl,  // absolute https:// only
};

AttributeRule RuleFor(GumboTag tag, std::string_view name) {
  // No event handler (on*) and no style: those fall through to kRefused.
  static constexpr std::string_view kGlobal[] = {
      "id", "class", "title", "alt", "lang", "dir", "width", "height"};
  for (std::string_view global : kGlobal) {
    if (name == global) return AttributeRule::kPlain;
  }
  switch (tag) {
    case GUMBO_TAG_A:
      if (name == "href") return AttributeRule::kLinkUrl;
      break;
    case GUMBO_TAG_IMG:
      if (name == "src") return AttributeRule::kImageUrl;
      break;
    case GUMBO_TAG_BLOCKQUOTE:
    case GUMBO_TAG_Q:
      if (name == "cite") return AttributeRule::kLinkUrl;
      break;
    case GUMBO_TAG_TH:
      if (name == "scope") return AttributeRule::kPlain;
      [[fallthrough]];
    case GUMBO_TAG_TD:
      if (name == "colspan" || name == "rowspan") return AttributeRule::kPlain;
      break;
    case GUMBO_TAG_OL:
      if (name == "start" || name == "reversed") return AttributeRule::kPlain;
      break;
    case GUMBO_TAG_COL:
    case GUMBO_TAG_COLGROUP:
      if (name == "span") return AttributeRule::kPlain;
      break;
    default:
      break;
  }
  return AttributeRule::kRefused;
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

bool IsDocumentFrame(GumboTag tag) {
  return tag == GUMBO_TAG_HTML || tag == GUMBO_TAG_HEAD ||
         tag == GUMBO_TAG_BODY;
}

Status CheckElement(const GumboNode& node) {
  const GumboElement& element = node.v.element;
  // Foreign (SVG/MathML) content is only reachable through <svg>/<math>,
  // which are refused first; checking the namespace keeps it that way if
  // the walk order ever changes.
  if (element.tag_namespace != GUMBO_NAMESPACE_HTML) {
    return ElementRefused(element);
  }
  if (IsDocumentFrame(element.tag)) {
    bool synthesised = (node.parse_flags & GUMBO_INSERTION_BY_PARSER) != 0 &&
                       element.original_end_tag.length == 0 &&
                       element.attributes.length == 0;
    return synthesised ? Status::OK() : ElementRefused(element);
  }
  if (!IsAllowedElement(element.tag)) return ElementRefused(element);

  for (unsigned int i = 0; i < element.attributes.length; ++i) {
    const auto* attribute =
        static_cast<const GumboAttribute*>(element.attributes.data[i]);
    std::string_view name = attribute->name;
    switch (RuleFor(element.tag, name)) {
      case AttributeRule::kRefused:
        return Status::Unprocessable("attribute " + MessageName(name) +
                                     " on <" + ElementName(element) +
                                     "> is not allowed");
      case AttributeRule::kPlain:
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
// Iterative: a 2 MiB article can nest hundreds of thousands of levels.
Status CheckTree(const GumboNode* document) {
  std::vector<const GumboNode*> stack;
  PushChildrenReversed(document->v.document.children, &stack);
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

// Elements that are never allowed, looked for in the source text itself.
// The parser silently drops some of them where they cannot stand (a
// <frame> outside a frameset, a stray </body>...), so the tree walk never
// sees them, yet another parser (an old browser, a feed reader) might act
// on them. Refusing them by name in the text closes that gap; the price is
// refusing the rare article that mentions "<frame" inside a comment.
constexpr const char* kNeverTags[] = {
    "applet",   "base",      "basefont", "button",   "embed",    "form",
    "frame",    "frameset",  "iframe",   "input",    "isindex",  "link",
    "math",     "meta",      "noembed",  "noframes", "noscript", "object",
    "param",    "plaintext", "script",   "select",   "style",    "svg",
    "template", "textarea",  "xmp"};

// gumbo's tree construction is quadratic in some nestings (tens of
// thousands of open elements), so an article with more tags than any real
// one is refused before parsing. The sample article has ~700.
constexpr size_t kMaxTags = 20000;

bool IsAsciiAlpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// A small tokenizer over the source: skips comments and attribute values
// (quoted or not), so only real tag names are looked at.
Status CheckSourceTags(std::string_view html) {
  size_t tags = 0;
  size_t i = 0;
  const size_t n = html.size();
  while ((i = html.find('<', i)) != std::string_view::npos) {
    if (html.compare(i, 4, "<!--") == 0) {
      size_t end = html.find("-->", i + 4);
      if (end == std::string_view::npos) break;
      i = end + 3;
      continue;
    }
    size_t j = i + 1;
    if (j < n && html[j] == '/') ++j;
    if (j >= n || !IsAsciiAlpha(html[j])) {
      i = j;
      continue;
    }
    size_t start = j;
    while (j < n && !IsHtmlSpace(html[j]) && html[j] != '/' && html[j] != '>')
      ++j;
    if (++tags > kMaxTags) {
      return Status::Unprocessable("the article has more than " +
                                   std::to_string(kMaxTags) + " tags");
    }
    std::string name(html.substr(start, std::min<size_t>(j - start, 40)));
    for (char& c : name) c = AsciiLower(c);
    for (const char* never : kNeverTags) {
      if (name == never)
        return Status::Unprocessable("element <" + name + "> is not allowed");
    }
    // Skip the attributes up to the tag's end, stepping over quoted values.
    while (j < n && html[j] != '>') {
      if (html[j] == '"' || html[j] == '\'') {
        size_t close = html.find(html[j], j + 1);
        if (close == std::string_view::npos) return Status::OK();
        j = close + 1;
      } else {
        ++j;
      }
    }
    i = j;
  }
  return Status::OK();
}

}  // namespace

Status CheckArticle(std::string_view html) {
  if (!IsValidUtf8(html)) {
    return Status::Unprocessable("the article is not valid UTF-8");
  }
  if (IsBlank(html)) return Status::Unprocessable("the article is empty");
  if (HasConflictMarker(html)) {
    return Status::Unprocessable("unresolved merge conflict marker");
  }
  Status lexical = CheckSourceTags(html);
  if (!lexical.ok()) return lexical;

  GumboHeap heap;
  GumboOptions options = kGumboDefaultOptions;
  heap.Install(&options);
  options.max_errors = 0;  // parse errors are not used; don't store them
  GumboOutput* output =
      gumbo_parse_with_options(&options, html.data(), html.size());
  // No gumbo_destroy_output(): `heap` frees everything (see file comment).
  return CheckTree(output->document);
}

}  // namespace wiki
