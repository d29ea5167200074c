// Fuzzes query-string / urlencoded form decoding (form_parser).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "form_parser.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  wiki::Result<wiki::Form> form = wiki::ParseUrlEncoded(in);
  if (form.ok()) {
    size_t pairs = 1;
    for (char c : in) pairs += c == '&';
    if (form->fields.size() > pairs) wiki::FuzzFail("more fields than pairs");
    for (const wiki::FormField& f : form->fields) {
      if (f.name.size() + f.value.size() > in.size()) {
        wiki::FuzzFail("a field longer than the input");
      }
    }
  }
  for (bool plus : {false, true}) {
    wiki::Result<std::string> s = wiki::PercentDecode(in, plus);
    if (s.ok() && s->size() > in.size()) wiki::FuzzFail("decoding grew");
  }
  return 0;
}
