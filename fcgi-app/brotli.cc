#include "brotli.h"

#include <brotli/encode.h>

#include <cstdint>

#include "coding.h"

namespace wiki {

Result<std::string> BrotliCompress(std::string_view data, int quality) {
  if (quality < BROTLI_MIN_QUALITY || quality > BROTLI_MAX_QUALITY) {
    return Status::InvalidArgument("brotli quality out of range");
  }
  std::string out;
  // Never 0, even for empty input (an empty stream is one byte).
  out.resize(BrotliEncoderMaxCompressedSize(data.size()) + 16);
  size_t size = out.size();
  if (!BrotliEncoderCompress(quality, BROTLI_DEFAULT_WINDOW, BROTLI_MODE_TEXT,
                             data.size(),
                             reinterpret_cast<const uint8_t*>(data.data()),
                             &size, reinterpret_cast<uint8_t*>(&out[0]))) {
    return Status::IOError("BrotliEncoderCompress failed");
  }
  out.resize(size);
  return out;
}

bool AcceptsBrotli(std::string_view header) {
  return AcceptsCoding(header, Coding::kBrotli);
}

}  // namespace wiki
