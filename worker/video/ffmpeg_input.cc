#include "worker/video/ffmpeg_input.h"

#include <sys/stat.h>

#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <mutex>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/avutil.h>
#include <libavutil/log.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
}

namespace camoe::video {
namespace internal {
namespace {

std::atomic<bool> print_ffmpeg_log{false};
thread_local std::string last_ffmpeg_message;

void LogHook(void* avcl, int level, const char* fmt, va_list args) {
  if (level > AV_LOG_WARNING) return;
  char line[1024];
  int print_prefix = 1;
  va_list copy;
  va_copy(copy, args);
  av_log_format_line2(avcl, level, fmt, copy, line, sizeof(line), &print_prefix);
  va_end(copy);
  std::string text(line);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  if (level <= AV_LOG_ERROR && !text.empty()) last_ffmpeg_message = text;
  if (print_ffmpeg_log.load(std::memory_order_relaxed)) std::fprintf(stderr, "%s\n", line);
}

// Demuxers that FFmpeg offers for things that are not videos: single images
// (image2 and the *_pipe family) and text rendered as ANSI art (tty, bin,
// xbin, adf, idf). A PNG renamed .mp4 or a .txt file must be refused, not
// sampled as a one-frame "video".
bool IsNonVideoDemuxer(const std::string& name) {
  return name == "image2" || absl::EndsWith(name, "_pipe") || name == "tty" || name == "bin" ||
         name == "xbin" || name == "adf" || name == "idf";
}

// Whether any demuxer recognises the start of `path` by content (not by file
// name): then a failure to open it means a damaged file (DataLoss) rather
// than something that is not a video at all (InvalidArgument).
std::string RecognisedContainer(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<unsigned char> buffer(64 * 1024 + AVPROBE_PADDING_SIZE, 0);
  in.read(reinterpret_cast<char*>(buffer.data()), 64 * 1024);
  AVProbeData probe = {};
  probe.filename = "";
  probe.buf = buffer.data();
  probe.buf_size = static_cast<int>(in.gcount());
  int score = AVPROBE_SCORE_RETRY;
  const AVInputFormat* format = av_probe_input_format2(&probe, 1, &score);
  return format == nullptr ? "" : format->name;
}

std::string WithFfmpegMessage(std::string text) {
  std::string message = TakeFfmpegMessage();
  if (!message.empty()) absl::StrAppend(&text, " (FFmpeg: ", message, ")");
  return text;
}

}  // namespace

std::string AvErrorString(int code) {
  char text[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(code, text, sizeof(text));
  return text;
}

void EnsureLogHook() {
  static std::once_flag once;
  std::call_once(once, [] {
    av_log_set_level(AV_LOG_WARNING);
    av_log_set_callback(LogHook);
  });
}

std::string TakeFfmpegMessage() {
  std::string message;
  message.swap(last_ffmpeg_message);
  return message;
}

void FrameDeleter::operator()(AVFrame* frame) const { av_frame_free(&frame); }

FramePtr RefFrame(const AVFrame* frame) {
  FramePtr copy(av_frame_alloc());
  if (copy == nullptr || av_frame_ref(copy.get(), frame) < 0) return nullptr;
  return copy;
}

absl::StatusOr<std::unique_ptr<VideoInput>> VideoInput::Open(const std::string& path,
                                                            int thread_count) {
  EnsureLogHook();
  TakeFfmpegMessage();
  std::unique_ptr<VideoInput> input(new VideoInput());
  CAMOE_RETURN_IF_ERROR(input->OpenImpl(path, thread_count));
  return input;
}

absl::Status VideoInput::OpenImpl(const std::string& path, int thread_count) {
  path_ = path;
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    const int error = errno;
    if (error == ENOENT || error == ENOTDIR) {
      return absl::NotFoundError(absl::StrCat(path, ": no such video file; check the path"));
    }
    return absl::PermissionDeniedError(
        absl::StrCat(path, ": cannot read the video file (", std::strerror(error), ")"));
  }
  if (S_ISDIR(st.st_mode)) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": is a directory, not a video file; pass the video's path"));
  }
  if (std::FILE* f = std::fopen(path.c_str(), "rb")) {
    std::fclose(f);
  } else {
    return absl::PermissionDeniedError(absl::StrCat(
        path, ": cannot read the video file (", std::strerror(errno), "); check its permissions"));
  }
  if (st.st_size == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": the file is empty (0 bytes), not a video; re-download or "
                           "re-extract it"));
  }

  int ret = avformat_open_input(&format_, path.c_str(), nullptr, nullptr);
  if (ret < 0) {
    const std::string reason = WithFfmpegMessage(AvErrorString(ret));
    const std::string recognised = RecognisedContainer(path);
    if (!recognised.empty() && !IsNonVideoDemuxer(recognised)) {
      return absl::DataLossError(absl::StrCat(path, ": a damaged or truncated ", recognised,
                                              " file that FFmpeg cannot open: ", reason,
                                              "; re-download or re-encode it"));
    }
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": not a video file FFmpeg can read: ", reason, "; check the file's format"));
  }
  const std::string demuxer = format_->iformat->name;
  if (IsNonVideoDemuxer(demuxer)) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": FFmpeg reads this as ", demuxer,
                     " (a still image or text), not a video; pass a video file"));
  }
  ret = avformat_find_stream_info(format_, nullptr);
  if (ret < 0) {
    return absl::DataLossError(
        absl::StrCat(path, ": cannot read the stream information of this ", demuxer,
                     " file: ", WithFfmpegMessage(AvErrorString(ret))));
  }
  // The first video stream that is not an attached cover picture, preferring
  // FFmpeg's own choice.
  const AVCodec* decoder = nullptr;
  int best = av_find_best_stream(format_, AVMEDIA_TYPE_VIDEO, -1, -1, &decoder, 0);
  if (best >= 0 && (format_->streams[best]->disposition & AV_DISPOSITION_ATTACHED_PIC)) best = -1;
  std::string streams;
  for (unsigned i = 0; i < format_->nb_streams; ++i) {
    const AVStream* s = format_->streams[i];
    const char* type = av_get_media_type_string(s->codecpar->codec_type);
    absl::StrAppend(&streams, streams.empty() ? "" : ", ", type ? type : "unknown", " ",
                    avcodec_get_name(s->codecpar->codec_id));
    if (best < 0 && s->codecpar->codec_type == AVMEDIA_TYPE_VIDEO &&
        !(s->disposition & AV_DISPOSITION_ATTACHED_PIC)) {
      best = static_cast<int>(i);
    }
  }
  if (best < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": has no video stream (", demuxer, " with ",
                     streams.empty() ? "no streams" : streams, "); pass a video file"));
  }
  stream_index_ = best;
  stream_ = format_->streams[best];
  const AVCodecParameters* par = stream_->codecpar;
  decoder = avcodec_find_decoder(par->codec_id);
  if (decoder == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": no decoder for its video codec ", avcodec_get_name(par->codec_id),
                     " in this FFmpeg build; re-encode it (e.g. to H.264)"));
  }
  codec_ = avcodec_alloc_context3(decoder);
  if (codec_ == nullptr) return absl::ResourceExhaustedError("out of memory for a decoder");
  ret = avcodec_parameters_to_context(codec_, par);
  if (ret >= 0) {
    codec_->pkt_timebase = stream_->time_base;
    codec_->thread_count = thread_count;
    codec_->thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE;
    ret = avcodec_open2(codec_, decoder, nullptr);
  }
  if (ret < 0) {
    return absl::DataLossError(absl::StrCat(path, ": cannot open the ", decoder->name,
                                            " decoder: ", WithFfmpegMessage(AvErrorString(ret))));
  }
  frame_ = av_frame_alloc();
  packet_ = av_packet_alloc();
  if (frame_ == nullptr || packet_ == nullptr) {
    return absl::ResourceExhaustedError("out of memory for a frame");
  }

  time_base_ = av_q2d(stream_->time_base);
  start_pts_ = stream_->start_time != AV_NOPTS_VALUE ? stream_->start_time : 0;
  info_.container = demuxer;
  info_.codec = avcodec_get_name(par->codec_id);
  info_.width = par->width;
  info_.height = par->height;
  AVRational rate = stream_->avg_frame_rate;
  if (rate.num <= 0 || rate.den <= 0) rate = stream_->r_frame_rate;
  if (rate.num > 0 && rate.den > 0) info_.fps = av_q2d(rate);
  if (stream_->duration != AV_NOPTS_VALUE && stream_->duration > 0) {
    info_.duration_seconds = stream_->duration * time_base_;
  } else if (format_->duration != AV_NOPTS_VALUE && format_->duration > 0) {
    info_.duration_seconds = static_cast<double>(format_->duration) / AV_TIME_BASE;
  }
  if (stream_->nb_frames > 0) {
    info_.frame_count_estimate = stream_->nb_frames;
  } else if (info_.fps > 0) {
    info_.frame_count_estimate = std::llround(info_.duration_seconds * info_.fps);
  }
  const int entries = avformat_index_get_entries_count(stream_);
  int keyframes = 0;
  for (int i = 0; i < entries; ++i) {
    const AVIndexEntry* entry = avformat_index_get_entry(stream_, i);
    if (entry != nullptr && (entry->flags & AVINDEX_KEYFRAME)) ++keyframes;
  }
  // MP4 and AVI index every frame and flag the keyframes; Matroska's cues list
  // keyframes only, so there the frame count stands in for the entries.
  index_lists_every_frame_ = keyframes > 0 && keyframes < entries;
  if (keyframes > 0) {
    const double frames = keyframes < entries ? entries
                                              : static_cast<double>(info_.frame_count_estimate);
    info_.keyframe_interval = frames > 0 ? frames / keyframes : 0;
  }
  if (info_.fps > 0) frame_interval_ = 1.0 / info_.fps;
  return absl::OkStatus();
}

VideoInput::~VideoInput() {
  sws_freeContext(sws_);
  av_packet_free(&packet_);
  av_frame_free(&frame_);
  avcodec_free_context(&codec_);
  avformat_close_input(&format_);
}

bool VideoInput::FeedDecoder() {
  while (true) {
    int ret = av_read_frame(format_, packet_);
    if (ret < 0) {
      if (ret != AVERROR_EOF) {
        read_error_ = true;
        problem_ = WithFfmpegMessage(absl::StrCat("reading stopped: ", AvErrorString(ret)));
      }
      avcodec_send_packet(codec_, nullptr);
      draining_ = true;
      return false;
    }
    if (packet_->stream_index != stream_index_) {
      av_packet_unref(packet_);
      continue;
    }
    ret = avcodec_send_packet(codec_, packet_);
    av_packet_unref(packet_);
    if (ret < 0 && ret != AVERROR(EAGAIN)) {
      // A damaged packet: skip it and go on, as players do; counted.
      ++decode_errors_;
      problem_ = WithFfmpegMessage(absl::StrCat("the decoder rejected a packet: ",
                                                AvErrorString(ret)));
      continue;
    }
    return true;
  }
}

bool VideoInput::NextFrame(double* time) {
  while (true) {
    av_frame_unref(frame_);
    const int ret = avcodec_receive_frame(codec_, frame_);
    if (ret == 0) {
      ++frames_out_;
      int64_t pts = frame_->best_effort_timestamp;
      if (pts == AV_NOPTS_VALUE) {
        pts = have_last_ ? last_pts_ + std::max<int64_t>(
                                           1, std::llround(frame_interval_ / time_base_))
                         : start_pts_;
      }
      const double t = static_cast<double>(pts - start_pts_) * time_base_;
      if (have_last_ && !(t > last_time_)) continue;
      have_last_ = true;
      last_time_ = t;
      last_pts_ = pts;
      *time = t;
      return true;
    }
    if (ret == AVERROR_EOF) return false;
    if (ret != AVERROR(EAGAIN)) {
      ++decode_errors_;
      problem_ = WithFfmpegMessage(absl::StrCat("decoding failed: ", AvErrorString(ret)));
    }
    if (draining_) return false;  // drained, or a decoder that fails while draining
    FeedDecoder();
  }
}

bool VideoInput::SeekBefore(double time) {
  const int64_t ts = start_pts_ + static_cast<int64_t>(std::floor(std::max(0.0, time) / time_base_));
  if (avformat_seek_file(format_, stream_index_, INT64_MIN, ts, ts, 0) < 0) {
    TakeFfmpegMessage();
    return false;
  }
  avcodec_flush_buffers(codec_);
  draining_ = false;
  have_last_ = false;
  ++seeks_;
  return true;
}

double VideoInput::KeyframeTimeBefore(double time) const {
  if (!index_lists_every_frame_) return std::nan("");
  const int64_t ts = start_pts_ + static_cast<int64_t>(std::floor(time / time_base_));
  const int index = av_index_search_timestamp(stream_, ts, AVSEEK_FLAG_BACKWARD);
  const AVIndexEntry* entry = index < 0 ? nullptr : avformat_index_get_entry(stream_, index);
  if (entry == nullptr) return -std::numeric_limits<double>::infinity();
  return static_cast<double>(entry->timestamp - start_pts_) * time_base_;
}

absl::StatusOr<image::RgbImage> VideoInput::ToRgb(const AVFrame* frame) {
  CAMOE_RETURN_IF_ERROR(image::CheckImageSize(frame->width, frame->height, path_));
  const auto format = static_cast<AVPixelFormat>(frame->format);
  sws_ = sws_getCachedContext(sws_, frame->width, frame->height, format, frame->width,
                              frame->height, AV_PIX_FMT_RGB24, SWS_BICUBIC | SWS_ACCURATE_RND,
                              nullptr, nullptr, nullptr);
  if (sws_ == nullptr) {
    const char* name = av_get_pix_fmt_name(format);
    return absl::DataLossError(absl::StrCat(path_, ": cannot convert pixel format ",
                                            name ? name : "unknown", " to RGB"));
  }
  // Honour the stream's colour matrix and range (BT.601 when unspecified);
  // the yuvj formats are full range whatever the tag says.
  const bool full_range = frame->color_range == AVCOL_RANGE_JPEG ||
                          format == AV_PIX_FMT_YUVJ420P || format == AV_PIX_FMT_YUVJ422P ||
                          format == AV_PIX_FMT_YUVJ444P || format == AV_PIX_FMT_YUVJ440P ||
                          format == AV_PIX_FMT_YUVJ411P;
  const int* coefficients = sws_getCoefficients(frame->colorspace);
  sws_setColorspaceDetails(sws_, coefficients, full_range ? 1 : 0,
                           sws_getCoefficients(SWS_CS_DEFAULT), 1, 0, 1 << 16, 1 << 16);
  image::RgbImage rgb(frame->width, frame->height);
  uint8_t* planes[4] = {rgb.data(), nullptr, nullptr, nullptr};
  int strides[4] = {3 * frame->width, 0, 0, 0};
  const int rows = sws_scale(sws_, frame->data, frame->linesize, 0, frame->height, planes, strides);
  if (rows != frame->height) {
    return absl::DataLossError(absl::StrCat(path_, ": pixel conversion to RGB failed"));
  }
  return rgb;
}

}  // namespace internal

void SetFfmpegLogging(bool print_to_stderr) {
  internal::EnsureLogHook();
  internal::print_ffmpeg_log.store(print_to_stderr, std::memory_order_relaxed);
}

}  // namespace camoe::video
