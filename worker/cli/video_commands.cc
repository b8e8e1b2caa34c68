// camoe frames and camoe make-synthetic (docs/video.md).
#include <algorithm>
#include <chrono>

#include "absl/strings/str_format.h"
#include "worker/cli/commands.h"
#include "worker/image/image.h"
#include "worker/video/contact_sheet.h"
#include "worker/video/synthetic.h"
#include "worker/video/video_decoder.h"

namespace camoe::cli {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

absl::StatusOr<video::SampleOptions::Strategy> ParseStrategy(const std::string& name) {
  if (name == "auto") return video::SampleOptions::Strategy::kAuto;
  if (name == "sequential") return video::SampleOptions::Strategy::kSequential;
  if (name == "seek") return video::SampleOptions::Strategy::kSeek;
  return absl::InvalidArgumentError("--strategy must be auto, sequential or seek, got '" + name +
                                    "'");
}

}  // namespace

int Frames(const Args& args, std::ostream& out, std::ostream& err) {
  std::string path, sheet_path, strategy_name = "auto";
  int64_t num_frames = 12, size = 224, threads = 1, columns = 0, repeat = 1;
  double start = -1, end = -1;
  bool ffmpeg_log = false;
  FlagSet flags("frames --video=PATH [--num_frames=12] [--size=224] [--out=SHEET.png]",
                "Samples a video's frames exactly as training does (N frames at the centres of\n"
                "N equal parts of the clip or segment, short side resized with bicubic and\n"
                "centre-cropped to --size) and prints each frame's timestamp, the decoder's\n"
                "work and its speed. With --out, also writes a contact sheet PNG of the frames\n"
                "labelled '#index time s'. --repeat times repeated calls (a benchmark).");
  flags.AddString("video", &path, "the video file (any container/codec FFmpeg reads)");
  flags.AddInt("num_frames", &num_frames, "frames to sample (N)");
  flags.AddInt("size", &size, "CLIP input size: short side and crop; 0 keeps original frames");
  flags.AddDouble("start", &start, "segment start in seconds (<0: clip start)");
  flags.AddDouble("end", &end, "segment end in seconds (<0: clip end)");
  flags.AddString("strategy", &strategy_name, "auto, sequential or seek");
  flags.AddInt("threads", &threads, "decoder threads (0: FFmpeg's choice)");
  flags.AddString("out", &sheet_path, "contact sheet PNG to write (optional)");
  flags.AddInt("columns", &columns, "contact sheet columns (0: near-square grid)");
  flags.AddInt("repeat", &repeat, "sample this many times and report the mean time");
  flags.AddBool("ffmpeg_log", &ffmpeg_log, "print FFmpeg's own warnings to stderr");
  std::vector<std::string> positional;
  if (int rc = ParseFlags(flags, "frames", args, &positional, out, err); rc >= 0) return rc;
  if (path.empty() || !positional.empty()) {
    err << "camoe frames: --video=PATH is required and takes no other arguments (see --help)\n";
    return kExitUsage;
  }
  auto strategy = ParseStrategy(strategy_name);
  if (!strategy.ok()) {
    err << "camoe frames: " << strategy.status().message() << "\n";
    return kExitUsage;
  }
  if (repeat < 1 || repeat > 10000) {
    err << "camoe frames: --repeat must be in 1..10000\n";
    return kExitUsage;
  }
  video::SetFfmpegLogging(ffmpeg_log);
  video::SampleOptions options;
  options.num_frames = static_cast<int>(num_frames);
  options.size = static_cast<int>(size);
  options.start_seconds = start;
  options.end_seconds = end;
  options.strategy = *strategy;
  options.thread_count = static_cast<int>(threads);

  absl::StatusOr<video::SampledClip> clip;
  const Clock::time_point begin = Clock::now();
  for (int64_t i = 0; i < repeat; ++i) {
    clip = video::SampleFrames(path, options);
    if (!clip.ok()) return Fail(err, "frames", clip.status());
  }
  const double seconds = SecondsSince(begin) / static_cast<double>(repeat);
  const video::VideoInfo& info = clip->info;
  out << absl::StrFormat(
      "video: %s\n  %s / %s, %dx%d, %.3f fps, %.3f s, ~%d frames, keyframe every %.1f frames\n",
      path, info.container, info.codec, info.width, info.height, info.fps, info.duration_seconds,
      info.frame_count_estimate, info.keyframe_interval);
  out << absl::StrFormat(
      "sampled %d of %d frames: %s, %d seeks, %d frames decoded, %d damaged packets%s\n",
      clip->valid_frames, options.num_frames, clip->used_seek ? "seeking" : "sequential",
      clip->seeks, clip->frames_decoded, clip->decode_errors,
      clip->truncated ? " (TRUNCATED: " + clip->problem + ")" : "");
  out << absl::StrFormat("time per call: %.2f ms (mean of %d), %.0f decoded frames/s\n",
                         seconds * 1e3, repeat,
                         seconds > 0 ? clip->frames_decoded / seconds : 0.0);
  std::vector<std::string> labels;
  for (int k = 0; k < clip->valid_frames; ++k) {
    labels.push_back(absl::StrFormat("#%d %.3fs", k, clip->timestamps[k]));
    out << absl::StrFormat("frame %2d  t = %.3f s\n", k, clip->timestamps[k]);
  }
  if (!sheet_path.empty()) {
    auto sheet = video::MakeContactSheet(clip->frames, labels, static_cast<int>(columns));
    if (!sheet.ok()) return Fail(err, "frames", sheet.status());
    if (absl::Status s = image::WritePng(sheet_path, *sheet); !s.ok()) {
      return Fail(err, "frames", s);
    }
    out << absl::StrFormat("wrote %s (%dx%d)\n", sheet_path, sheet->width(), sheet->height());
  }
  return kExitOk;
}

int MakeSynthetic(const Args& args, std::ostream& out, std::ostream& err) {
  std::string dir;
  video::SyntheticOptions options;
  int64_t videos = options.videos, seed = static_cast<int64_t>(options.seed);
  int64_t frames = options.frames_per_video, size = options.size;
  int64_t captions = options.captions_per_video;
  double fps = options.fps;
  FlagSet flags("make-synthetic --out=DIR [--videos=200] [--seed=1]",
                "Renders the synthetic default dataset: short H.264 clips of coloured shapes\n"
                "that move, grow, shrink, spin, bounce, fade or stay still, with captions from\n"
                "a grammar with synonyms, in MSR-VTT's layout (MSRVTT_data.json, the train and\n"
                "JSFusion test CSVs, videos/all/videoN.mp4). The same seed gives the same bytes.");
  flags.AddString("out", &dir, "output folder (created if missing)");
  flags.AddInt("videos", &videos, "number of videos");
  flags.AddInt("seed", &seed, "random seed; everything follows from it");
  flags.AddInt("frames_per_video", &frames, "frames per clip");
  flags.AddDouble("fps", &fps, "frame rate of the clips");
  flags.AddInt("size", &size, "frame width and height in pixels (even)");
  flags.AddInt("captions_per_video", &captions, "distinct captions per video");
  std::vector<std::string> positional;
  if (int rc = ParseFlags(flags, "make-synthetic", args, &positional, out, err); rc >= 0) {
    return rc;
  }
  if (dir.empty() || !positional.empty()) {
    err << "camoe make-synthetic: --out=DIR is required and takes no other arguments (see "
           "--help)\n";
    return kExitUsage;
  }
  if (seed < 0) {
    err << "camoe make-synthetic: --seed must be >= 0\n";
    return kExitUsage;
  }
  options.videos = static_cast<int>(std::clamp<int64_t>(videos, -1, 1 << 30));
  options.seed = static_cast<uint64_t>(seed);
  options.frames_per_video = static_cast<int>(std::clamp<int64_t>(frames, -1, 1 << 30));
  options.fps = fps;
  options.size = static_cast<int>(std::clamp<int64_t>(size, -1, 1 << 30));
  options.captions_per_video = static_cast<int>(std::clamp<int64_t>(captions, -1, 1 << 30));
  if (absl::Status s = video::ValidateSyntheticOptions(options); !s.ok()) {
    err << "camoe make-synthetic: " << s.message() << "\n";
    return kExitUsage;
  }
  const Clock::time_point begin = Clock::now();
  auto summary = video::WriteSyntheticDataset(dir, options);
  if (!summary.ok()) return Fail(err, "make-synthetic", summary.status());
  out << absl::StrFormat(
      "wrote %d videos (%d train, %d validate, %d test) and %d captions to %s in %.2f s\n"
      "  %d entities x %d actions, %dx%d px, %d frames at %g fps, %.1f KiB of video\n",
      summary->videos, summary->train, summary->validate, summary->test, summary->captions, dir,
      SecondsSince(begin), summary->entities, summary->actions, options.size, options.size,
      options.frames_per_video, options.fps, summary->video_bytes / 1024.0);
  return kExitOk;
}

}  // namespace camoe::cli
