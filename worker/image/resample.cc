#include "worker/image/resample.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "common/status_macros.h"

// Note [Pillow bicubic]
// CLIP's preprocessing resizes PIL images, so the features a checkpoint was
// trained on depend on Pillow's exact arithmetic; we reproduce it rather than
// a textbook bicubic. Pillow's ImagingResampleInner (Resample.c):
//  1. Separable passes: horizontal first when the width changes, into an
//     8-bit intermediate image, then vertical when the height changes. The
//     intermediate is clipped to 0..255, so the order matters for exactness.
//  2. Per output index i of a pass over an axis of `in` -> `out` samples:
//     scale = in / out, filterscale = max(scale, 1) (this widens the kernel
//     when shrinking, i.e. antialiasing), support = 2 * filterscale,
//     center = (i + 0.5) * scale, first = int(center - support + 0.5) clamped
//     to >= 0, last = int(center + support + 0.5) clamped to <= in, and weight
//     w_j = K((j - center + 0.5) / filterscale) for first <= j < last, with
//     K the bicubic (Keys) kernel, a = -0.5. Weights are divided by their sum.
//  3. Weights become fixed point with PRECISION_BITS = 32 - 8 - 2 = 22,
//     rounded half away from zero; each output sample is
//     clip8((1 << 21) + sum w_j * in_j) where clip8 is (x >> 22) clamped to
//     0..255. Everything, including the double arithmetic order in step 2, is
//     kept as Pillow writes it so the results agree to the bit.

namespace camoe::image {
namespace {

constexpr int kPrecisionBits = 32 - 8 - 2;
constexpr int32_t kRoundingOffset = int32_t{1} << (kPrecisionBits - 1);

// Pillow's bicubic_filter, a = -0.5, written in the same operation order.
double BicubicKernel(double x) {
  constexpr double a = -0.5;
  if (x < 0.0) x = -x;
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
  return 0.0;
}

// The fixed-point weights of one pass: output sample i reads input samples
// first[i] .. first[i] + count[i] - 1 with weights[i * ksize + j].
struct PassWeights {
  int ksize = 0;
  std::vector<int> first;
  std::vector<int> count;
  std::vector<int32_t> weights;
};

PassWeights ComputeWeights(int in_size, int out_size) {
  const double scale = static_cast<double>(in_size) / out_size;
  const double filterscale = std::max(scale, 1.0);
  const double support = 2.0 * filterscale;
  PassWeights pass;
  pass.ksize = static_cast<int>(std::ceil(support)) * 2 + 1;
  pass.first.resize(out_size);
  pass.count.resize(out_size);
  pass.weights.assign(static_cast<size_t>(out_size) * pass.ksize, 0);
  std::vector<double> w(pass.ksize);
  const double ss = 1.0 / filterscale;
  for (int i = 0; i < out_size; ++i) {
    const double center = (i + 0.5) * scale;
    // Pillow truncates toward zero ("Round the value" via + 0.5 and an int cast).
    const int first = std::max(static_cast<int>(center - support + 0.5), 0);
    const int last = std::min(static_cast<int>(center + support + 0.5), in_size);
    const int count = std::min(last - first, pass.ksize);
    double sum = 0.0;
    for (int j = 0; j < count; ++j) {
      w[j] = BicubicKernel((j + first - center + 0.5) * ss);
      sum += w[j];
    }
    int32_t* fixed = &pass.weights[static_cast<size_t>(i) * pass.ksize];
    for (int j = 0; j < count; ++j) {
      const double normalised = sum != 0.0 ? w[j] / sum : w[j];
      const double scaled = normalised * (1 << kPrecisionBits);
      fixed[j] = static_cast<int32_t>(normalised < 0 ? -0.5 + scaled : 0.5 + scaled);
    }
    pass.first[i] = first;
    pass.count[i] = count;
  }
  return pass;
}

inline uint8_t Clip8(int32_t accumulator) {
  // Arithmetic shift, as Pillow's lookup-table clip8 indexes by in >> 22.
  const int32_t value = accumulator >> kPrecisionBits;
  return static_cast<uint8_t>(std::clamp<int32_t>(value, 0, 255));
}

RgbImage ResampleHorizontal(const RgbImage& in, int out_width) {
  const PassWeights pass = ComputeWeights(in.width(), out_width);
  RgbImage out(out_width, in.height());
  for (int y = 0; y < in.height(); ++y) {
    const uint8_t* src = in.Row(y);
    uint8_t* dst = out.Row(y);
    for (int x = 0; x < out_width; ++x) {
      const int32_t* k = &pass.weights[static_cast<size_t>(x) * pass.ksize];
      const uint8_t* s = src + 3 * pass.first[x];
      int32_t r = kRoundingOffset;
      int32_t g = kRoundingOffset;
      int32_t b = kRoundingOffset;
      for (int j = 0; j < pass.count[x]; ++j, s += 3) {
        r += s[0] * k[j];
        g += s[1] * k[j];
        b += s[2] * k[j];
      }
      dst[3 * x + 0] = Clip8(r);
      dst[3 * x + 1] = Clip8(g);
      dst[3 * x + 2] = Clip8(b);
    }
  }
  return out;
}

RgbImage ResampleVertical(const RgbImage& in, int out_height) {
  const PassWeights pass = ComputeWeights(in.height(), out_height);
  RgbImage out(in.width(), out_height);
  const int row_bytes = 3 * in.width();
  // Accumulating whole rows keeps the inner loop contiguous (and
  // vectorisable); integer sums make the order irrelevant to the result.
  std::vector<int32_t> accumulator(row_bytes);
  for (int y = 0; y < out_height; ++y) {
    std::fill(accumulator.begin(), accumulator.end(), kRoundingOffset);
    const int32_t* k = &pass.weights[static_cast<size_t>(y) * pass.ksize];
    for (int j = 0; j < pass.count[y]; ++j) {
      const uint8_t* src = in.Row(pass.first[y] + j);
      const int32_t weight = k[j];
      for (int i = 0; i < row_bytes; ++i) accumulator[i] += src[i] * weight;
    }
    uint8_t* dst = out.Row(y);
    for (int i = 0; i < row_bytes; ++i) dst[i] = Clip8(accumulator[i]);
  }
  return out;
}

}  // namespace

absl::StatusOr<RgbImage> ResizeBicubic(const RgbImage& image, int width, int height) {
  if (image.empty()) return absl::InvalidArgumentError("cannot resize an empty (0x0) image");
  CAMOE_RETURN_IF_ERROR(CheckImageSize(width, height, "bicubic resize target"));
  if (width == image.width() && height == image.height()) return image;
  if (width == image.width()) return ResampleVertical(image, height);
  RgbImage horizontal = ResampleHorizontal(image, width);
  if (height == image.height()) return horizontal;
  return ResampleVertical(horizontal, height);
}

}  // namespace camoe::image
