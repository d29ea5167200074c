#include "edit.h"

#include <algorithm>
#include <cstdio>
#include <memory>
#include <utility>

#include "http.h"
#include "markup_policy.h"

namespace wiki {

using Outcome = EditResult::Outcome;

// What an edit would store if committed on top of `current`; made outside
// the write lock and redone under it only if `against` is no longer current.
struct Editor::Prepared {
  uint64_t against = 0;  // id of the revision the plan was made for
  RevisionPtr current;   // ... and that revision
  std::string text;      // what to store
  bool merged = false;
  bool refused = false;              // stale If-Match (PUT) or conflict (form)
  std::optional<MergeResult> draft;  // a merge that left conflict regions
};

namespace {

// `shown` is what the client may read; `cause` goes to the error log.
EditResult Failed(Status shown, const Status& cause) {
  std::fprintf(stderr, "edit: %s\n", cause.ToString().c_str());
  EditResult r;
  r.outcome = Outcome::kFailed;
  r.status = std::move(shown);
  return r;
}

// True if an If-Match list holds "*": it would overwrite whatever is
// current, which is exactly the lost update If-Match exists to prevent.
bool NamesAnyTag(std::string_view if_match) {
  while (true) {
    const size_t comma = if_match.find(',');
    if (TrimOws(if_match.substr(0, comma)) == "*") return true;
    if (comma == std::string_view::npos) return false;
    if_match.remove_prefix(comma + 1);
  }
}

std::string TooLargeMessage(size_t limit) {
  return "The article is larger than " + std::to_string(limit) + " bytes.";
}

}  // namespace

EditResult AbandonedEdit(const char* before) {
  // Not an error of the service: a client that gave up (timeout, closed
  // tab, a flood that never reads its answers). The count is in metrics.
  std::fprintf(stderr, "edit: the client hung up; stopped before %s\n", before);
  EditResult r;
  r.outcome = Outcome::kAbandoned;
  r.status =
      Status::Cancelled(std::string("the client hung up before ") + before);
  return r;
}

EditResult RejectedEdit(Status why, bool article_refused) {
  EditResult r;
  r.outcome = Outcome::kRejected;
  r.status = std::move(why);
  r.article_refused = article_refused;
  return r;
}

Editor::Editor(const Config& config, ArticleStore* store, Massager* massager)
    : max_article_bytes_(config.max_article_bytes),
      merge_(config.merge),
      put_turn_path_(config.data_dir + "/.put.lock"),
      store_(store),
      massager_(massager) {}

std::optional<EditResult> Editor::TakePutTurn(const EditRequest& req,
                                              FileLock* turn,
                                              RevisionPtr* current) {
  // Only an optimisation: without the lock the edit is still correct (the
  // store's write lock decides), it just may massage for nothing.
  auto got = FileLock::Acquire(put_turn_path_, FileLock::Mode::kExclusive);
  if (!got.ok()) {
    std::fprintf(stderr, "edit: no PUT turn, going on without: %s\n",
                 got.status().ToString().c_str());
    return std::nullopt;
  }
  *turn = std::move(*got);
  auto now = store_->Current();        // no syscall while nothing changed
  if (!now.ok()) return std::nullopt;  // the commit will report it
  *current = *now;
  if (IfMatchMatches(req.if_match, (*current)->meta.RawETag())) {
    return std::nullopt;
  }
  Prepared stale;
  stale.current = *current;
  return Refused(req, &stale);
}

std::optional<EditResult> Editor::CheckPreconditions(
    const EditRequest& req) const {
  const bool missing = req.kind == EditKind::kPut
                           ? req.if_match.empty() || NamesAnyTag(req.if_match)
                           : !req.base_revision;
  if (!missing) return std::nullopt;
  EditResult r;
  r.outcome = Outcome::kPreconditionRequired;
  r.status = Status::PreconditionFailed(
      req.kind == EditKind::kPut
          ? "PUT needs If-Match with the ETag of ?action=raw (not *)."
          : "Missing base_revision: say which revision you edited.");
  return r;
}

std::optional<EditResult> Editor::Validate(const EditRequest& req) const {
  // The author is shown in the history (HTML and JSON) and written to the
  // log: a name nginx checked can still be one an operator mistyped.
  if (req.author.empty() || req.author.size() > kMaxAuthorBytes ||
      !IsValidUtf8(req.author) ||
      std::any_of(req.author.begin(), req.author.end(), [](char c) {
        return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
      })) {
    return RejectedEdit(Status::InvalidArgument(
        "The editor's name must be 1 to " + std::to_string(kMaxAuthorBytes) +
        " bytes of UTF-8 without control characters."));
  }
  if (req.summary.size() > kMaxSummaryBytes) {
    return RejectedEdit(
        Status::InvalidArgument("The summary is longer than " +
                                std::to_string(kMaxSummaryBytes) + " bytes."));
  }
  if (!IsValidUtf8(req.summary)) {
    return RejectedEdit(
        Status::Unprocessable("The summary is not valid UTF-8."));
  }
  if (req.text.size() > max_article_bytes_) {
    return RejectedEdit(Status::TooLarge(TooLargeMessage(max_article_bytes_)));
  }
  // The markup checks are the costly part of an edit (tens of ms for the
  // worst inputs): not for a client that has gone.
  if (req.cancel.ClientGone()) return AbandonedEdit("the markup checks");
  Status valid = CheckArticle(req.text, req.cancel);
  if (valid.code() == Status::Code::kCancelled) {
    return AbandonedEdit("the markup parse");
  }
  if (!valid.ok())
    return RejectedEdit(std::move(valid), /*article_refused=*/true);
  return std::nullopt;
}

Status Editor::Prepare(const EditRequest& req, const Revision* base,
                       const RevisionPtr& current, const Cancel& cancel,
                       Prepared* p) const {
  *p = Prepared();
  p->against = current->meta.id;
  p->current = current;
  if (req.kind == EditKind::kPut) {
    p->refused = !IfMatchMatches(req.if_match, current->meta.RawETag());
    if (!p->refused) p->text = std::string(req.text);
    return Status::OK();
  }
  if (current->meta.id == base->meta.id) {
    p->text = std::string(req.text);
    return Status::OK();
  }
  if (merge_ == MergeMode::kOff) {
    p->refused = true;
    return Status::OK();
  }
  if (cancel.ClientGone()) return Status::Cancelled("the merge");
  auto m = Merge3(base->text, req.text, current->text,
                  merge_ == MergeMode::kWord ? MergeGranularity::kWord
                                             : MergeGranularity::kLine);
  if (!m.ok()) return m.status();
  // A merge of two valid articles can still be invalid (a tag split across
  // regions); that is a conflict, never a save.
  if (m->clean && m->text.size() <= max_article_bytes_) {
    if (cancel.ClientGone()) return Status::Cancelled("the merge's check");
    Status valid = CheckArticle(m->text, cancel);
    if (valid.code() == Status::Code::kCancelled) return valid;
    if (valid.ok()) {
      p->text = std::move(m->text);
      p->merged = true;
      return Status::OK();
    }
  }
  p->refused = true;
  // A "clean" merge refused by validation has no conflict regions to show;
  // the editor is offered their own text instead.
  if (!m->clean) p->draft = std::move(*m);
  return Status::OK();
}

EditResult Editor::Refused(const EditRequest& req, Prepared* p) {
  EditResult r;
  r.outcome = req.kind == EditKind::kPut ? Outcome::kStale : Outcome::kConflict;
  r.current = p->current;
  r.draft = std::move(p->draft);
  return r;
}

EditResult Editor::Commit(const EditRequest& req, const Revision* base,
                          Prepared* p) {
  // The massaging depends on nothing the lock protects: keep it outside.
  const uint64_t fib = massager_->ForCommit();
  // The last checkpoint: past it the edit is committed (and acknowledged
  // if the client still listens), so none is asked under the lock.
  if (req.cancel.ClientGone()) return AbandonedEdit("the commit");
  // The store writes and fsyncs this before taking the lock (a copy: a
  // redone preparation replaces p->text).
  const std::string likely_text = p->text;
  auto committed = store_->Commit(
      req.author, req.summary,
      [&](const Revision& current, ArticleStore::Plan* plan) {
        if (current.meta.id != p->against) {
          Status s = Prepare(req, base, std::make_shared<Revision>(current),
                             Cancel(), p);
          if (!s.ok()) return s;
        }
        if (p->refused) return Status::PreconditionFailed("stale");
        plan->text = p->text;
        plan->fib = fib;
        plan->fib_n = massager_->n();
        return Status::OK();
      },
      likely_text);
  EditResult r;
  if (!committed.ok()) {
    if (p->refused) return Refused(req, p);
    const Status& s = committed.status();
    return Failed(
        s.code() == Status::Code::kNoSpace
            ? Status::NoSpace(
                  "The server's disk is full; the article is unchanged.")
            : Status::IOError(
                  "The edit could not be saved; the article is unchanged."),
        s);
  }
  r.outcome = p->merged ? Outcome::kMerged : Outcome::kSaved;
  r.committed = std::move(*committed);
  if (on_committed_) on_committed_(r.committed);
  return r;
}

EditResult Editor::Submit(const EditRequest& req) {
  if (auto r = CheckPreconditions(req)) return std::move(*r);
  // Revisions are immutable, so the base can be read without the lock.
  RevisionPtr base;
  if (req.kind == EditKind::kForm) {
    auto got = store_->Get(*req.base_revision);
    if (!got.ok()) {
      if (got.status().code() == Status::Code::kNotFound) {
        return RejectedEdit(
            Status::NotFound("There is no revision " +
                             std::to_string(*req.base_revision) + "."));
      }
      return Failed(Status::IOError("The base revision could not be read."),
                    got.status());
    }
    base = *got;
  }
  auto current = store_->Current();
  if (!current.ok()) {
    return Failed(Status::IOError("The article could not be read."),
                  current.status());
  }
  // The cheap precondition first: a stale If-Match is answered before the
  // text is parsed (markup checks) or massaged, so an edit that cannot
  // apply costs no more than a read, whatever its body. Revisions only move
  // forward: a tag that does not match now never will.
  if (req.kind == EditKind::kPut &&
      !IfMatchMatches(req.if_match, (*current)->meta.RawETag())) {
    Prepared stale;
    stale.current = *current;
    return Refused(req, &stale);
  }
  // PUTs of one revision take turns (TakePutTurn); held until the commit.
  FileLock put_turn;
  if (req.kind == EditKind::kPut) {
    if (auto r = TakePutTurn(req, &put_turn, &*current)) return std::move(*r);
  }
  if (auto r = Validate(req)) return std::move(*r);
  Prepared p;
  Status s = Prepare(req, base.get(), *current, req.cancel, &p);
  if (s.code() == Status::Code::kCancelled) {
    return AbandonedEdit(s.message().c_str());
  }
  if (!s.ok()) {
    return Failed(Status::IOError(
                      "The edit could not be saved; the article is unchanged."),
                  s);
  }
  if (p.refused) {
    // Revisions only move forward: what does not apply now never will, so
    // it is answered without waiting for the write lock.
    return Refused(req, &p);
  }
  return Commit(req, base.get(), &p);
}

}  // namespace wiki
