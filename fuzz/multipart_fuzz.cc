// Fuzzes multipart/form-data parsing (form_parser). Input: the Content-Type
// header value, a NUL byte, then the body.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "form_parser.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view parts[2];
  wiki::SplitInput(data, size, '\0', parts);
  wiki::Result<wiki::Form> form = wiki::ParseMultipart(parts[0], parts[1]);
  if (form.ok()) {
    for (const wiki::FormField& f : form->fields) {
      if (f.value.size() > parts[1].size()) {
        wiki::FuzzFail("a part longer than the body");
      }
    }
  }
  (void)wiki::ParseFormBody(parts[0], parts[1]);
  return 0;
}
