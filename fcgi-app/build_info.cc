#include "build_info.h"

#include <cstdint>
#include <cstdio>
#include <fstream>

namespace wiki {

std::string BuildIdOfFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "unknown";
  uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a, 64 bit
  char buf[1 << 16];
  while (in.read(buf, sizeof(buf)) || in.gcount() > 0) {
    for (std::streamsize i = 0; i < in.gcount(); ++i) {
      h ^= static_cast<unsigned char>(buf[i]);
      h *= 0x100000001b3ULL;
    }
  }
  if (in.bad()) return "unknown";
  char out[24];
  std::snprintf(out, sizeof(out), "exe-%016llx",
                static_cast<unsigned long long>(h));
  return out;
}

const std::string& BuildId() {
  static const std::string id = BuildIdOfFile("/proc/self/exe");
  return id;
}

}  // namespace wiki
