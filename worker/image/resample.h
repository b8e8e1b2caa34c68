// Bicubic resampling of RgbImages, bit-exact with Pillow's
// Image.resize(size, Image.BICUBIC) for 8-bit RGB (Pillow 9.4,
// libImaging/Resample.c), which is what CLIP's torchvision Resize runs on a
// PIL image. Stateless functions; thread-safe. See Note [Pillow bicubic] in
// resample.cc for the algorithm and docs/images.md for how it is checked.
#ifndef CAMOE_WORKER_IMAGE_RESAMPLE_H_
#define CAMOE_WORKER_IMAGE_RESAMPLE_H_

#include "absl/status/statusor.h"
#include "worker/image/image.h"

namespace camoe::image {

// `image` resampled to `width` x `height` with Pillow's BICUBIC filter
// (antialiased when shrinking). Returns an unchanged copy when the size is
// already `width` x `height`. InvalidArgument for an empty input or a target
// size outside CheckImageSize's limits.
absl::StatusOr<RgbImage> ResizeBicubic(const RgbImage& image, int width, int height);

}  // namespace camoe::image

#endif  // CAMOE_WORKER_IMAGE_RESAMPLE_H_
