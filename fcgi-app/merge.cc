// merge: three-way merge of article revisions. See merge.h for the contract.
//
// Pipeline:
//   1. Trivial cases (a side unchanged, both sides equal) return an input
//      verbatim, so the common un-contended save never touches libgit2.
//   2. Inputs xdiff cannot be trusted with (a NUL byte makes libgit2 call the
//      file binary and return no text; a line that looks like one of our
//      conflict markers would make the output ambiguous) become one
//      whole-article conflict.
//   3. Line merge with git_merge_file (diff3 style, so each conflict region
//      carries its base lines). A missing final newline is normalised away
//      first and merged separately as one bit; otherwise xdiff would invent a
//      newline inside conflict sections and treat "added a final newline" as
//      a change to the last line.
//   4. kWord: each conflicting line region is tokenised (tags, words,
//      whitespace, newlines) and merged again with the same algorithm, one
//      unit per line: first in content-defined chunks of ~16 tokens, then,
//      inside conflicting chunks, token by token. Only conflicting regions
//      are tokenised, so a 2 MiB article with one contested paragraph costs
//      one line merge plus a small token merge; the chunk pass keeps a
//      2 MiB single-line article from becoming a 600k-line xdiff problem.
//   5. The pieces are assembled into the merged text or the draft.

#include "merge.h"

#include <git2.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <exception>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wiki {
namespace {

// Long enough that no article plausibly has a line starting with a run of 32
// '<', '|', '=' or '>' (and if one does, we refuse to parse; see
// HasMarkerLikeLine), so every such line in xdiff's output is a marker.
constexpr int kMarkerSize = 32;

// Labels only for xdiff's internal output; the parser does not rely on them.
constexpr char kBaseLabel[] = "base";
constexpr char kCurrentLabel[] = "current revision";
constexpr char kMineLabel[] = "your edit";

// Draft markers, as promised in merge.h (short, git-style, so that
// markup_policy's "<<<<<<<" check refuses an unresolved draft).
constexpr char kDraftCurrentMarker[] = "<<<<<<< current revision\n";
constexpr char kDraftSeparator[] = "=======\n";
constexpr char kDraftMineMarker[] = ">>>>>>> your edit\n";

// Every encoded token line starts with this, so a token such as a run of 32
// '<' can never be mistaken for a marker line in the token-level merge.
constexpr char kTokenPrefix = '.';

// Owns a git_merge_file_result, which holds a libgit2-allocated buffer that
// must go back through git_merge_file_result_free.
class MergeFileResult {
 public:
  MergeFileResult() = default;
  ~MergeFileResult() { git_merge_file_result_free(&result_); }
  MergeFileResult(const MergeFileResult&) = delete;
  MergeFileResult& operator=(const MergeFileResult&) = delete;

  git_merge_file_result* get() { return &result_; }
  bool automergeable() const { return result_.automergeable != 0; }
  std::string_view text() const {
    return result_.ptr == nullptr ? std::string_view()
                                  : std::string_view(result_.ptr, result_.len);
  }

 private:
  git_merge_file_result result_ = {};
};

// libgit2's allocator and error slots are set up by git_libgit2_init. A
// function-local static makes that happen exactly once even when the first
// merges race; we never shut down because other threads may still merge.
bool LibGit2Ready() {
  static const bool ready = git_libgit2_init() >= 0;
  return ready;
}

Status LibGit2Error(const char* what) {
  const git_error* e = git_error_last();
  std::string msg = "merge: ";
  msg += what;
  if (e != nullptr && e->message != nullptr) {
    msg += ": ";
    msg += e->message;
  }
  return Status::IOError(std::move(msg));
}

// ours = the current revision and theirs = the editor's text, so xdiff's
// conflict sections come in draft order (current revision first).
Status XdiffMerge(std::string_view base, std::string_view current,
                  std::string_view mine, MergeFileResult* out) {
  if (!LibGit2Ready()) return LibGit2Error("libgit2 failed to initialise");
  git_merge_file_input in[3];
  const std::string_view texts[3] = {base, current, mine};
  for (int i = 0; i < 3; ++i) {
    if (git_merge_file_input_init(&in[i], GIT_MERGE_FILE_INPUT_VERSION) < 0) {
      return LibGit2Error("bad merge input version");
    }
    // Some xdiff paths read ptr even for size 0; never hand it nullptr.
    in[i].ptr = texts[i].empty() ? "" : texts[i].data();
    in[i].size = texts[i].size();
  }
  git_merge_file_options opts;
  if (git_merge_file_options_init(&opts, GIT_MERGE_FILE_OPTIONS_VERSION) < 0) {
    return LibGit2Error("bad merge options version");
  }
  opts.ancestor_label = kBaseLabel;
  opts.our_label = kCurrentLabel;
  opts.their_label = kMineLabel;
  opts.flags = GIT_MERGE_FILE_STYLE_DIFF3;
  opts.marker_size = kMarkerSize;
  if (git_merge_file(out->get(), &in[0], &in[1], &in[2], &opts) < 0) {
    return LibGit2Error("git_merge_file failed");
  }
  return Status::OK();
}

bool StartsWithRun(std::string_view line, char c) {
  if (line.size() < static_cast<size_t>(kMarkerSize)) return false;
  for (int i = 0; i < kMarkerSize; ++i) {
    if (line[i] != c) return false;
  }
  return true;
}

bool IsMarkerLike(std::string_view line) {
  return StartsWithRun(line, '<') || StartsWithRun(line, '|') ||
         StartsWithRun(line, '=') || StartsWithRun(line, '>');
}

bool HasMarkerLikeLine(std::string_view s) {
  size_t pos = 0;
  while (pos < s.size()) {
    size_t nl = s.find('\n', pos);
    size_t end = nl == std::string_view::npos ? s.size() : nl;
    if (IsMarkerLike(s.substr(pos, end - pos))) return true;
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  return false;
}

bool HasNul(std::string_view s) {
  return !s.empty() && std::memchr(s.data(), '\0', s.size()) != nullptr;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

void StripSuffix(std::string* s, std::string_view suffix) {
  if (!suffix.empty() && EndsWith(*s, suffix)) {
    s->resize(s->size() - suffix.size());
  }
}

// An empty text has no dangling last line, so it counts as terminated.
bool HasFinalNewline(std::string_view s) {
  return s.empty() || s.back() == '\n';
}

// The line ending to borrow when a text lacks a final one: the current
// revision's convention wins, so a CRLF article stays CRLF.
std::string_view DetectEol(std::string_view current, std::string_view mine,
                           std::string_view base) {
  for (std::string_view s : {current, mine, base}) {
    size_t nl = s.find('\n');
    if (nl != std::string_view::npos) {
      return nl > 0 && s[nl - 1] == '\r' ? "\r\n" : "\n";
    }
  }
  return "\n";
}

std::string Terminated(std::string_view s, std::string_view eol) {
  std::string out(s);
  if (!HasFinalNewline(s)) out.append(eol);
  return out;
}

// One piece of a merge: agreed text, or a conflict. MergeConflict's `theirs`
// is the current revision throughout, as in merge.h.
struct Hunk {
  bool conflict = false;
  std::string text;
  MergeConflict sides;
};

Hunk TextHunk(std::string text) {
  Hunk h;
  h.text = std::move(text);
  return h;
}

Hunk ConflictHunk(MergeConflict sides) {
  Hunk h;
  h.conflict = true;
  h.sides = std::move(sides);
  return h;
}

// Splits xdiff's diff3 output into hunks. Returns false if the output is not
// the shape we expect (text, then blocks of current / base / mine separated
// by our markers), so the caller can fall back to a coarser conflict rather
// than guess. Markers end in "\n" or, for CRLF texts, "\r\n"; we only look at
// the leading run, which the input check guarantees is unique to markers.
bool ParseMergeOutput(std::string_view out, std::vector<Hunk>* hunks) {
  enum class State { kText, kCurrent, kBase, kMine };
  State state = State::kText;
  size_t section_start = 0;
  MergeConflict sides;
  bool saw_conflict = false;
  size_t pos = 0;
  while (pos < out.size()) {
    size_t nl = out.find('\n', pos);
    size_t next = nl == std::string_view::npos ? out.size() : nl + 1;
    std::string_view line = out.substr(pos, next - pos);
    std::string_view section = out.substr(section_start, pos - section_start);
    switch (state) {
      case State::kText:
        if (StartsWithRun(line, '<')) {
          if (!section.empty())
            hunks->push_back(TextHunk(std::string(section)));
          state = State::kCurrent;
          section_start = next;
        } else if (IsMarkerLike(line)) {
          return false;
        }
        break;
      case State::kCurrent:
        if (StartsWithRun(line, '|')) {
          sides.theirs = std::string(section);
          state = State::kBase;
          section_start = next;
        } else if (IsMarkerLike(line)) {
          return false;
        }
        break;
      case State::kBase:
        if (StartsWithRun(line, '=')) {
          sides.base = std::string(section);
          state = State::kMine;
          section_start = next;
        } else if (IsMarkerLike(line)) {
          return false;
        }
        break;
      case State::kMine:
        if (StartsWithRun(line, '>')) {
          sides.mine = std::string(section);
          hunks->push_back(ConflictHunk(std::move(sides)));
          sides = MergeConflict();
          saw_conflict = true;
          state = State::kText;
          section_start = next;
        } else if (IsMarkerLike(line)) {
          return false;
        }
        break;
    }
    pos = next;
  }
  if (state != State::kText || !saw_conflict) return false;
  if (section_start < out.size()) {
    hunks->push_back(TextHunk(std::string(out.substr(section_start))));
  }
  return true;
}

// ---- Word level -----------------------------------------------------------

bool IsBlank(char c) {
  return c == ' ' || c == '\t' || c == '\f' || c == '\v' || c == '\r';
}

bool IsAsciiAlpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// Tokens: an HTML tag or comment (atomic, so a merge can never produce half
// of one tag and half of another), a newline ("\n" or "\r\n", on its own so
// line structure survives), a run of other whitespace, or a word (a run of
// anything else). Punctuation deliberately stays attached to its word:
// splitting "3.5" or "2024-05-01" or a URL into pieces would let two editors'
// edits to different pieces merge into a number or date neither wrote.
class Tokenizer {
 public:
  explicit Tokenizer(std::string_view s) : s_(s) {}

  std::vector<std::string_view> Run() {
    std::vector<std::string_view> tokens;
    tokens.reserve(s_.size() / 4);
    const size_t n = s_.size();
    size_t i = 0;
    while (i < n) {
      const size_t start = i;
      const char c = s_[i];
      size_t tag = 0;
      if (c == '\n') {
        i += 1;
      } else if (c == '\r' && i + 1 < n && s_[i + 1] == '\n') {
        i += 2;
      } else if (IsBlank(c)) {
        while (i < n && IsBlank(s_[i]) &&
               !(s_[i] == '\r' && i + 1 < n && s_[i + 1] == '\n')) {
          ++i;
        }
      } else if (c == '<' && (tag = TagLength(i)) > 0) {
        i += tag;
      } else {
        // The first character is always taken, so a '<' that does not open
        // a tag ("a < b") becomes part of a word instead of looping forever.
        ++i;
        while (i < n && !IsBlank(s_[i]) && s_[i] != '\n' &&
               !(s_[i] == '<' && TagLength(i) > 0)) {
          ++i;
        }
      }
      tokens.push_back(s_.substr(start, i - start));
    }
    return tokens;
  }

 private:
  // Length of the tag starting at `pos` ('<'), or 0 if it is not a tag.
  // A '>' inside a quoted attribute value does not end the tag. The scan
  // stops at the next '<' (a tag cannot contain one outside quotes, and we
  // do not trust one inside quotes either), which keeps tokenising linear
  // on malformed input: each '<' only looks as far as the next '<'. If a
  // quote never closes, we fall back to the first '>' seen.
  size_t TagLength(size_t pos) {
    const size_t n = s_.size();
    if (pos + 1 >= n) return 0;
    const char next = s_[pos + 1];
    if (!IsAsciiAlpha(next) && next != '/' && next != '!' && next != '?') {
      return 0;
    }
    if (!comment_unclosed_ && s_.compare(pos, 4, "<!--") == 0) {
      // From pos + 2 so that "<!-->" (an empty comment in HTML5) closes.
      size_t end = s_.find("-->", pos + 2);
      if (end != std::string_view::npos) return end + 3 - pos;
      // No "-->" after pos means none after any later pos either; remember
      // that so a text full of "<!--" stays linear.
      comment_unclosed_ = true;
    }
    char quote = 0;
    size_t first_gt = std::string_view::npos;
    for (size_t i = pos + 1; i < n; ++i) {
      const char c = s_[i];
      if (c == '<') break;
      if (quote != 0) {
        if (c == quote) {
          quote = 0;
        } else if (c == '>' && first_gt == std::string_view::npos) {
          first_gt = i;
        }
      } else if (c == '>') {
        return i + 1 - pos;
      } else if (c == '"' || c == '\'') {
        quote = c;
      }
    }
    return first_gt == std::string_view::npos ? 0 : first_gt + 1 - pos;
  }

  std::string_view s_;
  bool comment_unclosed_ = false;
};

// Groups tokens into chunks for a coarse first pass over a long region:
// feeding xdiff 600k word tokens of a 2 MiB one-line article costs about a
// second, while chunks of ~16 tokens cost tens of milliseconds and leave only
// the contested chunks for the token pass. A chunk ends after every newline
// and after whitespace that follows a word whose hash has its low bits
// clear. Because the rule looks only at the token itself, an edit moves at
// most the boundaries next to it, so the chunks of unchanged text still line
// up across the three sides (fixed-size chunks would all shift after an
// insertion). Chunks are runs of whole tokens, so the token pass over a
// conflicting run of chunks sees exactly the tokens it would have seen.
std::vector<std::string_view> Chunk(
    const std::vector<std::string_view>& tokens) {
  std::vector<std::string_view> chunks;
  const char* start = nullptr;
  bool boundary_word = false;
  for (std::string_view t : tokens) {
    if (start == nullptr) start = t.data();
    const char c = t[0];
    const bool newline = c == '\n' || t == "\r\n";
    if (newline || (IsBlank(c) && boundary_word)) {
      chunks.emplace_back(start, t.data() + t.size() - start);
      start = nullptr;
      boundary_word = false;
    } else if (!IsBlank(c)) {
      uint32_t h = 2166136261u;  // FNV-1a
      for (char b : t) h = (h ^ static_cast<unsigned char>(b)) * 16777619u;
      boundary_word = ((h >> 16) & 7) == 0;
    }
  }
  if (start != nullptr) {
    const std::string_view last = tokens.back();
    chunks.emplace_back(start, last.data() + last.size() - start);
  }
  return chunks;
}

// One unit (token or chunk) per line, so xdiff's line merge becomes a merge
// of units. Escaping keeps a unit on one line (tags and newline tokens
// contain '\n') and keeps '\r' out of the encoded text so xdiff never sees
// CRLF there.
std::string EncodeUnits(const std::vector<std::string_view>& units,
                        size_t text_size) {
  std::string out;
  out.reserve(text_size + 2 * units.size() + 16);
  for (std::string_view u : units) {
    out += kTokenPrefix;
    size_t run = 0;  // start of the not yet copied, escape-free stretch
    for (size_t i = 0; i < u.size(); ++i) {
      const char c = u[i];
      if (c != '\\' && c != '\n' && c != '\r') continue;
      out.append(u, run, i - run);
      out += '\\';
      out += c == '\n' ? 'n' : c == '\r' ? 'r' : '\\';
      run = i + 1;
    }
    out.append(u, run, std::string_view::npos);
    out += '\n';
  }
  return out;
}

enum class Level { kChunk, kToken };

std::string Encode(std::string_view text, Level level) {
  std::vector<std::string_view> tokens = Tokenizer(text).Run();
  return EncodeUnits(level == Level::kChunk ? Chunk(tokens) : tokens,
                     text.size());
}

// Inverse of EncodeUnits for any run of whole encoded lines.
std::string Decode(std::string_view lines) {
  std::string out;
  out.reserve(lines.size());
  size_t pos = 0;
  while (pos < lines.size()) {
    size_t nl = lines.find('\n', pos);
    if (nl == std::string_view::npos) nl = lines.size();
    // Skip kTokenPrefix; every encoded line has one, but never underflow.
    std::string_view line =
        nl > pos ? lines.substr(pos + 1, nl - pos - 1) : std::string_view();
    for (size_t esc = line.find('\\'); esc != std::string_view::npos;
         esc = line.find('\\')) {
      out.append(line, 0, esc);
      const char e = esc + 1 < line.size() ? line[esc + 1] : '\\';
      out += e == 'n' ? '\n' : e == 'r' ? '\r' : e;
      line.remove_prefix(std::min(esc + 2, line.size()));
    }
    out.append(line);
    pos = nl + 1;
  }
  return out;
}

// Merges one conflicting region chunk by chunk and then, where chunks
// conflict, token by token; appends the agreed text and the token-level
// conflicts that remain to `out`.
Status MergeWords(const MergeConflict& region, Level level,
                  std::vector<Hunk>* out) {
  const std::string base = Encode(region.base, level);
  const std::string current = Encode(region.theirs, level);
  const std::string mine = Encode(region.mine, level);
  MergeFileResult merged;
  Status s = XdiffMerge(base, current, mine, &merged);
  if (!s.ok()) return s;
  if (merged.automergeable()) {
    out->push_back(TextHunk(Decode(merged.text())));
    return Status::OK();
  }
  std::vector<Hunk> hunks;
  if (!ParseMergeOutput(merged.text(), &hunks)) {
    // Cannot happen with prefixed unit lines; stay correct if it does.
    out->push_back(ConflictHunk(region));
    return Status::OK();
  }
  for (Hunk& h : hunks) {
    if (!h.conflict) {
      out->push_back(TextHunk(Decode(h.text)));
      continue;
    }
    MergeConflict sides;
    sides.base = Decode(h.sides.base);
    sides.mine = Decode(h.sides.mine);
    sides.theirs = Decode(h.sides.theirs);
    if (level == Level::kChunk) {
      s = MergeWords(sides, Level::kToken, out);
      if (!s.ok()) return s;
    } else {
      out->push_back(ConflictHunk(std::move(sides)));
    }
  }
  return Status::OK();
}

// ---- Assembly -------------------------------------------------------------

bool LacksNewline(std::string_view s) { return !s.empty() && s.back() != '\n'; }

size_t LeadingNewline(std::string_view s) {
  if (!s.empty() && s[0] == '\n') return 1;
  if (s.size() >= 2 && s[0] == '\r' && s[1] == '\n') return 2;
  return 0;
}

void AppendSection(std::string* out, std::string_view section) {
  out->append(section);
  if (LacksNewline(section)) *out += '\n';
}

MergeResult Assemble(std::vector<Hunk> pieces) {
  MergeResult result;
  for (size_t i = 0; i < pieces.size(); ++i) {
    Hunk& piece = pieces[i];
    if (!piece.conflict) {
      result.text += piece.text;
      continue;
    }
    std::string current = piece.sides.theirs;
    std::string mine = piece.sides.mine;
    // A token-level conflict usually ends mid-line; the closing marker
    // already ends that line, so the newline that follows in the text would
    // show up as a blank line. Moving it into both sections keeps the
    // resolved text identical (whichever side is kept, the newline is too).
    if (i + 1 < pieces.size() && !pieces[i + 1].conflict &&
        (LacksNewline(current) || LacksNewline(mine))) {
      const size_t nl = LeadingNewline(pieces[i + 1].text);
      if (nl > 0) {
        current.append(pieces[i + 1].text, 0, nl);
        mine.append(pieces[i + 1].text, 0, nl);
        pieces[i + 1].text.erase(0, nl);
      }
    }
    // Markers must start a line; a conflict inside a paragraph therefore
    // splits it. The added newline is whitespace between whole tokens,
    // which HTML collapses (it would show only inside <pre>).
    if (LacksNewline(result.text)) result.text += '\n';
    result.text += kDraftCurrentMarker;
    AppendSection(&result.text, current);
    result.text += kDraftSeparator;
    AppendSection(&result.text, mine);
    result.text += kDraftMineMarker;
    result.conflicts.push_back(std::move(piece.sides));
  }
  result.clean = result.conflicts.empty();
  return result;
}

MergeResult WholeConflict(std::string_view base, std::string_view mine,
                          std::string_view theirs) {
  MergeConflict sides;
  sides.base = std::string(base);
  sides.mine = std::string(mine);
  sides.theirs = std::string(theirs);
  std::vector<Hunk> pieces;
  pieces.push_back(ConflictHunk(std::move(sides)));
  return Assemble(std::move(pieces));
}

MergeResult Clean(std::string_view text) {
  MergeResult result;
  result.clean = true;
  result.text = std::string(text);
  return result;
}

Result<MergeResult> Merge3Impl(std::string_view base, std::string_view mine,
                               std::string_view theirs,
                               MergeGranularity granularity) {
  if (mine == theirs || mine == base) return Result<MergeResult>(Clean(theirs));
  if (theirs == base) return Result<MergeResult>(Clean(mine));

  if (HasNul(base) || HasNul(mine) || HasNul(theirs) ||
      HasMarkerLikeLine(base) || HasMarkerLikeLine(mine) ||
      HasMarkerLikeLine(theirs)) {
    return Result<MergeResult>(WholeConflict(base, mine, theirs));
  }

  // Whether the result ends in a newline is merged as one bit: if the
  // editor did not change it, the current revision decides. Two bits that
  // both differ from base are equal, so this never conflicts.
  const bool base_nl = HasFinalNewline(base);
  const bool mine_nl = HasFinalNewline(mine);
  const bool theirs_nl = HasFinalNewline(theirs);
  const bool final_nl = mine_nl == base_nl ? theirs_nl : mine_nl;
  const std::string_view eol = DetectEol(theirs, mine, base);

  const std::string nbase = Terminated(base, eol);
  const std::string nmine = Terminated(mine, eol);
  const std::string ntheirs = Terminated(theirs, eol);

  MergeFileResult lines;
  Status s = XdiffMerge(nbase, ntheirs, nmine, &lines);
  if (!s.ok()) return s;
  if (lines.automergeable()) {
    MergeResult result = Clean(lines.text());
    if (!final_nl) StripSuffix(&result.text, eol);
    return Result<MergeResult>(std::move(result));
  }

  std::vector<Hunk> hunks;
  if (!ParseMergeOutput(lines.text(), &hunks)) {
    return Result<MergeResult>(WholeConflict(base, mine, theirs));
  }

  std::vector<Hunk> pieces;
  pieces.reserve(hunks.size());
  for (Hunk& h : hunks) {
    if (h.conflict && granularity == MergeGranularity::kWord) {
      s = MergeWords(h.sides, Level::kChunk, &pieces);
      if (!s.ok()) return s;
    } else {
      pieces.push_back(std::move(h));
    }
  }

  // Undo the final-newline normalisation. Agreed text at the end takes the
  // merged bit; a conflict at the very end reaches every side's end of file
  // (xdiff joins touching hunks), so each side gets its own ending back.
  if (!pieces.empty()) {
    Hunk& last = pieces.back();
    if (!last.conflict) {
      if (!final_nl) StripSuffix(&last.text, eol);
    } else {
      if (!base_nl) StripSuffix(&last.sides.base, eol);
      if (!mine_nl) StripSuffix(&last.sides.mine, eol);
      if (!theirs_nl) StripSuffix(&last.sides.theirs, eol);
    }
  }
  return Result<MergeResult>(Assemble(std::move(pieces)));
}

}  // namespace

std::vector<std::string_view> WordTokens(std::string_view text) {
  return Tokenizer(text).Run();
}

Result<MergeResult> Merge3(std::string_view base, std::string_view mine,
                           std::string_view theirs,
                           MergeGranularity granularity) {
  // The only exceptions in here are the standard library's (bad_alloc on a
  // huge article); they become a Status so none crosses the interface.
  try {
    return Merge3Impl(base, mine, theirs, granularity);
  } catch (const std::exception& e) {
    return Status::IOError(std::string("merge: ") + e.what());
  }
}

}  // namespace wiki
