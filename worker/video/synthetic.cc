#include "worker/video/synthetic.h"

#include <cmath>
#include <filesystem>
#include <system_error>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/file_util.h"
#include "common/json.h"
#include "common/status_macros.h"
#include "worker/video/video_writer.h"

namespace camoe::video {
namespace {

using image::Color;
using image::ShapeInstance;

constexpr double kPi = 3.14159265358979323846;

bool IsDark(Color c) {
  return c == Color::kBlack || c == Color::kBlue || c == Color::kPurple || c == Color::kRed ||
         c == Color::kGreen;
}

// The primary object at progress p in [0, 1] (first to last frame).
ShapeInstance PrimaryAt(const SyntheticVideo& v, double p) {
  const Placement& base = v.primary.placement;
  ShapeInstance s{v.primary.shape, v.primary.color, base.x, base.y, base.size, 0.0};
  switch (v.action) {
    case Action::kMoveLeft: s.center_x = 0.8 - 0.6 * p; break;
    case Action::kMoveRight: s.center_x = 0.2 + 0.6 * p; break;
    case Action::kMoveUp: s.center_y = 0.8 - 0.6 * p; break;
    case Action::kMoveDown: s.center_y = 0.2 + 0.6 * p; break;
    case Action::kGrow: s.size = 0.15 + 0.35 * p; break;
    case Action::kShrink: s.size = 0.5 - 0.35 * p; break;
    case Action::kSpin: s.rotation_degrees = 180.0 * p; break;
    case Action::kBounce: s.center_y = 0.75 - 0.45 * std::abs(std::sin(2 * kPi * p)); break;
    case Action::kFade: case Action::kStayStill: break;
  }
  return s;
}

std::vector<ShapeInstance> Backdrop(const SyntheticVideo& v) {
  std::vector<ShapeInstance> shapes;
  if (v.pattern == Pattern::kDotted) {
    const Color dots = IsDark(v.background) ? Color::kWhite : Color::kBlack;
    for (int i = 0; i < 5; ++i) {
      for (int j = 0; j < 5; ++j) {
        shapes.push_back({image::Shape::kCircle, dots, 0.1 + 0.2 * i, 0.1 + 0.2 * j, 0.05, 0.0});
      }
    }
  }
  for (const SyntheticObject& o : v.distractors) {
    shapes.push_back({o.shape, o.color, o.placement.x, o.placement.y, o.placement.size, 0.0});
  }
  return shapes;
}

std::string ColorJson(Color c) { return JsonString(image::ColorName(c)); }

std::string MetaLine(const SyntheticVideo& v) {
  std::string distractors;
  for (const SyntheticObject& o : v.distractors) {
    absl::StrAppend(&distractors, distractors.empty() ? "" : ", ", "{\"shape\": ",
                    JsonString(image::ShapeName(o.shape)), ", \"color\": ", ColorJson(o.color),
                    "}");
  }
  return absl::StrCat(
      "{\"video_id\": \"video", v.index, "\", \"split\": ", JsonString(v.split),
      ", \"shape\": ", JsonString(image::ShapeName(v.primary.shape)),
      ", \"color\": ", ColorJson(v.primary.color), ", \"action\": ", JsonString(ActionName(v.action)),
      ", \"background\": ", ColorJson(v.background), ", \"pattern\": ",
      JsonString(PatternName(v.pattern)), ", \"distractors\": [", distractors, "]}");
}

int Category(Action action) {
  int i = 0;
  for (Action a : kAllActions) {
    if (a == action) return i;
    ++i;
  }
  return 0;
}

std::string VideoIdList(const std::vector<SyntheticVideo>& videos,
                        const std::vector<std::string>& splits) {
  std::string csv = "video_id\n";
  for (const SyntheticVideo& v : videos) {
    for (const std::string& split : splits) {
      if (v.split == split) absl::StrAppend(&csv, "video", v.index, "\n");
    }
  }
  return csv;
}

absl::Status WriteText(const std::string& path, const std::string& text) {
  return WriteFileAtomically(path, text);
}

}  // namespace

absl::StatusOr<image::RgbImage> RenderSyntheticFrame(const SyntheticVideo& video, int frame,
                                                     const SyntheticOptions& options) {
  const double p = static_cast<double>(frame) / (options.frames_per_video - 1);
  std::vector<ShapeInstance> shapes = Backdrop(video);
  shapes.push_back(PrimaryAt(video, p));
  CAMOE_ASSIGN_OR_RETURN(image::RgbImage with,
                         image::RenderScene(options.size, options.size, video.background, shapes));
  if (video.action != Action::kFade) return with;
  // Fading: blend the scene without the object over the scene with it.
  shapes.pop_back();
  CAMOE_ASSIGN_OR_RETURN(image::RgbImage without,
                         image::RenderScene(options.size, options.size, video.background, shapes));
  const double alpha = 1.0 - p;
  for (size_t i = 0; i < with.pixels().size(); ++i) {
    with.data()[i] = static_cast<uint8_t>(
        std::lround(alpha * with.data()[i] + (1.0 - alpha) * without.data()[i]));
  }
  return with;
}

absl::StatusOr<SyntheticSummary> WriteSyntheticDataset(const std::string& dir,
                                                       const SyntheticOptions& options) {
  CAMOE_ASSIGN_OR_RETURN(const SyntheticPlan plan, PlanSyntheticDataset(options));
  const std::string video_dir = dir + "/videos/all";
  std::error_code error;
  std::filesystem::create_directories(video_dir, error);
  if (error) {
    return absl::PermissionDeniedError(absl::StrCat(video_dir, ": cannot create the folder (",
                                                    error.message(), "); pick another --out"));
  }
  SyntheticSummary summary;
  summary.entities = plan.entities;
  summary.actions = plan.actions;
  VideoWriterOptions writer_options;
  writer_options.threads = 1;  // bit-identical output for a seed
  for (const SyntheticVideo& v : plan.videos) {
    const std::string path = absl::StrCat(video_dir, "/video", v.index, ".mp4");
    CAMOE_ASSIGN_OR_RETURN(auto writer, VideoWriter::Open(path, options.size, options.size,
                                                          options.fps, VideoCodec::kH264,
                                                          writer_options));
    for (int f = 0; f < options.frames_per_video; ++f) {
      CAMOE_ASSIGN_OR_RETURN(image::RgbImage frame, RenderSyntheticFrame(v, f, options));
      CAMOE_RETURN_IF_ERROR(writer->WriteFrame(frame));
    }
    CAMOE_RETURN_IF_ERROR(writer->Close());
    summary.video_bytes += static_cast<int64_t>(std::filesystem::file_size(path, error));
    ++summary.videos;
    summary.captions += static_cast<int>(v.captions.size());
    if (v.split == "train") ++summary.train;
    if (v.split == "validate") ++summary.validate;
    if (v.split == "test") ++summary.test;
  }

  // MSRVTT_data.json in MSR-VTT's own layout, one video or sentence a line.
  const double duration = options.frames_per_video / options.fps;
  std::string json = absl::StrCat(
      "{\"info\": {\"contributor\": \"camoe make-synthetic\", \"description\": ",
      JsonString("procedurally rendered shapes doing actions; docs/video.md"),
      ", \"seed\": ", options.seed, ", \"version\": \"1.0\", \"year\": 2024},\n\"videos\": [\n");
  for (size_t i = 0; i < plan.videos.size(); ++i) {
    const SyntheticVideo& v = plan.videos[i];
    absl::StrAppend(&json, absl::StrFormat(
        "{\"category\": %d, \"url\": \"synthetic://seed%d/video%d\", \"video_id\": \"video%d\", "
        "\"start time\": 0.0, \"end time\": %.3f, \"split\": \"%s\", \"id\": %d}%s\n",
        Category(v.action), options.seed, v.index, v.index, duration, v.split, v.index,
        i + 1 < plan.videos.size() ? "," : ""));
  }
  absl::StrAppend(&json, "],\n\"sentences\": [\n");
  int sen_id = 0;
  std::string meta = absl::StrFormat(
      "{\"seed\": %d, \"videos\": %d, \"frames_per_video\": %d, \"fps\": %g, \"size\": %d, "
      "\"entities\": %d, \"actions\": %d, \"layers\": %d,\n\"items\": [\n",
      options.seed, options.videos, options.frames_per_video, options.fps, options.size,
      plan.entities, plan.actions, plan.layers);
  std::string jsfusion = "key,vid_key,video_id,sentence\n";
  int test_rank = 0;
  for (size_t i = 0; i < plan.videos.size(); ++i) {
    const SyntheticVideo& v = plan.videos[i];
    for (const std::string& caption : v.captions) {
      absl::StrAppend(&json, sen_id == 0 ? "" : ",\n", "{\"caption\": ", JsonString(caption),
                      ", \"video_id\": \"video", v.index, "\", \"sen_id\": ", sen_id, "}");
      ++sen_id;
    }
    absl::StrAppend(&meta, MetaLine(v), i + 1 < plan.videos.size() ? ",\n" : "\n");
    if (v.split == "test" && !v.captions.empty()) {
      absl::StrAppend(&jsfusion, "ret", test_rank++, ",msr", v.index, ",video", v.index, ",",
                      v.captions.front(), "\n");
    }
  }
  absl::StrAppend(&json, "\n]}\n");
  absl::StrAppend(&meta, "]}\n");
  CAMOE_RETURN_IF_ERROR(WriteText(dir + "/MSRVTT_data.json", json));
  CAMOE_RETURN_IF_ERROR(WriteText(dir + "/synthetic_meta.json", meta));
  CAMOE_RETURN_IF_ERROR(WriteText(dir + "/MSRVTT_JSFUSION_test.csv", jsfusion));
  const std::string not_test = VideoIdList(plan.videos, {"train", "validate"});
  CAMOE_RETURN_IF_ERROR(WriteText(dir + "/MSRVTT_train.9k.csv", not_test));
  CAMOE_RETURN_IF_ERROR(WriteText(dir + "/MSRVTT_train.7k.csv", not_test));
  CAMOE_RETURN_IF_ERROR(
      WriteText(dir + "/MSRVTT_train.full.csv", VideoIdList(plan.videos, {"train"})));
  CAMOE_RETURN_IF_ERROR(
      WriteText(dir + "/MSRVTT_val.full.csv", VideoIdList(plan.videos, {"validate"})));
  CAMOE_RETURN_IF_ERROR(
      WriteText(dir + "/MSRVTT_test.full.csv", VideoIdList(plan.videos, {"test"})));
  return summary;
}

}  // namespace camoe::video
