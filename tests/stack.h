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

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace wiki {

class Stack {
 public:
  struct Options {
    std::string wiki_set;  // config overrides, "section.key=value ..."
    int workers = 2;
    std::string data_dir;  // reuse an existing data dir ("" = fresh)
    // Extra environment for the launcher and so for every worker (e.g.
    // WIKI_FAULT, see article_store.h).
    std::map<std::string, std::string> env;
    // Share of the requests in the access log that may be the app's own
    // load shedding (503 + X-Wiki-Shed: 1; 2 more on any stack) before
    // Stop() calls it a failure.
    double max_shed_share = 0.10;
    // Run the launcher (so nginx and the workers) as this user instead of
    // the test's; needs root. "" = as the test runs.
    std::string user;
  };

  // Starts the stack and waits (at most 45 s) until it serves the article;
  // retries on a fresh port if the chosen one was taken meanwhile.
  // Returns nullptr, after printing the stack's log, if it does not come up.
  static std::unique_ptr<Stack> Start(const Options& options);
  static std::unique_ptr<Stack> Start() { return Start(Options()); }

  // Stop() if still running. If that finds problems, the running test
  // case fails (outside a test case, the process exits with status 3).
  ~Stack();

  // SIGTERM to the launcher, which stops nginx and the workers; waits for
  // them (SIGKILL to the whole process group after 15 s); then reads the
  // stack's logs (LogProblems). Returns true if the launcher exited by
  // itself with status 0, left no process of its group behind, and the logs
  // show no problem. Every problem is printed to stderr and kept in
  // problems().
  bool Stop();
  const std::vector<std::string>& problems() const { return problems_; }

  // What the logs may show because the test caused it on purpose:
  // workers it killed itself, nginx answers for requests those kills cut off
  // or for a socket it took away (502/503/504 without the shedding marker),
  // and 5xx statuses the test asks for (507 on a full disk).
  void ExpectWorkerDeaths(int n) { expected_deaths_ += n; }
  void ExpectUpstreamErrors(int n) { expected_upstream_errors_ += n; }
  void ExpectStatus(int code) { expected_statuses_.insert(code); }
  // nginx's error-log lines for reads it passed to another worker because
  // the kept connection it sent them on was just closed by a stopping or
  // killed worker (nginx/wiki-site.conf, wiki_fcgi_reads). Only GET and
  // HEAD; the access log must still show every such read answered.
  void ExpectReadRetries() { expect_read_retries_ = true; }

  // The stack's access, nginx-error and fcgi-error logs, checked for: any
  // 5xx that is neither the app's marked shedding nor expected; shedding
  // over max_shed_share; sanitizer reports, unexpected exceptions, worker
  // deaths beyond ExpectWorkerDeaths; nginx errors (upstream failures only
  // if expected). One line per problem.
  std::vector<std::string> LogProblems() const;

  // A crash of the whole stack: SIGKILL to every process of its group at
  // once (launcher, nginx, supervisors, workers); nothing gets to clean up.
  void Crash();

  std::string BaseUrl() const;     // http://127.0.0.1:<port>
  std::string ArticleUrl() const;  // BaseUrl()/wiki/Latest_plane_crash
  const std::string& data_dir() const { return data_dir_; }
  // Derived files (front cache pages/, page bodies cache/): CACHE_DIR.
  const std::string& cache_dir() const { return cache_dir_; }
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
  static std::unique_ptr<Stack> StartAttempt(const Options& options,
                                             bool* port_taken);

  pid_t pid_ = -1;
  int port_ = 0;
  std::string run_dir_;
  std::string data_dir_;
  std::string cache_dir_;
  bool own_data_dir_ = true;
  double max_shed_share_ = 0.10;
  int expected_deaths_ = 0;
  int expected_upstream_errors_ = 0;
  bool expect_read_retries_ = false;
  std::set<int> expected_statuses_;
  std::vector<std::string> problems_;
};

// A currently free TCP port on 127.0.0.1.
int FreeLoopbackPort();

}  // namespace wiki

#endif  // WIKI_TESTS_STACK_H_
