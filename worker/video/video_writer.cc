#include "worker/video/video_writer.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status_macros.h"
#include "worker/video/ffmpeg_input.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/opt.h>
#include <libswscale/swscale.h>
}

namespace camoe::video {
namespace {

struct CodecSpec {
  VideoCodec codec;
  const char* name;     // our name
  const char* encoder;  // FFmpeg encoder
  AVPixelFormat pixels;
  int default_quality;
};

constexpr CodecSpec kCodecs[] = {
    {VideoCodec::kH264, "h264", "libx264", AV_PIX_FMT_YUV420P, 18},
    {VideoCodec::kH265, "h265", "libx265", AV_PIX_FMT_YUV420P, 18},
    {VideoCodec::kMpeg4, "mpeg4", "mpeg4", AV_PIX_FMT_YUV420P, 3},
    {VideoCodec::kVp9, "vp9", "libvpx-vp9", AV_PIX_FMT_YUV420P, 24},
    {VideoCodec::kMjpeg, "mjpeg", "mjpeg", AV_PIX_FMT_YUVJ420P, 3},
};

const CodecSpec& Spec(VideoCodec codec) {
  for (const CodecSpec& spec : kCodecs) {
    if (spec.codec == codec) return spec;
  }
  return kCodecs[0];
}

std::string Describe(int code) { return internal::AvErrorString(code); }

}  // namespace

std::string VideoCodecName(VideoCodec codec) { return Spec(codec).name; }

absl::StatusOr<VideoCodec> ParseVideoCodec(const std::string& name) {
  std::string names;
  for (const CodecSpec& spec : kCodecs) {
    if (name == spec.name) return spec.codec;
    absl::StrAppend(&names, names.empty() ? "" : ", ", spec.name);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown video codec '", name, "'; valid codecs: ", names));
}

struct VideoWriter::Impl {
  std::string path;
  std::string temp_path;
  int width = 0;
  int height = 0;
  AVFormatContext* format = nullptr;
  AVCodecContext* codec = nullptr;
  AVStream* stream = nullptr;
  AVFrame* frame = nullptr;
  AVPacket* packet = nullptr;
  SwsContext* sws = nullptr;
  bool header_written = false;
  bool file_open = false;
  bool closed = false;
  int64_t next_pts = 0;
  std::vector<uint8_t> padded;  // the RGB frame with zeroed row padding

  ~Impl() {
    sws_freeContext(sws);
    av_packet_free(&packet);
    av_frame_free(&frame);
    avcodec_free_context(&codec);
    if (format != nullptr) {
      if (file_open) avio_closep(&format->pb);
      avformat_free_context(format);
    }
    if (!closed && !temp_path.empty()) ::unlink(temp_path.c_str());
  }

  absl::Status Fail(const std::string& what, int code) const {
    return absl::InternalError(absl::StrCat(
        path, ": ", what, ": ", Describe(code), [&] {
          std::string message = internal::TakeFfmpegMessage();
          return message.empty() ? std::string() : " (FFmpeg: " + message + ")";
        }()));
  }

  // Sends `input` (nullptr: flush) and writes every packet that comes out.
  absl::Status Encode(const AVFrame* input) {
    int ret = avcodec_send_frame(codec, input);
    if (ret < 0) return Fail("encoding failed", ret);
    while (true) {
      ret = avcodec_receive_packet(codec, packet);
      if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) return absl::OkStatus();
      if (ret < 0) return Fail("encoding failed", ret);
      av_packet_rescale_ts(packet, codec->time_base, stream->time_base);
      packet->stream_index = stream->index;
      ret = av_interleaved_write_frame(format, packet);
      if (ret < 0) return Fail("writing failed", ret);
    }
  }
};

VideoWriter::VideoWriter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
VideoWriter::~VideoWriter() = default;

absl::StatusOr<std::unique_ptr<VideoWriter>> VideoWriter::Open(const std::string& path, int width,
                                                               int height, double fps,
                                                               VideoCodec codec,
                                                               const VideoWriterOptions& options) {
  internal::EnsureLogHook();
  internal::TakeFfmpegMessage();
  const CodecSpec& spec = Spec(codec);
  CAMOE_RETURN_IF_ERROR(image::CheckImageSize(width, height, path));
  if (width % 2 != 0 || height % 2 != 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: %s with 4:2:0 chroma needs an even width and height, got %dx%d; crop or pad the "
        "frames",
        path, spec.name, width, height));
  }
  if (!(fps > 0 && fps <= 1000)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s: fps must be in (0, 1000], got %g", path, fps));
  }
  if (options.threads < 0 || options.keyframe_interval < 0 || options.max_b_frames < -1) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": threads and keyframe_interval must be >= 0 and max_b_frames >= -1"));
  }
  const AVOutputFormat* container = av_guess_format(nullptr, path.c_str(), nullptr);
  if (container == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": no container for this file name's extension; use .mp4, .mkv, .webm or .avi"));
  }
  const AVCodec* encoder = avcodec_find_encoder_by_name(spec.encoder);
  if (encoder == nullptr) {
    return absl::UnimplementedError(absl::StrCat(
        path, ": this FFmpeg build has no ", spec.encoder, " encoder; pick another codec"));
  }
  if (avformat_query_codec(container, encoder->id, FF_COMPLIANCE_NORMAL) == 0) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": the ", container->name,
                                                   " container cannot hold ", spec.name,
                                                   " video; change the extension or codec"));
  }

  auto impl = std::make_unique<Impl>();
  impl->path = path;
  impl->temp_path = path + ".partial";
  impl->width = width;
  impl->height = height;
  int ret = avformat_alloc_output_context2(&impl->format, container, nullptr,
                                           impl->temp_path.c_str());
  if (ret < 0) return impl->Fail("cannot set up the container", ret);
  impl->format->flags |= AVFMT_FLAG_BITEXACT;
  impl->stream = avformat_new_stream(impl->format, nullptr);
  impl->codec = avcodec_alloc_context3(encoder);
  impl->frame = av_frame_alloc();
  impl->packet = av_packet_alloc();
  if (!impl->stream || !impl->codec || !impl->frame || !impl->packet) {
    return absl::ResourceExhaustedError("out of memory for a video encoder");
  }

  AVCodecContext* c = impl->codec;
  const AVRational rate = av_d2q(fps, 100000);
  c->width = width;
  c->height = height;
  c->framerate = rate;
  c->time_base = av_inv_q(rate);
  c->pix_fmt = spec.pixels;
  c->thread_count = options.threads;
  c->flags |= AV_CODEC_FLAG_BITEXACT;
  if (options.keyframe_interval > 0) c->gop_size = options.keyframe_interval;
  c->max_b_frames = options.max_b_frames >= 0 ? options.max_b_frames
                                              : (codec == VideoCodec::kMpeg4 ? 0 : c->max_b_frames);
  // Frames are converted with BT.601 coefficients (below); say so, so
  // decoders (ours included) convert back with the same matrix.
  c->colorspace = AVCOL_SPC_SMPTE170M;
  c->color_primaries = AVCOL_PRI_SMPTE170M;
  c->color_trc = AVCOL_TRC_SMPTE170M;
  c->color_range = codec == VideoCodec::kMjpeg ? AVCOL_RANGE_JPEG : AVCOL_RANGE_MPEG;
  if (impl->format->oformat->flags & AVFMT_GLOBALHEADER) c->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;

  const int quality = options.quality >= 0 ? options.quality : spec.default_quality;
  AVDictionary* opts = nullptr;
  const std::string preset = options.preset.empty() ? "medium" : options.preset;
  switch (codec) {
    case VideoCodec::kH264:
      av_dict_set(&opts, "preset", preset.c_str(), 0);
      av_dict_set_int(&opts, "crf", quality, 0);
      // Note [x264 determinism]: with one thread x264 is meant to be
      // deterministic, but its macroblock-tree rate control reads stale
      // heap bytes on small frames: the same frames encoded twice in one
      // process differed (in equivalent ways: the decoded pixels agreed).
      // Without mbtree the bytes only depend on the input.
      if (options.threads == 1) av_dict_set(&opts, "x264-params", "mbtree=0", 0);
      break;
    case VideoCodec::kH265:
      av_dict_set(&opts, "preset", preset.c_str(), 0);
      av_dict_set_int(&opts, "crf", quality, 0);
      // x265 logs through its own printf unless told not to.
      av_dict_set(&opts, "x265-params", "log-level=none", 0);
      break;
    case VideoCodec::kVp9:
      c->bit_rate = 0;
      av_dict_set_int(&opts, "crf", quality, 0);
      av_dict_set(&opts, "deadline", "good", 0);
      av_dict_set(&opts, "cpu-used", "4", 0);
      break;
    case VideoCodec::kMpeg4:
    case VideoCodec::kMjpeg:
      c->flags |= AV_CODEC_FLAG_QSCALE;
      c->global_quality = quality * FF_QP2LAMBDA;
      break;
  }
  ret = avcodec_open2(c, encoder, &opts);
  av_dict_free(&opts);
  if (ret < 0) return impl->Fail(absl::StrCat("cannot open the ", spec.encoder, " encoder"), ret);
  ret = avcodec_parameters_from_context(impl->stream->codecpar, c);
  if (ret < 0) return impl->Fail("cannot describe the stream", ret);
  impl->stream->time_base = c->time_base;
  impl->stream->avg_frame_rate = rate;

  ret = avio_open(&impl->format->pb, impl->temp_path.c_str(), AVIO_FLAG_WRITE);
  if (ret < 0) return impl->Fail("cannot create the file", ret);
  impl->file_open = true;
  AVDictionary* muxer_opts = nullptr;
  if (options.faststart) av_dict_set(&muxer_opts, "movflags", "+faststart", 0);
  ret = avformat_write_header(impl->format, &muxer_opts);
  av_dict_free(&muxer_opts);
  if (ret < 0) return impl->Fail("cannot write the container header", ret);
  impl->header_written = true;

  impl->frame->format = c->pix_fmt;
  impl->frame->width = width;
  impl->frame->height = height;
  ret = av_frame_get_buffer(impl->frame, 0);
  if (ret < 0) return impl->Fail("cannot allocate a frame", ret);
  // Zero the alignment padding too: whatever an encoder's SIMD reads there
  // must not depend on the heap's history (Note [x264 determinism]).
  for (AVBufferRef* buffer : impl->frame->buf) {
    if (buffer != nullptr) std::memset(buffer->data, 0, buffer->size);
  }
  impl->sws = sws_getContext(width, height, AV_PIX_FMT_RGB24, width, height, c->pix_fmt,
                             SWS_BICUBIC | SWS_ACCURATE_RND, nullptr, nullptr, nullptr);
  if (impl->sws == nullptr) return impl->Fail("cannot set up RGB conversion", AVERROR(EINVAL));
  const bool full_range = codec == VideoCodec::kMjpeg;
  sws_setColorspaceDetails(impl->sws, sws_getCoefficients(SWS_CS_DEFAULT), 1,
                           sws_getCoefficients(SWS_CS_ITU601), full_range ? 1 : 0, 0, 1 << 16,
                           1 << 16);
  return std::unique_ptr<VideoWriter>(new VideoWriter(std::move(impl)));
}

absl::Status VideoWriter::WriteFrame(const image::RgbImage& frame) {
  Impl& impl = *impl_;
  if (impl.closed) {
    return absl::FailedPreconditionError(absl::StrCat(impl.path, ": the writer is closed"));
  }
  if (frame.width() != impl.width || frame.height() != impl.height) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: frame %d is %dx%d but the video was opened at %dx%d; resize the frame", impl.path,
        frames_written_, frame.width(), frame.height(), impl.width, impl.height));
  }
  int ret = av_frame_make_writable(impl.frame);
  if (ret < 0) return impl.Fail("cannot reuse the frame buffer", ret);
  // swscale's SIMD may read a little past the end of source rows; a
  // zero-padded copy keeps what it reads independent of the heap.
  const int stride = (3 * frame.width() + 63) / 64 * 64;
  impl.padded.assign(static_cast<size_t>(stride) * (frame.height() + 2), 0);
  for (int y = 0; y < frame.height(); ++y) {
    std::memcpy(impl.padded.data() + static_cast<size_t>(stride) * y, frame.Row(y),
                3 * static_cast<size_t>(frame.width()));
  }
  const uint8_t* planes[4] = {impl.padded.data(), nullptr, nullptr, nullptr};
  const int strides[4] = {stride, 0, 0, 0};
  sws_scale(impl.sws, planes, strides, 0, frame.height(), impl.frame->data,
            impl.frame->linesize);
  impl.frame->pts = impl.next_pts++;
  CAMOE_RETURN_IF_ERROR(impl.Encode(impl.frame));
  ++frames_written_;
  return absl::OkStatus();
}

absl::Status VideoWriter::Close() {
  Impl& impl = *impl_;
  if (impl.closed) return absl::OkStatus();
  CAMOE_RETURN_IF_ERROR(impl.Encode(nullptr));
  int ret = av_write_trailer(impl.format);
  if (ret < 0) return impl.Fail("cannot finish the container", ret);
  ret = avio_closep(&impl.format->pb);
  impl.file_open = false;
  if (ret < 0) return impl.Fail("cannot close the file", ret);
  if (std::rename(impl.temp_path.c_str(), impl.path.c_str()) != 0) {
    return absl::InternalError(absl::StrCat(impl.path, ": cannot move ", impl.temp_path,
                                            " into place: ", std::strerror(errno)));
  }
  impl.closed = true;
  return absl::OkStatus();
}

}  // namespace camoe::video
