// fcgi_server: the FastCGI request loop (libfcgi) around the Handler.
//
// Each worker process runs `threads` loops, each with its own
// FCGX_Request, all accepting on the listening socket spawn-fcgi passed in
// as fd 0. A loop turns FastCGI parameters into a Request, reads the body
// (bounded), sheds requests that waited too long in the queue (503 with
// Retry-After), calls the handler inside the one top-level catch that turns
// anything unexpected into a logged 500, and writes the response. The
// handler gets a Cancel (cancel.h) that polls the request's connection, so
// an edit whose client hung up stops at its next checkpoint; such a request
// (status 499) is not answered.
#ifndef WIKI_FCGI_SERVER_H_
#define WIKI_FCGI_SERVER_H_

#include "config.h"
#include "handler.h"

namespace wiki {

// Runs the accept loops until the process is told to stop; returns the
// process exit code.
int ServeFastCgi(const Config& config, Handler* handler);

}  // namespace wiki

#endif  // WIKI_FCGI_SERVER_H_
