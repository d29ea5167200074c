#include "fault.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace wiki {

namespace {

struct FaultSpec {
  bool enabled = false;
  std::string step;
  std::string arm_file;
};

FaultSpec ParseSpec() {
  FaultSpec spec;
  const char* env = std::getenv("WIKI_FAULT");
  if (env == nullptr) return spec;
  const std::string v = env;
  const std::string prefix = "pause-after:";
  if (v.rfind(prefix, 0) != 0) return spec;
  const size_t colon = v.find(':', prefix.size());
  if (colon == std::string::npos || colon + 1 >= v.size()) return spec;
  spec.step = v.substr(prefix.size(), colon - prefix.size());
  spec.arm_file = v.substr(colon + 1);
  spec.enabled = true;
  return spec;
}

}  // namespace

void FaultPoint(const char* step) {
  static const FaultSpec spec = ParseSpec();
  if (!spec.enabled || spec.step != step) return;
  if (::unlink(spec.arm_file.c_str()) != 0) return;  // not armed, or taken
  std::fprintf(stderr, "wiki-fault: pid %d paused after %s\n",
               static_cast<int>(::getpid()), step);
  std::fflush(stderr);
  ::sleep(60);
}

}  // namespace wiki
