#include "worker/data/data_config.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status_macros.h"
#include "worker/data/dataset.h"

namespace camoe::data {
namespace {

absl::Status CheckRange(const std::string& path, const std::string& field, int64_t value,
                        int64_t lo, int64_t hi) {
  if (value >= lo && value <= hi) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrFormat("%s.%s: %d is out of range [%d, %d]", path, field, value, lo, hi));
}

bool IsUserFormat(DatasetFormat format) {
  return format == DATASET_JSONL || format == DATASET_CSV;
}

}  // namespace

absl::Status ValidateDataConfig(const DataConfig& config, const std::string& path) {
  CAMOE_RETURN_IF_ERROR(CheckRange(path, "num_frames", config.num_frames(), 1, kMaxNumFrames));
  CAMOE_RETURN_IF_ERROR(
      CheckRange(path, "loader_threads", config.loader_threads(), 0, kMaxLoaderThreads));
  CAMOE_RETURN_IF_ERROR(
      CheckRange(path, "prefetch_batches", config.prefetch_batches(), 0, kMaxPrefetchBatches));
  float fraction = config.max_bad_video_fraction();
  if (!std::isfinite(fraction) || fraction < 0 || fraction > 1) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s.max_bad_video_fraction: %g is out of range [0, 1] (0.01 tolerates 1 bad video in 100)",
        path, fraction));
  }
  for (int i = 0; i < config.video_extensions_size(); ++i) {
    const std::string& ext = config.video_extensions(i);
    if (ext.empty() || ext == "." || ext.find('/') != std::string::npos) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s.video_extensions[%d]: \"%s\" is not a file extension; write e.g. \".mp4\"", path, i,
          ext));
    }
  }

  const DatasetFormat format = config.format();
  if (!DatasetFormat_IsValid(format)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s.format: unknown value %d", path, static_cast<int>(format)));
  }
  if (format == DATASET_FORMAT_UNSPECIFIED) {
    for (const auto& [field, value] :
         {std::pair<const char*, const std::string*>{"annotation_dir", &config.annotation_dir()},
          {"train_annotation", &config.train_annotation()},
          {"eval_annotation", &config.eval_annotation()},
          {"train_split", &config.train_split()},
          {"eval_split", &config.eval_split()}}) {
      if (!value->empty()) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "%s.format: not set, but %s.%s is; name the annotation format (DATASET_MSRVTT, "
            "DATASET_MSVD, DATASET_LSMDC, DATASET_ACTIVITYNET, DATASET_DIDEMO, DATASET_JSONL or "
            "DATASET_CSV)",
            path, path, field));
      }
    }
    return absl::OkStatus();
  }

  if (IsUserFormat(format)) {
    if (config.train_annotation().empty() && config.eval_annotation().empty()) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s.train_annotation: %s data needs the training file, the evaluation file "
          "(%s.eval_annotation) or both",
          path, DatasetFormatName(format), path));
    }
  } else {
    if (config.annotation_dir().empty()) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s.annotation_dir: required for %s; the folder with its annotation files "
          "(docs/data.md lists them)",
          path, DatasetFormatName(format)));
    }
    for (const auto& [field, value] :
         {std::pair<const char*, const std::string*>{"train_annotation", &config.train_annotation()},
          {"eval_annotation", &config.eval_annotation()}}) {
      if (!value->empty()) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "%s.%s: only JSONL and CSV data name files; %s reads its published files from "
            "%s.annotation_dir, and %s.train_split / eval_split pick the split",
            path, field, DatasetFormatName(format), path, path));
      }
    }
  }
  CAMOE_RETURN_IF_ERROR(CanonicalSplitName(format, SplitRole::kTrain, config.train_split(),
                                           absl::StrCat(path, ".train_split"))
                            .status());
  CAMOE_RETURN_IF_ERROR(CanonicalSplitName(format, SplitRole::kEval, config.eval_split(),
                                           absl::StrCat(path, ".eval_split"))
                            .status());
  return absl::OkStatus();
}

}  // namespace camoe::data
