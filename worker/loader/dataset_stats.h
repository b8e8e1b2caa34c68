// Dataset statistics for `camoe dataset-stats` (docs/data.md): per split,
// videos and captions, captions per video, caption length in words and in
// CLIP BPE tokens (and how many captions max_words truncates), videos missing
// on disk and, optionally, what ProbeVideo says about every found file
// (unreadable ones named; duration, frame rate, resolution, codec).
// Tokenizing is a callback so this library needs no tokenizer; probing and
// tokenizing run on `threads` threads that ComputeSplitStats owns and joins.
// The functions are stateless; results are plain values.
#ifndef CAMOE_WORKER_LOADER_DATASET_STATS_H_
#define CAMOE_WORKER_LOADER_DATASET_STATS_H_

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "worker/data/dataset.h"
#include "worker/data/video_paths.h"

namespace camoe::data {

// min, mean, nearest-rank percentiles (the smallest value with at least p %
// of the values at or below it) and max; all 0 when count is 0.
struct Distribution {
  int64_t count = 0;
  double min = 0;
  double mean = 0;
  double p50 = 0;
  double p95 = 0;
  double max = 0;
};
Distribution Summarize(std::vector<double> values);

struct ProbeStats {
  int64_t readable = 0;
  std::vector<std::pair<std::string, std::string>> unreadable;  // path, reason; sorted by path
  Distribution duration_seconds;
  Distribution fps;
  Distribution width;
  Distribution height;
  // The most common "WxH" and codecs with their counts, most common first (at most 5 each).
  std::vector<std::pair<std::string, int64_t>> resolutions;
  std::vector<std::pair<std::string, int64_t>> codecs;
};

struct SplitStats {
  std::string role;         // "train" or "eval"
  std::string description;  // DescribeSplit: dataset, split, counts
  int64_t videos = 0;
  int64_t captions = 0;
  Distribution captions_per_video;
  Distribution words;  // whitespace-separated words per caption
  bool has_tokens = false;
  Distribution tokens;  // CLIP BPE tokens per caption, without SOT/EOT
  int max_words = 32;
  // Captions the model sees cut: tokens + 2 (SOT, EOT) > max_words.
  int64_t over_max_words = 0;
  int64_t videos_found = 0;
  int64_t videos_missing = 0;
  std::vector<std::string> missing_examples;  // from VideoPathReport
  bool probed = false;
  ProbeStats probe;
};

// Token count of one caption; an error stops the statistics.
using TokenCounter = std::function<absl::StatusOr<int>(const std::string& text)>;

struct DatasetStatsOptions {
  int max_words = 32;         // tokenizer.max_words (SOT and EOT included)
  TokenCounter count_tokens;  // empty: no token statistics
  bool probe = false;         // ProbeVideo every found video
  int threads = 4;            // for tokenizing and probing
};

// `split` must have gone through ResolveVideoPaths, which gave `paths`.
absl::StatusOr<SplitStats> ComputeSplitStats(const DatasetSplit& split, SplitRole role,
                                             const VideoPathReport& paths,
                                             const DatasetStatsOptions& options);

// Human-readable lines, starting with "train: " or "eval: ".
std::string FormatSplitStats(const SplitStats& stats);
// One JSON object (no trailing newline).
std::string SplitStatsJson(const SplitStats& stats);

}  // namespace camoe::data

#endif  // CAMOE_WORKER_LOADER_DATASET_STATS_H_
