// front_record: the name of the front cache's current directory in a small
// shared-memory file (<pages_dir>/current.rec) that nginx reads with no
// system call (nginx/wiki_front.lua, LuaJIT's FFI over mmap), instead of
// resolving the `current` symlink with $realpath_root: glibc's realpath()
// makes one readlink(2) per path component, ~6 per request, and perf put a
// quarter of nginx's CPU time there (README, "Capacity").
//
// Layout (16,448 bytes, host byte order): magic "wikifr01" (8 bytes), `cur`
// (uint64), 48 reserved bytes, then kSlots slots of kSlotBytes, each a
// NUL-terminated name. Publishing writes the name whole into slot
// (cur + 1) % kSlots, then stores cur + 1 (release). A reader loads `cur`
// and reads that slot, which is not written again for kSlots - 1 more
// publishes: a read is torn only if its reader stalls through 255 of them
// (seconds, at the fastest edit rate), and even then nginx's map accepts
// only a well-formed name, and a name without its directory is answered by
// the app (nginx/wiki-site.conf).
//
// The file is created whole (temp file + rename) and then only written in
// place, so the mapping nginx holds stays the one writers update. A record
// deleted, shortened or overwritten by hand is created anew by the next
// publish; nginx maps the path afresh every second and never maps a short
// file (nginx/wiki_front.lua), so it follows within a second. Not fsynced:
// derived state, republished by every worker at start.
//
// Thread-safety: callers serialise writers (FrontPages holds the
// publishers' flock); readers need no lock. Failure: Status.
#ifndef WIKI_FRONT_RECORD_H_
#define WIKI_FRONT_RECORD_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "status.h"

namespace wiki {

constexpr size_t kFrontRecordSlots = 256;
constexpr size_t kFrontRecordSlotBytes = 64;
constexpr size_t kFrontRecordBytes =
    64 + kFrontRecordSlots * kFrontRecordSlotBytes;

// Makes `name` (shorter than kFrontRecordSlotBytes) the record's current
// name, creating the file at `path` if it is missing, short or not a record.
Status PublishFrontRecord(const std::string& path, std::string_view name);

// The record's current name, as nginx reads it (tests and tools).
Result<std::string> ReadFrontRecord(const std::string& path);

}  // namespace wiki

#endif  // WIKI_FRONT_RECORD_H_
