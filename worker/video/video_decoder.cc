#include "worker/video/video_decoder.h"

#include <cmath>
#include <limits>
#include <memory>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status_macros.h"
#include "worker/image/preprocess.h"
#include "worker/video/ffmpeg_input.h"
#include "worker/video/frame_selection.h"

extern "C" {
#include <libavutil/frame.h>
}

namespace camoe::video {
namespace {

using internal::FramePtr;
using internal::RefFrame;
using internal::VideoInput;

constexpr double kInfinity = std::numeric_limits<double>::infinity();

// Note [Strategy choice]. Decoding is the cost; a seek costs a demuxer jump,
// a decoder flush and decoding from the keyframe before the wanted frame. So
// a pass decides before each wanted frame (segment centre): look up in the
// container's index the keyframe before the centre (minus kSeekMarginFrames,
// so the frames either side of the centre are decoded) and seek only when
// that keyframe lies more than kSeekOverheadFrames frames past the frame we
// last decoded, i.e. when the jump skips more decoding than it costs. Dense
// centres (short clips, N large) or sparse keyframes (x264's default 250)
// therefore decode sequentially; long clips with regular keyframes seek.
// Only MP4/MOV and AVI indexes list every frame; for the others (Matroska's
// cues may hold one keyframe per cluster) kAuto seeks when the gap exceeds
// the estimated keyframe interval (VideoInfo::keyframe_interval) plus the
// overhead, and never without an estimate. The decision is taken once per
// centre, so a seek that lands early can not repeat.
constexpr double kSeekMarginFrames = 3;
constexpr double kSeekOverheadFrames = 4;

enum class SeekPolicy { kNever, kWhenWorthIt, kWhenPossible };

struct Segment {
  double start = 0;
  double end = kInfinity;       // exclusive; infinite when the duration is unknown
  bool ends_at_clip_end = true;
};

absl::Status ValidateOptions(const std::string& path, const SampleOptions& o) {
  auto bad = [&](const std::string& what) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", what));
  };
  if (o.num_frames < 1 || o.num_frames > 4096) {
    return bad(absl::StrCat("num_frames must be in 1..4096, got ", o.num_frames));
  }
  if (o.size < 0 || o.size > image::kMaxImageSide) {
    return bad(absl::StrCat("size must be 0 (original frames) or 1..", image::kMaxImageSide,
                            ", got ", o.size));
  }
  if (o.thread_count < 0 || o.thread_count > 64) {
    return bad(absl::StrCat("thread_count must be in 0..64, got ", o.thread_count));
  }
  if (!std::isfinite(o.start_seconds) || !std::isfinite(o.end_seconds)) {
    return bad("segment start and end must be finite numbers");
  }
  if (o.start_seconds >= 0 && o.end_seconds >= 0 && o.end_seconds <= o.start_seconds) {
    return bad(absl::StrFormat("segment end %.3f s is not after its start %.3f s", o.end_seconds,
                               o.start_seconds));
  }
  return absl::OkStatus();
}

absl::StatusOr<Segment> ResolveSegment(const std::string& path, const SampleOptions& o,
                                       const VideoInfo& info) {
  Segment segment;
  const double clip_end = info.duration_seconds > 0 ? info.duration_seconds : kInfinity;
  segment.start = o.start_seconds < 0 ? 0.0 : o.start_seconds;
  segment.end = o.end_seconds < 0 ? clip_end : std::min(o.end_seconds, clip_end);
  segment.ends_at_clip_end = o.end_seconds < 0 || o.end_seconds >= clip_end;
  if (segment.start >= segment.end) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: the segment starting at %.3f s lies outside the clip (duration %.3f s); check the "
        "annotation's start and end times",
        path, segment.start, info.duration_seconds));
  }
  return segment;
}

// One decoding pass: streams frames, resolves each centre to the nearest
// candidate frame (Note [Frame selection rule]) and appends the picks to the
// clip, converting only the frames it keeps.
class Pass {
 public:
  Pass(VideoInput* input, const Segment& segment, const SampleOptions& options, SeekPolicy policy,
       SampledClip* clip)
      : input_(input), segment_(segment), options_(options), policy_(policy), clip_(clip) {}

  absl::Status Run(const std::vector<double>& centres);

  // Seek passes only: a seek failed or landed too late; redo sequentially.
  bool gave_up() const { return gave_up_; }
  bool seeked() const { return seeked_; }
  // Sequential passes: every candidate time seen, and whether all were seen.
  const std::vector<double>& candidate_times() const { return candidate_times_; }
  bool hit_eof() const { return hit_eof_; }
  double last_time() const { return last_time_; }

 private:
  enum class SeekOutcome { kNone, kSeeked, kFailed };
  SeekOutcome MaybeSeek(double centre, double position, double* time);
  absl::Status Emit(const AVFrame* frame, double time);

  VideoInput* input_;
  Segment segment_;
  const SampleOptions& options_;
  SeekPolicy policy_;
  SampledClip* clip_;
  bool gave_up_ = false;
  bool seeked_ = false;
  bool hit_eof_ = false;
  double last_time_ = -1;
  std::vector<double> candidate_times_;
};

absl::Status Pass::Run(const std::vector<double>& centres) {
  const size_t n = centres.size();
  const size_t wanted = static_cast<size_t>(options_.num_frames);
  size_t k = 0;
  FramePtr prev, before;  // latest candidate before the pending centre; latest frame before start
  double prev_time = 0, before_time = 0;
  double position = 0;    // time of the last decoded frame; decoding starts at the clip start
  double time = 0;
  bool frame_ready = false;
  size_t decided = n;  // the centre whose seek decision has been taken (once each)
  while (true) {
    if (k < n && policy_ != SeekPolicy::kNever && !frame_ready && decided != k) {
      decided = k;
      switch (MaybeSeek(centres[k], position, &time)) {
        case SeekOutcome::kFailed:
          gave_up_ = true;
          return absl::OkStatus();
        case SeekOutcome::kSeeked:
          seeked_ = true;
          frame_ready = true;
          prev.reset();
          break;
        case SeekOutcome::kNone:
          break;
      }
    }
    if (!frame_ready) {
      // A sequential pass goes on past the last centre until it has seen more
      // candidates than wanted: only then is rule 4 (not 3) known to apply.
      const bool more = k < n || (!seeked_ && candidate_times_.size() <= wanted);
      if (!more) break;
      if (!input_->NextFrame(&time)) {
        hit_eof_ = true;
        break;
      }
    }
    frame_ready = false;
    position = time;
    last_time_ = time;
    if (time < segment_.start) {
      before = RefFrame(input_->frame());
      before_time = time;
      continue;
    }
    if (time >= segment_.end) break;
    candidate_times_.push_back(time);
    while (k < n && centres[k] <= time) {
      const bool earlier = prev != nullptr && PreferEarlier(prev_time, centres[k], time);
      CAMOE_RETURN_IF_ERROR(earlier ? Emit(prev.get(), prev_time) : Emit(input_->frame(), time));
      ++k;
    }
    if (k < n) {
      prev = RefFrame(input_->frame());
      prev_time = time;
    }
  }
  if (k < n) {
    // Centres past the last candidate take it; with no candidate at all, the
    // frame on screen at the segment start (rule 2).
    if (prev != nullptr) {
      CAMOE_RETURN_IF_ERROR(Emit(prev.get(), prev_time));
    } else if (before != nullptr && candidate_times_.empty()) {
      CAMOE_RETURN_IF_ERROR(Emit(before.get(), before_time));
    }
  }
  return absl::OkStatus();
}

Pass::SeekOutcome Pass::MaybeSeek(double centre, double position, double* time) {
  const double interval = input_->frame_interval();
  double target = centre - kSeekMarginFrames * interval;
  const double keyframe = input_->KeyframeTimeBefore(target);
  bool seek;
  if (!std::isnan(keyframe)) {
    const double overhead =
        policy_ == SeekPolicy::kWhenWorthIt ? kSeekOverheadFrames * interval : 0.0;
    seek = keyframe - position > overhead;
  } else if (policy_ == SeekPolicy::kWhenPossible) {
    seek = target - position > kSeekMarginFrames * interval;
  } else {
    // No exact index: seek only when the gap surely holds a keyframe if the
    // estimated keyframe interval is right.
    const double frames = input_->info().keyframe_interval;
    seek = frames > 0 && target - position > (frames + kSeekOverheadFrames) * interval;
  }
  if (!seek) return SeekOutcome::kNone;
  // The first keyframe out of the decoder after the seek must come before the
  // centre, so that the candidates either side of it are decoded; frames
  // before it (an open GOP's leading pictures) may be damaged and are skipped.
  for (int attempt = 0; attempt < 4; ++attempt) {
    if (attempt == 3) target = 0;
    if (!input_->SeekBefore(target)) return SeekOutcome::kFailed;
    bool keyframe_found = false;
    for (int skipped = 0; skipped < 1000 && input_->NextFrame(time); ++skipped) {
      if (input_->frame()->key_frame) {
        keyframe_found = true;
        break;
      }
    }
    if (!keyframe_found) return SeekOutcome::kFailed;
    if (*time < centre || target <= 0) return SeekOutcome::kSeeked;
    target -= std::max(1.0, 2 * (centre - target));
  }
  return SeekOutcome::kFailed;
}

absl::Status Pass::Emit(const AVFrame* frame, double time) {
  if (!clip_->timestamps.empty() && time <= clip_->timestamps.back()) return absl::OkStatus();
  CAMOE_ASSIGN_OR_RETURN(image::RgbImage rgb, input_->ToRgb(frame));
  if (options_.size > 0) {
    CAMOE_ASSIGN_OR_RETURN(rgb, image::ResizeShortSide(rgb, options_.size));
    CAMOE_ASSIGN_OR_RETURN(rgb, image::CenterCrop(rgb, options_.size));
  }
  clip_->frames.push_back(std::move(rgb));
  clip_->timestamps.push_back(time);
  return absl::OkStatus();
}

void AddStats(const VideoInput& input, SampledClip* clip) {
  clip->frames_decoded += input.frames_out();
  clip->decode_errors += input.decode_errors();
  clip->seeks += input.seeks();
  if (!input.problem().empty()) clip->problem = input.problem();
  if (input.read_error()) clip->truncated = true;
}

void ClearFrames(SampledClip* clip) {
  clip->frames.clear();
  clip->timestamps.clear();
}

// A sequential pass that fetches exactly the frames at `times` (each is its
// own nearest frame), on a freshly opened input.
absl::Status FetchExactly(const std::string& path, const Segment& segment,
                          const SampleOptions& options, const std::vector<double>& times,
                          SampledClip* clip) {
  CAMOE_ASSIGN_OR_RETURN(std::unique_ptr<VideoInput> input,
                         VideoInput::Open(path, options.thread_count));
  ClearFrames(clip);
  Pass pass(input.get(), segment, options, SeekPolicy::kNever, clip);
  CAMOE_RETURN_IF_ERROR(pass.Run(times));
  AddStats(*input, clip);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<VideoInfo> ProbeVideo(const std::string& path) {
  CAMOE_ASSIGN_OR_RETURN(std::unique_ptr<VideoInput> input, VideoInput::Open(path, 1));
  return input->info();
}

absl::StatusOr<SampledClip> SampleFrames(const std::string& path, const SampleOptions& options) {
  CAMOE_RETURN_IF_ERROR(ValidateOptions(path, options));
  CAMOE_ASSIGN_OR_RETURN(std::unique_ptr<VideoInput> input,
                         VideoInput::Open(path, options.thread_count));
  SampledClip clip;
  clip.info = input->info();
  CAMOE_ASSIGN_OR_RETURN(const Segment segment, ResolveSegment(path, options, clip.info));
  const int n = options.num_frames;
  const double interval = input->frame_interval();

  if (!std::isfinite(segment.end)) {
    // Unknown duration: list every frame time first, then fetch the picks.
    Pass scan(input.get(), segment, options, SeekPolicy::kNever, &clip);
    CAMOE_RETURN_IF_ERROR(scan.Run({}));
    // Run({}) stops after num_frames + 1 candidates; read the rest for times.
    std::vector<double> times = scan.candidate_times();
    double time;
    while (input->NextFrame(&time)) times.push_back(time);
    AddStats(*input, &clip);
    if (times.empty() && scan.last_time() >= 0) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s: the segment starting at %.3f s lies after the clip's last frame (%.3f s); check "
          "the annotation's start time",
          path, segment.start, scan.last_time()));
    }
    if (!times.empty()) {
      Segment known = segment;
      known.end = times.back() + interval;
      std::vector<double> picked;
      for (int i : SelectFrames(times, known.start, known.end, n)) picked.push_back(times[i]);
      CAMOE_RETURN_IF_ERROR(FetchExactly(path, segment, options, picked, &clip));
    }
  } else {
    const std::vector<double> centres = SegmentCentres(segment.start, segment.end, n);
    SeekPolicy policy = SeekPolicy::kWhenWorthIt;
    if (options.strategy == SampleOptions::Strategy::kSequential) policy = SeekPolicy::kNever;
    if (options.strategy == SampleOptions::Strategy::kSeek) policy = SeekPolicy::kWhenPossible;
    std::optional<Pass> pass;
    pass.emplace(input.get(), segment, options, policy, &clip);
    CAMOE_RETURN_IF_ERROR(pass->Run(centres));
    AddStats(*input, &clip);
    if (pass->gave_up() || pass->seeked()) {
      // Streaming nearest-frame picks equal the rule whenever they are N
      // distinct frames; fewer may mean a clip of at most N candidates
      // (rule 3), which only a sequential pass can tell.
      clip.used_seek = true;
      if (pass->gave_up() || static_cast<int>(clip.frames.size()) != n) {
        ClearFrames(&clip);
        clip.used_seek = false;
        CAMOE_ASSIGN_OR_RETURN(input, VideoInput::Open(path, options.thread_count));
        pass.emplace(input.get(), segment, options, SeekPolicy::kNever, &clip);
        CAMOE_RETURN_IF_ERROR(pass->Run(centres));
        AddStats(*input, &clip);
      }
    }
    if (!clip.used_seek) {
      // A pass without seeks saw every candidate up to its stop.
      const std::vector<double>& candidates = pass->candidate_times();
      if (!candidates.empty() && static_cast<int>(candidates.size()) <= n &&
          clip.timestamps != candidates) {
        CAMOE_RETURN_IF_ERROR(FetchExactly(path, segment, options, candidates, &clip));
      }
      // Frames that stop well before the declared end mean a cut-off file.
      const double slack = std::max(3 * interval, 0.25);
      if (pass->hit_eof() && segment.ends_at_clip_end && pass->last_time() >= 0 &&
          pass->last_time() + interval < segment.end - slack) {
        clip.truncated = true;
        if (clip.problem.empty()) {
          clip.problem = absl::StrFormat("frames end at %.3f s but the file declares %.3f s",
                                         pass->last_time() + interval, segment.end);
        }
      }
    }
  }
  clip.valid_frames = static_cast<int>(clip.frames.size());
  if (clip.valid_frames == 0) {
    std::string reason = clip.problem.empty() ? "no frame decoded" : clip.problem;
    return absl::DataLossError(absl::StrCat(
        path, ": no frame could be decoded from this ", clip.info.container, " / ",
        clip.info.codec, " file (", reason, ", ", clip.decode_errors,
        " damaged packets); re-encode or drop the video"));
  }
  return clip;
}

}  // namespace camoe::video
