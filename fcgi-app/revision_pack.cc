#include "revision_pack.h"

#include <zlib.h>
#include <zstd.h>

#include <cstring>
#include <memory>

#include "fs_posix.h"
#include "revision.h"

namespace wiki {

namespace {

constexpr char kMagic[4] = {'W', 'P', 'K', '1'};
constexpr size_t kTrailerSize = 40;
constexpr size_t kIndexEntry = 8;
// A revision never decodes to more than this (an article is capped at a few
// MB); a damaged frame header cannot make a reader allocate more.
constexpr unsigned long long kMaxText = 64ull << 20;
constexpr int kMaxWindowLog = 27;

void PutU32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}
void PutU64(std::string* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}
uint32_t GetU32(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}
uint64_t GetU64(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}
uint32_t Crc(std::string_view data) {
  uLong c = crc32(0L, Z_NULL, 0);
  // crc32() takes a uInt length: feed large inputs in pieces.
  while (!data.empty()) {
    const size_t n = std::min<size_t>(data.size(), 1u << 30);
    c = crc32(c, reinterpret_cast<const Bytef*>(data.data()),
              static_cast<uInt>(n));
    data.remove_prefix(n);
  }
  return static_cast<uint32_t>(c);
}

int WindowLogFor(size_t bytes) {
  int log = 10;  // zstd's smallest window
  while (log < kMaxWindowLog && (size_t{1} << log) < bytes) ++log;
  return log;
}

struct CCtxFree {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};
struct DCtxFree {
  void operator()(ZSTD_DCtx* d) const { ZSTD_freeDCtx(d); }
};

Status ZstdError(const char* what, size_t code) {
  return Status::Corruption(std::string("pack: ") + what + ": " +
                            ZSTD_getErrorName(code));
}

// The parsed trailer, checked against its own CRC and the pack's size.
Result<PackInfo> ParseTrailer(std::string_view t, uint64_t pack_size,
                              uint64_t* index_offset, uint32_t* index_crc,
                              uint32_t* body_crc) {
  if (t.size() != kTrailerSize || std::memcmp(t.data() + 36, kMagic, 4) != 0)
    return Status::Corruption("pack: bad trailer");
  if (Crc(t.substr(0, 32)) != GetU32(t.data() + 32))
    return Status::Corruption("pack: trailer checksum mismatch");
  PackInfo info;
  info.first_id = GetU64(t.data());
  info.count = GetU32(t.data() + 8);
  info.keyframe_interval = GetU32(t.data() + 12);
  *index_offset = GetU64(t.data() + 16);
  *index_crc = GetU32(t.data() + 24);
  *body_crc = GetU32(t.data() + 28);
  if (info.first_id == 0 || info.count == 0 || info.keyframe_interval == 0 ||
      *index_offset + info.count * kIndexEntry + kTrailerSize != pack_size) {
    return Status::Corruption("pack: inconsistent trailer");
  }
  return info;
}

// Decodes frames [from, to] of `index` (the keyframe and the deltas after
// it); `frames` holds the bytes of those frames, starting at frame `from`.
Result<std::string> DecodeChain(std::string_view index, uint64_t from,
                                uint64_t to, std::string_view frames,
                                uint64_t index_offset,
                                std::vector<std::string>* all = nullptr) {
  std::unique_ptr<ZSTD_DCtx, DCtxFree> dctx(ZSTD_createDCtx());
  if (!dctx) return Status::IOError("pack: out of memory");
  ZSTD_DCtx_setParameter(dctx.get(), ZSTD_d_windowLogMax, kMaxWindowLog);
  const uint64_t base = GetU32(index.data() + from * kIndexEntry);
  std::string prev, text;
  for (uint64_t i = from; i <= to; ++i) {
    const uint64_t off = GetU32(index.data() + i * kIndexEntry);
    const uint64_t size = GetU32(index.data() + i * kIndexEntry + 4);
    if (off < base || off + size > index_offset ||
        off - base + size > frames.size())
      return Status::Corruption("pack: frame out of bounds");
    const char* src = frames.data() + (off - base);
    const unsigned long long n = ZSTD_getFrameContentSize(src, size);
    if (n == ZSTD_CONTENTSIZE_ERROR || n == ZSTD_CONTENTSIZE_UNKNOWN ||
        n > kMaxText) {
      return Status::Corruption("pack: bad frame header");
    }
    text.resize(static_cast<size_t>(n));
    ZSTD_DCtx_reset(dctx.get(), ZSTD_reset_session_only);
    if (i != from) {
      size_t r = ZSTD_DCtx_refPrefix(dctx.get(), prev.data(), prev.size());
      if (ZSTD_isError(r)) return ZstdError("prefix", r);
    }
    size_t got = ZSTD_decompressDCtx(dctx.get(), text.data(), text.size(), src,
                                     static_cast<size_t>(size));
    if (ZSTD_isError(got)) return ZstdError("decompress", got);
    if (got != n) return Status::Corruption("pack: short frame");
    if (all != nullptr) all->push_back(text);
    prev.swap(text);
  }
  return prev;
}

}  // namespace

Result<std::string> EncodePack(uint64_t first_id,
                               const std::vector<std::string>& texts,
                               uint32_t keyframe_interval, int level) {
  if (first_id == 0 || texts.empty() || keyframe_interval == 0 ||
      texts.size() > UINT32_MAX) {
    return Status::InvalidArgument("pack: nothing to encode");
  }
  std::unique_ptr<ZSTD_CCtx, CCtxFree> cctx(ZSTD_createCCtx());
  if (!cctx) return Status::IOError("pack: out of memory");
  std::string out, index;
  for (size_t i = 0; i < texts.size(); ++i) {
    const std::string& text = texts[i];
    const bool key = i % keyframe_interval == 0;
    const size_t prefix = key ? 0 : texts[i - 1].size();
    ZSTD_CCtx_reset(cctx.get(), ZSTD_reset_session_and_parameters);
    ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_compressionLevel, level);
    ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_checksumFlag, 1);
    // The window must reach back over the whole prefix.
    ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_windowLog,
                           WindowLogFor(prefix + text.size()));
    if (!key) {
      size_t r = ZSTD_CCtx_refPrefix(cctx.get(), texts[i - 1].data(), prefix);
      if (ZSTD_isError(r)) return ZstdError("prefix", r);
    }
    const size_t at = out.size();
    out.resize(at + ZSTD_compressBound(text.size()));
    size_t n = ZSTD_compress2(cctx.get(), &out[at], out.size() - at,
                              text.data(), text.size());
    if (ZSTD_isError(n)) return ZstdError("compress", n);
    out.resize(at + n);
    if (out.size() > UINT32_MAX) return Status::TooLarge("pack: over 4 GB");
    PutU32(&index, static_cast<uint32_t>(at));
    PutU32(&index, static_cast<uint32_t>(n));
  }
  const uint64_t index_offset = out.size();
  out += index;
  std::string trailer;
  PutU64(&trailer, first_id);
  PutU32(&trailer, static_cast<uint32_t>(texts.size()));
  PutU32(&trailer, keyframe_interval);
  PutU64(&trailer, index_offset);
  PutU32(&trailer, Crc(index));
  PutU32(&trailer, Crc(out));
  PutU32(&trailer, Crc(trailer));
  trailer.append(kMagic, 4);
  return out + trailer;
}

Result<PackInfo> VerifyPack(std::string_view pack) {
  if (pack.size() < kTrailerSize) return Status::Corruption("pack: too short");
  uint64_t index_offset = 0;
  uint32_t index_crc = 0, body_crc = 0;
  auto info = ParseTrailer(pack.substr(pack.size() - kTrailerSize), pack.size(),
                           &index_offset, &index_crc, &body_crc);
  if (!info.ok()) return info.status();
  const std::string_view body = pack.substr(0, pack.size() - kTrailerSize);
  if (Crc(body) != body_crc)
    return Status::Corruption("pack: checksum mismatch");
  if (Crc(body.substr(index_offset)) != index_crc)
    return Status::Corruption("pack: index checksum mismatch");
  return info;
}

Result<std::vector<std::string>> DecodePack(std::string_view pack) {
  auto info = VerifyPack(pack);
  if (!info.ok()) return info.status();
  const uint64_t index_offset =
      pack.size() - kTrailerSize - info->count * kIndexEntry;
  const std::string_view index =
      pack.substr(index_offset, info->count * kIndexEntry);
  std::vector<std::string> all;
  for (uint64_t k = 0; k < info->count; k += info->keyframe_interval) {
    const uint64_t last =
        std::min<uint64_t>(k + info->keyframe_interval, info->count) - 1;
    const uint64_t from = GetU32(index.data() + k * kIndexEntry);
    if (from > index_offset) return Status::Corruption("pack: bad index");
    auto r = DecodeChain(index, k, last, pack.substr(from), index_offset, &all);
    if (!r.ok()) return r.status();
  }
  return all;
}

Result<std::string> ReadPackedRevision(const std::string& path, uint64_t id) {
  auto st = StatFile(path);
  if (!st.ok()) return st.status();
  const uint64_t size = static_cast<uint64_t>(st->size);
  if (size < kTrailerSize) return Status::Corruption(path + ": too short");
  auto trailer = ReadFileRange(path, static_cast<off_t>(size - kTrailerSize),
                               kTrailerSize);
  if (!trailer.ok()) return trailer.status();
  uint64_t index_offset = 0;
  uint32_t index_crc = 0, body_crc = 0;
  auto info =
      ParseTrailer(*trailer, size, &index_offset, &index_crc, &body_crc);
  if (!info.ok())
    return Status::Corruption(path + ": " + info.status().message());
  if (id < info->first_id || id > info->last_id())
    return Status::NotFound(path + " does not hold revision " +
                            std::to_string(id));
  auto index = ReadFileRange(path, static_cast<off_t>(index_offset),
                             info->count * kIndexEntry);
  if (!index.ok()) return index.status();
  if (index->size() != info->count * kIndexEntry || Crc(*index) != index_crc)
    return Status::Corruption(path + ": index checksum mismatch");
  const uint64_t i = id - info->first_id;
  const uint64_t k = i - i % info->keyframe_interval;
  const uint64_t from = GetU32(index->data() + k * kIndexEntry);
  const uint64_t end = uint64_t{GetU32(index->data() + i * kIndexEntry)} +
                       GetU32(index->data() + i * kIndexEntry + 4);
  if (from > end || end > index_offset)
    return Status::Corruption(path + ": bad index");
  auto frames = ReadFileRange(path, static_cast<off_t>(from),
                              static_cast<size_t>(end - from));
  if (!frames.ok()) return frames.status();
  auto text = DecodeChain(*index, k, i, *frames, index_offset);
  if (!text.ok())
    return Status::Corruption(path + ": " + text.status().message());
  return text;
}

std::string PackFileName(uint64_t first_id, uint64_t last_id) {
  return std::to_string(first_id) + "-" + std::to_string(last_id) + ".pack";
}

bool ParsePackFileName(const std::string& name, uint64_t* first_id,
                       uint64_t* last_id) {
  const std::string suffix = ".pack";
  if (name.size() <= suffix.size() ||
      name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) {
    return false;
  }
  const std::string_view stem =
      std::string_view(name).substr(0, name.size() - suffix.size());
  const size_t dash = stem.find('-');
  return dash != std::string_view::npos &&
         ParseRevisionId(stem.substr(0, dash), first_id) &&
         ParseRevisionId(stem.substr(dash + 1), last_id) && *first_id >= 1 &&
         *first_id <= *last_id;
}

}  // namespace wiki
