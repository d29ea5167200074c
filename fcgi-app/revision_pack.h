// revision_pack: a run of consecutive old revisions in one compressed file.
//
// A pack holds revisions first_id .. first_id+count-1 as zstd frames, one
// per revision. Every keyframe_interval-th revision (counting from the
// first) is a keyframe, compressed alone; every other one is compressed with
// the previous revision's text as zstd prefix, so a small edit costs a few
// dozen bytes. Reading revision i decodes from the keyframe at or before it:
// at most keyframe_interval frames.
//
// Layout (integers little-endian):
//   frames   zstd frames, each with its content checksum
//   index    count x {u32 offset, u32 size} of the frames
//   trailer  u64 first_id, u32 count, u32 keyframe_interval,
//            u64 index_offset, u32 index_crc32, u32 body_crc32 (frames and
//            index), u32 trailer_crc32 (the 32 bytes before it), "WPK1"
// A reader of one revision checks the trailer and the index (their CRCs),
// each frame's content checksum, and the caller checks the text's hash
// against its history record; VerifyPack checks every byte (body_crc32).
//
// Thread-safety: free functions without shared state. Failure: damaged or
// truncated input is a Corruption Status, never a crash; an I/O error is
// the fs_posix Status.
#ifndef WIKI_REVISION_PACK_H_
#define WIKI_REVISION_PACK_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "status.h"

namespace wiki {

struct PackInfo {
  uint64_t first_id = 0;
  uint64_t count = 0;
  uint32_t keyframe_interval = 0;
  uint64_t last_id() const { return first_id + count - 1; }
};

// Encodes texts[i] as revision first_id + i. keyframe_interval >= 1;
// level is zstd's (1..19).
Result<std::string> EncodePack(uint64_t first_id,
                               const std::vector<std::string>& texts,
                               uint32_t keyframe_interval, int level);

// The trailer of a whole pack, checking every byte (body CRC).
Result<PackInfo> VerifyPack(std::string_view pack);

// Every revision of a whole pack, oldest first.
Result<std::vector<std::string>> DecodePack(std::string_view pack);

// Revision `id` from the pack file at `path`, reading only the trailer,
// the index and the frames it needs (three preads). NotFound if the pack
// does not cover `id` or does not exist.
Result<std::string> ReadPackedRevision(const std::string& path, uint64_t id);

// "packs/<first>-<last>.pack" naming: the file name of a pack, and back.
std::string PackFileName(uint64_t first_id, uint64_t last_id);
bool ParsePackFileName(const std::string& name, uint64_t* first_id,
                       uint64_t* last_id);

}  // namespace wiki

#endif  // WIKI_REVISION_PACK_H_
