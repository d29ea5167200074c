#include "generation.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstring>

#include "fs_posix.h"

namespace wiki {

struct Generation::Layout {
  char magic[8];
  uint32_t version;
  uint32_t size;
  std::atomic<uint64_t> counter;
  char reserved[40];
};

namespace {

constexpr char kMagic[8] = {'w', 'i', 'k', 'i', 'g', 'e', 'n', '1'};
constexpr size_t kSize = sizeof(Generation::Layout);
constexpr size_t kHeader = offsetof(Generation::Layout, counter);

static_assert(kSize == 64, "the file's layout is part of its version");
static_assert(kHeader == 16, "the file's layout is part of its version");
static_assert(std::atomic<uint64_t>::is_always_lock_free,
              "a counter shared between processes must be lock-free");

// The bytes of a new file: header, counter 1, zeros.
void InitialBytes(unsigned char (&buf)[kSize]) {
  std::memset(buf, 0, kSize);
  const uint32_t version = Generation::kVersion;
  const uint32_t size = static_cast<uint32_t>(kSize);
  const uint64_t counter = 1;
  std::memcpy(buf, kMagic, sizeof(kMagic));
  std::memcpy(buf + 8, &version, sizeof(version));
  std::memcpy(buf + 12, &size, sizeof(size));
  std::memcpy(buf + kHeader, &counter, sizeof(counter));
}

// Writes a complete file under a temp name next to `path` and links it
// into place. OK if `path` exists afterwards, whoever created it; NotFound
// if the temp file vanished before the link (a store's recovery removes
// temp files: try again).
Status CreateComplete(const std::string& path) {
  static std::atomic<unsigned> serial{0};
  const size_t slash = path.rfind('/');
  const std::string dir =
      slash == std::string::npos ? "." : path.substr(0, slash);
  const std::string base =
      slash == std::string::npos ? path : path.substr(slash + 1);
  const std::string tmp = dir + "/" + kTempPrefix + base + "-" +
                          std::to_string(::getpid()) + "-" +
                          std::to_string(serial.fetch_add(1));
  int raw = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (raw < 0) return ErrnoToStatus("create " + tmp, errno);
  UniqueFd fd(raw);
  unsigned char buf[kSize];
  InitialBytes(buf);
  Status s;
  if (::pwrite(fd.get(), buf, kSize, 0) != static_cast<ssize_t>(kSize)) {
    s = Status::IOError("write " + tmp + ": short write");
  } else if (::fsync(fd.get()) != 0) {
    // Complete on disk before it has a name: a power cut leaves no
    // half-written generation file.
    s = ErrnoToStatus("fsync " + tmp, errno);
  }
  if (s.ok()) s = fd.Close(tmp);
  if (s.ok() && ::link(tmp.c_str(), path.c_str()) != 0 && errno != EEXIST) {
    s = ErrnoToStatus("link " + path, errno);
  }
  ::unlink(tmp.c_str());
  return s;
}

}  // namespace

Result<std::unique_ptr<Generation>> Generation::Open(const std::string& path) {
  UniqueFd fd;
  Status last = Status::NotFound(path);
  for (int attempt = 0; attempt < 4 && !fd.valid(); ++attempt) {
    int raw = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (raw >= 0) {
      fd = UniqueFd(raw);
      break;
    }
    if (errno != ENOENT) return ErrnoToStatus("open " + path, errno);
    last = CreateComplete(path);
    if (!last.ok() && last.code() != Status::Code::kNotFound) return last;
  }
  if (!fd.valid()) return last;
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return ErrnoToStatus("stat " + path, errno);
  // A short file would fault (SIGBUS) when the counter is touched: check
  // the size and the header before mapping.
  unsigned char want[kSize];
  InitialBytes(want);
  unsigned char have[kHeader];
  if (!S_ISREG(st.st_mode) || st.st_size < static_cast<off_t>(kSize) ||
      ::pread(fd.get(), have, kHeader, 0) != static_cast<ssize_t>(kHeader) ||
      std::memcmp(have, want, kHeader) != 0) {
    return Status::Corruption(path + " is not a generation file of version " +
                              std::to_string(kVersion));
  }
  void* p =
      ::mmap(nullptr, kSize, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get(), 0);
  if (p == MAP_FAILED) return ErrnoToStatus("mmap " + path, errno);
  // The mapping outlives the descriptor.
  return std::unique_ptr<Generation>(new Generation(static_cast<Layout*>(p)));
}

Generation::~Generation() { ::munmap(layout_, kSize); }

uint64_t Generation::Load() const {
  return layout_->counter.load(std::memory_order_acquire);
}

uint64_t Generation::Bump() {
  return layout_->counter.fetch_add(1, std::memory_order_acq_rel) + 1;
}

bool Generation::BumpFrom(uint64_t seen) {
  return layout_->counter.compare_exchange_strong(seen, seen + 1,
                                                  std::memory_order_acq_rel);
}

}  // namespace wiki
