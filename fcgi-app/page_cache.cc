#include "page_cache.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "brotli.h"
#include "fs_posix.h"
#include "gzip.h"
#include "metrics.h"
#include "render.h"

namespace wiki {

PageCache::PageCache(std::string title, std::string cache_dir,
                     size_t min_file_bytes)
    : title_(std::move(title)),
      cache_dir_(std::move(cache_dir)),
      min_file_bytes_(min_file_bytes) {
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

PageCache::Body PageCache::MakeBody(const Revision& rev, const char* kind,
                                    std::shared_ptr<const std::string> bytes) {
  Body body;
  body.bytes = std::move(bytes);
  if (cache_dir_.empty() || !body.bytes ||
      body.bytes->size() < min_file_bytes_) {
    return body;
  }
  const std::string_view k(kind);
  const std::string_view tail = k.size() > 2 ? k.substr(k.size() - 2) : "";
  char name[80];
  std::snprintf(name, sizeof(name), "%s-%llu-%016llx%s", kind,
                static_cast<unsigned long long>(rev.meta.id),
                static_cast<unsigned long long>(rev.meta.hash),
                tail == "gz"   ? ".html.gz"
                : tail == "br" ? ".html.br"
                               : ".html");
  Status s = WriteFileAtomically(cache_dir_, name, *body.bytes,
                                 Durability::kVisibleOnly);
  if (!s.ok()) {
    // Not fatal: the app sends the bytes itself.
    std::fprintf(stderr, "page_cache: %s\n", s.ToString().c_str());
    return body;
  }
  body.file_name = name;
  return body;
}

void PageCache::Prune(uint64_t newest_id) {
  // Drop files of long-superseded revisions. Recent ones stay: a request
  // already redirected to one may still be on its way through nginx.
  auto names = ListDir(cache_dir_);
  if (!names.ok()) return;
  for (const std::string& n : *names) {
    size_t dash = n.find('-');
    if (dash == std::string::npos || n.rfind(kTempPrefix, 0) == 0) continue;
    unsigned long long id = std::strtoull(n.c_str() + dash + 1, nullptr, 10);
    if (id != 0 && id + kKeepRevisions < newest_id)
      RemoveFile(cache_dir_ + "/" + n);
  }
}

namespace {

std::shared_ptr<const std::string> Gzipped(const std::string& data, int level) {
  auto gz = GzipCompress(data, level);
  if (!gz.ok()) return nullptr;
  return std::make_shared<const std::string>(std::move(*gz));
}

std::shared_ptr<const std::string> Brotli(const std::string& data,
                                          int quality) {
  auto br = BrotliCompress(data, quality);
  if (!br.ok()) return nullptr;
  return std::make_shared<const std::string>(std::move(*br));
}

}  // namespace

const PageCache::Body* PageCache::Page::Find(bool raw, Coding coding) const {
  const Body* body = nullptr;
  switch (coding) {
    case Coding::kIdentity:
      body = raw ? nullptr : &html;
      break;
    case Coding::kGzip:
      body = raw ? &raw_gz : &html_gz;
      break;
    case Coding::kBrotli:
      body = raw ? &raw_br : &html_br;
      break;
  }
  return body != nullptr && body->bytes ? body : nullptr;
}

std::shared_ptr<const PageCache::Page> PageCache::Current(
    const RevisionPtr& rev) {
  // The installed page if it is `rev`'s, null if a newer revision's page is
  // installed (the caller read the store before it), else keep going.
  auto installed = [&](std::shared_ptr<const Page>* out) {
    std::lock_guard<std::mutex> guard(mu_);
    if (!current_) return false;
    if (current_id_ == rev->meta.id && current_hash_ == rev->meta.hash) {
      *out = current_;
      return true;
    }
    return current_id_ > rev->meta.id;  // superseded: *out stays null
  };
  std::shared_ptr<const Page> found;
  if (installed(&found)) return found;
  // One thread builds; the others that want the same revision wait for it
  // instead of all rendering and compressing it at once (every thread of
  // every worker notices a new revision at the same moment).
  std::lock_guard<std::mutex> build(build_mu_);
  if (installed(&found)) return found;
  auto page = std::make_shared<Page>();
  auto html = Render(*rev, rev->meta.id);
  page->html = MakeBody(*rev, "page", html);
  // The page is what the world downloads; the raw article is for editors
  // and tools, compressed faster (gzip.h, brotli.h).
  page->html_gz = MakeBody(*rev, "pagegz", Gzipped(*html, kGzipLevel));
  page->raw_gz = MakeBody(*rev, "rawgz", Gzipped(rev->text, kGzipLevelRaw));
  page->html_br = MakeBody(*rev, "pagebr", Brotli(*html, kBrotliQuality));
  page->raw_br = MakeBody(*rev, "rawbr", Brotli(rev->text, kBrotliQualityRaw));
  if (!cache_dir_.empty()) Prune(rev->meta.id);
  // Only the holder of build_mu_ installs, and the check above saw nothing
  // newer: this is the newest revision built so far.
  std::lock_guard<std::mutex> guard(mu_);
  current_ = page;
  current_id_ = rev->meta.id;
  current_hash_ = rev->meta.hash;
  return page;
}

std::shared_ptr<const std::string> PageCache::Old(const Revision& rev,
                                                  uint64_t current_id) {
  return Render(rev, current_id);
}

}  // namespace wiki
