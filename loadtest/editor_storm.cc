// editor-storm: many simulated editors edit one article at once; checks
// that no accepted edit is lost and no refused one sneaks in.
//
// Exit status: 0 pass; 1 a lost update, a stray marker, a 5xx, nothing
// attempted, or the storm could not run; 2 bad flags.
#include <sys/resource.h>

#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>

#include "storm.h"

namespace wiki {
namespace {

constexpr char kUsage[] =
    "usage: editor-storm [flags]\n"
    "  --url BASE         server base URL (default http://127.0.0.1:8080)\n"
    "  --title TITLE      article to edit (default Latest_plane_crash)\n"
    "  --rate R           target edit attempts per second, all editors\n"
    "                     together (default 10)\n"
    "  --duration S       seconds during which attempts start (default 60)\n"
    "  --think-min S      think time between download and save, uniform\n"
    "  --think-max S        in [min, max] (defaults 2 and 20)\n"
    "  --editors N        simulated editors (default: rate times the mean\n"
    "                     think time, rounded up)\n"
    "  --seed N           seed for think times and edit positions\n"
    "  --timeout S        per-request timeout (default 10)\n"
    "  --json FILE        also write the figures as JSON (- for stdout)\n"
    "  --quiet            no progress lines and no report; failures still\n"
    "                     go to stderr\n"
    "exit status: 0 pass; 1 lost update, stray marker, 5xx, nothing\n"
    "attempted or no storm; 2 bad flags\n";

struct Flags {
  StormConfig config;
  std::string json_path;
  bool quiet = false;
};

[[noreturn]] void UsageError(const std::string& message) {
  std::cerr << "editor-storm: " << message << "\n"
            << "run editor-storm --help for the flags\n";
  std::exit(2);
}

double ParseDouble(const std::string& flag, const std::string& text) {
  errno = 0;
  char* end = nullptr;
  double value = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || errno != 0 || !std::isfinite(value)) {
    UsageError(flag + " wants a number, not '" + text + "'");
  }
  return value;
}

uint64_t ParseUnsigned(const std::string& flag, const std::string& text,
                       uint64_t max) {
  errno = 0;
  char* end = nullptr;
  unsigned long long value = std::strtoull(text.c_str(), &end, 10);
  if (text.empty() || text[0] < '0' || text[0] > '9' || *end != '\0' ||
      errno != 0 || value > max) {
    UsageError(flag + " wants a whole number up to " + std::to_string(max) +
               ", not '" + text + "'");
  }
  return value;
}

Flags ParseFlags(int argc, char** argv) {
  Flags flags;
  StormConfig& c = flags.config;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      std::exit(0);
    }
    if (arg == "--quiet") {
      flags.quiet = true;
      continue;
    }
    if (arg.rfind("--", 0) != 0)
      UsageError("unexpected argument '" + arg + "'");
    std::string name = arg;
    std::optional<std::string> value;
    size_t eq = arg.find('=');
    if (eq != std::string::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    }
    auto take = [&]() -> std::string {
      if (value) return *value;
      if (i + 1 >= argc) UsageError(name + " needs a value");
      return argv[++i];
    };
    if (name == "--url") {
      c.base_url = take();
    } else if (name == "--title") {
      c.title = take();
    } else if (name == "--rate") {
      c.rate = ParseDouble(name, take());
    } else if (name == "--duration") {
      c.duration_s = ParseDouble(name, take());
    } else if (name == "--think-min") {
      c.think_min_s = ParseDouble(name, take());
    } else if (name == "--think-max") {
      c.think_max_s = ParseDouble(name, take());
    } else if (name == "--editors") {
      c.editors = static_cast<int>(ParseUnsigned(name, take(), kMaxEditors));
      if (c.editors == 0) UsageError("--editors must be at least 1");
    } else if (name == "--seed") {
      c.seed = ParseUnsigned(name, take(), UINT64_MAX);
    } else if (name == "--timeout") {
      c.timeout_s = ParseDouble(name, take());
    } else if (name == "--json") {
      flags.json_path = take();
      if (flags.json_path.empty()) UsageError("--json needs a file name");
    } else {
      UsageError("unknown flag '" + name + "'");
    }
  }
  Status valid = ValidateConfig(c);
  if (!valid.ok()) UsageError(valid.message());
  return flags;
}

// Every editor holds a connection open; the usual soft limit of 1024
// descriptors would fail connects long before the editor limit.
void RaiseFileLimit(int editors) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  rlim_t want = static_cast<rlim_t>(editors) + 64;
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < want) {
    limit.rlim_cur =
        limit.rlim_max == RLIM_INFINITY ? want : std::min(want, limit.rlim_max);
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

int Main(int argc, char** argv) {
  Flags flags = ParseFlags(argc, argv);
  StormConfig& config = flags.config;
  // A server closing a connection mid-request must be an error result, not
  // a SIGPIPE that kills the run and loses the report.
  std::signal(SIGPIPE, SIG_IGN);

  const int editors = EffectiveEditors(config);
  const double mean_think = (config.think_min_s + config.think_max_s) / 2;
  if (mean_think > 0 && editors / mean_think < config.rate * 0.999) {
    std::cerr << "editor-storm: warning: " << editors << " editors thinking "
              << mean_think << " s on average cannot reach " << config.rate
              << " attempts/s (at most about " << editors / mean_think
              << "/s)\n";
  }
  RaiseFileLimit(editors);

  // Opened before the storm, so that a bad path fails in a second rather
  // than after the whole run.
  std::ofstream json_file;
  if (!flags.json_path.empty() && flags.json_path != "-") {
    json_file.open(flags.json_path, std::ios::out | std::ios::trunc);
    if (!json_file) {
      std::cerr << "editor-storm: cannot write " << flags.json_path << "\n";
      return 2;
    }
  }

  if (!flags.quiet) {
    config.progress = &std::cerr;
    std::cerr << "editor-storm: " << editors << " editors, "
              << config.duration_s << " s against " << config.base_url << "\n";
  }
  Result<StormReport> report = RunStorm(config);
  if (!report.ok()) {
    std::cerr << "editor-storm: " << report.status().ToString() << "\n";
    return 1;
  }

  if (!flags.quiet) {
    std::cout << FormatReport(*report) << std::flush;
  } else {
    for (const std::string& failure : report->Failures()) {
      std::cerr << "editor-storm: FAIL: " << failure << "\n";
    }
  }
  if (!flags.json_path.empty()) {
    std::string json = ReportJson(*report);
    if (flags.json_path == "-") {
      std::cout << json << std::flush;
    } else {
      json_file << json;
      json_file.close();
      if (!json_file) {
        std::cerr << "editor-storm: writing " << flags.json_path << " failed\n";
        return 1;
      }
    }
  }
  return report->Passed() ? 0 : 1;
}

}  // namespace
}  // namespace wiki

int main(int argc, char** argv) { return wiki::Main(argc, argv); }
