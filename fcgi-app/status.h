// Status: the outcome of an operation that can fail, as a value.
//
// Modelled on LevelDB's Status. Errors never cross module boundaries as
// exceptions; every fallible function returns a Status (or a Result<T>,
// which is a Status plus a value). The code says what kind of failure it
// was, so the handler can map it to an HTTP status in one place; the
// message is short, human-readable and safe to show to a client.
//
// Thread-safety: a Status is a plain value; distinct objects may be used
// from distinct threads.
#ifndef WIKI_STATUS_H_
#define WIKI_STATUS_H_

#include <string>
#include <utility>

namespace wiki {

class Status {
 public:
  enum class Code {
    kOk = 0,
    kNotFound,            // no such title, revision or file
    kInvalidArgument,     // malformed input (encoding, syntax)
    kUnprocessable,       // well-formed but refused content (markup, UTF-8)
    kPreconditionFailed,  // stale If-Match / base revision
    kTooLarge,            // over a configured size limit
    kUnsupported,         // unsupported media type / encoding
    kForbidden,           // refused whatever the body says (cross-site)
    kNoSpace,             // ENOSPC / EDQUOT: the disk is full
    kIOError,             // any other system call failure
    kCorruption,          // on-disk data that does not parse
    kCancelled,           // the client hung up; the work was stopped
  };

  Status() = default;  // OK

  static Status OK() { return Status(); }
  static Status NotFound(std::string msg) {
    return Status(Code::kNotFound, std::move(msg));
  }
  static Status InvalidArgument(std::string msg) {
    return Status(Code::kInvalidArgument, std::move(msg));
  }
  static Status Unprocessable(std::string msg) {
    return Status(Code::kUnprocessable, std::move(msg));
  }
  static Status PreconditionFailed(std::string msg) {
    return Status(Code::kPreconditionFailed, std::move(msg));
  }
  static Status TooLarge(std::string msg) {
    return Status(Code::kTooLarge, std::move(msg));
  }
  static Status Unsupported(std::string msg) {
    return Status(Code::kUnsupported, std::move(msg));
  }
  static Status Forbidden(std::string msg) {
    return Status(Code::kForbidden, std::move(msg));
  }
  static Status NoSpace(std::string msg) {
    return Status(Code::kNoSpace, std::move(msg));
  }
  static Status IOError(std::string msg) {
    return Status(Code::kIOError, std::move(msg));
  }
  static Status Corruption(std::string msg) {
    return Status(Code::kCorruption, std::move(msg));
  }
  static Status Cancelled(std::string msg) {
    return Status(Code::kCancelled, std::move(msg));
  }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

  // "OK" or "<kind>: <message>", for logs.
  std::string ToString() const;

 private:
  Status(Code code, std::string msg) : code_(code), message_(std::move(msg)) {}

  Code code_ = Code::kOk;
  std::string message_;
};

// A value or the Status explaining why there is none.
template <typename T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {}  // NOLINT

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }

  // Precondition: ok().
  T& value() { return value_; }
  const T& value() const { return value_; }
  T* operator->() { return &value_; }
  const T* operator->() const { return &value_; }
  T& operator*() { return value_; }
  const T& operator*() const { return value_; }

 private:
  Status status_;
  T value_{};
};

}  // namespace wiki

#endif  // WIKI_STATUS_H_
