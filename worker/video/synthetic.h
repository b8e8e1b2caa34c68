// The synthetic default dataset on disk: renders each planned video
// (synthetic_design.h) frame by frame with image::RenderScene, encodes it as
// H.264 MP4 (libx264, one thread, so the bytes depend only on the seed) and
// writes MSR-VTT-format annotations beside the videos, so the MSR-VTT loader
// reads it unchanged:
//   DIR/MSRVTT_data.json                videos (with split) and sentences
//   DIR/MSRVTT_train.9k.csv, .7k.csv    header `video_id`: train + validate videos
//   DIR/MSRVTT_train.full.csv, MSRVTT_val.full.csv, MSRVTT_test.full.csv
//   DIR/MSRVTT_JSFUSION_test.csv        key,vid_key,video_id,sentence: test videos, one caption
//   DIR/synthetic_meta.json             the plan: entity, action, scene per video
//   DIR/videos/all/video<N>.mp4
// Functions are stateless and thread-safe; two writers must not share a DIR.
#ifndef CAMOE_WORKER_VIDEO_SYNTHETIC_H_
#define CAMOE_WORKER_VIDEO_SYNTHETIC_H_

#include <string>

#include "absl/status/statusor.h"
#include "worker/image/image.h"
#include "worker/video/synthetic_design.h"

namespace camoe::video {

// Frame `frame` (0 .. frames_per_video - 1) of `video`.
absl::StatusOr<image::RgbImage> RenderSyntheticFrame(const SyntheticVideo& video, int frame,
                                                     const SyntheticOptions& options);

struct SyntheticSummary {
  int videos = 0;
  int train = 0;
  int validate = 0;
  int test = 0;
  int captions = 0;
  int entities = 0;   // distinct (shape, colour) entities used
  int actions = 0;    // distinct actions used
  int64_t video_bytes = 0;
};

// Plans and writes the dataset into `dir` (created if missing; existing
// files of the same names are replaced). Errors name the file.
absl::StatusOr<SyntheticSummary> WriteSyntheticDataset(const std::string& dir,
                                                       const SyntheticOptions& options);

}  // namespace camoe::video

#endif  // CAMOE_WORKER_VIDEO_SYNTHETIC_H_
