// CLIP preprocessing rules of worker/image checked against closed forms; the
// comparison with Pillow itself is in image_reference_test.cc.
#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "worker/image/image.h"
#include "worker/image/preprocess.h"
#include "worker/image/resample.h"

namespace camoe::image {
namespace {

// Pixel (x, y) is (x mod 256, y mod 256, (x + y) mod 256): crops can be read
// back as offsets.
RgbImage Coordinates(int width, int height) {
  RgbImage image(width, height);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      image.At(x, y)[0] = static_cast<uint8_t>(x % 256);
      image.At(x, y)[1] = static_cast<uint8_t>(y % 256);
      image.At(x, y)[2] = static_cast<uint8_t>((x + y) % 256);
    }
  }
  return image;
}

RgbImage Constant(int width, int height, uint8_t r, uint8_t g, uint8_t b) {
  RgbImage image(width, height);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      image.At(x, y)[0] = r;
      image.At(x, y)[1] = g;
      image.At(x, y)[2] = b;
    }
  }
  return image;
}

TEST(ShortSideResizedSizeTest, TruncatesTheLongSideLikeTorchvision) {
  using Size = std::pair<int64_t, int64_t>;
  EXPECT_EQ(ShortSideResizedSize(300, 225, 224), Size(298, 224));  // 298.67 -> 298.
  EXPECT_EQ(ShortSideResizedSize(225, 300, 224), Size(224, 298));
  EXPECT_EQ(ShortSideResizedSize(320, 240, 224), Size(298, 224));
  EXPECT_EQ(ShortSideResizedSize(97, 61, 64), Size(101, 64));  // 101.77 -> 101.
  EXPECT_EQ(ShortSideResizedSize(61, 97, 64), Size(64, 101));
  EXPECT_EQ(ShortSideResizedSize(500, 500, 224), Size(224, 224));
  EXPECT_EQ(ShortSideResizedSize(1920, 1080, 224), Size(398, 224));  // 398.22.
}

TEST(ResizeTest, ShortSideAtTargetIsNotResized) {
  const RgbImage image = Coordinates(301, 224);
  absl::StatusOr<RgbImage> resized = ResizeShortSide(image, 224);
  ASSERT_TRUE(resized.ok()) << resized.status();
  EXPECT_TRUE(*resized == image);
  const RgbImage portrait = Coordinates(224, 250);
  resized = ResizeShortSide(portrait, 224);
  ASSERT_TRUE(resized.ok());
  EXPECT_TRUE(*resized == portrait);
}

TEST(ResizeTest, ResizeShortSideGivesTorchvisionSize) {
  absl::StatusOr<RgbImage> resized = ResizeShortSide(Coordinates(97, 61), 64);
  ASSERT_TRUE(resized.ok()) << resized.status();
  EXPECT_EQ(resized->width(), 101);
  EXPECT_EQ(resized->height(), 64);
}

TEST(ResizeTest, ConstantImageStaysConstantWhenShrinkingAndEnlarging) {
  // The normalised weights sum to 1, so every output of a flat image is the
  // flat value, including at the borders where the kernel is cut.
  const RgbImage flat = Constant(57, 31, 255, 0, 131);
  for (const auto& [w, h] : std::vector<std::pair<int, int>>{{20, 11}, {130, 77}, {57, 5}}) {
    absl::StatusOr<RgbImage> resized = ResizeBicubic(flat, w, h);
    ASSERT_TRUE(resized.ok());
    EXPECT_TRUE(*resized == Constant(w, h, 255, 0, 131)) << w << "x" << h;
  }
}

TEST(ResizeTest, SameSizeIsACopy) {
  const RgbImage image = Coordinates(40, 30);
  absl::StatusOr<RgbImage> resized = ResizeBicubic(image, 40, 30);
  ASSERT_TRUE(resized.ok());
  EXPECT_TRUE(*resized == image);
}

TEST(ResizeTest, RefusesEmptyImagesAndNonPositiveTargets) {
  EXPECT_FALSE(ResizeShortSide(RgbImage(), 224).ok());
  EXPECT_FALSE(ResizeShortSide(Coordinates(4, 4), 0).ok());
  EXPECT_FALSE(ResizeBicubic(Coordinates(4, 4), 4, -3).ok());
}

// The crop's top-left source pixel, read back from a Coordinates image.
std::pair<int, int> CropOrigin(int width, int height, int size) {
  absl::StatusOr<RgbImage> cropped = CenterCrop(Coordinates(width, height), size);
  EXPECT_TRUE(cropped.ok()) << cropped.status();
  if (!cropped.ok()) return {-1, -1};
  EXPECT_EQ(cropped->width(), size);
  EXPECT_EQ(cropped->height(), size);
  return {cropped->At(0, 0)[0], cropped->At(0, 0)[1]};
}

TEST(CenterCropTest, OffsetsRoundHalfToEvenAsPythonRound) {
  // int(round(d / 2.0)) for d = 0..7: 0, 0, 1, 2, 2, 2, 3, 4.
  const int expected[] = {0, 0, 1, 2, 2, 2, 3, 4};
  for (int d = 0; d < 8; ++d) {
    EXPECT_EQ(CropOrigin(224 + d, 224, 224), std::make_pair(expected[d], 0)) << "d=" << d;
    EXPECT_EQ(CropOrigin(224, 224 + d, 224), std::make_pair(0, expected[d])) << "d=" << d;
  }
  EXPECT_EQ(CropOrigin(298, 224, 224), std::make_pair(37, 0));
  EXPECT_EQ(CropOrigin(10, 13, 6), std::make_pair(2, 4));  // 2.0 and 3.5 -> 4.
}

TEST(CenterCropTest, PadsWithZerosWhenSmallerAsTorchvision) {
  // Width 5 -> 8: (8 - 5) // 2 = 1 column before, 2 after. Height 10 -> 8:
  // a normal crop at int(round(1.0)) = 1.
  const RgbImage image = Constant(5, 10, 9, 8, 7);
  absl::StatusOr<RgbImage> cropped = CenterCrop(image, 8);
  ASSERT_TRUE(cropped.ok()) << cropped.status();
  for (int y = 0; y < 8; ++y) {
    for (int x = 0; x < 8; ++x) {
      const bool inside = x >= 1 && x < 6;
      EXPECT_EQ(cropped->At(x, y)[0], inside ? 9 : 0) << x << "," << y;
      EXPECT_EQ(cropped->At(x, y)[2], inside ? 7 : 0) << x << "," << y;
    }
  }
  absl::StatusOr<RgbImage> both = CenterCrop(Coordinates(3, 4), 8);
  ASSERT_TRUE(both.ok());
  // Pads 2 columns and 2 rows before: source (0, 0) lands at (2, 2).
  EXPECT_EQ(both->At(2, 2)[2], 0);
  EXPECT_EQ(both->At(4, 5)[0], 2);
  EXPECT_EQ(both->At(4, 5)[1], 3);
  EXPECT_EQ(both->At(5, 2)[0], 0);  // Padding (source column 3 does not exist).
}

TEST(NormalizeTest, ConstantImageGivesClosedFormValues) {
  const uint8_t values[3] = {0, 128, 255};
  const std::vector<float> chw = NormalizeToChw(Constant(4, 3, values[0], values[1], values[2]));
  ASSERT_EQ(chw.size(), 3u * 4 * 3);
  for (int c = 0; c < 3; ++c) {
    const double expected = (values[c] / 255.0 - kClipMean[c]) / kClipStd[c];
    for (int i = 0; i < 12; ++i) {
      EXPECT_NEAR(chw[c * 12 + i], expected, 1e-6) << "channel " << c;
    }
  }
  // Spot values: (0 - 0.48145466) / 0.26862954 and (1 - 0.40821073) / 0.27577711.
  EXPECT_NEAR(chw[0], -1.7922626, 1e-6);
  EXPECT_NEAR(chw[24], 2.1458969, 1e-6);
}

TEST(NormalizeTest, OutputIsChannelPlanesOfRows) {
  const int width = 5;
  const int height = 3;
  const RgbImage image = Coordinates(width, height);
  const std::vector<float> chw = NormalizeToChw(image);
  for (int c = 0; c < 3; ++c) {
    for (int y = 0; y < height; ++y) {
      for (int x = 0; x < width; ++x) {
        const float expected =
            (static_cast<float>(image.At(x, y)[c]) / 255.0f - kClipMean[c]) / kClipStd[c];
        EXPECT_EQ(chw[(c * height + y) * width + x], expected) << c << "," << y << "," << x;
      }
    }
  }
}

TEST(PreprocessForClipTest, GivesResolutionSquaredPlanes) {
  absl::StatusOr<std::vector<float>> input = PreprocessForClip(Coordinates(320, 240), 224);
  ASSERT_TRUE(input.ok()) << input.status();
  EXPECT_EQ(input->size(), 3u * 224 * 224);
}

TEST(PreprocessForClipTest, ExactShortSideSkipsResizeAndOnlyCrops) {
  const RgbImage image = Coordinates(230, 224);
  absl::StatusOr<std::vector<float>> input = PreprocessForClip(image, 224);
  ASSERT_TRUE(input.ok()) << input.status();
  absl::StatusOr<RgbImage> cropped = CenterCrop(image, 224);
  ASSERT_TRUE(cropped.ok());
  EXPECT_EQ(*input, NormalizeToChw(*cropped));
  // The first pixel is source column 3, unresized: (3 / 255 - mean) / std.
  EXPECT_EQ((*input)[0], (3.0f / 255.0f - kClipMean[0]) / kClipStd[0]);
}

}  // namespace
}  // namespace camoe::image
