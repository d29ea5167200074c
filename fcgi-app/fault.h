// fault: test-only fault points on the edit and commit paths, so that crash
// tests can kill a worker at a known step of a commit instead of hoping a
// SIGKILL lands in one, and a test can hold an edit long enough for its
// client to hang up.
//
// With WIKI_FAULT="pause-after:<step>:<arm file>" in the environment, the
// first thread that reaches FaultPoint(<step>) while <arm file> exists
// removes the file (so exactly one thread fires per arming), prints
//   wiki-fault: pid <pid> paused after <step>
// to stderr and sleeps for 60 s; the test SIGKILLs it meanwhile. With
// WIKI_FAULT="delay-after:<step>:<ms>:<arm file>" it prints
//   wiki-fault: pid <pid> delayed after <step>
// and goes on after <ms> milliseconds. Without WIKI_FAULT (production) a
// fault point costs one cached flag test.
//
// Thread-safe. Never fails: a malformed WIKI_FAULT disables the points.
#ifndef WIKI_FAULT_H_
#define WIKI_FAULT_H_

namespace wiki {

// Steps of ArticleStore::Commit, in order.
inline constexpr char kFaultRevisionFile[] =
    "revision-file";  // revisions/<id>.html durable
inline constexpr char kFaultArticleFile[] =
    "article-file";  // article renamed over, durable
inline constexpr char kFaultHistoryRecord[] =
    "history-record";  // commit point passed, not yet announced (generation)

// An edit's body read in full, before any of its checks (handler.cc).
inline constexpr char kFaultEditReceived[] = "edit-received";

void FaultPoint(const char* step);

// Unit tests only: `hook` is called by the thread at every fault point (as
// well as WIKI_FAULT's action), so that a test can hold a commit at a step
// while other stores in the process look at the data dir: to them, a
// worker killed there. nullptr removes it. Thread-safe.
using FaultHook = void (*)(const char* step);
void SetFaultHookForTest(FaultHook hook);

}  // namespace wiki

#endif  // WIKI_FAULT_H_
