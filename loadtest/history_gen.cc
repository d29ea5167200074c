#include "history_gen.h"

#include <cstdio>
#include <memory>

#include "fs_posix.h"
#include "revision.h"

namespace wiki {

namespace {

constexpr char kMarker[] = " (edit ";

// Positions of every "</p>" in text.
std::vector<size_t> ParagraphEnds(const std::string& text) {
  std::vector<size_t> ends;
  for (size_t p = text.find("</p>"); p != std::string::npos;
       p = text.find("</p>", p + 1)) {
    ends.push_back(p);
  }
  return ends;
}

}  // namespace

std::string SmallEdit(const std::string& text, uint64_t n) {
  std::string out = text;
  const std::string mark = std::string(kMarker) + std::to_string(n) + ")";
  std::vector<size_t> ends = ParagraphEnds(out);
  if (ends.empty()) return out + "<p>" + mark + "</p>\n";
  // A multiplicative hash spreads consecutive edits over the paragraphs.
  size_t end = ends[(n * 2654435761u) % ends.size()];
  if (end > 0 && out[end - 1] == ')') {
    size_t m = out.rfind(kMarker, end);
    size_t prev_end = out.rfind('>', end - 1);
    if (m != std::string::npos &&
        (prev_end == std::string::npos || m > prev_end)) {
      out.erase(m, end - m);
      end = m;
    }
  }
  out.insert(end, mark);
  return out;
}

Status GenerateHistory(ArticleStore* store, uint64_t count) {
  for (uint64_t i = 0; i < count; ++i) {
    auto committed = store->Commit(
        "make-history", "generated edit",
        [](const Revision& current, ArticleStore::Plan* plan) {
          plan->text = SmallEdit(current.text, current.meta.id + 1);
          return Status::OK();
        });
    if (!committed.ok()) return committed.status();
  }
  return Status::OK();
}

namespace {

Status WriteAll(std::FILE* f, const std::string& data) {
  if (std::fwrite(data.data(), 1, data.size(), f) != data.size()) {
    return Status::IOError("history.log: short write");
  }
  return Status::OK();
}

}  // namespace

Status AppendHistoryNoSync(const std::string& data_dir,
                           const std::string& title, uint64_t count) {
  auto store = ArticleStore::Open(data_dir, title);
  if (!store.ok()) return store.status();
  auto lock =
      FileLock::Acquire(data_dir + "/.lock", FileLock::Mode::kExclusive);
  if (!lock.ok()) return lock.status();
  auto cur = (*store)->Current();
  if (!cur.ok()) return cur.status();
  std::string text = (*cur)->text;
  RevisionMeta m = (*cur)->meta;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> log(
      std::fopen((data_dir + "/history.log").c_str(), "ae"), &std::fclose);
  if (!log) return Status::IOError("cannot open history.log for append");
  std::string buf;
  for (uint64_t i = 0; i < count; ++i) {
    text = SmallEdit(text, m.id + 1);
    m.id += 1;
    m.time_ms = NowMs();
    m.size = text.size();
    m.hash = HashBytes(text);
    m.author = "make-history";
    m.summary = "generated edit";
    m.fib_n = -1;
    m.fib = 0;
    buf += EncodeLogRecord(m);
    if (i + 1 == count) {
      // The last revision needs its file (and the article) before its
      // record is in the log, as a commit would have it.
      Status s = WriteFileAtomically(data_dir + "/revisions",
                                     std::to_string(m.id) + ".html", text,
                                     Durability::kVisibleOnly);
      if (s.ok()) {
        s = WriteFileAtomically(data_dir, title + ".html", text,
                                Durability::kVisibleOnly);
      }
      if (!s.ok()) return s;
    }
    if (buf.size() >= (4u << 20) || i + 1 == count) {
      Status s = WriteAll(log.get(), buf);
      if (!s.ok()) return s;
      buf.clear();
    }
  }
  if (std::fflush(log.get()) != 0) return Status::IOError("history.log flush");
  // Written behind the store's back: announce it to running workers
  // (article_store.h) instead of leaving it to their periodic check.
  (*store)->Announce();
  return Status::OK();
}

}  // namespace wiki
