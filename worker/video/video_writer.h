// VideoWriter encodes RGB frames into a video file with libavcodec and
// libavformat: H.264 (libx264) or H.265 (libx265) in MP4/MKV, MPEG-4 part 2
// in AVI, VP9 (libvpx) in WebM/MKV, MJPEG in MKV/AVI; the container follows
// the file name's extension. Used by the tests and the synthetic dataset.
// Frames go to a temporary file beside `path` that Close() renames onto it,
// so `path` never holds half a video. Output is deterministic for a given
// input when the encoder runs one thread (the default) and the muxer runs in
// bit-exact mode (always). One writer is one file and is used from one
// thread; separate writers are independent.
#ifndef CAMOE_WORKER_VIDEO_VIDEO_WRITER_H_
#define CAMOE_WORKER_VIDEO_VIDEO_WRITER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "worker/image/image.h"

namespace camoe::video {

enum class VideoCodec { kH264, kH265, kMpeg4, kVp9, kMjpeg };

// "h264", "h265", "mpeg4", "vp9", "mjpeg"; Parse lists the valid names on error.
std::string VideoCodecName(VideoCodec codec);
absl::StatusOr<VideoCodec> ParseVideoCodec(const std::string& name);

struct VideoWriterOptions {
  // Frames between keyframes (GOP size); 0 keeps the codec's default
  // (x264 250, MPEG-4 12, VP9 128; MJPEG is all keyframes).
  int keyframe_interval = 0;
  // B-frames between references; -1 keeps the codec's default (x264 3,
  // MPEG-4 0).
  int max_b_frames = -1;
  // Constant quality on the codec's own scale; -1 for our default: x264/x265
  // CRF 0..51 (18), VP9 CRF 0..63 (24), MPEG-4 and MJPEG qscale 1..31 (3).
  int quality = -1;
  // Encoder threads. 1 keeps libx264's and libvpx's output bit-identical from
  // run to run; 0 lets the encoder choose.
  int threads = 1;
  // MP4/MOV only: put the index (moov atom) before the frames so a cut-off
  // file still plays up to the cut (the muxer rewrites the file on Close).
  bool faststart = false;
  // x264/x265 speed preset ("ultrafast" .. "veryslow"); empty: "medium".
  std::string preset;
};

class VideoWriter {
 public:
  // Creates `path` (its extension picks the container) for `width` x
  // `height` frames at `fps` frames per second. InvalidArgument for a size
  // the codec cannot take (4:2:0 codecs need even sides), a non-positive
  // fps, an unknown extension or a codec the container cannot hold;
  // Unimplemented when this FFmpeg lacks the encoder; an I/O error names
  // the path.
  static absl::StatusOr<std::unique_ptr<VideoWriter>> Open(const std::string& path, int width,
                                                           int height, double fps,
                                                           VideoCodec codec,
                                                           const VideoWriterOptions& options = {});
  // Abandons an unclosed file: the temporary is removed, `path` untouched.
  ~VideoWriter();
  VideoWriter(const VideoWriter&) = delete;
  VideoWriter& operator=(const VideoWriter&) = delete;

  // Appends one frame, shown for 1 / fps seconds. InvalidArgument when its
  // size differs from Open's.
  absl::Status WriteFrame(const image::RgbImage& frame);

  // Flushes the encoder, finishes the container and moves the file to
  // `path`. The writer accepts nothing afterwards.
  absl::Status Close();

  int64_t frames_written() const { return frames_written_; }

 private:
  struct Impl;
  explicit VideoWriter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  int64_t frames_written_ = 0;
};

}  // namespace camoe::video

#endif  // CAMOE_WORKER_VIDEO_VIDEO_WRITER_H_
