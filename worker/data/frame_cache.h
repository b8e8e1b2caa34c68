// The frame cache: each video's sampled frames, decoded once and stored as
// uint8 RGB at the model's resolution, so later epochs and jobs read bytes
// instead of decoding video. `camoe cache-frames` writes it with
// FrameCacheWriter; the loader reads it with FrameCacheReader.
//
// A cache is a folder:
//   MANIFEST             completed shards (FrameCacheManifest, see below)
//   shard-00000.cfc ...  shard files, each self-contained
//   LOCK                 held by the one writer (flock)
// Shard file layout (integers little-endian):
//   [0, 8)        magic "CAMOEFC1", then zeros up to byte 64
//   frames        per video, frame_count x height x width x 3 bytes: frames
//                 back to back, each HWC (rows top to bottom, pixels R, G, B),
//                 starting at a 64-byte aligned offset
//   index         FrameCacheShardIndex (proto/camoe/frame_cache.proto): per
//                 video its offset, size, shape, timestamps, source file size
//                 and mtime, and the CRC-32 of its frame bytes
//   trailer       32 bytes: uint64 index offset, uint64 index size, uint32
//                 index CRC-32, uint32 0, magic "CAMOEFCT"
// MANIFEST is "CAMOEFM1", uint32 CRC-32 of the rest, then a serialized
// FrameCacheManifest listing each shard with its size and whole-file CRC-32.
// HWC because decoders (FFmpeg RGB24, camoe::image::RgbImage) produce it; the
// model normalises and permutes to CHW on the device.
//
// Guarantees: a shard is written to shard-N.cfc.tmp and renamed only when
// whole (fsync first), and MANIFEST is replaced atomically after each shard,
// so a crash loses at most the shard being written; Open with resume keeps
// every completed shard and the caller re-adds the rest (Contains() says
// which). The index is at the end so a shard streams to disk without holding
// its frames in memory. A reader detects a truncated or altered shard at Open
// (size and index CRC) and a damaged video at Find (its own CRC), naming the
// shard and the video; one damaged video does not hide the rest of its shard.
//
// Threading: one FrameCacheWriter per folder (the LOCK file enforces it) and
// it is not thread-safe. A FrameCacheReader is immutable after Open: Find may
// be called from any number of threads, and any number of readers (in any
// processes) may share a folder.
#ifndef CAMOE_WORKER_DATA_FRAME_CACHE_H_
#define CAMOE_WORKER_DATA_FRAME_CACHE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "camoe/frame_cache.pb.h"
#include "common/file_util.h"

namespace camoe::data {

// Size and modification time of a video file, to tell when a cached entry is
// stale (the video was replaced after caching).
struct SourceStamp {
  uint64_t size = 0;
  int64_t mtime_ns = 0;
};
absl::StatusOr<SourceStamp> StatSourceFile(const std::string& path);

// True if `entry` records a source stamp and it differs from `now`.
bool IsStale(const FrameCacheEntry& entry, const SourceStamp& now);

// One video's frames for FrameCacheWriter::Add.
struct FramesToCache {
  std::string_view bytes;  // frame_count * height * width * 3, HWC RGB, frames back to back
  int frame_count = 0;
  int height = 0;
  int width = 0;
  std::vector<double> timestamps;  // seconds into the source, one per frame
  SourceStamp source;              // zero when unknown
};

struct FrameCacheWriterOptions {
  // A shard is closed once its frame bytes reach this size (1 GiB: few files,
  // and a crash costs at most one shard of work).
  uint64_t shard_bytes = uint64_t{1} << 30;
  // Continue the cache already in the folder: keep its completed shards,
  // discard the partial one. Without it the folder must hold no cache.
  bool resume = false;
  // How the frames are made (resolution, frame sampling, decoder); stored in
  // the manifest. Resuming a cache made with other metadata fails.
  std::map<std::string, std::string> metadata;
};

class FrameCacheWriter {
 public:
  // Creates `dir` if needed and takes its LOCK. FailedPrecondition when the
  // folder holds a cache and !options.resume, when the metadata differ from
  // the cache being resumed, or when another writer holds the lock.
  static absl::StatusOr<std::unique_ptr<FrameCacheWriter>> Open(
      const std::string& dir, const FrameCacheWriterOptions& options);

  // Without Finish, the shard being written is abandoned (as after a crash);
  // the completed shards stay and a resumed writer continues from them.
  ~FrameCacheWriter();
  FrameCacheWriter(const FrameCacheWriter&) = delete;
  FrameCacheWriter& operator=(const FrameCacheWriter&) = delete;

  // Whether `video_id` is already cached (a resumed shard) or added.
  bool Contains(const std::string& video_id) const;

  // Appends one video. InvalidArgument for sizes that disagree, AlreadyExists
  // for an id already in the cache, an I/O error naming the shard.
  absl::Status Add(const std::string& video_id, const FramesToCache& frames);

  // Closes the last shard and marks the manifest complete. Add may not be
  // called afterwards.
  absl::Status Finish();

  int64_t num_videos() const { return static_cast<int64_t>(ids_.size()); }
  // What Open found and repaired: damaged or unlisted shards, stray
  // temporaries. For the log.
  const std::vector<std::string>& notes() const { return notes_; }

 private:
  FrameCacheWriter(std::string dir, FrameCacheWriterOptions options, int lock_fd);
  absl::Status Resume();
  absl::Status AddToShard(const std::string& video_id, const FramesToCache& frames);
  absl::Status StartShard();
  absl::Status CloseShard();
  absl::Status WriteBytes(std::string_view bytes);
  absl::Status WriteManifest();
  void AbandonShard();

  std::string dir_;
  FrameCacheWriterOptions options_;
  int lock_fd_ = -1;
  FrameCacheManifest manifest_;
  absl::flat_hash_set<std::string> ids_;
  std::vector<std::string> notes_;
  bool finished_ = false;
  absl::Status failed_;  // a write error: the writer stops, resume continues
  // The shard being written.
  int next_shard_ = 0;
  int fd_ = -1;
  std::string tmp_path_;
  std::string shard_name_;
  uint64_t offset_ = 0;
  uint32_t file_crc_ = 0;
  FrameCacheShardIndex index_;
};

// Frames of one cached video; points into the reader's memory map and is
// valid while the reader lives.
struct CachedFrames {
  std::string_view bytes;  // frame_count * height * width * 3, HWC RGB
  int frame_count = 0;
  int height = 0;
  int width = 0;
  const FrameCacheEntry* entry = nullptr;  // timestamps, source stamp
  const std::string* shard = nullptr;      // shard file name, for messages
};

struct FrameCacheReaderOptions {
  // Check each video's CRC-32 on every Find (about 1 ms per 12 frames of
  // 224 x 224): a damaged entry is then an error, not wrong pixels.
  bool verify_checksums = true;
  // Fail Open when the writer has not finished.
  bool require_complete = false;
};

class FrameCacheReader {
 public:
  // Maps every shard the manifest lists and loads their indexes. DataLoss
  // naming the shard for a missing, truncated or altered shard (re-running
  // the writer with resume replaces it); NotFound without a MANIFEST.
  static absl::StatusOr<std::unique_ptr<FrameCacheReader>> Open(
      const std::string& dir, const FrameCacheReaderOptions& options = {});

  // NotFound when the video is not cached; DataLoss naming the shard and the
  // video when its bytes fail their checksum.
  absl::StatusOr<CachedFrames> Find(const std::string& video_id) const;
  bool Contains(const std::string& video_id) const;

  int64_t num_videos() const { return static_cast<int64_t>(by_id_.size()); }
  const FrameCacheManifest& manifest() const { return manifest_; }
  // Every video id, in shard order.
  std::vector<std::string> VideoIds() const;

  // Reads every byte: each shard's whole-file CRC and each video's CRC.
  // DataLoss listing every problem found (shard and video), else OK.
  absl::Status VerifyAll() const;

 private:
  struct Shard {
    std::string name;
    std::unique_ptr<MappedFile> file;
    FrameCacheShardIndex index;
  };
  struct Location {
    int shard;
    int entry;
  };
  FrameCacheReader(std::string dir, FrameCacheReaderOptions options)
      : dir_(std::move(dir)), options_(options) {}
  absl::Status CheckEntry(const Shard& shard, const FrameCacheEntry& entry) const;

  std::string dir_;
  FrameCacheReaderOptions options_;
  FrameCacheManifest manifest_;
  std::vector<Shard> shards_;
  absl::flat_hash_map<std::string, Location> by_id_;
};

}  // namespace camoe::data

#endif  // CAMOE_WORKER_DATA_FRAME_CACHE_H_
