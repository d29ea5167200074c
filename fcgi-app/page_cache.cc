#include "page_cache.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "fs_posix.h"
#include "metrics.h"
#include "render.h"

namespace wiki {

PageCache::PageCache(std::string title, std::string cache_dir)
    : title_(std::move(title)), cache_dir_(std::move(cache_dir)) {
  if (!cache_dir_.empty()) {
    Status s = CreateDir(cache_dir_, 0755);
    if (!s.ok()) std::fprintf(stderr, "page_cache: %s\n", s.ToString().c_str());
  }
}

std::shared_ptr<const std::string> PageCache::Render(const Revision& rev,
                                                     uint64_t current_id) {
  auto start = std::chrono::steady_clock::now();
  auto html = std::make_shared<const std::string>(
      RenderReaderPage(title_, rev, current_id));
  Metrics::Global().ObserveRender(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count());
  return html;
}

std::string PageCache::WriteFile(const Revision& rev, const std::string& html) {
  char name[64];
  std::snprintf(name, sizeof(name), "page-%llu-%016llx.html",
                static_cast<unsigned long long>(rev.meta.id),
                static_cast<unsigned long long>(rev.meta.hash));
  Status s =
      WriteFileAtomically(cache_dir_, name, html, Durability::kVisibleOnly);
  if (!s.ok()) {
    // Not fatal: the app sends the page itself.
    std::fprintf(stderr, "page_cache: %s\n", s.ToString().c_str());
    return "";
  }
  // Drop pages of long-superseded revisions. Recent ones stay: a request
  // already redirected to one may still be on its way through nginx.
  auto names = ListDir(cache_dir_);
  if (names.ok()) {
    for (const std::string& n : *names) {
      unsigned long long id = 0;
      if (std::sscanf(n.c_str(), "page-%llu-", &id) == 1 &&
          id + kKeepRevisions < rev.meta.id) {
        RemoveFile(cache_dir_ + "/" + n);
      }
    }
  }
  return name;
}

PageCache::Page PageCache::Current(const RevisionPtr& rev) {
  {
    std::lock_guard<std::mutex> guard(mu_);
    if (current_ && current_id_ == rev->meta.id &&
        current_hash_ == rev->meta.hash) {
      return *current_;
    }
  }
  auto page = std::make_shared<Page>();
  page->html = Render(*rev, rev->meta.id);
  if (!cache_dir_.empty()) page->file_name = WriteFile(*rev, *page->html);
  std::lock_guard<std::mutex> guard(mu_);
  // Another thread may have installed a newer revision meanwhile.
  if (!current_ || current_id_ <= rev->meta.id) {
    current_ = page;
    current_id_ = rev->meta.id;
    current_hash_ = rev->meta.hash;
  }
  return *page;
}

std::shared_ptr<const std::string> PageCache::Old(const Revision& rev,
                                                  uint64_t current_id) {
  return Render(rev, current_id);
}

}  // namespace wiki
