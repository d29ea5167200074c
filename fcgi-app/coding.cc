#include "coding.h"

#include <cstdlib>
#include <string>

#include "http.h"

namespace wiki {

namespace {

// q of one list element's parameters ("q=0.5" -> 0.5); 1 when absent.
double Quality(std::string_view params) {
  size_t at = params.find("q=");
  if (at == std::string_view::npos) return 1.0;
  std::string q(TrimOws(params.substr(at + 2)));
  return std::strtod(q.c_str(), nullptr);
}

bool Names(std::string_view token, Coding c) {
  switch (c) {
    case Coding::kGzip:
      return EqualsIgnoreCase(token, "gzip") ||
             EqualsIgnoreCase(token, "x-gzip");
    case Coding::kBrotli:
      return EqualsIgnoreCase(token, "br");
    case Coding::kIdentity:
      return EqualsIgnoreCase(token, "identity");
  }
  return false;
}

}  // namespace

const CodingInfo& InfoOf(Coding c) {
  for (const CodingInfo& info : kCodings) {
    if (info.coding == c) return info;
  }
  return kCodings[sizeof(kCodings) / sizeof(kCodings[0]) - 1];
}

bool AcceptsCoding(std::string_view header, Coding c) {
  if (c == Coding::kIdentity) return true;
  double own_q = -1, star_q = -1;
  while (!header.empty()) {
    size_t comma = header.find(',');
    std::string_view item = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view()
                                             : header.substr(comma + 1);
    size_t semi = item.find(';');
    std::string_view token = TrimOws(item.substr(0, semi));
    double q =
        semi == std::string_view::npos ? 1.0 : Quality(item.substr(semi + 1));
    if (Names(token, c)) {
      own_q = q;
    } else if (token == "*") {
      star_q = q;
    }
  }
  if (own_q >= 0) return own_q > 0;
  return star_q > 0;
}

Coding PreferredCoding(std::string_view header) {
  for (const CodingInfo& info : kCodings) {
    if (AcceptsCoding(header, info.coding)) return info.coding;
  }
  return Coding::kIdentity;
}

}  // namespace wiki
