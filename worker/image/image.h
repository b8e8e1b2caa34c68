// RgbImage is an owned, 8-bit, 3-channel picture: `height` rows of `width`
// pixels, each pixel R, G, B bytes, rows packed top to bottom with no padding
// (HWC, row-major). It is a value type (copyable, movable); a const RgbImage
// may be read from any number of threads, a mutable one needs external
// synchronisation. The decode and write functions are stateless and
// thread-safe (stb_image keeps its failure reason thread-locally).
#ifndef CAMOE_WORKER_IMAGE_IMAGE_H_
#define CAMOE_WORKER_IMAGE_IMAGE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace camoe::image {

// Images larger than this are refused before any pixel memory is allocated:
// a corrupt or hostile header must not make a worker allocate gigabytes.
// 16384 px per side covers every real photo and video frame; 64 Mpx (192 MiB
// decoded) bounds the total.
inline constexpr int kMaxImageSide = 16384;
inline constexpr int64_t kMaxImagePixels = int64_t{1} << 26;

// OK when `width` x `height` is a non-empty size within the limits above,
// otherwise InvalidArgument naming `what` (a file name or an operation).
absl::Status CheckImageSize(int64_t width, int64_t height, const std::string& what);

class RgbImage {
 public:
  static constexpr int kChannels = 3;

  // An empty (0 x 0) image.
  RgbImage() = default;
  // A black image. REQUIRES: CheckImageSize(width, height, ...).ok(), or both 0.
  RgbImage(int width, int height);

  int width() const { return width_; }
  int height() const { return height_; }
  bool empty() const { return pixels_.empty(); }

  // height * width * 3 bytes, row-major RGB.
  const std::vector<uint8_t>& pixels() const { return pixels_; }
  uint8_t* data() { return pixels_.data(); }
  const uint8_t* data() const { return pixels_.data(); }

  // Row `y`; REQUIRES: 0 <= y < height().
  uint8_t* Row(int y) { return pixels_.data() + RowOffset(y); }
  const uint8_t* Row(int y) const { return pixels_.data() + RowOffset(y); }
  // The three bytes of pixel (x, y); REQUIRES: inside the image.
  uint8_t* At(int x, int y) { return Row(y) + size_t{3} * x; }
  const uint8_t* At(int x, int y) const { return Row(y) + size_t{3} * x; }

  friend bool operator==(const RgbImage& a, const RgbImage& b) {
    return a.width_ == b.width_ && a.height_ == b.height_ && a.pixels_ == b.pixels_;
  }
  friend bool operator!=(const RgbImage& a, const RgbImage& b) { return !(a == b); }

 private:
  size_t RowOffset(int y) const { return size_t{3} * width_ * y; }

  int width_ = 0;
  int height_ = 0;
  std::vector<uint8_t> pixels_;
};

// Decodes an encoded image (PNG, JPEG, BMP, GIF's first frame, TGA, PSD, PNM,
// HDR: whatever stb_image reads) into RGB. Grey becomes R = G = B; alpha is
// dropped without compositing, as PIL's Image.convert("RGB") does; 16-bit
// samples keep their high byte. `source_name` only labels errors.
// Errors: InvalidArgument for data that is empty, truncated, not an image, or
// larger than the limits above; the message names `source_name` and gives
// stb_image's reason.
absl::StatusOr<RgbImage> DecodeImage(std::string_view bytes, const std::string& source_name);

// Reads and decodes `path`; a missing or unreadable file is NotFound /
// PermissionDenied naming the path.
absl::StatusOr<RgbImage> DecodeImageFile(const std::string& path);

// Encodes `image` as PNG bytes. InvalidArgument for an empty image.
absl::StatusOr<std::string> EncodePng(const RgbImage& image);

// Writes `image` to `path` as PNG, atomically (WriteFileAtomically).
absl::Status WritePng(const std::string& path, const RgbImage& image);

}  // namespace camoe::image

#endif  // CAMOE_WORKER_IMAGE_IMAGE_H_
