#include "diff_view.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <vector>

#include "render.h"
#include "responses.h"

namespace wiki {
namespace {

// Unchanged lines kept before and after each change; a longer unchanged
// stretch is elided ("lines A-B unchanged").
constexpr size_t kContextLines = 3;

std::string Hex(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016" PRIx64, v);
  return buf;
}

size_t CountNewlines(std::string_view s) {
  return static_cast<size_t>(std::count(s.begin(), s.end(), '\n'));
}

// Writes the diff's ops into a <pre>, escaped; tracks the old text's line
// numbers for the elision notes.
class DiffBody {
 public:
  explicit DiffBody(const TextDiff& diff) : diff_(diff) {}

  std::string Render() {
    for (size_t i = 0; i < diff_.ops.size(); ++i) {
      const DiffOp& op = diff_.ops[i];
      switch (op.kind) {
        case DiffOp::Kind::kSame:
          Same(op.text, i > 0, i + 1 < diff_.ops.size());
          break;
        case DiffOp::Kind::kDel:
          out_ += "<del>" + HtmlEscape(op.text) + "</del>";
          line_ += CountNewlines(op.text);
          break;
        case DiffOp::Kind::kIns:
          out_ += "<ins>" + HtmlEscape(op.text) + "</ins>";
          break;
      }
    }
    return std::move(out_);
  }

 private:
  // An unchanged stretch between changes (`after_change`: one precedes it;
  // `before_change`: one follows it), with the lines far from both elided.
  void Same(std::string_view text, bool after_change, bool before_change) {
    std::vector<size_t> nl;  // positions of the newlines in `text`
    for (size_t p = text.find('\n'); p != std::string_view::npos;
         p = text.find('\n', p + 1)) {
      nl.push_back(p);
    }
    // Keep the rest of the changed line and kContextLines lines after it.
    size_t head_end = 0;
    if (after_change) {
      head_end =
          nl.size() > kContextLines ? nl[kContextLines] + 1 : text.size();
    }
    // Keep kContextLines whole lines before the line the next change is in.
    size_t tail_start = text.size();
    if (before_change) {
      tail_start =
          nl.size() > kContextLines ? nl[nl.size() - 1 - kContextLines] + 1 : 0;
    }
    const std::string_view skipped =
        tail_start > head_end ? text.substr(head_end, tail_start - head_end)
                              : std::string_view();
    size_t skipped_lines = CountNewlines(skipped);
    if (!skipped.empty() && skipped.back() != '\n') ++skipped_lines;
    if (skipped_lines < 2) {
      out_ += HtmlEscape(text);
      line_ += CountNewlines(text);
      return;
    }
    out_ += HtmlEscape(text.substr(0, head_end));
    line_ += CountNewlines(text.substr(0, head_end));
    const size_t first = line_;
    out_ += "<span class=\"diff-skip\">\u22ef lines " + std::to_string(first) +
            "\u2013" + std::to_string(first + skipped_lines - 1) +
            " unchanged \u22ef</span>\n";
    line_ += CountNewlines(skipped);
    out_ += HtmlEscape(text.substr(head_end + skipped.size()));
    line_ += CountNewlines(text.substr(head_end + skipped.size()));
  }

  const TextDiff& diff_;
  std::string out_;
  size_t line_ = 1;  // the old text's line number at the current position
};

std::string Link(std::string_view t, const std::string& query,
                 const std::string& label, const char* rel = nullptr) {
  std::string out = "<a href=\"/wiki/" + std::string(t) + "?" + query + "\"";
  if (rel != nullptr) out += std::string(" rel=\"") + rel + "\"";
  return out + ">" + label + "</a>";
}

// One side's header: which revision, when, by whom, why, and the link to
// the neighbouring diff on that side.
std::string SideHeader(std::string_view t, const char* cls, const Revision* rev,
                       uint64_t current_id, const std::string& nav) {
  std::string out = std::string("<div class=\"") + cls + "\">";
  if (rev == nullptr) {
    out += "<p>(no earlier revision: the page was created)</p>";
    return out + "</div>\n";
  }
  const RevisionMeta& m = rev->meta;
  const std::string id = std::to_string(m.id);
  out += "<p>" + Link(t, "oldid=" + id, "Revision " + id) + " as of " +
         FormatIsoTime(m.time_ms) + (m.id == current_id ? " (current)" : "") +
         "</p>";
  out += "<p>by " + HtmlEscape(m.author) + "</p>";
  out += "<p class=\"comment\">" +
         (m.summary.empty() ? std::string("(no summary)")
                            : HtmlEscape(m.summary)) +
         "</p>";
  if (!nav.empty()) out += "<p>" + nav + "</p>";
  return out + "</div>\n";
}

}  // namespace

Result<DiffQuery> ParseDiffQuery(const Form& query) {
  DiffQuery q;
  const FormField* diff = query.Find("diff");
  const std::string v = diff != nullptr ? diff->value : "";
  if (v == "prev") {
    q.target = DiffQuery::Target::kPrev;
  } else if (v == "next") {
    q.target = DiffQuery::Target::kNext;
  } else if (v == "cur") {
    q.target = DiffQuery::Target::kCur;
  } else if (ParseRevisionId(v, &q.id)) {
    q.target = DiffQuery::Target::kId;
  } else {
    return Status::InvalidArgument(
        "diff must be a revision number, prev, next or cur.");
  }
  if (const FormField* oldid = query.Find("oldid")) {
    uint64_t id = 0;
    if (!ParseRevisionId(oldid->value, &id)) {
      return Status::InvalidArgument("oldid must be a revision number.");
    }
    q.oldid = id;
  }
  return q;
}

Result<DiffPair> ResolveDiff(const DiffQuery& q, uint64_t current_id) {
  auto missing = [](uint64_t id) {
    return Status::NotFound("There is no revision " + std::to_string(id) + ".");
  };
  for (uint64_t id :
       {q.target == DiffQuery::Target::kId ? q.id : 1, q.oldid.value_or(1)}) {
    if (id == 0 || id > current_id) return missing(id);
  }
  DiffPair p;
  if (!q.oldid) {
    p.new_id = q.target == DiffQuery::Target::kId ? q.id : current_id;
    p.old_id = p.new_id - 1;
    return p;
  }
  const uint64_t m = *q.oldid;
  switch (q.target) {
    case DiffQuery::Target::kId:
      p.old_id = std::min(m, q.id);
      p.new_id = std::max(m, q.id);
      break;
    case DiffQuery::Target::kPrev:
      p.old_id = m - 1;
      p.new_id = m;
      break;
    case DiffQuery::Target::kNext:
      p.old_id = m;
      p.new_id = std::min(m + 1, current_id);
      break;
    case DiffQuery::Target::kCur:
      p.old_id = m;
      p.new_id = current_id;
      break;
  }
  return p;
}

std::string DiffETag(const RevisionMeta* old_rev, const RevisionMeta& new_rev,
                     uint64_t current_id) {
  std::string tag = "\"d";
  tag += old_rev != nullptr
             ? std::to_string(old_rev->id) + "-" + Hex(old_rev->hash)
             : std::string("0");
  tag += "-" + std::to_string(new_rev.id) + "-" + Hex(new_rev.hash);
  if (new_rev.id == current_id) tag += "-cur";
  return tag + "\"";
}

std::string RenderDiffPage(std::string_view title, const Revision* old_rev,
                           const Revision& new_rev, uint64_t current_id,
                           const TextDiff& diff) {
  const std::string t = HtmlEscape(title);
  const std::string display = DisplayTitle(title);
  std::string out =
      PageStart(title, display + ": Difference between revisions");
  const std::string new_id = std::to_string(new_rev.meta.id);
  std::string older;
  if (old_rev != nullptr && old_rev->meta.id > 1) {
    older = Link(t, "diff=prev&amp;oldid=" + std::to_string(old_rev->meta.id),
                 "\u2190 Older edit", "prev");
  }
  std::string newer;
  if (new_rev.meta.id < current_id) {
    newer =
        Link(t, "diff=next&amp;oldid=" + new_id, "Newer edit \u2192", "next");
  }
  out += "<div class=\"diff-sides\">\n";
  out += SideHeader(t, "diff-old", old_rev, current_id, older);
  out += SideHeader(t, "diff-new", &new_rev, current_id, newer);
  out += "</div>\n";
  const bool same = old_rev != nullptr && old_rev->text == new_rev.text;
  if (same) {
    out +=
        "<p class=\"notice\">No difference: the two revisions have the "
        "same text.</p>\n";
  }
  if (!diff.word_level) {
    out +=
        "<p class=\"notice\">Some changes are too large to compare word "
        "by word; they are shown as whole removed and added lines.</p>\n";
  }
  out +=
      "<p class=\"diff-legend\">The article source (HTML), "
      "<del>removed</del> and <ins>added</ins>.</p>\n";
  // The newline after <pre> is eaten by the HTML parser; without it a
  // leading newline of the article would be lost.
  out += "<pre class=\"diff\" id=\"wpDiff\">\n";
  out += DiffBody(diff).Render();
  out += "</pre>\n";
  out += PageEnd();
  return out;
}

void ServeDiff(ArticleStore* store, std::string_view title, const Request& req,
               const Form& query, const RevisionPtr& current, Response* resp) {
  auto parsed = ParseDiffQuery(query);
  if (!parsed.ok()) return Error(resp, 400, parsed.status().message());
  const uint64_t current_id = current->meta.id;
  auto pair = ResolveDiff(*parsed, current_id);
  if (!pair.ok()) return Error(resp, 404, pair.status().message());
  auto load = [&](uint64_t id, RevisionPtr* out) -> bool {
    if (id == 0) return true;
    if (id == current_id) {
      *out = current;
      return true;
    }
    auto r = store->Get(id);
    if (!r.ok()) {
      if (r.status().code() == Status::Code::kNotFound) {
        Error(resp, 404, "There is no revision " + std::to_string(id) + ".");
      } else {
        std::fprintf(stderr, "diff: %s\n", r.status().ToString().c_str());
        Error(resp, 500, "The revision could not be read.");
      }
      return false;
    }
    *out = *r;
    return true;
  };
  RevisionPtr old_rev, new_rev;
  if (!load(pair->old_id, &old_rev) || !load(pair->new_id, &new_rev)) return;
  const std::string etag =
      DiffETag(old_rev ? &old_rev->meta : nullptr, new_rev->meta, current_id);
  resp->status = 200;
  resp->AddHeader("Content-Type", "text/html; charset=utf-8");
  resp->AddHeader("ETag", etag);
  resp->AddHeader("Cache-Control", "no-cache");
  SecurityHeaders(resp);
  if (!req.if_none_match.empty() &&
      IfNoneMatchMatches(req.if_none_match, etag)) {
    resp->status = 304;
    resp->omit_body = true;
    return;
  }
  auto diff =
      DiffTexts(old_rev ? std::string_view(old_rev->text) : std::string_view(),
                new_rev->text);
  if (!diff.ok()) {
    std::fprintf(stderr, "diff: %s\n", diff.status().ToString().c_str());
    return Error(resp, 500, "The revisions could not be compared.");
  }
  resp->body =
      RenderDiffPage(title, old_rev.get(), *new_rev, current_id, *diff);
  resp->omit_body = req.method == "HEAD";
}

}  // namespace wiki
