// camoe encode-image.
#include "common/json.h"
#include "worker/cli/commands.h"
#include "worker/image/image.h"
#include "worker/image/preprocess.h"
#include "worker/model/clip_encoder.h"

namespace camoe::cli {

int EncodeImage(const Args& args, std::ostream& out, std::ostream& err) {
  struct {
    std::string weights;
    int64_t threads = 0;
    int64_t head_width = 64;
  } options;
  FlagSet flags("encode-image --weights=PATH IMAGE...",
                "Prints each IMAGE's projected CLIP image feature (not normalised) as one JSON\n"
                "array of floats per line. Images (PNG, JPEG, BMP, GIF, TGA, PSD, PNM) are\n"
                "resized on the short side to the model resolution with bicubic resampling\n"
                "(only when it differs), centre-cropped and normalised as CLIP does.");
  flags.AddString("weights", &options.weights,
                  "CLIP weights: OpenAI .pt, torch.save state dict, or camoe file");
  flags.AddInt("threads", &options.threads, "libtorch intra-op threads; 0: all cores");
  flags.AddInt("head_width", &options.head_width,
               "attention head size used to infer head counts from weight shapes");
  std::vector<std::string> paths;
  if (int rc = ParseFlags(flags, "encode-image", args, &paths, out, err); rc >= 0) return rc;
  if (options.weights.empty() || paths.empty()) {
    err << "camoe encode-image: --weights and at least one IMAGE are required (see --help)\n";
    return kExitUsage;
  }
  RuntimeConfig runtime;
  runtime.set_intra_op_threads(static_cast<int32_t>(options.threads));
  if (auto threads = ConfigureTorchThreads(runtime); !threads.ok()) {
    return Fail(err, "encode-image", threads.status());
  }
  ClipWeightsOptions weight_options;
  weight_options.head_width = static_cast<int>(options.head_width);
  auto encoder = ClipEncoder::Load(options.weights, weight_options);
  if (!encoder.ok()) return Fail(err, "encode-image", encoder.status());
  const int resolution = (*encoder)->config().vision().image_resolution();
  std::vector<std::vector<float>> images;
  for (const std::string& path : paths) {
    auto image = image::DecodeImageFile(path);
    if (!image.ok()) return Fail(err, "encode-image", image.status());
    auto pixels = image::PreprocessForClip(*image, resolution);
    if (!pixels.ok()) return Fail(err, "encode-image", pixels.status());
    images.push_back(std::move(*pixels));
  }
  auto features = (*encoder)->EncodeImages(images);
  if (!features.ok()) return Fail(err, "encode-image", features.status());
  for (int64_t r = 0; r < features->rows; ++r) {
    out << JsonFloatArray(features->Row(r), features->cols) << "\n";
  }
  return kExitOk;
}

}  // namespace camoe::cli
