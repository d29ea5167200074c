// stack: starts the real service (conf/wikistack: nginx + spawn-fcgi +
// multiwatch + article-server workers) on a free loopback port, for the
// integration tests.
//
// Each Stack gets its own temporary run and data directories under /tmp
// (never inside the checkout) and its own process group, so Stop() can end
// every process it started. Not thread-safe; one owner.
#ifndef WIKI_TESTS_STACK_H_
#define WIKI_TESTS_STACK_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

namespace wiki {

class Stack {
 public:
  struct Options {
    std::string wiki_set;  // config overrides, "section.key=value ..."
    int workers = 2;
    std::string data_dir;  // reuse an existing data dir ("" = fresh)
  };

  // Starts the stack and waits (at most 45 s) until it serves the article.
  // Returns nullptr, after printing the stack's log, if it does not come up.
  static std::unique_ptr<Stack> Start(const Options& options);
  static std::unique_ptr<Stack> Start() { return Start(Options()); }

  ~Stack();  // Stop()

  // SIGTERM to the launcher, which stops nginx and the workers; waits for
  // them (SIGKILL to the whole process group after 15 s). Returns true if
  // the launcher exited by itself with status 0 and left no process of its
  // group behind.
  bool Stop();

  // A crash of the whole stack: SIGKILL to every process of its group at
  // once (launcher, nginx, supervisors, workers); nothing gets to clean up.
  void Crash();

  std::string BaseUrl() const;     // http://127.0.0.1:<port>
  std::string ArticleUrl() const;  // BaseUrl()/wiki/Latest_plane_crash
  const std::string& data_dir() const { return data_dir_; }
  const std::string& run_dir() const { return run_dir_; }
  pid_t pid() const { return pid_; }
  int port() const { return port_; }

  // The article-server worker processes of this stack, sorted (read from
  // /proc: processes of the stack's group running the server binary).
  std::vector<pid_t> WorkerPids() const;

  // Removes the temporary directories (called by the destructor unless
  // the data dir was handed in by the caller).
  void RemoveDirs();

 private:
  Stack() = default;

  pid_t pid_ = -1;
  int port_ = 0;
  std::string run_dir_;
  std::string data_dir_;
  bool own_data_dir_ = true;
};

// A currently free TCP port on 127.0.0.1.
int FreeLoopbackPort();

}  // namespace wiki

#endif  // WIKI_TESTS_STACK_H_
