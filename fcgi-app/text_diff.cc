#include "text_diff.h"

#include <git2.h>

#include <exception>
#include <string>
#include <unordered_map>
#include <utility>

#include "merge.h"

namespace wiki {
namespace {

using Units = std::vector<std::string_view>;

// Regions larger than this many bytes per remaining token of the budget
// are not tokenised at all (see ChangedRegion).
constexpr size_t kMaxBytesPerToken = 8;

// git_libgit2_init is reference-counted and thread-safe; once per process,
// never shut down (other threads may still be diffing or merging).
bool LibGit2Ready() {
  static const bool ready = git_libgit2_init() >= 0;
  return ready;
}

Status DiffError(const char* what) {
  const git_error* e = git_error_last();
  std::string msg = "diff: ";
  msg += what;
  if (e != nullptr && e->message != nullptr) {
    msg += ": ";
    msg += e->message;
  }
  return Status::IOError(std::move(msg));
}

// Lines of `text`, each with its '\n' (the last may lack one), as xdiff
// splits them.
Units Lines(std::string_view text) {
  Units lines;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    size_t end = nl == std::string_view::npos ? text.size() : nl + 1;
    lines.push_back(text.substr(pos, end - pos));
    pos = end;
  }
  return lines;
}

// Which lines of each side xdiff calls removed / added.
struct Marks {
  std::vector<bool> del;
  std::vector<bool> ins;
  bool out_of_range = false;
};

int OnLine(const git_diff_delta*, const git_diff_hunk*,
           const git_diff_line* line, void* payload) {
  Marks* m = static_cast<Marks*>(payload);
  if (line->origin == GIT_DIFF_LINE_DELETION) {
    const size_t i = static_cast<size_t>(line->old_lineno) - 1;
    if (line->old_lineno < 1 || i >= m->del.size()) {
      m->out_of_range = true;
    } else {
      m->del[i] = true;
    }
  } else if (line->origin == GIT_DIFF_LINE_ADDITION) {
    const size_t j = static_cast<size_t>(line->new_lineno) - 1;
    if (line->new_lineno < 1 || j >= m->ins.size()) {
      m->out_of_range = true;
    } else {
      m->ins[j] = true;
    }
  }
  return 0;
}

// Line diff of two buffers of old_lines / new_lines lines.
Status Xdiff(std::string_view old_buf, size_t old_lines,
             std::string_view new_buf, size_t new_lines, Marks* marks) {
  if (!LibGit2Ready()) return DiffError("libgit2 failed to initialise");
  git_diff_options opts;
  if (git_diff_options_init(&opts, GIT_DIFF_OPTIONS_VERSION) < 0) {
    return DiffError("bad diff options version");
  }
  opts.context_lines = 0;
  opts.interhunk_lines = 0;
  // Never "binary": a text is a text, whatever bytes it holds.
  opts.flags = GIT_DIFF_FORCE_TEXT;
  marks->del.assign(old_lines, false);
  marks->ins.assign(new_lines, false);
  if (git_diff_buffers(old_buf.empty() ? "" : old_buf.data(), old_buf.size(),
                       "old", new_buf.empty() ? "" : new_buf.data(),
                       new_buf.size(), "new", &opts, nullptr, nullptr, nullptr,
                       &OnLine, marks) < 0) {
    return DiffError("git_diff_buffers failed");
  }
  if (marks->out_of_range) return DiffError("line number out of range");
  return Status::OK();
}

// Appends an op, extending the previous one when it is of the same kind
// and the texts touch.
void Emit(DiffOp::Kind kind, std::string_view text, TextDiff* out) {
  if (text.empty()) return;
  if (!out->ops.empty()) {
    DiffOp& last = out->ops.back();
    if (last.kind == kind &&
        last.text.data() + last.text.size() == text.data()) {
      last.text =
          std::string_view(last.text.data(), last.text.size() + text.size());
      return;
    }
  }
  out->ops.push_back({kind, text});
}

// The text from units[from] to units[to - 1] (contiguous views).
std::string_view Span(const Units& units, size_t from, size_t to) {
  if (from >= to) return std::string_view();
  return std::string_view(
      units[from].data(),
      static_cast<size_t>(units[to - 1].data() + units[to - 1].size() -
                          units[from].data()));
}

// Walks two unit sequences with their marks: each unchanged unit, and each
// changed region (the removed run, the added run) handed to `region`.
// False if the marks are inconsistent (an "unchanged" pair differs).
template <typename Region>
bool Walk(const Units& a, const Units& b, const Marks& m, TextDiff* out,
          Region region) {
  size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    if ((i < a.size() && m.del[i]) || (j < b.size() && m.ins[j])) {
      const size_t i0 = i, j0 = j;
      while (i < a.size() && m.del[i]) ++i;
      while (j < b.size() && m.ins[j]) ++j;
      region(Span(a, i0, i), Span(b, j0, j));
    } else {
      if (i >= a.size() || j >= b.size() || a[i] != b[j]) return false;
      Emit(DiffOp::Kind::kSame, a[i], out);
      ++i;
      ++j;
    }
  }
  return true;
}

// Each token as one line naming its distinct value: equal tokens, equal
// lines, and no escaping needed whatever bytes a token holds.
std::string Encode(const Units& tokens,
                   std::unordered_map<std::string_view, size_t>* ids) {
  std::string out;
  out.reserve(tokens.size() * 5);
  for (std::string_view t : tokens) {
    auto it = ids->emplace(t, ids->size()).first;
    out += std::to_string(it->second);
    out += '\n';
  }
  return out;
}

Status WordDiff(std::string_view old_span, const Units& a,
                std::string_view new_span, const Units& b, TextDiff* out) {
  std::unordered_map<std::string_view, size_t> ids;
  const std::string old_buf = Encode(a, &ids);
  const std::string new_buf = Encode(b, &ids);
  Marks marks;
  Status s = Xdiff(old_buf, a.size(), new_buf, b.size(), &marks);
  if (!s.ok()) return s;
  const size_t mark = out->ops.size();
  const bool consistent =
      Walk(a, b, marks, out, [out](std::string_view d, std::string_view n) {
        Emit(DiffOp::Kind::kDel, d, out);
        Emit(DiffOp::Kind::kIns, n, out);
      });
  if (!consistent) {
    // Cannot happen with a correct diff; stay correct if it does.
    out->ops.resize(mark);
    Emit(DiffOp::Kind::kDel, old_span, out);
    Emit(DiffOp::Kind::kIns, new_span, out);
  }
  return Status::OK();
}

// One changed region of the line diff (`d` removed, `n` added in its
// place): word by word if it fits in what is left of the budget.
Status ChangedRegion(std::string_view d, std::string_view n, size_t* budget,
                     TextDiff* out) {
  // A token has at least one byte, and HTML averages about four: a region
  // this large cannot fit, so it is not even tokenised.
  if (!d.empty() && !n.empty() &&
      d.size() + n.size() <= *budget * kMaxBytesPerToken) {
    const Units a = WordTokens(d);
    const Units b = WordTokens(n);
    if (a.size() + b.size() <= *budget) {
      *budget -= a.size() + b.size();
      return WordDiff(d, a, n, b, out);
    }
  }
  if (!d.empty() && !n.empty()) out->word_level = false;
  Emit(DiffOp::Kind::kDel, d, out);
  Emit(DiffOp::Kind::kIns, n, out);
  return Status::OK();
}

Result<TextDiff> DiffTextsImpl(std::string_view old_text,
                               std::string_view new_text,
                               size_t max_word_tokens) {
  TextDiff out;
  if (old_text == new_text) {
    Emit(DiffOp::Kind::kSame, old_text, &out);
    return out;
  }
  const Units old_lines = Lines(old_text);
  const Units new_lines = Lines(new_text);
  Marks marks;
  Status s =
      Xdiff(old_text, old_lines.size(), new_text, new_lines.size(), &marks);
  if (!s.ok()) return s;
  size_t budget = max_word_tokens;
  const bool consistent = Walk(old_lines, new_lines, marks, &out,
                               [&](std::string_view d, std::string_view n) {
                                 if (s.ok())
                                   s = ChangedRegion(d, n, &budget, &out);
                               });
  if (!s.ok()) return s;
  if (!consistent) {
    TextDiff whole;
    whole.word_level = false;
    Emit(DiffOp::Kind::kDel, old_text, &whole);
    Emit(DiffOp::Kind::kIns, new_text, &whole);
    return whole;
  }
  return out;
}

std::string Side(const TextDiff& diff, DiffOp::Kind skip) {
  std::string out;
  for (const DiffOp& op : diff.ops) {
    if (op.kind != skip) out += op.text;
  }
  return out;
}

}  // namespace

Result<TextDiff> DiffTexts(std::string_view old_text, std::string_view new_text,
                           size_t max_word_tokens) {
  // bad_alloc on a huge text becomes a Status: none crosses the interface.
  try {
    return DiffTextsImpl(old_text, new_text, max_word_tokens);
  } catch (const std::exception& e) {
    return Status::IOError(std::string("diff: ") + e.what());
  }
}

std::string OldSide(const TextDiff& diff) {
  return Side(diff, DiffOp::Kind::kIns);
}

std::string NewSide(const TextDiff& diff) {
  return Side(diff, DiffOp::Kind::kDel);
}

}  // namespace wiki
