// Video decoding with FFmpeg: probing a file and sampling N frames uniformly
// over a clip or a segment of it, returned as RGB images preprocessed the way
// CLIP's image transform does (short side resized with Pillow's bicubic, then
// a centre crop). Every call opens the file, decodes it once and closes it;
// nothing is shared between calls, so any number of threads may sample
// different (or the same) files at once. FFmpeg's console logging is silenced
// (see SetFfmpegLogging); its messages end up in the returned Status.
//
// Errors name the file: NotFound (missing), PermissionDenied (unreadable),
// InvalidArgument (empty, not a video FFmpeg can read, a still image, no
// video stream, no decoder, bad options), DataLoss (a recognised container
// too damaged to give a single frame). docs/video.md gives the sampling rule,
// the strategy choice and the bad-file policy.
#ifndef CAMOE_WORKER_VIDEO_VIDEO_DECODER_H_
#define CAMOE_WORKER_VIDEO_VIDEO_DECODER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "worker/image/image.h"

namespace camoe::video {

struct VideoInfo {
  double duration_seconds = 0;        // the stream's (else the container's) duration; 0 unknown
  double fps = 0;                     // average frame rate; 0 unknown
  int64_t frame_count_estimate = 0;   // from the header, else duration * fps
  int width = 0;                      // coded frame size in pixels
  int height = 0;
  std::string codec;                  // FFmpeg's codec name ("h264", "vp9", ...)
  std::string container;              // FFmpeg's demuxer name ("mov,mp4,m4a,3gp,3g2,mj2", ...)
  double keyframe_interval = 0;       // mean frames per keyframe from the seek index; 0 unknown
};

// Reads the headers (and what FFmpeg's stream probing decodes) of `path`.
// Does not decode the whole file: a file whose frames are all damaged can
// still probe fine; SampleFrames reports it.
absl::StatusOr<VideoInfo> ProbeVideo(const std::string& path);

struct SampleOptions {
  int num_frames = 12;          // N frames uniformly over the clip or segment (1 .. 4096)
  int size = 224;               // short side resized to `size` (Pillow bicubic) then centre
                                // crop size x size; 0 = original frames
  double start_seconds = -1;    // segment start (<0: clip start) - ActivityNet/DiDeMo
  double end_seconds = -1;      // segment end (<0: clip end)
  // kSequential decodes every frame from the clip's start; kSeek jumps to the
  // keyframe before each wanted frame that lies farther ahead than a few
  // frames; kAuto seeks only where the gap to the next wanted frame exceeds
  // the keyframe interval (Note [Strategy choice] in video_decoder.cc). All
  // three return the same frames.
  enum class Strategy { kAuto, kSequential, kSeek } strategy = Strategy::kAuto;
  // Decoder threads. 1 (the default) because the data loader already decodes
  // several videos in parallel; 0 lets FFmpeg pick.
  int thread_count = 1;
};

struct SampledClip {
  // The sampled frames in time order, at most num_frames of them. A clip with
  // fewer frames in the segment than num_frames yields each of its frames
  // once; the caller builds the frame mask from valid_frames.
  std::vector<image::RgbImage> frames;
  std::vector<double> timestamps;   // presentation time of each frame, seconds from clip start
  int valid_frames = 0;             // == frames.size()
  VideoInfo info;
  // True when reading stopped on an error or the frames ended well before the
  // declared duration (a cut-off file): `frames` holds what decoded, sampled
  // as if the file were whole. The loader decides whether to use them.
  bool truncated = false;
  std::string problem;              // what went wrong when truncated or decode_errors > 0
  int64_t decode_errors = 0;        // packets the decoder rejected (skipped, as players do)
  int64_t frames_decoded = 0;       // decoder output frames, all passes (a cost measure)
  int seeks = 0;                    // seeks performed
  bool used_seek = false;           // the strategy that ran (kAuto resolves to one)
};

// Samples `options.num_frames` frames of `path` by Note [Frame selection
// rule] (frame_selection.h) over [start, end) clamped to the clip. Each frame
// is converted to RGB at full resolution with swscale, honouring the
// stream's colour space and range, then resized and cropped by
// image::ResizeShortSide and image::CenterCrop.
// Errors: see the file comment; a segment outside the clip is InvalidArgument.
absl::StatusOr<SampledClip> SampleFrames(const std::string& path, const SampleOptions& options);

// FFmpeg logs nothing by default (its messages are kept for error Statuses).
// Passing true also prints them to stderr at FFmpeg's "warning" level, for
// debugging a file. Process-wide; thread-safe.
void SetFfmpegLogging(bool print_to_stderr);

}  // namespace camoe::video

#endif  // CAMOE_WORKER_VIDEO_VIDEO_DECODER_H_
