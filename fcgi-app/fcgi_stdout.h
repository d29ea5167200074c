// fcgi_stdout: a response's FastCGI STDOUT records, framed here and handed to
// the kernel in one sendmsg(2).
//
// libfcgi's output stream buffers 8 KiB and writes a record each time it
// fills, so a 30 KB page took four writes (and woke nginx four times) before
// the closing records. Framing the head and body here sends them with one
// system call; libfcgi still writes the closing records (the empty STDOUT
// record and END_REQUEST) from FCGX_Finish_r, after these, as the protocol
// wants (FastCGI 1.0, section 5.3: a stream is any number of records of up
// to 65,535 content bytes, ended by an empty one).
//
// Thread-safety: stateless functions; one connection is used by one thread.
// Failure: SendStdout returns false if the connection broke (nginx hung up);
// nothing is retried.
#ifndef WIKI_FCGI_STDOUT_H_
#define WIKI_FCGI_STDOUT_H_

#include <string>
#include <string_view>
#include <vector>

namespace wiki {

// The bytes to send, in order: record headers (owned here) and views of the
// caller's head and body, which must outlive this. Move-only: `pieces` points
// into `headers`.
struct StdoutFrames {
  StdoutFrames() = default;
  StdoutFrames(StdoutFrames&&) = default;
  StdoutFrames(const StdoutFrames&) = delete;
  StdoutFrames& operator=(const StdoutFrames&) = delete;

  std::vector<std::string> headers;      // 8 bytes each
  std::vector<std::string_view> pieces;  // in sending order
};

// The STDOUT records carrying `head` then `body` for request `request_id`:
// as few records as the 65,535-byte limit allows, no padding. Empty input
// gives no records (an empty record would end the stream).
StdoutFrames FrameStdout(int request_id, std::string_view head,
                         std::string_view body);

// Sends the frames on `fd` (a stream socket), all of them or false.
bool SendStdout(int fd, const StdoutFrames& frames);

}  // namespace wiki

#endif  // WIKI_FCGI_STDOUT_H_
