// Times the loader reading every video of a dataset through BatchLoader, from
// the frame cache or by decoding (not a test; docs/data.md reports it).
// Prints videos/s, frame MB/s, the consumer's wait and the source's counters.
//
//   build/tests/loader_bench --dataset=data.pbtxt --size=64 --threads=2 [--cache=DIR]
#include <chrono>
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "common/cli.h"
#include "common/text_proto.h"
#include "worker/data/dataset.h"
#include "worker/data/video_paths.h"
#include "worker/loader/batch_loader.h"
#include "worker/loader/cache_builder.h"
#include "worker/loader/frame_source.h"

namespace camoe {
namespace {

int Run(const std::vector<std::string>& args) {
  std::string dataset, cache;
  int64_t size = 224, threads = 2, batch_size = 16, prefetch = 2, epochs = 1, num_frames = 0;
  int64_t memory_mb = 0;
  FlagSet flags("loader_bench --dataset=DATA.pbtxt [--cache=DIR]",
                "Reads every train and eval video once per epoch through BatchLoader.");
  flags.AddString("dataset", &dataset, "a bare DataConfig (protobuf text format)");
  flags.AddString("cache", &cache, "frame cache folder; empty: decode");
  flags.AddInt("size", &size, "frame side");
  flags.AddInt("num_frames", &num_frames, "frames per video; 0: data.num_frames");
  flags.AddInt("threads", &threads, "loader threads");
  flags.AddInt("batch_size", &batch_size, "videos per batch");
  flags.AddInt("prefetch", &prefetch, "prefetch_batches");
  flags.AddInt("epochs", &epochs, "passes over the videos");
  flags.AddInt("memory_mb", &memory_mb, "FrameSource LRU budget (0: none, every epoch decodes)");
  std::vector<std::string> rest;
  if (absl::Status s = flags.Parse(args, &rest); !s.ok() || dataset.empty()) {
    std::cerr << s.message() << "\n" << flags.Help("loader_bench");
    return 2;
  }
  DataConfig config;
  if (absl::Status s = ParseTextProtoFile(dataset, &config); !s.ok()) {
    std::cerr << s.message() << "\n";
    return 1;
  }
  std::vector<data::DatasetSplit> splits;
  for (data::SplitRole role : {data::SplitRole::kTrain, data::SplitRole::kEval}) {
    auto split = data::LoadSplit(config, role);
    if (!split.ok()) {
      std::cerr << split.status().message() << "\n";
      return 1;
    }
    data::ResolveVideoPaths(data::VideoPathOptionsFromConfig(config), &*split);
    splits.push_back(std::move(*split));
  }
  // One split holding every distinct video once, as the cache does.
  data::DatasetSplit all;
  all.videos = data::CacheVideos({&splits[0], &splits[1]});
  for (int32_t v = 0; v < static_cast<int32_t>(all.videos.size()); ++v) {
    all.captions.push_back({"", v});
  }
  std::vector<std::vector<data::TrainSample>> batches;
  for (int64_t e = 0; e < epochs; ++e) {
    for (int32_t v = 0; v < static_cast<int32_t>(all.videos.size()); ++v) {
      if (v % batch_size == 0) batches.emplace_back();
      batches.back().push_back({v, v});
    }
  }
  data::FrameSourceOptions options;
  options.num_frames = num_frames > 0 ? static_cast<int>(num_frames) : config.num_frames();
  options.size = static_cast<int>(size);
  options.cache_dir = cache;
  options.memory_budget_bytes = memory_mb << 20;
  auto source = data::FrameSource::Create(options);
  if (!source.ok()) {
    std::cerr << source.status().message() << "\n";
    return 1;
  }
  const auto start = std::chrono::steady_clock::now();
  int64_t videos = 0, bytes = 0;
  data::LoaderStats stats;
  {
    data::BatchLoader loader(source->get(), &all, batches,
                             {static_cast<int>(threads), static_cast<int>(prefetch)});
    while (auto batch = loader.Next()) {
      videos += static_cast<int64_t>(batch->samples.size());
      bytes += static_cast<int64_t>(batch->pixels.size());
    }
    stats = loader.stats();
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const data::FrameSourceStats s = (*source)->stats();
  std::cout << absl::StrFormat(
      "%s: %d videos in %.2f s: %.1f videos/s, %.1f MB/s of frames (%d x %dx%d); consumer "
      "waited %.2f s; cache hits %d, memory hits %d, decodes %d (%.2f s), bad %d, dropped %d\n",
      cache.empty() ? "decode" : "cache", videos, seconds, videos / seconds, bytes / seconds / 1e6,
      options.num_frames, options.size, options.size, stats.wait_seconds, s.cache_hits,
      s.memory_hits, s.decodes, s.decode_seconds, s.bad, stats.dropped);
  return 0;
}

}  // namespace
}  // namespace camoe

int main(int argc, char** argv) {
  return camoe::Run(std::vector<std::string>(argv + 1, argv + argc));
}
