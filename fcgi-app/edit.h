// edit: the edit workflow, from a decoded edit request to a committed
// revision (or the reason there is none). No HTTP here: the handler decodes
// the request into an EditRequest, and RespondToEdit (responses.h) turns the
// EditResult into the HTTP answer, for PUT and form posts alike.
//
// Submit runs these phases, in this order:
//   1. preconditions: the request says which revision it edits (If-Match for
//      PUT, base_revision for a form), else kPreconditionRequired; an
//      If-Match of "*" names no revision and counts as missing. Checks
//      that must run before any validation or merging belong here (a form
//      body is decoded by the handler before Submit; a check that must
//      precede even that, such as Origin, belongs at the top of
//      Handler::HandlePost, answered through RespondToEdit too).
//   1b. PUT only: its turn among concurrent PUTs (TakePutTurn), and the
//      If-Match checked again once it has it.
//   2. validation: summary, size, markup (CheckArticle) -> kRejected.
//   3. preparation against the revision that is current now, outside the
//      write lock: a stale If-Match is kStale at once (revisions only move
//      forward); a stale base_revision is merged three-way (merge mode from
//      the config) or is a kConflict. The massaging (fib) is computed here.
//   4. commit under the store's write lock; the preparation is redone only
//      if another edit landed since step 3.
//   5. on_committed, after the revision is durable and before the caller
//      answers: the place for anything that must know of the new revision
//      before the editor does (e.g. invalidating a front cache).
// An edit whose client has hung up (EditRequest::cancel) is kAbandoned at
// the next checkpoint: before the markup checks, between the pre-scan and
// the parse, before a merge, and before the write lock (after the
// massaging). Never after: once the commit has begun, the edit is saved
// and acknowledged if anyone still listens.
//
// Thread-safety: one Editor per process, shared by its threads; Submit is
// thread-safe (the store serialises commits). Failure is a value: Submit
// never throws on bad input, and a result other than kSaved / kMerged means
// the article is unchanged.
#ifndef WIKI_EDIT_H_
#define WIKI_EDIT_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "article_store.h"
#include "cancel.h"
#include "config.h"
#include "fs_posix.h"
#include "massage.h"
#include "merge.h"
#include "revision.h"
#include "status.h"

namespace wiki {

enum class EditKind {
  kPut,   // the whole article with If-Match: strict, a stale tag is kStale
  kForm,  // a form post with base_revision: a stale base is merged
};

// Longest author name kept (REMOTE_USER from nginx's auth, or an address).
constexpr size_t kMaxAuthorBytes = 64;

struct EditRequest {
  EditKind kind = EditKind::kForm;
  std::string_view text;      // the article as submitted
  std::string_view if_match;  // kPut: the If-Match header ("" = none)
  // kForm: the revision the editor started from (nullopt = not given).
  std::optional<uint64_t> base_revision;
  // The name nginx authenticated, or the client address; 1..kMaxAuthorBytes
  // bytes of UTF-8 without control characters, else kRejected (400).
  std::string author;
  std::string summary;  // kForm only; "" for PUT
  // Asked at the checkpoints above; the default never cancels.
  Cancel cancel;
};

struct EditResult {
  enum class Outcome {
    kSaved,                 // committed as submitted
    kMerged,                // committed after a three-way merge
    kConflict,              // kForm: overlapping changes (or merge = off)
    kStale,                 // kPut: If-Match does not match the current tag
    kPreconditionRequired,  // no If-Match / base_revision
    kRejected,              // bad input; `status` says why (4xx)
    kFailed,                // the store could not read or commit (5xx)
    kAbandoned,             // the client hung up; nothing was committed
  };
  Outcome outcome = Outcome::kFailed;
  // kRejected / kFailed: the code (HttpStatusFor) and the message for the
  // client; kFailed messages never leak internals (the cause is logged).
  Status status;
  // kRejected: true if the article text itself was refused (422), so a
  // browser can get its text back in the form.
  bool article_refused = false;
  // kSaved / kMerged: the new revision.
  RevisionMeta committed;
  // kConflict / kStale: the revision that is current (its text and id for
  // the conflict page, its raw ETag for a 412).
  RevisionPtr current;
  // kConflict: the merge with conflict markers, if a merge ran and left
  // conflict regions (a clean merge refused by validation has none).
  std::optional<MergeResult> draft;

  bool committed_ok() const {
    return outcome == Outcome::kSaved || outcome == Outcome::kMerged;
  }
};

// A kRejected result: the request is refused for `why` (its code gives the
// HTTP status, its message is shown to the client).
EditResult RejectedEdit(Status why, bool article_refused = false);

// A kAbandoned result, logged with the step it stopped before (e.g. "the
// markup checks"). For the handler's own checkpoints too.
EditResult AbandonedEdit(const char* before);

class Editor {
 public:
  using OnCommitted = std::function<void(const RevisionMeta&)>;

  // `store` and `massager` must outlive the editor.
  Editor(const Config& config, ArticleStore* store, Massager* massager);

  // Called after every commit, on the committing thread, before Submit
  // returns. Set it before the editor is shared between threads.
  void set_on_committed(OnCommitted f) { on_committed_ = std::move(f); }

  EditResult Submit(const EditRequest& req);

  // The validation a save would make (phase 2), and nothing else: a
  // kRejected result with the save's message, or nullopt if the text
  // would be accepted. For previews.
  std::optional<EditResult> Check(const EditRequest& req) const {
    return Validate(req);
  }

 private:
  struct Prepared;

  std::optional<EditResult> CheckPreconditions(const EditRequest& req) const;
  std::optional<EditResult> Validate(const EditRequest& req) const;
  // Cancelled (its message names the step) if `cancel` says the client
  // has gone before a merge or the merge's check.
  Status Prepare(const EditRequest& req, const Revision* base,
                 const RevisionPtr& current, const Cancel& cancel,
                 Prepared* p) const;
  EditResult Commit(const EditRequest& req, const Revision* base, Prepared* p);
  static EditResult Refused(const EditRequest& req, Prepared* p);
  // Concurrent PUTs of one revision: all but the first are stale the moment
  // it commits, yet each would validate and massage (fib) before finding
  // out, and under a burst those wasted computations starve the one that
  // counts. So PUTs take turns, across workers (a flock on
  // <data_dir>/.put.lock held until the commit), and each re-checks its
  // If-Match when its turn comes: the losers answer 412 for the cost of a
  // read. Form posts merge instead of failing, so they never wait here.
  // Returns the kStale result, or nullopt to go on (`*current` refreshed,
  // `*turn` held unless the lock could not be taken).
  std::optional<EditResult> TakePutTurn(const EditRequest& req, FileLock* turn,
                                        RevisionPtr* current);

  const size_t max_article_bytes_;
  const MergeMode merge_;
  const std::string put_turn_path_;
  ArticleStore* const store_;
  Massager* const massager_;
  OnCommitted on_committed_;
};

}  // namespace wiki

#endif  // WIKI_EDIT_H_
