#include "history_query.h"

#include "revision.h"

namespace wiki {

Result<HistoryQuery> ParseHistoryQuery(const Form& query) {
  HistoryQuery q;
  if (const FormField* f = query.Find("limit")) {
    uint64_t n = 0;
    // ParseRevisionId is the strict "1 to 19 digits" number parser.
    if (!ParseRevisionId(f->value, &n) || n == 0) {
      return Status::InvalidArgument("limit must be a number from 1 to " +
                                     std::to_string(kMaxHistoryLimit) + ".");
    }
    q.limit = n > kMaxHistoryLimit ? kMaxHistoryLimit : static_cast<size_t>(n);
  }
  if (const FormField* f = query.Find("offset")) {
    if (!ParseRevisionId(f->value, &q.offset) || q.offset == 0) {
      return Status::InvalidArgument("offset must be a revision number.");
    }
  }
  return q;
}

}  // namespace wiki
