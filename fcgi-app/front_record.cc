#include "front_record.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>

#include "fs_posix.h"

namespace wiki {

namespace {

constexpr char kMagic[8] = {'w', 'i', 'k', 'i', 'f', 'r', '0', '1'};

struct Header {
  char magic[8];
  uint64_t cur;
  char reserved[48];
};
static_assert(sizeof(Header) == 64, "the slots start at byte 64");

// The mapping of a whole, well-formed record; unmapped on destruction.
class Mapping {
 public:
  ~Mapping() {
    if (base_ != nullptr) ::munmap(base_, kFrontRecordBytes);
  }
  Status Open(const std::string& path, bool writable) {
    UniqueFd fd(
        ::open(path.c_str(), (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC));
    if (!fd.valid()) return ErrnoToStatus("open " + path, errno);
    struct stat st;
    if (::fstat(fd.get(), &st) != 0)
      return ErrnoToStatus("stat " + path, errno);
    if (static_cast<size_t>(st.st_size) < kFrontRecordBytes) {
      return Status::Corruption(path + " is shorter than a front record");
    }
    void* p = ::mmap(nullptr, kFrontRecordBytes,
                     writable ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED,
                     fd.get(), 0);
    if (p == MAP_FAILED) return ErrnoToStatus("mmap " + path, errno);
    base_ = static_cast<char*>(p);
    if (std::memcmp(header()->magic, kMagic, sizeof(kMagic)) != 0) {
      return Status::Corruption(path + " is not a front record");
    }
    return Status::OK();
  }
  Header* header() { return reinterpret_cast<Header*>(base_); }
  char* slot(uint64_t n) {
    return base_ + sizeof(Header) +
           (n % kFrontRecordSlots) * kFrontRecordSlotBytes;
  }

 private:
  char* base_ = nullptr;
};

Status Create(const std::string& path) {
  std::string bytes(kFrontRecordBytes, '\0');
  std::memcpy(&bytes[0], kMagic, sizeof(kMagic));
  const size_t slash = path.rfind('/');
  const std::string dir =
      slash == std::string::npos ? "." : path.substr(0, slash);
  const std::string base = path.substr(slash + 1);
  return WriteFileAtomically(dir, base, bytes, Durability::kVisibleOnly);
}

}  // namespace

Status PublishFrontRecord(const std::string& path, std::string_view name) {
  if (name.empty() || name.size() >= kFrontRecordSlotBytes) {
    return Status::InvalidArgument("front record names are 1-63 bytes");
  }
  if (::access(path.c_str(), F_OK) != 0) {
    Status s = Create(path);
    if (!s.ok()) return s;
  }
  Mapping m;
  Status s = m.Open(path, /*writable=*/true);
  if (s.code() == Status::Code::kCorruption) {
    // Short or foreign (by hand: the app never writes one): replaced whole.
    // nginx maps the path afresh every second, and never a short file.
    s = Create(path);
    if (s.ok()) s = m.Open(path, /*writable=*/true);
  }
  if (!s.ok()) return s;
  const uint64_t next = __atomic_load_n(&m.header()->cur, __ATOMIC_RELAXED) + 1;
  char* slot = m.slot(next);
  std::memset(slot, 0, kFrontRecordSlotBytes);
  std::memcpy(slot, name.data(), name.size());
  // The slot is complete before readers can find it.
  __atomic_store_n(&m.header()->cur, next, __ATOMIC_RELEASE);
  return Status::OK();
}

Result<std::string> ReadFrontRecord(const std::string& path) {
  Mapping m;
  Status s = m.Open(path, /*writable=*/false);
  if (!s.ok()) return s;
  const uint64_t cur = __atomic_load_n(&m.header()->cur, __ATOMIC_ACQUIRE);
  const char* slot = m.slot(cur);
  return std::string(slot, ::strnlen(slot, kFrontRecordSlotBytes));
}

}  // namespace wiki
