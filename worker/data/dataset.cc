#include "worker/data/dataset.h"

#include <algorithm>
#include <filesystem>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "worker/data/loaders.h"

namespace camoe::data {

const char* SplitRoleName(SplitRole role) { return role == SplitRole::kTrain ? "train" : "eval"; }

const char* DatasetFormatName(DatasetFormat format) {
  switch (format) {
    case DATASET_MSRVTT: return "MSR-VTT";
    case DATASET_MSVD: return "MSVD";
    case DATASET_LSMDC: return "LSMDC";
    case DATASET_ACTIVITYNET: return "ActivityNet Captions";
    case DATASET_DIDEMO: return "DiDeMo";
    case DATASET_JSONL: return "JSONL";
    case DATASET_CSV: return "CSV";
    default: return "unspecified";
  }
}

std::vector<std::string> SplitNames(DatasetFormat format, SplitRole role) {
  bool train = role == SplitRole::kTrain;
  switch (format) {
    case DATASET_MSRVTT:
      return train ? std::vector<std::string>{"9k", "7k", "full"}
                   : std::vector<std::string>{"1k-a", "full", "val"};
    case DATASET_MSVD:
    case DATASET_LSMDC:
    case DATASET_DIDEMO:
      return train ? std::vector<std::string>{"train"} : std::vector<std::string>{"test", "val"};
    case DATASET_ACTIVITYNET:
      return train ? std::vector<std::string>{"train"} : std::vector<std::string>{"val_1", "val_2"};
    default:
      return {};
  }
}

absl::StatusOr<std::string> CanonicalSplitName(DatasetFormat format, SplitRole role,
                                               const std::string& name,
                                               const std::string& field) {
  std::vector<std::string> names = SplitNames(format, role);
  if (names.empty()) {
    if (name.empty()) return std::string();
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: %s data has no named splits (got \"%s\"); leave it empty and name the file in "
        "data.%s_annotation",
        field, DatasetFormatName(format), name, SplitRoleName(role)));
  }
  if (name.empty()) return names.front();
  std::string lower = absl::AsciiStrToLower(name);
  for (const std::string& n : names) {
    if (n == lower) return n;
  }
  return absl::InvalidArgumentError(absl::StrFormat(
      "%s: \"%s\" is not a %s %s split; valid: \"%s\" (the default is \"%s\")", field, name,
      DatasetFormatName(format), SplitRoleName(role), absl::StrJoin(names, "\", \""),
      names.front()));
}

absl::StatusOr<DatasetSplit> LoadSplit(const DataConfig& config, SplitRole role) {
  const bool train = role == SplitRole::kTrain;
  const std::string split = train ? config.train_split() : config.eval_split();
  const DatasetFormat format = config.format();
  if (format == DATASET_FORMAT_UNSPECIFIED) {
    return absl::FailedPreconditionError(
        "data.format is not set; name the annotation format (DATASET_MSRVTT, DATASET_MSVD, "
        "DATASET_LSMDC, DATASET_ACTIVITYNET, DATASET_DIDEMO, DATASET_JSONL or DATASET_CSV)");
  }
  if (format == DATASET_JSONL || format == DATASET_CSV) {
    std::string file = train ? config.train_annotation() : config.eval_annotation();
    if (file.empty()) {
      return absl::FailedPreconditionError(absl::StrFormat(
          "data.%s_annotation is empty; this job needs a %s split: name its %s file", SplitRoleName(role),
          SplitRoleName(role), DatasetFormatName(format)));
    }
    std::filesystem::path path(file);
    if (path.is_relative() && !config.annotation_dir().empty()) {
      path = std::filesystem::path(config.annotation_dir()) / path;
    }
    return format == DATASET_JSONL ? LoadJsonl(path.string()) : LoadCsv(path.string());
  }
  if (config.annotation_dir().empty()) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "data.annotation_dir is empty; set it to the folder with the %s annotation files "
        "(docs/data.md lists them)",
        DatasetFormatName(format)));
  }
  const std::string& dir = config.annotation_dir();
  switch (format) {
    case DATASET_MSRVTT: return LoadMsrvtt(dir, role, split);
    case DATASET_MSVD: return LoadMsvd(dir, role, split);
    case DATASET_LSMDC: return LoadLsmdc(dir, role, split);
    case DATASET_ACTIVITYNET: return LoadActivityNet(dir, role, split);
    case DATASET_DIDEMO: return LoadDidemo(dir, role, split);
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("data.format: unknown dataset format ", static_cast<int>(format)));
  }
}

std::string DescribeSplit(const DatasetSplit& split) {
  double per_video =
      split.videos.empty() ? 0.0 : static_cast<double>(split.captions.size()) / split.videos.size();
  return absl::StrFormat("%s %s: %d videos, %d captions (%.1f per video)",
                         DatasetFormatName(split.format), split.split_name, split.videos.size(),
                         split.captions.size(), per_video);
}

int32_t DatasetBuilder::AddVideo(const std::string& id, std::vector<std::string> hints,
                                 double start_seconds, double end_seconds) {
  auto [it, inserted] = index_.try_emplace(id, static_cast<int32_t>(videos_.size()));
  if (inserted) {
    VideoRecord video;
    video.id = id;
    video.path_hints = std::move(hints);
    video.start_seconds = start_seconds;
    video.end_seconds = end_seconds;
    videos_.push_back(std::move(video));
  }
  return it->second;
}

void DatasetBuilder::AddVideoHint(int32_t video, std::string hint) {
  videos_[video].path_hints.push_back(std::move(hint));
}

int32_t DatasetBuilder::FindVideo(const std::string& id) const {
  auto it = index_.find(id);
  return it == index_.end() ? -1 : it->second;
}

void DatasetBuilder::AddCaption(int32_t video, std::string text) {
  captions_.push_back(CaptionRecord{std::move(text), video});
}

void DatasetBuilder::Finish(const std::string& what, DatasetSplit* split) {
  std::vector<int32_t> caption_count(videos_.size(), 0);
  for (const CaptionRecord& c : captions_) ++caption_count[c.video];
  std::vector<int32_t> new_index(videos_.size(), -1);
  std::vector<std::string> dropped;
  split->videos.clear();
  for (size_t i = 0; i < videos_.size(); ++i) {
    if (caption_count[i] == 0) {
      dropped.push_back(videos_[i].id);
      continue;
    }
    new_index[i] = static_cast<int32_t>(split->videos.size());
    split->videos.push_back(std::move(videos_[i]));
  }
  split->captions = std::move(captions_);
  for (CaptionRecord& c : split->captions) c.video = new_index[c.video];
  if (!dropped.empty()) {
    constexpr size_t kShown = 5;
    std::vector<std::string> shown(dropped.begin(),
                                   dropped.begin() + std::min(kShown, dropped.size()));
    split->warnings.push_back(absl::StrFormat(
        "%s: %d listed videos have no captions and were left out (%s%s)", what, dropped.size(),
        absl::StrJoin(shown, ", "), dropped.size() > kShown ? ", ..." : ""));
  }
  videos_.clear();
  captions_.clear();
  index_.clear();
}

}  // namespace camoe::data
