#include "status.h"

namespace wiki {

std::string Status::ToString() const {
  const char* kind = "OK";
  switch (code_) {
    case Code::kOk:
      return "OK";
    case Code::kNotFound:
      kind = "Not found";
      break;
    case Code::kInvalidArgument:
      kind = "Invalid argument";
      break;
    case Code::kUnprocessable:
      kind = "Unprocessable";
      break;
    case Code::kPreconditionFailed:
      kind = "Precondition failed";
      break;
    case Code::kTooLarge:
      kind = "Too large";
      break;
    case Code::kUnsupported:
      kind = "Unsupported";
      break;
    case Code::kForbidden:
      kind = "Forbidden";
      break;
    case Code::kNoSpace:
      kind = "No space";
      break;
    case Code::kIOError:
      kind = "IO error";
      break;
    case Code::kCorruption:
      kind = "Corruption";
      break;
    case Code::kCancelled:
      kind = "Cancelled";
      break;
  }
  return std::string(kind) + ": " + message_;
}

}  // namespace wiki
