// camoe encode-image.
#include "common/json.h"
#include "worker/cli/commands.h"
#include "worker/image/image.h"
#include "worker/image/preprocess.h"

namespace camoe::cli {

int EncodeImage(const Args& args, std::ostream& out, std::ostream& err) {
  ModelFlags options;
  FlagSet flags("encode-image --weights=PATH IMAGE...",
                "Prints each IMAGE's projected CLIP image feature (not normalised) as one JSON\n"
                "array of floats per line. Images (PNG, JPEG, BMP, GIF, TGA, PSD, PNM) are\n"
                "resized on the short side to the model resolution with bicubic resampling\n"
                "(only when it differs), centre-cropped and normalised as CLIP does.");
  AddModelFlags(flags, &options);
  std::vector<std::string> paths;
  if (int rc = ParseFlags(flags, "encode-image", args, &paths, out, err); rc >= 0) return rc;
  if (options.weights.empty() || paths.empty()) {
    err << "camoe encode-image: --weights and at least one IMAGE are required (see --help)\n";
    return kExitUsage;
  }
  auto encoder = LoadModel(options);
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
