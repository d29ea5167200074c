// Fuzzes the history-log decoder (revision): any line either decodes or is
// Corruption, and what decodes re-encodes to a line that decodes the same.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_util.h"
#include "revision.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view line(reinterpret_cast<const char*>(data), size);
  wiki::Result<wiki::RevisionMeta> m = wiki::DecodeLogRecord(line);
  if (!m.ok()) {
    if (m.status().code() != wiki::Status::Code::kCorruption) {
      wiki::FuzzFail("not Corruption: " + m.status().ToString());
    }
    return 0;
  }
  std::string encoded = wiki::EncodeLogRecord(*m);
  if (encoded.empty() || encoded.back() != '\n' ||
      encoded.find('\n') != encoded.size() - 1) {
    wiki::FuzzFail("encoded record is not one line");
  }
  encoded.pop_back();
  wiki::Result<wiki::RevisionMeta> again = wiki::DecodeLogRecord(encoded);
  if (!again.ok()) wiki::FuzzFail("re-encoded record does not decode");
  if (again->id != m->id || again->time_ms != m->time_ms ||
      again->size != m->size || again->hash != m->hash ||
      again->author != m->author || again->summary != m->summary ||
      again->fib_n != m->fib_n || again->fib != m->fib) {
    wiki::FuzzFail("round trip changed the record");
  }
  return 0;
}
