// Commit protocol (all under the exclusive flock):
//
//   1. refresh the history tail: the current revision C is its last record
//   2. decide(C): the caller's precondition check / merge, under the lock,
//      so no other writer can slip in between the check and the write
//   3. revisions/<C+1>.html  written durably (fs_posix recipe; its data is
//                            written and fsynced before the lock when the
//                            caller knows it, only renamed under it)
//   4. <title>.html          replaced atomically, not fsynced: a copy that
//                            recovery rebuilds from revisions/<C+1>.html
//   5. history.log           record appended and fsynced: THE commit point
//   6. .generation           the shared counter bumped (generation.h), still
//                            under the lock; then Commit returns and the
//                            edit may be acknowledged
//
// Readers take no lock, so a commit never stalls them. They notice a new
// revision by the shared generation: when it differs from the one they
// read before their last load, they stat the article file and compare its
// identity (so a reader costs no system call while nothing changes); then
// a new complete record in history.log is what makes it a revision.
// Between 4 and 5 the file has changed but the log has not: readers keep
// serving the revision they have. Once the record is there, the article
// file's hash must equal the record's; if it does not (a failed commit
// being undone, a hand edit), readers serve revisions/<last>.html, which
// never changes once written.
//
// Why 6 comes after 5, and why a reader reads the generation before its
// stat: a reader that stats between 4 and 6 either finds no record yet
// (it keeps the old revision and not the new file's identity) or finds the
// record (it has the new revision); either way it remembers the generation
// from before 6, so the bump sends it to the disk again on its next call.
// A reader can never remember a generation newer than what it loaded. A
// bump before 5 would let a reader remember the new generation with the old
// revision, and serve it until the next commit.
//
// Crash safety: a crash before 5 leaves a revision that was never
// acknowledged; recovery (Open) removes its revision file and, since the
// last acknowledged revision wins, rewrites the article file from
// revisions/<last>.html. If 5 fails (disk full) the article file is restored
// at once and a partial record is cut off.
//
// Packing (PackOld, under .pack-lock only; never the edit lock) moves
// revisions a..b, all older than the newest plain_revisions, into
// packs/<a>-<b>.pack:
//
//   1. read revisions/a..b.html, check each against its record's hash
//   2. encode the pack, decode it again and compare (never trust a pack
//      that was not read back)
//   3. packs/<a>-<b>.pack   written durably (temp, fsync, rename, fsync dir)
//   4. revisions/a..b.html  unlinked, then revisions/ fsynced
//
// A revision is always in a plain file, in a durable pack, or both; readers
// try the plain file first and then the pack (an unlink in 4 follows the
// pack's rename, so a reader who misses the file finds the pack). A crash
// in 3 leaves a temp file (recovery removes it) or, before the directory
// fsync, maybe no pack: the plain files are all still there. A crash in 4
// leaves some plain files of a packed range: recovery verifies the pack
// (every byte) and removes them; a pack that fails verification while all
// its plain files exist is removed instead.
#include "article_store.h"

#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iterator>
#include <set>

#include "fault.h"
#include "revision_pack.h"

namespace wiki {

namespace {

bool ParseRevisionFileName(const std::string& name, uint64_t* id) {
  const std::string suffix = ".html";
  if (name.size() <= suffix.size() ||
      name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) {
    return false;
  }
  return ParseRevisionId(
      std::string_view(name).substr(0, name.size() - suffix.size()), id);
}

Status RemoveTempFiles(const std::string& dir) {
  auto names = ListDir(dir);
  if (!names.ok()) return names.status();
  for (const std::string& n : *names) {
    if (n.rfind(kTempPrefix, 0) == 0) {
      std::fprintf(stderr, "article_store: removing leftover %s/%s\n",
                   dir.c_str(), n.c_str());
      Status s = RemoveFile(dir + "/" + n);
      if (!s.ok()) return s;
    }
  }
  return Status::OK();
}

}  // namespace

ArticleStore::ArticleStore(std::string data_dir, std::string title,
                           StoreOptions options)
    : data_dir_(data_dir),
      revisions_dir_(data_dir + "/revisions"),
      article_name_(title + ".html"),
      article_path_(data_dir + "/" + title + ".html"),
      log_path_(data_dir + "/history.log"),
      lock_path_(data_dir + "/.lock"),
      packs_dir_(data_dir + "/packs"),
      pack_lock_path_(data_dir + "/.pack-lock"),
      options_(options) {}

Result<std::unique_ptr<ArticleStore>> ArticleStore::Open(
    const std::string& data_dir, const std::string& title,
    const StoreOptions& options) {
  if (options.plain_revisions < 2) {
    return Status::InvalidArgument("plain_revisions must be at least 2");
  }
  std::unique_ptr<ArticleStore> store(
      new ArticleStore(data_dir, title, options));
  Status s = store->Recover();
  if (!s.ok()) return s;
  if (options.generation_file != "off") {
    const std::string path = options.generation_file.empty()
                                 ? data_dir + "/.generation"
                                 : options.generation_file;
    auto gen = Generation::Open(path);
    if (gen.ok()) {
      store->generation_ = std::move(*gen);
      // Recovery may have rewritten the article file; other processes
      // reload once.
      store->generation_->Bump();
    } else {
      std::fprintf(stderr,
                   "article_store: no shared generation (%s); every read "
                   "stats the article file instead\n",
                   gen.status().ToString().c_str());
    }
  }
  return store;
}

ArticleStore::~ArticleStore() {
  {
    std::lock_guard<std::mutex> guard(packer_mu_);
    stop_ = true;
  }
  packer_cv_.notify_all();
  recheck_cv_.notify_all();
  if (packer_.joinable()) packer_.join();
  if (rechecker_.joinable()) rechecker_.join();
}

std::string ArticleStore::RevisionPath(uint64_t id) const {
  return revisions_dir_ + "/" + std::to_string(id) + ".html";
}

namespace {

// The log is indexed in windows of this size; a record never comes near it
// (summaries are capped at 500 bytes).
constexpr size_t kLogWindow = 1 << 20;

}  // namespace

Status ArticleStore::RefreshLogLocked() {
  auto id = StatFile(log_path_);
  if (!id.ok()) {
    if (id.status().code() == Status::Code::kNotFound) return Status::OK();
    return id.status();
  }
  if (id->size == log_offset_) return Status::OK();
  if (id->size < log_offset_) {
    // Only a failed commit cuts the log back, and only a record that was
    // never acknowledged; start over rather than trust what was indexed.
    offsets_.clear();
    count_ = 0;
    log_offset_ = 0;
  }
  // Start-up reads the whole log once, but only looks for newlines: no
  // record is decoded but the last, so a million records cost a scan.
  std::vector<uint64_t> added;  // index entries for the new records
  uint64_t count = count_;
  std::string last_line;
  off_t parsed = log_offset_;
  for (;;) {
    auto data = ReadFileRange(log_path_, parsed, kLogWindow);
    if (!data.ok()) return data.status();
    size_t pos = 0;
    size_t last_start = 0;
    for (size_t nl; (nl = data->find('\n', pos)) != std::string::npos;
         pos = nl + 1) {
      if (count % kIndexStride == 0) {
        added.push_back(static_cast<uint64_t>(parsed) + pos);
      }
      ++count;
      last_start = pos;
    }
    if (pos > 0) last_line.assign(*data, last_start, pos - 1 - last_start);
    parsed += static_cast<off_t>(pos);
    if (data->size() < kLogWindow) break;  // the end (or a record in flight)
    if (pos == 0) return Status::Corruption("history.log: record too long");
  }
  if (count == count_) return Status::OK();  // a record still being appended
  auto rec = DecodeLogRecord(last_line);
  if (!rec.ok()) return rec.status();
  const uint64_t want = count;
  if (rec->id != want) {
    return Status::Corruption("history.log: revision " +
                              std::to_string(rec->id) + " where " +
                              std::to_string(want) + " was expected");
  }
  offsets_.insert(offsets_.end(), added.begin(), added.end());
  count_ = count;
  last_ = std::move(*rec);
  log_offset_ = parsed;
  return Status::OK();
}

Result<std::vector<RevisionMeta>> ArticleStore::ReadRecordsLocked(
    uint64_t first_id, uint64_t last_id) {
  // From the indexed record at or before first_id to the one after
  // last_id (or the end): at most kIndexStride - 1 records too many.
  const uint64_t from_id = (first_id - 1) / kIndexStride * kIndexStride + 1;
  const uint64_t begin = offsets_[(from_id - 1) / kIndexStride];
  const uint64_t next = (last_id - 1) / kIndexStride + 1;  // slot after last_id
  const uint64_t end = next < offsets_.size()
                           ? offsets_[next]
                           : static_cast<uint64_t>(log_offset_);
  auto data = ReadFileRange(log_path_, static_cast<off_t>(begin),
                            static_cast<size_t>(end - begin));
  if (!data.ok()) return data.status();
  std::vector<RevisionMeta> out;
  out.reserve(last_id - first_id + 1);
  size_t pos = 0;
  for (uint64_t id = from_id; id < first_id; ++id) {
    size_t nl = data->find('\n', pos);
    if (nl == std::string::npos) break;  // reported below
    pos = nl + 1;
  }
  for (uint64_t id = first_id; id <= last_id; ++id) {
    size_t nl = data->find('\n', pos);
    if (nl == std::string::npos) {
      return Status::Corruption("history.log: short read of revision " +
                                std::to_string(id));
    }
    auto rec = DecodeLogRecord(std::string_view(*data).substr(pos, nl - pos));
    if (!rec.ok()) return rec.status();
    if (rec->id != id) {
      return Status::Corruption("history.log: revision " +
                                std::to_string(rec->id) + " where " +
                                std::to_string(id) + " was expected");
    }
    out.push_back(std::move(*rec));
    pos = nl + 1;
  }
  return out;
}

namespace {

// Drops a torn tail of the history log: a record without its newline was
// never acknowledged (the fsync that would acknowledge it did not return).
Status DropTornTail(const std::string& log_path) {
  auto st = StatFile(log_path);
  if (!st.ok()) {
    return st.status().code() == Status::Code::kNotFound ? Status::OK()
                                                         : st.status();
  }
  const off_t size = st->size;
  off_t keep = 0;
  // Only the end of the log is read: the last newline is near it.
  for (off_t window = 65536;; window *= 4) {
    const off_t from = size > window ? size - window : 0;
    auto tail = ReadFileRange(log_path, from, static_cast<size_t>(size - from));
    if (!tail.ok()) return tail.status();
    size_t nl = tail->rfind('\n');
    if (nl != std::string::npos) {
      keep = from + static_cast<off_t>(nl) + 1;
      break;
    }
    if (from == 0) break;
  }
  if (keep == size) return Status::OK();
  std::fprintf(stderr,
               "article_store: dropping torn history tail (%lld bytes)\n",
               static_cast<long long>(size - keep));
  return TruncateDurably(log_path, keep);
}

}  // namespace

Status ArticleStore::Recover() {
  auto lock = FileLock::Acquire(lock_path_, FileLock::Mode::kExclusive);
  if (!lock.ok()) return lock.status();
  std::lock_guard<std::mutex> guard(mu_);

  Status s = CreateDir(revisions_dir_, 0755);
  if (s.ok()) s = RemoveTempFiles(data_dir_);
  if (s.ok()) s = RemoveTempFiles(revisions_dir_);
  // The page cache writes through temp files too; a crash can leave one.
  if (s.ok() && StatFile(data_dir_ + "/cache").ok()) {
    s = RemoveTempFiles(data_dir_ + "/cache");
  }
  if (s.ok()) s = CreateDir(packs_dir_, 0755);
  if (s.ok()) s = RemoveTempFiles(packs_dir_);
  if (!s.ok()) return s;

  s = DropTornTail(log_path_);
  if (!s.ok()) return s;
  s = RefreshLogLocked();
  if (!s.ok()) return s;

  if (count_ == 0) {
    // First start on this data directory: the article file becomes r1.
    auto text = ReadFile(article_path_);
    if (!text.ok()) {
      return Status::NotFound("no history and no article file at " +
                              article_path_);
    }
    RevisionMeta m;
    m.id = 1;
    m.time_ms = NowMs();
    m.size = text->size();
    m.hash = HashBytes(*text);
    m.author = "import";
    m.summary = "Imported " + article_name_;
    s = WriteFileAtomically(revisions_dir_, "1.html", *text);
    if (s.ok()) s = AppendDurably(log_path_, EncodeLogRecord(m));
    if (!s.ok()) return s;
    s = RefreshLogLocked();
    if (!s.ok()) return s;
  }

  const RevisionMeta last = last_;
  // Revision files beyond the last record were written by a commit that
  // crashed before its commit point.
  auto names = ListDir(revisions_dir_);
  if (!names.ok()) return names.status();
  for (const std::string& n : *names) {
    uint64_t id = 0;
    if (ParseRevisionFileName(n, &id) && id > last.id) {
      std::fprintf(stderr, "article_store: removing unacknowledged %s\n",
                   n.c_str());
      s = RemoveFile(revisions_dir_ + "/" + n);
      if (!s.ok()) return s;
    }
  }
  s = RecoverPacks(last.id);
  if (!s.ok()) return s;
  auto last_text = ReadFile(RevisionPath(last.id));
  if (!last_text.ok()) return last_text.status();
  if (HashBytes(*last_text) != last.hash) {
    return Status::Corruption("revisions/" + std::to_string(last.id) +
                              ".html does not match its history record");
  }
  auto article = ReadFile(article_path_);
  if (!article.ok() || *article != *last_text) {
    std::fprintf(
        stderr,
        "article_store: %s disagrees with revision %llu; restoring it\n",
        article_path_.c_str(), static_cast<unsigned long long>(last.id));
    s = WriteFileAtomically(data_dir_, article_name_, *last_text);
    if (!s.ok()) return s;
  }
  return Status::OK();
}

Result<RevisionPtr> ArticleStore::LoadCurrentLocked() {
  Status s = RefreshLogLocked();
  if (!s.ok()) return s;
  if (count_ == 0) return Status::Corruption("history.log is empty");
  const RevisionMeta& last = last_;
  if (current_ && current_->meta.id == last.id) {
    // No new record: the file changed for a commit still in progress (or
    // by hand). Keep serving what the history says is current, and do not
    // remember the file's identity, so the record is noticed when it lands.
    return current_;
  }
  FileId file_id;
  auto text = ReadFile(article_path_, &file_id);
  bool from_article = text.ok() && HashBytes(*text) == last.hash;
  if (!from_article) {
    text = ReadFile(RevisionPath(last.id));
    if (!text.ok()) return text.status();
  }
  auto rev = std::make_shared<Revision>();
  rev->meta = last;
  rev->text = std::move(*text);
  current_ = rev;
  current_file_id_ = from_article ? file_id : FileId();
  return RevisionPtr(rev);
}

Result<RevisionPtr> ArticleStore::Current() {
  // Read before the stat (see the top of this file): 0 means no generation.
  const uint64_t gen = generation_ ? generation_->Load() : 0;
  if (gen != 0) {
    std::lock_guard<std::mutex> guard(mu_);
    if (current_ && loaded_gen_ == gen) return current_;
  }
  return StatAndLoad(gen);
}

Result<RevisionPtr> ArticleStore::StatAndLoad(uint64_t gen) {
  article_stats_.fetch_add(1, std::memory_order_relaxed);
  auto id = StatFile(article_path_);
  std::lock_guard<std::mutex> guard(mu_);
  if (current_ && id.ok() && *id == current_file_id_) {
    loaded_gen_ = gen;
    return current_;
  }
  auto rev = LoadCurrentLocked();
  // Whatever was loaded is at least as new as `gen`. A thread that read an
  // older generation may set an older one afterwards: that costs a stat,
  // never a stale answer.
  if (rev.ok()) loaded_gen_ = gen;
  return rev;
}

Result<bool> ArticleStore::Recheck() {
  if (!generation_) return false;  // every Current() stats anyway
  const uint64_t gen = generation_->Load();
  uint64_t had = 0, seen = 0;
  {
    std::lock_guard<std::mutex> guard(mu_);
    // Only a cache that claims to be valid for `gen` can prove a missed
    // bump; otherwise a bump already sent this process to the disk.
    if (!current_ || loaded_gen_ != gen) return false;
    had = current_->meta.id;
  }
  auto rev = StatAndLoad(gen);
  if (!rev.ok()) return rev.status();
  seen = (*rev)->meta.id;
  if (seen == had) return false;
  // A revision nobody announced (or whose writer has not bumped yet: then
  // the generation moves twice, which costs every process one more stat).
  return generation_->BumpFrom(gen);
}

uint64_t ArticleStore::Announce() {
  return generation_ ? generation_->Bump() : 0;
}

Result<RevisionPtr> ArticleStore::Get(uint64_t id) {
  auto cur = Current();
  if (!cur.ok()) return cur.status();
  if ((*cur)->meta.id == id) return cur;
  RevisionMeta meta;
  {
    std::lock_guard<std::mutex> guard(mu_);
    if (id == 0 || id > count_) {
      return Status::NotFound("no revision " + std::to_string(id));
    }
    auto rec = ReadRecordsLocked(id, id);
    if (!rec.ok()) return rec.status();
    meta = std::move(rec->front());
  }
  auto text = ReadFile(RevisionPath(id));
  if (!text.ok() && text.status().code() == Status::Code::kNotFound) {
    text = ReadPacked(id);
    // The pack was checked, frame by frame; this checks the decoding too.
    if (text.ok() && HashBytes(*text) != meta.hash) {
      return Status::Corruption("packed revision " + std::to_string(id) +
                                " does not match its history record");
    }
  }
  if (!text.ok()) return text.status();
  auto rev = std::make_shared<Revision>();
  rev->meta = std::move(meta);
  rev->text = std::move(*text);
  return RevisionPtr(rev);
}

Result<std::vector<RevisionMeta>> ArticleStore::History() {
  auto cur = Current();  // brings the log up to date
  if (!cur.ok()) return cur.status();
  std::lock_guard<std::mutex> guard(mu_);
  if (count_ == 0) return std::vector<RevisionMeta>();
  return ReadRecordsLocked(1, count_);
}

Result<HistoryPage> ArticleStore::History(uint64_t offset, size_t limit) {
  auto cur = Current();  // brings the log up to date
  if (!cur.ok()) return cur.status();
  std::lock_guard<std::mutex> guard(mu_);
  HistoryPage page;
  page.latest = count_;  // ids are 1..n without gaps
  uint64_t top = offset == 0 || offset > page.latest ? page.latest : offset - 1;
  uint64_t n = std::min<uint64_t>(limit, top);
  if (n == 0) return page;
  auto recs = ReadRecordsLocked(top - n + 1, top);  // one pread
  if (!recs.ok()) return recs.status();
  page.revisions.assign(std::make_move_iterator(recs->rbegin()),
                        std::make_move_iterator(recs->rend()));
  if (top - n >= 1) page.older_offset = top - n + 1;
  return page;
}

Result<RevisionMeta> ArticleStore::Commit(const std::string& author,
                                          const std::string& summary,
                                          const Decide& decide,
                                          std::string_view likely_text) {
  // The revision file's data and its fsync need no lock: only its name
  // (the next id) does.
  StagedFile staged;
  if (!likely_text.empty()) {
    auto written = StagedFile::Write(revisions_dir_, "next.html", likely_text);
    if (!written.ok()) return written.status();
    staged = std::move(*written);
  }
  // The flock excludes every other writer, threads of this process too
  // (each Acquire opens its own descriptor). mu_ is taken only around the
  // cached state, not across the fsyncs: this process's readers keep
  // serving meanwhile, as other processes' do.
  auto lock = FileLock::Acquire(lock_path_, FileLock::Mode::kExclusive);
  if (!lock.ok()) return lock.status();
  RevisionPtr current;
  off_t log_end = 0;  // the log's length before this commit
  {
    std::lock_guard<std::mutex> guard(mu_);
    auto cur = LoadCurrentLocked();
    if (!cur.ok()) return cur.status();
    current = *cur;
    log_end = log_offset_;
  }
  // With the lock held nobody else is appending, so bytes past the last
  // complete record are the torn tail of a writer that died mid-append
  // (never acknowledged). Cut them off, or this record would be glued to
  // them.
  auto log_id = StatFile(log_path_);
  if (log_id.ok() && log_id->size > log_end) {
    std::fprintf(stderr,
                 "article_store: dropping torn history tail (%lld bytes)\n",
                 static_cast<long long>(log_id->size - log_end));
    Status t = TruncateDurably(log_path_, log_end);
    if (!t.ok()) return t;
  }

  Plan plan;
  Status s = decide(*current, &plan);
  if (!s.ok()) return s;

  RevisionMeta m;
  m.id = current->meta.id + 1;
  m.time_ms = NowMs();
  m.size = plan.text.size();
  m.hash = HashBytes(plan.text);
  m.author = author;
  m.summary = summary;
  m.fib_n = plan.fib_n;
  m.fib = plan.fib;
  const std::string rev_name = std::to_string(m.id) + ".html";

  s = Status::NotFound("not staged");
  if (!likely_text.empty() && plan.text == likely_text) {
    s = staged.RenameTo(rev_name);
  }
  // NotFound: not staged, or another worker's recovery removed the temp file.
  if (s.code() == Status::Code::kNotFound) {
    s = WriteFileAtomically(revisions_dir_, rev_name, plan.text);
  }
  if (!s.ok()) return s;
  FaultPoint(kFaultRevisionFile);
  // The article file is a copy of revisions/<id>.html for readers (and
  // nginx-less tools): replaced atomically, not fsynced. After a power cut
  // it may be the previous revision's or torn; readers check it against the
  // record's hash (then serve revisions/<id>.html) and recovery rewrites it
  // durably from there. Two fsyncs fewer under the lock.
  s = WriteFileAtomically(data_dir_, article_name_, plan.text,
                          Durability::kVisibleOnly);
  if (s.ok()) FaultPoint(kFaultArticleFile);
  if (s.ok()) s = AppendDurably(log_path_, EncodeLogRecord(m));
  if (s.ok()) FaultPoint(kFaultHistoryRecord);
  if (!s.ok()) {
    // Not acknowledged: put the previous revision back in place. If even
    // that fails, readers still serve it (hash check) and the next start
    // restores the file.
    Status undo = WriteFileAtomically(data_dir_, article_name_, current->text);
    if (!undo.ok()) {
      std::fprintf(stderr, "article_store: restoring article failed: %s\n",
                   undo.ToString().c_str());
    }
    RemoveFile(RevisionPath(m.id));
    // A partial record may have reached the log; cut it back.
    TruncateDurably(log_path_, log_end);
    // A reader may have loaded the record before it was cut: send everyone
    // back to the disk.
    Announce();
    return s;
  }
  // After the commit point, before Commit returns (and the edit is
  // acknowledged): see the top of this file for the order.
  const uint64_t gen = Announce();
  std::lock_guard<std::mutex> guard(mu_);
  return InstallCommittedLocked(m, std::move(plan.text), gen);
}

Result<RevisionMeta> ArticleStore::InstallCommittedLocked(const RevisionMeta& m,
                                                          std::string text,
                                                          uint64_t gen) {
  // The new revision becomes the cached current one without reading the
  // article file back and hashing it: nobody else writes while the lock is
  // held, so the file's identity now is the one this commit renamed there.
  Status s = RefreshLogLocked();
  if (!s.ok()) return s;
  if (count_ != m.id) return Status::Corruption("history.log: record lost");
  auto file_id = StatFile(article_path_);
  auto rev = std::make_shared<Revision>();
  rev->meta = last_;
  rev->text = std::move(text);
  current_ = rev;
  current_file_id_ = file_id.ok() ? *file_id : FileId();
  // Nothing newer can exist while the lock is held, so the cache is valid
  // for the generation this commit's bump produced.
  loaded_gen_ = gen;
  if (packer_.joinable()) {
    std::lock_guard<std::mutex> wake(packer_mu_);
    pack_wanted_ = true;
    packer_cv_.notify_one();
  }
  return m;
}

namespace {

// Revisions per keyframe: reading a packed revision decodes at most this
// many frames (about 10 us each for the sample article).
constexpr uint64_t kKeyframeInterval = 64;

// The packs in `dir`, first id -> last id.
Result<std::map<uint64_t, uint64_t>> ListPacks(const std::string& dir) {
  auto names = ListDir(dir);
  if (!names.ok()) return names.status();
  std::map<uint64_t, uint64_t> packs;
  for (const std::string& n : *names) {
    uint64_t first = 0, last = 0;
    if (ParsePackFileName(n, &first, &last)) packs[first] = last;
  }
  return packs;
}

int64_t MicrosSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now() - t0)
      .count();
}

}  // namespace

Status ArticleStore::RecoverPacks(uint64_t last_id) {
  auto packs = ListPacks(packs_dir_);
  if (!packs.ok()) return packs.status();
  auto names = ListDir(revisions_dir_);
  if (!names.ok()) return names.status();
  std::set<uint64_t> plain;
  for (const std::string& n : *names) {
    uint64_t id = 0;
    if (ParseRevisionFileName(n, &id)) plain.insert(id);
  }
  bool removed_plain = false;
  for (auto it = packs->begin(); it != packs->end();) {
    const uint64_t first = it->first, last = it->second;
    std::vector<uint64_t> leftovers(plain.lower_bound(first),
                                    plain.upper_bound(last));
    if (leftovers.empty()) {  // the usual case: nothing read at start-up
      ++it;
      continue;
    }
    // A crash between the pack's rename and the last unlink. Trust the
    // pack only if every byte checks out.
    const std::string name = PackFileName(first, last);
    auto bytes = ReadFile(packs_dir_ + "/" + name);
    Status v = bytes.status();
    if (v.ok()) {
      auto info = VerifyPack(*bytes);
      v = info.status();
      if (v.ok() && (info->first_id != first || info->last_id() != last ||
                     last > last_id)) {
        v = Status::Corruption("pack " + name + " does not match its name");
      }
    }
    if (v.ok()) {
      std::fprintf(stderr,
                   "article_store: removing %zu plain files already in %s\n",
                   leftovers.size(), name.c_str());
      for (uint64_t id : leftovers) {
        Status s = RemoveFile(RevisionPath(id));
        if (!s.ok()) return s;
      }
      removed_plain = true;
      ++it;
    } else if (leftovers.size() == last - first + 1) {
      std::fprintf(stderr, "article_store: removing unusable %s: %s\n",
                   name.c_str(), v.ToString().c_str());
      Status s = RemoveFile(packs_dir_ + "/" + name);
      if (s.ok()) s = SyncDir(packs_dir_);
      if (!s.ok()) return s;
      it = packs->erase(it);
    } else {
      return Status::Corruption(name + ": " + v.message());
    }
  }
  if (removed_plain) {
    Status s = SyncDir(revisions_dir_);
    if (!s.ok()) return s;
  }
  packs_ = std::move(*packs);
  return Status::OK();
}

Result<std::string> ArticleStore::ReadPacked(uint64_t id) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::string path;
    {
      std::lock_guard<std::mutex> guard(mu_);
      auto it = packs_.upper_bound(id);
      if (it != packs_.begin() && id <= std::prev(it)->second) {
        --it;
        path = packs_dir_ + "/" + PackFileName(it->first, it->second);
      }
    }
    if (!path.empty()) return ReadPackedRevision(path, id);
    if (attempt == 0) {
      // Packed since we last looked (maybe by another process).
      auto packs = ListPacks(packs_dir_);
      if (!packs.ok()) return packs.status();
      std::lock_guard<std::mutex> guard(mu_);
      packs_ = std::move(*packs);
    }
  }
  return Status::NotFound("revision " + std::to_string(id) +
                          " is neither a file nor packed");
}

Result<PackStats> ArticleStore::PackOld() {
  PackStats stats;
  const uint64_t per_pack = options_.pack_revisions;
  if (per_pack == 0) return stats;
  const auto t0 = std::chrono::steady_clock::now();
  auto lock = FileLock::Acquire(pack_lock_path_, FileLock::Mode::kExclusive);
  if (!lock.ok()) return lock.status();
  auto cur = Current();  // brings the history up to date
  if (!cur.ok()) return cur.status();
  auto packs = ListPacks(packs_dir_);  // another process may have packed
  if (!packs.ok()) return packs.status();
  uint64_t count = 0, next = 1;
  {
    std::lock_guard<std::mutex> guard(mu_);
    packs_ = std::move(*packs);
    count = count_;
    if (!packs_.empty()) next = packs_.rbegin()->second + 1;
  }
  while (!stop_ && next + per_pack - 1 + options_.plain_revisions <= count) {
    Status s = PackRange(next, next + per_pack - 1, &stats);
    if (!s.ok()) return s;
    next += per_pack;
  }
  stats.total_us = MicrosSince(t0);
  return stats;
}

Status ArticleStore::PackRange(uint64_t first, uint64_t last,
                               PackStats* stats) {
  std::vector<RevisionMeta> records;
  {
    const auto t0 = std::chrono::steady_clock::now();
    std::lock_guard<std::mutex> guard(mu_);
    auto r = ReadRecordsLocked(first, last);  // one pread
    if (!r.ok()) return r.status();
    records = std::move(*r);
    stats->max_mu_hold_us = std::max(stats->max_mu_hold_us, MicrosSince(t0));
  }
  std::vector<std::string> texts;
  texts.reserve(records.size());
  for (const RevisionMeta& m : records) {
    auto text = ReadFile(RevisionPath(m.id));
    if (!text.ok()) return text.status();
    if (HashBytes(*text) != m.hash) {
      return Status::Corruption("revisions/" + std::to_string(m.id) +
                                ".html does not match its history record");
    }
    texts.push_back(std::move(*text));
  }
  auto pack = EncodePack(
      first, texts,
      static_cast<uint32_t>(std::min(kKeyframeInterval, last - first + 1)),
      options_.pack_level);
  if (!pack.ok()) return pack.status();
  auto back = DecodePack(*pack);
  if (!back.ok()) return back.status();
  if (*back != texts) return Status::Corruption("pack: read-back mismatch");
  // Durable (fsynced, renamed, directory fsynced) before any plain file goes.
  const std::string name = PackFileName(first, last);
  Status s = WriteFileAtomically(packs_dir_, name, *pack);
  if (!s.ok()) return s;
  {
    std::lock_guard<std::mutex> guard(mu_);
    packs_[first] = last;
  }
  for (uint64_t id = first; id <= last; ++id) {
    s = RemoveFile(RevisionPath(id));
    if (!s.ok()) return s;
  }
  s = SyncDir(revisions_dir_);
  if (!s.ok()) return s;
  stats->packs += 1;
  stats->revisions += last - first + 1;
  stats->bytes += pack->size();
  return Status::OK();
}

void ArticleStore::StartPacker() {
  if (packer_.joinable() || options_.pack_revisions == 0) return;
  pack_wanted_ = true;  // a backlog from before this start
  // The thread starts with every signal blocked: the server takes SIGTERM
  // and friends with sigwait on a thread of its own, and a signal must not
  // land on this one instead.
  sigset_t all, saved;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &saved);
  packer_ = std::thread([this] { PackerLoop(); });
  pthread_sigmask(SIG_SETMASK, &saved, nullptr);
}

void ArticleStore::StartRecheck() {
  if (rechecker_.joinable() || !generation_) return;
  sigset_t all, saved;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &saved);
  rechecker_ = std::thread([this] { RecheckLoop(); });
  pthread_sigmask(SIG_SETMASK, &saved, nullptr);
}

void ArticleStore::RecheckLoop() {
  std::unique_lock<std::mutex> lk(packer_mu_);
  while (!stop_) {
    recheck_cv_.wait_for(lk, std::chrono::milliseconds(kRecheckMs));
    if (stop_) break;
    lk.unlock();
    auto bumped = Recheck();
    if (!bumped.ok()) {
      std::fprintf(stderr, "article_store: recheck failed: %s\n",
                   bumped.status().ToString().c_str());
    } else if (*bumped) {
      std::fprintf(stderr,
                   "article_store: found a revision nobody announced; "
                   "announced it\n");
    }
    lk.lock();
  }
}

void ArticleStore::PackerLoop() {
  // Packing is never urgent: it yields the CPU to requests.
  setpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)), 10);
  for (;;) {
    {
      std::unique_lock<std::mutex> lk(packer_mu_);
      packer_cv_.wait(lk, [this] { return pack_wanted_ || stop_; });
      if (stop_) return;
      pack_wanted_ = false;
    }
    {
      // Most commits leave nothing to pack: decide that without the lock
      // file or a directory listing (packs_ only lags behind the disk, so
      // this never skips a due pack for long).
      std::lock_guard<std::mutex> guard(mu_);
      const uint64_t next = packs_.empty() ? 1 : packs_.rbegin()->second + 1;
      if (next + options_.pack_revisions - 1 + options_.plain_revisions >
          count_) {
        continue;
      }
    }
    auto r = PackOld();
    if (!r.ok()) {
      std::fprintf(stderr, "article_store: packing failed: %s\n",
                   r.status().ToString().c_str());
    }
  }
}

}  // namespace wiki
