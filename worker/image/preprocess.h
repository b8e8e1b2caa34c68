// CLIP's image preprocessing without torch: OpenAI CLIP's `_transform(n_px)`,
// i.e. torchvision Resize(n_px, BICUBIC) on a PIL image -> CenterCrop(n_px)
// -> ToTensor -> Normalize(kClipMean, kClipStd), step by step and in one
// call. Results equal the PIL + torchvision pipeline bit for bit (resize and
// crop bytes, and float32 values); docs/images.md gives the rules and the
// test that checks them. Stateless functions; thread-safe.
#ifndef CAMOE_WORKER_IMAGE_PREPROCESS_H_
#define CAMOE_WORKER_IMAGE_PREPROCESS_H_

#include <cstdint>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "worker/image/image.h"

namespace camoe::image {

// Per-channel (R, G, B) statistics CLIP was trained with.
inline constexpr float kClipMean[3] = {0.48145466f, 0.4578275f, 0.40821073f};
inline constexpr float kClipStd[3] = {0.26862954f, 0.26130258f, 0.27577711f};

// The (width, height) torchvision's Resize(target) gives a width x height
// image: the short side becomes `target`, the long side
// int(target * long / short), truncated as Python's int() does.
// REQUIRES: width, height, target > 0.
std::pair<int64_t, int64_t> ShortSideResizedSize(int width, int height, int target);

// Resizes so the short side is `target` (see ShortSideResizedSize) with
// Pillow's bicubic filter. An image whose short side already is `target` is
// returned unchanged, as torchvision does. InvalidArgument for an empty
// image, target <= 0, or a result beyond CheckImageSize's limits.
absl::StatusOr<RgbImage> ResizeShortSide(const RgbImage& image, int target);

// The central `size` x `size` region, as torchvision's CenterCrop: offsets
// int(round((extent - size) / 2.0)) with Python's round-half-to-even; an axis
// shorter than `size` is first zero-padded by (size - extent) // 2 before and
// the rest after. InvalidArgument for an empty image or size <= 0.
absl::StatusOr<RgbImage> CenterCrop(const RgbImage& image, int size);

// ToTensor + Normalize: 3 x height x width floats (channel planes R, G, B),
// each ((value / 255) - kClipMean[c]) / kClipStd[c] in float32 arithmetic.
std::vector<float> NormalizeToChw(const RgbImage& image);

// ResizeShortSide(resolution) -> CenterCrop(resolution) -> NormalizeToChw:
// 3 x resolution x resolution floats.
absl::StatusOr<std::vector<float>> PreprocessForClip(const RgbImage& image, int resolution);

}  // namespace camoe::image

#endif  // CAMOE_WORKER_IMAGE_PREPROCESS_H_
