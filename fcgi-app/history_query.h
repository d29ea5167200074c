// history_query: the paging parameters of ?action=history, MediaWiki-style.
//
//   limit=N    revisions per page, 1..kMaxHistoryLimit (default 50; a larger
//              number is clamped to the maximum, as MediaWiki does)
//   offset=ID  start below revision ID (newest first); absent: the newest
//
// Pure functions, thread-safe; a bad value is an InvalidArgument whose
// message is fit for a 400 response.
#ifndef WIKI_HISTORY_QUERY_H_
#define WIKI_HISTORY_QUERY_H_

#include <cstddef>
#include <cstdint>

#include "form_parser.h"
#include "status.h"

namespace wiki {

constexpr size_t kDefaultHistoryLimit = 50;
constexpr size_t kMaxHistoryLimit = 500;

struct HistoryQuery {
  size_t limit = kDefaultHistoryLimit;
  uint64_t offset = 0;  // 0: from the newest revision
};

Result<HistoryQuery> ParseHistoryQuery(const Form& query);

}  // namespace wiki

#endif  // WIKI_HISTORY_QUERY_H_
