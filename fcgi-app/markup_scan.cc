// markup_scan: tokenizer states and the stack model (the header has the
// contract).
//
// The tokenizer part mirrors the WHATWG states by name: "tag name",
// "before/after attribute name", "before attribute value", the three
// attribute value states, "self-closing start tag", the comment states
// (collapsed into the two searches that find a comment's end), "bogus
// comment" and "DOCTYPE" (both end at the first '>'). The data state needs
// no work beyond finding '<': character references never change where a
// tag starts or ends. CR needs no special case: the input stream turns it
// into LF, which every state treats as whitespace like the others.
//
// The stack model follows the "in body", "in table", "in row" and "in
// cell" rules for the allowed elements only, because every other tag is
// refused by name before it reaches the model.

#include "markup_scan.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace wiki {
namespace {

constexpr size_t kMaxNameInMessage = 40;

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

bool IsAsciiAlpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool IsVoid(GumboTag t) {
  return t == GUMBO_TAG_BR || t == GUMBO_TAG_HR || t == GUMBO_TAG_IMG ||
         t == GUMBO_TAG_COL;
}

bool IsFormatting(GumboTag t) {
  return t == GUMBO_TAG_A || t == GUMBO_TAG_B || t == GUMBO_TAG_CODE ||
         t == GUMBO_TAG_EM || t == GUMBO_TAG_I || t == GUMBO_TAG_SMALL ||
         t == GUMBO_TAG_STRONG;
}

bool IsHeading(GumboTag t) {
  return t == GUMBO_TAG_H1 || t == GUMBO_TAG_H2 || t == GUMBO_TAG_H3 ||
         t == GUMBO_TAG_H4 || t == GUMBO_TAG_H5 || t == GUMBO_TAG_H6;
}

bool IsCell(GumboTag t) {
  return t == GUMBO_TAG_TD || t == GUMBO_TAG_TH || t == GUMBO_TAG_CAPTION;
}

bool IsSection(GumboTag t) {
  return t == GUMBO_TAG_TBODY || t == GUMBO_TAG_THEAD || t == GUMBO_TAG_TFOOT;
}

// The boundaries of the parser's "has an element in scope" among allowed
// elements (html is below the article, so never on the model's stack).
bool IsScopeBoundary(GumboTag t) { return t == GUMBO_TAG_TABLE || IsCell(t); }

// The "special" category, restricted to allowed elements.
bool IsSpecial(GumboTag t) {
  switch (t) {
    case GUMBO_TAG_BLOCKQUOTE:
    case GUMBO_TAG_COLGROUP:
    case GUMBO_TAG_DD:
    case GUMBO_TAG_DIV:
    case GUMBO_TAG_DL:
    case GUMBO_TAG_DT:
    case GUMBO_TAG_FIGCAPTION:
    case GUMBO_TAG_FIGURE:
    case GUMBO_TAG_LI:
    case GUMBO_TAG_OL:
    case GUMBO_TAG_P:
    case GUMBO_TAG_PRE:
    case GUMBO_TAG_TBODY:
    case GUMBO_TAG_TFOOT:
    case GUMBO_TAG_THEAD:
    case GUMBO_TAG_TR:
    case GUMBO_TAG_UL:
      return true;
    default:
      return IsHeading(t) || IsScopeBoundary(t) || IsVoid(t);
  }
}

// Start tags that close an open <p> ("close a p element" in "in body").
bool ClosesP(GumboTag t) {
  switch (t) {
    case GUMBO_TAG_BLOCKQUOTE:
    case GUMBO_TAG_DD:
    case GUMBO_TAG_DIV:
    case GUMBO_TAG_DL:
    case GUMBO_TAG_DT:
    case GUMBO_TAG_FIGCAPTION:
    case GUMBO_TAG_FIGURE:
    case GUMBO_TAG_HR:
    case GUMBO_TAG_LI:
    case GUMBO_TAG_OL:
    case GUMBO_TAG_P:
    case GUMBO_TAG_PRE:
    case GUMBO_TAG_TABLE:
    case GUMBO_TAG_UL:
      return true;
    default:
      return IsHeading(t);
  }
}

// ASCII-lowercased; names longer than any allowed one come back empty.
std::string Lower(std::string_view name) {
  std::string out;
  if (name.size() > 16) return out;
  for (char c : name) {
    out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  return out;
}

std::string TagName(GumboTag t) { return gumbo_normalized_tagname(t); }

// The parser's stack of open elements above the article's container.
class StackModel {
 public:
  explicit StackModel(const ScanLimits& limits) : limits_(limits) {}

  Status OnStartTag(GumboTag t);
  Status OnEndTag(GumboTag t);
  // The page closes whatever the article left open.
  Status OnEnd() { return PopFrom(0, "the end of the article", false); }

 private:
  static constexpr size_t kNone = static_cast<size_t>(-1);

  // Index of the innermost element matching `match`, searching from the top
  // and giving up at an element matching `stop` (kNone if not found).
  template <typename Match, typename Stop>
  size_t Find(Match match, Stop stop) const {
    for (size_t k = stack_.size(); k > 0; --k) {
      if (match(stack_[k - 1])) return k - 1;
      if (stop(stack_[k - 1])) return kNone;
    }
    return kNone;
  }
  size_t FindInScope(GumboTag t) const {
    return Find([t](GumboTag e) { return e == t; }, IsScopeBoundary);
  }
  size_t FindTable() const {
    return Find([](GumboTag e) { return e == GUMBO_TAG_TABLE; },
                [](GumboTag) { return false; });
  }

  Status PopFrom(size_t index, const std::string& cause,
                 bool closes_index = true);
  Status CloseP(const std::string& cause);
  Status Push(GumboTag t);
  Status StartTablePart(GumboTag t);
  Status StartListItem(GumboTag t);

  const ScanLimits& limits_;
  std::vector<GumboTag> stack_;
};

// Pops stack_[index..]. A formatting element popped on the way (not the
// element being closed) would stay in the parser's list of active
// formatting elements and be re-created later, out of the model's sight;
// leaving a cell or caption clears that list, so one inside a cell is fine.
Status StackModel::PopFrom(size_t index, const std::string& cause,
                           bool closes_index) {
  std::optional<GumboTag> leaked;
  for (size_t k = stack_.size(); k > index; --k) {
    GumboTag e = stack_[k - 1];
    if (IsCell(e)) leaked.reset();
    if (IsFormatting(e) && (k - 1 != index || !closes_index)) leaked = e;
  }
  stack_.resize(index);
  if (leaked) {
    return Status::Unprocessable("element <" + TagName(*leaked) +
                                 "> must be closed before " + cause);
  }
  return Status::OK();
}

Status StackModel::CloseP(const std::string& cause) {
  size_t p = FindInScope(GUMBO_TAG_P);
  return p == kNone ? Status::OK() : PopFrom(p, cause);
}

Status StackModel::Push(GumboTag t) {
  stack_.push_back(t);
  if (stack_.size() > limits_.max_depth) {
    return Status::Unprocessable("the article nests elements more than " +
                                 std::to_string(limits_.max_depth) + " deep");
  }
  return Status::OK();
}

// "in table" and friends: parts of a table are placed by the parser, which
// creates the tbody and tr they need; outside a table they are ignored.
Status StackModel::StartTablePart(GumboTag t) {
  const std::string cause = "<" + TagName(t) + ">";
  size_t table = FindTable();
  if (table == kNone) return Status::OK();
  size_t above = table + 1;
  bool needs_section =
      t == GUMBO_TAG_TR || t == GUMBO_TAG_TD || t == GUMBO_TAG_TH;
  if (needs_section) {
    if (stack_.size() <= above || !IsSection(stack_[above])) {
      Status s = PopFrom(above, cause);
      if (!s.ok()) return s;
      s = Push(GUMBO_TAG_TBODY);
      if (!s.ok()) return s;
    }
    ++above;
  }
  if (t == GUMBO_TAG_TD || t == GUMBO_TAG_TH) {
    if (stack_.size() <= above || stack_[above] != GUMBO_TAG_TR) {
      Status s = PopFrom(above, cause);
      if (!s.ok()) return s;
      s = Push(GUMBO_TAG_TR);
      if (!s.ok()) return s;
    }
    ++above;
  }
  if (t == GUMBO_TAG_COL) {
    if (stack_.back() == GUMBO_TAG_COLGROUP) return Status::OK();
    Status s = PopFrom(above, cause);
    return s.ok() ? Push(GUMBO_TAG_COLGROUP) : s;
  }
  Status s = PopFrom(above, cause);
  return s.ok() ? Push(t) : s;
}

// li closes the innermost li, dd/dt the innermost dd or dt, unless a
// special element other than div and p comes first.
Status StackModel::StartListItem(GumboTag t) {
  const std::string cause = "<" + TagName(t) + ">";
  auto same = [t](GumboTag e) {
    if (t == GUMBO_TAG_LI) return e == GUMBO_TAG_LI;
    return e == GUMBO_TAG_DD || e == GUMBO_TAG_DT;
  };
  auto stop = [](GumboTag e) {
    return IsSpecial(e) && e != GUMBO_TAG_DIV && e != GUMBO_TAG_P;
  };
  size_t k = Find(same, stop);
  if (k != kNone) {
    Status s = PopFrom(k, cause);
    if (!s.ok()) return s;
  }
  Status s = CloseP(cause);
  return s.ok() ? Push(t) : s;
}

Status StackModel::OnStartTag(GumboTag t) {
  const std::string cause = "<" + TagName(t) + ">";
  switch (t) {
    case GUMBO_TAG_CAPTION:
    case GUMBO_TAG_COLGROUP:
    case GUMBO_TAG_COL:
    case GUMBO_TAG_TBODY:
    case GUMBO_TAG_THEAD:
    case GUMBO_TAG_TFOOT:
    case GUMBO_TAG_TR:
    case GUMBO_TAG_TD:
    case GUMBO_TAG_TH:
      return StartTablePart(t);
    case GUMBO_TAG_LI:
    case GUMBO_TAG_DD:
    case GUMBO_TAG_DT:
      return StartListItem(t);
    case GUMBO_TAG_TABLE: {
      // In a table (not in a cell), <table> ends the open table first.
      size_t k = Find([](GumboTag e) { return IsScopeBoundary(e); },
                      [](GumboTag) { return false; });
      if (k != kNone && stack_[k] == GUMBO_TAG_TABLE) {
        Status s = PopFrom(k, cause);
        if (!s.ok()) return s;
      }
      break;
    }
    case GUMBO_TAG_A:
      // Up to the last cell or caption, where the parser's list of active
      // formatting elements starts afresh (a table is no such boundary).
      if (Find([](GumboTag e) { return e == GUMBO_TAG_A; }, IsCell) != kNone) {
        return Status::Unprocessable("element <a> is not allowed inside <a>");
      }
      break;
    default:
      break;
  }
  if (ClosesP(t)) {
    Status s = CloseP(cause);
    if (!s.ok()) return s;
  }
  if (IsHeading(t) && !stack_.empty() && IsHeading(stack_.back())) {
    Status s = PopFrom(stack_.size() - 1, cause);
    if (!s.ok()) return s;
  }
  if (IsVoid(t)) return Status::OK();
  return Push(t);
}

Status StackModel::OnEndTag(GumboTag t) {
  const std::string cause = "</" + TagName(t) + ">";
  if (IsVoid(t)) return Status::OK();
  if (IsFormatting(t)) {
    if (!stack_.empty() && stack_.back() == t)
      return PopFrom(stack_.size() - 1, cause);
    if (FindInScope(t) != kNone) {
      return Status::Unprocessable(cause + " closes <" + TagName(t) +
                                   "> while <" + TagName(stack_.back()) +
                                   "> inside it is open");
    }
    return Status::OK();
  }
  size_t k = kNone;
  if (t == GUMBO_TAG_P) return CloseP(cause);
  if (t == GUMBO_TAG_LI) {
    k = Find([](GumboTag e) { return e == GUMBO_TAG_LI; },
             [](GumboTag e) {
               return IsScopeBoundary(e) || e == GUMBO_TAG_OL ||
                      e == GUMBO_TAG_UL;
             });
  } else if (IsHeading(t)) {
    k = Find(IsHeading, IsScopeBoundary);
  } else if (t == GUMBO_TAG_TABLE) {
    k = FindTable();
  } else if (IsSpecial(t)) {
    // Table parts search up to their table; the rest up to a boundary.
    bool table_part = IsSection(t) || IsCell(t) || t == GUMBO_TAG_TR ||
                      t == GUMBO_TAG_COLGROUP;
    k = table_part ? Find([t](GumboTag e) { return e == t; },
                          [](GumboTag e) { return e == GUMBO_TAG_TABLE; })
                   : FindInScope(t);
    if (k == kNone && t == GUMBO_TAG_DIV &&
        Find(IsScopeBoundary, [](GumboTag) { return false; }) == kNone) {
      // The parser would close the page's own container.
      return Status::Unprocessable(cause +
                                   " closes an element the article did not "
                                   "open");
    }
  } else {
    // "Any other end tag": the innermost such element unless a special
    // element comes first.
    k = Find([t](GumboTag e) { return e == t; }, IsSpecial);
  }
  return k == kNone ? Status::OK() : PopFrom(k, cause);
}

// The tokenizer over the article source.
class Scanner {
 public:
  Scanner(std::string_view html, const ScanLimits& limits,
          std::string* skeleton)
      : html_(html), limits_(limits), model_(limits), skeleton_(skeleton) {}

  Status Run();

 private:
  Status Tag(size_t lt, bool end_tag, size_t* next);
  Status Attributes(size_t* k, GumboTag tag, bool end_tag,
                    const std::string& name);
  Status Comment();
  void FlushText(size_t end);
  void EmitToken(size_t start, size_t end, bool verbatim);
  void KeepAttribute(bool end_tag, std::string_view name, size_t start,
                     size_t end, uint32_t* seen);
  Status EndOfInside(const char* what) const {
    return Status::Unprocessable(std::string("the article ends inside ") +
                                 what);
  }
  bool AtEnd(size_t k) const { return k >= html_.size(); }
  size_t CommentEnd(size_t from) const;

  std::string_view html_;
  const ScanLimits& limits_;
  StackModel model_;
  std::string* skeleton_;
  size_t text_start_ = 0;  // of the text run not yet in the skeleton
  std::string tag_text_;   // the tag being scanned, as the skeleton gets it
  size_t elements_ = 0;
  size_t comments_ = 0;
};

// Whether a run of source text holds only whitespace once its character
// references are decoded: numeric references to tab, LF, FF, CR or space,
// and &Tab; / &NewLine; are the only ones that decode to whitespace.
bool IsWhitespaceText(std::string_view run) {
  for (size_t i = 0; i < run.size(); ++i) {
    char c = run[i];
    if (IsSpace(c)) continue;
    if (c != '&') return false;
    std::string_view rest = run.substr(i + 1);
    if (rest.compare(0, 4, "Tab;") == 0) {
      i += 4;
      continue;
    }
    if (rest.compare(0, 8, "NewLine;") == 0) {
      i += 8;
      continue;
    }
    if (rest.empty() || rest[0] != '#') return false;
    size_t j = 1;
    bool hex = j < rest.size() && (rest[j] == 'x' || rest[j] == 'X');
    if (hex) ++j;
    uint32_t value = 0;
    size_t digits = 0;
    for (; j < rest.size(); ++j, ++digits) {
      char d = rest[j];
      int v = (d >= '0' && d <= '9')          ? d - '0'
              : hex && (d >= 'a' && d <= 'f') ? d - 'a' + 10
              : hex && (d >= 'A' && d <= 'F') ? d - 'A' + 10
                                              : -1;
      if (v < 0) break;
      value = value > 0x10ffff ? value : value * (hex ? 16 : 10) + v;
    }
    if (digits == 0) return false;  // a literal '&'
    if (value != 9 && value != 10 && value != 12 && value != 13 &&
        value != 32) {
      return false;
    }
    if (j < rest.size() && rest[j] == ';') ++j;
    i += j;
  }
  return true;
}

// Text between two tokens goes to the skeleton as one character of the same
// class: what the tree builder does with text depends only on whether it
// is all whitespace (tables, column groups), never on the text itself.
void Scanner::FlushText(size_t end) {
  if (skeleton_ != nullptr && end > text_start_) {
    *skeleton_ += IsWhitespaceText(html_.substr(text_start_, end - text_start_))
                      ? ' '
                      : 'x';
  }
}

// Adds an attribute's source text to the skeleton's copy of the tag unless
// the tag already had one of that name: the parser keeps the first and
// drops the others, and dropping them here spares it a quadratic search.
// End tags keep none: the parser drops all of theirs.
void Scanner::KeepAttribute(bool end_tag, std::string_view name, size_t start,
                            size_t end, uint32_t* seen) {
  if (skeleton_ == nullptr || end_tag) return;
  static constexpr std::string_view kNames[] = {
      "id",      "class",   "title", "alt",      "lang", "dir",
      "width",   "height",  "href",  "src",      "cite", "scope",
      "colspan", "rowspan", "start", "reversed", "span"};
  const std::string lower = Lower(name);
  uint32_t bit = 0;
  for (size_t i = 0; i < sizeof(kNames) / sizeof(kNames[0]); ++i) {
    if (lower == kNames[i]) bit = 1u << i;
  }
  // (A name RuleForAttribute allows but kNames lacks is always kept.)
  if ((*seen & bit) != 0) return;
  *seen |= bit;
  tag_text_ += ' ';
  tag_text_.append(html_.data() + start, end - start);
}

void Scanner::EmitToken(size_t start, size_t end, bool verbatim) {
  FlushText(start);
  if (skeleton_ != nullptr) {
    if (verbatim) {
      *skeleton_ += tag_text_;
    } else {
      *skeleton_ += "<!---->";
    }
  }
  text_start_ = end;
}

Status Scanner::Comment() {
  if (++comments_ > limits_.max_comments) {
    return Status::Unprocessable("the article has more than " +
                                 std::to_string(limits_.max_comments) +
                                 " comments");
  }
  return Status::OK();
}

Status Scanner::Run() {
  const size_t n = html_.size();
  size_t i = 0;
  while ((i = html_.find('<', i)) != std::string_view::npos) {
    const size_t lt = i;
    size_t j = i + 1;
    // A '<' or "</" at the end is text here, but in the page the markup
    // after the article follows it and may complete a tag or comment.
    if (j >= n || (html_[j] == '/' && j + 1 >= n)) {
      return Status::Unprocessable("the article ends with '<'");
    }
    char c = html_[j];
    size_t end = std::string_view::npos;  // of a comment-like token
    if (IsAsciiAlpha(c) ||
        (c == '/' && j + 1 < n && IsAsciiAlpha(html_[j + 1]))) {
      Status s = Tag(i, c == '/', &i);
      if (!s.ok()) return s;
      EmitToken(lt, i, true);
      continue;
    }
    if (c == '/' && j + 1 < n && html_[j + 1] == '>') {  // "</>" is dropped
      i = j + 2;
      tag_text_.clear();
      EmitToken(lt, i, true);
      continue;
    }
    if (html_.compare(j, 3, "!--") == 0) {
      size_t p = j + 3;  // after "<!--"; "<!-->" and "<!--->" are complete
      if (p < n && html_[p] == '>') {
        end = p + 1;
      } else if (html_.compare(p, 2, "->") == 0) {
        end = p + 2;
      } else {
        end = CommentEnd(p);
        if (end == std::string_view::npos) {
          return EndOfInside("a comment (<!-- without -->)");
        }
      }
    } else if (c == '!' || c == '?' || c == '/') {
      // DOCTYPE, <![CDATA[ (a bogus comment outside SVG/MathML), <?...>,
      // </ followed by a non-letter: all end at the first '>'.
      size_t gt = html_.find('>', j);
      if (gt == std::string_view::npos) {
        return EndOfInside("a <! or <? declaration (no closing >)");
      }
      end = gt + 1;
    } else {
      i = j;  // '<' followed by anything else is text
      continue;
    }
    Status s = Comment();
    if (!s.ok()) return s;
    EmitToken(lt, end, false);
    i = end;
  }
  FlushText(n);
  return model_.OnEnd();
}

// Just after the "-->" or "--!>" that ends a comment whose text starts at
// `from` ("comment end" accepts any number of extra dashes); npos if none.
// Each search starts where the last one stopped, so this is linear.
size_t Scanner::CommentEnd(size_t from) const {
  const size_t n = html_.size();
  size_t k = from;
  for (;;) {
    k = html_.find("--", k);
    if (k == std::string_view::npos) return k;
    size_t m = k + 2;
    while (m < n && html_[m] == '-') ++m;
    if (m < n && html_[m] == '>') return m + 1;
    if (m + 1 < n && html_[m] == '!' && html_[m + 1] == '>') return m + 2;
    k = m;
  }
}

Status Scanner::Tag(size_t lt, bool end_tag, size_t* next) {
  size_t start = lt + (end_tag ? 2 : 1);
  size_t k = start;
  while (k < html_.size() && !IsSpace(html_[k]) && html_[k] != '/' &&
         html_[k] != '>') {
    ++k;
  }
  std::string_view raw = html_.substr(start, k - start);
  std::string lower = Lower(raw);
  GumboTag tag = lower.empty() ? GUMBO_TAG_UNKNOWN
                               : gumbo_tagn_enum(lower.data(), lower.size());
  if (!IsAllowedArticleTag(tag)) {
    return Status::Unprocessable("element <" + MessageName(raw) +
                                 "> is not allowed");
  }
  if (skeleton_ != nullptr) {
    tag_text_.assign(end_tag ? "</" : "<");
    tag_text_.append(raw.data(), raw.size());
  }
  Status s = Attributes(&k, tag, end_tag, lower);
  if (!s.ok()) return s;
  if (skeleton_ != nullptr) tag_text_ += '>';
  *next = k;
  if (end_tag) return model_.OnEndTag(tag);
  if (++elements_ > limits_.max_elements) {
    return Status::Unprocessable("the article has more than " +
                                 std::to_string(limits_.max_elements) +
                                 " elements");
  }
  return model_.OnStartTag(tag);
}

// From just after the tag name to just after the tag's '>'.
Status Scanner::Attributes(size_t* pos, GumboTag tag, bool end_tag,
                           const std::string& name) {
  const std::string inside_tag = "the tag <" + name + ">";
  size_t k = *pos;
  size_t count = 0;
  uint32_t seen = 0;  // allowed attribute names already kept, as bits
  for (;;) {
    // before attribute name
    while (!AtEnd(k) && IsSpace(html_[k])) ++k;
    if (AtEnd(k)) return EndOfInside(inside_tag.c_str());
    if (html_[k] == '>') break;
    if (html_[k] == '/') {  // self-closing start tag state
      ++k;
      if (AtEnd(k)) return EndOfInside(inside_tag.c_str());
      if (html_[k] == '>') break;
      continue;  // reconsume in "before attribute name"
    }
    // attribute name: a leading '=' belongs to it
    if (++count > limits_.max_attributes) {
      return Status::Unprocessable("more than " +
                                   std::to_string(limits_.max_attributes) +
                                   " attributes on <" + name + ">");
    }
    size_t name_start = k++;
    while (!AtEnd(k) && !IsSpace(html_[k]) && html_[k] != '/' &&
           html_[k] != '>' && html_[k] != '=') {
      ++k;
    }
    // End tags' attributes are dropped by the parser.
    std::string_view attr = html_.substr(name_start, k - name_start);
    if (!end_tag &&
        RuleForAttribute(tag, Lower(attr)) == AttributeRule::kRefused) {
      return Status::Unprocessable("attribute " + MessageName(attr) + " on <" +
                                   name + "> is not allowed");
    }
    const size_t name_end = k;
    // after attribute name
    while (!AtEnd(k) && IsSpace(html_[k])) ++k;
    if (AtEnd(k)) return EndOfInside(inside_tag.c_str());
    if (html_[k] != '=') {  // '/', '>' or the next attribute
      KeepAttribute(end_tag, attr, name_start, name_end, &seen);
      continue;
    }
    // before attribute value
    ++k;
    while (!AtEnd(k) && IsSpace(html_[k])) ++k;
    if (AtEnd(k)) return EndOfInside(inside_tag.c_str());
    char q = html_[k];
    if (q == '>') {  // missing value: the same as no value
      KeepAttribute(end_tag, attr, name_start, name_end, &seen);
      break;
    }
    if (q == '"' || q == '\'') {
      size_t close = html_.find(q, k + 1);
      if (close == std::string_view::npos) {
        return EndOfInside(("an attribute value of <" + name + ">").c_str());
      }
      k = close + 1;  // after attribute value (quoted): '/', '>' or reconsume
      if (AtEnd(k)) return EndOfInside(inside_tag.c_str());
      KeepAttribute(end_tag, attr, name_start, k, &seen);
      continue;
    }
    while (!AtEnd(k) && !IsSpace(html_[k]) && html_[k] != '>') ++k;
    if (AtEnd(k)) return EndOfInside(inside_tag.c_str());
    KeepAttribute(end_tag, attr, name_start, k, &seen);
  }
  *pos = k + 1;
  return Status::OK();
}

std::string CodePoint(uint32_t cp) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out = "U+";
  int digits = cp > 0xFFFF ? 6 : 4;
  for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4) {
    out += kHex[(cp >> shift) & 15];
  }
  return out;
}

// C0 controls other than tab, LF and CR; also DEL, the C1 controls and the
// noncharacters, which the parser used for checking (gumbo) turns into
// U+FFFD while browsers keep them: text that differs between checker and
// browser has no place in an article. Malformed UTF-8 is left to
// IsValidUtf8, which CheckArticle runs first.
Status CheckControls(std::string_view html) {
  const auto* p = reinterpret_cast<const unsigned char*>(html.data());
  const size_t n = html.size();
  for (size_t i = 0; i < n;) {
    uint32_t cp = p[i];
    size_t len = 1;
    if (cp >= 0xc0 && cp < 0xf8) {
      len = cp < 0xe0 ? 2 : cp < 0xf0 ? 3 : 4;
      if (i + len > n) return Status::OK();
      cp &= 0x3f >> (len - 1);
      for (size_t k = 1; k < len; ++k) cp = (cp << 6) | (p[i + k] & 0x3f);
    }
    bool control = (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') ||
                   (cp >= 0x7f && cp <= 0x9f);
    bool nonchar = (cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) == 0xfffe;
    if ((control || nonchar) && !(len == 1 && cp >= 0x80)) {
      return Status::Unprocessable(
          std::string(control ? "control character " : "noncharacter ") +
          CodePoint(cp) + " at byte " + std::to_string(i) + " is not allowed");
    }
    i += len;
  }
  return Status::OK();
}

}  // namespace

bool IsAllowedArticleTag(GumboTag tag) {
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

AttributeRule RuleForAttribute(GumboTag tag, std::string_view name) {
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

Status ScanArticleSource(std::string_view html, const ScanLimits& limits,
                         std::string* skeleton) {
  Status s = CheckControls(html);
  if (!s.ok()) return s;
  return Scanner(html, limits, skeleton).Run();
}

std::string MessageName(std::string_view name) {
  std::string out;
  size_t n = name.size() < kMaxNameInMessage ? name.size() : kMaxNameInMessage;
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

}  // namespace wiki
