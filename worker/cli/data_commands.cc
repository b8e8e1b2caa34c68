// camoe cache-frames and camoe dataset-stats (docs/data.md, docs/cli.md).
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "camoe/config.pb.h"
#include "common/config.h"
#include "common/file_util.h"
#include "common/json.h"
#include "common/text_proto.h"
#include "worker/cli/commands.h"
#include "worker/data/data_config.h"
#include "worker/data/video_paths.h"
#include "worker/loader/cache_builder.h"
#include "worker/loader/dataset_stats.h"
#include "worker/weights/clip_weights_file.h"

namespace camoe::cli {
namespace {

// What --dataset names: a whole JobSpec, or just its `data` message.
struct DatasetFile {
  DataConfig data;
  std::optional<JobSpec> job;
};

absl::StatusOr<DatasetFile> LoadDatasetFile(const std::string& path) {
  auto text = ReadFile(path);
  if (!text.ok()) return text.status();
  DatasetFile file;
  JobSpec job;
  const absl::Status as_job = ParseTextProto(*text, path, &job);
  if (as_job.ok()) {
    if (absl::Status s = ValidateJobSpec(job); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": ", s.message()));
    }
    file.data = job.data();
    file.job = std::move(job);
  } else {
    const absl::Status as_data = ParseTextProto(*text, path, &file.data);
    if (!as_data.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path,
                       " is neither a JobSpec nor a DataConfig (protobuf text format; see "
                       "docs/data.md).\nRead as a JobSpec: ",
                       as_job.message(), "\nRead as a DataConfig: ", as_data.message()));
    }
  }
  if (absl::Status s = data::ValidateDataConfig(file.data, "data"); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", s.message()));
  }
  return file;
}

// "train,eval" -> roles. Usage errors name the bad part.
absl::StatusOr<std::vector<data::SplitRole>> ParseSplits(const std::string& text) {
  std::vector<data::SplitRole> roles;
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    data::SplitRole role;
    if (part == "train") {
      role = data::SplitRole::kTrain;
    } else if (part == "eval") {
      role = data::SplitRole::kEval;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("--splits: '", std::string(part), "' is not train or eval"));
    }
    if (std::find(roles.begin(), roles.end(), role) == roles.end()) roles.push_back(role);
  }
  if (roles.empty()) return absl::InvalidArgumentError("--splits: name train, eval or both");
  return roles;
}

struct LoadedSplit {
  data::SplitRole role;
  data::DatasetSplit split;
  data::VideoPathReport paths;
};

// Loads the splits and finds their videos. Unless the roles were asked for
// explicitly, a JSONL/CSV role without an annotation file is skipped.
absl::StatusOr<std::vector<LoadedSplit>> LoadSplits(const DataConfig& config,
                                                    const std::vector<data::SplitRole>& roles,
                                                    bool explicit_roles, std::ostream& err,
                                                    const std::string& command) {
  std::vector<LoadedSplit> loaded;
  for (data::SplitRole role : roles) {
    const bool user_format = config.format() == DATASET_JSONL || config.format() == DATASET_CSV;
    const std::string& file =
        role == data::SplitRole::kTrain ? config.train_annotation() : config.eval_annotation();
    if (user_format && file.empty() && !explicit_roles) {
      err << "camoe " << command << ": no data." << data::SplitRoleName(role)
          << "_annotation; skipping the " << data::SplitRoleName(role) << " split\n";
      continue;
    }
    LoadedSplit s;
    s.role = role;
    auto split = data::LoadSplit(config, role);
    if (!split.ok()) return split.status();
    s.split = std::move(*split);
    s.paths = data::ResolveVideoPaths(data::VideoPathOptionsFromConfig(config), &s.split);
    loaded.push_back(std::move(s));
  }
  return loaded;
}

bool StderrIsTerminal(const std::ostream& err) {
  return &err == &std::cerr && isatty(STDERR_FILENO) != 0;
}

// The proto's float 0.01 is 0.0099999998; compare against what the user wrote.
double BadFractionLimit(const DataConfig& config) {
  return std::round(static_cast<double>(config.max_bad_video_fraction()) * 1e6) / 1e6;
}

struct CacheFlags {
  std::string dataset;
  std::string out;
  std::string splits;  // empty: train and eval
  int64_t threads = 0;
  bool resume = false;
  int64_t num_frames = 0;
  int64_t size = 0;
  int64_t shard_mb = 1024;
};

// The frame size: --size, else the JobSpec's model resolution (the weights'
// when model.clip_weights is set, as training does).
absl::StatusOr<int> ResolveSize(const CacheFlags& f, const DatasetFile& file, std::ostream& out,
                                std::ostream& err) {
  if (!file.job.has_value()) {
    if (f.size <= 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(f.dataset,
                       " is a bare DataConfig, which has no frame size: pass --size=S (the "
                       "model's image_resolution, 224 for OpenAI's CLIP)"));
    }
    return static_cast<int>(f.size);
  }
  int job_size = file.job->model().clip().vision().image_resolution();
  const std::string& weights = file.job->model().clip_weights();
  if (f.size > 0 && weights.empty()) {
    if (f.size != job_size) {
      err << absl::StrFormat(
          "camoe cache-frames: note: --size=%d, but the job trains at %d px "
          "(model.clip.vision.image_resolution), so it will refuse this cache\n",
          f.size, job_size);
    }
    return static_cast<int>(f.size);
  }
  if (f.size > 0) return static_cast<int>(f.size);
  if (!weights.empty()) {
    out << "reading the image resolution from " << weights << " (model.clip_weights)\n";
    auto clip = ReadClipWeights(weights);
    if (!clip.ok()) return clip.status();
    job_size = clip->config.vision().image_resolution();
  }
  return job_size;
}

}  // namespace

int CacheFrames(const Args& args, std::ostream& out, std::ostream& err) {
  CacheFlags f;
  FlagSet flags(
      "cache-frames --dataset=FILE --out=DIR [--splits=train,eval] [--threads=N] [--resume]",
      "Decodes every video of the dataset's splits once and stores the sampled frames\n"
      "(uint8 RGB at the model's resolution) in a frame cache that training reads instead\n"
      "of decoding (docs/data.md). FILE is a JobSpec (its `data`, and the frame size from\n"
      "the model) or a bare DataConfig (then --size is required). Videos already cached are\n"
      "skipped, so --resume continues an interrupted run or adds new splits. Unreadable\n"
      "videos are skipped and named; the exit status is 1 when more than\n"
      "data.max_bad_video_fraction of them failed.");
  flags.AddString("dataset", &f.dataset, "JobSpec or DataConfig file (protobuf text format)");
  flags.AddString("out", &f.out, "cache folder; empty: data.frame_cache_dir");
  flags.AddString(
      "splits", &f.splits,
      "train, eval or train,eval; empty: both (skipping a JSONL/CSV split without a file)");
  flags.AddInt("threads", &f.threads, "decoder threads; 0: one per core");
  flags.AddBool("resume", &f.resume, "continue or extend the cache already in --out");
  flags.AddInt("num_frames", &f.num_frames, "frames per video; 0: data.num_frames");
  flags.AddInt("size", &f.size, "frame side in pixels; 0: the JobSpec model's resolution");
  flags.AddInt("shard_mb", &f.shard_mb, "close a shard file at this size (MiB)");
  std::vector<std::string> rest;
  if (int rc = ParseFlags(flags, "cache-frames", args, &rest, out, err); rc >= 0) return rc;
  auto usage = [&](const std::string& message) {
    err << "camoe cache-frames: " << message << "\n";
    return kExitUsage;
  };
  if (f.dataset.empty() || !rest.empty()) {
    return usage("--dataset=FILE is required and takes no other arguments (see --help)");
  }
  auto roles = ParseSplits(f.splits.empty() ? "train,eval" : f.splits);
  if (!roles.ok()) return usage(std::string(roles.status().message()));
  if (f.num_frames < 0 || f.num_frames > data::kMaxNumFrames) {
    return usage(absl::StrFormat("--num_frames must be in 1..%d", data::kMaxNumFrames));
  }
  if (f.size < 0 || f.size > 4096) return usage("--size must be in 1..4096");
  if (f.threads < 0 || f.threads > 1024) return usage("--threads must be in 0..1024");
  if (f.shard_mb < 1) return usage("--shard_mb must be at least 1");

  auto file = LoadDatasetFile(f.dataset);
  if (!file.ok()) return Fail(err, "cache-frames", file.status());
  if (f.out.empty()) f.out = file->data.frame_cache_dir();
  if (f.out.empty()) {
    return usage("--out=DIR is required (the JobSpec has no data.frame_cache_dir)");
  }
  auto size = ResolveSize(f, *file, out, err);
  if (!size.ok()) {
    if (!file->job.has_value()) return usage(std::string(size.status().message()));
    return Fail(err, "cache-frames", size.status());
  }
  auto splits = LoadSplits(file->data, *roles, !f.splits.empty(), err, "cache-frames");
  if (!splits.ok()) return Fail(err, "cache-frames", splits.status());
  std::vector<const data::DatasetSplit*> pointers;
  for (const LoadedSplit& s : *splits) {
    out << data::SplitRoleName(s.role) << ": " << data::DescribeSplit(s.split) << "; "
        << data::DescribeVideoPathReport(s.paths) << "\n";
    pointers.push_back(&s.split);
  }
  const std::vector<data::VideoRecord> videos = data::CacheVideos(pointers);

  data::CacheBuildOptions options;
  options.num_frames = f.num_frames > 0 ? static_cast<int>(f.num_frames) : file->data.num_frames();
  options.size = *size;
  options.threads = ResolveThreadCount(static_cast<int>(f.threads));
  options.resume = f.resume;
  options.shard_bytes = static_cast<uint64_t>(f.shard_mb) << 20;
  options.progress = &err;
  options.redraw = StderrIsTerminal(err);
  out << absl::StrFormat("caching %d videos (num_frames=%d, size=%d) into %s with %d threads\n",
                         videos.size(), options.num_frames, options.size, f.out, options.threads);
  out.flush();
  auto summary = data::BuildFrameCache(f.out, videos, options);
  if (!summary.ok()) return Fail(err, "cache-frames", summary.status());
  out << data::DescribeCacheBuild(*summary);

  const absl::Status bad = data::CheckBadVideoFraction(
      summary->failed, summary->total, BadFractionLimit(file->data), "videos to cache");
  if (!bad.ok()) {
    std::string named;
    for (size_t i = 0; i < summary->failures.size() && i < 10; ++i) {
      absl::StrAppend(&named, "\n  ", summary->failures[i].video, ": ",
                      summary->failures[i].reason);
    }
    if (summary->failures.size() > 10) {
      absl::StrAppend(&named,
                      absl::StrFormat("\n  ... and %d more", summary->failures.size() - 10));
    }
    err << "camoe cache-frames: " << bad.message() << ". The others are cached; after fixing "
        << "the files, run again with --resume to add them. Failed:" << named << "\n";
    return kExitFailure;
  }
  return kExitOk;
}

int DatasetStats(const Args& args, std::ostream& out, std::ostream& err) {
  std::string dataset, vocab, splits_text;
  bool probe = false, json = false;
  int64_t threads = 0;
  FlagSet flags(
      "dataset-stats --dataset=FILE [--probe] [--json]",
      "Statistics of the dataset a JobSpec (or a bare DataConfig) names, per split: videos,\n"
      "captions, captions per video, caption length in words and in CLIP BPE tokens (and\n"
      "how many tokenizer.max_words cuts), videos missing on disk. --probe also reads every\n"
      "found video's headers: unreadable files are named, and duration, frame rate and\n"
      "resolution summarised. Text by default; --json prints one JSON object.");
  flags.AddString("dataset", &dataset, "JobSpec or DataConfig file (protobuf text format)");
  flags.AddString(
      "splits", &splits_text,
      "train, eval or train,eval; empty: both (skipping a JSONL/CSV split without a file)");
  flags.AddBool("probe", &probe, "probe every found video (in parallel)");
  flags.AddBool("json", &json, "print one JSON object instead of text");
  flags.AddInt("threads", &threads, "threads for tokenizing and probing; 0: one per core");
  flags.AddString("vocab", &vocab,
                  "BPE merges file; empty: the JobSpec's tokenizer.vocab_path, else the "
                  "build's asset");
  std::vector<std::string> rest;
  if (int rc = ParseFlags(flags, "dataset-stats", args, &rest, out, err); rc >= 0) return rc;
  if (dataset.empty() || !rest.empty()) {
    err << "camoe dataset-stats: --dataset=FILE is required and takes no other arguments (see "
           "--help)\n";
    return kExitUsage;
  }
  auto roles = ParseSplits(splits_text.empty() ? "train,eval" : splits_text);
  if (!roles.ok()) {
    err << "camoe dataset-stats: " << roles.status().message() << "\n";
    return kExitUsage;
  }
  if (threads < 0 || threads > 1024) {
    err << "camoe dataset-stats: --threads must be in 0..1024\n";
    return kExitUsage;
  }
  auto file = LoadDatasetFile(dataset);
  if (!file.ok()) return Fail(err, "dataset-stats", file.status());
  if (vocab.empty() && file->job.has_value()) vocab = file->job->tokenizer().vocab_path();
  auto tokenizer = LoadTokenizer(vocab);
  if (!tokenizer.ok()) return Fail(err, "dataset-stats", tokenizer.status());
  auto splits = LoadSplits(file->data, *roles, !splits_text.empty(), err, "dataset-stats");
  if (!splits.ok()) return Fail(err, "dataset-stats", splits.status());

  data::DatasetStatsOptions options;
  options.max_words = file->job.has_value() ? file->job->tokenizer().max_words() : 32;
  const BpeTokenizer* bpe = tokenizer->get();
  options.count_tokens = [bpe](const std::string& text) -> absl::StatusOr<int> {
    auto ids = bpe->Encode(text);
    if (!ids.ok()) return ids.status();
    return static_cast<int>(ids->size());
  };
  options.probe = probe;
  options.threads = ResolveThreadCount(static_cast<int>(threads));
  std::vector<std::string> parts;
  for (const LoadedSplit& s : *splits) {
    auto stats = data::ComputeSplitStats(s.split, s.role, s.paths, options);
    if (!stats.ok()) return Fail(err, "dataset-stats", stats.status());
    parts.push_back(json ? data::SplitStatsJson(*stats) : data::FormatSplitStats(*stats));
  }
  if (json) {
    out << absl::StrFormat("{\"dataset\": %s, \"file\": %s, \"max_words\": %d, \"splits\": [",
                           JsonString(data::DatasetFormatName(file->data.format())),
                           JsonString(dataset), options.max_words);
    for (size_t i = 0; i < parts.size(); ++i) out << (i ? ", " : "") << parts[i];
    out << "]}\n";
  } else {
    for (const std::string& part : parts) out << part;
  }
  return kExitOk;
}

}  // namespace camoe::cli
