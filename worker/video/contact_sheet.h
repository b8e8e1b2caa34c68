// Contact sheets: sampled frames laid out in a grid on a dark background,
// each captioned with a short label (its index and timestamp) drawn in a
// built-in 5x7 pixel font, so `camoe frames` can show what sampling picked.
// Stateless functions; thread-safe.
#ifndef CAMOE_WORKER_VIDEO_CONTACT_SHEET_H_
#define CAMOE_WORKER_VIDEO_CONTACT_SHEET_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "worker/image/image.h"

namespace camoe::video {

// Frames in rows of `columns` (0: a near-square grid), each above its label.
// Frames may differ in size (cells take the largest). The font knows digits,
// '.', ':', '#', '-', 's' and space; other characters draw as boxes.
// InvalidArgument for no frames, labels.size() != frames.size(), or a sheet
// beyond image::CheckImageSize's limits.
absl::StatusOr<image::RgbImage> MakeContactSheet(const std::vector<image::RgbImage>& frames,
                                                 const std::vector<std::string>& labels,
                                                 int columns = 0);

// Draws `text` with its top-left corner at (x, y), each font pixel a
// `scale` x `scale` block of white; clipped at the image's edges.
void DrawLabel(image::RgbImage& image, int x, int y, const std::string& text, int scale);

}  // namespace camoe::video

#endif  // CAMOE_WORKER_VIDEO_CONTACT_SHEET_H_
