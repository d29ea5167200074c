// fault: test-only fault points on the commit path, so that crash tests can
// kill a worker at a known step of a commit instead of hoping a SIGKILL
// lands in one.
//
// With WIKI_FAULT="pause-after:<step>:<arm file>" in the environment, the
// first thread that reaches FaultPoint(<step>) while <arm file> exists
// removes the file (so exactly one thread fires per arming), prints
//   wiki-fault: pid <pid> paused after <step>
// to stderr and sleeps for 60 s; the test SIGKILLs it meanwhile. Without
// WIKI_FAULT (production) a fault point costs one cached flag test.
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
    "history-record";  // commit point passed

void FaultPoint(const char* step);

}  // namespace wiki

#endif  // WIKI_FAULT_H_
