// slow_clients: slow-header ("slowloris") and slow-body connections to a
// local server, for the nginx-limits test (tests/security_itest.cc) and
// `make bench-slowloris`.
//
// Each connection comes from `source_ip` (127.0.0.2 and the like: nginx's
// limits exempt 127.0.0.1 only) and sends the start of a request at once,
// never completing it:
//   kHeader: the request line and one header line, then an endless header
//            value, one more byte every `dribble_ms` (client_header_timeout
//            bounds the whole header, so nginx ends it however it dribbles);
//   kBody:   a complete GET head with Content-Length, then nothing (nginx
//            has parsed the request, so limit_conn counts it; its
//            client_body_timeout runs between reads, so a dribbled body
//            would be kept alive: this one stalls).
// Poll() notes what the server does to each connection: answers (the first
// bytes are kept, e.g. "HTTP/1.1 429", and the connection is then closed
// here), closes or resets it. Local traffic
// only; bounded by the caller's deadline. Not thread-safe; one owner.
#ifndef WIKI_LOADTEST_SLOW_CLIENTS_H_
#define WIKI_LOADTEST_SLOW_CLIENTS_H_

#include <chrono>
#include <string>
#include <vector>

namespace wiki {

class SlowClients {
 public:
  enum class Mode { kHeader, kBody };

  SlowClients(int port, std::string source_ip, std::string path, Mode mode,
              int dribble_ms = 1000);
  ~SlowClients();  // closes what is still open
  SlowClients(const SlowClients&) = delete;
  SlowClients& operator=(const SlowClients&) = delete;

  // Opens `n` more connections and sends each its start; returns how many
  // connected (a refused or failed connect counts in failed_connects()).
  int Open(int n);

  // Waits up to `ms` for the server, dribbling meanwhile; returns the
  // number still open.
  int Poll(int ms);

  // Polls until every connection is closed or `deadline` passes; returns
  // the number still open.
  int RunUntilClosed(std::chrono::steady_clock::time_point deadline);

  int open() const;
  int failed_connects() const { return failed_connects_; }
  // Closed by the server without a byte of answer (nginx's 408 timeouts).
  int closed_silently() const;
  // Answered with a status line starting `prefix` ("HTTP/1.1 429").
  int answered(const std::string& prefix) const;
  int answered_any() const;

 private:
  struct Conn {
    int fd = -1;
    std::string received;  // the first bytes of an answer, if any
    bool closed = false;   // by the server
  };
  void Dribble();
  void Read(Conn* c);

  const int port_;
  const std::string source_ip_, path_;
  const Mode mode_;
  const int dribble_ms_;
  std::vector<Conn> conns_;
  int failed_connects_ = 0;
  std::chrono::steady_clock::time_point next_dribble_;
};

}  // namespace wiki

#endif  // WIKI_LOADTEST_SLOW_CLIENTS_H_
