// cancel: whether the client that sent a request still waits for it.
//
// libfcgi says nothing about a client that hung up until the answer is
// written. nginx (fastcgi_ignore_client_abort off, its default) closes its
// FastCGI connection to the worker as soon as its client goes away, so the
// worker can look at that connection (PeerClosed) at cheap checkpoints of
// costly work, an edit's in particular (edit.h), and stop.
//
// A Cancel is a small value holding the probe; the default one never
// cancels (unit tests, callers without a connection). ClientGone may be
// called from the thread that serves the request; it must be cheap (a
// poll(2) with no wait) and never blocks. Copies share the probe.
#ifndef WIKI_CANCEL_H_
#define WIKI_CANCEL_H_

#include <functional>
#include <utility>

namespace wiki {

class Cancel {
 public:
  using Probe = std::function<bool()>;

  Cancel() = default;  // never cancelled
  explicit Cancel(Probe client_gone) : probe_(std::move(client_gone)) {}

  // True once the client is known to have hung up; false while it waits
  // or if that cannot be told.
  bool ClientGone() const { return probe_ && probe_(); }

 private:
  Probe probe_;
};

// True if the peer of the connected stream socket `fd` has closed it (or
// shut down its writing side, or the connection broke). Unread data on the
// socket (a FastCGI record nginx sent) is not a hang-up: an EOF behind it is
// seen through POLLRDHUP / POLLHUP, and without those through a peek.
// Never blocks; false on any doubt (a bad fd included).
bool PeerClosed(int fd);

}  // namespace wiki

#endif  // WIKI_CANCEL_H_
