#include "stack.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <doctest/doctest.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "http_client.h"

namespace wiki {

int FreeLoopbackPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

bool Has(const std::string& s, const char* what) {
  return s.find(what) != std::string::npos;
}

}  // namespace

std::unique_ptr<Stack> Stack::Start(const Options& options) {
  for (int attempt = 0; attempt < 5; ++attempt) {
    bool port_taken = false;
    std::unique_ptr<Stack> s = StartAttempt(options, &port_taken);
    if (s != nullptr || !port_taken) return s;
    std::fprintf(stderr, "stack: port taken meanwhile; another port\n");
  }
  return nullptr;
}

// One start attempt. Sets *port_taken if the launcher gave up because the
// port was in use (another process took it after FreeLoopbackPort()).
std::unique_ptr<Stack> Stack::StartAttempt(const Options& options,
                                           bool* port_taken) {
  std::unique_ptr<Stack> s(new Stack());
  char tmpl[] = "/tmp/wiki-itest-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) return nullptr;
  s->run_dir_ = tmpl;
  if (options.data_dir.empty()) {
    s->data_dir_ = s->run_dir_ + "/data";
  } else {
    s->data_dir_ = options.data_dir;
    s->own_data_dir_ = false;
  }
  // Derived files on tmpfs, as conf/wikistack places them by default.
  char cache_tmpl[] = "/dev/shm/wiki-itest-XXXXXX";
  s->cache_dir_ = ::mkdtemp(cache_tmpl) != nullptr ? std::string(cache_tmpl)
                                                   : s->run_dir_ + "/cache";
  s->max_shed_share_ = options.max_shed_share;
  s->port_ = FreeLoopbackPort();
  const std::string log = s->run_dir_ + "/stack.log";
  uid_t uid = 0;
  gid_t gid = 0;
  if (!options.user.empty()) {  // looked up before fork, not in the child
    const passwd* pw = ::getpwnam(options.user.c_str());
    if (pw == nullptr) return nullptr;
    uid = pw->pw_uid;
    gid = pw->pw_gid;
    if (::chown(s->run_dir_.c_str(), uid, gid) != 0) return nullptr;
    if (::chown(s->cache_dir_.c_str(), uid, gid) != 0 && errno != ENOENT) {
      return nullptr;
    }
  }

  pid_t pid = ::fork();
  if (pid < 0) return nullptr;
  if (pid == 0) {
    ::setpgid(0, 0);  // one group: Stop() can reach every descendant
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (!options.user.empty() && (::setgroups(0, nullptr) != 0 ||
                                  ::setgid(gid) != 0 || ::setuid(uid) != 0)) {
      ::_exit(126);
    }
    // If the test binary dies without its destructors (crash, timeout),
    // the launcher gets SIGTERM and stops the stack itself. (Set after
    // setuid, which clears it.)
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::close(fd);
    }
    ::setenv("PORT", std::to_string(s->port_).c_str(), 1);
    ::setenv("RUN_DIR", s->run_dir_.c_str(), 1);
    ::setenv("DATA_DIR", s->data_dir_.c_str(), 1);
    ::setenv("CACHE_DIR", s->cache_dir_.c_str(), 1);
    ::setenv("WORKERS", std::to_string(options.workers).c_str(), 1);
    ::setenv("WIKI_SET", options.wiki_set.c_str(), 1);
    ::setenv("ACCESS_LOG", "on", 1);
    ::unsetenv("SERVER_CPUS");
    for (const auto& [key, value] : options.env)
      ::setenv(key.c_str(), value.c_str(), 1);
    ::execl("/bin/bash", "bash", "conf/wikistack", "run",
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::setpgid(pid, pid);
  s->pid_ = pid;

  HttpClient client;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(45);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      s->pid_ = -1;
      break;
    }
    // The launcher says it is serving only after its own readiness probe,
    // so no request of its own lands after this returns.
    if (ReadAll(log).find("wikistack: serving") != std::string::npos) {
      auto r = client.Get(s->ArticleUrl() + "?action=raw");
      if (r.ok() && r->status == 200) return s;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const std::string text =
      ReadAll(log) + ReadAll(s->run_dir_ + "/nginx-error.log");
  if (s->pid_ < 0 &&
      (Has(text, "is already in use") || Has(text, "Address already in use"))) {
    *port_taken = true;
    s->RemoveDirs();
    return nullptr;
  }
  std::cerr << "stack did not come up; " << log << ":\n" << text << "\n";
  return nullptr;
}

Stack::~Stack() {
  if (pid_ > 0 && !Stop()) {
    std::string report;
    for (const std::string& p : problems_) report += p + "\n";
    if (doctest::is_running_in_test) {
      const std::string message = "the stack did not stop clean:\n" + report;
      ADD_FAIL_CHECK_AT(__FILE__, __LINE__, message);
    } else {
      std::fprintf(stderr, "stack: did not stop clean after the tests:\n%s",
                   report.c_str());
      std::fflush(stderr);
      std::_Exit(3);
    }
  }
  RemoveDirs();
}

bool Stack::Stop() {
  if (pid_ <= 0) return false;
  problems_.clear();
  ::kill(pid_, SIGTERM);
  int status = 0;
  bool exited = false;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (std::chrono::steady_clock::now() < deadline) {
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      exited = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (!exited) {
    problems_.push_back("the launcher did not exit within 15 s of SIGTERM");
    ::kill(-pid_, SIGKILL);
    ::waitpid(pid_, &status, 0);
  } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    problems_.push_back("the launcher exited with status " +
                        std::to_string(status));
  }
  // What the launcher started, it must have stopped: after it exits, no
  // process of its group may be left (a little grace for exits in flight).
  bool group_empty = false;
  for (int i = 0; i < 100 && !group_empty; ++i) {
    group_empty = ::kill(-pid_, 0) != 0 && errno == ESRCH;
    if (!group_empty)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (!group_empty) {
    problems_.push_back("processes left in group " + std::to_string(pid_) +
                        " after the launcher exited");
    ::kill(-pid_, SIGKILL);
  }
  pid_ = -1;
  for (std::string& p : LogProblems()) problems_.push_back(std::move(p));
  for (const std::string& p : problems_)
    std::fprintf(stderr, "stack %s: %s\n", run_dir_.c_str(), p.c_str());
  return problems_.empty();
}

namespace {

// A read nginx sent on a kept connection the worker had just closed (it
// then passes the read to the next worker: fastcgi_next_upstream).
bool IsRetriedRead(const std::string& line) {
  const bool read =
      Has(line, "request: \"GET ") || Has(line, "request: \"HEAD ");
  return read && Has(line, "from upstream") &&
         (Has(line, "upstream prematurely closed connection") ||
          Has(line, "Connection reset by peer"));
}

}  // namespace

std::vector<std::string> Stack::LogProblems() const {
  std::vector<std::string> problems;
  auto add = [&](const std::string& file, const std::string& what) {
    if (problems.size() < 40) problems.push_back(file + ": " + what);
  };

  // access.log (format "wiki" in nginx.conf): ... "request" status bytes
  // request_time upstream_time upstream_status shed=<X-Wiki-Shed>
  long requests = 0, shed = 0;
  int upstream_budget = expected_upstream_errors_;
  for (const std::string& line : Lines(ReadAll(run_dir_ + "/access.log"))) {
    size_t q = line.rfind('"');
    if (q == std::string::npos) continue;
    std::istringstream rest(line.substr(q + 1));
    int status = 0;
    rest >> status;
    const bool marked = Has(line, " shed=1");
    ++requests;
    if (status < 500) continue;
    if (status == 503 && marked) {
      ++shed;
    } else if (expected_statuses_.count(status) != 0) {
    } else if ((status == 502 || status == 503 || status == 504) &&
               upstream_budget > 0) {
      --upstream_budget;
    } else {
      add("access.log", "unexpected " + std::to_string(status) + ": " + line);
    }
  }
  // The share, plus 2 so that a stack that served a dozen requests on a
  // busy machine is not failed by one slow start-up read.
  if (static_cast<double>(shed) >
      max_shed_share_ * static_cast<double>(requests) + 2) {
    add("access.log", std::to_string(shed) + " of " + std::to_string(requests) +
                          " requests shed, more than the allowed share");
  }

  int deaths = 0;
  for (const std::string& line : Lines(ReadAll(run_dir_ + "/fcgi-error.log"))) {
    if (Has(line, "died, respawn") || Has(line, "died to often")) {
      if (++deaths > expected_deaths_)
        add("fcgi-error.log", "worker died: " + line);
    } else if (Has(line, "Sanitizer") || Has(line, "runtime error") ||
               Has(line, "unexpected") || Has(line, "terminate called") ||
               Has(line, "Segmentation") || Has(line, "Aborted") ||
               Has(line, "exited on signal")) {
      add("fcgi-error.log", line);
    }
  }

  for (const std::string& line :
       Lines(ReadAll(run_dir_ + "/nginx-error.log"))) {
    const bool serious = Has(line, "[error]") || Has(line, "[crit]") ||
                         Has(line, "[alert]") || Has(line, "[emerg]");
    if (!serious || Has(line, "setrlimit") ||
        Has(line, "client intended to send too large body") ||
        Has(line, "access forbidden by rule") ||  // tests ask for 413, 403
        Has(line, "password mismatch")) {         // and 401 (EDITOR_AUTH)
      continue;
    }
    if (Has(line, "upstream") && expected_upstream_errors_ > 0) continue;
    if (expect_read_retries_ && IsRetriedRead(line)) continue;
    add("nginx-error.log", line);
  }
  return problems;
}

void Stack::Crash() {
  if (pid_ <= 0) return;
  ::kill(-pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  // The group's other members are reparented to init: wait until the
  // kernel has reaped them all, so their files are closed.
  for (int i = 0; i < 250 && !(::kill(-pid_, 0) != 0 && errno == ESRCH); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  pid_ = -1;
}

std::vector<pid_t> Stack::WorkerPids() const {
  std::vector<pid_t> pids;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr || pid_ <= 0) {
    if (proc != nullptr) ::closedir(proc);
    return pids;
  }
  while (dirent* e = ::readdir(proc)) {
    char* end = nullptr;
    long pid = std::strtol(e->d_name, &end, 10);
    if (pid <= 0 || *end != '\0') continue;
    if (::getpgid(static_cast<pid_t>(pid)) != pid_) continue;
    std::ifstream in("/proc/" + std::string(e->d_name) + "/cmdline");
    std::string argv0;
    std::getline(in, argv0, '\0');
    const std::string name = "article-server";
    if (argv0.size() >= name.size() &&
        argv0.compare(argv0.size() - name.size(), name.size(), name) == 0) {
      pids.push_back(static_cast<pid_t>(pid));
    }
  }
  ::closedir(proc);
  std::sort(pids.begin(), pids.end());
  return pids;
}

std::string Stack::BaseUrl() const {
  return "http://127.0.0.1:" + std::to_string(port_);
}

std::string Stack::ArticleUrl() const {
  return BaseUrl() + "/wiki/Latest_plane_crash";
}

void Stack::RemoveDirs() {
  if (run_dir_.empty()) return;
  std::string cmd = "rm -rf '" + run_dir_ + "'";
  if (cache_dir_.rfind(run_dir_, 0) != 0) cmd += " '" + cache_dir_ + "'";
  if (own_data_dir_ && data_dir_.rfind(run_dir_, 0) != 0)
    cmd += " '" + data_dir_ + "'";
  if (std::system(cmd.c_str()) != 0) {
    std::fprintf(stderr, "could not remove %s\n", run_dir_.c_str());
  }
  run_dir_.clear();
}

}  // namespace wiki
