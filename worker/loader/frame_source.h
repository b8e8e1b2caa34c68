// FrameSource: the sampled frames of dataset videos, from the frame cache
// when it holds the video at the wanted frame count and size, decoded with
// FFmpeg otherwise. A cache made with other settings (its metadata, see
// FrameCacheMetadata) is refused at Create; a damaged entry (CRC) or a stale
// one (the video file changed since caching) is decoded instead, counted and
// named in cache_problems(). Decoded clips are kept in a byte-bounded LRU so
// a video with many captions is decoded once per epoch when the budget allows
// (the frame cache removes decoding altogether: docs/data.md).
//
// A video that cannot be read (missing, corrupt, truncated to nothing) is
// remembered with its reason and never retried or fed as zeros; callers skip
// it and count it. Thread-safe: many loader threads call Get at once.
#ifndef CAMOE_WORKER_LOADER_FRAME_SOURCE_H_
#define CAMOE_WORKER_LOADER_FRAME_SOURCE_H_

#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "worker/data/dataset.h"
#include "worker/data/frame_cache.h"

namespace camoe::data {

// One video's frames: `valid_frames` frames of size x size RGB, HWC, back to back.
struct ClipFrames {
  std::vector<uint8_t> pixels;
  std::vector<double> timestamps;
  int valid_frames = 0;
  int size = 0;
  bool from_cache = false;
  int64_t bytes() const { return static_cast<int64_t>(pixels.size()); }
};

struct FrameSourceOptions {
  int num_frames = 12;            // frames sampled per video
  int size = 224;                 // frames are size x size (short side resize + centre crop)
  std::string cache_dir;          // frame cache (camoe cache-frames); empty: decode only
  int64_t memory_budget_bytes = int64_t{1} << 30;  // LRU of decoded clips
  // A truncated file whose readable part yields at least this share of the
  // wanted frames is used (and counted); below it the video is bad.
  double min_truncated_fraction = 0.5;
};

struct FrameSourceStats {
  int64_t cache_hits = 0;    // served from the frame cache
  int64_t memory_hits = 0;   // served from the LRU
  int64_t decodes = 0;       // decoded with FFmpeg
  int64_t truncated_used = 0;
  int64_t bad = 0;           // distinct videos that could not be read
  int64_t cache_damaged = 0;  // cache reads that failed their CRC (decoded instead)
  int64_t cache_stale = 0;    // cache reads whose video changed since caching (decoded instead)
  double decode_seconds = 0;
};

class FrameSource {
 public:
  static absl::StatusOr<std::unique_ptr<FrameSource>> Create(const FrameSourceOptions& options);

  // The frames of `video` (its resolved `path`, segment start/end). Errors name
  // the file and reason; a video that failed once fails again at once.
  absl::StatusOr<std::shared_ptr<const ClipFrames>> Get(const VideoRecord& video);

  FrameSourceStats stats() const;
  // Bad videos and why, sorted by path (for reports and the bad-fraction check).
  std::vector<std::pair<std::string, std::string>> bad_videos() const;
  // The first kMaxCacheProblems damaged or stale cache entries, each naming
  // the shard or the video file; for the log.
  std::vector<std::string> cache_problems() const;
  static constexpr int kMaxCacheProblems = 20;
  const FrameSourceOptions& options() const { return options_; }

 private:
  explicit FrameSource(FrameSourceOptions options) : options_(std::move(options)) {}
  absl::StatusOr<std::shared_ptr<const ClipFrames>> Decode(const VideoRecord& video);
  void Remember(const std::string& key, std::shared_ptr<const ClipFrames> clip);
  // Counts a cache entry that cannot be used and keeps its message.
  void NoteCacheProblem(int64_t FrameSourceStats::*counter, std::string message);

  FrameSourceOptions options_;
  std::unique_ptr<FrameCacheReader> cache_;
  mutable std::mutex mu_;
  // LRU: most recent at the front.
  std::list<std::pair<std::string, std::shared_ptr<const ClipFrames>>> lru_;  // GUARDED_BY(mu_)
  std::map<std::string, decltype(lru_)::iterator> lru_index_;               // GUARDED_BY(mu_)
  int64_t lru_bytes_ = 0;                                                    // GUARDED_BY(mu_)
  std::map<std::string, std::string> bad_;                                   // GUARDED_BY(mu_)
  FrameSourceStats stats_;                                                   // GUARDED_BY(mu_)
  std::vector<std::string> cache_problems_;                                  // GUARDED_BY(mu_)
};

// The key a video is cached under: its id, plus the segment when it has one.
std::string CacheKey(const VideoRecord& video);

// The frame cache metadata for frames sampled as this source samples them:
// num_frames, size and the sampling and preprocessing rules. `camoe
// cache-frames` stores it; Create refuses a cache whose num_frames or size
// differ, and the writer refuses to extend a cache made with other metadata.
std::map<std::string, std::string> FrameCacheMetadata(int num_frames, int size);

}  // namespace camoe::data

#endif  // CAMOE_WORKER_LOADER_FRAME_SOURCE_H_
