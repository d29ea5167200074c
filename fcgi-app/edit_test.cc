#include "edit.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "fault.h"
#include "metrics.h"
#include "test_util.h"

namespace wiki {
namespace {

using Outcome = EditResult::Outcome;
using Code = Status::Code;

constexpr char kTitle[] = "Latest_plane_crash";
constexpr size_t kMaxArticle = 4096;
const std::string kBase =
    "<p>alpha one</p>\n<p>beta two</p>\n<p>gamma three</p>\n";
// What another editor saved as revision 2 (first paragraph changed).
const std::string kTheirs =
    "<p>alpha ONE</p>\n<p>beta two</p>\n<p>gamma three</p>\n";
// Edits of revision 1: one that merges with kTheirs, one that overlaps it.
const std::string kMineApart =
    "<p>alpha one</p>\n<p>beta two</p>\n<p>gamma THREE</p>\n";
const std::string kMineOverlap =
    "<p>alpha uno</p>\n<p>beta two</p>\n<p>gamma three</p>\n";
const std::string kMerged =
    "<p>alpha ONE</p>\n<p>beta two</p>\n<p>gamma THREE</p>\n";

// A store in a temp dir holding kBase as revision 1 and, if `theirs`,
// kTheirs as revision 2; an Editor over it.
struct Fixture {
  explicit Fixture(bool theirs, MergeMode merge = MergeMode::kWord)
      : dir("edit-test"), massager(MassageMode::kPerRevision, 10) {
    testing::Spit(dir / (std::string(kTitle) + ".html"), kBase);
    auto opened = ArticleStore::Open(dir.path(), kTitle);
    REQUIRE(opened.ok());
    store = std::move(*opened);
    if (theirs) {
      auto c = store->Commit("them", "",
                             [](const Revision&, ArticleStore::Plan* plan) {
                               plan->text = kTheirs;
                               return Status::OK();
                             });
      REQUIRE(c.ok());
    }
    Config config;
    config.title = kTitle;
    config.data_dir = dir.path();
    config.max_article_bytes = kMaxArticle;
    config.merge = merge;
    editor = std::make_unique<Editor>(config, store.get(), &massager);
    editor->set_on_committed(
        [this](const RevisionMeta& meta) { committed_ids.push_back(meta.id); });
  }

  RevisionPtr Current() {
    auto c = store->Current();
    REQUIRE(c.ok());
    return *c;
  }

  testing::TempDir dir;
  Massager massager;
  std::unique_ptr<ArticleStore> store;
  std::unique_ptr<Editor> editor;
  std::vector<uint64_t> committed_ids;
};

// If-Match placeholders, resolved against the store before submitting.
constexpr char kCurrentTag[] = "@current";  // the current raw ETag
constexpr char kWeakTag[] = "@weak";        // its weak form
constexpr char kRev1Tag[] = "@rev1";        // revision 1's raw ETag

struct Row {
  const char* name;
  EditKind kind;
  bool theirs_landed;  // revision 2 exists before the edit
  MergeMode merge;
  std::string text;
  std::string if_match;  // PUT
  std::optional<uint64_t> base;
  std::string summary;
  Outcome outcome;
  Code code;           // kRejected / kFailed / kPreconditionRequired
  std::string stored;  // saved / merged: the new current text
};

std::vector<Row> Rows() {
  const EditKind put = EditKind::kPut, form = EditKind::kForm;
  const MergeMode word = MergeMode::kWord;
  const std::string big = "<p>" + std::string(kMaxArticle, 'x') + "</p>";
  const std::string edited = kBase + "<p>new</p>\n";
  return {
      // PUT: strict If-Match.
      {"PUT with the current ETag",
       put,
       false,
       word,
       edited,
       kCurrentTag,
       {},
       "",
       Outcome::kSaved,
       Code::kOk,
       edited},
      // "*" would overwrite whatever is current: it names no revision.
      {"PUT with If-Match: *",
       put,
       true,
       word,
       edited,
       "*",
       {},
       "",
       Outcome::kPreconditionRequired,
       Code::kPreconditionFailed,
       ""},
      {"PUT with * in an If-Match list, before validation",
       put,
       false,
       word,
       "<script>x</script>",
       "\"x\" , * ",
       {},
       "",
       Outcome::kPreconditionRequired,
       Code::kPreconditionFailed,
       ""},
      {"PUT with the ETag of a superseded revision",
       put,
       true,
       word,
       edited,
       kRev1Tag,
       {},
       "",
       Outcome::kStale,
       Code::kOk,
       ""},
      // Preconditions before parsing: a stale tag is answered 412 even for
      // a text the markup checks would refuse (or that is too large).
      {"PUT with a stale ETag and refused markup: stale, not parsed",
       put,
       true,
       word,
       "<p>x<script>alert(1)</script></p>",
       kRev1Tag,
       {},
       "",
       Outcome::kStale,
       Code::kOk,
       ""},
      {"PUT with a weak ETag",
       put,
       false,
       word,
       edited,
       kWeakTag,
       {},
       "",
       Outcome::kStale,
       Code::kOk,
       ""},
      {"PUT without If-Match",
       put,
       false,
       word,
       edited,
       "",
       {},
       "",
       Outcome::kPreconditionRequired,
       Code::kPreconditionFailed,
       ""},
      {"PUT without If-Match is refused before validation",
       put,
       false,
       word,
       "<script>x</script>",
       "",
       {},
       "",
       Outcome::kPreconditionRequired,
       Code::kPreconditionFailed,
       ""},
      {"PUT of disallowed markup",
       put,
       false,
       word,
       "<script>x</script>",
       kCurrentTag,
       {},
       "",
       Outcome::kRejected,
       Code::kUnprocessable,
       ""},
      {"PUT of an empty article",
       put,
       false,
       word,
       " \n",
       kCurrentTag,
       {},
       "",
       Outcome::kRejected,
       Code::kUnprocessable,
       ""},
      {"PUT over max_article_bytes",
       put,
       false,
       word,
       big,
       kCurrentTag,
       {},
       "",
       Outcome::kRejected,
       Code::kTooLarge,
       ""},
      // Forms: base_revision, merged when stale.
      {"form on the current revision", form, false, word, edited, "", 1, "s",
       Outcome::kSaved, Code::kOk, edited},
      {"form without base_revision",
       form,
       false,
       word,
       edited,
       "",
       {},
       "",
       Outcome::kPreconditionRequired,
       Code::kPreconditionFailed,
       ""},
      {"form with an unknown base", form, false, word, edited, "", 99, "",
       Outcome::kRejected, Code::kNotFound, ""},
      {"form with base 0", form, false, word, edited, "", 0, "",
       Outcome::kRejected, Code::kNotFound, ""},
      {"form with a summary over the limit", form, false, word, edited, "", 1,
       std::string(kMaxSummaryBytes + 1, 's'), Outcome::kRejected,
       Code::kInvalidArgument, ""},
      {"form with a summary at the limit", form, false, word, edited, "", 1,
       std::string(kMaxSummaryBytes, 's'), Outcome::kSaved, Code::kOk, edited},
      {"form with a summary that is not UTF-8", form, false, word, edited, "",
       1, "caf\xe9", Outcome::kRejected, Code::kUnprocessable, ""},
      {"form with invalid UTF-8 in the article", form, false, word,
       "<p>\xff</p>", "", 1, "", Outcome::kRejected, Code::kUnprocessable, ""},
      {"form with unresolved conflict markers", form, false, word,
       "<p>a</p>\n<<<<<<< current revision\n<p>b</p>\n", "", 1, "",
       Outcome::kRejected, Code::kUnprocessable, ""},
      {"stale form, changes apart: merged", form, true, word, kMineApart, "", 1,
       "", Outcome::kMerged, Code::kOk, kMerged},
      {"stale form, changes apart, line merge: merged", form, true,
       MergeMode::kLine, kMineApart, "", 1, "", Outcome::kMerged, Code::kOk,
       kMerged},
      {"stale form, overlapping changes: conflict", form, true, word,
       kMineOverlap, "", 1, "", Outcome::kConflict, Code::kOk, ""},
      {"stale form with merge off: conflict", form, true, MergeMode::kOff,
       kMineApart, "", 1, "", Outcome::kConflict, Code::kOk, ""},
      {"stale form, same change as theirs: merged", form, true, word, kTheirs,
       "", 1, "", Outcome::kMerged, Code::kOk, kTheirs},
  };
}

TEST_CASE("edit: outcomes of Submit, and the article only changes on save") {
  for (const Row& row : Rows()) {
    SUBCASE(row.name) {
      Fixture f(row.theirs_landed, row.merge);
      const RevisionPtr before = f.Current();
      std::string if_match = row.if_match;
      if (if_match == kCurrentTag) if_match = before->meta.RawETag();
      if (if_match == kWeakTag) if_match = "W/" + before->meta.RawETag();
      if (if_match == kRev1Tag) {
        auto rev1 = f.store->Get(1);
        REQUIRE(rev1.ok());
        if_match = (*rev1)->meta.RawETag();
      }
      EditRequest req;
      req.kind = row.kind;
      req.text = row.text;
      req.if_match = if_match;
      req.base_revision = row.base;
      req.author = "tester";
      req.summary = row.summary;

      const EditResult r = f.editor->Submit(req);
      CHECK(static_cast<int>(r.outcome) == static_cast<int>(row.outcome));
      CHECK(r.status.code() == row.code);
      const RevisionPtr after = f.Current();
      if (r.committed_ok()) {
        CHECK(r.committed.id == before->meta.id + 1);
        CHECK(after->meta.id == r.committed.id);
        CHECK(after->text == row.stored);
        CHECK(after->meta.author == "tester");
        CHECK(after->meta.summary == row.summary);
        // The massaging was computed for the commit and stored with it.
        CHECK(after->meta.fib_n == 10);
        CHECK(after->meta.fib == 55);
        CHECK(f.committed_ids == std::vector<uint64_t>{r.committed.id});
      } else {
        CHECK(after->meta.id == before->meta.id);
        CHECK(after->text == before->text);
        CHECK(f.committed_ids.empty());
        CHECK(!r.status.ok() == (row.code != Code::kOk));
      }
      if (row.outcome == Outcome::kStale || row.outcome == Outcome::kConflict) {
        REQUIRE((r.current != nullptr));
        CHECK(r.current->meta.id == before->meta.id);
        CHECK(r.current->text == before->text);
      }
      if (row.outcome == Outcome::kRejected &&
          row.code == Code::kUnprocessable) {
        // Only a refused article (not a refused summary) gives the form back.
        CHECK(r.article_refused == row.summary.empty());
      }
    }
  }
}

TEST_CASE("edit: authors are capped and free of control characters") {
  const std::string max(kMaxAuthorBytes, 'a');
  const struct {
    std::string author;
    bool saved;
  } rows[] = {
      {"alice", true},
      {"127.0.0.1", true},
      {"Zoë", true},
      {max, true},
      {max + "a", false},
      {"", false},
      {"bob\nFake: line", false},
      {std::string("nul\0x", 5), false},
      {"del\x7f", false},
      {"bad\xff", false},
  };
  for (const auto& row : rows) {
    INFO("author " << row.author);
    Fixture f(/*theirs=*/false);
    const RevisionPtr before = f.Current();
    EditRequest req;
    req.kind = EditKind::kPut;
    const std::string text = kBase + "<p>new</p>\n";
    req.text = text;
    const std::string tag = before->meta.RawETag();
    req.if_match = tag;
    req.author = row.author;
    const EditResult r = f.editor->Submit(req);
    CHECK(r.committed_ok() == row.saved);
    if (row.saved) {
      CHECK(f.Current()->meta.author == row.author);
    } else {
      CHECK(r.status.code() == Code::kInvalidArgument);
      CHECK(f.Current()->meta.id == before->meta.id);
    }
  }
}

TEST_CASE("edit: a conflict carries the merge draft with its regions") {
  Fixture f(/*theirs=*/true);
  EditRequest req;
  req.kind = EditKind::kForm;
  req.text = kMineOverlap;
  req.base_revision = 1;
  req.author = "tester";
  const EditResult r = f.editor->Submit(req);
  REQUIRE(r.outcome == Outcome::kConflict);
  REQUIRE(r.draft.has_value());
  CHECK_FALSE(r.draft->clean);
  REQUIRE(r.draft->conflicts.size() == 1);
  CHECK(r.draft->conflicts[0].theirs.find("ONE") != std::string::npos);
  CHECK(r.draft->conflicts[0].mine.find("uno") != std::string::npos);
  CHECK(r.draft->text.find("<<<<<<<") != std::string::npos);

  SUBCASE("merge off: no draft, the editor's own text is offered") {
    Fixture off(/*theirs=*/true, MergeMode::kOff);
    const EditResult r2 = off.editor->Submit(req);
    CHECK(r2.outcome == Outcome::kConflict);
    CHECK_FALSE(r2.draft.has_value());
  }
}

TEST_CASE("edit: ids go up by one per commit, and the hook sees each") {
  Fixture f(/*theirs=*/false);
  std::string text = kBase;
  for (uint64_t expect = 2; expect <= 4; ++expect) {
    text += "<p>more</p>\n";
    EditRequest req;
    req.kind = EditKind::kPut;
    req.text = text;
    const std::string tag = f.Current()->meta.RawETag();
    req.if_match = tag;
    req.author = "tester";
    const EditResult r = f.editor->Submit(req);
    REQUIRE(r.outcome == Outcome::kSaved);
    CHECK(r.committed.id == expect);
    CHECK(r.committed.RawETag() == f.Current()->meta.RawETag());
  }
  CHECK(f.committed_ids == std::vector<uint64_t>{2, 3, 4});
}

// PUTs racing on one revision (TakePutTurn): the first commits while the
// others wait for their turn; they then find their tag stale and never
// massage.
std::atomic<int> g_started{0};
std::atomic<bool> g_held{false};
void HoldFirstCommit(const char* step) {
  if (std::string_view(step) != kFaultRevisionFile || g_held.exchange(true))
    return;
  // Everyone is inside Submit (or about to be) while this commit is held.
  while (g_started.load() < 4) std::this_thread::yield();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
}

TEST_CASE(
    "edit: concurrent PUTs of one revision take turns; the losers "
    "answer 412 without massaging") {
  Fixture f(/*theirs=*/false);
  const std::string tag = f.Current()->meta.RawETag();
  const uint64_t fibs = Metrics::Global().FibTotal();
  g_started = 0;
  g_held = false;
  SetFaultHookForTest(HoldFirstCommit);
  std::vector<std::string> texts;
  for (int i = 0; i < 4; ++i)
    texts.push_back(std::string(kBase) + "<p>editor " + std::to_string(i) +
                    "</p>\n");
  std::vector<Outcome> outcomes(4);
  std::vector<std::thread> editors;
  for (int i = 0; i < 4; ++i) {
    editors.emplace_back([&, i] {
      EditRequest req;
      req.kind = EditKind::kPut;
      req.text = texts[i];
      req.if_match = tag;
      req.author = "tester";
      ++g_started;
      outcomes[i] = f.editor->Submit(req).outcome;
    });
  }
  for (auto& t : editors) t.join();
  SetFaultHookForTest(nullptr);
  CHECK(std::count(outcomes.begin(), outcomes.end(), Outcome::kSaved) == 1);
  CHECK(std::count(outcomes.begin(), outcomes.end(), Outcome::kStale) == 3);
  CHECK(Metrics::Global().FibTotal() == fibs + 1);
  CHECK(f.committed_ids == std::vector<uint64_t>{2});
}

}  // namespace
}  // namespace wiki

namespace wiki {
namespace {

// A cancellation source for tests: the client "hangs up" at the
// `gone_at`-th question (1-based; 0 = never), and every question is
// counted, with how many had been asked when the commit hook ran.
struct FakeClient {
  int gone_at = 0;
  int asked = 0;
  Cancel AsCancel() {
    return Cancel([this] { return gone_at != 0 && ++asked >= gone_at; });
  }
};

TEST_CASE("edit: a client that hangs up stops the edit before the commit") {
  struct Case {
    const char* name;
    EditKind kind;
    bool theirs;      // a form edit of revision 1 after revision 2: a merge
    int checkpoints;  // the questions a completed edit asks
  };
  const Case cases[] = {
      // Before the markup checks, between pre-scan and parse, before the
      // write lock.
      {"PUT", EditKind::kPut, false, 3},
      // And before the merge, before the merge's check, between its
      // pre-scan and parse.
      {"form post merged three-way", EditKind::kForm, true, 6},
  };
  for (const Case& c : cases) {
    SUBCASE(c.name) {
      for (int gone_at = 1; gone_at <= c.checkpoints + 1; ++gone_at) {
        CAPTURE(gone_at);
        Fixture f(c.theirs);
        const RevisionPtr before = f.Current();
        FakeClient client;
        // Never gone, yet every question is counted: a huge gone_at.
        client.gone_at = gone_at <= c.checkpoints ? gone_at : 1000;
        int asked_at_commit = -1;
        f.editor->set_on_committed([&](const RevisionMeta&) {
          asked_at_commit = client.asked;
          client.gone_at = 1;  // hangs up as soon as the commit is made
        });
        EditRequest req;
        req.kind = c.kind;
        req.author = "tester";
        req.text = c.theirs ? kMineApart : kTheirs;
        // req.if_match is a view: the tag must outlive Submit.
        const std::string tag = before->meta.RawETag();
        if (c.kind == EditKind::kPut) {
          req.if_match = tag;
        } else {
          req.base_revision = 1;
        }
        req.cancel = client.AsCancel();
        const EditResult r = f.editor->Submit(req);
        if (gone_at <= c.checkpoints) {
          CHECK(r.outcome == Outcome::kAbandoned);
          CHECK(r.status.code() == Code::kCancelled);
          CHECK(client.asked == gone_at);  // stopped at once
          CHECK(asked_at_commit == -1);
          CHECK(f.Current()->meta.id == before->meta.id);
          CHECK(f.Current()->text == before->text);
        } else {
          // Asked at every checkpoint and never after the commit began:
          // a hang-up after that leaves the edit saved.
          CHECK(r.committed_ok());
          CHECK(asked_at_commit == c.checkpoints);
          CHECK(client.asked == c.checkpoints);
          CHECK(f.Current()->meta.id == before->meta.id + 1);
        }
      }
    }
  }
  SUBCASE("a preview's check stops too, and says so") {
    Fixture f(false);
    FakeClient client;
    client.gone_at = 2;  // after the pre-scan, before the parse
    EditRequest req;
    req.kind = EditKind::kForm;
    req.author = "tester";
    req.text = kTheirs;
    req.base_revision = 1;
    req.cancel = client.AsCancel();
    std::optional<EditResult> r = f.editor->Check(req);
    REQUIRE(r.has_value());
    CHECK(r->outcome == Outcome::kAbandoned);
  }
}

}  // namespace
}  // namespace wiki
