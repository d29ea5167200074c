#include "fault.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

namespace wiki {

namespace {

struct FaultSpec {
  bool enabled = false;
  std::string step;
  std::string arm_file;
  int delay_ms = 0;  // 0: pause (60 s, for a SIGKILL); else go on after it
};

FaultSpec ParseSpec() {
  FaultSpec spec;
  const char* env = std::getenv("WIKI_FAULT");
  if (env == nullptr) return spec;
  const std::string v = env;
  const std::string pause = "pause-after:", delay = "delay-after:";
  const bool delayed = v.rfind(delay, 0) == 0;
  if (!delayed && v.rfind(pause, 0) != 0) return spec;
  const size_t start = delayed ? delay.size() : pause.size();
  size_t colon = v.find(':', start);
  if (colon == std::string::npos || colon + 1 >= v.size()) return spec;
  spec.step = v.substr(start, colon - start);
  if (delayed) {
    const size_t next = v.find(':', colon + 1);
    if (next == std::string::npos || next + 1 >= v.size()) return spec;
    spec.delay_ms = std::atoi(v.substr(colon + 1, next - colon - 1).c_str());
    if (spec.delay_ms <= 0) return spec;
    colon = next;
  }
  spec.arm_file = v.substr(colon + 1);
  spec.enabled = true;
  return spec;
}

std::atomic<FaultHook> g_hook{nullptr};

}  // namespace

void SetFaultHookForTest(FaultHook hook) { g_hook.store(hook); }

void FaultPoint(const char* step) {
  if (FaultHook hook = g_hook.load(std::memory_order_acquire)) hook(step);
  static const FaultSpec spec = ParseSpec();
  if (!spec.enabled || spec.step != step) return;
  if (::unlink(spec.arm_file.c_str()) != 0) return;  // not armed, or taken
  std::fprintf(stderr, "wiki-fault: pid %d %s after %s\n",
               static_cast<int>(::getpid()),
               spec.delay_ms > 0 ? "delayed" : "paused", step);
  std::fflush(stderr);
  if (spec.delay_ms > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(spec.delay_ms));
  } else {
    ::sleep(60);
  }
}

}  // namespace wiki
