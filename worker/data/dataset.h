// The in-memory form of one dataset split, shared by every annotation format:
// unique videos (or video segments) and captions that point at them by index.
// Loaders (worker/data/loaders.h) fill a DatasetSplit from the published files
// of MSR-VTT, MSVD, LSMDC, ActivityNet Captions and DiDeMo, or from users'
// JSONL/CSV; LoadSplit picks the loader and split a DataConfig names.
// DatasetSplit is a plain value type; DatasetBuilder is single-threaded.
// docs/data.md describes every format and split.
#ifndef CAMOE_WORKER_DATA_DATASET_H_
#define CAMOE_WORKER_DATA_DATASET_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "camoe/data.pb.h"

namespace camoe::data {

// One video, or a segment of one, as the annotations name it.
struct VideoRecord {
  // Unique within a split, stable across runs: the frame cache key.
  std::string id;
  // Where the file may be, most likely first: absolute, or relative to
  // video_dir and then to the annotation folder; with an extension or without
  // (then the configured extensions are tried). See video_paths.h.
  std::vector<std::string> path_hints;
  // The file found by ResolveVideoPaths; empty until then or when missing.
  std::string path;
  // The part of the file to sample frames from, in seconds; a negative start
  // means the beginning and a negative end the end of the file.
  double start_seconds = -1;
  double end_seconds = -1;
};

struct CaptionRecord {
  std::string text;
  int32_t video = 0;  // index into DatasetSplit::videos
};

// Which side of a job a split is for; a few split names exist for both
// (MSR-VTT "full" trains on 6,513 videos and tests on 2,990).
enum class SplitRole { kTrain, kEval };
const char* SplitRoleName(SplitRole role);  // "train" / "eval"

struct DatasetSplit {
  DatasetFormat format = DATASET_FORMAT_UNSPECIFIED;
  std::string split_name;      // canonical ("9k", "1k-a"); the file name for JSONL/CSV
  std::string source;          // the annotation file(s) read, for messages
  std::string annotation_dir;  // folder that relative path hints may be relative to
  // Every video has at least one caption; videos the split lists without any
  // are dropped and reported in `warnings`.
  std::vector<VideoRecord> videos;
  std::vector<CaptionRecord> captions;  // file order
  // Things worth a log line that did not stop loading (dropped videos, ...).
  std::vector<std::string> warnings;
};

// "MSR-VTT", "MSVD", "LSMDC", "ActivityNet Captions", "DiDeMo", "JSONL", "CSV".
const char* DatasetFormatName(DatasetFormat format);

// The split names `format` accepts for `role`, the default first; empty for
// JSONL and CSV, whose splits are whole files.
std::vector<std::string> SplitNames(DatasetFormat format, SplitRole role);

// `name` (case-insensitive; empty means the default) as its canonical
// spelling, or InvalidArgument naming `field` and listing the valid names.
absl::StatusOr<std::string> CanonicalSplitName(DatasetFormat format, SplitRole role,
                                               const std::string& name,
                                               const std::string& field);

// Loads the train or eval split that `config` names. Paths are used as given
// (the caller resolves them against the config file's folder). Video files
// are not touched: call ResolveVideoPaths next.
absl::StatusOr<DatasetSplit> LoadSplit(const DataConfig& config, SplitRole role);

// "MSR-VTT 1k-a: 1000 videos, 1000 captions (1.0 per video)".
std::string DescribeSplit(const DatasetSplit& split);

// Collects videos by id and captions in order; what every loader uses.
class DatasetBuilder {
 public:
  // The index of the video `id`, added with `hints` and the segment if new.
  // A known id keeps its first hints and segment.
  int32_t AddVideo(const std::string& id, std::vector<std::string> hints,
                   double start_seconds = -1, double end_seconds = -1);
  // Another place to look for video `video`'s file, tried after the others.
  void AddVideoHint(int32_t video, std::string hint);
  // Index of `id`, or -1.
  int32_t FindVideo(const std::string& id) const;
  void AddCaption(int32_t video, std::string text);
  const VideoRecord& video(int32_t index) const { return videos_[index]; }

  // Drops videos without captions (counted into a warning naming `what`),
  // renumbers the captions, and moves the result into `split`.
  void Finish(const std::string& what, DatasetSplit* split);

 private:
  std::vector<VideoRecord> videos_;
  std::vector<CaptionRecord> captions_;
  absl::flat_hash_map<std::string, int32_t> index_;
};

}  // namespace camoe::data

#endif  // CAMOE_WORKER_DATA_DATASET_H_
