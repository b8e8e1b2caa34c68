#include "worker/image/image.h"

#include <climits>
#include <cstring>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/file_util.h"
#include "common/status_macros.h"

// Debian's libstb.so already holds the stb_image and stb_image_write
// implementations, so this file includes only the declarations; defining
// STB_IMAGE_IMPLEMENTATION here would duplicate every symbol.
#include "stb_image.h"
#include "stb_image_write.h"

namespace camoe::image {
namespace {

struct StbFree {
  void operator()(stbi_uc* pixels) const { stbi_image_free(pixels); }
};

std::string StbReason() {
  const char* reason = stbi_failure_reason();
  return reason == nullptr ? std::string("unknown reason") : std::string(reason);
}

// stb_image_write's output callback: appends to a std::string.
void AppendToString(void* context, void* data, int size) {
  static_cast<std::string*>(context)->append(static_cast<const char*>(data),
                                             static_cast<size_t>(size));
}

}  // namespace

absl::Status CheckImageSize(int64_t width, int64_t height, const std::string& what) {
  if (width <= 0 || height <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": image size ", width, "x", height,
                                                   " is empty; width and height must be > 0"));
  }
  if (width > kMaxImageSide || height > kMaxImageSide || width * height > kMaxImagePixels) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": image size ", width, "x", height, " exceeds the limit of ", kMaxImageSide,
        " px per side and ", kMaxImagePixels, " pixels; downscale the input first"));
  }
  return absl::OkStatus();
}

RgbImage::RgbImage(int width, int height) {
  if (width <= 0 || height <= 0) return;
  width_ = width;
  height_ = height;
  pixels_.assign(size_t{3} * width * height, 0);
}

absl::StatusOr<RgbImage> DecodeImage(std::string_view bytes, const std::string& source_name) {
  if (bytes.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(source_name, ": cannot decode image: the data is empty"));
  }
  if (bytes.size() > static_cast<size_t>(INT_MAX)) {
    return absl::InvalidArgumentError(absl::StrCat(source_name, ": cannot decode image: ",
                                                   bytes.size(),
                                                   " bytes is more than stb_image reads"));
  }
  const auto* data = reinterpret_cast<const stbi_uc*>(bytes.data());
  const int length = static_cast<int>(bytes.size());

  // Read the header first so that the size limit applies before stb_image
  // allocates the pixel buffer.
  int width = 0;
  int height = 0;
  int channels = 0;
  if (!stbi_info_from_memory(data, length, &width, &height, &channels)) {
    return absl::InvalidArgumentError(absl::StrCat(
        source_name, ": not a readable image (stb_image: ", StbReason(), ")"));
  }
  CAMOE_RETURN_IF_ERROR(CheckImageSize(width, height, source_name));

  int decoded_width = 0;
  int decoded_height = 0;
  std::unique_ptr<stbi_uc, StbFree> pixels(stbi_load_from_memory(
      data, length, &decoded_width, &decoded_height, &channels, RgbImage::kChannels));
  if (pixels == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        source_name, ": cannot decode image (stb_image: ", StbReason(),
        "); the file may be truncated or corrupt"));
  }
  if (decoded_width != width || decoded_height != height) {
    // The header and the decoder disagree: treat as corrupt rather than trust
    // either size.
    return absl::InvalidArgumentError(absl::StrCat(
        source_name, ": inconsistent image size (header ", width, "x", height, ", decoded ",
        decoded_width, "x", decoded_height, ")"));
  }
  RgbImage image(width, height);
  std::memcpy(image.data(), pixels.get(), image.pixels().size());
  return image;
}

absl::StatusOr<RgbImage> DecodeImageFile(const std::string& path) {
  CAMOE_ASSIGN_OR_RETURN(std::string bytes, ReadFile(path));
  return DecodeImage(bytes, path);
}

absl::StatusOr<std::string> EncodePng(const RgbImage& image) {
  if (image.empty()) {
    return absl::InvalidArgumentError("cannot encode an empty (0x0) image as PNG");
  }
  std::string png;
  const int stride = RgbImage::kChannels * image.width();
  if (!stbi_write_png_to_func(&AppendToString, &png, image.width(), image.height(),
                              RgbImage::kChannels, image.data(), stride)) {
    return absl::InternalError(absl::StrCat("stb_image_write failed to encode a ", image.width(),
                                            "x", image.height(), " PNG"));
  }
  return png;
}

absl::Status WritePng(const std::string& path, const RgbImage& image) {
  absl::StatusOr<std::string> png = EncodePng(image);
  if (!png.ok()) return Annotate(png.status(), path);
  return WriteFileAtomically(path, *png);
}

}  // namespace camoe::image
