// history_gen: large histories on demand, through the store's own code.
//
// GenerateHistory commits `count` small edits to the article with
// ArticleStore::Commit (the same durable path an edit request takes).
// AppendHistoryNoSync is for benchmarks only: it writes the same records
// (EncodeLogRecord) but without fsync and without a revision file for each
// old revision (only the last one gets its file), so a million-revision
// history.log takes seconds instead of hours; `?oldid=` of those old ids is
// a 404. Never point it at a data directory that serves real edits.
//
// Not thread-safe against other writers in the same process; the store's
// flock serialises GenerateHistory with other processes, AppendHistoryNoSync
// takes the same flock.
#ifndef WIKI_LOADTEST_HISTORY_GEN_H_
#define WIKI_LOADTEST_HISTORY_GEN_H_

#include <cstdint>
#include <string>

#include "article_store.h"
#include "status.h"

namespace wiki {

// The n-th generated edit of `text`: one paragraph (chosen by n) gets its
// marker " (edit n)" set, replacing the one a previous edit left there, so
// the text stays about the same size however many edits are made.
std::string SmallEdit(const std::string& text, uint64_t n);

// Commits `count` edits through store->Commit; stops at the first error.
Status GenerateHistory(ArticleStore* store, uint64_t count);

// Benchmarks only (see above). The store in data_dir must exist (Open it
// first); appends `count` records after its last revision.
Status AppendHistoryNoSync(const std::string& data_dir,
                           const std::string& title, uint64_t count);

}  // namespace wiki

#endif  // WIKI_LOADTEST_HISTORY_GEN_H_
