// Finding video files for a DatasetSplit. Annotations name videos by id or by
// a relative path, often without an extension (MSR-VTT's "video7020" is
// video7020.mp4, MSVD's clips are .avi); each VideoRecord carries path hints
// and the resolver probes, for each base folder (video_dir, then the
// annotation folder) and each hint: the hint as given, then the hint plus each
// extension. A missing video is counted and reported, never an error here: the
// job decides, with CheckBadVideoFraction, whether too many are missing.
// Stateless and thread-safe (ResolveVideoPaths writes only to its argument).
#ifndef CAMOE_WORKER_DATA_VIDEO_PATHS_H_
#define CAMOE_WORKER_DATA_VIDEO_PATHS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "camoe/data.pb.h"
#include "worker/data/dataset.h"

namespace camoe::data {

// .mp4 .avi .webm .mkv .mov: what benchmark downloads and CLIP4Clip's
// compress_video.py produce.
const std::vector<std::string>& DefaultVideoExtensions();

struct VideoPathOptions {
  std::string video_dir;                // first base folder; may be empty
  std::vector<std::string> extensions;  // with the dot; empty: DefaultVideoExtensions()
};

// video_dir and video_extensions of `config`. DiDeMo adds the extensions its
// original files carry (.mpg .m4v .3gp .wmv ...) after the configured ones.
VideoPathOptions VideoPathOptionsFromConfig(const DataConfig& config);

// The first existing regular file for `video`, or nullopt.
std::optional<std::string> FindVideoFile(const VideoRecord& video, const std::string& annotation_dir,
                                         const VideoPathOptions& options);

struct VideoPathReport {
  int64_t found = 0;
  int64_t missing = 0;
  // Up to 10 missing ids, each with the first path tried, for the log.
  std::vector<std::string> missing_examples;
};

// Sets `path` on every video of `split` whose file exists; the others keep an
// empty path and are counted.
VideoPathReport ResolveVideoPaths(const VideoPathOptions& options, DatasetSplit* split);

// "1200 of 1200 videos found" or "1190 of 1200 videos found; 10 missing, e.g.
// video7 (looked for /data/videos/video7.mp4, ...)".
std::string DescribeVideoPathReport(const VideoPathReport& report);

// OK when at most `max_fraction` of `total` videos are bad (missing or
// unreadable); otherwise FailedPrecondition naming `what`, the counts and the
// config field that sets the limit.
absl::Status CheckBadVideoFraction(int64_t bad, int64_t total, double max_fraction,
                                   const std::string& what);

}  // namespace camoe::data

#endif  // CAMOE_WORKER_DATA_VIDEO_PATHS_H_
