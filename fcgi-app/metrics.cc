#include "metrics.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "build_info.h"
#include "fs_posix.h"

namespace wiki {

namespace {

// Statuses the service can answer with; anything else counts as "other".
constexpr int kStatuses[] = {200, 303, 304, 400, 404, 405, 409, 412,
                             413, 415, 422, 428, 499, 500, 503, 507};
constexpr int kNumStatuses = sizeof(kStatuses) / sizeof(kStatuses[0]) + 1;
constexpr int kNumSlots = 256;
// Names the layout of Shared: change it whenever Slot changes. Builds with
// different layouts can run side by side during a rollout; each keeps its
// counters in a file of its own (see Attach).
constexpr uint64_t kMagic = 0x77696b696d657436ULL;  // "wikimet6"

const char* OutcomeName(int i) {
  static const char* kNames[] = {"clean",    "merged", "conflict", "stale",
                                 "rejected", "failed", "abandoned"};
  return kNames[i];
}

int StatusIndex(int status) {
  for (int i = 0; i < kNumStatuses - 1; ++i) {
    if (kStatuses[i] == status) return i;
  }
  return kNumStatuses - 1;
}

}  // namespace

struct Metrics::Slot {
  std::atomic<int32_t> pid;
  std::atomic<uint64_t> requests[kNumStatuses];
  std::atomic<uint64_t> edits[static_cast<int>(EditOutcome::kCount)];
  std::atomic<uint64_t> fib;
  std::atomic<uint64_t> shed;
  std::atomic<uint64_t> render_count;
  std::atomic<uint64_t> render_ns;
  std::atomic<uint64_t> front_failures;
  std::atomic<uint64_t> front_publish_count;  // after commits
  std::atomic<uint64_t> front_publish_ns;
  std::atomic<uint64_t> edge_ok;
  std::atomic<uint64_t> edge_failed;
  std::atomic<uint64_t> edge_round_count;  // after commits
  std::atomic<uint64_t> edge_round_ns;
  std::atomic<uint64_t> edge_rounds[static_cast<int>(EdgeRound::kCount)];
  std::atomic<uint64_t> connections;
};

struct Metrics::Shared {
  std::atomic<uint64_t> magic;
  Slot slots[kNumSlots];
};

// One row per worker process: which build it runs. Claimed like a counter
// slot (by pid, a dead process's row is reused); `build` is written before
// `ready` is set, and readers skip rows that are not ready.
struct Metrics::WorkerTable {
  struct Row {
    std::atomic<int32_t> pid;
    std::atomic<int32_t> ready;
    char build[40];
  };
  std::atomic<uint64_t> magic;
  Row rows[kNumSlots];
};

namespace {

constexpr uint64_t kWorkersMagic = 0x77696b6977726b31ULL;  // "wikiwrk1"

// Maps `path`, sized for T, creating it if needed; never shrinks the file
// (another build may have mapped more of it).
template <typename T>
Result<T*> MapShared(const std::string& path, uint64_t magic) {
  int raw = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (raw < 0) return ErrnoToStatus("open " + path, errno);
  UniqueFd fd(raw);
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return ErrnoToStatus("stat " + path, errno);
  // Another layout's file (smaller than ours, say) is left as it is: look
  // at its magic before growing it.
  uint64_t theirs = 0;
  if (st.st_size >= static_cast<off_t>(sizeof(theirs)) &&
      ::pread(fd.get(), &theirs, sizeof(theirs), 0) ==
          static_cast<ssize_t>(sizeof(theirs)) &&
      theirs != 0 && theirs != magic) {
    return Status::Corruption(path + " is not a metrics file");
  }
  if (static_cast<size_t>(st.st_size) < sizeof(T) &&
      ::ftruncate(fd.get(), sizeof(T)) != 0) {
    return ErrnoToStatus("ftruncate " + path, errno);
  }
  void* p = ::mmap(nullptr, sizeof(T), PROT_READ | PROT_WRITE, MAP_SHARED,
                   fd.get(), 0);
  if (p == MAP_FAILED) return ErrnoToStatus("mmap " + path, errno);
  auto* t = static_cast<T*>(p);
  uint64_t zero = 0;
  t->magic.compare_exchange_strong(zero, magic);
  if (t->magic.load() != magic) {
    ::munmap(p, sizeof(T));
    return Status::Corruption(path + " is not a metrics file");
  }
  return t;
}

bool Dead(int32_t pid) { return ::kill(pid, 0) != 0 && errno == ESRCH; }

// Claims a row (free, ours, or a dead process's) of `rows`; nullptr if full.
template <typename Row>
Row* Claim(Row* rows, int n) {
  const int32_t me = static_cast<int32_t>(::getpid());
  for (int pass = 0; pass < 2; ++pass) {
    for (int i = 0; i < n; ++i) {
      int32_t owner = rows[i].pid.load();
      bool take = owner == 0 || owner == me || (pass == 1 && Dead(owner));
      if (take && rows[i].pid.compare_exchange_strong(owner, me)) {
        return &rows[i];
      }
    }
  }
  return nullptr;
}

}  // namespace

static_assert(std::atomic<uint64_t>::is_always_lock_free,
              "shared-memory counters need lock-free atomics");

Metrics::Metrics() {
  // Process-local until Attach: zero-initialised static storage.
  static Slot local{};
  slot_ = &local;
}

Metrics& Metrics::Global() {
  static Metrics m;
  return m;
}

Status Metrics::Attach(const std::string& path) {
  auto shared = MapShared<Shared>(path, kMagic);
  if (!shared.ok() && shared.status().code() == Status::Code::kCorruption) {
    // Another layout (an older or newer build, mid-rollout) owns `path`.
    char suffix[24];
    std::snprintf(suffix, sizeof(suffix), ".%016llx",
                  static_cast<unsigned long long>(kMagic));
    shared = MapShared<Shared>(path + suffix, kMagic);
  }
  if (!shared.ok()) return shared.status();
  Slot* slot = Claim((*shared)->slots, kNumSlots);
  if (slot == nullptr) {
    ::munmap(*shared, sizeof(Shared));
    return Status::IOError("no free metrics slot in " + path);
  }
  shared_ = *shared;
  slot_ = slot;

  auto workers = MapShared<WorkerTable>(path + ".workers", kWorkersMagic);
  if (!workers.ok()) return workers.status();
  WorkerTable::Row* row = Claim((*workers)->rows, kNumSlots);
  if (row == nullptr)
    return Status::IOError("no free row in " + path + ".workers");
  row->ready.store(0);
  std::snprintf(row->build, sizeof(row->build), "%s", BuildId().c_str());
  row->ready.store(1);
  workers_ = *workers;
  return Status::OK();
}

void Metrics::CountRequest(int http_status) {
  slot_->requests[StatusIndex(http_status)].fetch_add(
      1, std::memory_order_relaxed);
}

void Metrics::CountEdit(EditOutcome outcome) {
  slot_->edits[static_cast<int>(outcome)].fetch_add(1,
                                                    std::memory_order_relaxed);
}

void Metrics::CountFib() { slot_->fib.fetch_add(1, std::memory_order_relaxed); }

void Metrics::CountShed() {
  slot_->shed.fetch_add(1, std::memory_order_relaxed);
}

void Metrics::CountConnection() {
  slot_->connections.fetch_add(1, std::memory_order_relaxed);
}

void Metrics::ObserveRender(double seconds) {
  slot_->render_count.fetch_add(1, std::memory_order_relaxed);
  slot_->render_ns.fetch_add(static_cast<uint64_t>(seconds * 1e9),
                             std::memory_order_relaxed);
}

void Metrics::CountFrontPublish(bool ok, double seconds) {
  if (!ok) slot_->front_failures.fetch_add(1, std::memory_order_relaxed);
  if (!ok || seconds < 0) return;
  slot_->front_publish_count.fetch_add(1, std::memory_order_relaxed);
  slot_->front_publish_ns.fetch_add(static_cast<uint64_t>(seconds * 1e9),
                                    std::memory_order_relaxed);
}

void Metrics::CountEdgeRound(EdgeRound why, int ok, int failed,
                             double seconds) {
  slot_->edge_rounds[static_cast<int>(why)].fetch_add(
      1, std::memory_order_relaxed);
  slot_->edge_ok.fetch_add(static_cast<uint64_t>(ok),
                           std::memory_order_relaxed);
  slot_->edge_failed.fetch_add(static_cast<uint64_t>(failed),
                               std::memory_order_relaxed);
  if (seconds < 0) return;
  slot_->edge_round_count.fetch_add(1, std::memory_order_relaxed);
  slot_->edge_round_ns.fetch_add(static_cast<uint64_t>(seconds * 1e9),
                                 std::memory_order_relaxed);
}

namespace {

template <typename F>
uint64_t Sum(const Metrics::Slot* slots, int n, F field) {
  uint64_t total = 0;
  for (int i = 0; i < n; ++i)
    total += field(slots[i]).load(std::memory_order_relaxed);
  return total;
}

}  // namespace

uint64_t Metrics::FibTotal() const {
  if (shared_ == nullptr) return slot_->fib.load();
  return Sum(
      shared_->slots, kNumSlots,
      [](const Slot& s) -> const auto& { return s.fib; });
}

std::string Metrics::Render(uint64_t current_revision) const {
  const Slot* slots = shared_ ? shared_->slots : slot_;
  const int n = shared_ ? kNumSlots : 1;
  std::string out;
  char line[160];
  out +=
      "# HELP wiki_http_requests_total Requests answered, by HTTP status.\n"
      "# TYPE wiki_http_requests_total counter\n";
  for (int i = 0; i < kNumStatuses; ++i) {
    uint64_t v = Sum(
        slots, n, [i](const Slot& s) -> const auto& { return s.requests[i]; });
    if (i == kNumStatuses - 1) {
      std::snprintf(line, sizeof(line),
                    "wiki_http_requests_total{code=\"other\"} %llu\n",
                    static_cast<unsigned long long>(v));
    } else {
      std::snprintf(line, sizeof(line),
                    "wiki_http_requests_total{code=\"%d\"} %llu\n",
                    kStatuses[i], static_cast<unsigned long long>(v));
    }
    out += line;
  }
  out +=
      "# HELP wiki_edits_total Edit attempts, by outcome.\n"
      "# TYPE wiki_edits_total counter\n";
  for (int i = 0; i < static_cast<int>(EditOutcome::kCount); ++i) {
    uint64_t v = Sum(
        slots, n, [i](const Slot& s) -> const auto& { return s.edits[i]; });
    std::snprintf(line, sizeof(line), "wiki_edits_total{outcome=\"%s\"} %llu\n",
                  OutcomeName(i), static_cast<unsigned long long>(v));
    out += line;
  }
  auto emit = [&](const char* name, const char* type, const char* help,
                  const std::string& value) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name +
           " " + type + "\n" + name + " " + value + "\n";
  };
  emit("wiki_fib_computations_total", "counter",
       "Recursive fibonacci (data massaging) computations.",
       std::to_string(Sum(
           slots, n, [](const Slot& s) -> const auto& { return s.fib; })));
  emit("wiki_shed_total", "counter",
       "Requests answered 503 because they waited too long in the queue.",
       std::to_string(Sum(
           slots, n, [](const Slot& s) -> const auto& { return s.shed; })));
  emit("wiki_fcgi_connections_total", "counter",
       "FastCGI connections accepted from nginx (reads reuse kept ones: "
       "requests per connection is the reuse).",
       std::to_string(Sum(slots, n, [](const Slot& s) -> const auto& {
         return s.connections;
       })));
  emit("wiki_current_revision", "gauge", "Current revision id.",
       std::to_string(current_revision));
  uint64_t rc = Sum(
      slots, n, [](const Slot& s) -> const auto& { return s.render_count; });
  uint64_t rns = Sum(
      slots, n, [](const Slot& s) -> const auto& { return s.render_ns; });
  std::snprintf(line, sizeof(line), "%.9f", static_cast<double>(rns) / 1e9);
  out +=
      "# HELP wiki_render_seconds Time spent rendering reader pages.\n"
      "# TYPE wiki_render_seconds summary\n";
  out += std::string("wiki_render_seconds_sum ") + line + "\n";
  out += "wiki_render_seconds_count " + std::to_string(rc) + "\n";
  emit("wiki_front_publish_failures_total", "counter",
       "Front-cache publishes that failed (reads then go to the app).",
       std::to_string(Sum(
           slots, n,
           [](const Slot& s) -> const auto& { return s.front_failures; })));
  uint64_t pc = Sum(
      slots, n,
      [](const Slot& s) -> const auto& { return s.front_publish_count; });
  uint64_t pns = Sum(
      slots, n,
      [](const Slot& s) -> const auto& { return s.front_publish_ns; });
  std::snprintf(line, sizeof(line), "%.9f", static_cast<double>(pns) / 1e9);
  out +=
      "# HELP wiki_front_publish_seconds From an edit's commit to nginx "
      "serving it.\n"
      "# TYPE wiki_front_publish_seconds summary\n";
  out += std::string("wiki_front_publish_seconds_sum ") + line + "\n";
  out += "wiki_front_publish_seconds_count " + std::to_string(pc) + "\n";
  out +=
      "# HELP wiki_edge_refreshes_total Edge caches brought to the served "
      "revision (ok) or not (failed: unreachable, slow, skipped after a "
      "failure), per edge and round.\n"
      "# TYPE wiki_edge_refreshes_total counter\n";
  for (const auto& [label, total] :
       {std::make_pair("ok", Sum(
                                 slots, n, [](const Slot& s) -> const auto& {
                                   return s.edge_ok;
                                 })),
        std::make_pair("failed",
                       Sum(
                           slots, n, [](const Slot& s) -> const auto& {
                             return s.edge_failed;
                           }))}) {
    out += std::string("wiki_edge_refreshes_total{outcome=\"") + label +
           "\"} " + std::to_string(total) + "\n";
  }
  out +=
      "# HELP wiki_edge_rounds_total Edge rounds run (commit, keeper), and "
      "commits that needed none (covered: a round that started after the "
      "commit had verified every edge at its revision or a later one).\n"
      "# TYPE wiki_edge_rounds_total counter\n";
  for (int k = 0; k < static_cast<int>(EdgeRound::kCount); ++k) {
    static const char* kWhy[] = {"commit", "keeper", "covered"};
    out +=
        std::string("wiki_edge_rounds_total{why=\"") + kWhy[k] + "\"} " +
        std::to_string(Sum(
            slots, n,
            [k](const Slot& s) -> const auto& { return s.edge_rounds[k]; })) +
        "\n";
  }
  uint64_t ec = Sum(
      slots, n,
      [](const Slot& s) -> const auto& { return s.edge_round_count; });
  uint64_t ens = Sum(
      slots, n, [](const Slot& s) -> const auto& { return s.edge_round_ns; });
  std::snprintf(line, sizeof(line), "%.9f", static_cast<double>(ens) / 1e9);
  out +=
      "# HELP wiki_edge_refresh_seconds Time an edge round added to an "
      "edit's acknowledgment.\n"
      "# TYPE wiki_edge_refresh_seconds summary\n";
  out += std::string("wiki_edge_refresh_seconds_sum ") + line + "\n";
  out += "wiki_edge_refresh_seconds_count " + std::to_string(ec) + "\n";
  out +=
      "# HELP wiki_worker_build_info The build each live worker runs.\n"
      "# TYPE wiki_worker_build_info gauge\n";
  if (workers_ == nullptr) {
    out += "wiki_worker_build_info{pid=\"" + std::to_string(::getpid()) +
           "\",build=\"" + BuildId() + "\"} 1\n";
    return out;
  }
  for (const auto& row : workers_->rows) {
    int32_t pid = row.pid.load();
    if (pid == 0 || row.ready.load() == 0 || Dead(pid)) continue;
    std::string build(row.build, strnlen(row.build, sizeof(row.build)));
    out += "wiki_worker_build_info{pid=\"" + std::to_string(pid) +
           "\",build=\"" + build + "\"} 1\n";
  }
  return out;
}

}  // namespace wiki
