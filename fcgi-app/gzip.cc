#include "gzip.h"

#include <zlib.h>

#include <cctype>
#include <cstdlib>

#include "http.h"

namespace wiki {

Result<std::string> GzipCompress(std::string_view data) {
  z_stream zs{};
  // 15 window bits + 16: write a gzip header and trailer, not zlib's.
  // Level 6, not 9: on the 28 KB sample article and its page, 9 took 1.33x
  // as long (on every edit, before the acknowledgment) for 0.3% fewer bytes.
  if (deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    return Status::IOError("deflateInit2 failed");
  }
  std::string out;
  out.resize(deflateBound(&zs, static_cast<uLong>(data.size())) + 32);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(&out[0]);
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&zs, Z_FINISH);
  size_t produced = out.size() - zs.avail_out;
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) return Status::IOError("deflate did not finish");
  out.resize(produced);
  return out;
}

namespace {

// q of one list element ("gzip;q=0.5" -> 0.5); 1 when absent.
double Quality(std::string_view params) {
  size_t at = params.find("q=");
  if (at == std::string_view::npos) return 1.0;
  std::string q(TrimOws(params.substr(at + 2)));
  return std::strtod(q.c_str(), nullptr);
}

}  // namespace

bool AcceptsGzip(std::string_view header) {
  double gzip_q = -1, star_q = -1;
  while (!header.empty()) {
    size_t comma = header.find(',');
    std::string_view item = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view()
                                             : header.substr(comma + 1);
    size_t semi = item.find(';');
    std::string_view coding = TrimOws(item.substr(0, semi));
    double q =
        semi == std::string_view::npos ? 1.0 : Quality(item.substr(semi + 1));
    if (EqualsIgnoreCase(coding, "gzip") ||
        EqualsIgnoreCase(coding, "x-gzip")) {
      gzip_q = q;
    } else if (coding == "*") {
      star_q = q;
    }
  }
  if (gzip_q >= 0) return gzip_q > 0;
  return star_q > 0;
}

}  // namespace wiki
