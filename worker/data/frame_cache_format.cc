#include "worker/data/frame_cache_format.h"


#include <algorithm>
#include <cstring>
#include <filesystem>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/bytes.h"
#include "common/file_util.h"
#include "common/status_macros.h"

namespace camoe::data::internal {
namespace {

std::string ManifestPath(const std::string& dir) {
  return (std::filesystem::path(dir) / kManifestName).string();
}

}  // namespace

std::string ShardFileName(int number) { return absl::StrFormat("shard-%05d.cfc", number); }

int ShardNumber(const std::string& file_name) {
  constexpr std::string_view kPrefix = "shard-", kSuffix = ".cfc";
  if (file_name.size() <= kPrefix.size() + kSuffix.size() ||
      file_name.compare(0, kPrefix.size(), kPrefix) != 0 ||
      file_name.compare(file_name.size() - kSuffix.size(), kSuffix.size(), kSuffix) != 0) {
    return -1;
  }
  std::string digits =
      file_name.substr(kPrefix.size(), file_name.size() - kPrefix.size() - kSuffix.size());
  if (digits.empty() || digits.size() > 9 ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return -1;
  }
  return std::stoi(digits);
}

std::string ShardHeader() {
  std::string header(kShardMagic, 8);
  header.resize(kShardHeaderSize, '\0');
  return header;
}

std::string EncodeTrailer(uint64_t index_offset, uint64_t index_size, uint32_t index_crc) {
  std::string out;
  AppendLittleEndian(&out, index_offset, 8);
  AppendLittleEndian(&out, index_size, 8);
  AppendLittleEndian(&out, index_crc, 4);
  AppendLittleEndian(&out, 0, 4);
  out.append(kTrailerMagic, 8);
  return out;
}

uint64_t FrameBytes(int64_t frame_count, int64_t height, int64_t width) {
  // Bounds far above real use (a 4096-frame video at 16384 px) keep the
  // product inside 64 bits.
  if (frame_count <= 0 || height <= 0 || width <= 0 || frame_count > (1 << 20) ||
      height > (1 << 14) || width > (1 << 14)) {
    return 0;
  }
  return static_cast<uint64_t>(frame_count) * height * width * 3;
}

absl::StatusOr<FrameCacheShardIndex> ReadShardIndex(std::string_view data, const std::string& name) {
  auto damaged = [&](const std::string& what) {
    return absl::DataLossError(absl::StrCat(
        name, ": ", what, "; the shard is damaged: run the cache writer again with resume "
        "(camoe cache-frames --resume) to rebuild it"));
  };
  if (data.size() < kShardHeaderSize + kTrailerSize) {
    return damaged(absl::StrCat("only ", data.size(), " bytes, shorter than a shard's header and "
                                "trailer (truncated?)"));
  }
  if (data.substr(0, 8) != std::string_view(kShardMagic, 8)) {
    return damaged("not a camoe frame cache shard (bad magic)");
  }
  std::string_view trailer = data.substr(data.size() - kTrailerSize);
  if (trailer.substr(24, 8) != std::string_view(kTrailerMagic, 8)) {
    return damaged("the trailer is missing (truncated or still being written?)");
  }
  uint64_t index_offset = ReadLittleEndian(trailer, 0, 8);
  uint64_t index_size = ReadLittleEndian(trailer, 8, 8);
  uint32_t index_crc = static_cast<uint32_t>(ReadLittleEndian(trailer, 16, 4));
  uint64_t index_end = data.size() - kTrailerSize;
  if (index_offset < kShardHeaderSize || index_offset > index_end ||
      index_size != index_end - index_offset) {
    return damaged(absl::StrFormat("the trailer's index position [%d, +%d) does not fit the file",
                                   index_offset, index_size));
  }
  std::string_view index_bytes = data.substr(index_offset, index_size);
  if (Crc32(index_bytes) != index_crc) return damaged("the index fails its CRC-32");
  FrameCacheShardIndex index;
  if (!index.ParseFromArray(index_bytes.data(), static_cast<int>(index_bytes.size()))) {
    return damaged("the index does not parse");
  }
  if (index.format_version() != kFrameCacheVersion) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "%s: frame cache format version %d, this camoe reads version %d; rebuild the cache",
        name, index.format_version(), kFrameCacheVersion));
  }
  for (const FrameCacheEntry& e : index.entries()) {
    uint64_t expected = FrameBytes(e.frame_count(), e.height(), e.width());
    if (expected == 0 || e.nbytes() != expected || e.offset() < kShardHeaderSize ||
        e.offset() > index_offset || e.nbytes() > index_offset - e.offset() ||
        e.timestamps_size() != e.frame_count()) {
      return damaged(absl::StrFormat("the index entry of video \"%s\" is inconsistent", e.video_id()));
    }
  }
  return index;
}

absl::Status WriteManifestFile(const std::string& dir, const FrameCacheManifest& manifest) {
  std::string body;
  if (!manifest.SerializeToString(&body)) {
    return absl::InternalError("frame cache: could not serialize the manifest");
  }
  std::string data(kManifestMagic, 8);
  std::string crc;
  AppendLittleEndian(&crc, Crc32(body), 4);
  data += crc;
  data += body;
  return WriteFileAtomically(ManifestPath(dir), data);
}

absl::StatusOr<FrameCacheManifest> ReadManifestFile(const std::string& dir) {
  std::string path = ManifestPath(dir);
  if (!FileExists(path)) {
    return absl::NotFoundError(absl::StrCat(
        path, ": no frame cache here (MANIFEST is missing); build one with camoe cache-frames"));
  }
  CAMOE_ASSIGN_OR_RETURN(std::string data, ReadFile(path));
  if (data.size() < 12 || data.compare(0, 8, kManifestMagic) != 0) {
    return absl::DataLossError(absl::StrCat(path, ": not a camoe frame cache manifest"));
  }
  std::string_view body = std::string_view(data).substr(12);
  if (Crc32(body) != ReadLittleEndian(data, 8, 4)) {
    return absl::DataLossError(absl::StrCat(
        path, ": the manifest fails its CRC-32; delete the cache folder and build it again"));
  }
  FrameCacheManifest manifest;
  if (!manifest.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
    return absl::DataLossError(absl::StrCat(path, ": the manifest does not parse"));
  }
  if (manifest.format_version() != kFrameCacheVersion) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "%s: frame cache format version %d, this camoe reads version %d; rebuild the cache", path,
        manifest.format_version(), kFrameCacheVersion));
  }
  return manifest;
}

}  // namespace camoe::data::internal
