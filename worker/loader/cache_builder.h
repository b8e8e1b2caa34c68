// BuildFrameCache: decodes each video of a job once into the frame cache
// (`camoe cache-frames`, docs/data.md). `threads` decoder threads sample
// frames through a FrameSource (so the cache holds exactly the bytes the
// loader would decode); the calling thread is the one writer, adding clips in
// completion order. Videos already in the cache are skipped, so a build that
// stopped (crash, Ctrl-C, a full disk) continues with `resume`; unreadable
// videos are counted and named, never written. The caller decides from the
// summary whether too many failed.
//
// One call at a time per cache folder (the cache's LOCK enforces it); the
// function owns its threads and joins them before returning.
#ifndef CAMOE_WORKER_LOADER_CACHE_BUILDER_H_
#define CAMOE_WORKER_LOADER_CACHE_BUILDER_H_

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "worker/data/dataset.h"

namespace camoe::data {

struct CacheBuildOptions {
  int num_frames = 12;  // frames sampled per video
  int size = 224;       // frames are size x size
  int threads = 4;      // decoder threads (each decodes one video at a time)
  // Continue the cache already in the folder (interrupted, or complete and
  // now given more videos). Without it the folder must hold no cache.
  bool resume = false;
  uint64_t shard_bytes = uint64_t{1} << 30;  // see FrameCacheWriterOptions
  // Progress goes here (null: none). With `redraw` one line is redrawn with
  // '\r' (a terminal); otherwise a line is printed every
  // `progress_interval_seconds` (logs), and 0 prints one per video.
  std::ostream* progress = nullptr;
  bool redraw = false;
  double progress_interval_seconds = 5;
  // Test hook that simulates an interrupted run: stop once this many videos
  // were added in this call and return without finishing the cache, as a
  // crash would (the shard being written is lost). < 0: no limit.
  int64_t stop_after = -1;
};

struct CacheBuildFailure {
  std::string video;  // the file, or the id when no file was found
  std::string reason;
};

struct CacheBuildSummary {
  int64_t total = 0;                        // distinct videos (cache keys) asked for
  int64_t added = 0;                        // decoded and written by this call
  int64_t already_present = 0;              // in the cache before this call (resume)
  int64_t failed = 0;                       // missing or unreadable: not cached
  std::vector<CacheBuildFailure> failures;  // every failure, in the order given
  int64_t truncated_used = 0;               // cut-off files whose readable part was cached
  int64_t stale = 0;                        // present entries whose file changed since caching
  std::vector<std::string> stale_examples;  // up to 5 such files
  int64_t bytes_added = 0;                  // frame bytes written by this call
  int64_t cache_videos = 0;                 // videos in the cache afterwards
  int64_t cache_bytes = 0;                  // its shard files on disk afterwards
  double seconds = 0;
  bool stopped_early = false;      // stop_after was reached; the cache is unfinished
  std::vector<std::string> notes;  // what resuming found and repaired
};

// The distinct videos of `splits` by CacheKey, first occurrence first: a
// video shared by splits (or by captions) is cached once; segments of one
// file are separate entries.
std::vector<VideoRecord> CacheVideos(const std::vector<const DatasetSplit*>& splits);

// Caches `videos` (resolved paths; an empty path is a missing video) into
// `dir`. Errors: a folder holding a cache without options.resume, a cache made
// with other num_frames/size (FailedPrecondition, saying what to do), and I/O
// errors writing the cache (the work done so far is kept for --resume).
absl::StatusOr<CacheBuildSummary> BuildFrameCache(const std::string& dir,
                                                  const std::vector<VideoRecord>& videos,
                                                  const CacheBuildOptions& options);

// The final report: counts, the first `max_failures` failures named, bytes,
// time and rate.
std::string DescribeCacheBuild(const CacheBuildSummary& summary, int max_failures = 5);

}  // namespace camoe::data

#endif  // CAMOE_WORKER_LOADER_CACHE_BUILDER_H_
