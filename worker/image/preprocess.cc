#include "worker/image/preprocess.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "worker/image/resample.h"

namespace camoe::image {
namespace {

// Python's int(round(d / 2.0)) for d >= 0: round half to even, so odd
// differences 1, 3, 5, 7 give offsets 0, 2, 2, 4 (not 1, 2, 3, 4).
int HalfRoundedToEven(int d) {
  const int half = d / 2;
  if (d % 2 == 0) return half;
  return half % 2 == 0 ? half : half + 1;
}

// The first source index of the crop along one axis; negative when the axis
// is padded (torchvision pads (size - extent) // 2 before the image).
int CropStart(int extent, int size) {
  if (size > extent) return -((size - extent) / 2);
  return HalfRoundedToEven(extent - size);
}

}  // namespace

std::pair<int64_t, int64_t> ShortSideResizedSize(int width, int height, int target) {
  const bool width_is_short = width <= height;
  const int64_t short_side = width_is_short ? width : height;
  const int64_t long_side = width_is_short ? height : width;
  // Python evaluates int(target * long / short) as an exact integer product,
  // a correctly rounded true division to double, then truncation; the same
  // three steps here give the same integer.
  const int64_t new_long = static_cast<int64_t>(static_cast<double>(target * long_side) /
                                                static_cast<double>(short_side));
  return width_is_short ? std::make_pair(int64_t{target}, new_long)
                        : std::make_pair(new_long, int64_t{target});
}

absl::StatusOr<RgbImage> ResizeShortSide(const RgbImage& image, int target) {
  if (image.empty()) return absl::InvalidArgumentError("cannot resize an empty (0x0) image");
  if (target <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("short-side resize target must be > 0, got ", target));
  }
  if (std::min(image.width(), image.height()) == target) return image;
  const auto [width, height] = ShortSideResizedSize(image.width(), image.height(), target);
  CAMOE_RETURN_IF_ERROR(CheckImageSize(
      width, height,
      absl::StrCat("resizing ", image.width(), "x", image.height(), " to short side ", target)));
  return ResizeBicubic(image, static_cast<int>(width), static_cast<int>(height));
}

absl::StatusOr<RgbImage> CenterCrop(const RgbImage& image, int size) {
  if (image.empty()) return absl::InvalidArgumentError("cannot crop an empty (0x0) image");
  CAMOE_RETURN_IF_ERROR(CheckImageSize(size, size, "center crop"));
  const int left = CropStart(image.width(), size);
  const int top = CropStart(image.height(), size);
  RgbImage out(size, size);  // Black: the zero padding.
  // Source columns [x0, x1) land at output column x0 - left.
  const int x0 = std::max(left, 0);
  const int x1 = std::min(left + size, image.width());
  for (int y = 0; y < size; ++y) {
    const int source_y = top + y;
    if (source_y < 0 || source_y >= image.height()) continue;
    std::memcpy(out.At(x0 - left, y), image.At(x0, source_y), size_t{3} * (x1 - x0));
  }
  return out;
}

std::vector<float> NormalizeToChw(const RgbImage& image) {
  // One table per channel: every byte value maps to its normalised float,
  // computed with ToTensor's and Normalize's float32 operations in order.
  std::array<std::array<float, 256>, 3> table;
  for (int c = 0; c < 3; ++c) {
    for (int v = 0; v < 256; ++v) {
      table[c][v] = (static_cast<float>(v) / 255.0f - kClipMean[c]) / kClipStd[c];
    }
  }
  const size_t plane = static_cast<size_t>(image.width()) * image.height();
  std::vector<float> chw(3 * plane);
  const uint8_t* src = image.data();
  for (size_t i = 0; i < plane; ++i, src += 3) {
    chw[i] = table[0][src[0]];
    chw[plane + i] = table[1][src[1]];
    chw[2 * plane + i] = table[2][src[2]];
  }
  return chw;
}

absl::StatusOr<std::vector<float>> PreprocessForClip(const RgbImage& image, int resolution) {
  CAMOE_ASSIGN_OR_RETURN(RgbImage resized, ResizeShortSide(image, resolution));
  CAMOE_ASSIGN_OR_RETURN(RgbImage cropped, CenterCrop(resized, resolution));
  return NormalizeToChw(cropped);
}

}  // namespace camoe::image
