#include "worker/loader/frame_source.h"

#include <chrono>
#include <cstring>

#include "absl/strings/str_format.h"
#include "worker/video/video_decoder.h"

namespace camoe::data {

std::string CacheKey(const VideoRecord& video) {
  if (video.start_seconds < 0 && video.end_seconds < 0) return video.id;
  return absl::StrFormat("%s@%.3f-%.3f", video.id, video.start_seconds, video.end_seconds);
}

std::map<std::string, std::string> FrameCacheMetadata(int num_frames, int size) {
  // "sampling" and "preprocess" name the rules in docs/video.md; change their
  // values when a rule changes, so old caches are refused rather than mixed.
  return {{"num_frames", std::to_string(num_frames)},
          {"size", std::to_string(size)},
          {"sampling", "segment centres v1 (docs/video.md)"},
          {"preprocess", "short side bicubic, centre crop, RGB uint8 HWC"}};
}

absl::StatusOr<std::unique_ptr<FrameSource>> FrameSource::Create(const FrameSourceOptions& options) {
  if (options.num_frames < 1 || options.size < 1) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "frame source needs num_frames >= 1 and size >= 1 (got %d, %d)", options.num_frames,
        options.size));
  }
  std::unique_ptr<FrameSource> source(new FrameSource(options));
  if (!options.cache_dir.empty()) {
    auto reader = FrameCacheReader::Open(options.cache_dir, {});
    if (!reader.ok()) return reader.status();
    // Frames sampled with another N are other frames even where the count
    // fits (N = 8 picks other times than N = 12), so the settings must match.
    const auto& stored = (*reader)->manifest().metadata();
    const auto wanted = FrameCacheMetadata(options.num_frames, options.size);
    for (const char* key : {"num_frames", "size"}) {
      auto it = stored.find(key);
      if (it != stored.end() && it->second != wanted.at(key)) {
        return absl::FailedPreconditionError(absl::StrFormat(
            "%s: the frame cache holds frames made with num_frames=%s size=%s, but this job "
            "samples num_frames=%d size=%d; build a cache for these settings (camoe "
            "cache-frames --out=ANOTHER_DIR) or clear data.frame_cache_dir to decode",
            options.cache_dir, stored.count("num_frames") ? stored.at("num_frames") : "?",
            stored.count("size") ? stored.at("size") : "?", options.num_frames, options.size));
      }
    }
    source->cache_ = std::move(*reader);
  }
  return source;
}

void FrameSource::Remember(const std::string& key, std::shared_ptr<const ClipFrames> clip) {
  // REQUIRES: mu_ held.
  if (clip->bytes() > options_.memory_budget_bytes) return;
  lru_.emplace_front(key, std::move(clip));
  lru_index_[key] = lru_.begin();
  lru_bytes_ += lru_.front().second->bytes();
  while (lru_bytes_ > options_.memory_budget_bytes && !lru_.empty()) {
    lru_bytes_ -= lru_.back().second->bytes();
    lru_index_.erase(lru_.back().first);
    lru_.pop_back();
  }
}

absl::StatusOr<std::shared_ptr<const ClipFrames>> FrameSource::Get(const VideoRecord& video) {
  const std::string key = CacheKey(video);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto bad = bad_.find(video.path.empty() ? key : video.path); bad != bad_.end()) {
      return absl::DataLossError(absl::StrFormat("%s: %s (skipped before)", bad->first, bad->second));
    }
    if (auto it = lru_index_.find(key); it != lru_index_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second);
      ++stats_.memory_hits;
      return lru_.front().second;
    }
  }
  if (cache_ != nullptr && cache_->Contains(key)) {
    auto cached = cache_->Find(key);
    if (!cached.ok()) {
      // The CRC error names shard and video. The video file is still the
      // truth, so decode it rather than drop the sample; the problem is
      // counted and kept for the log.
      NoteCacheProblem(&FrameSourceStats::cache_damaged, std::string(cached.status().message()));
    } else if (cached->entry != nullptr && !video.path.empty()) {
      auto now = StatSourceFile(video.path);
      if (now.ok() && IsStale(*cached->entry, *now)) {
        NoteCacheProblem(&FrameSourceStats::cache_stale,
                         absl::StrFormat("%s: changed since it was cached in %s; decoding it "
                                         "(rebuild the cache to refresh it)",
                                         video.path, *cached->shard));
        cached = absl::FailedPreconditionError("stale");
      }
    }
    if (cached.ok() && cached->height == options_.size && cached->width == options_.size &&
        cached->frame_count <= options_.num_frames) {
      auto clip = std::make_shared<ClipFrames>();
      clip->pixels.assign(cached->bytes.begin(), cached->bytes.end());
      clip->valid_frames = cached->frame_count;
      clip->size = cached->width;
      clip->from_cache = true;
      if (cached->entry != nullptr) {
        clip->timestamps.assign(cached->entry->timestamps().begin(),
                                cached->entry->timestamps().end());
      }
      std::lock_guard<std::mutex> lock(mu_);
      ++stats_.cache_hits;
      return std::shared_ptr<const ClipFrames>(std::move(clip));
    }
    // A damaged, stale or mismatched entry falls back to decoding the source.
  }
  return Decode(video);
}

absl::StatusOr<std::shared_ptr<const ClipFrames>> FrameSource::Decode(const VideoRecord& video) {
  const std::string key = CacheKey(video);
  const std::string name = video.path.empty() ? key : video.path;
  auto fail = [&](const std::string& reason) -> absl::Status {
    std::lock_guard<std::mutex> lock(mu_);
    if (bad_.emplace(name, reason).second) ++stats_.bad;
    return absl::DataLossError(absl::StrFormat("%s: %s", name, reason));
  };
  if (video.path.empty()) return fail("no video file found for this id");
  video::SampleOptions options;
  options.num_frames = options_.num_frames;
  options.size = options_.size;
  options.start_seconds = video.start_seconds;
  options.end_seconds = video.end_seconds;
  const auto start = std::chrono::steady_clock::now();
  auto sampled = video::SampleFrames(video.path, options);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!sampled.ok()) return fail(std::string(sampled.status().message()));
  if (sampled->valid_frames == 0) return fail("no decodable frames");
  bool truncated_used = false;
  if (sampled->truncated) {
    const double share = static_cast<double>(sampled->valid_frames) / options_.num_frames;
    if (share < options_.min_truncated_fraction) {
      return fail(absl::StrFormat("truncated: only %d of %d frames readable (%s)",
                                  sampled->valid_frames, options_.num_frames, sampled->problem));
    }
    truncated_used = true;
  }
  auto clip = std::make_shared<ClipFrames>();
  const int64_t frame_bytes = static_cast<int64_t>(options_.size) * options_.size * 3;
  clip->pixels.resize(frame_bytes * sampled->valid_frames);
  for (int f = 0; f < sampled->valid_frames; ++f) {
    std::memcpy(clip->pixels.data() + f * frame_bytes, sampled->frames[f].data(), frame_bytes);
  }
  clip->timestamps = sampled->timestamps;
  clip->valid_frames = sampled->valid_frames;
  clip->size = options_.size;
  std::shared_ptr<const ClipFrames> result = std::move(clip);
  std::lock_guard<std::mutex> lock(mu_);
  ++stats_.decodes;
  stats_.decode_seconds += seconds;
  if (truncated_used) ++stats_.truncated_used;
  Remember(key, result);
  return result;
}

void FrameSource::NoteCacheProblem(int64_t FrameSourceStats::*counter, std::string message) {
  std::lock_guard<std::mutex> lock(mu_);
  ++(stats_.*counter);
  if (static_cast<int>(cache_problems_.size()) < kMaxCacheProblems) {
    cache_problems_.push_back(std::move(message));
  }
}

std::vector<std::string> FrameSource::cache_problems() const {
  std::lock_guard<std::mutex> lock(mu_);
  return cache_problems_;
}

FrameSourceStats FrameSource::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

std::vector<std::pair<std::string, std::string>> FrameSource::bad_videos() const {
  std::lock_guard<std::mutex> lock(mu_);
  return {bad_.begin(), bad_.end()};
}

}  // namespace camoe::data
