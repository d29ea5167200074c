// revision: one immutable version of the article and its metadata.
//
// Revisions are shared between threads as std::shared_ptr<const Revision>:
// once built they are never modified, so readers need no lock to use one.
#ifndef WIKI_REVISION_H_
#define WIKI_REVISION_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "status.h"

namespace wiki {

// Longest edit summary accepted, in bytes (the edit form says so too).
constexpr size_t kMaxSummaryBytes = 500;

struct RevisionMeta {
  uint64_t id = 0;      // 1, 2, 3, ... no gaps, no reuse
  int64_t time_ms = 0;  // commit time, Unix epoch milliseconds (UTC)
  uint64_t size = 0;    // bytes of article HTML
  uint64_t hash = 0;    // FNV-1a 64 of the article HTML
  std::string author;   // REMOTE_USER or client address
  std::string summary;  // editor's summary, may be empty
  int fib_n = -1;       // massaging input the stored result is for
  uint64_t fib = 0;     // massaged result computed at commit time

  // Strong validators. The raw bytes and the reader page are different
  // representations, so they get different tags.
  std::string RawETag() const;   // "\"r<id>-<hash>\""
  std::string PageETag() const;  // "\"p<id>-<hash>\""
};

struct Revision {
  RevisionMeta meta;
  std::string text;  // the article HTML, byte for byte as stored
};

using RevisionPtr = std::shared_ptr<const Revision>;

// One page of the history, newest first (MediaWiki's ?action=history
// paging: `offset` is the id the page starts below).
struct HistoryPage {
  std::vector<RevisionMeta> revisions;  // newest first, at most the limit
  uint64_t latest = 0;        // newest revision id in the whole history
  uint64_t older_offset = 0;  // offset of the next older page; 0: none
};

uint64_t HashBytes(std::string_view data);

// One line of the append-only history log (JSON, newline-terminated).
std::string EncodeLogRecord(const RevisionMeta& meta);
// Parses one line (without its '\n'); Corruption if it is not a record.
Result<RevisionMeta> DecodeLogRecord(std::string_view line);

// A revision id as clients and file names write it: 1 to 19 ASCII digits,
// nothing else (no sign, no spaces). False (and *id untouched) otherwise.
bool ParseRevisionId(std::string_view s, uint64_t* id);

// Wall-clock Unix time in milliseconds (the clock of revision times and of
// nginx's $msec).
int64_t NowMs();

// "2026-11-27T19:43:49Z"
std::string FormatIsoTime(int64_t time_ms);
// "Fri, 27 Nov 2026 19:43:49 GMT"
std::string FormatHttpDate(int64_t time_ms);

}  // namespace wiki

#endif  // WIKI_REVISION_H_
