// Internal to worker/video: one opened video file (demuxer + decoder of its
// main video stream) read frame by frame in presentation order, with seeking
// and RGB conversion, and the classification of open failures into the
// Status codes video_decoder.h promises. A VideoInput owns its FFmpeg
// contexts and is used by one thread at a time; separate inputs are
// independent. Also the process-wide FFmpeg log hook.
#ifndef CAMOE_WORKER_VIDEO_FFMPEG_INPUT_H_
#define CAMOE_WORKER_VIDEO_FFMPEG_INPUT_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "worker/image/image.h"
#include "worker/video/video_decoder.h"

extern "C" {
struct AVCodecContext;
struct AVFormatContext;
struct AVFrame;
struct AVPacket;
struct AVStream;
struct SwsContext;
}

namespace camoe::video::internal {

// FFmpeg's text for an AVERROR code.
std::string AvErrorString(int code);

// Installs the log hook once (silent unless SetFfmpegLogging(true)); every
// entry point calls it. The hook keeps the last error-level message of the
// calling thread: TakeFfmpegMessage() returns and clears it ("" if none).
void EnsureLogHook();
std::string TakeFfmpegMessage();

struct FrameDeleter {
  void operator()(AVFrame* frame) const;
};
using FramePtr = std::unique_ptr<AVFrame, FrameDeleter>;

// A new reference to `frame`'s buffers (no pixel copy).
FramePtr RefFrame(const AVFrame* frame);

class VideoInput {
 public:
  // Opens `path` and its decoder with `thread_count` threads (0: FFmpeg's
  // choice). Errors as in video_decoder.h.
  static absl::StatusOr<std::unique_ptr<VideoInput>> Open(const std::string& path,
                                                          int thread_count);
  ~VideoInput();
  VideoInput(const VideoInput&) = delete;
  VideoInput& operator=(const VideoInput&) = delete;

  const VideoInfo& info() const { return info_; }
  const std::string& path() const { return path_; }

  // Decodes the next frame in presentation order; false at the end of the
  // stream (or after an unrecoverable read error, see read_error()). On true,
  // frame() holds it until the next call and *time is its presentation time
  // in seconds from the clip start, strictly greater than the previous
  // frame's since the last seek (frames that go back in time are dropped).
  bool NextFrame(double* time);
  const AVFrame* frame() const { return frame_; }

  // Repositions the demuxer on a keyframe at or before `time` (seconds) and
  // flushes the decoder. False when the container cannot seek; the input is
  // then unchanged.
  bool SeekBefore(double time);

  // The time of the last keyframe at or before `time` according to the
  // container's seek index: -infinity when the index has none that early,
  // NaN unless the index lists every frame (MP4/MOV, AVI do; Matroska's cues
  // may hold one keyframe per cluster, so they cannot rule keyframes out).
  // Only decides whether a seek pays; MP4's index times may be decode times.
  double KeyframeTimeBefore(double time) const;

  // The decoded `frame` as RGB at its full size.
  absl::StatusOr<image::RgbImage> ToRgb(const AVFrame* frame);

  // Seconds between frames (1 / fps), 1/25 when the rate is unknown.
  double frame_interval() const { return frame_interval_; }

  int64_t frames_out() const { return frames_out_; }
  int64_t decode_errors() const { return decode_errors_; }
  int seeks() const { return seeks_; }
  bool read_error() const { return read_error_; }
  // The last read or decode problem, with FFmpeg's message ("" if none).
  const std::string& problem() const { return problem_; }

 private:
  VideoInput() = default;
  absl::Status OpenImpl(const std::string& path, int thread_count);
  // Feeds the decoder one more packet of our stream; false when the demuxer
  // is exhausted (the decoder has then been sent the drain signal).
  bool FeedDecoder();

  std::string path_;
  VideoInfo info_;
  AVFormatContext* format_ = nullptr;
  AVCodecContext* codec_ = nullptr;
  AVStream* stream_ = nullptr;
  AVFrame* frame_ = nullptr;
  AVPacket* packet_ = nullptr;
  SwsContext* sws_ = nullptr;
  int stream_index_ = -1;
  int64_t start_pts_ = 0;
  double time_base_ = 0;
  double frame_interval_ = 0.04;
  bool index_lists_every_frame_ = false;
  bool draining_ = false;
  bool have_last_ = false;   // since the last seek
  double last_time_ = 0;
  int64_t last_pts_ = 0;
  int64_t frames_out_ = 0;
  int64_t decode_errors_ = 0;
  int seeks_ = 0;
  bool read_error_ = false;
  std::string problem_;
};

}  // namespace camoe::video::internal

#endif  // CAMOE_WORKER_VIDEO_FFMPEG_INPUT_H_
