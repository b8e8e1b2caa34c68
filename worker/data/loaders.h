// Per-format annotation loaders. Each reads the published files of one
// benchmark from an annotation folder (file names in docs/data.md) or one
// JSONL/CSV file of users' own videos, and returns a DatasetSplit. Malformed
// files are InvalidArgument naming the file and line (or the JSON path of the
// bad value); a missing file is NotFound saying where to get it; an unknown
// split name is InvalidArgument listing the valid ones. `split` is
// case-insensitive and empty means the dataset's default. Stateless and
// thread-safe.
#ifndef CAMOE_WORKER_DATA_LOADERS_H_
#define CAMOE_WORKER_DATA_LOADERS_H_

#include <string>

#include "absl/status/statusor.h"
#include "worker/data/dataset.h"

namespace camoe::data {

// Published file names, inside the annotation folder.
inline constexpr char kMsrvttJson[] = "MSRVTT_data.json";
inline constexpr char kMsrvttTrain9k[] = "MSRVTT_train.9k.csv";
inline constexpr char kMsrvttTrain7k[] = "MSRVTT_train.7k.csv";
inline constexpr char kMsrvttTest1kA[] = "MSRVTT_JSFUSION_test.csv";
inline constexpr char kMsvdCaptions[] = "captions_msvd.json";
inline constexpr char kLsmdcTrain[] = "LSMDC16_annos_training.csv";
inline constexpr char kLsmdcVal[] = "LSMDC16_annos_val.csv";
// Sic: the official file name is spelled "publictect".
inline constexpr char kLsmdcTest[] = "LSMDC16_challenge_1000_publictect.csv";

// MSR-VTT. train "9k" | "7k" | "full"; eval "1k-a" | "full" | "val". Train
// splits and the full eval splits take every caption of their videos from
// MSRVTT_data.json (20 per video); 1k-a reads only MSRVTT_JSFUSION_test.csv
// (one caption per video). The full split lists come from
// MSRVTT_{train,val,test}.full.csv when present, else the json's "split".
absl::StatusOr<DatasetSplit> LoadMsrvtt(const std::string& dir, SplitRole role,
                                        const std::string& split = "");

// MSVD: captions_msvd.json ({clip: [caption, ...]}; a caption may also be a
// token list, joined with spaces) and {train,val,test}_list.txt. Every
// caption of every listed clip (about 41 per clip).
absl::StatusOr<DatasetSplit> LoadMsvd(const std::string& dir, SplitRole role,
                                      const std::string& split = "");

// LSMDC16: tab-separated rows of six fields, CLIP_ID, START_ALIGNED,
// END_ALIGNED, START_EXTRACTED, END_EXTRACTED, SENTENCE, no header and no
// quoting. Each clip is its own video file, used whole.
absl::StatusOr<DatasetSplit> LoadLsmdc(const std::string& dir, SplitRole role,
                                       const std::string& split = "");

// ActivityNet Captions paragraph retrieval: {train,val_1,val_2}.json; each
// video's sentences, trimmed and joined with one space, are its one caption,
// matched against the whole video.
absl::StatusOr<DatasetSplit> LoadActivityNet(const std::string& dir, SplitRole role,
                                             const std::string& split = "");

// DiDeMo paragraph retrieval: {train,val,test}_data.json; a video's
// descriptions, in file order, joined with one space, against its first 30 s.
// Videos are keyed by file name without the extension (a few appear under two
// extensions).
absl::StatusOr<DatasetSplit> LoadDidemo(const std::string& dir, SplitRole role,
                                        const std::string& split = "");

// Users' own data, one file per split (docs/data.md):
//   JSONL: {"video": "clips/a.mp4", "caption": "...", "start": 1.5, "end": 9}
//          per line; "captions": [...] instead of "caption"; "id" optional.
//   CSV:   header with video and caption columns, optional start, end, id.
// A video is identified by "id", else by its path and segment; its captions
// are collected from every row that names it.
absl::StatusOr<DatasetSplit> LoadJsonl(const std::string& path);
absl::StatusOr<DatasetSplit> LoadCsv(const std::string& path);

}  // namespace camoe::data

#endif  // CAMOE_WORKER_DATA_LOADERS_H_
