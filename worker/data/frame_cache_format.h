// Byte-level pieces of the frame cache format shared by its writer and reader
// (internal to worker/data; the layout is documented in frame_cache.h).
// Stateless and thread-safe.
#ifndef CAMOE_WORKER_DATA_FRAME_CACHE_FORMAT_H_
#define CAMOE_WORKER_DATA_FRAME_CACHE_FORMAT_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "camoe/frame_cache.pb.h"
#include "common/bytes.h"

namespace camoe::data::internal {

inline constexpr char kShardMagic[] = "CAMOEFC1";
inline constexpr char kTrailerMagic[] = "CAMOEFCT";
inline constexpr char kManifestMagic[] = "CAMOEFM1";
inline constexpr char kManifestName[] = "MANIFEST";
inline constexpr char kLockName[] = "LOCK";
inline constexpr uint32_t kFrameCacheVersion = 1;
inline constexpr uint64_t kShardHeaderSize = 64;
inline constexpr uint64_t kTrailerSize = 32;
inline constexpr uint64_t kFrameAlignment = 64;


// "shard-00042.cfc".
std::string ShardFileName(int number);
// 42 for "shard-00042.cfc", -1 for anything else.
int ShardNumber(const std::string& file_name);

// The shard header: the magic padded with zeros to kShardHeaderSize.
std::string ShardHeader();
std::string EncodeTrailer(uint64_t index_offset, uint64_t index_size, uint32_t index_crc);

// Checks the header, trailer and index CRC of a whole shard file's bytes
// `data` named `name`, and that every entry lies inside the frame section
// with a size that matches its shape. DataLoss naming the shard otherwise.
absl::StatusOr<FrameCacheShardIndex> ReadShardIndex(std::string_view data, const std::string& name);

// frame_count * height * width * 3, or 0 when a dimension is not positive or
// the product would not fit.
uint64_t FrameBytes(int64_t frame_count, int64_t height, int64_t width);

absl::Status WriteManifestFile(const std::string& dir, const FrameCacheManifest& manifest);
// NotFound without a MANIFEST; DataLoss when it is damaged.
absl::StatusOr<FrameCacheManifest> ReadManifestFile(const std::string& dir);

}  // namespace camoe::data::internal

#endif  // CAMOE_WORKER_DATA_FRAME_CACHE_FORMAT_H_
