// camoe demo: the README's main job until training lands. A CLIP built from a
// JobSpec (random tiny by default) encodes a few captions and procedurally
// rendered images of the shapes they describe and prints the similarity matrix.
#include <chrono>
#include <cmath>

#include "absl/strings/str_format.h"
#include "common/config.h"
#include "common/file_util.h"
#include "common/text_proto.h"
#include "worker/cli/commands.h"
#include "worker/image/image.h"
#include "worker/image/preprocess.h"
#include "worker/image/shapes.h"
#include "worker/model/clip_encoder.h"
#include "worker/weights/clip_state_dict.h"

namespace camoe::cli {
namespace {

using image::Color;
using image::Shape;
using image::ShapeInstance;

struct Scene {
  std::string caption;
  std::vector<ShapeInstance> shapes;
};

std::vector<Scene> DemoScenes() {
  auto one = [](Shape shape, Color color, double x, double y, double size, double rotation) {
    ShapeInstance s;
    s.shape = shape;
    s.color = color;
    s.center_x = x;
    s.center_y = y;
    s.size = size;
    s.rotation_degrees = rotation;
    return s;
  };
  return {
      {"a red circle", {one(Shape::kCircle, Color::kRed, 0.5, 0.5, 0.5, 0)}},
      {"a blue square", {one(Shape::kSquare, Color::kBlue, 0.5, 0.5, 0.45, 0)}},
      {"a green triangle", {one(Shape::kTriangle, Color::kGreen, 0.5, 0.55, 0.5, 0)}},
      {"a yellow star", {one(Shape::kStar, Color::kYellow, 0.5, 0.5, 0.55, 0)}},
      {"a purple diamond on the left", {one(Shape::kDiamond, Color::kPurple, 0.3, 0.5, 0.4, 0)}},
      {"an orange circle next to a white square",
       {one(Shape::kCircle, Color::kOrange, 0.3, 0.5, 0.3, 0),
        one(Shape::kSquare, Color::kWhite, 0.7, 0.5, 0.3, 15)}},
  };
}

}  // namespace

int Demo(const Args& args, std::ostream& out, std::ostream& err) {
  struct {
    std::string config = "configs/demo.pbtxt";
    std::string vocab;
    std::string images_out;
  } options;
  FlagSet flags("demo [--config=configs/demo.pbtxt] [--images_out=DIR]",
                "Builds the CLIP described by a JobSpec (random initialisation unless\n"
                "model.clip_weights is set), encodes six captions and six rendered images of\n"
                "what they describe, and prints the scaled cosine similarity matrix. With\n"
                "random weights the matrix shows the pipeline working, not retrieval quality;\n"
                "training comes with `camoe train`.");
  flags.AddString("config", &options.config, "JobSpec in protobuf text format");
  flags.AddString("vocab", &options.vocab,
                  "overrides tokenizer.vocab_path; empty: the config's, else the build's asset");
  flags.AddString("images_out", &options.images_out, "if set, write the rendered images here as PNG");
  std::vector<std::string> rest;
  if (int rc = ParseFlags(flags, "demo", args, &rest, out, err); rc >= 0) return rc;
  if (!rest.empty()) {
    err << "camoe demo: unexpected argument '" << rest[0] << "' (see --help)\n";
    return kExitUsage;
  }
  const auto start = std::chrono::steady_clock::now();
  auto spec = LoadJobSpec(options.config);
  if (!spec.ok()) return Fail(err, "demo", spec.status());
  err << "camoe demo: effective config (" << options.config << "):\n" << ToTextProto(*spec);
  auto threads = ConfigureTorchThreads(spec->runtime());
  if (!threads.ok()) return Fail(err, "demo", threads.status());
  const std::string vocab = !options.vocab.empty() ? options.vocab : spec->tokenizer().vocab_path();
  auto tokenizer = LoadTokenizer(vocab);
  if (!tokenizer.ok()) return Fail(err, "demo", tokenizer.status());

  absl::StatusOr<std::unique_ptr<ClipEncoder>> encoder =
      spec->model().clip_weights().empty()
          ? ClipEncoder::CreateRandom(spec->model().clip(), spec->runtime().seed())
          : ClipEncoder::Load(spec->model().clip_weights());
  if (!encoder.ok()) return Fail(err, "demo", encoder.status());
  const ClipConfig& clip = (*encoder)->config();
  out << absl::StrFormat("CLIP: %s\n      %d parameters, %d intra-op threads, %s weights\n",
                         DescribeClipConfig(clip), (*encoder)->parameter_count(), *threads,
                         spec->model().clip_weights().empty() ? "random" : "loaded");

  const std::vector<Scene> scenes = DemoScenes();
  const int max_words = std::min(spec->tokenizer().max_words(), clip.text().context_length());
  const int resolution = clip.vision().image_resolution();
  std::vector<std::vector<int32_t>> tokens;
  std::vector<std::vector<float>> pixels;
  for (size_t i = 0; i < scenes.size(); ++i) {
    auto ids = (*tokenizer)->EncodeForModel(scenes[i].caption, max_words, /*pad=*/false);
    if (!ids.ok()) return Fail(err, "demo", ids.status());
    tokens.push_back(std::move(*ids));
    // Render at 2x and let CLIP's preprocessing resize, as for real photos.
    auto rendered = image::RenderScene(2 * resolution, 2 * resolution, Color::kBlack,
                                       scenes[i].shapes);
    if (!rendered.ok()) return Fail(err, "demo", rendered.status());
    if (!options.images_out.empty()) {
      std::string path = absl::StrFormat("%s/scene_%d.png", options.images_out, i);
      if (absl::Status s = image::WritePng(path, *rendered); !s.ok()) return Fail(err, "demo", s);
    }
    auto input = image::PreprocessForClip(*rendered, resolution);
    if (!input.ok()) return Fail(err, "demo", input.status());
    pixels.push_back(std::move(*input));
  }
  auto text_features = (*encoder)->EncodeText(tokens);
  if (!text_features.ok()) return Fail(err, "demo", text_features.status());
  auto image_features = (*encoder)->EncodeImages(pixels);
  if (!image_features.ok()) return Fail(err, "demo", image_features.status());
  const float scale = (*encoder)->logit_scale();
  FloatMatrix similarity = ScaledCosineSimilarity(*text_features, *image_features, scale);

  out << absl::StrFormat("\nscaled cosine similarity (logit scale %.2f), captions x images:\n",
                         scale);
  out << absl::StrFormat("%-42s", "");
  for (size_t j = 0; j < scenes.size(); ++j) out << absl::StrFormat("  img%-3d", j);
  out << "  best\n";
  int correct = 0;
  for (int64_t i = 0; i < similarity.rows; ++i) {
    out << absl::StrFormat("%-42s", absl::StrFormat("%d %s", i, scenes[i].caption));
    int64_t best = 0;
    for (int64_t j = 0; j < similarity.cols; ++j) {
      const float v = similarity.values[i * similarity.cols + j];
      if (v > similarity.values[i * similarity.cols + best]) best = j;
      out << absl::StrFormat("  %6.2f", v);
    }
    correct += best == i;
    out << absl::StrFormat("  img%d\n", best);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  out << absl::StrFormat(
      "\ntext-to-image top-1: %d/%d (chance: 1 of %d; the weights are %s)\ndone in %.2f s\n",
      correct, static_cast<int>(scenes.size()), static_cast<int>(scenes.size()),
      spec->model().clip_weights().empty() ? "random, untrained" : "loaded", seconds);
  return kExitOk;
}

}  // namespace camoe::cli
