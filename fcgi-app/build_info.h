// build_info: which build of article-server this process runs.
//
// The build id is a hash of the executable's bytes (/proc/self/exe), so
// two processes report the same id exactly when they run the same binary,
// however it was built or installed; a rollout compares it across workers
// (GET /metrics, `article-server --build-id`).
//
// Thread-safety: BuildId() may be called from any thread; it hashes the
// executable once, on first use.
#ifndef WIKI_BUILD_INFO_H_
#define WIKI_BUILD_INFO_H_

#include <string>

namespace wiki {

// "exe-" + 16 hex digits of FNV-1a over the executable, or "unknown" if it
// cannot be read.
const std::string& BuildId();

// The same for any file (for tests and tools).
std::string BuildIdOfFile(const std::string& path);

}  // namespace wiki

#endif  // WIKI_BUILD_INFO_H_
