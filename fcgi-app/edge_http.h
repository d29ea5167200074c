// edge_http: the few HTTP requests the edge fan-out sends (edge_fanout.h),
// all at once over plain TCP, with one deadline for the lot.
//
// Each request is sent with "Connection: close" and its answer read until
// the edge closes the connection: for a refresh that is when the edge has
// stored the origin's answer (nginx finishes, and so closes, a cached
// request only after the cache file is in place). Only the status line and
// a few headers are kept; answers are HEAD answers, without bodies.
//
// Thread-safety: free functions, no shared state. Failure: an answer with
// status 0 and `error` set (unreachable, refused, timed out, malformed);
// nothing is thrown.
#ifndef WIKI_EDGE_HTTP_H_
#define WIKI_EDGE_HTTP_H_

#include <sys/socket.h>

#include <string>
#include <string_view>
#include <vector>

#include "status.h"

namespace wiki {

// An edge's address, resolved once ("host:port", "[v6]:port").
struct EdgeAddress {
  std::string name;  // as configured, for logs and metrics
  sockaddr_storage addr{};
  socklen_t addr_len = 0;
};
Result<EdgeAddress> ResolveEdge(const std::string& host_port);

struct EdgeRequest {
  const EdgeAddress* edge = nullptr;
  std::string text;  // the whole request, headers and blank line
};

struct EdgeAnswer {
  int status = 0;        // 0: no answer (see error)
  std::string revision;  // X-Revision
  std::string cache;     // X-Wiki-Edge-Cache (nginx's $upstream_cache_status)
  std::string error;
};

// Sends every request in parallel and waits for all answers, at most
// `timeout_ms` in total; answers are in the order of `requests`.
std::vector<EdgeAnswer> SendAll(const std::vector<EdgeRequest>& requests,
                                int timeout_ms);

// Parses the head of an HTTP answer (exposed for tests).
EdgeAnswer ParseEdgeAnswer(std::string_view bytes);

}  // namespace wiki

#endif  // WIKI_EDGE_HTTP_H_
