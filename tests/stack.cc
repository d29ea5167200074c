#include "stack.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
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

std::unique_ptr<Stack> Stack::Start(const Options& options) {
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
  s->port_ = FreeLoopbackPort();
  const std::string log = s->run_dir_ + "/stack.log";

  pid_t pid = ::fork();
  if (pid < 0) return nullptr;
  if (pid == 0) {
    ::setpgid(0, 0);  // one group: Stop() can reach every descendant
    // If the test binary dies without its destructors (crash, timeout),
    // the launcher gets SIGTERM and stops the stack itself.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::close(fd);
    }
    ::setenv("PORT", std::to_string(s->port_).c_str(), 1);
    ::setenv("RUN_DIR", s->run_dir_.c_str(), 1);
    ::setenv("DATA_DIR", s->data_dir_.c_str(), 1);
    ::setenv("WORKERS", std::to_string(options.workers).c_str(), 1);
    ::setenv("WIKI_SET", options.wiki_set.c_str(), 1);
    ::setenv("ACCESS_LOG", "on", 1);
    ::unsetenv("SERVER_CPUS");
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
    std::ifstream in(log);
    std::stringstream text;
    text << in.rdbuf();
    if (text.str().find("wikistack: serving") != std::string::npos) {
      auto r = client.Get(s->ArticleUrl() + "?action=raw");
      if (r.ok() && r->status == 200) return s;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::ifstream in(log);
  std::cerr << "stack did not come up; " << log << ":\n" << in.rdbuf() << "\n";
  return nullptr;
}

Stack::~Stack() {
  Stop();
  RemoveDirs();
}

bool Stack::Stop() {
  if (pid_ <= 0) return false;
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
    ::kill(-pid_, SIGKILL);
    ::waitpid(pid_, &status, 0);
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
    std::fprintf(
        stderr, "stack: processes left in group %d after the launcher exited\n",
        static_cast<int>(pid_));
    ::kill(-pid_, SIGKILL);
  }
  pid_ = -1;
  return exited && group_empty && WIFEXITED(status) && WEXITSTATUS(status) == 0;
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
  if (own_data_dir_ && data_dir_.rfind(run_dir_, 0) != 0)
    cmd += " '" + data_dir_ + "'";
  if (std::system(cmd.c_str()) != 0) {
    std::fprintf(stderr, "could not remove %s\n", run_dir_.c_str());
  }
  run_dir_.clear();
}

}  // namespace wiki
