// FrameCacheReader: memory-maps shards and finds videos; see frame_cache.h.
#include <filesystem>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "worker/data/frame_cache.h"
#include "worker/data/frame_cache_format.h"

namespace camoe::data {
namespace {

constexpr char kRebuild[] =
    "run the cache writer again with resume (camoe cache-frames --resume) to rebuild it";
// Resume checks shard sizes and indexes, not every frame byte: a shard with
// damaged frames must be deleted for resume to redo it.
constexpr char kDeleteAndRebuild[] =
    "delete the shard file and run the cache writer again with resume (camoe cache-frames "
    "--resume) to rebuild it";

}  // namespace

absl::StatusOr<std::unique_ptr<FrameCacheReader>> FrameCacheReader::Open(
    const std::string& dir, const FrameCacheReaderOptions& options) {
  std::unique_ptr<FrameCacheReader> reader(new FrameCacheReader(dir, options));
  CAMOE_ASSIGN_OR_RETURN(reader->manifest_, internal::ReadManifestFile(dir));
  if (options.require_complete && !reader->manifest_.complete()) {
    return absl::FailedPreconditionError(absl::StrCat(
        dir, ": the frame cache is incomplete (its writer did not finish); ", kRebuild));
  }
  reader->shards_.reserve(reader->manifest_.shards_size());
  for (const FrameCacheShardInfo& info : reader->manifest_.shards()) {
    std::string path = (std::filesystem::path(dir) / info.file_name()).string();
    if (!FileExists(path)) {
      return absl::DataLossError(
          absl::StrCat(path, ": listed in MANIFEST but missing; ", kRebuild));
    }
    Shard shard;
    shard.name = path;
    CAMOE_ASSIGN_OR_RETURN(shard.file, MappedFile::Open(path));
    if (shard.file->data().size() != info.size()) {
      return absl::DataLossError(absl::StrFormat(
          "%s: %d bytes, but MANIFEST says %d (truncated or replaced); %s", path,
          shard.file->data().size(), info.size(), kRebuild));
    }
    CAMOE_ASSIGN_OR_RETURN(shard.index, internal::ReadShardIndex(shard.file->data(), path));
    int shard_number = static_cast<int>(reader->shards_.size());
    for (int e = 0; e < shard.index.entries_size(); ++e) {
      const std::string& id = shard.index.entries(e).video_id();
      auto [it, inserted] = reader->by_id_.try_emplace(id, Location{shard_number, e});
      if (!inserted) {
        return absl::DataLossError(absl::StrCat(path, ": video \"", id, "\" is also in ",
                                                reader->shards_[it->second.shard].name, "; ",
                                                kRebuild));
      }
    }
    reader->shards_.push_back(std::move(shard));
  }
  return reader;
}

absl::Status FrameCacheReader::CheckEntry(const Shard& shard, const FrameCacheEntry& entry) const {
  std::string_view bytes = shard.file->data().substr(entry.offset(), entry.nbytes());
  if (Crc32(bytes) != entry.crc32()) {
    return absl::DataLossError(absl::StrCat(shard.name, ": video \"", entry.video_id(),
                                            "\" fails its CRC-32 (the shard is damaged); ",
                                            kDeleteAndRebuild, ", or decode this video instead"));
  }
  return absl::OkStatus();
}

absl::StatusOr<CachedFrames> FrameCacheReader::Find(const std::string& video_id) const {
  auto it = by_id_.find(video_id);
  if (it == by_id_.end()) {
    return absl::NotFoundError(
        absl::StrCat(dir_, ": video \"", video_id, "\" is not in the frame cache"));
  }
  const Shard& shard = shards_[it->second.shard];
  const FrameCacheEntry& entry = shard.index.entries(it->second.entry);
  if (options_.verify_checksums) CAMOE_RETURN_IF_ERROR(CheckEntry(shard, entry));
  CachedFrames frames;
  frames.bytes = shard.file->data().substr(entry.offset(), entry.nbytes());
  frames.frame_count = entry.frame_count();
  frames.height = entry.height();
  frames.width = entry.width();
  frames.entry = &entry;
  frames.shard = &shard.name;
  return frames;
}

bool FrameCacheReader::Contains(const std::string& video_id) const {
  return by_id_.contains(video_id);
}

std::vector<std::string> FrameCacheReader::VideoIds() const {
  std::vector<std::string> ids;
  ids.reserve(by_id_.size());
  for (const Shard& shard : shards_) {
    for (const FrameCacheEntry& e : shard.index.entries()) ids.push_back(e.video_id());
  }
  return ids;
}

absl::Status FrameCacheReader::VerifyAll() const {
  std::vector<std::string> problems;
  for (size_t s = 0; s < shards_.size(); ++s) {
    const Shard& shard = shards_[s];
    if (Crc32(shard.file->data()) != manifest_.shards(s).crc32()) {
      problems.push_back(absl::StrCat(shard.name, ": the shard fails its CRC-32"));
    }
    for (const FrameCacheEntry& e : shard.index.entries()) {
      absl::Status status = CheckEntry(shard, e);
      if (!status.ok()) {
        problems.push_back(absl::StrCat(shard.name, ": video \"", e.video_id(), "\" fails its CRC-32"));
      }
    }
  }
  if (problems.empty()) return absl::OkStatus();
  constexpr size_t kShown = 20;
  size_t total = problems.size();
  if (total > kShown) problems.resize(kShown);
  return absl::DataLossError(absl::StrCat(dir_, ": ", total, " problems: ",
                                          absl::StrJoin(problems, "; "),
                                          total > kShown ? "; ..." : "", "; ",
                                          kDeleteAndRebuild));
}

}  // namespace camoe::data
