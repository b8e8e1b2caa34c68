#include "worker/loader/cache_builder.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <mutex>
#include <thread>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/file_util.h"
#include "common/status_macros.h"
#include "worker/data/frame_cache.h"
#include "worker/loader/frame_source.h"

namespace camoe::data {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string Duration(double seconds) {
  const int64_t s = static_cast<int64_t>(seconds + 0.5);
  if (s >= 3600) return absl::StrFormat("%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
  return absl::StrFormat("%d:%02d", s / 60, s % 60);
}

std::string Bytes(int64_t bytes) {
  if (bytes >= (int64_t{1} << 30)) return absl::StrFormat("%.2f GiB", bytes / 1073741824.0);
  return absl::StrFormat("%.1f MiB", bytes / 1048576.0);
}

// A decoded (or failed) video on its way from a decoder thread to the writer.
struct Decoded {
  size_t index = 0;                        // into the to-do list
  std::shared_ptr<const ClipFrames> clip;  // null on failure
  std::string error;
  SourceStamp stamp;
};

// Decodes one video through `source` (the loader's own path, so the cache
// holds exactly the bytes the loader would decode).
Decoded DecodeOne(FrameSource& source, const VideoRecord& video, size_t index) {
  Decoded result;
  result.index = index;
  if (video.path.empty()) {
    result.error = "no video file found";
    return result;
  }
  // Stamp before decoding: a file replaced meanwhile then reads as stale.
  if (auto stamp = StatSourceFile(video.path); stamp.ok()) result.stamp = *stamp;
  auto clip = source.Get(video);
  if (clip.ok()) {
    result.clip = std::move(*clip);
    return result;
  }
  // FrameSource prefixes "path: "; the failure names the file apart.
  std::string message(clip.status().message());
  const std::string prefix = video.path + ": ";
  if (message.rfind(prefix, 0) == 0) message = message.substr(prefix.size());
  result.error = message;
  return result;
}

FramesToCache ToCache(const Decoded& d) {
  FramesToCache frames;
  frames.bytes =
      std::string_view(reinterpret_cast<const char*>(d.clip->pixels.data()), d.clip->pixels.size());
  frames.frame_count = d.clip->valid_frames;
  frames.height = d.clip->size;
  frames.width = d.clip->size;
  frames.timestamps = d.clip->timestamps;
  frames.source = d.stamp;
  return frames;
}

// The progress line: on a terminal one line redrawn in place at most 4 times
// a second (more would cost more than it tells); in a log a line every
// interval, so a long build leaves a readable trail.
class Progress {
 public:
  Progress(const CacheBuildOptions& options, int64_t total)
      : options_(options), total_(total), start_(Clock::now()), last_(start_) {}

  void Update(int64_t done, int64_t failed, bool final) {
    if (options_.progress == nullptr) return;
    const double interval = options_.redraw ? 0.25 : options_.progress_interval_seconds;
    if (!final && SecondsSince(last_) < interval) return;
    if (final && !options_.redraw) return;  // the summary follows
    last_ = Clock::now();
    const double elapsed = SecondsSince(start_);
    const double rate = elapsed > 0 ? done / elapsed : 0;
    const std::string eta = rate > 0 ? Duration((total_ - done) / rate) : "?";
    std::string line = absl::StrFormat(
        "cache-frames: %d/%d videos (%.1f%%), %.1f videos/s, ETA %s, %d failed", done, total_,
        total_ > 0 ? 100.0 * done / total_ : 100.0, rate, eta, failed);
    if (options_.redraw) {
      *options_.progress << "\r" << line << "\033[K" << (final ? "\n" : "") << std::flush;
    } else {
      *options_.progress << line << "\n" << std::flush;
    }
  }

 private:
  const CacheBuildOptions& options_;
  const int64_t total_;
  const Clock::time_point start_;
  Clock::time_point last_;
};

// Says what the folder holds when the user did not ask to resume it, or
// resumes it with other settings: clearer than the writer's generic refusal.
absl::Status CheckExistingCache(const std::string& dir, const CacheBuildOptions& options) {
  if (!FileExists((std::filesystem::path(dir) / "MANIFEST").string())) return absl::OkStatus();
  FrameCacheReaderOptions reader_options;
  reader_options.verify_checksums = false;
  auto reader = FrameCacheReader::Open(dir, reader_options);
  if (!reader.ok()) return absl::OkStatus();  // damaged: the writer repairs it (or refuses)
  const auto& stored = (*reader)->manifest().metadata();
  auto get = [&](const std::string& key) {
    auto it = stored.find(key);
    return it == stored.end() ? std::string("?") : it->second;
  };
  const std::string settings =
      absl::StrFormat("num_frames=%s size=%s", get("num_frames"), get("size"));
  if (!options.resume) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "%s already holds %s frame cache (%d videos, %s); pass --resume to %s, or choose "
        "another --out",
        dir, (*reader)->manifest().complete() ? "a complete" : "an interrupted",
        (*reader)->num_videos(), settings,
        (*reader)->manifest().complete() ? "add the videos it lacks" : "continue it"));
  }
  if (get("num_frames") != std::to_string(options.num_frames) ||
      get("size") != std::to_string(options.size)) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "%s holds frames made with %s, but this run asks for num_frames=%d size=%d; a cache "
        "holds one setting: choose another --out (or delete %s to rebuild it)",
        dir, settings, options.num_frames, options.size, dir));
  }
  return absl::OkStatus();
}

// Counts present entries whose video file changed since they were cached.
void FindStale(const std::string& dir, const std::vector<const VideoRecord*>& present,
               CacheBuildSummary* summary) {
  FrameCacheReaderOptions reader_options;
  reader_options.verify_checksums = false;
  auto reader = FrameCacheReader::Open(dir, reader_options);
  if (!reader.ok()) return;
  for (const VideoRecord* video : present) {
    if (video->path.empty()) continue;
    auto cached = (*reader)->Find(CacheKey(*video));
    auto now = StatSourceFile(video->path);
    if (!cached.ok() || cached->entry == nullptr || !now.ok()) continue;
    if (IsStale(*cached->entry, *now)) {
      ++summary->stale;
      if (summary->stale_examples.size() < 5) summary->stale_examples.push_back(video->path);
    }
  }
}

int64_t ShardBytesOnDisk(const std::string& dir) {
  int64_t total = 0;
  std::error_code ec;
  for (const auto& file : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = file.path().filename().string();
    if (name.rfind("shard-", 0) == 0 && name.size() > 4 && name.substr(name.size() - 4) == ".cfc") {
      total += static_cast<int64_t>(file.file_size(ec));
    }
  }
  return total;
}

}  // namespace

std::vector<VideoRecord> CacheVideos(const std::vector<const DatasetSplit*>& splits) {
  std::vector<VideoRecord> videos;
  absl::flat_hash_set<std::string> seen;
  for (const DatasetSplit* split : splits) {
    for (const VideoRecord& video : split->videos) {
      if (seen.insert(CacheKey(video)).second) videos.push_back(video);
    }
  }
  return videos;
}

absl::StatusOr<CacheBuildSummary> BuildFrameCache(const std::string& dir,
                                                  const std::vector<VideoRecord>& videos,
                                                  const CacheBuildOptions& options) {
  const Clock::time_point start = Clock::now();
  CAMOE_RETURN_IF_ERROR(CheckExistingCache(dir, options));
  FrameSourceOptions source_options;
  source_options.num_frames = options.num_frames;
  source_options.size = options.size;
  source_options.memory_budget_bytes = 0;  // each video is decoded once: nothing to reuse
  CAMOE_ASSIGN_OR_RETURN(std::unique_ptr<FrameSource> source, FrameSource::Create(source_options));

  FrameCacheWriterOptions writer_options;
  writer_options.shard_bytes = options.shard_bytes;
  writer_options.resume = options.resume;
  writer_options.metadata = FrameCacheMetadata(options.num_frames, options.size);
  CAMOE_ASSIGN_OR_RETURN(std::unique_ptr<FrameCacheWriter> writer,
                         FrameCacheWriter::Open(dir, writer_options));

  CacheBuildSummary summary;
  summary.notes = writer->notes();
  std::vector<const VideoRecord*> todo, present;
  absl::flat_hash_set<std::string> keys;
  for (const VideoRecord& video : videos) {
    const std::string key = CacheKey(video);
    if (!keys.insert(key).second) continue;  // the caller passed a duplicate: cache it once
    (writer->Contains(key) ? present : todo).push_back(&video);
  }
  summary.total = static_cast<int64_t>(keys.size());
  summary.already_present = static_cast<int64_t>(present.size());
  if (!present.empty()) FindStale(dir, present, &summary);

  // Decoder threads take videos in order and queue results for this thread,
  // which writes them; the queue is bounded so a slow disk holds back the
  // decoders instead of filling memory.
  std::mutex mu;
  std::condition_variable ready_cv, space_cv;
  std::deque<Decoded> ready;  // GUARDED_BY(mu)
  size_t next = 0;            // GUARDED_BY(mu)
  bool stop = false;          // GUARDED_BY(mu)
  const int threads = static_cast<int>(
      std::clamp<int64_t>(std::min<int64_t>(options.threads, todo.size()), 1, 1024));
  int running = threads;  // GUARDED_BY(mu)
  const size_t max_ready = 2 * static_cast<size_t>(threads);
  auto decode = [&] {
    while (true) {
      size_t index;
      {
        std::unique_lock<std::mutex> lock(mu);
        space_cv.wait(lock, [&] { return stop || ready.size() < max_ready; });
        if (stop || next >= todo.size()) break;
        index = next++;
      }
      Decoded result = DecodeOne(*source, *todo[index], index);
      std::lock_guard<std::mutex> lock(mu);
      ready.push_back(std::move(result));
      ready_cv.notify_one();
    }
    std::lock_guard<std::mutex> lock(mu);
    --running;
    ready_cv.notify_one();
  };
  std::vector<std::thread> pool;
  if (!todo.empty()) {
    for (int t = 0; t < threads; ++t) pool.emplace_back(decode);
  }
  auto stop_pool = [&] {
    {
      std::lock_guard<std::mutex> lock(mu);
      stop = true;
    }
    space_cv.notify_all();
    for (std::thread& t : pool) t.join();
    pool.clear();
  };

  Progress progress(options, static_cast<int64_t>(todo.size()));
  std::vector<std::pair<size_t, CacheBuildFailure>> failures;
  int64_t done = 0;
  absl::Status write_error;
  while (!pool.empty()) {
    std::deque<Decoded> batch;
    {
      std::unique_lock<std::mutex> lock(mu);
      ready_cv.wait_for(lock, std::chrono::milliseconds(250),
                        [&] { return !ready.empty() || running == 0; });
      batch.swap(ready);
      if (batch.empty() && running == 0) break;
    }
    space_cv.notify_all();
    for (Decoded& d : batch) {
      const VideoRecord& video = *todo[d.index];
      ++done;
      if (d.clip == nullptr) {
        failures.push_back(
            {d.index, {video.path.empty() ? video.id : video.path, std::move(d.error)}});
        continue;
      }
      write_error = writer->Add(CacheKey(video), ToCache(d));
      if (!write_error.ok()) break;
      ++summary.added;
      summary.bytes_added += d.clip->bytes();
      if (options.stop_after >= 0 && summary.added >= options.stop_after) break;
    }
    progress.Update(done, static_cast<int64_t>(failures.size()), false);
    if (!write_error.ok() || (options.stop_after >= 0 && summary.added >= options.stop_after)) {
      summary.stopped_early = write_error.ok();
      break;
    }
  }
  stop_pool();
  progress.Update(done, static_cast<int64_t>(failures.size()), true);
  if (!write_error.ok()) {
    return absl::Status(write_error.code(),
                        absl::StrCat(write_error.message(),
                                     "; the videos cached so far are kept: fix the problem and "
                                     "run again with --resume"));
  }

  std::sort(failures.begin(), failures.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& f : failures) summary.failures.push_back(std::move(f.second));
  summary.failed = static_cast<int64_t>(summary.failures.size());
  summary.truncated_used = source->stats().truncated_used;
  if (!summary.stopped_early) CAMOE_RETURN_IF_ERROR(writer->Finish());
  writer.reset();  // an unfinished writer abandons its shard, as a crash would
  // Count what is on disk now (after a stop, the abandoned shard's videos
  // are gone).
  FrameCacheReaderOptions reader_options;
  reader_options.verify_checksums = false;
  if (auto reader = FrameCacheReader::Open(dir, reader_options); reader.ok()) {
    summary.cache_videos = (*reader)->num_videos();
  }
  summary.cache_bytes = ShardBytesOnDisk(dir);
  summary.seconds = SecondsSince(start);
  return summary;
}

std::string DescribeCacheBuild(const CacheBuildSummary& s, int max_failures) {
  const double rate = s.seconds > 0 ? (s.added + s.failed) / s.seconds : 0;
  std::string out = absl::StrFormat(
      "cached %d videos (%s) in %.1f s (%.1f videos/s); %d already in the cache; %d failed\n",
      s.added, Bytes(s.bytes_added), s.seconds, rate, s.already_present, s.failed);
  for (int i = 0; i < static_cast<int>(s.failures.size()) && i < max_failures; ++i) {
    absl::StrAppend(&out, "  failed: ", s.failures[i].video, ": ", s.failures[i].reason, "\n");
  }
  if (static_cast<int>(s.failures.size()) > max_failures) {
    absl::StrAppend(&out, absl::StrFormat("  ... and %d more\n", s.failures.size() - max_failures));
  }
  if (s.truncated_used > 0) {
    absl::StrAppend(&out, absl::StrFormat("%d cut-off files: their readable part was cached\n",
                                          s.truncated_used));
  }
  if (s.stale > 0) {
    std::string examples;
    for (const std::string& e : s.stale_examples) absl::StrAppend(&examples, "\n  ", e);
    absl::StrAppend(
        &out,
        absl::StrFormat(
            "%d cached videos changed on disk since they were cached; the loader decodes them "
            "instead (build a new cache to refresh them), e.g.:%s\n",
            s.stale, examples));
  }
  for (const std::string& note : s.notes) absl::StrAppend(&out, "resume: ", note, "\n");
  absl::StrAppend(&out,
                  absl::StrFormat("the cache holds %d videos (%s on disk); this job has %d%s\n",
                                  s.cache_videos, Bytes(s.cache_bytes), s.total,
                                  s.stopped_early ? "; stopped early: unfinished" : ""));
  return out;
}

}  // namespace camoe::data
